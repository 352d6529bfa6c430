"""What a drawing pad hands the server, turned into a picture ``genmodels.imaging`` can frame.

Gradio's Sketchpad / ImageEditor send a dict (``background``, ``layers``, ``composite``) or, through
the API, an array, a file path or bytes. Parsing that is the UI's business; framing the picture
as the model's training images were framed (MNIST's 20-px box and centre of mass, or the
Animal-MNIST object box) is the model package's, in :func:`genmodels.imaging.to_domain`.
No gradio import here, so this is testable (and importable) without a server.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from genmodels.imaging import ImageInputError, to_domain

EMPTY = "The sketch is empty: draw something first."


def sketch_picture(value):
    """A Sketchpad value -> what :func:`genmodels.imaging.to_domain` takes (an array, a path or
    bytes), or a clear :class:`ImageInputError` when nothing was drawn."""
    if isinstance(value, dict):
        value = value.get("composite")
        if value is None:
            raise ImageInputError(EMPTY)
    if isinstance(value, (str, Path, bytes)):
        return value
    arr = np.asarray(value) if value is not None else None
    if arr is None or arr.size == 0:
        raise ImageInputError(EMPTY)
    if arr.ndim == 3 and arr.shape[2] == 4 and arr[:, :, 3].max() == 0:     # all transparent
        raise ImageInputError(EMPTY)
    return arr


def sketch_to_domain(value, framing: str = "object") -> np.ndarray:
    """A gr.Sketchpad / ImageEditor value -> (28, 28) float32 in [0, 1], framed as ``framing``."""
    return to_domain(sketch_picture(value), framing=framing)


def sketch_to_mnist(value) -> np.ndarray:
    """A drawn digit -> a (28, 28) MNIST-like digit."""
    return sketch_to_domain(value, framing="mnist")
