"""A 1-D diffusion model that trains live in seconds (seed decks 000 / 001, SimpleDiffusion).

Data x_0 ~ p(x): a mixture of two Gaussians on the real line. The model is the
seed notebook's: a small MLP ε_θ(x_t, t) with t appended to its input, trained
with the same loss as the image DDPM,

    ‖ε − ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖²,

and sampled with the same reverse step (``genmodels.ddpm.DDPMScheduler.step``).

**The seed's schedule bug, fixed.** The notebook uses T = 50 with linear β from
1e-4 to 0.02, the numbers made for T = 1000. Then ᾱ_T = 0.603:
x_T = 0.776·x_0 + 0.630·ε keeps the signal's amplitude √ᾱ_T = 78% and, for
unit-variance data, 60% of its variance (ᾱ_T), yet sampling starts from pure N(0, 1).
Scaling the betas by 1000/T (or a cosine schedule) makes ᾱ_T ≈ 0 (below the T = 1000
schedule's 4.0e-5 for T ≥ 20, as Σβ stays 10.05), so the forward process really reaches noise.

Time counts t = 1 … T as in the decks (code timestep k = t − 1); a trajectory runs
from x_T (t = T) to the sample x_0 (t = 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from . import checkpoints
from .common import init_default, seeded
from .ddpm import DDPMScheduler
from .progress import Cadence, Record

FAMILY = "toy_diffusion"

SCHEDULES = {  # name -> T -> scheduler (x̂_0 unclipped: 1-D data is not confined to [-1, 1])
    "seed notebook (linear 1e-4..0.02: never reaches noise)":
        lambda T: DDPMScheduler(T, "linear", 1e-4, 0.02, clip_sample=False),
    "linear scaled by 1000/T (reaches noise)":
        lambda T: DDPMScheduler(T, "linear", 1e-4 * 1000 / T, min(0.999, 0.02 * 1000 / T), clip_sample=False),
    "cosine (reaches noise)":
        lambda T: DDPMScheduler(T, "cosine", clip_sample=False),
}
DEFAULT_SCHEDULE = "linear scaled by 1000/T (reaches noise)"
SEED_SCHEDULE = "seed notebook (linear 1e-4..0.02: never reaches noise)"


@dataclass
class Config:
    mode_a: float = -2.0         # centres of the two Gaussians
    mode_b: float = 2.0
    weight_a: float = 0.3        # P(component a)
    spread: float = 0.4          # their standard deviation
    schedule: str = DEFAULT_SCHEDULE
    T: int = 50
    steps: int = 1500
    batch_size: int = 256
    lr: float = 3e-3
    hidden: int = 64
    seed: int = 0

    def validate(self) -> "Config":
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {list(SCHEDULES)}")
        if not (-5 <= self.mode_a <= 5 and -5 <= self.mode_b <= 5 and 0 <= self.weight_a <= 1 and 0.05 <= self.spread <= 2):
            raise ValueError("modes must be in [-5, 5], weight in [0, 1], spread in [0.05, 2]")
        if not (1 <= self.steps <= 20_000 and 2 <= self.T <= 1000):
            raise ValueError("steps must be in 1..20000 and T in 2..1000")
        return self


def scheduler(cfg: Config) -> DDPMScheduler:
    return SCHEDULES[cfg.schedule](cfg.T)


def sample_data(cfg: Config, n: int, g: torch.Generator) -> torch.Tensor:
    """x_0 ~ weight_a·N(mode_a, spread²) + (1 − weight_a)·N(mode_b, spread²), shape (n, 1)."""
    pick_a = torch.rand(n, generator=g) < cfg.weight_a
    centre = torch.where(pick_a, torch.tensor(cfg.mode_a), torch.tensor(cfg.mode_b))
    return (centre + cfg.spread * torch.randn(n, generator=g)).unsqueeze(1)


class EpsMLP(nn.Module):
    """ε_θ(x_t, t): the seed's MLP with the (scaled) timestep appended to the input."""

    def __init__(self, hidden: int = 64, T: int = 50):
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, t.float().view(-1, 1) / self.T], dim=1))


class ToyDiffusion(nn.Module):
    """The family's Model: ``eps_model`` ε_θ (no EMA: it trains in seconds), with ``cfg``, ``steps``
    and ``card``; ``scheduler`` is the fixed forward process of ``cfg``."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.eps_model = EpsMLP(cfg.hidden, cfg.T)
        self.cfg, self.steps, self.card = cfg, 0, None
        self.scheduler = scheduler(cfg)


def build(cfg: Config) -> ToyDiffusion:
    cfg.validate()
    model = ToyDiffusion(cfg)
    init_default(model.eps_model, seeded(cfg.seed))
    return model


def train(cfg: Config, model: ToyDiffusion | None = None, *, seconds: float = 0.25, every: int = 50) -> Iterator[Record]:
    """Yields a Record (running mean of the loss, ᾱ_T) every ``every`` steps and at least every
    ``seconds``, the last with done=True; each record's ``.model`` is the live model."""
    cfg.validate()
    g = seeded(cfg.seed)                     # weights first, then batches (as before the contract)
    if model is None:
        model = ToyDiffusion(cfg)
        init_default(model.eps_model, g)
    net, sched = model.eps_model, model.scheduler
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    ab = sched.alphas_cumprod.float()
    running = None
    cadence = Cadence(every, seconds)
    for step in range(1, cfg.steps + 1):
        x0 = sample_data(cfg, cfg.batch_size, g)
        t = torch.randint(0, cfg.T, (cfg.batch_size,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        a = ab[t].view(-1, 1)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = nn.functional.mse_loss(net(x_t, t), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        model.steps += 1
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        last = step == cfg.steps
        if cadence.due(step) or last:
            yield Record(model.steps, {"loss": running}, {"alpha_bar_T": float(ab[-1])}, None, done=last, model=model)


@torch.no_grad()
def trajectories(model: ToyDiffusion, n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(final samples x_0 (n,), trajectories (T+1, n)): row k is x at t = T − k, from x_T ~ N(0, 1)
    (as the seed does) to x_0."""
    sched, net = model.scheduler, model.eps_model
    g = seeded(seed)
    x = torch.randn(n, 1, generator=g)
    path = [x[:, 0].clone()]
    for t in range(sched.T - 1, -1, -1):
        x, _ = sched.step(net(x, torch.full((n,), t)), t, x, generator=g)
        path.append(x[:, 0].clone())
    return x[:, 0], torch.stack(path)


def sample(model: ToyDiffusion, n: int, *, seed: int = 0) -> torch.Tensor:
    """n points x_0 (n, 1) on the line, by the DDPM reverse process from x_T ~ N(0, 1)."""
    return trajectories(model, n, seed=seed)[0][:, None]


def save(model: ToyDiffusion, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    card = checkpoints.card(FAMILY, model.cfg, "two-Gaussian mixture (drawn fresh each step)", model.steps, "cpu",
                            metrics, command, seconds, params=sum(p.numel() for p in model.parameters()))
    model.card = checkpoints.save(path, {"eps_model": model.eps_model}, card)
    return model.card


def load(path) -> ToyDiffusion:
    tensors, card = checkpoints.load(path, family=FAMILY)
    model = ToyDiffusion(Config(**card["config"]))
    model.eps_model.load_state_dict(checkpoints.unflatten(tensors, "eps_model"))
    model.steps, model.card = int(card.get("steps") or 0), card
    return model.eval()


def mode_share(cfg: Config, x: torch.Tensor) -> float:
    """The share of samples on mode a's side of the midpoint between the two modes."""
    x = x.reshape(-1)
    below = x < (cfg.mode_a + cfg.mode_b) / 2
    return float((below if cfg.mode_a <= cfg.mode_b else ~below).float().mean())


def evaluate(model: ToyDiffusion, *, n: int | None = None, seed: int = 0) -> dict:
    """Samples against p_data: the share near mode a (target ``weight_a``), the 1-D Wasserstein
    distance W₁ to as many fresh data points (mean gap of the sorted values), and ᾱ_T."""
    cfg, n = model.cfg, n or 4000
    x = sample(model, n, seed=seed)[:, 0]
    real = sample_data(cfg, n, seeded(seed + 1))[:, 0]
    return {"share_a": mode_share(cfg, x), "weight_a": cfg.weight_a,
            "w1": float((x.sort().values - real.sort().values).abs().mean()),
            "alpha_bar_T": float(model.scheduler.alphas_cumprod[-1]), "eval_samples": n}


SAMPLE_OPTIONS: tuple = ()
EVAL_OPTIONS: tuple = ()
CARD_EVAL: dict = {}


@dataclass
class ToyResult:
    """What the tab draws after a run: p_data vs generated density, ten trajectories, the mode share."""
    densities: list[dict]          # rows (x, density, distribution): see density_rows
    trajectories: list[dict]       # rows (t, x_t, sample): see trajectory_rows
    share_a: float                 # share of the samples near mode a
    weight_a: float                # its target, P(mode a)


def result(model: ToyDiffusion, n: int = 4000, *, seed: int = 0) -> ToyResult:
    """Sample n points with their trajectories (seed) and turn them into the tab's plots and share."""
    x, path = trajectories(model, n, seed=seed)
    return ToyResult(density_rows(model.cfg, x), trajectory_rows(path, 10), mode_share(model.cfg, x), model.cfg.weight_a)


def end_of_forward(sched: DDPMScheduler) -> dict:
    """How much of x_0 is left in x_T = √ᾱ_T x_0 + √(1−ᾱ_T) ε: ᾱ_T, the signal's amplitude √ᾱ_T,
    and its share of x_T's variance for unit-variance data (ᾱ_T; the noise has 1 − ᾱ_T)."""
    ab = float(sched.alphas_cumprod[-1])
    return {"alpha_bar_T": ab, "amplitude": math.sqrt(ab), "noise_amplitude": math.sqrt(1 - ab), "variance_share": ab}


def trajectory_rows(path: torch.Tensor, n: int = 10) -> list[dict]:
    """Rows (t, x_t, sample) for the first n trajectories of ``sample``'s path: row k of path is
    x at t = T − k, so every line has T + 1 points, from t = T down to t = 0."""
    T = path.shape[0] - 1
    return [{"t": T - k, "x_t": float(path[k, j]), "sample": f"#{j}"}
            for j in range(min(n, path.shape[1])) for k in range(T + 1)]


def density_rows(cfg: Config, x: torch.Tensor, lo: float = -5.0, hi: float = 5.0, bins: int = 80) -> list[dict]:
    """Rows (x, density, distribution): p_data(x) of the mixture at the bin centres, and the
    histogram density of the generated samples x (samples outside [lo, hi] go to the end bins)."""
    edges = torch.linspace(lo, hi, bins + 1, dtype=torch.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    width = (hi - lo) / bins
    counts = torch.histc(x.double().clamp(lo, hi - 1e-9), bins, lo, hi)
    return ([{"x": float(c), "density": float(v), "distribution": "p_data(x), the target"}
             for c, v in zip(centres, density(cfg, centres))]
            + [{"x": float(c), "density": float(k) / len(x) / width, "distribution": "p_model(x), generated"}
               for c, k in zip(centres, counts)])


def density(cfg: Config, xs: torch.Tensor) -> torch.Tensor:
    """The true p(x) of the mixture at points xs."""
    norm = lambda m: torch.exp(-0.5 * ((xs - m) / cfg.spread) ** 2) / (cfg.spread * math.sqrt(2 * math.pi))  # noqa: E731
    return cfg.weight_a * norm(cfg.mode_a) + (1 - cfg.weight_a) * norm(cfg.mode_b)
