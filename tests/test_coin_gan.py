import json
import math

import pytest
import torch

from genmodels import coin_gan
from genmodels.checkpoints import CHECKPOINT_DIR
from genmodels.coin_gan import Config

ARRIVAL = CHECKPOINT_DIR / "runs" / "coin-gan-arrival.json"


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.G.parameters()])


def _build(cfg):
    model = coin_gan.build(cfg)
    return model.G, model.D


def test_shapes_and_flip_reading():
    G, D = _build(Config())
    assert G(torch.zeros(5, 1)).shape == (5, 1)
    assert D(torch.zeros(5, 1)).shape == (5, 1)
    with torch.no_grad():
        d = D(torch.rand(7, 1))
    assert 0 <= float(d.min()) and float(d.max()) <= 1
    assert coin_gan.to_flips(torch.tensor([-1.0, 0.49, 0.51, 2.0])).tolist() == [0, 0, 1, 1]


def test_losses_are_the_slide_equations():
    G, D = _build(Config(batch_feature=False))
    x_real, x_fake = torch.tensor([[1.0], [0.0], [1.0]]), torch.tensor([[0.2], [0.9]])
    d_r, d_f = D(x_real), D(x_fake)
    expected_d = -torch.log(d_r).mean() - torch.log(1 - d_f).mean()   # l(D(x),1) + l(D(G(z)),0)
    expected_g = -torch.log(d_f).mean()                                # l(D(G(z)),1)
    assert torch.allclose(coin_gan.d_loss(D, x_real, x_fake), expected_d, atol=1e-6)
    assert torch.allclose(coin_gan.g_loss(D, x_fake), expected_g, atol=1e-6)


def test_heads_fraction_counts_forward_and_passes_gradient():
    x = torch.tensor([0.1, 0.7, 0.9, 0.2], requires_grad=True)
    f = coin_gan.heads_fraction(x)
    assert float(f) == pytest.approx(0.5)
    f.backward()
    assert torch.allclose(x.grad, torch.full((4,), 0.25))


def test_same_seed_same_run_different_seed_different_run():
    a = coin_gan.run(Config(p_heads=0.3, steps=60, seed=7), log_every=20, seconds=0)
    b = coin_gan.run(Config(p_heads=0.3, steps=60, seed=7), log_every=20, seconds=0)
    c = coin_gan.run(Config(p_heads=0.3, steps=60, seed=8), log_every=20, seconds=0)
    assert torch.equal(_weights(a[0]), _weights(b[0]))
    assert [r.losses for r in a[1]] == [r.losses for r in b[1]]
    assert not torch.equal(_weights(a[0]), _weights(c[0]))


def test_short_training_moves_toward_p():
    cfg = Config(p_heads=0.8, steps=400, seed=1)
    before = abs(float(coin_gan.sample(coin_gan.build(cfg), 20_000, seed=0).mean()) - 0.8)
    model, records = coin_gan.run(cfg, log_every=50)
    after = coin_gan.evaluate(model, n=20_000)["gap"]
    assert all(r.model is model for r in records) and model.steps == 400
    assert after < 0.05 and after < before / 3
    assert records[-1].done and records[-1].step == 400


def test_closing_the_generator_stops_training():
    gen = coin_gan.train(Config(steps=5000), log_every=10, seconds=0)
    first = next(gen)
    gen.close()
    assert first.step == 10
    with pytest.raises(StopIteration):
        next(gen)


def test_collapse_detector():
    assert coin_gan.collapse(1.0) == "all heads" and coin_gan.collapse(0.0) == "all tails"
    assert coin_gan.collapse(0.3) is None


def _constant_D(d: float, batch_feature: bool = True):
    """A discriminator that says d for every input."""
    _, D = _build(Config(batch_feature=batch_feature))
    with torch.no_grad():
        D.net[2].weight.zero_()
        D.net[2].bias.fill_(math.log(d / (1 - d)))
    return D


def test_saturating_and_non_saturating_g_loss_on_known_numbers():
    D = _constant_D(0.2)
    x_fake = torch.tensor([[0.1], [0.9], [0.4]])
    assert float(coin_gan.g_loss(D, x_fake, "saturating")) == pytest.approx(math.log(1 - 0.2), abs=1e-6)
    assert float(coin_gan.g_loss(D, x_fake, "non-saturating")) == pytest.approx(-math.log(0.2), abs=1e-6)
    assert float(coin_gan.d_loss(D, x_fake, x_fake)) == pytest.approx(-math.log(0.2) - math.log(0.8), abs=1e-6)
    # at the equilibrium D = 1/2 the losses sit on the reference lines the tab draws
    D = _constant_D(0.5)
    assert float(coin_gan.d_loss(D, x_fake, x_fake)) == pytest.approx(coin_gan.EQUILIBRIUM_LOSS_D)
    for kind in coin_gan.G_LOSSES:
        assert float(coin_gan.g_loss(D, x_fake, kind)) == pytest.approx(coin_gan.EQUILIBRIUM_LOSS_G[kind])
    with pytest.raises(ValueError, match="g_loss must be one of"):
        Config(g_loss="minimax").validate()


def test_saturating_g_loss_gives_a_flat_gradient_where_D_rejects_G():
    """The decks' min log(1 − D(G(z))): where D(G(z)) ≈ 0 its gradient vanishes, −log D's does not."""
    a = torch.tensor([-6.0], requires_grad=True)           # D(G(z)) = σ(−6) ≈ 0.0025
    sat = -torch.nn.functional.softplus(a)                 # log(1 − σ(a))
    (g_sat,) = torch.autograd.grad(sat.sum(), a)
    (g_ns,) = torch.autograd.grad(torch.nn.functional.softplus(-a).sum(), a)   # −log σ(a)
    assert abs(float(g_sat)) < 0.003 and abs(float(g_ns)) > 0.99


def test_saturating_run_trains_and_reports_its_loss():
    _, records = coin_gan.run(Config(p_heads=0.3, steps=200, seed=0, g_loss="saturating"), log_every=50)
    assert all(r.losses["loss_G"] < 0 for r in records)    # log(1 − D) is negative
    assert records[-1].step == 200


def test_collapse_alarm_rule():
    steps = list(range(10, 1001, 10))
    early = [1.0] * 12 + [0.0] * 3 + [0.3] * 85              # a healthy start: all-H / all-T up to step 150
    assert all(coin_gan.collapse_alarm(steps[:k], early[:k], 0.3) is None for k in range(1, 101))
    stuck = [0.3] * 30 + [1.0] * 70                         # all heads from step 310 on
    fired = [steps[k - 1] for k in range(1, 101) if coin_gan.collapse_alarm(steps[:k], stuck[:k], 0.3)]
    assert fired and fired[0] <= 310 + coin_gan.ALARM_WINDOW
    assert coin_gan.collapse_alarm(steps, stuck, 0.3) == "all heads"
    assert coin_gan.collapse_alarm(steps, [0.0, 1.0] * 50, 0.3) == "all heads and all tails in turn"
    # one stray reading does not fire it, one stray healthy reading does not silence it
    assert coin_gan.collapse_alarm(steps, [0.3] * 99 + [1.0], 0.3) is None
    assert coin_gan.collapse_alarm(steps, [0.0] * 99 + [0.3], 0.3) == "all tails"
    # at p = 0.01 a healthy 0.004 is not "all tails"; 0.0 is
    assert coin_gan.collapse_alarm(steps, [0.004] * 100, 0.01) is None
    assert coin_gan.collapse_alarm(steps, [0.0] * 100, 0.01) == "all tails"


def _alarms(cfg):
    fired, single = [], []
    for r in coin_gan.train(cfg, log_every=10, seconds=0):
        single.append(coin_gan.collapse(r.metrics["generated_p_heads"]) is not None)
        if r.preview.collapse:
            fired.append(r.step)
    return fired, single


def test_no_alarm_on_a_healthy_default_run():
    # seed 2 says all-H / all-T for its first ~130 steps: the old one-reading rule fired there
    fired, single = _alarms(Config(p_heads=0.3, seed=2))
    assert any(single[:15]) and fired == []


def test_alarm_on_a_collapsed_run():
    fired, _ = _alarms(Config(p_heads=0.3, seed=0, steps=400, batch_feature=False))
    assert fired and fired[0] >= coin_gan.ALARM_WARMUP


def test_d_curve_feeds_p_as_the_batch_feature():
    G, D = _build(Config(seed=3))
    pv = coin_gan.preview(G, D, 0.3)
    x = torch.tensor(pv.x).unsqueeze(1)
    assert float((x > 0.5).float().mean()) == pytest.approx(0.494, abs=1e-3)      # the grid's own fraction
    with torch.no_grad():
        at_p, own = D(x, 0.3).squeeze(1), D(x).squeeze(1)
    assert torch.allclose(torch.tensor(pv.D_x), at_p) and not torch.allclose(at_p, own)
    assert pv.h_bar == 0.3


def test_heads_region_follows_the_mapping():
    z = [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert coin_gan.heads_region(z, [0.0, 0.1, 0.2, 0.9, 1.0]) == "z > 0.25"
    assert coin_gan.heads_region(z, [1.0, 0.9, 0.2, 0.1, 0.0]) == "z < -0.25"
    assert coin_gan.heads_region(z, [0.0, 0.9, 1.0, 0.9, 0.0]) == "-0.75 < z < 0.75"
    assert coin_gan.heads_region(z, [1.0] * 5) == "every z" and coin_gan.heads_region(z, [0.0] * 5) == "no z"
    # the trained default run: the region holds a share p of z ~ N(0, 1)
    rows, pv = coin_gan.recorded_run(Config(), 10, ARRIVAL)
    cut = float(pv.heads_for.split()[-1])
    share = 0.5 * (1 + math.erf(cut / math.sqrt(2)))
    assert (share if "<" in pv.heads_for else 1 - share) == pytest.approx(0.3, abs=0.03)   # z grid step 0.1


def test_recorded_run_reads_back_and_retrains_on_new_settings(tmp_path):
    path = tmp_path / "run.json"
    cfg = Config(steps=40, seed=5)
    rows, pv = coin_gan.recorded_run(cfg, 10, path)
    assert [r["step"] for r in rows] == [10, 20, 30, 40] and isinstance(pv, coin_gan.Preview)
    assert coin_gan.recorded_run(cfg, 10, path) == (rows, pv)
    rows2, _ = coin_gan.recorded_run(Config(steps=40, seed=6), 10, path)
    assert rows2 != rows and json.loads(path.read_text())["key"]["config"]["seed"] == 6


def test_arrival_cache_is_the_default_run():
    """checkpoints/runs/coin-gan-arrival.json (what the tab shows on arrival) is what training gives now."""
    saved = json.loads(ARRIVAL.read_text())
    cfg = Config()
    assert saved["key"]["config"]["steps"] == cfg.steps and saved["key"]["log_every"] == 10
    fresh = [r.as_row() for r in coin_gan.train(cfg, log_every=10, seconds=0, preview_every=10**9)]
    assert [r["step"] for r in fresh] == [r["step"] for r in saved["rows"]]
    assert fresh[-1]["generated_p_heads"] == pytest.approx(saved["rows"][-1]["generated_p_heads"], abs=0.01)


def test_old_cards_with_minibatch_mean_still_load():
    model = coin_gan.load(CHECKPOINT_DIR / "coin-gan-p0.3")
    assert model.D.batch_feature and coin_gan.evaluate(model, n=20_000)["gap"] < 0.02
    assert model.card["config"]["minibatch_mean"] and model.steps == 1000


def test_config_validation_is_clear():
    with pytest.raises(ValueError, match="p_heads must be strictly between 0 and 1"):
        Config(p_heads=1.2).validate()
    with pytest.raises(ValueError, match="steps"):
        Config(steps=0).validate()


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_quality_bar_defaults_all_seeds(p):
    """Issue bar: with defaults, |P(H) - p| <= 0.02 on 100k flips, 5 seeds, none collapsed."""
    for seed in range(5):
        model, _ = coin_gan.run(Config(p_heads=p, seed=seed), log_every=250)
        m = coin_gan.evaluate(model, n=100_000)
        assert m["gap"] <= 0.02 and not m["collapsed"], (p, seed, m)


def test_throttled_records_carry_every_reading():
    """The tab asks for at most 15 records a second (frame_seconds); the readings held back arrive in
    the next record's preview, so the curves get every reading a full-rate run makes."""
    cfg = Config(steps=200, seed=4)
    full = [r.as_row() for r in coin_gan.train(cfg, log_every=5, seconds=0)]
    thinned = list(coin_gan.train(cfg, log_every=5, seconds=0, frame_seconds=1000.0))
    assert [r.step for r in thinned] == [5, 200]            # the first reading, then only the last
    assert [row for r in thinned for row in r.preview.readings] == full


def test_histogram_bins_and_their_labels_have_one_definition():
    """The tab's axis order (RAW_BIN_LABELS) names exactly the bins the preview counts in."""
    G, D = _build(Config())
    pv = coin_gan.preview(G, D, 0.3)
    assert pv.raw_labels == coin_gan.RAW_BIN_LABELS and len(pv.raw_counts) == coin_gan.RAW_BINS
    assert coin_gan.RAW_BIN_LABELS[:3] == ["-0.2", "-0.1", "0.0"] and sum(pv.raw_shares) == pytest.approx(1)
    assert coin_gan.bin_label(-0.01) == "0.0"


def test_contract_build_sample_save_load(tmp_path):
    from genmodels.family import missing

    assert missing(coin_gan) == []
    model = coin_gan.build(Config(seed=2))
    assert torch.equal(coin_gan.sample(model, 50, seed=1), coin_gan.sample(model, 50, seed=1))
    card = coin_gan.save(model, tmp_path / "c", coin_gan.evaluate(model, n=1000), command="test", seconds=1.0)
    back = coin_gan.load(tmp_path / "c")
    assert card["metrics"]["eval_flips"] == 1000 and back.card["command"] == "test"
    assert torch.equal(coin_gan.sample(back, 50, seed=1), coin_gan.sample(model, 50, seed=1))
