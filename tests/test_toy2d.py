"""The toy2d family: data, metrics, the five explicit estimators (histogram, KDE, GMM,
autoregressive, flow), the standardisation's Jacobian, the contract and the command line."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from genmodels import toy2d
from genmodels.toy2d import autoregressive, data, flow, gmm, metrics

ROOT = Path(__file__).resolve().parent.parent
EXACT = ("histogram", "kde", "gmm", "autoregressive", "flow")
QUICK = {"histogram": "", "kde": "candidates=6", "gmm": "iterations=30",
         "autoregressive": "steps=60", "flow": "steps=40,layers=2"}      # short fits for fast tests


def quick_cfg(name: str, **kw) -> toy2d.Config:
    return toy2d.Config(model=name, params=QUICK[name], n_train=400, n_test=200, seconds=10, **kw)


def fit(cfg: toy2d.Config) -> toy2d.Toy2D:
    return list(toy2d.train(cfg))[-1].model


def integral(model: toy2d.Toy2D, extent, res: int = 300) -> float:
    """∫ p_model(x) dx by the midpoint rule over extent (the mass outside is tiny)."""
    x0, x1, y0, y1 = extent
    dx, dy = (x1 - x0) / res, (y1 - y0) / res
    xs = x0 + dx * (np.arange(res) + 0.5)
    ys = y0 + dy * (np.arange(res) + 0.5)
    X, Y = np.meshgrid(xs, ys)
    log_p = model.log_prob(np.stack([X.ravel(), Y.ravel()], 1))
    return float(log_p.exp().sum()) * dx * dy


# ---------------------------------------------------------------------------- data
def test_shapes_are_seeded_and_shaped():
    for name in data.SHAPES:
        a, b = data.sample(name, 300, seed=3), data.sample(name, 300, seed=3)
        assert a.shape == (300, 2) and np.isfinite(a).all()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, data.sample(name, 300, seed=4))


def test_true_densities_are_normalised_and_match_the_samples():
    # the thin mixture's density integrates to 1 and its samples are where it is high
    res, lim = 800, 5.0
    xs = np.linspace(-lim, lim, res)
    X, Y = np.meshgrid(xs, xs)
    p = np.exp(data.true_log_density("thin_mixture", np.stack([X.ravel(), Y.ravel()], 1)))
    assert abs(p.sum() * (xs[1] - xs[0]) ** 2 - 1) < 2e-3
    x = data.sample("thin_mixture", 20000, seed=0)
    # E_p[log p] by samples vs by the grid: the entropy two ways
    on_grid = -(p * np.log(np.maximum(p, 1e-300))).sum() * (xs[1] - xs[0]) ** 2
    assert abs(-data.true_log_density("thin_mixture", x).mean() - on_grid) < 0.03
    # checkerboard: 1/8 on its squares, and every sample lands on one
    cb = data.sample("checkerboard", 5000, seed=1)
    np.testing.assert_allclose(data.true_log_density("checkerboard", cb), -math.log(8))
    assert np.isinf(data.true_log_density("checkerboard", np.array([[0.5, -0.5]])))[0]
    assert data.true_log_density("moons", x) is None              # no closed form
    with pytest.raises(ValueError, match="unknown 2-D shape"):
        data.true_log_density("nope", x)


def test_files_and_drawn_points_get_clear_errors(tmp_path):
    good = data.sample("moons", 100, seed=0)
    np.save(tmp_path / "ok.npy", good)
    np.testing.assert_array_equal(data.read_points(tmp_path / "ok.npy"), good)
    (tmp_path / "ok.csv").write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in good))
    np.testing.assert_allclose(data.read_points(tmp_path / "ok.csv"), good)
    cases = {
        "shape.npy": (np.zeros((50, 3)), "shape \\(N, 2\\)"),
        "nan.npy": (np.where(np.arange(100)[:, None] == 7, np.nan, good), "NaN"),
        "many.npy": (np.random.default_rng(0).normal(size=(data.MAX_POINTS + 1, 2)), "at most 20,000"),
        "few.npy": (good[:5], "at least 20"),
        "flat.npy": (np.c_[good[:, 0], np.ones(100)], "no spread along y"),
    }
    for name, (arr, msg) in cases.items():
        np.save(tmp_path / name, arr)
        with pytest.raises(ValueError, match=msg):
            data.read_points(tmp_path / name)
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="line 3"):
        data.read_points(tmp_path / "bad.csv")
    (tmp_path / "three.csv").write_text("1,2,3\n" * 30)
    with pytest.raises(ValueError, match="2 columns"):
        data.read_points(tmp_path / "three.csv")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not a readable .npy"):
        data.read_points(tmp_path / "junk.npy")
    with pytest.raises(ValueError, match="not found"):
        data.read_points(tmp_path / "missing.npy")
    assert data.from_points([(i, i * i % 7) for i in range(30)]).shape == (30, 2)
    with pytest.raises(ValueError, match="at least"):
        data.from_points([(0, 1), (2, 3)])


def test_split_holds_out_points():
    x = data.sample("rings", 1000, seed=0)
    train, test = data.split(x, 300, seed=1)
    assert len(test) == 200 and len(train) == 800          # at most a fifth held out
    assert not (train[:, None, :] == test[None]).all(-1).any()


# ---------------------------------------------------------------------------- metrics
def test_energy_distance_is_near_zero_for_the_same_distribution_and_grows_with_a_shift():
    a, b = data.sample("moons", 1500, seed=0), data.sample("moons", 1500, seed=1)
    same = metrics.energy_distance(a, b)
    assert abs(same) < 0.01
    assert metrics.energy_distance(a + [0.5, 0], b) > 0.05 > abs(same)
    # unit-free: scaling both sets changes nothing
    assert metrics.energy_distance(10 * (a + [0.5, 0]), 10 * b) == pytest.approx(metrics.energy_distance(a + [0.5, 0], b))
    assert metrics.sample_distance(a, b, n=None) == same
    assert metrics.sample_distance(a, b, n=500, seed=1) == metrics.sample_distance(a, b, n=500, seed=1) != same
    assert metrics.nll(np.log([0.5, 0.25])) == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2)


# ---------------------------------------------------------------------------- estimators
@pytest.mark.parametrize("name", EXACT)
def test_exact_estimators_are_normalised_in_data_coordinates(name):
    """∫ p_model = 1 over the data's own coordinates (data scaled by 3 and shifted, so the
    standardisation's Jacobian must be counted for this to hold)."""
    model = fit(quick_cfg(name, data="moons"))
    extent, res = (-6, 8, -6, 6), 500
    if name == "histogram":            # the box itself, 3 × 3 grid points per cell: exact for the cells
        est = model.estimator
        lo, hi = model.unstandardise(est.lo[None])[0].tolist(), model.unstandardise(est.hi[None])[0].tolist()
        extent, res = (lo[0], hi[0], lo[1], hi[1]), 3 * est.bins     # (the ε share outside: < 10⁻³)
    assert integral(model, extent, res=res) == pytest.approx(1.0, abs=0.02)


def test_scaling_the_data_by_10_moves_the_nll_by_2_log_10(tmp_path):
    x = data.sample("thin_mixture", 1500, seed=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "x10.npy", 10 * x)
    for name in ("gmm", "kde", "histogram", "flow"):
        nll = []
        for f in ("x.npy", "x10.npy"):
            model = fit(toy2d.Config(model=name, data=str(tmp_path / f), params=QUICK[name], seconds=10))
            nll.append(toy2d.evaluate(model, n=200)["test_nll"])
        assert nll[1] - nll[0] == pytest.approx(2 * math.log(10), abs=1e-3), name


def test_gmm_em_never_lowers_the_log_likelihood():
    x = toy2d.build(toy2d.Config(model="gmm")).standardise(data.sample("thin_mixture", 1500, seed=0))
    ll = [r.metrics["log_likelihood"] for r in gmm.fit(gmm.Params(K=8, iterations=80, tol=0), x, seed=2)
          if r.preview.phase == "E"]
    assert len(ll) == 80
    assert min(np.diff(ll)) > -1e-9
    assert ll[-1] - ll[0] > 0.5                              # and it climbs a lot from the k-means++ start


def test_gmm_e_and_m_steps_are_the_textbook_formulas():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 2, generator=g, dtype=torch.float64)
    model = gmm.initialise(gmm.Params(K=3), x, seed=0)
    r, ll = gmm.e_step(model, x)
    torch.testing.assert_close(r.sum(1), torch.ones(600, dtype=torch.float64))
    # responsibilities by hand with the 2×2 Gaussian density
    k = 1
    S, mu = model.covariances[k], model.means[k]
    d = x - mu
    dens = torch.exp(-0.5 * (d @ torch.linalg.inv(S) * d).sum(1)) / (2 * math.pi * torch.linalg.det(S).sqrt())
    all_dens = sum(model.weights[j] * torch.exp(-0.5 * ((x - model.means[j]) @ torch.linalg.inv(model.covariances[j])
                   * (x - model.means[j])).sum(1)) / (2 * math.pi * torch.linalg.det(model.covariances[j]).sqrt())
                   for j in range(3))
    torch.testing.assert_close(r[:, k], model.weights[k] * dens / all_dens)
    assert ll == pytest.approx(float(torch.log(all_dens).mean()))
    # hard assignments: the M step gives each group's mean and (biased) covariance
    labels = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    onehot = torch.nn.functional.one_hot(labels, 3).double()
    w, means, cov = gmm.m_step(x, onehot, reg=0)
    for j in range(3):
        xj = x[labels == j]
        torch.testing.assert_close(means[j], xj.mean(0))
        torch.testing.assert_close(cov[j], torch.cov(xj.T, correction=0))
        assert w[j] == pytest.approx(len(xj) / 600)


def test_rq_spline_inverts_and_its_log_det_is_the_derivative():
    g = torch.Generator().manual_seed(0)
    n, K, B = 500, 8, 3.0
    x = torch.linspace(-4, 4, n, dtype=torch.float64, requires_grad=True)
    # one spline for every point (rows expanded), so y must rise with x
    w, h, d = (torch.randn(1, k, generator=g, dtype=torch.float64).expand(n, k) for k in (K, K, K - 1))
    y, logdet = flow.rq_spline(x, w, h, d, B)
    slope = torch.autograd.grad(y.sum(), x)[0]               # dy/dx, elementwise
    torch.testing.assert_close(logdet, slope.log())
    assert (torch.diff(y) > 0).all()                          # monotone
    inside = x.abs() < B
    assert torch.equal(y[~inside], x[~inside])                # identity outside [−B, B]
    back, inv_logdet = flow.rq_spline(y.detach(), w, h, d, B, inverse=True)
    torch.testing.assert_close(back, x.detach())
    torch.testing.assert_close(inv_logdet, -logdet.detach())


def test_flow_log_det_is_the_jacobian_determinant_and_sampling_inverts():
    model = flow.Flow(layers=4, bins=6, hidden=16, seed=0).double()
    g = torch.Generator().manual_seed(1)
    for p in model.parameters():                              # a flow far from the identity
        p.data.normal_(0, 0.3, generator=g)
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    z, logdet = model(x)
    for i in range(len(x)):
        J = torch.autograd.functional.jacobian(lambda v: model(v[None])[0][0], x[i])
        assert float(logdet[i].detach()) == pytest.approx(float(torch.linalg.det(J).abs().log()), abs=1e-8)
    torch.testing.assert_close(model.inverse(z.detach()), x)


def test_autoregressive_is_the_chain_rule():
    model = autoregressive.MDN(K=3, hidden=8, seed=0)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    logits, m, log_s = model.conditional(x[:, 0])
    p1 = sum(torch.softmax(model.logits1, 0)[k] * torch.distributions.Normal(model.m1[k], model.log_s1[k].exp())
             .log_prob(x[:, 0]).exp() for k in range(3))
    p2 = (torch.softmax(logits, 1) * torch.distributions.Normal(m, log_s.exp()).log_prob(x[:, 1:]).exp()).sum(1)
    torch.testing.assert_close(autoregressive.log_density(model, x), (p1 * p2).log().detach())


def test_kde_bandwidth_by_cross_validation_and_by_option():
    recs = list(toy2d.train(toy2d.Config(model="kde", n_train=800, n_test=200)))
    pv = recs[-1].preview
    h = recs[-1].model.estimator.bandwidth.item()
    assert h == pv.bandwidth == pv.tried[int(np.argmax(pv.cv))]
    assert pv.tried[0] < h < pv.tried[-1]                    # an interior optimum of CV(h)
    fixed = fit(toy2d.Config(model="kde", params="bandwidth=0.3", n_train=800, n_test=200))
    assert fixed.estimator.bandwidth.item() == pytest.approx(0.3)
    assert len(fixed.estimator.points) == 800


def test_histogram_bins_by_leave_one_out_and_by_option():
    recs = list(toy2d.train(toy2d.Config(model="histogram", n_train=1500, n_test=200)))
    pv = recs[-1].preview
    assert pv.bins == pv.tried[int(np.argmax(pv.loo))] == recs[-1].model.estimator.bins
    assert 4 < pv.bins < 80
    assert fit(toy2d.Config(model="histogram", params="bins=17")).estimator.bins == 17


# ---------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("name", EXACT)
def test_records_seeds_save_and_load(name, tmp_path):
    cfg = quick_cfg(name, seed=5)
    recs = list(toy2d.train(cfg, seconds=0.2))
    assert recs[-1].done and not any(r.done for r in recs[:-1])
    assert all(isinstance(r.model, toy2d.Toy2D) for r in recs)
    assert all(set(r.losses) == {"loss"} for r in recs)
    assert recs[-1].metrics["test_nll"] is not None and math.isfinite(recs[-1].metrics["test_nll"])
    model = recs[-1].model
    a = toy2d.sample(model, 300, seed=1)
    assert a.shape == (300, 2) and torch.isfinite(a).all()
    torch.testing.assert_close(a, toy2d.sample(model, 300, seed=1))
    assert not torch.equal(a, toy2d.sample(model, 300, seed=2))
    # the same seed trains the same model
    torch.testing.assert_close(toy2d.sample(fit(cfg), 300, seed=1), a)
    toy2d.save(model, tmp_path / "m", {"test_nll": 1.0}, command="test")
    loaded = toy2d.load(tmp_path / "m")
    assert loaded.card["family"] == "toy2d" and loaded.card["estimator"] == name
    x = data.sample("moons", 100, seed=9)
    torch.testing.assert_close(loaded.log_prob(x), model.log_prob(x))
    torch.testing.assert_close(toy2d.sample(loaded, 300, seed=1), a)
    ev = toy2d.evaluate(loaded, n=300)
    assert ev["test_nll"] == pytest.approx(recs[-1].metrics["test_nll"], rel=1e-5)
    assert ev["evaluations_per_sample"] == (1 if name in ("autoregressive", "flow") else 0)


def test_closing_the_generator_stops_training():
    gen = toy2d.train(toy2d.Config(model="flow", params="steps=100000"), seconds=0.05)
    first = next(gen)
    steps = first.model.steps
    gen.close()
    assert first.model.steps == steps and not first.done


def test_config_errors_are_sentences():
    for kw, msg in [({"model": "nope"}, "unknown --model"), ({"data": "nope"}, "a shape"),
                    ({"params": "bins"}, "name=value"), ({"params": "width=3"}, "unknown name 'width'"),
                    ({"model": "kde", "params": "bandwidth=abc"}, "not a float"),
                    ({"model": "gmm", "params": "K=0"}, "K \\(components\\)"),
                    ({"seconds": 0}, "budget"), ({"device": "cuda"}, "CPU"), ({"n_train": 3}, "n_train")]:
        with pytest.raises(ValueError, match=msg):
            toy2d.Config(**kw).validate()
    cfg = toy2d.Config(model="flow", seconds=7, params="lr=0.001").validate()
    assert cfg.estimator_params().max_seconds == 7 and cfg.estimator_params().lr == 0.001


def test_taxonomy_and_desiderata_cover_every_estimator():
    assert sorted(leaf.name for leaf in toy2d.TAXONOMY) == sorted(toy2d.ESTIMATORS)
    assert sorted(row.name for row in toy2d.DESIDERATA) == sorted(toy2d.ESTIMATORS)
    for name in EXACT:
        assert toy2d.estimator(name).KIND == "exact"
        assert next(l for l in toy2d.TAXONOMY if l.name == name).path == ("Explicit density", "Tractable density")


def test_pictures_are_numpy_grids():
    for name in EXACT:
        model = fit(quick_cfg(name))
        pic = toy2d.estimator(name).picture(model.estimator, (-3, 3, -3, 3), 40)
        assert pic.log_density.shape == (40, 40) and isinstance(pic.log_density, np.ndarray)
    warped = flow.picture(fit(quick_cfg("flow")).estimator, (-3, 3, -3, 3), 20).warped_grid
    assert warped.shape == (26, 101, 2) and np.isfinite(warped).all()


# ---------------------------------------------------------------------------- command line
def test_cli_flags_map_onto_config_fields():
    from genmodels.__main__ import _config_parser
    args = vars(_config_parser(toy2d).parse_args(
        ["--model", "kde", "--data", "pts.npy", "--seed", "3", "--params", "bandwidth=0.2", "--out", "o"]))
    args.pop("out")
    cfg = toy2d.Config(**args)
    assert (cfg.model, cfg.data, cfg.seed, cfg.params) == ("kde", "pts.npy", 3, "bandwidth=0.2")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "genmodels", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_train_sample_eval(tmp_path):
    import genmodels
    if "toy2d" not in genmodels.FAMILIES:
        pytest.skip("genmodels.FAMILIES has no toy2d yet (the contract CLI lands with the core branch)")
    np.save(tmp_path / "train.npy", data.sample("thin_mixture", 1000, seed=0))
    np.save(tmp_path / "test.npy", data.sample("thin_mixture", 500, seed=1))
    r = _cli("train", "toy2d", "--model", "gmm", "--data", tmp_path / "train.npy", "--seed", "0", "--seconds", "5",
             "--out", tmp_path / "gmm")
    assert r.returncode == 0, r.stderr
    r = _cli("sample", tmp_path / "gmm", "--n", "300", "--seed", "1", "--out", tmp_path / "s.npy")
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "s.npy").shape == (300, 2)
    r = _cli("eval", tmp_path / "gmm", "--data", tmp_path / "test.npy")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout[r.stdout.index("{"):])
    assert {"test_nll", "train_seconds", "samples_per_second", "sample_distance"} <= set(out)
    r = _cli("train", "toy2d", "--model", "nope", "--out", tmp_path / "x")
    assert r.returncode == 2 and "unknown --model" in r.stderr


# ---------------------------------------------------------------------------- quality (slow)
@pytest.mark.slow
@pytest.mark.parametrize("name,within", [("gmm", 0.3), ("flow", 0.3), ("autoregressive", 0.3), ("kde", 0.6),
                                         ("histogram", None)])
def test_quality_on_the_thin_rotated_mixture(name, within):
    """At its defaults: held-out NLL within `within` nats of the true density's, and never below it
    beyond noise (three standard errors of the mean log-ratio): that would be a bug in the likelihood."""
    model = fit(toy2d.Config(model=name))
    test = data.load("thin_mixture", 2000, 2000, 0).test
    log_ratio = (data.true_log_density("thin_mixture", test) - model.log_prob(test).numpy())
    gap, se = log_ratio.mean(), log_ratio.std() / math.sqrt(len(test))
    assert gap > -3 * se, f"{name}: NLL {gap:.3f} nats below the truth (standard error {se:.3f})"
    if within is not None:
        assert gap < within, f"{name}: NLL {gap:.3f} nats above the truth"


def test_pictures_in_data_coordinates_carry_the_jacobian():
    for name in ("gmm", "autoregressive", "flow"):
        model = fit(quick_cfg(name, data="rings"))
        pic = toy2d.picture(model, (-3, 3, -2.5, 2.5), 30)
        X, Y = np.meshgrid(pic.xs, pic.ys)
        np.testing.assert_allclose(pic.log_density, model.log_prob(np.stack([X.ravel(), Y.ravel()], 1))
                                   .reshape(30, 30).numpy(), atol=1e-4, rtol=1e-4)
        assert pic.xs[0] == pytest.approx(-3) and pic.ys[-1] == pytest.approx(2.5)
    # the GMM's means come back in data coordinates: on the rings (radius 1 or 2), not standardised
    model = fit(toy2d.Config(model="gmm", data="rings", params="K=12", n_train=1000, n_test=200))
    radii = np.linalg.norm(toy2d.picture(model, (-3, 3, -3, 3), 10).means, axis=1)
    assert radii.max() > 1.5
    ar = toy2d.picture(fit(quick_cfg("autoregressive")), (-4, 4, -4, 4), 200)
    dx = ar.xs[1] - ar.xs[0]
    assert np.exp(ar.log_p1).sum() * dx == pytest.approx(1, abs=0.02)            # p(x₁) integrates to 1
    assert np.exp(ar.log_p2_given[:, 100]).sum() * (ar.ys[1] - ar.ys[0]) == pytest.approx(1, abs=0.02)


def test_evaluate_scores_against_the_truth_where_it_is_known(tmp_path):
    model = fit(toy2d.Config(model="gmm", params="K=5", n_train=1000, n_test=500))
    ev = toy2d.evaluate(model, n=500)
    test = data.load("thin_mixture", 1000, 500, 0).test
    assert ev["true_nll"] == pytest.approx(-data.true_log_density("thin_mixture", test).mean())
    assert ev["nll_gap"] == pytest.approx(ev["test_nll"] - ev["true_nll"])
    assert 0 < ev["nll_gap"] < 0.2
    assert ev["sample_distance"] < ev["sample_distance_gaussian"]     # beats one fitted Gaussian
    assert ev["ms_per_1000"] > 0 and ev["samples_per_second"] == pytest.approx(1e6 / ev["ms_per_1000"])
    other = toy2d.evaluate(model, n=500, data="moons")                # another shape: no truth to compare
    assert "true_nll" not in other and other["test_nll"] > ev["test_nll"] + 1
    np.save(tmp_path / "t.npy", test)
    assert toy2d.evaluate(model, n=500, data=str(tmp_path / "t.npy"))["test_nll"] == pytest.approx(ev["test_nll"])
    with pytest.raises(ValueError, match="not found"):
        toy2d.evaluate(model, data=str(tmp_path / "missing.npy"))
