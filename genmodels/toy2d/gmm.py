"""Gaussian mixture model fitted by expectation-maximisation (deck 000's explicit density estimators).

    p_model(x) = Σ_k π_k N(x; μ_k, Σ_k),   k = 1 … K,   π_k ≥ 0, Σ_k π_k = 1

An exact, normalised density. Maximum likelihood has no closed form (which component made which
point is hidden), so EM alternates two closed-form steps, each never lowering the log-likelihood
ℓ = (1/n) Σ_i log p_model(x_i):

    E step   responsibilities  r_ik = π_k N(x_i; μ_k, Σ_k) / Σ_l π_l N(x_i; μ_l, Σ_l)
    M step   n_k = Σ_i r_ik,   π_k = n_k / n,   μ_k = (1/n_k) Σ_i r_ik x_i,
             Σ_k = (1/n_k) Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ + δ I   (δ tiny: keeps Σ_k invertible)

``e_step`` and ``m_step`` are separate functions so that the tab can show each one. EM stops
when ℓ gains less than ``tol`` nats per point, or after ``iterations``. The start: K means picked
from the data by k-means++ (each next mean a point drawn with probability ∝ its squared distance
to the nearest mean so far), covariances the data's covariance / K, equal weights.
Everything here works in standardised coordinates (the package handles the scaling).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from . import DensityGrid, grid_points
from ..progress import Record

KIND = "exact"
evaluations_per_sample = 0            # no network: a component, then a Gaussian draw


@dataclass
class Params:
    K: int = 8                        # components
    iterations: int = 500             # EM iterations at most
    tol: float = 1e-6                 # stop when ℓ gains less than this (nats per point)
    reg: float = 1e-6                 # δ added to each covariance's diagonal

    def validate(self) -> "Params":
        if not 1 <= self.K <= 50:
            raise ValueError(f"K (components) must be in 1..50, got {self.K}")
        if not 1 <= self.iterations <= 100_000:
            raise ValueError(f"iterations must be in 1..100000, got {self.iterations}")
        if not 0 <= self.tol < 1:
            raise ValueError(f"tol must be in [0, 1), got {self.tol}")
        if not 0 <= self.reg <= 1:
            raise ValueError(f"reg must be in [0, 1], got {self.reg}")
        return self


class GMM(nn.Module):
    """π (K,), μ (K, 2), Σ (K, 2, 2), in float64; tensors only, so it saves as safetensors."""

    def __init__(self, K: int = 8):
        super().__init__()
        self.register_buffer("weights", torch.full((K,), 1.0 / K, dtype=torch.float64))
        self.register_buffer("means", torch.zeros(K, 2, dtype=torch.float64))
        self.register_buffer("covariances", torch.eye(2, dtype=torch.float64).repeat(K, 1, 1))


@dataclass
class Preview:
    phase: str                                       # "E": responsibilities just computed; "M": parameters just updated
    iteration: int
    responsibilities: object                         # numpy (n, K): r_ik of the E step
    log_likelihood: list[float] = field(default_factory=list)   # ℓ after each E step, nats per point


def build(params: Params, *, seed: int = 0) -> GMM:
    return GMM(params.K)


def component_log_densities(model: GMM, x: torch.Tensor) -> torch.Tensor:
    """log π_k + log N(x_i; μ_k, Σ_k), shape (n, K). With Σ_k = [[a, b], [b, c]]:
    det Σ_k = ac − b², (x − μ)ᵀ Σ_k⁻¹ (x − μ) = (c·dx² − 2b·dx·dy + a·dy²) / det Σ_k."""
    x = x.to(torch.float64)
    a, b, c = model.covariances[:, 0, 0], model.covariances[:, 0, 1], model.covariances[:, 1, 1]
    det = a * c - b ** 2
    dx, dy = x[:, 0:1] - model.means[:, 0], x[:, 1:2] - model.means[:, 1]      # (n, K)
    maha = (c * dx ** 2 - 2 * b * dx * dy + a * dy ** 2) / det
    return torch.log(model.weights) - math.log(2 * math.pi) - 0.5 * torch.log(det) - 0.5 * maha


def log_density(model: GMM, x: torch.Tensor) -> torch.Tensor:
    """log p_model(x) = log Σ_k π_k N(x; μ_k, Σ_k), shape (n,), exact."""
    return torch.logsumexp(component_log_densities(model, x), 1).to(x.dtype)


def e_step(model: GMM, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(responsibilities r (n, K), ℓ = mean log-likelihood under the current parameters)."""
    a = component_log_densities(model, x)
    log_p = torch.logsumexp(a, 1, keepdim=True)
    return torch.exp(a - log_p), float(log_p.mean())


def m_step(x: torch.Tensor, r: torch.Tensor, reg: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(π, μ, Σ) maximising the expected complete-data log-likelihood given r."""
    x = x.to(torch.float64)
    n_k = r.sum(0).clamp_min(1e-12)                                    # (K,)
    weights = n_k / len(x)
    means = (r.T @ x) / n_k[:, None]
    # Σ_k = (1/n_k) Σ_i r_ik x_i x_iᵀ − μ_k μ_kᵀ (the same as the centred sum; fine in float64)
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), 4)
    cov = (r.T @ outer).reshape(-1, 2, 2) / n_k[:, None, None] - means[:, :, None] * means[:, None, :]
    return weights, means, cov + reg * torch.eye(2, dtype=torch.float64)


def kmeans_pp(x: torch.Tensor, K: int, g: torch.Generator) -> torch.Tensor:
    """K starting means: the first a random point, each next one drawn ∝ squared distance to the chosen."""
    x = x.to(torch.float64)
    means = [x[torch.randint(len(x), (1,), generator=g)][0]]
    for _ in range(K - 1):
        d2 = torch.cdist(x, torch.stack(means)).min(1).values ** 2
        means.append(x[torch.multinomial(d2 + 1e-12, 1, generator=g)][0])
    return torch.stack(means)


def initialise(params: Params, x: torch.Tensor, seed: int) -> GMM:
    model = GMM(params.K)
    model.means = kmeans_pp(x, params.K, torch.Generator().manual_seed(int(seed)))
    cov = torch.cov(x.to(torch.float64).T) / params.K + params.reg * torch.eye(2, dtype=torch.float64)
    model.covariances = cov.repeat(params.K, 1, 1)
    return model


def fit(params: Params, x: torch.Tensor, *, seed: int = 0, seconds: float = 0.5, model: GMM | None = None):
    """EM from a k-means++ start (or from ``model``): a Record after every E step and every M step."""
    params.validate()
    if model is None or model.weights.shape[0] != params.K:
        model = initialise(params, x, seed)
    history: list[float] = []
    for it in range(1, params.iterations + 1):
        r, ll = e_step(model, x)
        converged = bool(history) and ll - history[-1] < params.tol
        history.append(ll)
        done = converged or it == params.iterations
        yield Record(it, {"loss": -ll}, {"log_likelihood": ll},
                     Preview("E", it, r.float().numpy(), list(history)), done=done, model=model)
        if done:
            return
        model.weights, model.means, model.covariances = m_step(x, r, params.reg)
        yield Record(it, {"loss": -ll}, {"log_likelihood": ll},
                     Preview("M", it, r.float().numpy(), list(history)), model=model)


def sample(model: GMM, n: int, *, seed: int) -> torch.Tensor:
    """k ~ Categorical(π), then x = μ_k + L_k ε with Σ_k = L_k L_kᵀ, ε ~ N(0, I)."""
    g = torch.Generator().manual_seed(int(seed))
    k = torch.multinomial(model.weights, n, replacement=True, generator=g)
    eps = torch.randn(n, 2, generator=g, dtype=torch.float64)
    L = torch.linalg.cholesky(model.covariances)
    return (model.means[k] + (L[k] @ eps[..., None])[..., 0]).float()


@dataclass
class Picture(DensityGrid):
    POINT_FIELDS = ("means", "ellipses")
    means: object = None          # numpy (K, 2)
    ellipses: object = None       # numpy (K, 65, 2): the 2-σ contour of each component
    weights: object = None        # numpy (K,)


def picture(model: GMM, extent, res: int = 100) -> Picture:
    """log p_model on a grid, and each component's mean and 2-σ ellipse."""
    xs, ys, pts = grid_points(extent, res)
    t = torch.linspace(0, 2 * math.pi, 65, dtype=torch.float64)
    circle = 2 * torch.stack([torch.cos(t), torch.sin(t)], 1)          # (65, 2)
    L = torch.linalg.cholesky(model.covariances)
    ellipses = model.means[:, None, :] + circle[None] @ L.transpose(1, 2)
    return Picture(xs, ys, log_density(model, pts).reshape(res, res).numpy(),
                   model.means.numpy().copy(), ellipses.numpy(), model.weights.numpy().copy())
