"""Tests written for survivors of scripts/mutate.py on genmodels/pixelcnn.py (docs/mutation.md):
the raster ordering x_<k, the receptive field's pixel check, nll on no images, the mask buffer."""
import pytest
import torch

from genmodels import pixelcnn



def small() -> pixelcnn.Config:          # made per test, not at import (scripts/mutate.py INPROCESS re-creates Config)
    return pixelcnn.Config(arch="plain", channels=4, layers=2, head=4)


@pytest.mark.parametrize("i,j", [(0, 0), (0, 5), (3, 0), (13, 14), (27, 27)])
def test_ordering_before_is_strictly_the_earlier_pixels(i, j):
    before = pixelcnn.ordering_before(i, j)
    k = i * 28 + j
    assert int(before.sum()) == k                       # x_1 .. x_{k−1} (0-based: k pixels)
    assert not before[i, j]                             # never the pixel itself
    assert before.flatten()[:k].all() and not before.flatten()[k:].any()


def test_receptive_field_takes_every_pixel_inside_and_refuses_the_rest():
    assert not pixelcnn.receptive_field(small(), 0, 0).any()          # x_1 sees nothing
    last = pixelcnn.receptive_field(small(), 27, 27)
    assert last[27, 26] and not last[27, 27]
    for i, j in [(-1, 0), (28, 0), (0, -1), (0, 28), (28, 28)]:
        with pytest.raises(ValueError, match="inside 28"):
            pixelcnn.receptive_field(small(), i, j)


def test_nll_of_no_images_is_empty_and_the_mask_is_not_saved():
    model = pixelcnn.build(small())
    assert pixelcnn.nll(model, torch.zeros(0, 28, 28)).shape == (0,)
    assert not [k for k in model.state_dict() if k.endswith("mask")]   # the checkpoints hold weights only
    assert any(m.mask.shape[-1] > 1 for m in model.modules() if isinstance(m, pixelcnn.MaskedConv2d))
