"""2-D data sets (STUB in branch toy2dui; engineer A's data.py replaces it at merge).

Interface used by view.py / the tab: NAMES, sample(name, n, seed=…), true_log_density(name, x),
read_points(path), from_points(list of (x, y)), MAX_POINTS.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

NAMES = ("thin_mixture", "moons", "rings", "spiral", "checkerboard")
MAX_POINTS = 20_000

# a Gaussian mixture of thin, rotated components: its exact density is known
_MIX_MEANS = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
_MIX_ANGLES = np.array([0.0, math.pi / 4, math.pi / 2, -math.pi / 4])
_MIX_SD = (0.8, 0.12)


def _mix_covs() -> np.ndarray:
    covs = []
    for a in _MIX_ANGLES:
        r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        covs.append(r @ np.diag(np.square(_MIX_SD)) @ r.T)
    return np.stack(covs)


def sample(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points (n, 2) float32 of the named shape, the same for the same seed."""
    rng = np.random.default_rng(seed)
    if name == "moons":
        k = rng.integers(0, 2, n)
        a = rng.uniform(0, math.pi, n)
        x = np.where(k == 0, np.cos(a), 1 - np.cos(a))
        y = np.where(k == 0, np.sin(a), 0.5 - np.sin(a))
        pts = np.stack([x, y], 1) + rng.normal(0, 0.08, (n, 2))
    elif name == "rings":
        r = rng.choice([1.0, 2.0], n)
        a = rng.uniform(0, 2 * math.pi, n)
        pts = np.stack([r * np.cos(a), r * np.sin(a)], 1) + rng.normal(0, 0.08, (n, 2))
    elif name == "spiral":
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * math.pi
        pts = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 3 + rng.normal(0, 0.1, (n, 2))
    elif name == "checkerboard":
        x = rng.uniform(-2, 2, n)
        y = rng.uniform(0, 1, n) + rng.integers(-2, 2, n) + (np.floor(x) % 2)
        y = (y + 2) % 4 - 2
        pts = np.stack([x, y], 1)
    elif name == "thin_mixture":
        k = rng.integers(0, len(_MIX_MEANS), n)
        chol = np.linalg.cholesky(_mix_covs())
        pts = _MIX_MEANS[k] + np.einsum("nij,nj->ni", chol[k], rng.normal(size=(n, 2)))
    else:
        raise ValueError(f"unknown data set '{name}'; choose one of {', '.join(NAMES)}")
    return pts.astype(np.float32)


def true_log_density(name: str, x: np.ndarray) -> np.ndarray | None:
    """log p_data(x) in nats where it is known exactly (the mixture), else None."""
    if name != "thin_mixture":
        return None
    x = np.asarray(x, np.float64)
    covs = _mix_covs()
    inv, logdet = np.linalg.inv(covs), np.linalg.slogdet(covs)[1]
    d = x[:, None, :] - _MIX_MEANS[None]
    m = np.einsum("nki,kij,nkj->nk", d, inv, d)
    logs = -0.5 * m - 0.5 * logdet[None] - math.log(2 * math.pi) - math.log(len(_MIX_MEANS))
    top = logs.max(1, keepdims=True)
    return (top + np.log(np.exp(logs - top).sum(1, keepdims=True)))[:, 0]


def _check(pts: np.ndarray, what: str) -> np.ndarray:
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{what}: expected points with two columns (x, y); got an array of shape {pts.shape}.")
    if len(pts) < 20:
        raise ValueError(f"{what}: need at least 20 points; got {len(pts)}.")
    if len(pts) > MAX_POINTS:
        raise ValueError(f"{what}: at most {MAX_POINTS:,} points; got {len(pts):,}.")
    if not np.isfinite(pts).all():
        raise ValueError(f"{what}: the points contain NaN or infinite values.")
    if np.ptp(pts, 0).min() == 0:
        raise ValueError(f"{what}: the points lie on a line; they need spread in both x and y.")
    return pts.astype(np.float32)


def read_points(path) -> np.ndarray:
    """(N, 2) points from a .npy file or a CSV of x, y rows (a header line is allowed)."""
    path = Path(path)
    what = path.name
    if path.suffix.lower() == ".npy":
        try:
            pts = np.load(path, allow_pickle=False)
        except Exception:  # noqa: BLE001 - any unreadable file gets one clear sentence
            raise ValueError(f"{what}: not a readable .npy array of numbers.") from None
        if not np.issubdtype(pts.dtype, np.number):
            raise ValueError(f"{what}: the array holds {pts.dtype}, not numbers.")
        return _check(np.asarray(pts, np.float64), what)
    if path.suffix.lower() in (".csv", ".txt"):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            raise ValueError(f"{what}: not a text CSV file.") from None
        rows = [r for r in text.splitlines() if r.strip()]
        try:
            float(rows[0].replace(";", ",").split(",")[0])
        except (ValueError, IndexError):
            rows = rows[1:]                               # a header line
        try:
            pts = np.array([[float(v) for v in r.replace(";", ",").split(",")] for r in rows], np.float64)
        except ValueError:
            raise ValueError(f"{what}: every row must be two numbers x, y separated by a comma.") from None
        return _check(pts.reshape(len(rows), -1) if rows else np.zeros((0, 2)), what)
    raise ValueError(f"{what}: upload a .csv (x, y per row) or a .npy array of shape (N, 2).")


def from_points(points) -> np.ndarray:
    """Points drawn with the mouse (a list of (x, y)) as an (N, 2) array, checked."""
    return _check(np.asarray(points, np.float64).reshape(-1, 2), "drawn points")
