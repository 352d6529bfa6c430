"""2-D data for the map of generative models: named shapes, files of points, points drawn by hand.

Every shape is sampled from a seeded generator (same seed, same points). Two shapes have a density
we can write down, so an estimator's held-out NLL can be compared with the truth:

- ``thin_mixture``: five Gaussians with thin, rotated covariances (standard deviations 0.9 along
  and 0.12 across), p_data(x) = Σ_k π_k N(x; μ_k, R_k diag(0.9², 0.12²) R_kᵀ);
- ``checkerboard``: uniform on the 8 dark unit squares of a 4 × 4 board, p_data(x) = 1/8 there.

``moons``, ``rings`` and ``spiral`` are the usual pictures (their densities have no closed form).
A file is a ``.npy`` array or a ``.csv`` table of shape (N, 2) (an optional header line), at most
``MAX_POINTS`` finite points; points drawn with the mouse arrive as a list of (x, y).
Held-out points (``split``) are kept aside for every likelihood.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_POINTS = 20_000       # a file or a drawing may hold at most this many points
MIN_POINTS = 20           # and at least this many (some are held out)
SHAPES = ("thin_mixture", "moons", "rings", "spiral", "checkerboard")
NAMES = SHAPES            # the same tuple under the name the tab reads
KNOWN_DENSITY = ("thin_mixture", "checkerboard")

# thin_mixture: weights π_k, centres μ_k on a circle of radius 2, rotations φ_k, std (along, across)
MIX_WEIGHTS = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
MIX_ANGLES = math.pi / 2 + 2 * math.pi * np.arange(5) / 5
MIX_MEANS = 2.0 * np.stack([np.cos(MIX_ANGLES), np.sin(MIX_ANGLES)], axis=1)
MIX_ROTATIONS = MIX_ANGLES + np.array([0.0, 0.6, 1.2, 1.9, 2.6])
MIX_STD = np.array([0.9, 0.12])


def _mixture_covariances() -> np.ndarray:
    c, s = np.cos(MIX_ROTATIONS), np.sin(MIX_ROTATIONS)
    R = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)          # (5, 2, 2)
    return R @ np.diag(MIX_STD ** 2) @ R.transpose(0, 2, 1)


def sample(name: str, n: int, seed: int) -> np.ndarray:
    """n points (float64, (n, 2)) of the named shape, drawn with ``seed``."""
    if name not in SHAPES:
        raise ValueError(f"unknown 2-D shape '{name}'; choose one of {', '.join(SHAPES)} or give a .npy / .csv file")
    rng = np.random.default_rng(seed)
    if name == "thin_mixture":
        k = rng.choice(len(MIX_WEIGHTS), size=n, p=MIX_WEIGHTS)
        L = np.linalg.cholesky(_mixture_covariances())
        return MIX_MEANS[k] + np.einsum("nij,nj->ni", L[k], rng.standard_normal((n, 2)))
    if name == "checkerboard":
        x = rng.uniform(-2, 2, size=(n, 2))
        odd = (np.floor(x[:, 0]) + np.floor(x[:, 1])) % 2 == 1
        x[odd, 0] = np.where(x[odd, 0] < 1, x[odd, 0] + 1, x[odd, 0] - 3)   # move to a dark square
        return x
    if name == "moons":
        t = rng.uniform(0, math.pi, size=n)
        upper = rng.random(n) < 0.5
        x = np.where(upper[:, None], np.stack([np.cos(t), np.sin(t)], 1),
                     np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
        return x + 0.1 * rng.standard_normal((n, 2))
    if name == "rings":
        radius = np.where(rng.random(n) < 0.5, 1.0, 2.0) + 0.08 * rng.standard_normal(n)
        t = rng.uniform(0, 2 * math.pi, size=n)
        return np.stack([radius * np.cos(t), radius * np.sin(t)], 1)
    # spiral: two arms r = t, angle t + π·arm, t ∈ [0.5, 3.5]
    t = rng.uniform(0.5, 3.5, size=n)
    angle = 1.5 * t + math.pi * (rng.random(n) < 0.5)
    return t[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1) / 1.5 + 0.07 * rng.standard_normal((n, 2))


def true_log_density(name: str, x: np.ndarray) -> np.ndarray | None:
    """log p_data(x) in nats for the shapes whose density is known (``KNOWN_DENSITY``); None for
    the other shapes (their densities have no closed form); a ValueError for an unknown name."""
    x = np.asarray(x, dtype=np.float64)
    if name == "thin_mixture":
        cov = _mixture_covariances()
        diff = x[:, None, :] - MIX_MEANS[None]                                 # (n, 5, 2)
        maha = np.einsum("nki,kij,nkj->nk", diff, np.linalg.inv(cov), diff)
        log_norm = -np.log(2 * math.pi) - 0.5 * np.log(np.linalg.det(cov))
        a = np.log(MIX_WEIGHTS) + log_norm - 0.5 * maha
        m = a.max(1, keepdims=True)
        return (m + np.log(np.exp(a - m).sum(1, keepdims=True)))[:, 0]
    if name == "checkerboard":
        inside = (np.abs(x) <= 2).all(1) & ((np.floor(x[:, 0]) + np.floor(x[:, 1])) % 2 == 0)
        return np.where(inside, -np.log(8.0), -np.inf)
    if name in SHAPES:
        return None
    raise ValueError(f"unknown 2-D shape '{name}'; choose one of {', '.join(SHAPES)}")


def check_points(x, source: str = "the points") -> np.ndarray:
    """(N, 2) finite float64 points with some spread, or a ValueError saying what is wrong."""
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{source} must be numbers: (x, y) pairs") from None
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{source} must have two columns (x, y): N rows, shape (N, 2); got shape {x.shape}")
    if len(x) < MIN_POINTS:
        raise ValueError(f"{source} hold {len(x)} points; at least {MIN_POINTS} are needed (some are held out)")
    if len(x) > MAX_POINTS:
        raise ValueError(f"{source} hold {len(x):,} points; at most {MAX_POINTS:,} are allowed")
    if not np.isfinite(x).all():
        raise ValueError(f"{source} contain NaN or infinite values ({int((~np.isfinite(x)).any(1).sum())} rows)")
    if (x.std(0) <= 1e-12 * (1 + np.abs(x).max())).any():
        raise ValueError(f"{source} have no spread along {'x' if x.std(0)[0] <= 1e-12 else 'y'}: all equal")
    return x


def read_points(path: str | Path) -> np.ndarray:
    """Points from a ``.npy`` array or a ``.csv`` of x, y columns (one header line allowed)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"data file {path} not found")
    if path.suffix.lower() == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except (OSError, ValueError):           # not .npy at all, truncated, or pickled objects (never loaded)
            raise ValueError(f"{path.name} is not a readable .npy array of numbers; save one with "
                             "numpy.save('points.npy', xy) where xy has shape (N, 2), or upload a .csv of x, y") from None
    elif path.suffix.lower() in (".csv", ".txt"):
        lines = [l for l in path.read_text(errors="replace").splitlines() if l.strip()]
        rows = []
        for i, line in enumerate(lines):
            cells = [c.strip() for c in line.replace(";", ",").split(",")]
            try:
                rows.append([float(c) for c in cells])
            except ValueError:
                if i == 0:
                    continue                                  # a header line
                raise ValueError(f"{path.name}, line {i + 1}: '{line[:40]}' is not two numbers") from None
            if len(rows[-1]) != 2:
                raise ValueError(f"{path.name}, line {i + 1}: expected 2 columns (x, y), got {len(rows[-1])}")
            if len(rows) > MAX_POINTS:
                raise ValueError(f"{path.name} holds more than {MAX_POINTS:,} points; at most {MAX_POINTS:,} are allowed")
        x = np.array(rows, dtype=np.float64).reshape(-1, 2)
    else:
        raise ValueError(f"{path.name}: give a .npy array or a .csv of x, y columns")
    return check_points(x, path.name)


def from_points(points) -> np.ndarray:
    """Points drawn with the mouse: a list of (x, y) pairs."""
    return check_points([tuple(p) for p in points], "the drawn points")


@dataclass
class Split:
    train: np.ndarray          # (n_train, 2), what the estimator sees
    test: np.ndarray           # (n_test, 2), held out for every likelihood and the sample distance
    source: str                # the shape's name or the file's name


def split(x: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded shuffle, then the last ``n_test`` points held out (at most a fifth of them)."""
    n_test = max(1, min(n_test, len(x) // 5))
    perm = np.random.default_rng(seed).permutation(len(x))
    return x[perm[:-n_test]], x[perm[-n_test:]]


def load(data: str, n_train: int, n_test: int, seed: int) -> Split:
    """Training and held-out points: a named shape (n_train + n_test fresh points) or a file."""
    if data in SHAPES:
        x = sample(data, n_train + n_test, seed)
        return Split(x[:n_train], x[n_train:], data)
    if not str(data).lower().endswith((".npy", ".csv", ".txt")):
        raise ValueError(f"unknown data '{data}': a shape ({', '.join(SHAPES)}) or a .npy / .csv file of (x, y)")
    train, test = split(read_points(data), n_test, seed)
    return Split(train[:n_train], test, Path(data).name)
