"""Plotting helpers that draw straight into image arrays (fast, no matplotlib).

Used where a picture must also be clickable: a click on an image gives pixel
coordinates, which :func:`pixel_to_point` maps back to the plotted space.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# Tableau 10: the usual class colours
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def point_to_pixel(p, extent, size: int) -> tuple[float, float]:
    x0, x1, y0, y1 = extent
    return (p[0] - x0) / (x1 - x0) * (size - 1), (y1 - p[1]) / (y1 - y0) * (size - 1)


def pixel_to_point(px: float, py: float, extent, size: int) -> tuple[float, float]:
    """Inverse of :func:`point_to_pixel` (for clicks on a drawn map)."""
    x0, x1, y0, y1 = extent
    return x0 + px / (size - 1) * (x1 - x0), y1 - py / (size - 1) * (y1 - y0)


def scatter(points: np.ndarray, labels: np.ndarray, extent, size: int = 420, radius: float = 2.0,
            marker=None, circle: float | None = None) -> np.ndarray:
    """Coloured dots (N, 2) by class label on a white square; optional black cross at ``marker``
    and a dashed-looking grey circle of radius ``circle`` around the origin (e.g. 2σ of N(0, I))."""
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    if circle:
        (ax, ay), (bx, by) = point_to_pixel((-circle, circle), extent, size), point_to_pixel((circle, -circle), extent, size)
        d.ellipse([ax, ay, bx, by], outline="#888888", width=2)
    # axes through the origin, when in view
    ox, oy = point_to_pixel((0.0, 0.0), extent, size)
    if 0 <= ox < size:
        d.line([(ox, 0), (ox, size)], fill="#dddddd")
    if 0 <= oy < size:
        d.line([(0, oy), (size, oy)], fill="#dddddd")
    for (x, y), c in zip(np.asarray(points), np.asarray(labels)):
        px, py = point_to_pixel((x, y), extent, size)
        d.ellipse([px - radius, py - radius, px + radius, py + radius], fill=CLASS_COLOURS[int(c) % 10])
    if marker is not None:
        mx, my = point_to_pixel(marker, extent, size)
        d.line([(mx - 9, my), (mx + 9, my)], fill="black", width=3)
        d.line([(mx, my - 9), (mx, my + 9)], fill="black", width=3)
    d.rectangle([0, 0, size - 1, size - 1], outline="#999999")
    return np.asarray(img)


def legend_html() -> str:
    chips = "".join(f'<span style="display:inline-block;margin-right:10px"><span style="display:inline-block;'
                    f'width:10px;height:10px;border-radius:5px;background:{c}"></span> {i}</span>'
                    for i, c in enumerate(CLASS_COLOURS))
    return f"<div>{chips}</div>"
