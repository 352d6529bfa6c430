"""Histogram: the oldest density estimator (deck 000's "normalized histogram"), in 2-D.

Cut a box around the training points into B × B equal cells of area A = Δx·Δy and count the n
points c_b in each cell b. With α pseudo-points added to every cell (so that no held-out point
lands on a density of zero),

    p_hist(x) = (c_b(x) + α) / ((n + α B²) · A)        for x in cell b(x), 0 outside the box,

and, so that the density is positive everywhere (a held-out point may fall outside the box), a
small share ε of a broad Gaussian:

    p_model(x) = (1 − ε) p_hist(x) + ε N(x; 0, s² I),     ε = 10⁻³, s = 2.

Both parts integrate to 1, so p_model is an exact, normalised density. Fitting is counting; the
only choice is B. By default B is chosen by **leave-one-out likelihood**: remove point i from its
cell and score it, (1/n) Σ_i log p_{−i}(x_i), where p_{−i} uses c_b − 1 and n − 1; too few cells
blur the data, too many leave each point alone in its cell, where p_{−i} has only the α pseudo-points.
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
EPS, BROAD_STD = 1e-3, 2.0
evaluations_per_sample = 0            # no network: a table look-up


@dataclass
class Params:
    bins: int = 0                     # B cells per axis; 0 = chosen by leave-one-out likelihood
    alpha: float = 0.05               # pseudo-points added to every cell
    margin: float = 0.1               # the box reaches this share of the data's range beyond it
    max_bins: int = 80                # largest B tried by the leave-one-out choice

    def validate(self) -> "Params":
        if not (self.bins == 0 or 2 <= self.bins <= 400):
            raise ValueError(f"bins must be 0 (choose by leave-one-out) or 2..400, got {self.bins}")
        if not 0 < self.alpha <= 100:
            raise ValueError(f"alpha (pseudo-points per cell) must be in (0, 100], got {self.alpha}")
        if not 0 <= self.margin <= 1:
            raise ValueError(f"margin must be in [0, 1], got {self.margin}")
        if not 4 <= self.max_bins <= 400:
            raise ValueError(f"max_bins must be in 4..400, got {self.max_bins}")
        return self


class Histogram(nn.Module):
    """The box [lo, hi], the cell counts c (B, B) and α; tensors only, so it saves as safetensors."""

    def __init__(self, bins: int = 2, alpha: float = 0.05):
        super().__init__()
        self.register_buffer("lo", torch.zeros(2))
        self.register_buffer("hi", torch.ones(2))
        self.register_buffer("counts", torch.zeros(bins, bins))
        self.register_buffer("alpha", torch.tensor(float(alpha)))

    @property
    def bins(self) -> int:
        return self.counts.shape[0]


@dataclass
class Preview:
    bins: int                                        # B of the histogram just counted
    tried: list[int] = field(default_factory=list)   # B values tried so far
    loo: list[float] = field(default_factory=list)   # their leave-one-out log-likelihoods (nats/point)


def build(params: Params, *, seed: int = 0) -> Histogram:
    return Histogram(max(2, params.bins), params.alpha)


def count(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(counts (B, B), the cell index of each point (n,))."""
    ij = ((x - lo) / (hi - lo) * bins).floor().long().clamp(0, bins - 1)
    cell = ij[:, 0] * bins + ij[:, 1]
    return torch.bincount(cell, minlength=bins * bins).reshape(bins, bins).to(x.dtype), cell


def _broad_log_density(x: torch.Tensor) -> torch.Tensor:
    return -math.log(2 * math.pi * BROAD_STD ** 2) - 0.5 * (x ** 2).sum(1) / BROAD_STD ** 2


def _mix(log_hist: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log[(1 − ε) p_hist + ε N(x; 0, s² I)]."""
    return torch.logaddexp(math.log1p(-EPS) + log_hist, math.log(EPS) + _broad_log_density(x))


def leave_one_out(x: torch.Tensor, lo, hi, bins: int, alpha: float) -> float:
    """(1/n) Σ_i log p_{−i}(x_i): each point scored by the histogram of the other n − 1."""
    counts, cell = count(x, lo, hi, bins)
    n, area = len(x), float(((hi - lo) / bins).prod())
    log_hist = torch.log(counts.flatten()[cell] - 1 + alpha) - math.log((n - 1 + alpha * bins ** 2) * area)
    return float(_mix(log_hist, x).mean())


def log_density(model: Histogram, x: torch.Tensor) -> torch.Tensor:
    """log p_model(x) (n,), exact."""
    B, n = model.bins, model.counts.sum()
    area = ((model.hi - model.lo) / B).prod()
    inside = ((x >= model.lo) & (x <= model.hi)).all(1)
    _, cell = count(x, model.lo, model.hi, B)
    p = (model.counts.flatten()[cell] + model.alpha) / ((n + model.alpha * B ** 2) * area)
    log_hist = torch.where(inside, torch.log(p), torch.full_like(p, -math.inf))
    return _mix(log_hist, x)


def fit(params: Params, x: torch.Tensor, *, seed: int = 0, seconds: float = 0.5, model=None):
    """Count; with bins = 0, one Record per B tried (its leave-one-out score), then the best."""
    params.validate()
    x = x.double()
    span = x.max(0).values - x.min(0).values
    lo, hi = x.min(0).values - params.margin * span, x.max(0).values + params.margin * span
    candidates = [params.bins] if params.bins else list(range(4, params.max_bins + 1, 2))
    preview = Preview(bins=candidates[0])
    model = Histogram(candidates[0], params.alpha)
    for i, B in enumerate(candidates):
        score = leave_one_out(x, lo, hi, B, params.alpha)
        preview.tried.append(B)
        preview.loo.append(score)
        best = preview.tried[max(range(len(preview.loo)), key=preview.loo.__getitem__)]
        model = Histogram(best, params.alpha)
        model.lo, model.hi = lo.float(), hi.float()
        model.counts = count(x, lo, hi, best)[0].float()
        preview = Preview(best, preview.tried, preview.loo)
        yield Record(i + 1, {"loss": -score}, {"bins": best}, preview, done=i == len(candidates) - 1, model=model)


def sample(model: Histogram, n: int, *, seed: int) -> torch.Tensor:
    """Pick a cell with probability ∝ c_b + α and a uniform point in it (or, with probability ε,
    a point of the broad Gaussian)."""
    g = torch.Generator().manual_seed(int(seed))
    B = model.bins
    cell = torch.multinomial((model.counts + model.alpha).flatten().double(), n, replacement=True, generator=g)
    ij = torch.stack([cell // B, cell % B], 1).float()
    x = model.lo + (ij + torch.rand(n, 2, generator=g)) * (model.hi - model.lo) / B
    broad = torch.rand(n, generator=g) < EPS
    return torch.where(broad[:, None], BROAD_STD * torch.randn(n, 2, generator=g), x)


def picture(model: Histogram, extent, res: int = 100) -> DensityGrid:
    """log p_model on a res × res grid over extent (x0, x1, y0, y1): the cells as a heat-map."""
    xs, ys, pts = grid_points(extent, res)
    with torch.no_grad():
        return DensityGrid(xs, ys, log_density(model, pts).reshape(res, res).numpy())
