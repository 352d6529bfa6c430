"""Turning a user's picture (an upload or a sketch) into what a 28×28 model expects.

Our datasets are white objects on a black background, centred, 28×28, grey
values in [0, 1]. A photo or a drawing is usually the opposite: dark on light,
any size, colour, maybe transparent. :func:`to_domain` does what a careful
person would, and the tabs show its output, so you see exactly what the model
received:

1. refuse what is not a usable still image (clear :class:`ImageInputError`);
2. flatten transparency onto white, convert to grey;
3. if the border is bright, invert (dark-on-light becomes light-on-dark);
4. crop to the object, fit it into a 24-pixel box kept square, centre it on 28×28;
5. stretch the contrast so the brightest part of the object is 1.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 8
FIT = 24


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


def to_domain(source, invert: str | bool = "auto") -> np.ndarray:
    """Any picture -> a (28, 28) float32 image in [0, 1]: a light object on black, centred."""
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


def sketch_to_domain(value) -> np.ndarray:
    """A gr.Sketchpad / ImageEditor value (dict with 'composite', or an array) -> (28, 28)."""
    if isinstance(value, dict):
        value = value.get("composite")
        if value is None:
            raise ImageInputError("The sketch is empty: draw something first.")
    if isinstance(value, (str, Path, bytes)):
        return to_domain(value)
    arr = np.asarray(value) if value is not None else None
    if arr is None or arr.size == 0:
        raise ImageInputError("The sketch is empty: draw something first.")
    if arr.ndim == 3 and arr.shape[2] == 4 and arr[:, :, 3].max() == 0:
        raise ImageInputError("The sketch is empty: draw something first.")
    return to_domain(arr)


def upscale(x, size: int = 168) -> np.ndarray:
    """(28, 28) array or tensor in [0, 1] -> (size, size) uint8 with crisp (nearest) pixels, for display."""
    a = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
    img = Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))
    return np.asarray(img.resize((size, size), Image.NEAREST))
