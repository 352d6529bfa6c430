"""Measures shared by every 2-D estimator (STUB in branch toy2dui; engineer A's metrics.py replaces it).

Interface used by view.py: sample_distance(a, b) -> float.
"""
from __future__ import annotations

import numpy as np


def sample_distance(a: np.ndarray, b: np.ndarray, n: int = 2000, seed: int = 0) -> float:
    """Energy distance 2E|X−Y| − E|X−X'| − E|Y−Y'| between two point sets (0 for equal distributions)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(a, np.float64)[rng.permutation(len(a))[:n]]
    b = np.asarray(b, np.float64)[rng.permutation(len(b))[:n]]
    d = lambda p, q: np.sqrt(((p[:, None] - q[None]) ** 2).sum(-1)).mean()   # noqa: E731
    return float(2 * d(a, b) - d(a, a) - d(b, b))
