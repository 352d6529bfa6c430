"""genmodels.common's image grid is torchvision's make_grid layout, pixel for pixel.

``common.grid`` stays hand-written (ten lines) because importing torchvision costs the app's cold
start seconds (docs/figures.md); this test pins it to the library it mirrors."""
import numpy as np
import pytest
import torch

from genmodels.common import grid, grid_cell

make_grid = pytest.importorskip("torchvision.utils").make_grid


def _reference(x, nrow, pad, value, scale):
    """make_grid on whole rows (make_grid narrows to n columns when n < nrow), as uint8."""
    x = torch.as_tensor(x).float()
    if x.dim() == 3:
        x = x[:, None]
    n = len(x)
    cells = max(nrow, -(-n // nrow) * nrow)
    x = torch.cat([x, torch.full((cells - n, *x.shape[1:]), value)])
    g = make_grid(x, nrow=nrow, padding=pad, pad_value=value)[0]
    g = (g.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return g.repeat(scale, 0).repeat(scale, 1)


@pytest.mark.parametrize("n,nrow,pad,value,scale,shape", [
    (32, 8, 2, 1.0, 1, (28, 28)), (10, 8, 2, 1.0, 3, (28, 28)), (3, 8, 0, 0.0, 4, (28, 28)),
    (9, 9, 2, 1.0, 3, (28, 28)), (15 * 15, 15, 0, 1.0, 1, (28, 28)), (5, 2, 1, 0.5, 2, (7, 5)), (2, 2, 2, 1.0, 1, (1, 28, 28))])
def test_grid_is_make_grid(n, nrow, pad, value, scale, shape):
    x = torch.rand(n, *shape, generator=torch.Generator().manual_seed(n)) * 1.2 - 0.1   # values off [0, 1] too
    ours = grid(x, nrow=nrow, pad=pad, value=value, scale=scale)
    assert ours.dtype == np.uint8
    assert np.array_equal(ours, _reference(x, nrow, pad, value, scale))
    assert np.array_equal(grid(x.numpy(), nrow=nrow, pad=pad, value=value, scale=scale), ours)   # arrays too


def test_grid_cell_inverts_grid():
    x = torch.rand(20, 28, 28)
    img = grid(x, nrow=8, pad=2, scale=3)
    for i in (0, 7, 8, 19):
        r, c = divmod(i, 8)
        y0, x0 = (2 + r * 30) * 3, (2 + c * 30) * 3
        assert img[y0 + 40, x0 + 40] == round(float(x[i, 13, 13]) * 255)
        assert grid_cell(x0 + 40, y0 + 40, 20, nrow=8, pad=2, scale=3) == i
