import io

import numpy as np
import pytest
from PIL import Image

from genmodels import data, imaging
from genmodels.imaging import ImageInputError


def _png(arr_or_img, fmt="PNG", **kw) -> bytes:
    img = arr_or_img if isinstance(arr_or_img, Image.Image) else Image.fromarray(arr_or_img)
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def horse():
    return data.horses_and_zebras("test")[0][0].numpy()


def test_a_dataset_image_survives_the_round_trip(horse):
    big = Image.fromarray((horse * 255).astype(np.uint8)).resize((280, 280))
    y = imaging.to_domain(_png(big))
    assert y.shape == (28, 28) and y.dtype == np.float32 and 0 <= y.min() and y.max() <= 1
    assert np.abs(y - horse).mean() < 0.12


def test_dark_on_light_photo_is_inverted(horse):
    inv = Image.fromarray(((1 - horse) * 255).astype(np.uint8)).resize((200, 200)).convert("RGB")
    y = imaging.to_domain(_png(inv, "JPEG"))
    assert np.abs(y - horse).mean() < 0.12
    assert y[0].mean() < 0.05                       # background is black again


def test_rgba_with_transparent_background(horse):
    rgba = np.zeros((140, 140, 4), np.uint8)
    rgba[30:110, 30:110, :3] = 20                   # a dark square on a transparent background
    rgba[30:110, 30:110, 3] = 255
    y = imaging.to_domain(_png(rgba))
    assert y[14, 14] > 0.9 and y[0, 0] < 0.05


@pytest.mark.parametrize("bad,match", [
    (b"this is not an image", "not an image we can read"),
    (np.zeros((1, 1), np.uint8), "only 1×1 pixels"),
    (np.full((64, 64), 255, np.uint8), "blank"),
    (None, "No image given"),
    (np.zeros((4, 4, 7)), "Expected an image array"),
    (np.full((30, 30), np.nan), "NaN"),
])
def test_bad_inputs_get_clear_messages(bad, match):
    with pytest.raises(ImageInputError, match=match):
        imaging.to_domain(bad)


def test_animated_and_huge_images_are_refused():
    frames = [Image.new("L", (32, 32), c) for c in (0, 255, 128)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageInputError, match="animation with 3 frames"):
        imaging.to_domain(buf.getvalue())
    huge = _png(Image.new("L", (9000, 9000)))      # 81 megapixels, compresses to a small file
    with pytest.raises(ImageInputError, match="too large"):
        imaging.to_domain(huge)


def test_sketch_values():
    with pytest.raises(ImageInputError, match="empty"):
        imaging.sketch_to_domain({"composite": None, "layers": [], "background": None})
    with pytest.raises(ImageInputError, match="empty"):
        imaging.sketch_to_domain({"composite": np.zeros((100, 100, 4), np.uint8)})
    canvas = np.zeros((100, 100, 4), np.uint8)
    canvas[40:60, 20:80] = (0, 0, 0, 255)           # a black stroke on a transparent canvas
    y = imaging.sketch_to_domain({"composite": canvas})
    assert y.max() == 1.0 and y[0, 0] == 0
