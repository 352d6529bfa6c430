"""What the "Map of models" tab shows, computed: data sets, live frames, measurements, the side-by-side table.

The tab (demos/toy2d.py) only wires widgets to these functions. Everything here returns numpy arrays,
PIL images, numbers, strings or small dataclasses.

Coordinates. Estimators work in standardised coordinates u = (x − m) / s (per axis, m and s from the
training points); a density there maps back to the data's own coordinates by the Jacobian of that map:

    log p_x(x) = log p_u(u) − Σ_i log s_i

so every NLL shown is in nats per point **of the data as given**.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image, ImageDraw

from .. import plotting
from . import ESTIMATORS, data, metrics

ALL = ("histogram", "kde", "gmm", "autoregressive", "flow", "vae", "gan", "diffusion", "ebm")

# The decks' taxonomy (deck 002 after Goodfellow's tutorial; deck 003's "key challenge"): each branch
# with its leaves, the leaves being ESTIMATORS' names.
TAXONOMY = (
    ("Explicit density, tractable", "p(x) evaluated exactly: a restricted model family",
     ("histogram", "kde", "gmm", "autoregressive", "flow")),
    ("Explicit density, approximate", "p(x) only bounded or unnormalised",
     ("vae", "diffusion", "ebm")),
    ("Implicit density", "samples only: no p(x) to evaluate",
     ("gan",)),
)

LABELS = {"histogram": "Histogram", "kde": "KDE", "gmm": "GMM (EM)", "autoregressive": "Autoregressive",
          "flow": "Normalizing flow", "vae": "VAE", "gan": "GAN", "diffusion": "Diffusion", "ebm": "Energy-based"}

# What each KIND means for the likelihood column.
LIKELIHOOD = {"exact": "yes: exact", "bound": "bound: −ELBO ≥ NLL", "unnormalised": "no: Z(θ) unknown",
              "implicit": "no: implicit"}

# A latent space: a variable z the model maps to x (a property of the model, not measured).
LATENT = {"histogram": "no", "kde": "no", "gmm": "discrete: the component k", "autoregressive": "no",
          "flow": "yes: z = f(x), same dimension", "vae": "yes: z ~ q(z|x)", "gan": "yes: z ↦ G(z), no encoder",
          "diffusion": "x_T, same dimension", "ebm": "no"}

# The text of the EBM's picture: why its density cannot be normalised in high dimension.
WHY_NO_Z = (
    "**Why Z(θ) cannot be computed in high dimension.** p_θ(x) = exp(−E_θ(x)) / Z(θ) with Z(θ) = ∫ exp(−E_θ(x)) dx. "
    "Here x has 2 coordinates, so a grid of 256 × 256 = 65,536 energies sums Z (that is how the NLL below is "
    "normalised). The same grid in d dimensions needs 256^d energies: 16.7 million for d = 3, and for a 28 × 28 "
    "MNIST digit (d = 784) about 10^1888. Training never needs Z (Langevin samples stand in for it), but "
    "p_θ(x) can then only be compared between points, never evaluated.")

PANEL = 380                          # pixels of each square picture
BLUE, ORANGE = (31, 119, 180), (255, 127, 14)       # p_data blue, p_model orange (as on every tab)
CACHE = Path(__file__).resolve().parents[2] / "checkpoints" / "runs" / "toy2d-map"


@contextmanager
def one_thread():
    """Run torch on one intra-op thread here, then restore the count.

    These networks are tiny (2-D points, 128 units): splitting a 256 × 128 matrix product over two
    threads costs more than it saves, and on a busy machine the two threads wait for each other.
    Measured on this 2-core machine while other jobs ran (load average 19): 100 GAN steps took 2.5 s on
    one thread and 71 s on torch's default two, medians of 3 interleaved repeats
    (``python3 benchmarks/toy2d_threads.py``). torch's thread count belongs to the calling OS thread, so
    other tabs' jobs (on other threads) keep theirs."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def single_threaded(records: Iterator) -> Iterator:
    """``records``, each step taken under ``one_thread`` (whichever thread asks for it); closing this
    closes ``records``."""
    try:
        while True:
            with one_thread():
                try:
                    item = next(records)
                except StopIteration:
                    return
            yield item
    finally:
        records.close()


def module(name: str):
    if name not in ESTIMATORS:
        raise ValueError(f"Unknown family '{name}'; this build has: {', '.join(ESTIMATORS)}.")
    return importlib.import_module(ESTIMATORS[name])


# ---------------------------------------------------------------------------------------------
# Data: a named shape, points drawn with the mouse, or an uploaded file; split into train / held out
# ---------------------------------------------------------------------------------------------
@dataclass
class Dataset:
    name: str                        # "moons", …, "drawn", or the uploaded file's name
    train: np.ndarray                # (n, 2) in the data's own coordinates
    test: np.ndarray                 # (m, 2) held out: every NLL and the sample distance use these
    true_log_density: np.ndarray | None = None   # log p_data of ``test`` where known exactly
    mean: np.ndarray = field(init=False)
    scale: np.ndarray = field(init=False)

    def __post_init__(self):
        self.mean = self.train.mean(0).astype(np.float64)
        self.scale = self.train.std(0).astype(np.float64)

    def standardise(self, x) -> np.ndarray:
        return ((np.asarray(x, np.float64) - self.mean) / self.scale).astype(np.float32)

    def unstandardise(self, u) -> np.ndarray:
        return np.asarray(u, np.float64) * self.scale + self.mean

    @property
    def log_jacobian(self) -> float:
        """Σ_i log s_i: subtract from a log-density in standardised coordinates."""
        return float(np.log(self.scale).sum())

    def extent(self) -> tuple[float, float, float, float]:
        """A square (x0, x1, y0, y1) around the data with a margin."""
        lo, hi = np.percentile(np.concatenate([self.train, self.test]), [0.5, 99.5], axis=0)
        c, half = (lo + hi) / 2, max(hi - lo) / 2 * 1.25
        return float(c[0] - half), float(c[0] + half), float(c[1] - half), float(c[1] + half)

    def extent_std(self) -> tuple[float, float, float, float]:
        x0, x1, y0, y1 = self.extent()
        (a0, b0), (a1, b1) = self.standardise([[x0, y0]])[0], self.standardise([[x1, y1]])[0]
        return float(a0), float(a1), float(b0), float(b1)


def split(points: np.ndarray, name: str, seed: int = 0, held_out: float = 0.2) -> Dataset:
    """A random ``held_out`` share of the points kept aside (seeded)."""
    points = np.asarray(points, np.float32)
    order = np.random.default_rng(seed).permutation(len(points))
    m = max(1, int(round(len(points) * held_out)))
    return Dataset(name, points[order[m:]], points[order[:m]])


def named(name: str, n: int = 5000, seed: int = 0) -> Dataset:
    """A named shape: n training points and n/4 fresh held-out points."""
    ds = Dataset(name, data.sample(name, n, seed=seed), data.sample(name, n // 4, seed=seed + 10_000))
    ds.true_log_density = data.true_log_density(name, ds.test)
    return ds


def uploaded(path) -> Dataset:
    """An uploaded .csv / .npy of (x, y) points (ValueError with a clear sentence when unusable)."""
    return split(data.read_points(path), Path(path).name)


def points_from_sketch(image, extent=(-2.0, 2.0, -2.0, 2.0), n: int = 2000, seed: int = 0) -> np.ndarray:
    """Points drawn with the mouse: ``n`` points spread over the dark pixels of a sketch (an array or a
    gr.Sketchpad dict), mapped to ``extent`` (x right, y up). ValueError if nothing is drawn."""
    if isinstance(image, dict):
        image = image.get("composite")
    if image is None:
        raise ValueError("Draw a shape first: the pad is empty.")
    try:
        a = np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError("Draw a shape first: the pad's picture could not be read.") from None
    if a.ndim not in (2, 3) or min(a.shape[:2]) < 2 or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError("Draw a shape first: the pad's picture could not be read.")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 3 and a.shape[2] == 4:
        ink = (a[..., 3] / 255.0) * (1 - a[..., :3].mean(2) / 255.0)
    elif a.ndim == 3:
        ink = 1 - a[..., :3].mean(2) / 255.0
    else:
        ink = 1 - a / 255.0
    rows, cols = np.nonzero(ink > 0.5)
    if len(rows) < 20:
        raise ValueError("Draw a shape first: the pad has (almost) no ink.")
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(rows), n)
    h, w = ink.shape
    x0, x1, y0, y1 = extent
    px = (cols[pick] + rng.uniform(0, 1, n)) / w
    py = (rows[pick] + rng.uniform(0, 1, n)) / h
    return np.stack([x0 + px * (x1 - x0), y1 - py * (y1 - y0)], 1).astype(np.float32)


def drawn(image, seed: int = 0) -> Dataset:
    return split(data.from_points(points_from_sketch(image, seed=seed)), "drawn", seed)


# ---------------------------------------------------------------------------------------------
# Pictures: heat-maps, contours, points and overlays drawn into PIL images with axes x1, x2
# ---------------------------------------------------------------------------------------------
def _heat(values: np.ndarray, low=(255, 255, 255), high=(49, 54, 149)) -> np.ndarray:
    """values in [0, 1] (res, res) -> RGB, white to dark blue."""
    v = np.clip(values, 0, 1)[..., None]
    return (np.array(low) * (1 - v) + np.array(high) * v).astype(np.uint8)


def density_shade(log_p: np.ndarray) -> np.ndarray:
    """A log-density grid as shading in [0, 1]: p / max p (so the peak is darkest)."""
    finite = np.isfinite(log_p)
    if not finite.any():
        return np.zeros_like(log_p)
    top = log_p[finite].max()
    return np.where(finite, np.exp(np.clip(log_p - top, -50, 0)), 0.0)


def contour_mask(log_p: np.ndarray, levels=(1.0, 2.5, 4.5)) -> np.ndarray:
    """Pixels on the contours log p = max log p − level (nats below the peak): a boolean grid."""
    top = np.nanmax(np.where(np.isfinite(log_p), log_p, np.nan))
    mask = np.zeros(log_p.shape, bool)
    for lv in levels:
        inside = log_p >= top - lv
        edge = np.zeros_like(inside)
        edge[:-1] |= inside[:-1] != inside[1:]
        edge[:, :-1] |= inside[:, :-1] != inside[:, 1:]
        mask |= edge
    return mask


def density_background(log_p: np.ndarray, size: int = PANEL) -> np.ndarray:
    """A log-density grid as the picture's background: shading ∝ p, contours 1, 2.5, 4.5 nats below the
    peak, computed at the picture's own resolution (bilinear in log p) so the lines are one pixel thin."""
    _, _, w, h = plotting.plot_box(size, True)
    fine = np.asarray(Image.fromarray(np.nan_to_num(log_p, nan=-1e4, neginf=-1e4).astype(np.float32), mode="F")
                      .resize((w, h), Image.BILINEAR), np.float64)
    rgb = _heat(density_shade(fine))
    rgb[contour_mask(fine)] = (20, 20, 60)
    return rgb


class Canvas:
    """A square picture over ``extent`` with axes x₁, x₂; draw points and lines in plot coordinates."""

    def __init__(self, extent, background: np.ndarray | None = None, size: int = PANEL, names=("x", "x")):
        self.extent, self.size = extent, size
        left, top, w, h = plotting.plot_box(size, True)
        self.img = Image.new("RGB", (size, size), "white")
        if background is not None:
            self.img.paste(Image.fromarray(background).resize((w, h), Image.BILINEAR), (left, top))
        self.draw = ImageDraw.Draw(self.img)
        self.names = names

    def xy(self, p):
        return plotting.point_to_pixel(p, self.extent, self.size, True)

    def points(self, pts, colour, radius: float = 1.6):
        for p in np.asarray(pts)[:3000]:
            px, py = self.xy(p)
            self.draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=colour)

    def line(self, pts, colour, width: int = 1):
        self.draw.line([self.xy(p) for p in np.asarray(pts)], fill=colour, width=width)

    def arrow(self, start, vec, colour, width: int = 1):
        (ax, ay), (bx, by) = self.xy(start), self.xy(np.asarray(start) + np.asarray(vec))
        self.draw.line([(ax, ay), (bx, by)], fill=colour, width=width)
        ang, head = math.atan2(by - ay, bx - ax), 4.0
        for da in (2.6, -2.6):
            self.draw.line([(bx, by), (bx + head * math.cos(ang + da), by + head * math.sin(ang + da))], fill=colour, width=width)

    def ellipse(self, centre, sd, colour, width: int = 1):
        (ax, ay), (bx, by) = self.xy((centre[0] - sd[0], centre[1] + sd[1])), self.xy((centre[0] + sd[0], centre[1] - sd[1]))
        self.draw.ellipse([ax, ay, bx, by], outline=colour, width=width)

    def image(self) -> Image.Image:
        left, top, w, h = plotting.plot_box(self.size, True)
        d, s = self.draw, self.size
        d.rectangle([0, 0, s - 1, top - 1], fill="white")           # cut what spills over the margins
        d.rectangle([0, top + h, s - 1, s - 1], fill="white")
        d.rectangle([0, 0, left - 1, s - 1], fill="white")
        d.rectangle([left + w, 0, s - 1, s - 1], fill="white")
        plotting._draw_axes(d, self.extent, s, self.names)
        return self.img


def data_picture(ds: Dataset) -> Image.Image:
    """The data set alone: training points blue, held-out points grey."""
    c = Canvas(ds.extent())
    c.points(ds.test, (160, 160, 160))
    c.points(ds.train, BLUE)
    return c.image()


# ---------------------------------------------------------------------------------------------
# One family trained live: frames of (main picture, family picture, status, losses)
# ---------------------------------------------------------------------------------------------
@dataclass
class Measured:
    """One row of the side-by-side table: what a fitted estimator measures on the held-out points."""
    name: str
    kind: str
    nll: float | None                # nats per point, data coordinates (a bound's −ELBO; EBM: Z on a grid)
    nll_gap: float | None            # nll − the true density's NLL on the same points, where known
    distance: float                  # energy distance of 2,000 samples to the held-out points
    train_seconds: float
    ms_per_1000: float               # wall time of sample(model, 1000)
    evaluations: int                 # network evaluations per sample
    steps: int
    stable: str                      # "yes" / "no: …", from the sample distance along training


def evaluations(mod, model) -> int:
    e = getattr(mod, "evaluations_per_sample", 1)
    return int(e(model) if callable(e) else e)


def held_out_nll(mod, model, ds: Dataset) -> float | None:
    """−mean log p(x) over the held-out points, nats per point in data coordinates; the bound for
    KIND "bound"; for "unnormalised", log Z summed on a grid (possible in 2-D only); None if implicit."""
    if mod.KIND == "implicit":
        return None
    u = torch.from_numpy(ds.standardise(ds.test))
    log_p = mod.log_density(model, u).double().numpy()
    if mod.KIND == "unnormalised":
        log_p = log_p - mod.log_partition(model)
    return float(-log_p.mean() + ds.log_jacobian)


def measure(mod, model, ds: Dataset, name: str, train_seconds: float, steps: int, stable: str = "") -> Measured:
    t = time.perf_counter()
    samples = ds.unstandardise(mod.sample(model, 1000, seed=1).detach().numpy())
    ms = (time.perf_counter() - t) * 1000
    more = ds.unstandardise(mod.sample(model, 1000, seed=2).detach().numpy())
    distance = metrics.sample_distance(np.concatenate([samples, more]), ds.test)
    nll = held_out_nll(mod, model, ds)
    gap = None
    if nll is not None and ds.true_log_density is not None:
        gap = nll + float(np.mean(ds.true_log_density))
    return Measured(name, mod.KIND, nll, gap, distance, train_seconds, ms, evaluations(mod, model), steps, stable)


@dataclass
class Frame:
    main: Image.Image                # samples (orange) over the data (blue), the model's density / D behind
    family: Image.Image              # the family's own picture (latent ellipses, G's z-grid, ε field, chains)
    caption: str                     # what the two pictures show, at this step
    status: str                      # step, time, losses
    losses: list[dict]               # rows {step, term, nats} for a line plot
    measured: Measured | None = None  # on the last frame


def _lines_over_data(ds, ext, lines, samples) -> np.ndarray:
    """Training points (pale), a family's grid lines mapped into data space (grey), its samples (orange)."""
    fam = Canvas(ext)
    fam.points(ds.train[:800], (180, 200, 230))
    for ln in lines:
        fam.line(ds.unstandardise(ln), (90, 90, 90))
    fam.points(samples, ORANGE, 1.2)
    return fam.image()


def pictures(name: str, mod, model, ds: Dataset, res: int = 48) -> tuple[Image.Image, Image.Image, str]:
    """(main picture, family picture, caption) of a model at this moment."""
    ext, ext_u = ds.extent(), ds.extent_std()
    samples = ds.unstandardise(mod.sample(model, 600, seed=1).detach().numpy())
    main_bg, caption, family = None, "", None
    if name == "gan":
        pic = mod.picture(model, ext_u, res)
        # GAN Lab's colours: green where D says "real", purple where "fake", white at D = ½
        d = np.flipud(pic.D)[..., None]                 # image rows run top (y1) to bottom
        main_bg = np.where(d >= 0.5, (1 - (d - 0.5) * 2) * 255 + (d - 0.5) * 2 * np.array([116, 196, 118]),
                           (1 - (0.5 - d) * 2) * 255 + (0.5 - d) * 2 * np.array([158, 154, 200])).astype(np.uint8)
        family = _lines_over_data(ds, ext, pic.z_lines, samples)
        caption = (f"Left: D(x) behind the points (green: D > ½ \"real\", purple: D < ½ \"fake\", white: ½; range "
                   f"{pic.D.min():.2f}…{pic.D.max():.2f}). Right: G's image of a grid of z in [−{pic.z_extent:g}, "
                   f"{pic.z_extent:g}]² (grey lines) and samples G(z). No density: a GAN is implicit.")
    elif name == "vae":
        pts = ds.train[np.random.default_rng(0).permutation(len(ds.train))[:12]]
        pic = mod.picture(model, ext_u, res, points=ds.standardise(pts))
        main_bg = density_background(np.flipud(pic.log_density))
        fam = Canvas((-3.0, 3.0, -3.0, 3.0), names=("z", "z"))
        fam.ellipse((0, 0), (2, 2), (150, 150, 150), 2)
        for i, (m, s) in enumerate(zip(pic.post_mu, pic.post_sd)):
            fam.ellipse(m[:2], s[:2], plotting.CLASS_COLOURS[i % 10], 2)
        family = fam.image()
        caption = ("Left: the ELBO as a density (shading ∝ exp ELBO; contours 1, 2.5 and 4.5 nats below its peak), "
                   "a lower bound on log p_θ(x). Right: the encoder's posteriors q_φ(z|x) = N(μ_φ(x), σ_φ²(x)) "
                   "of the 12 circled points (1 σ ellipses, same colours), and the radius-2 circle of p(z) = N(0, I).")
    elif name == "diffusion":
        pic = mod.picture(model, ext_u, res)
        main_bg = density_background(np.flipud(pic.log_density))
        fam = Canvas(ext)
        fam.points(ds.train[:800], (180, 200, 230))
        length = (ext[1] - ext[0]) / 16
        vec = pic.arrows * ds.scale
        norm = np.linalg.norm(vec, axis=1, keepdims=True).max() + 1e-9
        for a, v in zip(ds.unstandardise(pic.arrow_at), vec / norm * length):
            fam.arrow(a, v, (90, 90, 90))
        for path in pic.trajectories.transpose(1, 0, 2):
            fam.line(ds.unstandardise(path), (255, 205, 170))
        fam.points(ds.unstandardise(pic.trajectories[-1]), ORANGE, 2.2)
        family = fam.image()
        caption = (f"Left: −L_vlb, DDPM's variational bound on log p_θ(x), as a density (contours 1, 2.5, 4.5 nats "
                   f"below its peak). Right: −ε_θ(x, t = {pic.t_arrows}), along the score ∇ log q_t(x) (arrows, "
                   f"longest scaled to 1/16 of the width), and {pic.trajectories.shape[1]} reverse chains "
                   f"x_T → x_0 over {pic.trajectories.shape[0] - 1} steps (ends: orange dots).")
    elif name == "ebm":
        pic = mod.picture(model, ext_u, res)
        main_bg = density_background(np.flipud(-pic.energy))
        fam = Canvas(ext, _heat(np.flipud(pic.energy - pic.energy.min()) / max(np.ptp(pic.energy), 1e-9),
                                 low=(250, 250, 210), high=(120, 60, 30)))
        for path in pic.chains.transpose(1, 0, 2):
            fam.line(ds.unstandardise(path), (40, 40, 40))
            fam.points(ds.unstandardise(path[-1:]), ORANGE, 2.5)
        family = fam.image()
        caption = (f"Left: exp(−E_θ(x)), unnormalised (contours 1, 2.5, 4.5 nats below its peak). Right: the energy "
                   f"landscape E_θ(x) (dark: high energy, range {pic.energy.min():.1f}…{pic.energy.max():.1f}) and "
                   f"{pic.chains.shape[1]} Langevin chains of {pic.chains.shape[0] - 1} steps from uniform noise "
                   f"(ends: orange).")
    else:                                            # engineer A's explicit estimators: density + their picture
        grid_u = _grid(ext_u, res)
        log_p = mod.log_density(model, torch.from_numpy(grid_u)).double().numpy().reshape(res, res)
        main_bg = density_background(log_p)             # _grid runs top (y1) to bottom, as an image
        caption = "Left: p_model(x) (shading ∝ p; contours 1, 2.5, 4.5 nats below its peak)."
        if name == "gmm":
            pic = mod.picture(model, ext_u, 8)
            fam = Canvas(ext)
            fam.points(ds.train[:800], (180, 200, 230))
            for k, (ell, mean) in enumerate(zip(pic.ellipses, pic.means)):
                colour = plotting.CLASS_COLOURS[k % len(plotting.CLASS_COLOURS)]
                fam.line(ds.unstandardise(ell), colour, 2)
                fam.points(ds.unstandardise(mean[None]), colour, 4)
            family = fam.image()
            weights = ", ".join(f"{w:.2f}" for w in np.sort(np.asarray(pic.weights))[::-1])
            caption += (f" Right: the K = {len(pic.means)} components N(μ_k, Σ_k): means (dots) and 2σ ellipses; "
                        f"weights π_k = {weights}. The E step computes each point's responsibilities "
                        f"r_ik = π_k N(x_i; μ_k, Σ_k) / Σ_j π_j N(x_i; μ_j, Σ_j); the M step refits π_k, μ_k, Σ_k "
                        f"from them. The frames follow EM step by step.")
        elif name == "autoregressive":
            pic = mod.picture(model, ext_u, res)
            cond = np.exp(pic.log_p2_given - pic.log_p2_given.max(axis=0, keepdims=True))   # each column to its peak
            fam = Canvas(ext, _heat(np.flipud(cond)))
            p1 = np.exp(pic.log_p1 - pic.log_p1.max())
            x0, x1, y0, y1 = ext
            xs = ext[0] + (pic.xs - ext_u[0]) / (ext_u[1] - ext_u[0]) * (x1 - x0)
            fam.line(np.stack([xs, y0 + 0.25 * (y1 - y0) * p1], 1), ORANGE, 2)
            family = fam.image()
            caption += (" Right: the chain rule p(x) = p(x₁)·p(x₂ | x₁): each column is the conditional p(x₂ | x₁) "
                        "at that x₁ (a mixture of Gaussians from the network, shaded to its own peak), and the "
                        "orange curve along the bottom is the marginal p(x₁) (scaled to its peak).")
        elif name == "flow":
            pic = mod.picture(model, ext_u, 8)
            family = _lines_over_data(ds, ext, pic.warped_grid, samples)
            caption += (" Right: the base Gaussian's grid, lines z₁ = c and z₂ = c for c in [−3, 3], pulled back "
                        "into data space by x = f_θ⁻¹(z) (grey): where the lines crowd together, f stretches "
                        "the plane and p(x) = N(f(x); 0, I)·|det ∂f/∂x| is high.")
    main = Canvas(ext, main_bg)
    main.points(ds.train[:1500], BLUE, 1.3)
    main.points(samples, ORANGE, 1.3)
    if name == "vae":
        for i, p in enumerate(pts):
            (px, py) = main.xy(p)
            main.draw.ellipse([px - 5, py - 5, px + 5, py + 5], outline=plotting.CLASS_COLOURS[i % 10], width=2)
    if family is None:
        family = data_picture(ds)
    return main.image(), family, "Blue: training points (p_data); orange: 600 samples (p_model). " + caption


def _grid(extent, res: int) -> np.ndarray:
    x0, x1, y0, y1 = extent
    ys, xs = np.meshgrid(np.linspace(y1, y0, res), np.linspace(x0, x1, res), indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)


def _budgeted(mod, ds: Dataset, seed: int, seconds: float, record_seconds: float):
    """The estimator's record stream with no wall-time budget of its own: ``training`` (below) counts
    only the time spent inside it, so drawing frames and measuring along the way take nothing from the
    budget, and the caller stops it there."""
    params = mod.Params()
    if hasattr(params, "max_seconds"):
        params.max_seconds = 10 * seconds + 60        # a backstop; the budget is counted by the caller
    x = torch.from_numpy(ds.standardise(ds.train))
    return single_threaded(mod.fit(params, x, seed=seed, seconds=record_seconds))


def training(records: Iterator, seconds: float) -> Iterator[tuple[object, float, bool]]:
    """(record, seconds spent training so far, last?) for each record until the stream is done or has
    trained for ``seconds``; time spent by the caller between records does not count. Closes the stream."""
    spent, resumed = 0.0, time.perf_counter()
    try:
        for rec in records:
            spent += time.perf_counter() - resumed
            last = rec.done or spent >= seconds
            yield rec, spent, last
            if last:
                return
            resumed = time.perf_counter()
    finally:
        records.close()


EM_FRAMES = 12       # the GMM's first EM iterations are each shown after the E and after the M step


def live(name: str, ds: Dataset, *, seed: int = 0, seconds: float = 20.0, record_seconds: float = 0.25,
         frame_seconds: float = 1.0) -> Iterator[Frame | None]:
    """Train ``name`` on ``ds`` for ``seconds`` of training time; yield a Frame about every
    ``frame_seconds`` (and at least as long as the last frame took to draw; None between, at least every
    ``record_seconds``, so a caller can stop), and a last one with the measurements."""
    mod = module(name)
    rows: list[dict] = []
    last, wait = time.perf_counter(), frame_seconds
    for rec, spent, done in training(_budgeted(mod, ds, seed, seconds, record_seconds), seconds):
        rows += [{"step": rec.step, "term": k, "nats": v} for k, v in rec.losses.items() if math.isfinite(v)]
        if done:
            with one_thread():
                main, family, caption = pictures(name, mod, rec.model, ds, res=64)
                m = measure(mod, rec.model, ds, name, spent, rec.step)
            yield Frame(main, family, caption, status(name, rec, spent, seconds, done=True), rows, m)
            return
        em_step = name == "gmm" and rec.step <= EM_FRAMES           # EM: a frame after each early E and M step
        if em_step or time.perf_counter() - last >= wait:
            drawn = time.perf_counter()
            with one_thread():
                main, family, caption = pictures(name, mod, rec.model, ds, res=32)
            last = time.perf_counter()
            wait = max(frame_seconds, last - drawn)      # drawing takes at most about half the time
            phase = getattr(rec.preview, "phase", None)
            if phase:
                caption = f"**EM iteration {rec.step}, after the {phase} step.** " + caption
            yield Frame(main, family, caption, status(name, rec, spent, seconds), rows)
        else:
            yield None


def status(name: str, rec, elapsed: float, budget: float, done: bool = False) -> str:
    losses = " · ".join(f"{k} = {v:.3f}" for k, v in rec.losses.items())
    head = f"**{LABELS.get(name, name)}**: step {rec.step}, {elapsed:.1f} s of {budget:g} s"
    return f"{head} · {losses}" + (" · done" if done else "")


def measured_cards(m: Measured) -> list[tuple[str, str, str]]:
    """(title, value, css class) cards for the tab: what the fitted model measures."""
    nll_title = {"exact": "held-out NLL", "bound": "held-out −ELBO (≥ NLL)",
                 "unnormalised": "held-out NLL (Z on a grid)"}.get(m.kind, "held-out NLL")
    out = [(nll_title + ", nats/pt", "none: implicit" if m.nll is None else f"{m.nll:.3f}", "")]
    if m.nll_gap is not None:
        out.append(("NLL − true NLL", f"{m.nll_gap:+.3f}", "good" if m.nll_gap < 0.3 else ""))
    out += [("sample distance", f"{m.distance:.4f}", ""), ("training", f"{m.train_seconds:.1f} s, {m.steps} steps", ""),
            ("ms / 1,000 samples", f"{m.ms_per_1000:.0f}", ""), ("evaluations / sample", f"{m.evaluations}", "")]
    return out


# ---------------------------------------------------------------------------------------------
# Side by side: every family on the same data, and the decks' desiderata filled with measurements
# ---------------------------------------------------------------------------------------------
COLUMNS = ["family", "branch", "held-out NLL (nats/pt)", "NLL − true", "sample distance", "train s",
           "ms / 1k samples", "evals / sample", "exact likelihood?", "fast sampling?", "latent space?",
           "stable training?"]


def branch(name: str) -> str:
    return next((b for b, _, leaves in TAXONOMY if name in leaves), "")


def fit_and_measure(name: str, ds: Dataset, *, seed: int = 0, seconds: float = 20.0,
                    checks: int = 4) -> Iterator[tuple[Measured, Image.Image] | None]:
    """Fit ``name`` for ``seconds`` (yielding None between records, so a caller can stop), then
    (its Measured, its main picture).

    Stable training is judged from the sample distance (500 samples) measured ``checks`` times along the
    run: "yes" when the last is at most 1.5 × the best seen + 0.02 (the distance's noise at 500 samples is
    about ±0.01), "no" when it got worse than that or a loss diverged."""
    mod = module(name)
    next_check, distances, diverged, rec, spent = seconds / checks, [], False, None, 0.0
    for rec, spent, done in training(_budgeted(mod, ds, seed, seconds, 0.25), seconds):
        diverged |= not all(math.isfinite(v) for v in rec.losses.values())
        if spent >= next_check and not done:
            with one_thread():
                s = ds.unstandardise(mod.sample(rec.model, 500, seed=3).detach().numpy())
                distances.append(metrics.sample_distance(s, ds.test, n=500))
            next_check += seconds / checks
        if not done:
            yield None
    train_seconds = spent
    with one_thread():
        s = ds.unstandardise(mod.sample(rec.model, 500, seed=3).detach().numpy())
        distances.append(metrics.sample_distance(s, ds.test, n=500))
    best = min(distances)
    if diverged or not math.isfinite(distances[-1]):
        stable = "no: diverged"
    elif distances[-1] <= 1.5 * best + 0.02:
        stable = "yes" if len(distances) > 1 else "yes (one check)"
    else:
        stable = f"no: distance {best:.3f} → {distances[-1]:.3f}"
    with one_thread():
        out = measure(mod, rec.model, ds, name, train_seconds, rec.step, stable), pictures(name, mod, rec.model, ds)[0]
    yield out


def table_row(m: Measured) -> list:
    fast = "yes" if m.evaluations == 1 and m.ms_per_1000 < 50 else f"no: {m.evaluations} evals" if m.evaluations > 1 else "yes"
    return [LABELS.get(m.name, m.name), branch(m.name).replace("Explicit density, ", "explicit, "),
            None if m.nll is None else round(m.nll, 3) if m.kind != "unnormalised" else f"{m.nll:.3f} (Z on grid)",
            None if m.nll_gap is None else round(m.nll_gap, 3), round(m.distance, 4), round(m.train_seconds, 1),
            round(m.ms_per_1000, 1), m.evaluations, LIKELIHOOD[m.kind], fast, LATENT.get(m.name, "?"), m.stable]


def desiderata(rows: list[Measured]) -> list[list]:
    """The decks' desiderata table (deck 003) filled with measured values: one row per family."""
    return [table_row(m) for m in rows]


def side_by_side(ds: Dataset, *, seed: int = 0, seconds: float = 10.0,
                 names=None) -> Iterator[tuple[list[Measured], list[tuple[Image.Image, str]]] | None]:
    """Fit every family of ESTIMATORS in turn on ``ds``; after each, (rows so far, thumbnails so far).
    None between records (so a caller can stop)."""
    rows, thumbs = [], []
    for name in names or [n for n in ALL if n in ESTIMATORS]:
        out = None
        for out in fit_and_measure(name, ds, seed=seed, seconds=seconds):
            if out is None:
                yield None
        rows.append(out[0])
        thumbs.append((out[1], LABELS.get(name, name)))
        yield rows, thumbs


def save_cache(rows: list[Measured], thumbs, ds: Dataset, seed: int, seconds: float, folder: Path = CACHE) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for m, (img, _) in zip(rows, thumbs):
        img.save(folder / f"{m.name}.png")
    meta = {"data": ds.name, "n_train": len(ds.train), "n_test": len(ds.test), "seed": seed, "seconds": seconds,
            "command": f"python -m genmodels.toy2d.view --data {ds.name} --seed {seed} --seconds {seconds:g}",
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} when it ended",
            "rows": [asdict(m) for m in rows]}
    (folder / "table.json").write_text(json.dumps(meta, indent=1))


def load_cache(folder: Path = CACHE):
    """(rows, thumbnails (path, label), meta) of the stored side-by-side run, or None if there is none."""
    try:
        meta = json.loads((folder / "table.json").read_text())
        rows = [Measured(**r) for r in meta["rows"]]
        thumbs = [(str(folder / f"{m.name}.png"), LABELS.get(m.name, m.name)) for m in rows]
        if not all(Path(p).exists() for p, _ in thumbs):
            return None
        return rows, thumbs, meta
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_panel(name: str, ds: Dataset, *, seed: int = 0, seconds: float = 20.0, folder: Path = CACHE) -> Frame:
    """Train ``name`` live as the tab's "train one family" panel does and store its last frame under
    ``folder``/panel (main.png, picture.png, panel.json), so the panel can open on a finished result."""
    frame = None
    for f in live(name, ds, seed=seed, seconds=seconds):
        frame = f if f is not None else frame
    out = folder / "panel"
    out.mkdir(parents=True, exist_ok=True)
    frame.main.save(out / "main.png")
    frame.family.save(out / "picture.png")
    meta = {"family": name, "data": ds.name, "n_train": len(ds.train), "seed": seed, "seconds": seconds,
            "command": f"python -m genmodels.toy2d.view --panel {name} --data {ds.name} --seed {seed} --seconds {seconds:g}",
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} when it ended",
            "caption": frame.caption, "status": frame.status, "losses": frame.losses, "measured": asdict(frame.measured)}
    (out / "panel.json").write_text(json.dumps(meta, indent=1))
    return frame


def load_panel(folder: Path = CACHE):
    """The stored "train one family" run as (Frame, meta), or None if there is none."""
    out = folder / "panel"
    try:
        meta = json.loads((out / "panel.json").read_text())
        frame = Frame(Image.open(out / "main.png").copy(), Image.open(out / "picture.png").copy(), meta["caption"], meta["status"],
                      meta["losses"], Measured(**meta["measured"]))
        return frame, meta
    except (OSError, ValueError, KeyError, TypeError):
        return None


def main(argv=None) -> int:
    """Recompute the stored side-by-side run: python -m genmodels.toy2d.view --data moons --seconds 20
    (with --panel NAME: the stored run of one family for the tab's "train one family" panel)."""
    import argparse
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--data", default="moons")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--out", default=str(CACHE))
    p.add_argument("--panel", default=None, help="store one family's run for the panel instead")
    a = p.parse_args(argv)
    ds = named(a.data, seed=a.seed)
    if a.panel:
        print(json.dumps(asdict(save_panel(a.panel, ds, seed=a.seed, seconds=a.seconds, folder=Path(a.out)).measured)))
        return 0
    out = None
    for out in side_by_side(ds, seed=a.seed, seconds=a.seconds):
        if out is not None:
            print(json.dumps(asdict(out[0][-1])), flush=True)
    save_cache(out[0], out[1], ds, a.seed, a.seconds, Path(a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
