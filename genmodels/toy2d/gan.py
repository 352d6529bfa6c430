"""A GAN on 2-D points: the implicit model of the taxonomy (Goodfellow et al. 2014).

G(z) maps noise z ~ p_z = N(0, I₂) to a point; D(x) is the probability that x came from p_data
rather than from G. They play

    min_G max_D  V(G, D) = E_{x∼p_data}[log D(x)] + E_{z∼p_z}[log(1 − D(G(z)))]

with the losses the code runs (means over a batch of m points):

    L_D = −(1/m) Σ [log D(x) + log(1 − D(G(z)))]          (= −V)
    L_G = −(1/m) Σ log D(G(z))                              (non-saturating)

G defines p_model only through its samples: there is no density to evaluate (``log_density``
raises). What the tab shows, as GAN Lab does: D's decision surface D(x) on a grid behind the
points (½ everywhere at the equilibrium p_model = p_data), and G's mapping of a grid of z.
Works in standardised coordinates (the package handles the scaling).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..common import Deadline, cosine
from . import seeded_build
from ..progress import Cadence, Record

KIND = "implicit"
evaluations_per_sample = 1          # one pass through G


@dataclass
class Params:
    hidden: int = 128               # units per hidden layer of G and D
    z_dim: int = 2                  # the latent z ∈ R^2, so that its grid can be drawn
    lr: float = 1e-3                # Adam, β1 = 0.5 (as DCGAN)
    batch: int = 256
    steps: int = 4000               # optimizer steps of D and of G
    max_seconds: float = 30.0       # wall-time budget

    def validate(self) -> "Params":
        if not (8 <= self.hidden <= 1024 and 1 <= self.z_dim <= 16 and 0 < self.lr < 1
                and 8 <= self.batch <= 4096 and self.steps >= 1 and self.max_seconds > 0):
            raise ValueError(f"gan: parameters out of range: {self}")
        return self


class GAN(nn.Module):
    """G: z ↦ x and D: x ↦ logit of D(x), MLPs with LeakyReLU."""

    def __init__(self, params: Params):
        super().__init__()
        h = params.hidden
        self.params = params
        self.G = nn.Sequential(nn.Linear(params.z_dim, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2),
                               nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 2))
        self.D = nn.Sequential(nn.Linear(2, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2),
                               nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 1))
        self.steps = 0


def d_loss(logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    """L_D = −mean[log D(x) + log(1 − D(G(z)))], with D = σ(logit) (log-sigmoid for stability)."""
    return -(F.logsigmoid(logit_real).mean() + F.logsigmoid(-logit_fake).mean())


def g_loss(logit_fake: torch.Tensor) -> torch.Tensor:
    """L_G = −mean log D(G(z)) (non-saturating)."""
    return -F.logsigmoid(logit_fake).mean()


@dataclass
class Preview:
    D_real: float                   # mean D(x) over the batch of data
    D_fake: float                   # mean D(G(z)) over the batch of samples


def build(params: Params, *, seed: int = 0) -> GAN:
    """Fresh, untrained networks, seeded (the package loads a checkpoint into these)."""
    return seeded_build(GAN, params, seed)

def fit(params: Params, x: torch.Tensor, *, seed: int, seconds: float = 0.5) -> Iterator[Record]:
    """Alternate one step of D and one of G; the learning rate on a cosine over the budget
    (``steps`` or ``max_seconds``, whichever ends first); a Record at least every ``seconds``."""
    params = params.validate()
    model = build(params, seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt_D = torch.optim.Adam(model.D.parameters(), lr=params.lr, betas=(0.5, 0.999))
    opt_G = torch.optim.Adam(model.G.parameters(), lr=params.lr, betas=(0.5, 0.999))
    x = x.float()
    cadence, deadline = Cadence(200, seconds), Deadline(params.max_seconds)
    while True:
        for group in [*opt_D.param_groups, *opt_G.param_groups]:
            group["lr"] = params.lr * cosine(deadline.used(model.steps, params.steps))   # cosine decay over the budget
        real = x[torch.randint(len(x), (params.batch,), generator=g)]
        z = torch.randn(params.batch, params.z_dim, generator=g)
        fake = model.G(z)
        logit_real, logit_fake = model.D(real), model.D(fake.detach())
        loss_D = d_loss(logit_real, logit_fake)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        loss_G = g_loss(model.D(fake))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        model.steps += 1
        done = model.steps >= params.steps or deadline.passed()
        if done or cadence.due(model.steps):
            preview = Preview(float(torch.sigmoid(logit_real).mean().detach()), float(torch.sigmoid(logit_fake).mean().detach()))
            yield Record(model.steps, {"loss_D": loss_D.item(), "loss_G": loss_G.item()}, {}, preview, done, model=model)
        if done:
            return


@torch.no_grad()
def sample(model: GAN, n: int, *, seed: int) -> torch.Tensor:
    """x = G(z), z ~ N(0, I): (n, 2)."""
    z = torch.randn(n, model.params.z_dim, generator=torch.Generator().manual_seed(seed))
    return model.G(z)


def log_density(model: GAN, x: torch.Tensor):
    raise ValueError("a GAN is an implicit model: it samples p_model but has no density to evaluate")


@dataclass
class Picture:
    """Grids as the package's DensityGrid: value[i, j] at (xs[j], ys[i]), ys ascending."""
    POINT_FIELDS: ClassVar[tuple] = ("z_lines",)     # arrays of points (the package maps them to data coordinates)
    LOG_DENSITY_AXES: ClassVar[dict] = {}            # no density: D(x) is a probability of "real", not p(x)
    xs: np.ndarray
    ys: np.ndarray
    D: np.ndarray                   # (res, res) D(x) in [0, 1]
    z_lines: np.ndarray             # (2·L, P, 2) G's image of the z-grid's lines z1 = c and z2 = c
    z_extent: float                 # the z-grid spans [−z_extent, z_extent]²


@torch.no_grad()
def picture(model: GAN, extent, res: int = 64, lines: int = 9, z_extent: float = 2.5) -> Picture:
    """D's decision surface over ``extent`` = (x0, x1, y0, y1) and G's mapping of a z-grid."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, res), torch.linspace(x0, x1, res), indexing="ij")
    grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
    surface = torch.sigmoid(model.D(grid)).reshape(res, res)
    c = torch.linspace(-z_extent, z_extent, lines)
    t = torch.linspace(-z_extent, z_extent, 60)
    z = torch.cat([torch.stack([ci.expand_as(t), t], 1) for ci in c] + [torch.stack([t, ci.expand_as(t)], 1) for ci in c])
    if model.params.z_dim > 2:                          # other coordinates of z held at 0
        z = torch.cat([z, torch.zeros(len(z), model.params.z_dim - 2)], 1)
    mapped = model.G(z[:, :model.params.z_dim]).reshape(2 * lines, len(t), 2)
    return Picture(xs[0].numpy(), ys[:, 0].numpy(), surface.numpy(), mapped.numpy(), z_extent)
