"""DCGAN model side: the losses as the tab writes them, and the mode-collapse alarm rule."""
import math

import pytest
import torch
from torch import nn

from genmodels import dcgan


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
    for r in dcgan.train(cfg, log_every=5, preview_every=5):
        steps.append(r.step)
        ratios.append(r.preview["diversity"] / r.preview["real_diversity"])
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

    def gap(ema_age):
        *_, last = dcgan.train(cfg, log_every=20, preview_every=20, ema_age=ema_age)
        G, _, G_ema = last.preview["networks"]
        return sum(float((a - b).detach().abs().sum()) for a, b in zip(G.parameters(), G_ema.parameters()))

    assert gap(0) < 0.2 * gap(None)


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
