"""Kernel density estimation (deck 000's explicit density estimators): a Gaussian on every point.

    p_KDE(x) = (1/n) Σ_i N(x; x_i, h² I)

An exact, normalised density: each kernel integrates to 1. "Training" is storing the n points;
the one choice is the bandwidth h. Too small and p_KDE is n spikes (held-out points fall between
them), too large and it is one blur. By default h is chosen by **leave-one-out likelihood
cross-validation**: score each training point by the kernels of the other n − 1,

    CV(h) = (1/n) Σ_i log [ (1/(n − 1)) Σ_{j≠i} N(x_i; x_j, h² I) ],

over a log-spaced grid of h, and keep the best. One kernel width for both axes works because the
package standardises the data first (each axis to mean 0, standard deviation 1).
Sampling is as cheap as it gets: pick a stored point, add h·ε with ε ~ N(0, I).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from . import DensityGrid, grid_points
from ..progress import Record

KIND = "exact"
evaluations_per_sample = 0            # no network: one stored point plus noise
CHUNK = 1024                          # rows of the distance matrix computed at once
CV_POINTS = 2000                      # at most this many points are scored by the cross-validation


@dataclass
class Params:
    bandwidth: float = 0.0            # h in standardised units; 0 = chosen by leave-one-out likelihood
    h_min: float = 0.02               # the grid of h tried by the cross-validation
    h_max: float = 1.0
    candidates: int = 20

    def validate(self) -> "Params":
        if not (self.bandwidth == 0 or 1e-4 <= self.bandwidth <= 10):
            raise ValueError(f"bandwidth must be 0 (choose by cross-validation) or in [0.0001, 10], got {self.bandwidth}")
        if not 1e-4 <= self.h_min < self.h_max <= 10:
            raise ValueError(f"need 0.0001 <= h_min < h_max <= 10, got {self.h_min}, {self.h_max}")
        if not 2 <= self.candidates <= 200:
            raise ValueError(f"candidates must be in 2..200, got {self.candidates}")
        return self


class KDE(nn.Module):
    """The stored points and h; tensors only, so it saves as safetensors."""

    def __init__(self, points: torch.Tensor | None = None, bandwidth: float = 0.1):
        super().__init__()
        self.register_buffer("points", torch.zeros(0, 2) if points is None else points.float())
        self.register_buffer("bandwidth", torch.tensor(float(bandwidth)))


@dataclass
class Preview:
    bandwidth: float                                  # the best h so far
    tried: list[float] = field(default_factory=list)  # h values tried
    cv: list[float] = field(default_factory=list)     # CV(h), nats per point


def build(params: Params, *, seed: int = 0) -> KDE:
    return KDE(None, params.bandwidth or 0.1)


def _log_kernel_sums(x: torch.Tensor, points: torch.Tensor, h: float) -> torch.Tensor:
    """log Σ_j N(x_i; points_j, h² I) for each row x_i."""
    out = []
    for start in range(0, len(x), CHUNK):
        d2 = torch.cdist(x[start:start + CHUNK].double(), points.double()) ** 2
        out.append(torch.logsumexp(-0.5 * d2 / h ** 2, 1))
    return torch.cat(out) - math.log(2 * math.pi * h ** 2)


def cv_distances(points: torch.Tensor) -> torch.Tensor:
    """Squared distances ‖x_i − x_j‖² from the scored points (the first rows; at most CV_POINTS, and
    at most 10⁷ distances) to all points, with the pairs i = j set to +∞ (left out)."""
    rows = max(1, min(len(points), CV_POINTS, 10_000_000 // len(points)))
    d2 = torch.cdist(points[:rows].double(), points.double()).float() ** 2
    d2[torch.arange(rows), torch.arange(rows)] = math.inf
    return d2


def cross_validation(d2: torch.Tensor, h: float) -> float:
    """CV(h): the mean leave-one-out log-likelihood of the scored points (``cv_distances``)."""
    n = d2.shape[1]
    log_p = torch.logsumexp(-0.5 / h ** 2 * d2, 1).double() - math.log(2 * math.pi * h ** 2) - math.log(n - 1)
    return float(log_p.mean())


def log_density(model: KDE, x: torch.Tensor) -> torch.Tensor:
    """log p_KDE(x) (n,), exact."""
    h = float(model.bandwidth)
    return (_log_kernel_sums(x, model.points, h) - math.log(len(model.points))).to(x.dtype)


def fit(params: Params, x: torch.Tensor, *, seed: int = 0, seconds: float = 0.5, model=None):
    """Store the points; with bandwidth = 0, one Record per h tried (CV(h)), then the best h.
    (The points are shuffled with ``seed`` first, which decides which of them the CV scores.)"""
    params.validate()
    g = torch.Generator().manual_seed(int(seed))
    points = x[torch.randperm(len(x), generator=g)].float()
    if params.bandwidth:
        hs = [params.bandwidth]
    else:
        hs = torch.logspace(math.log10(params.h_min), math.log10(params.h_max), params.candidates).tolist()
    preview, d2 = Preview(hs[0]), cv_distances(points)
    for i, h in enumerate(hs):
        preview.tried.append(h)
        preview.cv.append(cross_validation(d2, h))
        best = max(zip(preview.cv, preview.tried))[1]
        preview = Preview(best, preview.tried, preview.cv)
        yield Record(i + 1, {"loss": -preview.cv[-1]}, {"bandwidth": best}, preview,
                     done=i == len(hs) - 1, model=KDE(points, best))


def sample(model: KDE, n: int, *, seed: int) -> torch.Tensor:
    """x = x_i + h·ε: i uniform over the stored points, ε ~ N(0, I)."""
    g = torch.Generator().manual_seed(int(seed))
    i = torch.randint(len(model.points), (n,), generator=g)
    return model.points[i] + model.bandwidth * torch.randn(n, 2, generator=g)


def picture(model: KDE, extent, res: int = 100) -> DensityGrid:
    """log p_KDE on a res × res grid over extent (x0, x1, y0, y1)."""
    xs, ys, pts = grid_points(extent, res)
    return DensityGrid(xs, ys, log_density(model, pts).reshape(res, res).numpy())
