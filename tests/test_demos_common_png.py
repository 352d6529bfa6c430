"""demos.common.png_data_url: the one helper the DCGAN tab and the MNIST comparison use to put a
uint8 picture into HTML (issue 14: it lived in demos/dcgan.py and compare imported it from there)."""
import base64
import io

import numpy as np
from PIL import Image

from demos import common, compare, dcgan


def test_png_data_url_round_trips_the_pixels():
    rng = np.random.default_rng(0)
    for picture in (rng.integers(0, 256, (5, 7), dtype=np.uint8), rng.integers(0, 256, (4, 3, 3), dtype=np.uint8)):
        url = common.png_data_url(picture)
        assert url.startswith("data:image/png;base64,")
        back = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
        assert np.array_equal(back, picture)


def test_the_tabs_use_the_one_copy():
    assert dcgan._png is common.png_data_url and compare._png is common.png_data_url
