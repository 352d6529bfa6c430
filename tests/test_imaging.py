import io

import numpy as np
import pytest
from PIL import Image

from demos import sketch
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
    for empty in ({"composite": None, "layers": [], "background": None}, {"composite": np.zeros((100, 100, 4), np.uint8)},
                  None, np.zeros((0, 0)), {}):
        with pytest.raises(ImageInputError, match="empty"):
            sketch.sketch_to_domain(empty)
    canvas = np.zeros((100, 100, 4), np.uint8)
    canvas[40:60, 20:80] = (0, 0, 0, 255)           # a black stroke on a transparent canvas
    y = sketch.sketch_to_domain({"composite": canvas})
    assert y.max() == 1.0 and y[0, 0] == 0
    assert np.array_equal(y, imaging.to_domain(canvas))                   # parsing only; framing is imaging's
    assert np.array_equal(sketch.sketch_to_domain(_png(canvas)), y)       # bytes, as an API caller sends


def test_moved_names_still_resolve():
    """The tabs may still import the UI helpers from their old places until they switch."""
    from genmodels.imaging import sketch_to_domain, sketch_to_mnist
    from genmodels.plotting import legend_html
    from demos import common
    assert sketch_to_domain is sketch.sketch_to_domain and sketch_to_mnist is sketch.sketch_to_mnist
    assert legend_html is common.legend_html and legend_html().count("border-radius") == 10
    with pytest.raises(AttributeError):
        imaging.no_such_name


# -- MNIST framing: uploads and drawings of digits reach the models as MNIST digits were made ----
def _scan(digit: np.ndarray, factor=10, resample=Image.BICUBIC) -> bytes:
    """A real digit as a user's scan: dark on white, upscaled, a PNG file's bytes."""
    img = Image.fromarray(((1 - digit) * 255).round().astype(np.uint8))
    return _png(img.resize((28 * factor, 28 * factor), resample))


def test_real_digits_survive_the_upload_round_trip_and_are_not_flagged():
    import torch
    from genmodels import vae

    model = vae.load("checkpoints/vae-mnist")
    x = data.load("mnist", "test")[0]
    threshold = float(np.quantile(vae.neg_elbo(model, x[:1000]).numpy(), 0.95))   # the tab's outlier rule
    digits = x[1000:1024].numpy()
    received = np.stack([imaging.to_mnist(_scan(d)) for d in digits])
    assert np.abs(received - digits).mean() < 0.05
    direct = vae.neg_elbo(model, torch.from_numpy(digits)).numpy()
    via_upload = vae.neg_elbo(model, torch.from_numpy(received)).numpy()
    assert (via_upload > threshold).sum() <= (direct > threshold).sum() + 1
    assert abs(float(np.median(via_upload - direct))) < 8
    # the old framing (a 24-px box, centred box) flags most of them: this is what the test guards
    old = np.stack([imaging.to_domain(_scan(d)) for d in digits])
    assert (vae.neg_elbo(model, torch.from_numpy(old)).numpy() > threshold).mean() > 0.5


def test_mnist_framing_box_centre_of_mass_and_stroke_constants():
    digit = data.load("mnist", "test")[0][7].numpy()
    y = imaging.to_mnist(_scan(digit, 7, Image.NEAREST))
    ys, xs = np.nonzero(y > 0)
    assert max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) == 20
    com = [(y.sum(axis) * np.arange(28)).sum() / y.sum() for axis in (1, 0)]
    assert np.allclose(com, 14.0, atol=0.6)
    # MNIST_STROKE is what mnist_stroke_widths measures on MNIST (every 5th test digit here)
    widths = imaging.mnist_stroke_widths(data.load("mnist", "test")[0][::5].numpy())
    assert np.allclose(np.percentile(widths, [10, 50, 90]), imaging.MNIST_STROKE, atol=0.1)


@pytest.mark.parametrize("pen", [3, 40])
def test_thin_and_thick_pens_get_mnist_stroke_width(pen):
    """A '7' drawn with a thin pen (or a marker) on a 400×400 canvas arrives with MNIST-like strokes."""
    from PIL import ImageDraw

    img = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(img).line([(80, 60), (320, 60), (170, 350)], fill=0, width=pen)
    y = imaging.to_mnist(_png(img))
    lo, _, hi = imaging.MNIST_STROKE
    assert lo - 0.3 <= imaging.mnist_stroke_widths(y[None])[0] <= hi + 0.3
    assert y.max() == 1.0 and y[0].max() == 0


def test_framing_is_checked():
    with pytest.raises(ValueError, match="framing"):
        imaging.to_domain(np.ones((30, 30)), framing="digits")


def test_a_sketch_of_a_digit_gets_the_mnist_framing():
    """A Sketchpad composite (black brush on a transparent 280×280 canvas), as the VAE tab and
    SDEdit receive it: framed as an MNIST digit (20-px box, strokes of MNIST's width)."""
    from PIL import ImageDraw

    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(140, 40), (140, 240)], fill=(0, 0, 0, 255), width=16)     # a "1"
    y = sketch.sketch_to_mnist({"composite": np.asarray(canvas)})
    ys, xs = np.nonzero(y > 0)
    assert ys.max() - ys.min() + 1 == 20 and xs.max() - xs.min() + 1 <= 6
    assert sketch.sketch_to_domain({"composite": np.asarray(canvas)}, framing="mnist").tolist() == y.tolist()
    lo, _, hi = imaging.MNIST_STROKE
    assert lo - 0.3 <= imaging.mnist_stroke_widths(y[None])[0] <= hi + 0.3
