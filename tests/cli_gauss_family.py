"""A tiny family written to the contract (genmodels/family.py), for the CLI tests: a diagonal
Gaussian p_θ(x) = N(x; μ, diag σ²) over 2-D points fitted by gradient descent on the NLL of
seeded data drawn from N((1, −2), diag(0.5², 2²)). Small enough to train in a second, real
enough that train / sample / eval have something to get right (μ, σ move to the data's)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from genmodels import checkpoints
from genmodels.family import Option
from genmodels.progress import Cadence, Record

FAMILY = "gauss2d"
TRUE_MU, TRUE_SIGMA = (1.0, -2.0), (0.5, 2.0)
SAMPLE_OPTIONS = (Option("temperature", float, 1.0, "σ multiplier, > 0"),)
EVAL_OPTIONS = (Option("split", str, "test", "train | test"),)
CARD_EVAL = {"n": 2000}
CLI_ALIASES = {"lr": "learning_rate"}


@dataclass
class Config:
    steps: int = 300
    learning_rate: float = 0.05
    batch: int = 256
    seed: int = 0
    max_seconds: float | None = None
    sizes: tuple[int, int] = (2, 2)
    verbose: bool = False

    def validate(self) -> "Config":
        if not 1 <= self.steps <= 100_000:
            raise ValueError(f"steps must be in 1..100000, got {self.steps}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        return self


class Gauss(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(2))
        self.log_sigma = nn.Parameter(torch.zeros(2))
        self.cfg, self.steps, self.card = cfg, 0, None

    def nll(self, x):
        z = (x - self.mu) / self.log_sigma.exp()
        return (0.5 * z ** 2 + self.log_sigma + 0.5 * math.log(2 * math.pi)).sum(1)


def data(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.tensor(TRUE_MU) + torch.tensor(TRUE_SIGMA) * torch.randn(n, 2, generator=g)


def build(cfg: Config) -> Gauss:
    torch.manual_seed(cfg.seed)
    return Gauss(cfg)


def train(cfg: Config, model: Gauss | None = None, *, seconds: float = 0.25):
    model = model or build(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    cadence, t0, step = Cadence(10**9, seconds), time.perf_counter(), 0
    for step in range(1, cfg.steps + 1):
        loss = model.nll(data(cfg.batch, cfg.seed * 100_003 + model.steps)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.steps += 1
        over = cfg.max_seconds is not None and time.perf_counter() - t0 > cfg.max_seconds
        if step == cfg.steps or over:
            break
        if cadence.due(step):
            yield Record(model.steps, {"loss": loss.item()}, model=model)
    yield Record(model.steps, {"loss": loss.item()}, done=True, model=model)


@torch.no_grad()
def sample(model: Gauss, n: int, *, seed: int, temperature: float = 1.0) -> torch.Tensor:
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    g = torch.Generator().manual_seed(seed)
    return model.mu + temperature * model.log_sigma.exp() * torch.randn(n, 2, generator=g)


@torch.no_grad()
def evaluate(model: Gauss, *, n: int | None = None, seed: int = 0, split: str = "test") -> dict:
    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, got '{split}'")
    x = data(n or 5000, 10**9 + seed if split == "test" else seed)
    return {"test_nll": float(model.nll(x).mean()), "n": len(x)}


def save(model: Gauss, path, metrics: dict, *, command: str = "", seconds=None) -> dict:
    card = checkpoints.card(FAMILY, model.cfg, "gauss", model.steps, "cpu", metrics, command, seconds)
    return checkpoints.save(path, {"model": model}, card)


def load(path) -> Gauss:
    tensors, card = checkpoints.load(path, FAMILY)
    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in card["config"].items()})
    model = build(cfg)
    model.load_state_dict(checkpoints.unflatten(tensors, "model"))
    model.steps, model.card = card["steps"], card
    return model.eval()
