"""An autoregressive model of 2-D points (deck 002's "fully visible belief network"; deck 003's
"restricted neural network models"): the chain rule, one coordinate at a time,

    p_θ(x) = p_θ(x₁) · p_θ(x₂ | x₁),

each factor a 1-D mixture of K Gaussians (a mixture density network, Bishop 1994):

    p_θ(x₁)      = Σ_k π_k N(x₁; m_k, s_k²)                      (free parameters)
    p_θ(x₂ | x₁) = Σ_k π_k(x₁) N(x₂; m_k(x₁), s_k(x₁)²)          (an MLP of x₁ gives π, m, log s)

Each factor integrates to 1 over its variable, so p_θ is an exact, normalised density, and it is
trained by maximum likelihood on minibatches:

    L(θ) = −(1/B) Σ_i [ log p_θ(x_i1) + log p_θ(x_i2 | x_i1) ]

with Adam and a cosine learning rate over the run's budget. Sampling follows the chain: x₁ from
p_θ(x₁), then x₂ from p_θ(x₂ | x₁), one network evaluation per sample. (PixelCNN, on the
PixelCNN tab, is the same idea over 784 pixels.) Works in standardised coordinates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import DensityGrid, LossCurve, fit_max_likelihood, grid_points
from ..common import init_default

KIND = "exact"
evaluations_per_sample = 1            # the MLP of x₁, once


@dataclass
class Params:
    K: int = 12                       # mixture components of each factor
    hidden: int = 64                  # width of the MLP giving p(x₂ | x₁)
    steps: int = 6000                 # Adam steps at most
    batch_size: int = 512
    lr: float = 1e-2                  # peak learning rate (cosine to 0 over the budget)
    max_seconds: float = 20.0         # the run's wall-time budget (the package sets it from Config.seconds)

    def validate(self) -> "Params":
        if not 1 <= self.K <= 64:
            raise ValueError(f"K (components) must be in 1..64, got {self.K}")
        if not 4 <= self.hidden <= 1024:
            raise ValueError(f"hidden must be in 4..1024, got {self.hidden}")
        if not 1 <= self.steps <= 1_000_000:
            raise ValueError(f"steps must be in 1..1000000, got {self.steps}")
        if not 8 <= self.batch_size <= 20_000:
            raise ValueError(f"batch_size must be in 8..20000, got {self.batch_size}")
        if not 0 < self.lr <= 1:
            raise ValueError(f"lr must be in (0, 1], got {self.lr}")
        if not 0 <= self.max_seconds <= 3600:
            raise ValueError(f"max_seconds must be in [0, 3600] (0 = steps only), got {self.max_seconds}")
        return self


def mixture_log_prob(x: torch.Tensor, logits: torch.Tensor, m: torch.Tensor, log_s: torch.Tensor) -> torch.Tensor:
    """log Σ_k π_k N(x; m_k, s_k²) for x (n,), parameters (n, K) or (K,)."""
    log_n = -0.5 * ((x[:, None] - m) / log_s.exp()) ** 2 - log_s - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log_softmax(logits, -1) + log_n, -1)


class MDN(nn.Module):
    def __init__(self, K: int = 12, hidden: int = 64, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(int(seed))
        # p(x₁): K free (logit, mean, log std); means spread over the standardised range
        self.logits1 = nn.Parameter(torch.zeros(K))
        self.m1 = nn.Parameter(torch.randn(K, generator=g))
        self.log_s1 = nn.Parameter(torch.full((K,), math.log(0.3)))
        # p(x₂ | x₁): x₁ → (logits, means, log stds) of K components
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 3 * K))
        init_default(self.net, g)

    def conditional(self, x1: torch.Tensor):
        """(logits, m, log s) of p(x₂ | x₁), each (n, K)."""
        logits, m, log_s = self.net(x1[:, None]).chunk(3, -1)
        return logits, m, log_s.clamp(-7, 3)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x₁) + log p(x₂ | x₁), shape (n,)."""
        log_p1 = mixture_log_prob(x[:, 0], self.logits1, self.m1, self.log_s1.clamp(-7, 3))
        return log_p1 + mixture_log_prob(x[:, 1], *self.conditional(x[:, 0]))


Preview = LossCurve     # the minibatch −log-likelihood, one per record


def build(params: Params, *, seed: int = 0) -> MDN:
    return MDN(params.K, params.hidden, seed)


def log_density(model: MDN, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.log_prob(x.float())


def fit(params: Params, x: torch.Tensor, *, seed: int = 0, seconds: float = 0.5, model: MDN | None = None):
    """Adam on L(θ) = −mean[log p(x₁) + log p(x₂ | x₁)] (maximum likelihood, the loop shared with the other
    exact models: ``toy2d.fit_max_likelihood``); a Record at least every ``seconds``."""
    params.validate()
    model = model if model is not None else build(params, seed=seed)
    yield from fit_max_likelihood(model, params, x, seed=seed, seconds=seconds)


def sample(model: MDN, n: int, *, seed: int) -> torch.Tensor:
    """x₁ ~ p(x₁), then x₂ ~ p(x₂ | x₁)."""
    g = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        k1 = torch.multinomial(torch.softmax(model.logits1, 0), n, replacement=True, generator=g)
        x1 = model.m1[k1] + model.log_s1.clamp(-7, 3).exp()[k1] * torch.randn(n, generator=g)
        logits, m, log_s = model.conditional(x1)
        k2 = torch.multinomial(torch.softmax(logits, -1), 1, generator=g)[:, 0]
        rows = torch.arange(n)
        x2 = m[rows, k2] + log_s[rows, k2].exp() * torch.randn(n, generator=g)
    return torch.stack([x1, x2], 1)


@dataclass
class Picture(DensityGrid):
    LOG_DENSITY_AXES = {"log_density": (0, 1), "log_p1": (0,), "log_p2_given": (1,)}
    log_p1: object = None         # numpy (res,): log p(x₁) along the grid's x axis
    log_p2_given: object = None   # numpy (res, res): log p(x₂ | x₁), rows x₂ (ys), columns x₁ (xs)


def picture(model: MDN, extent, res: int = 100) -> Picture:
    """log p(x) on a grid, the marginal p(x₁) and the conditionals p(x₂ | x₁) column by column."""
    xs, ys, pts = grid_points(extent, res)
    with torch.no_grad():
        log_p = model.log_prob(pts)
        x1 = torch.as_tensor(xs, dtype=torch.float32)
        log_p1 = mixture_log_prob(x1, model.logits1, model.m1, model.log_s1.clamp(-7, 3))
    grid = log_p.reshape(res, res)
    return Picture(xs, ys, grid.numpy(), log_p1.numpy(), (grid - log_p1[None, :]).numpy())
