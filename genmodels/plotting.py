"""Plotting helpers that draw straight into image arrays (fast, no matplotlib).

Used where a picture must also be clickable: a click on an image gives pixel
coordinates, which :func:`pixel_to_point` maps back to the plotted space.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Colours, chosen once for every plot of the app so that they stay apart for colour-blind viewers.
# Class colours (the ten digits, the models of the trilemma, a GMM's components): Petroff's
# 10-colour sequence (M. A. Petroff, "Accessible Color Sequences for Data Visualization", 2024;
# matplotlib's "petroff10" style), picked to stay distinct under the three colour-vision
# deficiencies. Tableau 10 (matplotlib's default) has pairs that protanopes cannot tell apart
# (``min_distance(TABLEAU10, "protan")`` is 4.6, Petroff's worst case 17.3; tests/test_a11y.py).
CLASS_COLOURS = ["#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
                 "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd"]
TABLEAU10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# Two-way colours (p_data / p_model, real / generated, D / G): Okabe & Ito's colour-blind-safe set.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
DATA_COLOUR, MODEL_COLOUR = OKABE_ITO["blue"], OKABE_ITO["orange"]   # p_data blue, p_model orange, every tab

# Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for Simulation of Color
# Vision Deficiency": the matrices for full severity, applied to linear RGB.
CVD_MATRICES = {
    "normal": np.eye(3),
    "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]]),
    "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]]),
    "tritan": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                        [0.004733, 0.691367, 0.303900]]),
}


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """'#0072B2' -> (0, 114, 178)."""
    c = colour.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"expected a colour as #rrggbb, got {colour!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def simulate_cvd(colours, kind: str) -> np.ndarray:
    """How ``colours`` (#rrggbb strings) look with a colour-vision deficiency ``kind`` (normal,
    protan, deutan, tritan): linear RGB in [0, 1], shape (n, 3)."""
    rgb = np.array([hex_to_rgb(c) for c in colours], dtype=float) / 255.0
    return np.clip(_srgb_to_linear(rgb) @ CVD_MATRICES[kind].T, 0.0, 1.0)


def linear_rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65 white) of linear sRGB values (..., 3)."""
    xyz = rgb @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def min_distance(colours, kind: str = "normal") -> float:
    """The smallest CIE76 colour difference ΔE*ab between two of ``colours`` as seen with ``kind``
    (about 2.3 is just noticeable side by side; small dots on a map need far more)."""
    lab = linear_rgb_to_lab(simulate_cvd(colours, kind))
    d = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=-1)
    return float(d[np.triu_indices(len(colours), 1)].min())


# Room for the axes (tick labels and the names z1, z2) around the plotted square: left, top, right, bottom
MARGINS = (44, 8, 10, 40)


def plot_box(size: int, axes: bool = False) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the plotted area inside a size × size picture."""
    if not axes:
        return 0, 0, size, size
    left, top, right, bottom = MARGINS
    return left, top, size - left - right, size - top - bottom


def point_to_pixel(p, extent, size: int, axes: bool = False) -> tuple[float, float]:
    x0, x1, y0, y1 = extent
    left, top, w, h = plot_box(size, axes)
    return left + (p[0] - x0) / (x1 - x0) * (w - 1), top + (y1 - p[1]) / (y1 - y0) * (h - 1)


def pixel_to_point(px: float, py: float, extent, size: int, axes: bool = False) -> tuple[float, float]:
    """Inverse of :func:`point_to_pixel` (for clicks on a drawn map)."""
    x0, x1, y0, y1 = extent
    left, top, w, h = plot_box(size, axes)
    return x0 + (px - left) / (w - 1) * (x1 - x0), y1 - (py - top) / (h - 1) * (y1 - y0)


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10^k) inside [lo, hi], about ``target`` of them."""
    raw = (hi - lo) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _font(size: int):
    return ImageFont.load_default(size=size)


def _draw_axes(d: ImageDraw.ImageDraw, extent, size: int, names=("z", "z")) -> None:
    """Ticks with values on the left and bottom edges of the plot box, and the axis names
    z1 (horizontal) and z2 (vertical), subscripts drawn small (the built-in font has no ₁ ₂)."""
    x0, x1, y0, y1 = extent
    left, top, w, h = plot_box(size, True)
    font, small = _font(13), _font(10)
    d.rectangle([left - 1, top - 1, left + w, top + h], outline="#999999")
    for v in nice_ticks(x0, x1):
        px, _ = point_to_pixel((v, 0), extent, size, True)
        d.line([(px, top + h), (px, top + h + 4)], fill="#444444")
        d.text((px, top + h + 6), f"{v:g}", fill="#222222", font=font, anchor="mt")
    for v in nice_ticks(y0, y1):
        _, py = point_to_pixel((0, v), extent, size, True)
        d.line([(left - 5, py), (left - 1, py)], fill="#444444")
        d.text((left - 7, py), f"{v:g}", fill="#222222", font=font, anchor="rm")
    cx = left + w / 2                                    # "z1" under the horizontal axis
    d.text((cx, size - 3), names[0], fill="black", font=_font(15), anchor="rs")
    d.text((cx + 1, size - 2), "1", fill="black", font=small, anchor="ls")
    cy = top + h / 2                                     # "z2" left of the vertical axis, upright
    d.text((3, cy), names[1], fill="black", font=_font(15), anchor="lm")
    d.text((12, cy + 5), "2", fill="black", font=small, anchor="lm")


def framed(image: np.ndarray, extent, size: int = 420) -> np.ndarray:
    """An image of the plotted area (e.g. the decoder's grid over ``extent``) with the same axes
    as :func:`scatter` draws, so clicks map through :func:`pixel_to_point` with ``axes=True``."""
    left, top, w, h = plot_box(size, True)
    img = Image.new("RGB", (size, size), "white")
    img.paste(Image.fromarray(np.asarray(image)).convert("RGB").resize((w, h), Image.NEAREST), (left, top))
    _draw_axes(ImageDraw.Draw(img), extent, size)
    return np.asarray(img)


def scatter(points: np.ndarray, labels: np.ndarray, extent, size: int = 420, radius: float = 2.0,
            marker=None, circle: float | None = None, axes: bool = False) -> np.ndarray:
    """Coloured dots (N, 2) by class label on a white square; optional black cross at ``marker``
    and a dashed-looking grey circle of radius ``circle`` around the origin (e.g. 2σ of N(0, I));
    with ``axes`` the square sits inside margins with ticks and the axis names z1, z2.

    Two steps, so that a map redrawn with a new marker can reuse its dots (drawing 2,000 dots is
    most of the time): :func:`scatter_dots`, then :func:`scatter_finish`."""
    return scatter_finish(scatter_dots(points, labels, extent, size, radius, circle, axes), extent, marker, axes)


def scatter_dots(points: np.ndarray, labels: np.ndarray, extent, size: int = 420, radius: float = 2.0,
                 circle: float | None = None, axes: bool = False) -> Image.Image:
    """:func:`scatter`'s first step: the circle, the lines z = 0 and the dots, before the marker and
    the frame (a PIL image that :func:`scatter_finish` does not change)."""
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    p2p = lambda p: point_to_pixel(p, extent, size, axes)     # noqa: E731
    left, top, w, h = plot_box(size, axes)
    if circle:
        (ax, ay), (bx, by) = p2p((-circle, circle)), p2p((circle, -circle))
        d.ellipse([ax, ay, bx, by], outline="#888888", width=2)
    # lines z1 = 0 and z2 = 0, when in view
    ox, oy = p2p((0.0, 0.0))
    if left <= ox < left + w:
        d.line([(ox, top), (ox, top + h - 1)], fill="#dddddd")
    if top <= oy < top + h:
        d.line([(left, oy), (left + w - 1, oy)], fill="#dddddd")
    for (x, y), c in zip(np.asarray(points), np.asarray(labels)):
        px, py = p2p((x, y))
        d.ellipse([px - radius, py - radius, px + radius, py + radius], fill=CLASS_COLOURS[int(c) % 10])
    return img


def scatter_finish(dots: Image.Image, extent, marker=None, axes: bool = False) -> np.ndarray:
    """:func:`scatter`'s second step, on a copy of ``dots``: the marker, then the margins and axes
    (with ``axes``) or a frame."""
    img = dots.copy()
    size = img.size[0]
    d = ImageDraw.Draw(img)
    left, top, w, h = plot_box(size, axes)
    if marker is not None:
        mx, my = point_to_pixel(marker, extent, size, axes)
        d.line([(mx - 9, my), (mx + 9, my)], fill="black", width=3)
        d.line([(mx, my - 9), (mx, my + 9)], fill="black", width=3)
    if axes:                                    # dots that spill over the margins are cut at the box
        d.rectangle([0, 0, size - 1, top - 1], fill="white")
        d.rectangle([0, top + h, size - 1, size - 1], fill="white")
        d.rectangle([0, 0, left - 1, size - 1], fill="white")
        d.rectangle([left + w, 0, size - 1, size - 1], fill="white")
        _draw_axes(d, extent, size)
    else:
        d.rectangle([0, 0, size - 1, size - 1], outline="#999999")
    return np.asarray(img)


# ``legend_html`` (HTML for the class colours) is UI support: it lives in ``demos/common.py`` now.
# The old name keeps working for callers not yet switched (imported lazily: no demos/ import here).
def __getattr__(name: str):
    if name == "legend_html":
        import importlib
        return importlib.import_module("demos.common").legend_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
