"""Conditional GAN: shapes, the label and z as inputs, losses, short training, determinism, CLI, checkpoint."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT
from genmodels import cgan, data, family
from genmodels.common import to_model
from genmodels.metrics import fld, load_classifier

TINY = dict(nz=16, ngf=8, ndf=8, d_dense=16)


def _model(seed=0, **kw):
    return cgan.build(cgan.Config(**{**TINY, "seed": seed, **kw}))


def test_registered_and_shapes():
    assert family("cgan") is cgan
    m = _model()
    z, y = torch.randn(5, 16), torch.tensor([0, 3, 9, 3, 1])
    x = m.G(z, y)
    assert x.shape == (5, 1, 28, 28) and float(x.detach().abs().max()) <= 1
    assert m.D(x, y).shape == (5,)
    s = cgan.sample(m, 7, seed=0)
    assert s.shape == (7, 1, 28, 28) and 0 <= float(s.min()) and float(s.max()) <= 1
    assert cgan.style_content_grid(m, 4, seed=0).shape == (10, 4, 28, 28)
    assert cgan.label_interpolation(m, 1, 7, 5, seed=0).shape == (5, 28, 28)


def test_default_checkpoint_fits_15_mib():
    assert cgan.weights_bytes(cgan.Config()) <= 15 * 2**20


def test_projection_discriminator_is_psi_plus_inner_product():
    m = _model(ndf=8, d_dense=16)
    with torch.no_grad():
        m.D.embed.weight.normal_(0, 1, generator=torch.Generator().manual_seed(0))
    m.D.eval()
    x, y = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([2, 2, 5, 9])
    h = m.D.phi(x)
    expected = m.D.psi(h)[:, 0] + (m.D.embed.weight[y] * h).sum(1)
    assert torch.allclose(m.D(x, y), expected, atol=1e-6)
    assert not torch.allclose(m.D(x, y), m.D(x, torch.tensor([3, 3, 3, 3])))


def test_label_changes_output_at_fixed_z_and_z_at_fixed_label():
    m = _model()
    a, b = cgan.sample(m, 6, seed=1, label=3)[:, 0], cgan.sample(m, 6, seed=1, label=7)[:, 0]
    assert (a - b).abs().amax(dim=(1, 2)).min() > 1e-4                 # same z, other digit: every image moves
    c = cgan.sample(m, 6, seed=2, label=3)[:, 0]
    assert (a - c).abs().amax(dim=(1, 2)).min() > 1e-4                 # same digit, other z
    # the grid: row r, column j is G_ema(z_j, r), with the z of sample(..., seed) in column order
    grid = cgan.style_content_grid(m, 6, seed=1, digits=[3, 7])
    assert torch.allclose(grid[0], a, atol=1e-6) and torch.allclose(grid[1], b, atol=1e-6)
    # label interpolation at fixed z: its ends are the two digits of that z
    strip = cgan.label_interpolation(m, 3, 7, 4, seed=1, z_index=2)
    assert torch.allclose(strip[0], a[2], atol=1e-6) and torch.allclose(strip[-1], b[2], atol=1e-6)


def test_losses_match_their_formulas_on_known_logits():
    real, fake = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.0, 1.5])
    sig = torch.sigmoid
    d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    g = -torch.log(sig(fake)).mean()
    assert torch.isclose(cgan.d_loss_from_logits(real, fake), d, atol=1e-6)
    assert torch.isclose(cgan.g_loss_from_logits(fake), g, atol=1e-6)
    # at D(·) = 1/2 everywhere: 2 log 2 and log 2
    zero = torch.zeros(4)
    assert math.isclose(float(cgan.d_loss_from_logits(zero, zero)), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(float(cgan.g_loss_from_logits(zero)), math.log(2), rel_tol=1e-6)


def test_bad_labels_are_clear_errors():
    m = _model()
    for bad in (10, -1, [1, 2]):
        with pytest.raises(ValueError, match="digit|labels"):
            cgan.sample(m, 3, seed=0, label=bad)
    with pytest.raises(ValueError, match="0..9"):
        cgan.label_interpolation(m, 0, 11, seed=0)
    with pytest.raises(ValueError, match="d_dense"):
        cgan.Config(d_dense=0).validate()


def test_training_is_deterministic_by_seed_and_records_hand_out_the_model():
    cfg = cgan.Config(**TINY, steps=6, batch_size=16, device="cpu", seed=4)
    runs = []
    for _ in range(2):
        recs = list(cgan.train(cfg, seconds=0, log_every=2, preview_every=4))
        assert [r.step for r in recs] == [2, 4, 6] and recs[-1].done
        assert all(r.model is recs[0].model and isinstance(r.model, cgan.CGAN) for r in recs)
        assert recs[1].preview.grid is not None and recs[0].preview is None and recs[0].model.steps == 6
        assert set(recs[0].losses) == {"loss_D", "loss_G"}
        runs.append(([r.losses for r in recs], recs[-1].model.G_ema.state_dict()))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(v, runs[1][1][k]) for k, v in runs[0][1].items())
    other = list(cgan.train(cgan.Config(**TINY, steps=6, batch_size=16, device="cpu", seed=5), seconds=0,
                            log_every=2))
    assert [r.losses for r in other] != runs[0][0]


def test_closing_the_generator_stops_training():
    cfg = cgan.Config(**TINY, steps=1000, batch_size=8, device="cpu")
    gen = cgan.train(cfg, log_every=1)
    first = next(gen)
    gen.close()
    assert first.step == 1 and first.model.G is not None and first.model.steps == 1
    with pytest.raises(StopIteration):
        next(gen)


@pytest.mark.slow
def test_a_short_cpu_run_improves_g_and_teaches_d_the_label():
    """400 steps of a small cGAN: D's projection has learnt the label (on real test digits its
    logit is highest for the true y far more often than chance), and G's samples move towards
    the test digits (FLD falls; at 400 steps they are not digits yet, so accuracy is no signal)."""
    cfg = cgan.Config(nz=32, ngf=16, ndf=16, d_dense=64, steps=400, batch_size=64, device="cpu", seed=0, ema=0.9)
    net = load_classifier("mnist")
    x_test, y_test = data.load("mnist", "test")
    x_test, y_test = x_test[:500], y_test[:500].long()

    def scores(m):
        m.D.eval()
        with torch.no_grad():
            logits = torch.stack([m.D(to_model(x_test), torch.full_like(y_test, k)) for k in range(10)], 1)
        return fld(x_test, cgan.sample(m, 500, seed=0), net), float((logits.argmax(1) == y_test).float().mean())

    fld_before, picks_before = scores(cgan.build(cfg))
    *_, last = cgan.train(cfg, log_every=100)
    fld_after, picks_after = scores(last.model)
    # measured (seed 0, this CPU): FLD 923.9 -> 890.0; D picks the true label 0.074 -> 0.816
    assert fld_after < fld_before, (fld_before, fld_after)
    assert picks_after >= 0.6 and picks_after > picks_before + 0.3, (picks_before, picks_after)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "genmodels", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_cli_train_sample_label_eval(tmp_path):
    out = tmp_path / "c"
    r = _cli("train", "cgan", "--steps", "4", "--batch_size", "8", "--nz", "16", "--ngf", "8", "--ndf", "8",
             "--d_dense", "16", "--device", "cpu", "--out", str(out))
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "c.json").read_text())
    assert card["family"] == "cgan" and card["steps"] == 4 and card["config"]["ngf"] == 8
    r = _cli("sample", str(out), "--n", "6", "--seed", "1", "--label", "7", "--out", str(tmp_path / "s.npy"))
    assert r.returncode == 0, r.stderr
    s = np.load(tmp_path / "s.npy")
    model = cgan.load(out)
    assert s.shape == (6, 28, 28)                    # the CLI writes (N, 28, 28) .npy images
    assert np.array_equal(s, cgan.sample(model, 6, seed=1, label=7).numpy()[:, 0])
    r = _cli("sample", str(out), "--n", "3", "--label", "10", "--out", str(tmp_path / "x.npy"))
    assert r.returncode == 2 and "must be a digit 0-9" in r.stderr and "Traceback" not in r.stderr
    r = _cli("eval", str(out), "--n", "50")
    assert r.returncode == 2 and "n must be in 100..1000000" in r.stderr and "Traceback" not in r.stderr
    r = _cli("eval", str(out), "--n", "100")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert len(m["class_accuracy"]) == len(m["class_fld"]) == 10 and m["eval_samples"] == 100
    assert m["min_class_accuracy"] == min(m["class_accuracy"]) and m["fld"] > 0
    assert json.loads((tmp_path / "c.json").read_text())["metrics"]["class_fld"] == m["class_fld"]


@pytest.mark.slow
def test_shipped_checkpoint_makes_the_asked_for_digit():
    """checkpoints/cgan-mnist: ≥ 95% of the samples asked to be k are classified as k, for every k."""
    model = cgan.load(ROOT / "checkpoints" / "cgan-mnist")
    card = model.card
    y = cgan.cycle_labels(500)
    acc = cgan.class_accuracy(cgan.sample(model, 500, seed=123)[:, 0], y, load_classifier("mnist"))
    assert min(acc) >= 0.95, acc
    assert min(card["metrics"]["class_accuracy"]) >= 0.95
    assert card["metrics"]["fld"] < 15, card["metrics"]["fld"]
    weights = ROOT / "checkpoints" / "cgan-mnist.safetensors"
    assert weights.stat().st_size <= 15 * 2**20



def test_continuing_needs_the_same_architecture():
    gen = cgan.train(cgan.Config(**{**TINY, "ngf": 12}, steps=2, device="cpu"), model=_model())
    with pytest.raises(ValueError, match="must match the model being continued"):
        next(gen)


def test_follows_the_family_contract(tmp_path):
    from genmodels.family import Option, missing

    assert missing(cgan) == []
    assert cgan.SAMPLE_OPTIONS == (Option("label", int, None, cgan.SAMPLE_OPTIONS[0].help),)
    m = _model(seed=2)
    m.steps = 5
    card = cgan.save(m, tmp_path / "c", {"fld": 2.0}, command="test", seconds=1.0)
    back = cgan.load(tmp_path / "c")
    assert card["steps"] == 5 and back.steps == 5 and back.card["command"] == "test" and not back.training
    assert torch.equal(cgan.sample(back, 4, seed=0, label=1), cgan.sample(m.eval(), 4, seed=0, label=1))
    with pytest.raises(ValueError, match="must be a digit 0-9"):
        cgan.sample(m, 2, seed=0, label=10)


def test_tab_pictures_are_the_grid_and_its_styles():
    """The "choose the digit" section's pictures: strips per digit, the label interpolation between
    two cells of the same column, the arithmetic on columns with the label held."""
    from genmodels.common import grid

    m = _model().eval()
    strips = cgan.style_content_strips(m, 4, seed=3, scale=1)
    cells = cgan.style_content_grid(m, 4, seed=3)
    assert len(strips) == 10 and all(s.dtype == np.uint8 and s.shape == (30 + 2, 4 * 30 + 2) for s in strips)
    assert np.array_equal(strips[7], grid(cells[7], nrow=4, scale=1))
    strip = cgan.label_interpolation_strip(m, 2, 5, 3, seed=3, z_index=1, scale=1)
    assert np.array_equal(strip[:, :32], grid(cells[2, 1:2], nrow=1, scale=1)[:, :32])     # t = 0: digit 2, z_2
    assert np.array_equal(strip[:, -30:], grid(cells[5, 1:2], nrow=1, scale=1)[:, -30:])   # t = 1: digit 5, z_2
    four, every = cgan.label_arithmetic(m, 1, 1, 2, 4, seed=3, n_styles=4, scale=1)       # z_1 − z_1 + z_2 = z_2
    cell = lambda pic, j, s=1: pic[2 * s:30 * s:s, (2 + 30 * j) * s:(30 + 30 * j) * s:s]  # noqa: E731
    assert np.array_equal(cell(four, 0), cell(strips[4], 1)) and np.array_equal(cell(four, 2), cell(strips[4], 2))
    assert np.abs(cell(four, 3).astype(int) - cell(strips[4], 2)).max() <= 1
    assert all(np.abs(cell(every, k, 2).astype(int) - cell(strips[k], 2)).max() <= 1 for k in range(10))
    with pytest.raises(ValueError, match="column"):
        cgan.label_arithmetic(m, 0, 1, 4, 4, seed=3, n_styles=4)
    with pytest.raises(ValueError, match="digit 0-9"):
        cgan.label_arithmetic(m, 0, 1, 2, 12, seed=3, n_styles=4)


def test_card_scores_read_the_card():
    overall, per = cgan.card_scores(json.loads((ROOT / "checkpoints" / "cgan-mnist.json").read_text()))
    assert overall["eval_samples"] == 10_000 and overall["min_class_accuracy"] >= 0.95
    assert [r["digit"] for r in per] == list(range(10)) and all(r["accuracy"] >= 0.95 for r in per)
    assert cgan.card_scores({})[1][3] == {"digit": 3, "accuracy": None, "fld": None, "fld_floor": None}
