"""A diffusion model on 2-D points: ε-prediction (Ho et al. 2020), the score-based branch.

Forward process (fixed): q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), ᾱ_t = Π_{s≤t} (1 − β_s), so
x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε. A network ε_θ(x_t, t) learns the noise:

    L_simple = E_{x_0, t, ε} ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²

and sampling runs the reverse chain x_T ~ N(0, I) → … → x_0 with DDPM's step
p_θ(x_{t−1} | x_t) = N(μ̃_t(x_t, x̂_0), σ_t² I), x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t: T network evaluations per
sample. σ_t² is β_t ("large", the default here) or β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) ("small"), Ho et al.'s two
choices; for data N(0, I) and the ideal ε_θ, σ_t² = β_t makes the reverse chain exact (and the bound below tight). −ε_θ(x_t, t) / √(1 − ᾱ_t) estimates the score
∇ log q_t(x_t): the arrows of the tab.

Likelihood. The exact log p_θ(x_0) of a diffusion model needs the probability-flow ODE and its
Jacobian trace; we report what DDPM itself bounds, the variational bound (−L_vlb):

    −log p_θ(x_0) ≤ L_T + Σ_{t=2}^{T} L_{t−1} + L_0
    L_T = KL(q(x_T | x_0) ‖ N(0, I)),   L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)),
    L_0 = −log N(x_0; μ_θ(x_1, 1), β_1 I)

each KL between Gaussians, KL(N(μ̃_t, β̃_t I) ‖ N(μ_θ, σ_t² I)) = ‖μ̃_t − μ_θ‖² / (2σ_t²) + (d/2)(β̃_t/σ_t² − 1 +
log(σ_t²/β̃_t)), with one x_t ~ q per t (d = 2). KIND is therefore "bound", like the VAE's. Works in standardised coordinates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Iterator

import numpy as np
import torch
from torch import nn

from ..ddpm import DDPMScheduler
from ..common import Deadline, cosine
from ..progress import Cadence, Record
from . import seeded_build

KIND = "bound"


@dataclass
class Params:
    T: int = 100                    # diffusion steps
    beta_start: float = 1e-3        # linear β_1 … β_T; DDPM's 1e-4 … 0.02 × 1000/T, so that ᾱ_T ≈ 4e-5
    beta_end: float = 0.2
    variance: str = "large"         # σ_t² = β_t ("large") or β̃_t ("small")
    hidden: int = 128
    lr: float = 2e-3                # Adam
    batch: int = 256
    steps: int = 6000
    max_seconds: float = 30.0

    def validate(self) -> "Params":
        if self.variance not in ("large", "small"):
            raise ValueError(f"diffusion: variance must be 'large' or 'small', got {self.variance!r}")
        if not (2 <= self.T <= 1000 and 0 < self.beta_start < self.beta_end < 1 and 8 <= self.hidden <= 1024
                and 0 < self.lr < 1 and 8 <= self.batch <= 4096 and self.steps >= 1 and self.max_seconds > 0):
            raise ValueError(f"diffusion: parameters out of range: {self}")
        return self


def evaluations_per_sample(model: "Diffusion") -> int:
    return model.params.T


class EpsModel(nn.Module):
    """ε_θ(x_t, t): an MLP on (x_t, sinusoidal embedding of t)."""

    def __init__(self, hidden: int, T: int, dim: int = 16):
        super().__init__()
        self.T, self.dim = T, dim
        self.net = nn.Sequential(nn.Linear(2 + dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        freqs = torch.exp(-math.log(1000.0) * torch.arange(self.dim // 2) / (self.dim // 2))
        angle = (t.float()[:, None] / self.T * 1000.0) * freqs[None]
        return self.net(torch.cat([x, angle.sin(), angle.cos()], 1))


class Diffusion(nn.Module):
    def __init__(self, params: Params):
        super().__init__()
        self.params = params
        self.eps_model = EpsModel(params.hidden, params.T)
        self.scheduler = DDPMScheduler(params.T, "linear", params.beta_start, params.beta_end, clip_sample=False)
        self.register_buffer("alphas_cumprod", self.scheduler.alphas_cumprod.float())   # ᾱ_t (code t = 0 … T−1)
        s = self.scheduler
        # σ_t² of the reverse step; at t = 1 (code 0) β̃ is 0 and both choices use β_1
        self.sigma2 = (s.betas if params.variance == "large" else s.posterior_variance).clone()
        self.sigma2[0] = s.betas[0]
        self.steps = 0


def q_sample(model: Diffusion, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε."""
    ab = model.alphas_cumprod[t][:, None]
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def loss_fn(model: Diffusion, x0: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """L_simple: mean over the batch (and both coordinates) of (ε − ε_θ(x_t, t))²."""
    t = torch.randint(model.params.T, (len(x0),), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    return ((eps - model.eps_model(q_sample(model, x0, t, eps), t)) ** 2).mean()


@dataclass
class Preview:
    loss: float


def build(params: Params, *, seed: int = 0) -> Diffusion:
    """Fresh, untrained networks, seeded (the package loads a checkpoint into these)."""
    return seeded_build(Diffusion, params, seed)

def fit(params: Params, x: torch.Tensor, *, seed: int, seconds: float = 0.5) -> Iterator[Record]:
    """Minimise L_simple with Adam; the learning rate on a cosine over the budget
    (``steps`` or ``max_seconds``, whichever ends first); a Record at least every ``seconds``."""
    params = params.validate()
    model = build(params, seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.eps_model.parameters(), lr=params.lr)
    x = x.float()
    cadence, deadline = Cadence(200, seconds), Deadline(params.max_seconds)
    while True:
        for group in opt.param_groups:
            group["lr"] = params.lr * cosine(deadline.used(model.steps, params.steps))   # cosine decay over the budget
        loss = loss_fn(model, x[torch.randint(len(x), (params.batch,), generator=g)], g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.steps += 1
        done = model.steps >= params.steps or deadline.passed()
        if done or cadence.due(model.steps):
            yield Record(model.steps, {"loss": loss.item()}, {}, Preview(loss.item()), done, model=model)
        if done:
            return


@torch.no_grad()
def reverse(model: Diffusion, n: int, *, seed: int) -> torch.Tensor:
    """The whole reverse chain: (T + 1, n, 2), from x_T ~ N(0, I) (row 0) to x_0 (row T)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    path = [x]
    s = model.scheduler
    for t in range(model.params.T - 1, -1, -1):
        eps = model.eps_model(x, torch.full((n,), t))
        ab, ab_prev, beta = float(s.alphas_cumprod[t]), float(s.alphas_cumprod_prev[t]), float(s.betas[t])
        x0_hat = (x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
        mean = (math.sqrt(ab_prev) * beta / (1 - ab)) * x0_hat + (math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab)) * x
        x = mean + math.sqrt(float(model.sigma2[t])) * torch.randn(x.shape, generator=g) if t > 0 else mean
        path.append(x)
    return torch.stack(path)


def sample(model: Diffusion, n: int, *, seed: int) -> torch.Tensor:
    """x_0 of the reverse chain: (n, 2)."""
    return reverse(model, n, seed=seed)[-1]


@torch.no_grad()
def log_density(model: Diffusion, x0: torch.Tensor, seed: int = 0, common_noise: bool = False) -> torch.Tensor:
    """−L_vlb(x_0) per point: a lower bound on log p_θ(x_0) in nats (one x_t ~ q per t, fixed seed).

    ``common_noise``: the same ε for every point at each t (still an unbiased estimate for each point;
    a picture of it over a grid is then smooth instead of speckled)."""
    s, g = model.scheduler, torch.Generator().manual_seed(seed)
    x0 = x0.float()
    ab, ab_prev = s.alphas_cumprod, s.alphas_cumprod_prev
    a_T = float(ab[-1])
    bound = 0.5 * ((1 - a_T) + a_T * x0 ** 2 - 1 - math.log(1 - a_T)).sum(1)          # L_T
    for t in range(model.params.T):
        eps = torch.randn((1, 2) if common_noise else x0.shape, generator=g).expand_as(x0)
        x_t = q_sample(model, x0, torch.full((len(x0),), t), eps)
        x0_hat = (x_t - math.sqrt(1 - float(ab[t])) * model.eps_model(x_t, torch.full((len(x0),), t))) / math.sqrt(float(ab[t]))
        sq = ((x0 - x0_hat) ** 2).sum(1)
        var = float(model.sigma2[t])
        if t == 0:                                                                     # L_0, σ² = β_1
            bound += 0.5 * (sq / var + 2 * math.log(2 * math.pi * var))
        else:            # μ̃ − μ_θ = c_t (x_0 − x̂_0), c_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t)
            c = math.sqrt(float(ab_prev[t])) * float(s.betas[t]) / (1 - float(ab[t]))
            post = float(s.posterior_variance[t])
            bound += c * c * sq / (2 * var) + (post / var - 1 + math.log(var / post))     # (d/2)(…), d = 2
    return -bound


@dataclass
class Picture:
    """Grids as the package's DensityGrid: value[i, j] at (xs[j], ys[i]), ys ascending."""
    POINT_FIELDS: ClassVar[tuple] = ("trajectories", "arrow_at")
    VECTOR_FIELDS: ClassVar[tuple] = ("arrows",)
    xs: np.ndarray
    ys: np.ndarray
    log_density: np.ndarray         # (res, res) −L_vlb(x), the bound density
    trajectories: np.ndarray        # (T + 1, chains, 2) reverse chains, x_T first
    arrow_at: np.ndarray            # (m, 2) where the arrows start
    arrows: np.ndarray              # (m, 2) −ε_θ(x, t_arrows): along the score ∇ log q_t
    t_arrows: int                   # the t (1 … T) of the field


@torch.no_grad()
def picture(model: Diffusion, extent, res: int = 48, chains: int = 16, arrows: int = 15, t_arrows: int | None = None) -> Picture:
    """The bound density, ``chains`` reverse trajectories (seed 0) and the ε field at t_arrows."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, res), torch.linspace(x0, x1, res), indexing="ij")
    grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
    bound = (log_density(model, grid, seed=0, common_noise=True) + log_density(model, grid, seed=1, common_noise=True)) / 2
    bound = bound.reshape(res, res)
    t_arrows = t_arrows or max(1, model.params.T // 10)
    ay, ax = torch.meshgrid(torch.linspace(y0, y1, arrows), torch.linspace(x0, x1, arrows), indexing="ij")
    at = torch.stack([ax.reshape(-1), ay.reshape(-1)], 1)
    eps = model.eps_model(at, torch.full((len(at),), t_arrows - 1))
    return Picture(xs[0].numpy(), ys[:, 0].numpy(), bound.numpy(), reverse(model, chains, seed=0).numpy(), at.numpy(), (-eps).numpy(), t_arrows)
