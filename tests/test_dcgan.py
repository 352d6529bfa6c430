"""DCGAN model side: the losses as the tab writes them, and the mode-collapse alarm rule."""
import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from genmodels import classifier, dcgan
from genmodels.family import missing


class ConstantD(nn.Module):
    """D whose logit is ``real`` for inputs > 0 and ``fake`` otherwise (inputs are constant images)."""

    def __init__(self, real: float, fake: float):
        super().__init__()
        self.real, self.fake = real, fake

    def forward(self, x):
        return torch.where(x.reshape(len(x), -1).mean(1) > 0, torch.tensor(self.real), torch.tensor(self.fake))


def test_losses_are_the_formulas_on_the_tab():
    D = ConstantD(real=1.5, fake=-0.5)
    x, x_fake = torch.ones(4, 1, 28, 28), -torch.ones(4, 1, 28, 28)
    d_x, d_gz = 1 / (1 + math.exp(-1.5)), 1 / (1 + math.exp(0.5))
    # Loss_D = −[log D(x) + log(1 − D(G(z)))]: minus the value function V(G, D) on one batch
    assert float(dcgan.d_loss(D, x, x_fake)) == pytest.approx(-(math.log(d_x) + math.log(1 - d_gz)), rel=1e-6)
    # Loss_G = −log D(G(z)), the non-saturating loss (not log(1 − D(G(z))))
    assert float(dcgan.g_loss(D, x_fake)) == pytest.approx(-math.log(d_gz), rel=1e-6)


def test_alarm_needs_the_warmup_and_a_sustained_low_ratio():
    w, p = dcgan.COLLAPSE_WARMUP, dcgan.COLLAPSE_PATIENCE
    low, ok = 0.2, 0.8
    # a fresh G: every check low, but all within the warm-up
    steps = list(range(10, w, 10))
    assert not dcgan.collapse_alarm(steps, [low] * len(steps))
    # after the warm-up: one or p − 1 low checks are not enough ...
    steps = [w + 10 * i for i in range(10)]
    assert not dcgan.collapse_alarm(steps, [ok] * 9 + [low])
    assert not dcgan.collapse_alarm(steps, [ok] * (10 - p + 1) + [low] * (p - 1))
    # ... p in a row are
    assert dcgan.collapse_alarm(steps, [ok] * (10 - p) + [low] * p)
    # a window that straddles the end of the warm-up does not count
    steps = [w - 20, w - 10] + [w + 10 * i for i in range(p - 1)]
    assert not dcgan.collapse_alarm(steps, [low] * len(steps))
    # and it clears when diversity comes back
    steps = [w + 10 * i for i in range(p + 1)]
    assert not dcgan.collapse_alarm(steps, [low] * p + [ok])
    assert not dcgan.collapse_alarm([], [])
    with pytest.raises(ValueError):
        dcgan.collapse_alarm([1, 2], [0.1])


def test_a_fresh_run_is_not_called_collapsed():
    """The false alarm of issue 12.5: from scratch the samples are a grey blur for the first
    steps, with a low diversity ratio, and that is not mode collapse."""
    cfg = dcgan.Config(ngf=8, ndf=8, d_dense=32, steps=50, batch_size=8, device="cpu", seed=0)
    steps, ratios = [], []
    for r in dcgan.train(cfg, seconds=0, log_every=5, preview_every=5):
        steps.append(r.step)
        ratios.append(r.preview.ratio)
        assert not dcgan.collapse_alarm(steps, ratios), (steps, ratios)
    assert min(ratios) < dcgan.COLLAPSE_RATIO          # the old rule (one check under 0.5) would have fired


def test_ema_warm_up_lets_the_monitor_see_G_early():
    """With decay 0.999 from the first step, G_ema keeps G's random initial weights for about a
    thousand steps (the monitor's grid stays noise); the warm-up min(decay, (1 + n) / (10 + n))
    follows G early and reaches the full decay later."""
    assert dcgan.ema_decay(0.999, 0) == pytest.approx(0.1)
    assert dcgan.ema_decay(0.999, 90) == pytest.approx(0.91)
    assert dcgan.ema_decay(0.999, 100_000) == 0.999
    cfg = dcgan.Config(ngf=16, ndf=16, d_dense=64, steps=20, batch_size=8, device="cpu", seed=0)

    def gap(warmup):
        *_, last = dcgan.train(dataclasses.replace(cfg, ema_warmup=warmup), log_every=20, preview_every=20)
        m = last.model
        return sum(float((a - b).detach().abs().sum()) for a, b in zip(m.G.parameters(), m.G_ema.parameters()))

    assert gap(True) < 0.2 * gap(False)


def test_grid_cell_inverts_the_sample_grid():
    """A click on the tab's sample grid (one picture of 8 × 4 digits) picks the digit under it."""
    from genmodels.common import grid, grid_cell
    n, nrow, pad, scale = 32, 8, 2, 3
    img = grid(torch.zeros(n, 28, 28), nrow=nrow, pad=pad, scale=scale)
    pitch = (28 + pad) * scale
    for i in range(n):
        r, c = divmod(i, nrow)
        x, y = (pad + c * (28 + pad) + 14) * scale, (pad + r * (28 + pad) + 14) * scale     # a digit's centre
        assert grid_cell(x, y, n, nrow, pad, scale) == i
        assert grid_cell(x + pitch / 2 - 1, y - pitch / 2 + 1, n, nrow, pad, scale) == i   # near its corner
    assert grid_cell(0, 0, n, nrow, pad, scale) == 0
    assert grid_cell(img.shape[1] - 1, img.shape[0] - 1, n, nrow, pad, scale) == n - 1


# -- moved from tests/test_families.py ------------------------------------------
def test_dcgan_shapes_and_seeded_sampling():
    model = dcgan.build(dcgan.Config(ngf=16, ndf=16))
    z = dcgan.noise(4, 100, seed=2)
    assert torch.equal(z, dcgan.noise(4, 100, seed=2))
    x = model.G(z)
    assert x.shape == (4, 1, 28, 28) and float(x.abs().max()) <= 1
    assert model.D(x).shape == (4,)
    s = dcgan.sample(model, 3, seed=1)
    assert s.shape == (3, 1, 28, 28) and 0 <= float(s.min()) and float(s.max()) <= 1
    assert torch.equal(s, dcgan.sample(model, 3, seed=1))


def test_shipped_dcgan_makes_recognisable_digits():
    model = dcgan.load("checkpoints/dcgan-mnist")
    assert model.steps == 10_499 and model.card["metrics"]["fld"] < 10
    x = dcgan.sample(model, 500, seed=0)
    net = classifier.load("checkpoints/classifier-mnist")
    with torch.no_grad():
        conf = net(x).softmax(1).max(1).values
    assert float(conf.mean()) > 0.9
    assert len(set(net(x).argmax(1).tolist())) == 10


def test_dcgan_arithmetic_interpolation_on_known_vectors():
    A = torch.tensor([[1.0, 0.0], [3.0, 0.0]])     # mean (2, 0)
    B = torch.tensor([[0.0, 1.0]])
    C = torch.tensor([[0.0, 0.0], [0.0, 4.0], [0.0, 2.0]])  # mean (0, 2)
    assert torch.allclose(dcgan.arithmetic(A, B, C), torch.tensor([2.0, 1.0]))
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    lin = dcgan.interpolate(z0, z1, 3, "linear")
    sph = dcgan.interpolate(z0, z1, 3, "spherical")
    assert torch.allclose(lin[1], torch.tensor([0.5, 0.5]))
    assert torch.allclose(sph[1], torch.tensor([2 ** -0.5, 2 ** -0.5]), atol=1e-6)   # stays on the unit circle
    assert torch.allclose(sph[0], z0) and torch.allclose(sph[-1], z1, atol=1e-6)
    nb = dcgan.neighbours(torch.zeros(100), 8, sigma=0.1, seed=0)
    assert nb.shape == (8, 100) and torch.equal(nb[0], torch.zeros(100)) and 0 < float(nb[1:].std()) < 0.2


# -- the contract ----------------------------------------------------------------
TINY = dict(ngf=8, ndf=8, d_dense=16, batch_size=8, device="cpu")


def test_follows_the_family_contract():
    assert missing(dcgan) == []
    assert [o.name for o in dcgan.SAMPLE_OPTIONS] == ["truncation"]          # tests/test_judge.py pins it
    assert dcgan.EVAL_OPTIONS == () and dcgan.CARD_EVAL == {}


def test_every_record_hands_out_the_live_model_and_closing_stops():
    """The tab keeps record.model from the first record on (Stop keeps it); closing stops at once."""
    gen = dcgan.train(dcgan.Config(**TINY, steps=1000), seconds=0, log_every=1, preview_every=2)
    first, second = next(gen), next(gen)
    gen.close()
    assert first.step == 1 and first.model is second.model and isinstance(first.model, dcgan.DCGAN)
    assert first.model.steps == 2 and first.preview is None and second.preview.grid.dtype == np.uint8
    assert set(first.losses) == {"loss_D", "loss_G"} and set(first.metrics) == {"D(x)", "D(G(z))"}
    with pytest.raises(StopIteration):
        next(gen)


def test_same_seed_same_run_and_continuing_counts_steps():
    cfg = dcgan.Config(**TINY, steps=4, seed=3)
    a = [r.losses for r in dcgan.train(cfg, seconds=0, log_every=1)]
    *_, last = dcgan.train(cfg, seconds=0, log_every=1)
    assert a == [r.losses for r in dcgan.train(cfg, seconds=0, log_every=1)]
    *_, more = dcgan.train(dataclasses.replace(cfg, steps=3), last.model, seconds=0)
    assert more.model is last.model and more.model.steps == 7
    with pytest.raises(ValueError, match="must match"):
        next(dcgan.train(dcgan.Config(**{**TINY, "ngf": 12}, steps=2), last.model))


def test_save_load_round_trip_and_the_shipped_card(tmp_path):
    *_, last = dcgan.train(dcgan.Config(**TINY, steps=3, seed=1), seconds=0)
    card = dcgan.save(last.model, tmp_path / "m", {"fld": 1.0}, command="test", seconds=2.0)
    back = dcgan.load(tmp_path / "m")
    assert card["steps"] == 3 and back.steps == 3 and back.card["metrics"] == {"fld": 1.0}
    assert torch.equal(dcgan.sample(back, 4, seed=0), dcgan.sample(last.model.cpu(), 4, seed=0))
    assert not back.training


def test_tab_pictures_are_the_samples():
    """What the tab shows (uint8 pictures, z as lists) is G_ema of the z the grid was drawn from."""
    from genmodels.common import grid

    model = dcgan.build(dcgan.Config(ngf=8, ndf=8, d_dense=16))
    G = dcgan.frozen(model)
    assert G is not model.G_ema and not G.training
    picture = dcgan.sample_grid(G, 5, n=8, nrow=4, pad=2, scale=1)
    assert picture.dtype == np.uint8 and picture.shape == (2 * 30 + 2, 4 * 30 + 2)
    z3 = dcgan.latent(5, 3, n=8)
    assert np.array_equal(dcgan.decode_grid(G, [z3], nrow=1, scale=1)[2:30, 2:30], picture[2:30, 3 * 30 + 2:4 * 30])
    means, around = dcgan.arithmetic_views(G, [z3], [z3], [z3], sigma=0.0)     # z3 − z3 + z3 = z3, σ = 0
    alone = dcgan.decode_grid(G, [z3], nrow=1, scale=3)
    cell = lambda pic, j, s: pic[2 * s:30 * s, (2 + 30 * j) * s:(30 + 30 * j) * s]  # noqa: E731
    assert means.shape[1] == (4 * 30 + 2) * 4 and around.shape[1] == (8 * 30 + 2) * 3
    assert all(np.array_equal(cell(around, j, 3), cell(alone, 0, 3)) for j in range(8))
    assert all(np.array_equal(cell(means, j, 4), cell(means, 0, 4)) for j in range(4))
    frames = dcgan.interpolation_frames(G, z3, dcgan.latent(5, 4, n=8), 5, "spherical")
    assert frames.shape == (5, 28, 28) and np.array_equal(grid(frames[:1], nrow=1, scale=1)[2:30, 2:30],
                                                          picture[2:30, 3 * 30 + 2:4 * 30])
    with pytest.raises(ValueError):
        dcgan.latent(5, 8, n=8)


def test_interpolation_gif_plays_there_and_back(tmp_path):
    from PIL import Image

    frames = np.linspace(0, 1, 4)[:, None, None] * np.ones((4, 28, 28))
    path = dcgan.write_gif(frames, tmp_path / "i.gif", size=56)
    with Image.open(path) as gif:
        assert gif.size == (56, 56) and gif.n_frames == 7     # 0 1 2 3 2 1 0: the turn is one frame, held twice as long
