"""An energy-based model on 2-D points: explicit, but unnormalised (LeCun et al. 2006; Du & Mordatch 2019).

    p_θ(x) = exp(−E_θ(x)) / Z(θ),   Z(θ) = ∫ exp(−E_θ(x)) dx

Any network E_θ: R² → R will do (the most flexible family of the taxonomy), but Z(θ) is an integral
over the whole space. In 2-D a grid of 256² points sums it (``log_partition``); in d dimensions the
same grid needs 256^d evaluations (MNIST, d = 784: about 10^1888), so in high dimension p_θ(x)
cannot be evaluated, only compared: p_θ(x) / p_θ(x') = exp(E_θ(x') − E_θ(x)).

Training never needs Z: ∇_θ log p_θ(x) = −∇_θ E_θ(x) + E_{x'∼p_θ}[∇_θ E_θ(x')], so (contrastive
divergence) the loss pushes the energy of data down and of the model's own samples x' up:

    L = mean E_θ(x) − mean E_θ(x') + α (mean E_θ(x)² + mean E_θ(x')²)

(the α term keeps energies near 0). The samples x' come from Langevin dynamics,

    x_{k+1} = x_k − (η/2) ∇_x E_θ(x_k) + √η ξ_k,   ξ_k ~ N(0, I),

run for ``train_langevin`` steps from a persistent buffer of earlier chains (5% restarted from uniform
noise), the learning rate on a cosine over the budget. ``sample`` (the samples every score uses) runs
``sample_langevin`` steps from fresh uniform noise, not from the buffer.
``log_density`` returns −E_θ(x) (KIND "unnormalised"). Works in standardised coordinates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Iterator

import numpy as np
import torch
from torch import nn

from ..common import Deadline, cosine
from . import seeded_build
from ..progress import Cadence, Record

KIND = "unnormalised"
BOX = 3.5                           # chains start uniform in [−BOX, BOX]² (standardised data lies well inside)


@dataclass
class Params:
    hidden: int = 128
    lr: float = 1e-3                # Adam, β = (0, 0.999) as Du & Mordatch
    batch: int = 128
    alpha: float = 0.001            # energy regulariser α (0.1 capped the contrast of exp(−E_θ): docs/toy2d.md)
    train_langevin: int = 20        # Langevin steps per training step (from the buffer)
    sample_langevin: int = 200      # Langevin steps per sample (from uniform noise)
    step_size: float = 0.02         # η
    restart: float = 0.05           # share of chains restarted from noise each step
    cosine: bool = True             # learning rate on a cosine to 0 over the budget (steps or max_seconds)
    steps: int = 600                # longer runs drift apart (1,334 steps in 20 s: distance 0.19…0.83)
    max_seconds: float = 30.0

    def validate(self) -> "Params":
        if not (8 <= self.hidden <= 1024 and 0 < self.lr < 1 and 8 <= self.batch <= 4096 and self.alpha >= 0
                and 1 <= self.train_langevin <= 500 and 1 <= self.sample_langevin <= 5000 and 0 < self.step_size < 1
                and 0 <= self.restart <= 1 and self.steps >= 1 and self.max_seconds > 0):
            raise ValueError(f"ebm: parameters out of range: {self}")
        return self


def evaluations_per_sample(model: "EBM") -> int:
    """One gradient ∇_x E_θ per Langevin step."""
    return model.params.sample_langevin


class EBM(nn.Module):
    def __init__(self, params: Params):
        super().__init__()
        h = params.hidden
        self.params = params
        self.E = nn.Sequential(nn.Linear(2, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(),
                               nn.Linear(h, 1))
        self.steps = 0

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        return self.E(x).squeeze(-1)


def langevin(model: EBM, x: torch.Tensor, steps: int, step_size: float, g: torch.Generator,
             keep_path: bool = False):
    """``steps`` Langevin steps from x; returns x (and the path (steps + 1, n, 2) with keep_path)."""
    path = [x.detach()]
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        grad, = torch.autograd.grad(model.energy(x).sum(), x)
        x = x - 0.5 * step_size * grad + math.sqrt(step_size) * torch.randn(x.shape, generator=g)
        if keep_path:
            path.append(x.detach())
    x = x.detach()
    return (x, torch.stack(path)) if keep_path else x


@dataclass
class Preview:
    E_data: float                   # mean energy of the data batch
    E_model: float                  # mean energy of the Langevin samples


def build(params: Params, *, seed: int = 0) -> EBM:
    """Fresh, untrained networks, seeded (the package loads a checkpoint into these)."""
    return seeded_build(EBM, params, seed)

def fit(params: Params, x: torch.Tensor, *, seed: int, seconds: float = 0.5) -> Iterator[Record]:
    """Contrastive divergence with persistent Langevin chains; a Record at least every ``seconds``."""
    params = params.validate()
    model = build(params, seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=params.lr, betas=(0.0, 0.999))
    x = x.float()
    buffer = (torch.rand(4096, 2, generator=g) * 2 - 1) * BOX
    cadence, deadline = Cadence(100, seconds), Deadline(params.max_seconds)
    while True:
        real = x[torch.randint(len(x), (params.batch,), generator=g)]
        idx = torch.randint(len(buffer), (params.batch,), generator=g)
        init = buffer[idx]
        fresh = torch.rand(params.batch, generator=g) < params.restart
        init[fresh] = (torch.rand(int(fresh.sum()), 2, generator=g) * 2 - 1) * BOX
        fake = langevin(model, init, params.train_langevin, params.step_size, g)
        buffer[idx] = fake
        e_real, e_fake = model.energy(real), model.energy(fake)
        loss = e_real.mean() - e_fake.mean() + params.alpha * ((e_real ** 2).mean() + (e_fake ** 2).mean())
        opt.zero_grad()
        loss.backward()
        if params.cosine:                                   # cosine decay over the budget (steps or seconds)
            for group in opt.param_groups:
                group["lr"] = params.lr * cosine(deadline.used(model.steps, params.steps))
        opt.step()
        model.steps += 1
        done = model.steps >= params.steps or deadline.passed()
        if done or cadence.due(model.steps):
            yield Record(model.steps, {"loss": loss.item()}, {}, Preview(e_real.mean().item(), e_fake.mean().item()),
                         done, model=model)
        if done:
            return


def sample(model: EBM, n: int, *, seed: int) -> torch.Tensor:
    """Langevin chains from uniform noise in [−BOX, BOX]², ``sample_langevin`` steps: (n, 2)."""
    g = torch.Generator().manual_seed(seed)
    start = (torch.rand(n, 2, generator=g) * 2 - 1) * BOX
    return langevin(model, start, model.params.sample_langevin, model.params.step_size, g)


@torch.no_grad()
def log_density(model: EBM, x: torch.Tensor) -> torch.Tensor:
    """−E_θ(x): log p_θ(x) + log Z(θ), the unnormalised log-density."""
    return -model.energy(x.float())


@torch.no_grad()
def log_partition(model: EBM, extent=(-BOX, BOX, -BOX, BOX), res: int = 256) -> float:
    """log Z(θ) ≈ log Σ_grid exp(−E_θ) ΔxΔy over ``extent``: res² evaluations, feasible only in 2-D."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, res), torch.linspace(x0, x1, res), indexing="ij")
    e = model.energy(torch.stack([xs.reshape(-1), ys.reshape(-1)], 1))
    cell = (x1 - x0) / (res - 1) * (y1 - y0) / (res - 1)
    return float(torch.logsumexp(-e, 0) + math.log(cell))


@dataclass
class Picture:
    """Grids as the package's DensityGrid: value[i, j] at (xs[j], ys[i]), ys ascending."""
    POINT_FIELDS: ClassVar[tuple] = ("chains",)
    LOG_DENSITY_AXES: ClassVar[dict] = {}            # an energy, not a normalised log-density
    xs: np.ndarray
    ys: np.ndarray
    energy: np.ndarray              # (res, res) E_θ(x)
    chains: np.ndarray              # (steps + 1, chains, 2) Langevin paths from uniform noise (seed 0)


def picture(model: EBM, extent, res: int = 64, chains: int = 16) -> Picture:
    """The energy landscape over ``extent`` and ``chains`` Langevin chains of ``sample_langevin`` steps."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, res), torch.linspace(x0, x1, res), indexing="ij")
    with torch.no_grad():
        energy = model.energy(torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)).reshape(res, res)
    g = torch.Generator().manual_seed(0)
    start = (torch.rand(chains, 2, generator=g) * 2 - 1) * BOX
    _, path = langevin(model, start, model.params.sample_langevin, model.params.step_size, g, keep_path=True)
    return Picture(xs[0].numpy(), ys[:, 0].numpy(), energy.numpy(), path.numpy())
