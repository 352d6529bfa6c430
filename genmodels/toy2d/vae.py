"""A VAE on 2-D points: an explicit model whose density we can only bound (Kingma & Welling 2014).

    p_θ(x) = ∫ p_θ(x | z) p(z) dz,   p(z) = N(0, I),   p_θ(x | z) = N(x; μ_θ(z), diag σ_θ²(z))

The integral is intractable, so an encoder q_φ(z | x) = N(μ_φ(x), diag σ_φ²(x)) gives the bound
(the ELBO) that training maximises:

    log p_θ(x) ≥ ELBO(x) = E_{q_φ(z|x)}[log p_θ(x | z)] − KL(q_φ(z | x) ‖ p(z))

with the reparameterization z = μ_φ(x) + σ_φ(x) ⊙ ε, ε ~ N(0, I). The loss is −ELBO, a mean over
the batch in nats. ``log_density`` returns the ELBO (KIND "bound": below log p_θ(x));
``iwae_bound`` the tighter L_k = E log (1/k) Σ p_θ(x, z_i) / q_φ(z_i | x) (Burda et al.).
Works in standardised coordinates (the package handles the scaling).
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

KIND = "bound"
evaluations_per_sample = 1          # one pass through the decoder
LOG_2PI = math.log(2 * math.pi)


@dataclass
class Params:
    latent: int = 2                 # z ∈ R^2: its posteriors can be drawn as ellipses
    hidden: int = 128
    lr: float = 2e-3                # Adam
    batch: int = 256
    steps: int = 6000
    max_seconds: float = 30.0
    min_log_var: float = -7.0       # floor of the decoder's log σ² (σ ≥ 0.03 of the data's spread)

    def validate(self) -> "Params":
        if not (1 <= self.latent <= 16 and 8 <= self.hidden <= 1024 and 0 < self.lr < 1
                and 8 <= self.batch <= 4096 and self.steps >= 1 and self.max_seconds > 0):
            raise ValueError(f"vae: parameters out of range: {self}")
        return self


def _mlp(d_in: int, h: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, d_out))


class VAE(nn.Module):
    """encoder x ↦ (μ_φ, log σ_φ²) and decoder z ↦ (μ_θ, log σ_θ²)."""

    def __init__(self, params: Params):
        super().__init__()
        self.params = params
        self.encoder = _mlp(2, params.hidden, 2 * params.latent)
        self.decoder = _mlp(params.latent, params.hidden, 4)
        self.steps = 0

    def encode(self, x):
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z):
        mu, log_var = self.decoder(z).chunk(2, dim=-1)
        return mu, log_var.clamp(min=self.params.min_log_var)


def gaussian_log_prob(x, mu, log_var) -> torch.Tensor:
    """log N(x; μ, diag σ²) summed over the last dimension."""
    return -0.5 * (LOG_2PI + log_var + (x - mu) ** 2 / log_var.exp()).sum(-1)


def kl_divergence(mu, log_var) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²), per point."""
    return 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum(-1)


def elbo(model: VAE, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """ELBO(x) per point with one z = μ_φ + σ_φ ⊙ ε for each given ε (n, latent)."""
    mu, log_var = model.encode(x)
    z = mu + (0.5 * log_var).exp() * eps
    return gaussian_log_prob(x, *model.decode(z)) - kl_divergence(mu, log_var)


@dataclass
class Preview:
    loss_recon: float               # −E_q log p_θ(x | z), nats per point
    loss_kl: float                  # KL(q_φ(z | x) ‖ p(z)), nats per point


def build(params: Params, *, seed: int = 0) -> VAE:
    """Fresh, untrained networks, seeded (the package loads a checkpoint into these)."""
    return seeded_build(VAE, params, seed)

def fit(params: Params, x: torch.Tensor, *, seed: int, seconds: float = 0.5) -> Iterator[Record]:
    """Minimise −ELBO with Adam, the learning rate on a cosine over the budget (``steps`` or
    ``max_seconds``, whichever ends first); a Record at least every ``seconds``."""
    params = params.validate()
    model = build(params, seed=seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=params.lr)
    x = x.float()
    cadence, deadline = Cadence(200, seconds), Deadline(params.max_seconds)
    while True:
        for group in opt.param_groups:
            group["lr"] = params.lr * cosine(deadline.used(model.steps, params.steps))   # cosine decay over the budget
        batch = x[torch.randint(len(x), (params.batch,), generator=g)]
        mu, log_var = model.encode(batch)
        z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=g)
        recon = -gaussian_log_prob(batch, *model.decode(z)).mean()
        kl = kl_divergence(mu, log_var).mean()
        loss = recon + kl                                   # −ELBO
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.steps += 1
        done = model.steps >= params.steps or deadline.passed()
        if done or cadence.due(model.steps):
            yield Record(model.steps, {"loss": loss.item(), "loss_recon": recon.item(), "loss_kl": kl.item()}, {},
                         Preview(recon.item(), kl.item()), done, model=model)
        if done:
            return


@torch.no_grad()
def sample(model: VAE, n: int, *, seed: int) -> torch.Tensor:
    """z ~ N(0, I), x ~ p_θ(x | z): (n, 2)."""
    g = torch.Generator().manual_seed(seed)
    mu, log_var = model.decode(torch.randn(n, model.params.latent, generator=g))
    return mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=g)


@torch.no_grad()
def log_density(model: VAE, x: torch.Tensor, samples: int = 16) -> torch.Tensor:
    """The ELBO (a lower bound on log p_θ(x)), averaged over ``samples`` draws of ε (fixed seed)."""
    g = torch.Generator().manual_seed(0)
    x = x.float()
    total = torch.zeros(len(x))
    for _ in range(samples):
        total += elbo(model, x, torch.randn(len(x), model.params.latent, generator=g))
    return total / samples


@torch.no_grad()
def iwae_bound(model: VAE, x: torch.Tensor, k: int = 64, seed: int = 0) -> torch.Tensor:
    """L_k = log (1/k) Σ_i p_θ(x | z_i) p(z_i) / q_φ(z_i | x), z_i ~ q_φ: ELBO ≤ L_k ≤ log p_θ(x)."""
    g = torch.Generator().manual_seed(seed)
    x = x.float()
    mu, log_var = model.encode(x)
    eps = torch.randn(k, *mu.shape, generator=g)
    z = mu + (0.5 * log_var).exp() * eps
    log_w = (gaussian_log_prob(x, *model.decode(z)) + gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))
             - gaussian_log_prob(z, mu, log_var))
    return torch.logsumexp(log_w, 0) - math.log(k)


@dataclass
class Picture:
    """Grids as the package's DensityGrid: value[i, j] at (xs[j], ys[i]), ys ascending."""
    POINT_FIELDS: ClassVar[tuple] = ("points", "decoded")   # post_mu / post_sd live in z space
    xs: np.ndarray
    ys: np.ndarray
    log_density: np.ndarray         # (res, res) ELBO(x): the bound density
    points: np.ndarray              # (m, 2) data points whose posteriors are drawn
    post_mu: np.ndarray             # (m, latent) μ_φ(x) of those points
    post_sd: np.ndarray             # (m, latent) σ_φ(x): each posterior is an ellipse in z space
    decoded: np.ndarray             # (m, 2) μ_θ(μ_φ(x)): where each point comes back


@torch.no_grad()
def picture(model: VAE, extent, res: int = 64, points=None) -> Picture:
    """The ELBO over ``extent`` and, for ``points`` (m, 2), the encoder's posteriors q_φ(z | x)."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, res), torch.linspace(x0, x1, res), indexing="ij")
    grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
    surface = log_density(model, grid, samples=16).reshape(res, res)
    pts = torch.zeros(0, 2) if points is None else torch.as_tensor(np.asarray(points), dtype=torch.float32)
    mu, log_var = model.encode(pts)
    return Picture(xs[0].numpy(), ys[:, 0].numpy(), surface.numpy(), pts.numpy(), mu.numpy(), (0.5 * log_var).exp().numpy(), model.decode(mu)[0].numpy())
