"""The four 2-D estimators of engineer B (vae, gan, diffusion, ebm) and genmodels.toy2d.view."""
import math

import numpy as np
import pytest
import torch

from genmodels.toy2d import data, diffusion, ebm, gan, vae, view

FOUR = {"vae": vae, "gan": gan, "diffusion": diffusion, "ebm": ebm}
SMALL = {"vae": dict(hidden=32, batch=128), "gan": dict(hidden=32, batch=128),
         "diffusion": dict(hidden=32, batch=128, T=20), "ebm": dict(hidden=32, batch=64, train_langevin=5, sample_langevin=20)}


def _points(name="moons", n=2000, seed=0):
    x = data.sample(name, n, seed=seed)
    return torch.from_numpy((x - x.mean(0)) / x.std(0)).float()


def _fit(mod, steps, seed=0, x=None, **kw):
    params = mod.Params(steps=steps, max_seconds=600, **{**SMALL[mod.__name__.rsplit(".", 1)[1]], **kw})
    # one intra-op thread, as the tab runs them (view.single_threaded): these networks are tiny
    records = list(view.single_threaded(mod.fit(params, _points() if x is None else x, seed=seed, seconds=0.25)))
    return records


@pytest.mark.parametrize("name", list(FOUR))
def test_fit_streams_records_holding_the_live_model_and_samples_are_seeded(name):
    mod = FOUR[name]
    records = _fit(mod, 30)
    assert records[-1].done and not any(r.done for r in records[:-1])
    assert records[-1].step == 30
    assert all(r.model is records[-1].model for r in records)
    for r in records:
        assert r.losses and all(k == "loss" or k.startswith("loss_") for k in r.losses)
        assert all(math.isfinite(v) for v in r.losses.values())
    model = records[-1].model
    a, b = mod.sample(model, 50, seed=3), mod.sample(model, 50, seed=3)
    assert a.shape == (50, 2) and torch.equal(a, b)
    assert not torch.equal(a, mod.sample(model, 50, seed=4))
    again = _fit(mod, 30)[-1].model                     # same seed, same run
    for p, q in zip(model.parameters(), again.parameters()):
        assert torch.equal(p, q)
    assert mod.KIND in ("exact", "bound", "unnormalised", "implicit")
    assert view.evaluations(mod, model) >= 1


def test_closing_the_stream_stops_training():
    stream = view.single_threaded(gan.fit(gan.Params(steps=10_000, hidden=16, max_seconds=600), _points(), seed=0,
                                          seconds=0.01))
    first = next(stream)
    steps = first.model.steps
    stream.close()
    assert steps < 10_000 and not first.done
    with pytest.raises(StopIteration):
        next(stream)
    assert first.model.steps == steps


def test_gan_surface_is_a_probability_and_g_maps_the_z_grid():
    model = _fit(gan, 20)[-1].model
    pic = gan.picture(model, (-3, 3, -3, 3), res=20, lines=5)
    assert pic.D.shape == (20, 20) and pic.D.min() >= 0 and pic.D.max() <= 1
    assert pic.z_lines.shape == (10, 60, 2)
    with pytest.raises(ValueError, match="implicit"):
        gan.log_density(model, torch.zeros(3, 2))


def test_gan_losses_are_the_value_function():
    real, fake = torch.tensor([[0.3], [-1.0]]), torch.tensor([[0.5], [2.0]])
    d = torch.sigmoid
    expect = -(torch.log(d(real)).mean() + torch.log(1 - d(fake)).mean())
    assert torch.allclose(gan.d_loss(real, fake), expect)
    assert torch.allclose(gan.g_loss(fake), -torch.log(d(fake)).mean())


def test_a_short_gan_fit_brings_samples_closer_to_the_data():
    from genmodels.toy2d import metrics
    x = _points()
    before = _fit(gan, 1, x=x)[-1].model
    after = _fit(gan, 600, x=x, hidden=64)[-1].model
    d0 = metrics.sample_distance(gan.sample(before, 1000, seed=1).numpy(), x.numpy())
    d1 = metrics.sample_distance(gan.sample(after, 1000, seed=1).numpy(), x.numpy())
    assert d1 < 0.5 * d0


def test_vae_fit_raises_the_elbo_and_elbo_is_below_iwae():
    x = _points("thin_mixture")
    held = _points("thin_mixture", 500, seed=9)
    first = _fit(vae, 1, x=x, hidden=64)[-1].model
    model = _fit(vae, 600, x=x, hidden=64)[-1].model
    assert vae.log_density(model, held).mean() > vae.log_density(first, held).mean() + 0.2
    elbo, iwae = vae.log_density(model, held, samples=64), vae.iwae_bound(model, held, k=64)
    assert elbo.mean() < iwae.mean() - 0.01           # ELBO ≤ L_64 ≤ log p_θ (each a Monte Carlo estimate)


def test_vae_kl_is_the_closed_form():
    mu, log_var = torch.tensor([[1.0, -0.5]]), torch.tensor([[0.2, -1.0]])
    expect = 0.5 * sum(m * m + math.exp(v) - 1 - v for m, v in zip([1.0, -0.5], [0.2, -1.0]))
    assert vae.kl_divergence(mu, log_var).item() == pytest.approx(expect, rel=1e-6)


def _true_mean_log_density(n=1000, seed=9):
    """Held-out mixture points in standardised coordinates and their true mean log density there."""
    train = data.sample("thin_mixture", 2000, seed=0)
    m, s = train.mean(0), train.std(0)
    test = data.sample("thin_mixture", n, seed=seed)
    true = data.true_log_density("thin_mixture", test).mean() + np.log(s).sum()      # Jacobian into u
    return torch.from_numpy((test - m) / s).float(), float(true), train


@pytest.mark.parametrize("name", ["vae", "diffusion"])
def test_bounds_stay_below_the_true_log_density(name):
    """E_data[bound] ≤ E_data[log p_model] ≤ E_data[log p_data] (Gibbs): a bound above the truth is a bug."""
    mod = FOUR[name]
    held, true, train = _true_mean_log_density()
    x = torch.from_numpy((train - train.mean(0)) / train.std(0)).float()
    model = _fit(mod, 300, x=x, hidden=64)[-1].model
    assert mod.log_density(model, held).mean().item() < true + 0.05


def test_diffusion_bound_is_nearly_tight_for_the_ideal_denoiser_of_a_gaussian():
    """Data N(0, I): the ideal ε_θ(x_t, t) = √(1 − ᾱ_t) x_t. With σ_t² = β_t its reverse chain is exact and
    E[−L_vlb] = E log N(x; 0, I) (the KL terms telescope); with σ_t² = β̃_t the bound is looser."""
    model = diffusion.Diffusion(diffusion.Params(T=100))
    ab = model.alphas_cumprod

    class Ideal(torch.nn.Module):
        def forward(self, x, t):
            return (1 - ab[t]).sqrt()[:, None] * x
    model.eps_model = Ideal()
    x = torch.randn(20000, 2, generator=torch.Generator().manual_seed(123))     # not log_density's seed 0
    true = (-0.5 * (x ** 2).sum(1) - math.log(2 * math.pi))
    gap = diffusion.log_density(model, x) - true
    assert abs(gap.mean().item()) < 4 * gap.std().item() / math.sqrt(len(x))     # tight, within 4 standard errors
    small = diffusion.Diffusion(diffusion.Params(T=100, variance="small"))
    small.eps_model = Ideal()
    assert (diffusion.log_density(small, x) - true).mean() < -1.0


def test_diffusion_reverse_chain_and_field():
    model = _fit(diffusion, 10)[-1].model
    path = diffusion.reverse(model, 7, seed=0)
    assert path.shape == (21, 7, 2) and torch.equal(path[-1], diffusion.sample(model, 7, seed=0))
    pic = diffusion.picture(model, (-2, 2, -2, 2), res=8, chains=3, arrows=4)
    assert pic.log_density.shape == (8, 8) and np.all(np.diff(pic.ys) > 0) and pic.arrows.shape == (16, 2) and pic.trajectories.shape == (21, 3, 2)


def test_ebm_partition_function_on_a_known_energy():
    """E(x) = ½‖x‖²: Z = 2π (the box [−3.5, 3.5]² holds all but 0.05% of it)."""
    model = ebm.EBM(ebm.Params())

    class Quadratic(torch.nn.Module):
        def forward(self, x):
            return 0.5 * (x ** 2).sum(1, keepdim=True)
    model.E = Quadratic()
    assert ebm.log_partition(model) == pytest.approx(math.log(2 * math.pi), abs=2e-3)
    x = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    assert torch.allclose(ebm.log_density(model, x), torch.tensor([0.0, -2.5]))


def test_ebm_langevin_on_a_known_energy_reaches_its_distribution():
    """Langevin on E = ½‖x‖² samples N(0, I): mean ≈ 0, variance ≈ 1 (η small)."""
    model = ebm.EBM(ebm.Params(sample_langevin=400, step_size=0.05))

    class Quadratic(torch.nn.Module):
        def forward(self, x):
            return 0.5 * (x ** 2).sum(1, keepdim=True)
    model.E = Quadratic()
    s = ebm.sample(model, 4000, seed=0)
    assert s.mean(0).abs().max() < 0.08 and torch.allclose(s.var(0), torch.ones(2), atol=0.1)


def test_ebm_fit_lowers_the_energy_of_data_against_noise():
    x = _points()
    model = _fit(ebm, 150, x=x, hidden=64)[-1].model
    noise = (torch.rand(2000, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1) * ebm.BOX
    with torch.no_grad():
        assert model.energy(x).mean() < model.energy(noise).mean() - 0.5


def test_nll_counts_the_jacobian_of_the_standardisation():
    """Scaling the data by 10 leaves the standardised points as they were and moves the NLL by 2 log 10."""
    model = _fit(vae, 20)[-1].model
    a = view.named("moons", n=800)
    b = view.Dataset("moons×10", a.train * 10, a.test * 10)
    assert np.allclose(a.standardise(a.test), b.standardise(b.test), atol=1e-5)
    assert view.held_out_nll(vae, model, b) - view.held_out_nll(vae, model, a) == pytest.approx(2 * math.log(10), abs=1e-3)
    assert view.held_out_nll(gan, _fit(gan, 2)[-1].model, a) is None


def test_points_from_sketch_follow_the_strokes():
    pad = np.full((100, 100, 3), 255, np.uint8)
    pad[10:20, 70:90] = 0                                     # top right
    pts = view.points_from_sketch(pad, extent=(-2, 2, -2, 2), n=300)
    assert pts.shape == (300, 2)
    assert (pts[:, 0] > 0.7).all() and (pts[:, 0] < 1.65).all() and (pts[:, 1] > 1.1).all() and (pts[:, 1] < 1.65).all()
    with pytest.raises(ValueError, match="Draw a shape"):
        view.points_from_sketch(np.full((100, 100, 3), 255, np.uint8))
    with pytest.raises(ValueError, match="Draw a shape"):
        view.points_from_sketch({"composite": None})
    for garbage in ([], "abc", [[1, 2, 3]], np.zeros((4, 4, 7)), {"composite": [[None]]}):
        with pytest.raises(ValueError, match="Draw a shape"):
            view.points_from_sketch(garbage)


def test_live_frames_and_table_row():
    ds = view.named("thin_mixture", n=600)
    frames = [f for f in view.live("vae", ds, seconds=1.0, frame_seconds=0.3) if f is not None]
    last = frames[-1]
    assert last.measured is not None and last.main.size == (view.PANEL, view.PANEL)
    assert last.measured.nll is not None and last.measured.nll_gap is not None and last.measured.nll_gap > -0.1
    row = view.table_row(last.measured)
    assert len(row) == len(view.COLUMNS) and row[0] == "VAE"
    assert view.measured_cards(last.measured)[0][1] == f"{last.measured.nll:.3f}"


def test_taxonomy_covers_the_nine_families_once():
    leaves = [n for _, _, names in view.TAXONOMY for n in names]
    assert sorted(leaves) == sorted(view.ALL) and len(set(leaves)) == 9
    assert set(view.LABELS) == set(view.ALL) == set(view.LATENT)


def test_training_budget_counts_only_time_spent_training():
    """view.training stops a stream after ``seconds`` inside it; the caller's drawing time is not counted."""
    import time
    from genmodels.progress import Record
    closed = []

    def records():
        try:
            for step in range(1, 1000):
                time.sleep(0.05)                      # "training"
                yield Record(step)
        finally:
            closed.append(True)
    seen = []
    for rec, spent, last in view.training(records(), 0.5):
        seen.append((rec.step, spent, last))
        time.sleep(0.3)                               # the caller draws a frame
    assert 7 <= len(seen) <= 14 and seen[-1][2] and not any(last for _, _, last in seen[:-1])
    assert seen[-1][1] >= 0.5 and closed == [True]


def test_picture_grids_run_as_the_package_density_grid():
    """value[i, j] belongs to (xs[j], ys[i]) with ys ascending (checked on the EBM's deterministic energy)."""
    model = ebm.EBM(ebm.Params(hidden=16, sample_langevin=2))
    pic = ebm.picture(model, (-2.0, 1.0, -1.0, 3.0), res=5, chains=2)
    assert pic.xs[0] == -2.0 and pic.xs[-1] == 1.0 and pic.ys[0] == -1.0 and pic.ys[-1] == 3.0
    with torch.no_grad():
        at = model.energy(torch.tensor([[pic.xs[1], pic.ys[3]]], dtype=torch.float32))
    assert pic.energy[3, 1] == pytest.approx(at.item(), abs=1e-5)


@pytest.mark.parametrize("name", list(FOUR))
def test_build_gives_the_fit_s_starting_networks_and_a_state_dict_of_tensors(name):
    mod = FOUR[name]
    params = mod.Params(steps=1, max_seconds=600, **SMALL[name])
    fresh = mod.build(params, seed=5)
    again = mod.build(params, seed=5)
    state = fresh.state_dict()
    assert state and all(isinstance(v, torch.Tensor) for v in state.values())
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in state.items())
    assert not all(torch.equal(v, mod.build(params, seed=6).state_dict()[k]) for k, v in state.items())
