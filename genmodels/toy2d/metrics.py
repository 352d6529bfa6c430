"""How the map of generative models scores an estimator on 2-D points.

- **held-out NLL**, nats per point in the data's own coordinates: −(1/m) Σ_j log p_model(x_j) over
  held-out points x_j (the package adds the Jacobian of its standardisation before this);
- **sample distance**: the energy distance between model samples Y and held-out points X,
  D²(X, Y) = 2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely & Rizzo), with the within-set terms
  averaged over distinct pairs so that fresh data from p_data scores 0 ± noise; both sets are divided
  by the held-out points' standard deviation per axis first, so the number has no unit and one scale
  for every shape. No bandwidth to choose (unlike MMD), and D² = 0 only when the distributions match;
- **speed**: milliseconds per 1,000 samples (median of repeats) and network evaluations per sample.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np
import torch


def nll(log_p) -> float:
    """−mean log p over the held-out points, in nats per point."""
    log_p = torch.as_tensor(log_p, dtype=torch.float64)
    return float(-log_p.mean())


def _mean_distance(a: torch.Tensor, b: torch.Tensor, same: bool) -> float:
    d = torch.cdist(a, b)
    if same:                                   # distinct pairs only: the U-statistic
        n = len(a)
        return float(d.sum() / (n * (n - 1)))
    return float(d.mean())


def energy_distance(samples, held_out) -> float:
    """D²(samples, held-out) as above, in units of the held-out points' standard deviation."""
    y = torch.as_tensor(np.asarray(samples), dtype=torch.float64)
    x = torch.as_tensor(np.asarray(held_out), dtype=torch.float64)
    scale = x.std(0).clamp_min(1e-12)
    x, y = x / scale, y / scale
    return 2 * _mean_distance(x, y, False) - _mean_distance(x, x, True) - _mean_distance(y, y, True)


def sample_distance(samples, held_out, n: int | None = 2000, seed: int = 0) -> float:
    """The shared sample distance: ``energy_distance`` on at most n points of each set (a seeded
    subsample, so that large sets cost the same)."""
    rng = np.random.default_rng(seed)
    samples, held_out = np.asarray(samples), np.asarray(held_out)
    if n is not None:
        samples = samples[rng.permutation(len(samples))[:n]] if len(samples) > n else samples
        held_out = held_out[rng.permutation(len(held_out))[:n]] if len(held_out) > n else held_out
    return energy_distance(samples, held_out)


def ms_per_1000(sample: Callable[[int], object], repeats: int = 3) -> float:
    """Median wall time of ``sample(1000)`` in milliseconds (one warm-up call first)."""
    sample(1000)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sample(1000)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)
