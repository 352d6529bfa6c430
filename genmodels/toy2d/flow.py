"""A normalizing flow on 2-D points (deck 003's "restricted neural network models"; Dinh et al.;
Rezende & Mohamed): an invertible map f_θ from data x to a base point z = f_θ(x) ~ N(0, I), and
the change of variables

    log p_θ(x) = log N(f_θ(x); 0, I) + log |det ∂f_θ/∂x|.

f_θ is a stack of coupling layers (Dinh et al. 2017) with rational-quadratic spline transforms
(Durkan et al. 2019, "Neural Spline Flows"). Layer l keeps one coordinate and moves the other
through a monotone spline whose knots an MLP computes from the kept one:

    y_a = x_a,    y_b = s(x_b; θ_l(x_a))        (a, b = 1, 2 in one layer; 2, 1 in the next)

so its Jacobian is triangular and log |det| = log s'(x_b). The spline maps [−B, B] onto itself
through K monotone rational-quadratic pieces and is the identity outside. Training is maximum
likelihood on minibatches,

    L(θ) = −(1/B) Σ_i [ log N(f_θ(x_i); 0, I) + log |det ∂f_θ/∂x (x_i)| ],

Adam with a cosine learning rate over the run's budget. Sampling runs the layers backwards,
x = f_θ⁻¹(z), z ~ N(0, I) (each spline inverts in closed form: a quadratic), one pass per sample.
The picture warps the base Gaussian's grid: lines of constant z₁ or z₂ pulled back through f_θ⁻¹.
Works in standardised coordinates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import DensityGrid, LossCurve, fit_max_likelihood, grid_points
from ..common import init_default

KIND = "exact"
evaluations_per_sample = 1            # one pass through the layers, backwards
MIN_WIDTH, MIN_HEIGHT, MIN_DERIVATIVE = 1e-3, 1e-3, 1e-3


@dataclass
class Params:
    layers: int = 4                   # coupling layers (alternating which coordinate moves)
    bins: int = 12                    # K spline pieces
    hidden: int = 64                  # width of each layer's MLP
    bound: float = 4.0                # B: the spline acts on [−B, B] (standardised units), identity outside
    steps: int = 8000                 # Adam steps at most
    batch_size: int = 512
    lr: float = 5e-3                  # peak learning rate (cosine to 0 over the budget)
    max_seconds: float = 20.0         # the run's wall-time budget (the package sets it from Config.seconds)

    def validate(self) -> "Params":
        if not 1 <= self.layers <= 32:
            raise ValueError(f"layers must be in 1..32, got {self.layers}")
        if not 2 <= self.bins <= 64:
            raise ValueError(f"bins must be in 2..64, got {self.bins}")
        if not 4 <= self.hidden <= 1024:
            raise ValueError(f"hidden must be in 4..1024, got {self.hidden}")
        if not 0.5 <= self.bound <= 50:
            raise ValueError(f"bound must be in [0.5, 50], got {self.bound}")
        if not 1 <= self.steps <= 1_000_000:
            raise ValueError(f"steps must be in 1..1000000, got {self.steps}")
        if not 8 <= self.batch_size <= 20_000:
            raise ValueError(f"batch_size must be in 8..20000, got {self.batch_size}")
        if not 0 < self.lr <= 1:
            raise ValueError(f"lr must be in (0, 1], got {self.lr}")
        if not 0 <= self.max_seconds <= 3600:
            raise ValueError(f"max_seconds must be in [0, 3600] (0 = steps only), got {self.max_seconds}")
        return self


def rq_spline(x, widths, heights, derivatives, bound: float, inverse: bool = False):
    """The monotone rational-quadratic spline of Durkan et al. (2019) on [−B, B], identity outside.

    x (n,); widths, heights (n, K) and derivatives (n, K − 1) unconstrained. Returns (y, log s'(x))
    forward, or (x, −log s'(x)) of the input y when ``inverse``."""
    inside = (x > -bound) & (x < bound)
    xc, K = x.clamp(-bound, bound), widths.shape[-1]        # computed for every point, kept where inside
    w = MIN_WIDTH + (1 - MIN_WIDTH * K) * torch.softmax(widths, -1)
    h = MIN_HEIGHT + (1 - MIN_HEIGHT * K) * torch.softmax(heights, -1)
    # knots: cumulative widths / heights over [−B, B]; slopes at the knots, 1 at both ends (identity tails)
    cw = F.pad(torch.cumsum(w, -1), (1, 0)) * 2 * bound - bound
    ch = F.pad(torch.cumsum(h, -1), (1, 0)) * 2 * bound - bound
    cw[:, 0], cw[:, -1], ch[:, 0], ch[:, -1] = -bound, bound, -bound, bound
    d = F.pad(MIN_DERIVATIVE + F.softplus(derivatives), (1, 1), value=1.0)
    knots = ch if inverse else cw
    k = (xc[:, None] >= knots[:, 1:-1]).sum(-1, keepdim=True)          # the piece each point is in
    x_k, w_k = cw.gather(-1, k)[:, 0], (cw[:, 1:] - cw[:, :-1]).gather(-1, k)[:, 0]
    y_k, h_k = ch.gather(-1, k)[:, 0], (ch[:, 1:] - ch[:, :-1]).gather(-1, k)[:, 0]
    d_k, d_k1 = d.gather(-1, k)[:, 0], d.gather(-1, k + 1)[:, 0]
    delta = h_k / w_k
    if not inverse:
        theta = (xc - x_k) / w_k
    else:                                  # solve the piece's quadratic for θ
        dy = xc - y_k
        a = h_k * (delta - d_k) + dy * (d_k1 + d_k - 2 * delta)
        b = h_k * d_k - dy * (d_k1 + d_k - 2 * delta)
        c = -delta * dy
        theta = (2 * c) / (-b - torch.sqrt((b ** 2 - 4 * a * c).clamp_min(0)))
    t1 = theta * (1 - theta)
    denominator = delta + (d_k1 + d_k - 2 * delta) * t1
    log_slope = (2 * torch.log(delta) + torch.log(d_k1 * theta ** 2 + 2 * delta * t1 + d_k * (1 - theta) ** 2)
                 - 2 * torch.log(denominator))
    if not inverse:
        moved = y_k + h_k * (delta * theta ** 2 + d_k * t1) / denominator
    else:
        moved, log_slope = x_k + theta * w_k, -log_slope
    return torch.where(inside, moved, x), torch.where(inside, log_slope, torch.zeros_like(x))


class Coupling(nn.Module):
    """y_a = x_a, y_b = s(x_b; θ(x_a)): coordinate b moves, a (the other one) conditions."""

    def __init__(self, b: int, bins: int, hidden: int, bound: float):
        super().__init__()
        self.b, self.bins, self.bound = b, bins, bound
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 3 * bins - 1))

    def _spline(self, x: torch.Tensor, inverse: bool):
        a = 1 - self.b
        theta = self.net(x[:, a:a + 1])
        w, h, d = theta[:, :self.bins], theta[:, self.bins:2 * self.bins], theta[:, 2 * self.bins:]
        moved, logdet = rq_spline(x[:, self.b], w, h, d, self.bound, inverse)
        y = x.clone()
        y[:, self.b] = moved
        return y, logdet

    def forward(self, x):
        return self._spline(x, inverse=False)

    def inverse(self, y):
        return self._spline(y, inverse=True)


class Flow(nn.Module):
    """f_θ = coupling layers; x → z with the summed log |det|, and back."""

    def __init__(self, layers: int = 4, bins: int = 12, hidden: int = 64, bound: float = 4.0, seed: int = 0):
        super().__init__()
        self.layers = nn.ModuleList(Coupling(1 - l % 2, bins, hidden, bound) for l in range(layers))
        g = torch.Generator().manual_seed(int(seed))
        init_default(self, g)
        for layer in self.layers:                 # start near the identity: last layer's weights small
            layer.net[-1].weight.data.mul_(0.01)
            layer.net[-1].bias.data.zero_()

    def forward(self, x: torch.Tensor):
        """(z = f_θ(x), log |det ∂f_θ/∂x|)."""
        logdet = torch.zeros(len(x), dtype=x.dtype)
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            z, _ = layer.inverse(z)
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log N(f_θ(x); 0, I) + log |det ∂f_θ/∂x|, shape (n,)."""
        z, logdet = self(x)
        return -0.5 * (z ** 2).sum(1) - math.log(2 * math.pi) + logdet


Preview = LossCurve     # the minibatch −log-likelihood, one per record


def build(params: Params, *, seed: int = 0) -> Flow:
    return Flow(params.layers, params.bins, params.hidden, params.bound, seed)


def log_density(model: Flow, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.log_prob(x.float())


def fit(params: Params, x: torch.Tensor, *, seed: int = 0, seconds: float = 0.5, model: Flow | None = None):
    """Adam on L(θ) = −mean[log N(f_θ(x); 0, I) + log |det|] (maximum likelihood, the loop shared with the other
    exact models: ``toy2d.fit_max_likelihood``); a Record at least every ``seconds``."""
    params.validate()
    model = model if model is not None else build(params, seed=seed)
    yield from fit_max_likelihood(model, params, x, seed=seed, seconds=seconds, clip=10.0)


def sample(model: Flow, n: int, *, seed: int) -> torch.Tensor:
    """x = f_θ⁻¹(z), z ~ N(0, I)."""
    g = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        return model.inverse(torch.randn(n, 2, generator=g))


@dataclass
class Picture(DensityGrid):
    POINT_FIELDS = ("warped_grid",)
    warped_grid: object = None    # numpy (lines, points, 2): lines z₁ = c and z₂ = c of the base, through f_θ⁻¹


def picture(model: Flow, extent, res: int = 100, lines: int = 13, points: int = 101) -> Picture:
    """log p_θ on a grid, and the base Gaussian's grid (z in [−3, 3]²) warped into data space."""
    xs, ys, pts = grid_points(extent, res)
    c = torch.linspace(-3, 3, lines)
    t = torch.linspace(-3, 3, points)
    vertical = torch.stack([c[:, None].expand(lines, points), t[None].expand(lines, points)], -1)
    horizontal = vertical.flip(-1)
    z = torch.cat([vertical, horizontal]).reshape(-1, 2)
    with torch.no_grad():
        log_p = model.log_prob(pts).reshape(res, res)
        warped = model.inverse(z).reshape(2 * lines, points, 2)
    return Picture(xs, ys, log_p.numpy(), warped.numpy())
