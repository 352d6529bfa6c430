"""PixelCNN: masks, exact likelihood, sampling, completion, training, CLI, the shipped checkpoint."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT
from genmodels import checkpoints, data
from genmodels import pixelcnn as P

TINY = dict(channels=8, layers=2, head=16)


def _tiny(arch="gated", seed=0, **kw):
    return P.build(P.Config(arch=arch, seed=seed, **{**TINY, **kw})).eval()


def _binary(n, seed=0):
    return torch.bernoulli(torch.full((n, 28, 28), 0.5), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("arch", ["gated", "plain"])
def test_output_at_pixel_k_never_depends_on_inputs_at_or_after_k(arch):
    model = _tiny(arch, layers=3)
    x = _binary(1).requires_grad_(True)
    for i, j in [(0, 0), (0, 27), (5, 7), (13, 20), (27, 0), (27, 27)]:
        x.grad = None
        model(x)[0, i, j].backward()
        seen = x.grad[0] != 0
        assert not (seen & ~P.ordering_before(i, j)).any(), (arch, i, j)   # nothing from x_≥k
        rf = P.receptive_field(model, i, j)
        assert not (rf & ~P.ordering_before(i, j)).any(), (arch, i, j)
        assert seen.any() or (i, j) == (0, 0)
    assert not P.receptive_field(model, 0, 0).any()                        # x_1 depends on nothing


def test_gated_stack_has_no_blind_spot_the_plain_stack_has_one():
    i, j = 14, 10
    for layers in (2, 4):
        cfg = dict(channels=4, layers=layers, head=4, kernel=3, first_kernel=7)
        reach = 7 // 2 + layers * (3 // 2)
        rows, cols = torch.meshgrid(torch.arange(28), torch.arange(28), indexing="ij")
        window = (rows >= i - reach) & (cols >= j - reach) & (cols <= j + reach)
        gated = P.receptive_field(P.Config(arch="gated", **cfg), i, j)
        plain = P.receptive_field(P.Config(arch="plain", **cfg), i, j)
        # gated: every earlier pixel inside the reach of its kernels, nothing else
        assert torch.equal(gated, P.ordering_before(i, j) & window)
        # plain: a subset, missing the pixels up and to the right (the blind spot)
        assert not (plain & ~gated).any()
        blind = gated & ~plain
        assert blind.any()
        assert bool(blind[i - 1, j + 7 // 2 + 1]) and not blind[i].any()
        assert (cols[blind] > j).all()


def test_nll_is_the_sum_of_per_pixel_bernoulli_log_probabilities():
    model = _tiny(layers=1)
    x = _binary(3, seed=4)
    with torch.no_grad():
        p = torch.sigmoid(model(x).double())
    by_hand = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=(1, 2))
    got = P.nll(model, x)
    assert torch.allclose(got.double(), by_hand, rtol=1e-5)
    assert math.isclose(P.bits_per_dim(float(got[0])), float(got[0]) / (784 * math.log(2)))
    # an untrained net (logits ≈ 0) is near the uniform model's 784 · ln 2 nats
    assert abs(float(got.mean()) - 784 * math.log(2)) < 60


def test_nll_refuses_non_binary_images_with_a_message():
    model = _tiny()
    with pytest.raises(ValueError, match="binary"):
        P.nll(model, torch.full((1, 28, 28), 0.3))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        P.nll(model, torch.zeros(1, 27, 28))


@pytest.mark.parametrize("arch", ["gated", "plain"])
def test_sampler_probabilities_equal_one_full_pass_on_the_result(arch):
    """The cached row-by-row sampler computes exactly p(x_k | x_<k) of the full network."""
    model = _tiny(arch, seed=1)
    for s in P.sample_steps(model, 2, seed=3, every=784):
        pass
    with torch.no_grad():
        full = torch.sigmoid(model(s.x))
    assert s.k == 783 and torch.allclose(s.p, full, atol=1e-5)


def test_sampling_is_deterministic_by_seed_and_binary():
    model = _tiny(seed=2)
    a, b, c = (P.sample(model, 3, seed=s) for s in (5, 5, 6))
    assert a.shape == (3, 1, 28, 28) and set(a.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_streamed_steps_fill_the_image_in_raster_order():
    model = _tiny()
    steps = list(P.sample_steps(model, 1, seed=0, every=100))
    assert [s.k for s in steps] == [99, 199, 299, 399, 499, 599, 699, 783]
    s = steps[0]
    assert (s.row, s.col) == (3, 15)
    drawn = ~torch.isnan(s.p[0])
    assert torch.equal(drawn, P.ordering_before(3, 16))     # pixels 0..99 have their probability
    assert (s.x[0][~drawn] == 0).all()


def test_completion_keeps_the_known_rows_and_samples_the_rest():
    model = _tiny(seed=3)
    x = data.binarized_mnist_test()[0][:2]
    y = P.complete(model, x, known_rows=20, n=3, seed=1)
    assert y.shape == (6, 28, 28)
    assert torch.equal(y[:, :20], x.repeat_interleave(3, 0)[:, :20])
    assert not torch.equal(y[0, 20:], y[1, 20:]) or not torch.equal(y[1, 20:], y[2, 20:])
    assert torch.equal(y, P.complete(model, x, known_rows=20, n=3, seed=1))
    assert torch.equal(P.complete(model, x, known_rows=28, n=1), x)
    with pytest.raises(ValueError, match="known_rows"):
        P.complete(model, x, known_rows=29)
    # grey levels in [0, 1] are binarized at ½ (the command line's complete verb); others refused
    grey = data.load("mnist", "test")[0][:1]
    assert torch.equal(P.complete(model, grey, known_rows=28), (grey > 0.5).float())
    for bad, message in ((grey * 3, r"\[0, 1\]"), (torch.zeros(1, 20, 28), r"\(N, 28, 28\)")):
        with pytest.raises(ValueError, match=message):
            P.complete(model, bad, known_rows=3)


def test_short_cpu_training_lowers_the_test_nll_and_records_carry_the_model():
    cfg = P.Config(**TINY, steps=40, batch_size=32, lr=1e-2, eval_images=100, device="cpu", seed=0)
    x_test = data.binarized_mnist_test()[0][:100]
    before = float(P.nll(P.build(cfg), x_test).mean())
    records = list(P.train(cfg, seconds=0, log_every=10, eval_every=20))
    assert [r.step for r in records] == [10, 20, 30, 40] and records[-1].done
    model = records[-1].model
    assert all(r.model is model for r in records) and isinstance(model, P.GatedPixelCNN)
    assert model.steps == 40 and model.cfg is cfg
    assert [r.preview.test_images for r in records] == [0, 100, 0, 100]
    assert set(records[0].losses) == {"loss"} and "test_nll" not in records[0].metrics
    after = records[-1].metrics["test_nll"]
    assert after < before - 100, (before, after)
    assert math.isclose(after, float(P.nll(model, x_test).mean()), rel_tol=1e-6)
    assert math.isclose(records[0].metrics["bits_per_dim"], P.bits_per_dim(records[0].losses["loss"]))
    # same seed, same run on the CPU; closing the generator stops at once; model= continues it
    gen = P.train(cfg, seconds=0, log_every=10, eval_every=20)
    first = next(gen)
    gen.close()
    assert first.step == 10 and first.losses["loss"] == records[0].losses["loss"]
    more = list(P.train(P.Config(**{**cfg.__dict__, "steps": 10}), model, seconds=0, log_every=10))
    assert more[-1].model is model and model.steps == 50


def test_save_load_evaluate_sample_through_the_contract(tmp_path):
    from genmodels import family
    assert family.missing(P) == [] and P.SAMPLE_OPTIONS == () and P.CARD_EVAL == {"n": 1000}
    assert [o.name for o in P.EVAL_OPTIONS] == ["data"]
    assert not [name for name in dir(P) if name.startswith("cli_")]
    model = _tiny(seed=4)
    model.steps = 7
    x = data.binarized_mnist_test()[0][:20]
    metrics = P.evaluate(model, n=20)
    assert metrics["test_images"] == 20 and math.isclose(metrics["test_nll"], float(P.nll(model, x).mean()), rel_tol=1e-6)
    card = P.save(model, tmp_path / "m", metrics, command="by hand", seconds=1.5)
    assert card["steps"] == 7 and card["metrics"] == metrics and card["command"] == "by hand"
    back = P.load(tmp_path / "m")
    assert back.steps == 7 and back.cfg == model.cfg and back.card["sha256"] == card["sha256"] and not back.training
    assert torch.equal(P.sample(back, 2, seed=3), P.sample(model, 2, seed=3))
    np.save(tmp_path / "x.npy", x[:3].numpy())
    assert math.isclose(P.evaluate(back, data=str(tmp_path / "x.npy"))["test_nll"], float(P.nll(model, x[:3]).mean()),
                        rel_tol=1e-6)
    assert P.evaluate(back, data=x[:3])["test_images"] == 3
    np.save(tmp_path / "grey.npy", np.full((1, 28, 28), 0.3, np.float32))
    with pytest.raises(ValueError, match="binary"):
        P.evaluate(back, data=str(tmp_path / "grey.npy"))
    with pytest.raises(ValueError, match="n must be"):
        P.sample(back, 0, seed=0)


def test_config_rejects_bad_values():
    for bad in (dict(arch="pixelrnn"), dict(kernel=4), dict(first_kernel=1), dict(channels=0), dict(lr=0.0)):
        with pytest.raises(ValueError):
            P.Config(**bad).validate()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "genmodels", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_cli_train_sample_eval_complete(tmp_path):
    out = tmp_path / "pcnn"
    r = _cli("train", "pixelcnn", "--channels", "8", "--layers", "2", "--head", "16", "--steps", "4",
             "--batch_size", "16", "--eval_images", "50", "--device", "cpu", "--out", str(out))
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "pcnn.json").read_text())
    assert card["family"] == "pixelcnn" and card["steps"] == 4 and card["device"] == "cpu"
    assert card["metrics"]["test_images"] == 1000 and 300 < card["metrics"]["test_nll"] < 700   # CARD_EVAL
    assert math.isclose(card["metrics"]["bits_per_dim"], card["metrics"]["test_nll"] / (784 * math.log(2)))

    r = _cli("sample", str(out), "--n", "2", "--seed", "1", "--out", str(tmp_path / "s.npy"))
    assert r.returncode == 0, r.stderr
    s = np.load(tmp_path / "s.npy")
    assert s.shape == (2, 28, 28) and set(np.unique(s)) <= {0.0, 1.0}

    r = _cli("eval", str(out), "--n", "1000")
    assert r.returncode == 0, r.stderr
    assert math.isclose(json.loads(r.stdout)["test_nll"], card["metrics"]["test_nll"], rel_tol=1e-5)
    np.save(tmp_path / "x.npy", data.binarized_mnist_test()[0][:3].numpy())
    r = _cli("eval", str(out), "--data", str(tmp_path / "x.npy"))
    assert r.returncode == 0, r.stderr
    model = P.load(out)
    assert math.isclose(json.loads(r.stdout)["test_nll"], float(P.nll(model, data.binarized_mnist_test()[0][:3]).mean()),
                        rel_tol=1e-5)

    grey = data.load("mnist", "test")[0][:2].numpy()       # in [0, 1], binarized at 0.5 by the verb
    np.save(tmp_path / "grey.npy", grey)
    r = _cli("complete", str(out), "--input", str(tmp_path / "grey.npy"), "--known-rows", "26", "--n", "2",
             "--seed", "0", "--out", str(tmp_path / "y.npy"))
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (4, 28, 28) and set(np.unique(y)) <= {0.0, 1.0}
    assert np.array_equal(y[:, :26], np.repeat(grey > 0.5, 2, axis=0)[:, :26])


def test_cli_complete_and_eval_errors_are_messages(tmp_path):
    out = tmp_path / "pcnn"
    P.save(_tiny(), out, metrics={})
    np.save(tmp_path / "ok.npy", np.zeros((1, 28, 28), np.float32))
    np.save(tmp_path / "shape.npy", np.zeros((2, 20, 28), np.float32))
    np.save(tmp_path / "range.npy", np.full((1, 28, 28), 3.0, np.float32))
    np.save(tmp_path / "grey.npy", np.full((1, 28, 28), 0.3, np.float32))
    (tmp_path / "junk.npy").write_text("not an array")
    cases = [
        (["complete", str(out), "--input", str(tmp_path / "shape.npy"), "--known-rows", "3", "--out", "y.npy"], "(N, 28, 28)"),
        (["complete", str(out), "--input", str(tmp_path / "range.npy"), "--known-rows", "3", "--out", "y.npy"], "[0, 1]"),
        (["complete", str(out), "--input", str(tmp_path / "junk.npy"), "--known-rows", "3", "--out", "y.npy"], "cannot read"),
        (["complete", str(out), "--input", str(tmp_path / "ok.npy"), "--known-rows", "29", "--out", "y.npy"], "0..28"),
        (["complete", str(out), "--input", str(tmp_path / "ok.npy"), "--known-rows", "3", "--n", "0", "--out", "y.npy"], "n must be"),
        (["complete", str(ROOT / "checkpoints" / "coin-gan-p0.3"), "--input", str(tmp_path / "ok.npy"),
          "--known-rows", "3", "--out", "y.npy"], "cannot complete"),
        (["eval", str(out), "--data", str(tmp_path / "grey.npy")], "binary"),
    ]
    for args, message in cases:
        r = _cli(*args)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


SHIPPED = ROOT / "checkpoints" / "pixelcnn-mnist"


@pytest.mark.slow
def test_shipped_checkpoint_test_nll_at_most_88_nats():
    if not checkpoints.paths(SHIPPED)[1].exists():
        pytest.skip("checkpoints/pixelcnn-mnist is not in this tree yet (trained on the GPU run)")
    model = P.load(SHIPPED)
    weights, _ = checkpoints.paths(SHIPPED)
    assert weights.stat().st_size <= 15 * 2**20
    x = data.binarized_mnist_test()[0][:1000]
    v = float(P.nll(model, x).mean())
    assert v <= 88.0, v
    # the card's 10k figure agrees with the 1k recomputation to within sampling noise
    card = model.card["metrics"]
    assert card["test_images"] == 10_000 and abs(card["test_nll"] - v) < 3.0
    assert math.isclose(card["bits_per_dim"], card["test_nll"] / (784 * math.log(2)), rel_tol=1e-6)


@pytest.mark.slow
def test_shipped_reference_matches_the_checkpoints_and_shows_the_known_failure():
    """checkpoints/runs/pixelcnn-reference.json (what the tab's likelihood views read) was made from the
    shipped checkpoints; recomputing a few of its numbers gives them back, and the simple images score
    likelier than most test digits, the blank image and the bar than ≥ 95% of them (the known failure
    the tab shows; measured: blank 32.6, bar 23.9, square 61.7 nats, the square likelier than 86%)."""
    import json as _json
    ref = _json.loads((ROOT / "checkpoints" / "runs" / "pixelcnn-reference.json").read_text())
    model = P.load(SHIPPED)
    assert ref["checkpoints"]["pixelcnn"] == model.card["sha256"]
    x = data.binarized_mnist_test()[0][:20]
    assert np.allclose(ref["nll"]["MNIST test digits"][:20], P.nll(model, x).numpy(), atol=0.05)
    assert np.allclose(ref["bounds"]["PixelCNN −log p(x)"][:20], P.nll(model, x).numpy(), atol=0.05)
    digits = ref["nll"]["MNIST test digits"]
    assert len(digits) == 1000 and 75 < np.mean(digits) < 95
    for name, nats in ref["simple"].items():
        assert math.isclose(nats, float(P.nll(model, P.simple_images()[name])[0]), abs_tol=0.05)
        assert P.share_below(digits, nats) < (0.05 if name != "a filled square" else 0.2), (name, nats)
    # the exact NLL is below the VAE's bounds on average, and the bounds tighten with k
    mean = {k: np.mean(v) for k, v in ref["bounds"].items()}
    assert mean["PixelCNN −log p(x)"] < mean["−L_100"] < mean["−L_10"] < mean["−L_1"]


@pytest.mark.slow
def test_shipped_checkpoint_samples_are_digit_like():
    """Samples from the shipped model: mostly classified confidently as digits by the MNIST classifier."""
    if not checkpoints.paths(SHIPPED)[1].exists():
        pytest.skip("checkpoints/pixelcnn-mnist is not in this tree yet (trained on the GPU run)")
    from genmodels import classifier
    model = P.load(SHIPPED)
    x = P.sample(model, 16, seed=0)[:, 0]
    net = classifier.load(ROOT / "checkpoints" / "classifier-mnist")
    with torch.no_grad():
        probs = net(x).softmax(1)
    ink = x.mean(dim=(1, 2))                       # binarized MNIST test digits: 0.03 … 0.45 of the pixels
    assert ((ink > 0.03) & (ink < 0.45)).all(), ink
    assert (probs.max(1).values > 0.9).float().mean() >= 0.5


# -- the tab's panels ------------------------------------------------------------------------------
def test_heat_colours_run_from_purple_to_yellow_and_mark_undrawn_pixels():
    c = P.heat_colours(np.array([0.0, 0.5, 1.0, np.nan]))
    assert c.dtype == np.uint8 and c.shape == (4, 3)
    assert tuple(c[0]) == (68, 1, 84) and tuple(c[2]) == (253, 231, 37) and tuple(c[3]) == P.UNDRAWN
    assert tuple(c[1]) == (33, 145, 140)                          # the middle anchor
    bar = P.heat_scale(100, 5)
    assert bar.shape == (5, 100, 3) and tuple(bar[0, 0]) == (68, 1, 84) and tuple(bar[0, -1]) == (253, 231, 37)


def test_chain_frames_show_the_images_filling_in_order_with_their_probabilities():
    model = _tiny(seed=5, layers=1)
    steps = list(P.sample_steps(model, 2, seed=2, every=300))
    frames = list(P.chain_frames(model, 2, seed=2, every=300, nrow=2, scale=1))
    assert [f.k for f in frames] == [299, 599, 783] and [f.done for f in frames] == [False, False, True]
    first, last = frames[0], frames[-1]
    assert first.images.shape == first.heat.shape == (30 + 2, 2 * 30 + 2, 3)
    tile = first.images[2:30, 2:30]                               # image 1 (pad 2, scale 1)
    r, c = divmod(300, 28)                                        # the next pixel, x_301
    assert tuple(tile[r, c]) == P.FIELD_COLOURS["pixel"]
    assert tuple(tile[27, 27]) == P.NOT_REACHED and tuple(first.heat[2 + 27, 2 + 27]) == P.UNDRAWN
    drawn = steps[0].x[0].numpy()[:r]
    assert np.array_equal(tile[:r, :, 0], (drawn * 255).astype(np.uint8))
    assert np.array_equal(first.heat[2:30, 2:30][:r], P.heat_colours(steps[0].p[0].numpy())[:r])
    assert np.allclose(first.p_last, steps[0].p[:, 299 // 28, 299 % 28].numpy())
    # the same seed draws the same images as sample_steps (and so as sample)
    assert np.array_equal(last.images[2:30, 2:30, 0], (steps[-1].x[0].numpy() * 255).astype(np.uint8))
    for bad in (dict(n=0), dict(n=65), dict(every=0)):
        with pytest.raises(ValueError):
            next(P.chain_frames(model, **{"n": 4, "seed": 0, **bad}))


def test_pixel_at_inverts_the_scaled_picture_and_clamps():
    assert P.pixel_at(0, 0) == (0, 0)
    assert P.pixel_at(5 * 12 + 11, 3 * 12) == (3, 5)
    assert P.pixel_at(10_000, -4) == (0, 27)


@pytest.mark.parametrize("arch", ["plain", "gated"])
def test_field_panel_colours_the_receptive_field_and_counts_the_blind_spot(arch):
    cfg = P.Config(layers=3)
    img, st = P.field_panel(cfg, arch, 12, 9, scale=2)
    assert img.shape == (56, 56, 3)
    seen = P.receptive_field(P.field_shape(cfg, arch), 12, 9).numpy()
    core = img[1::2, 1::2]                                        # pixel centres, away from the grid lines
    blue = np.all(core == np.array(P.FIELD_COLOURS["field"], np.uint8), axis=-1)
    assert np.array_equal(blue, seen)
    assert tuple(core[12, 9]) == P.FIELD_COLOURS["pixel"]
    assert tuple(core[12, 10]) == P.FIELD_COLOURS["after"] and tuple(core[27, 0]) == P.FIELD_COLOURS["after"]
    orange = np.all(core == np.array(P.FIELD_COLOURS["blind"], np.uint8), axis=-1)
    assert st.seen == seen.sum() and st.blind == orange.sum() and st.before == 12 * 28 + 9
    assert st.reach == st.seen + st.blind
    if arch == "gated":
        assert st.blind == 0
    else:
        assert st.blind > 0 and orange[11, 9 + 7 // 2 + 1]          # up a row, just right of the mask-A window
    for bad in ((28, 0), (0, -1), (1.5, 2)):
        with pytest.raises(ValueError, match="0..27"):
            P.field_panel(cfg, arch, *bad)


def test_prefix_nll_is_the_first_factors_of_the_chain_rule():
    model = _tiny(seed=6)
    x = _binary(2, seed=1)
    with torch.no_grad():
        p = torch.sigmoid(model(x).double())
    per_pixel = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))
    for rows in (0, 1, 14, 28):
        assert torch.allclose(P.prefix_nll(model, x, rows).double(), per_pixel[:, :rows].sum(dim=(1, 2)), rtol=1e-5)
    assert torch.allclose(P.prefix_nll(model, x, 28), P.nll(model, x), rtol=1e-5)
    with pytest.raises(ValueError, match="0..28"):
        P.prefix_nll(model, x, 29)


def test_completion_panel_keeps_the_rows_above_and_scores_them():
    model = _tiny(seed=7, layers=1)
    x = data.binarized_mnist_test()[0][5]
    c = P.completion_panel(model, x.numpy(), 20, 3, seed=3, nrow=2, scale=1)
    y = P.complete(model, x, 20, 3, seed=3)
    assert c.grid.shape == (2 * 30 + 2, 2 * 30 + 2, 3) and c.given.shape == (56, 56, 3)
    tile = c.grid[2:30, 2:30]
    assert np.array_equal(tile[:19, :, 0], (y[0, :19].numpy() * 255).astype(np.uint8))
    assert tuple(tile[20, 5]) == P.FIELD_COLOURS["pixel"]          # the red line at row R
    assert math.isclose(c.nll_known, float(P.prefix_nll(model, x, 20)[0]), rel_tol=1e-5)
    assert math.isclose(c.original_nll, float(P.nll(model, x)[0]), rel_tol=1e-5)
    assert np.allclose(c.nll, P.nll(model, y).numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="n must be"):
        P.completion_panel(model, x, 10, 17)


def test_binary_input_gives_the_test_digit_a_binarized_picture_or_a_simple_image():
    x = P.binary_input("test digit", index=42)
    assert np.array_equal(x, data.binarized_mnist_test()[0][42].numpy())
    grey = data.load("mnist", "test")[0][42].numpy()
    b = P.binary_input("drawing", grey=grey)
    assert set(np.unique(b)) <= {0.0, 1.0} and np.array_equal(b, P.binary_input("upload", grey=grey))
    assert b[grey == 0].sum() == 0 and b[grey == 1].all()          # each pixel 1 with probability its grey level
    assert P.binary_input("simple image", simple="blank (all black)").sum() == 0
    for kind, kw, message in (("test digit", dict(index=10_000), "0..9999"), ("drawing", {}, "no drawing"),
                              ("simple image", dict(simple="x"), "must be one of"), ("dream", {}, "must be one of")):
        with pytest.raises(ValueError, match=message):
            P.binary_input(kind, **kw)


def test_histogram_rows_and_share_below():
    rows = P.histogram_rows({"a": [1.0, 1.5, 900.0], "b": [-5.0]}, 0.0, 10.0, bins=5, x_name="v")
    a = [r for r in rows if r["images"] == "a"]
    assert len(a) == 5 and math.isclose(sum(r["share"] for r in a), 1.0)
    assert a[0]["v"] == 1.0 and math.isclose(a[0]["share"], 2 / 3) and math.isclose(a[-1]["share"], 1 / 3)
    assert [r["share"] for r in rows if r["images"] == "b"][0] == 1.0       # clipped into the first bin
    assert P.share_below([1, 2, 3, 4], 3) == 0.5 and P.share_below([], 1) == 0.0


def test_reference_is_cached_on_disk_per_checkpoint(tmp_path, monkeypatch):
    model = _tiny(seed=8)
    model.card = {"sha256": "abc"}
    calls = []

    def fake(m, v, **kw):
        calls.append(kw)
        return {"nll": {"MNIST test digits": [1.0]}, "simple": {}}
    monkeypatch.setattr(P, "reference", fake)
    path = tmp_path / "runs" / "ref.json"
    first = P.cached_reference(model, None, path)
    assert path.exists() and first["checkpoints"] == {"pixelcnn": "abc", "vae": None} and len(calls) == 1
    assert P.cached_reference(model, None, path) == first and len(calls) == 1      # read back, not recomputed
    model.card = {"sha256": "def"}
    P.cached_reference(model, None, path)
    assert len(calls) == 2                                                          # another checkpoint: recomputed


def test_reference_scores_every_set_and_the_simple_images():
    model = _tiny(seed=9)
    ref = P.reference(model, None, n=5)
    assert set(ref["nll"]) == set(P.reference_images(5)) and "MNIST test digits" in ref["nll"]
    assert all(len(v) == 5 for v in ref["nll"].values())
    assert math.isclose(ref["nll"]["MNIST test digits"][0], float(P.nll(model, data.binarized_mnist_test()[0][:1])[0]),
                        abs_tol=1e-3)
    assert set(ref["simple"]) == set(P.simple_images()) and "bounds" not in ref


def test_vae_bounds_tighten_with_k_on_the_binarized_vae():
    from genmodels import vae
    path = ROOT / "checkpoints" / "vae-bin-mnist"
    if not checkpoints.paths(path)[1].exists():
        pytest.skip("checkpoints/vae-bin-mnist is not in this tree")
    v = P.load_vae(path)
    x = data.binarized_mnist_test()[0][:50]
    b = P.vae_bounds(v, x, seed=1)
    assert list(b) == ["−ELBO", "−L_1", "−L_10", "−L_100"]
    assert np.allclose(b["−ELBO"], vae.neg_elbo(v, x, seed=1).numpy())
    # the card over 10,000 digits: −L_1 91.7, −L_10 89.1, −L_100 88.1; on 50 the noise is ~0.5 nats
    assert b["−L_100"].mean() < b["−L_1"].mean() - 1 and b["−L_10"].mean() < b["−L_1"].mean() - 1
    assert 40 < b["−L_100"].mean() < 200


def test_live_run_redraws_samples_after_each_test_evaluation():
    cfg = P.Config(**{**P.LIVE_CONFIG.__dict__, "channels": 8, "layers": 1, "head": 16, "steps": 30, "eval_images": 50})
    frames = list(P.live_run(cfg, seconds=0, eval_every=15, n_samples=2))
    assert frames[-1].done and frames[-1].step == 30 and frames[-1].model.steps == 30
    assert [s for s, _ in frames[-1].test_nll] == [15, 30] and [s for s, _ in frames[-1].loss] == [10, 15, 20, 30]
    assert frames[0].samples is None and frames[-1].samples.shape == (3 * 32, 3 * 62, 3) and frames[-1].test_images == 50
    assert frames[-1].model.training is True                           # sampling put it back to training
