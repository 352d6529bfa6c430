"""Turning a user's picture (an upload or a drawing) into what a 28×28 model expects.

Our datasets are white objects on a black background, centred, 28×28, grey
values in [0, 1]. A photo or a drawing is usually the opposite: dark on light,
any size, colour, maybe transparent. :func:`to_domain` does what a careful
person would, and the tabs show its output, so you see exactly what the model
received:

1. refuse what is not a usable still image (clear :class:`ImageInputError`);
2. flatten transparency onto white, convert to grey;
3. if the border is bright, invert (dark-on-light becomes light-on-dark);
4. frame it the way the model's training images were framed (``framing``):

   - ``"mnist"`` (digits: the VAE, DDPM SDEdit), as LeCun et al. made MNIST: crop to the
     strokes, give them MNIST's stroke thickness (a thin pen or a 10× scan would otherwise
     arrive as hair-thin or blotchy lines), shrink into a **20×20 box** keeping the aspect
     ratio with area averaging (anti-aliased edges), and place it on 28×28 so that its
     **centre of mass** is the centre;
   - ``"object"`` (Animal-MNIST's horses and zebras, which fill 24-28 px): crop, fit a
     24-pixel box, centre the box;
5. stretch the contrast so the brightest part of the object is 1.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 8
FIT = 24            # "object" framing: the box the object is fitted into
MNIST_BOX = 20      # "mnist" framing: MNIST's size-normalisation box
WORK = 8            # MNIST framing works at WORK × MNIST_BOX = 160 px before the final area average
# Stroke width of MNIST digits, in pixels of the 20-px box, as :func:`mnist_stroke_widths` measures
# it on the 10,000 test digits (10th, 50th, 90th percentile; tests/test_imaging.py re-measures them).
# A picture whose strokes fall outside [p10, p90] is thickened / thinned to the median.
MNIST_STROKE = (1.45, 1.98, 2.76)
# Grey levels mapped onto [0, 1] at the end of the MNIST framing. Chosen with
# benchmarks/upload_roundtrip.py: without it real digits sent through the path score a median
# +12 nats worse than the same digits given directly; with it -2 nats.
EDGE_LEVELS = (0.1, 0.9)
FRAMINGS = ("mnist", "object")


class ImageInputError(ValueError):
    """The input cannot be used as an image; the message says why and what to do."""


def open_image(source) -> Image.Image:
    """A validated, fully decoded PIL image from a path, bytes, PIL image or array."""
    if source is None:
        raise ImageInputError("No image given: upload a picture or draw one first.")
    if isinstance(source, Image.Image):
        img = source
    elif isinstance(source, np.ndarray):
        img = Image.fromarray(_array_to_uint8(source))
    else:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.exists():
                raise ImageInputError(f"The file {path.name} could not be found; upload it again.")
            if path.stat().st_size > MAX_BYTES:
                raise ImageInputError(f"The file is {path.stat().st_size / 2**20:.0f} MB; upload an image under "
                                      f"{MAX_BYTES // 2**20} MB.")
            data = path.read_bytes()
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            raise ImageInputError(f"Expected an image, got {type(source).__name__}.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(data))
                if img.width * img.height > MAX_PIXELS:
                    raise ImageInputError(f"The image is {img.width}×{img.height} pixels, too large; "
                                          f"upload one under {MAX_PIXELS // 1_000_000} megapixels.")
                img.load()
        except ImageInputError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as e:
            raise ImageInputError("This file is not an image we can read (PNG, JPEG, GIF, WebP or BMP). "
                                  f"({type(e).__name__})") from None
    if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
        raise ImageInputError(f"This is an animation with {img.n_frames} frames; upload a single still image.")
    if min(img.size) < MIN_SIDE:
        raise ImageInputError(f"The image is only {img.width}×{img.height} pixels; upload one at least "
                              f"{MIN_SIDE}×{MIN_SIDE}.")
    if img.width * img.height > MAX_PIXELS:
        raise ImageInputError(f"The image is {img.width}×{img.height} pixels, too large; upload one under "
                              f"{MAX_PIXELS // 1_000_000} megapixels.")
    return img


def _array_to_uint8(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.size == 0 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ImageInputError(f"Expected an image array (H, W) or (H, W, 1|3|4), got shape {a.shape}.")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.dtype != np.uint8:
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ImageInputError("The image contains NaN or infinite values.")
        if a.max() <= 1.0:
            a = a * 255
        a = np.clip(a, 0, 255).round().astype(np.uint8)
    return a


def to_grey(img: Image.Image) -> np.ndarray:
    """Grey values in [0, 1], transparency flattened onto white."""
    img = ImageOps.exif_transpose(img) if hasattr(img, "getexif") else img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def to_domain(source, invert: str | bool = "auto", framing: str = "object") -> np.ndarray:
    """Any picture -> a (28, 28) float32 image in [0, 1]: a light object on black, framed as the
    model's training images were (``framing``: "mnist" for digits, "object" for Animal-MNIST)."""
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {FRAMINGS}, got {framing!r}")
    x = to_grey(open_image(source))
    if invert == "auto":
        border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
        invert = float(np.median(border)) > 0.5
    if invert:
        x = 1.0 - x
    x = x - float(np.median(np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])))   # background to 0
    x = np.clip(x, 0, None)
    peak = float(x.max())
    if peak < 0.08:
        raise ImageInputError("The image is blank (no object stands out from the background): "
                              "draw or upload a picture with a clear shape.")
    if framing == "mnist":
        return frame_like_mnist(x / peak)
    ys, xs = np.nonzero(x > 0.15 * peak)
    x = x[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = x.shape
    scale = FIT / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray((x / peak * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    out[top: top + nh, left: left + nw] = small
    hi = float(np.percentile(out[out > 0.05], 99)) if (out > 0.05).any() else 1.0
    return np.clip(out / max(hi, 1e-3), 0, 1).astype(np.float32)


def to_mnist(source, invert: str | bool = "auto") -> np.ndarray:
    """An uploaded picture of a digit -> a (28, 28) MNIST-like digit (see :func:`frame_like_mnist`)."""
    return to_domain(source, invert, framing="mnist")


def stroke_width(x: np.ndarray) -> float:
    """Mean stroke width in pixels of a light-on-dark image x in [0, 1] (peak ≈ 1).

    A stroke of length L and width w has area L·w and an outline of length ≈ 2L, so
    w ≈ 2 · area / outline: the area is the sum of grey values, the outline the number of
    pixel edges between "ink" (x > ½) and background.
    """
    ink = np.pad(x > 0.5, 1)
    outline = np.count_nonzero(ink[1:] != ink[:-1]) + np.count_nonzero(ink[:, 1:] != ink[:, :-1])
    return 2.0 * float(x.sum()) / max(outline, 1)


def _rank_filter(x: np.ndarray, size: int, grow: bool) -> np.ndarray:
    """Grey dilation (grow) or erosion with a size × size square (size odd)."""
    img = Image.fromarray((np.clip(x, 0, 1) * 255).round().astype(np.uint8))
    img = img.filter(ImageFilter.MaxFilter(size) if grow else ImageFilter.MinFilter(size))
    return np.asarray(img, dtype=np.float32) / 255.0


def _crop(x: np.ndarray, level: float = 0.1) -> np.ndarray:
    ys, xs = np.nonzero(x > level)
    if len(ys) == 0:
        raise ImageInputError("The image is blank (no object stands out from the background): "
                              "draw or upload a picture with a clear shape.")
    return x[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def _working_size(x: np.ndarray) -> np.ndarray:
    """A crop -> WORK × 20 = 160 px on its longer side, aspect kept, peak 1."""
    side = WORK * MNIST_BOX
    f = max(x.shape) // (2 * side)
    if f >= 2:                                  # block maximum: a 1-px line stays ≥ 1 px
        x = np.pad(x, ((0, (-x.shape[0]) % f), (0, (-x.shape[1]) % f)))
        x = x.reshape(x.shape[0] // f, f, x.shape[1] // f, f).max(axis=(1, 3))
    h, w = x.shape
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((np.clip(x, 0, 1) * 255).round().astype(np.uint8))
    x = np.asarray(img.resize((nw, nh), Image.BOX if scale < 1 else Image.BILINEAR), dtype=np.float32) / 255.0
    return x / max(float(x.max()), 1e-3)


def mnist_stroke_widths(images) -> np.ndarray:
    """Stroke widths (pixels of the 20-px box) of light-on-dark digits (N, H, W), measured as
    :func:`frame_like_mnist` measures a picture: how ``MNIST_STROKE`` was obtained."""
    return np.array([stroke_width(_working_size(_crop(im / max(float(im.max()), 1e-3)))) / WORK
                     for im in np.asarray(images, dtype=np.float32)])


def frame_like_mnist(x: np.ndarray) -> np.ndarray:
    """A light-on-dark picture (H, W) in [0, 1], peak 1, -> (28, 28) framed as MNIST's digits.

    1. crop to the strokes;
    2. bring the crop to WORK × 20 = 160 px on its longer side (a block maximum first when it is
       much larger, so hair-thin lines survive), with the aspect ratio kept;
    3. if the stroke width, in pixels of the final 20-px box, lies outside MNIST's 10th-90th
       percentile, thicken (grey dilation) or thin (erosion) it to MNIST's median;
    4. area-average into the 20×20 box (MNIST's anti-aliasing), stretch the peak to 1, and map
       grey levels [0.1, 0.9] linearly onto [0, 1] (``EDGE_LEVELS``): a picture reaches us already
       resampled once (a scan, an upscale), so its edges are blurred twice where MNIST's were
       blurred once;
    5. paste on 28×28 so that the centre of mass sits at pixel (14, 14), where MNIST's digits have it.
    """
    x = _working_size(_crop(x))
    width = stroke_width(x) / WORK             # in pixels of the 20-px box
    lo, mid, hi = MNIST_STROKE
    if not lo <= width <= hi:
        change = int(round((mid - width) * WORK))     # a size-s square changes the width by s − 1
        size = min(2 * (abs(change) // 2) + 1, 2 * WORK * 3 + 1)
        if size > 1:
            x = np.pad(x, size)                # room to grow; cropped again below
            x = _rank_filter(x, size, grow=change > 0)
            ys, xs = np.nonzero(x > 0.1)
            if len(ys) == 0:
                raise ImageInputError("The strokes are too thin to see: draw or upload bolder lines.")
            x = x[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = x.shape
    scale = MNIST_BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray((x * 255).round().astype(np.uint8)).resize((nw, nh), Image.BOX),
                       dtype=np.float32) / 255.0
    small = small / max(float(small.max()), 1e-3)
    lo, hi = EDGE_LEVELS
    small = np.clip((small - lo) / (hi - lo), 0, 1)
    mass = float(small.sum())
    cy = float((small.sum(1) * np.arange(nh)).sum()) / mass
    cx = float((small.sum(0) * np.arange(nw)).sum()) / mass
    top = int(np.clip(round(14.0 - cy), 0, 28 - nh))     # MNIST's centre of mass: pixel (14.0, 14.0)
    left = int(np.clip(round(14.0 - cx), 0, 28 - nw))
    out = np.zeros((28, 28), np.float32)
    out[top: top + nh, left: left + nw] = small
    return np.clip(out, 0, 1)


# Parsing a drawing pad's value is UI support: it lives in ``demos/sketch.py`` now. The old names
# keep working for callers not yet switched (imported lazily, so this package never imports demos/).
_MOVED = {"sketch_to_domain": "demos.sketch", "sketch_to_mnist": "demos.sketch"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def upscale(x, size: int = 168) -> np.ndarray:
    """(28, 28) array or tensor in [0, 1] -> (size, size) uint8 with crisp (nearest) pixels, for display."""
    a = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
    img = Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))
    return np.asarray(img.resize((size, size), Image.NEAREST))
