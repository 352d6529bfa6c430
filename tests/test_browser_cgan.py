"""The DCGAN tab's "Choose the digit (conditional GAN)" section (issue 17): its API endpoints through
gradio_client, and what a real browser (Debian's Chromium via Playwright) shows at a laptop's
1280×720 and a phone's 390×844 after each interaction."""
import re

import numpy as np
import pytest
from PIL import Image

from browser_helpers import LAPTOP, PHONE, images_shown, no_error


def _read(path):
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255


# -- gradio_client -------------------------------------------------------------------------------
def test_cgan_grid_has_a_labelled_row_per_digit(client):
    html, caption = client.predict(5, 6, api_name="/cgan_grid")
    assert re.findall(r"digit (\d)</th>", html) == [str(k) for k in range(10)]
    assert html.count("<img") == 10 and html.count("z<sub>") == 6 and "seed 5" in caption
    again, _ = client.predict(5, 6, api_name="/cgan_grid")
    assert again == html                                      # same seed, same pictures


def test_cgan_interpolate_and_arithmetic(client):
    strip, caption = client.predict(3, 8, 2, 7, 0, api_name="/cgan_interpolate")
    s = _read(strip)
    assert s.shape[1] > 6 * s.shape[0] and "onehot}(3)" in caption and "onehot}(8)" in caption
    four, every, caption = client.predict(0, 1, 2, 3, 7, api_name="/cgan_arithmetic")
    f, e = _read(four), _read(every)
    assert f.shape[1] > 3 * f.shape[0] and e.shape[1] > 9 * e.shape[0] and "Digit 7" in caption


@pytest.mark.parametrize("api, args, message", [
    ("/cgan_interpolate", (12, 8, 1, 8, 0), "Digit a must be between 0 and 9"),
    ("/cgan_interpolate", (3, -1, 1, 8, 0), "Digit b must be between 0 and 9"),
    ("/cgan_interpolate", (3, 8, 13, 8, 0), "Style \\(column\\) must be between 1 and 12"),
    ("/cgan_arithmetic", (0, 1, 2, 3, 10), "Digit must be between 0 and 9"),
    ("/cgan_arithmetic", (0, 0, 2, 3, 7), "Column A must be between 1 and 12"),
    ("/cgan_grid", (-1, 8), "(?i)Seed must be between|less than minimum value 0"),
    ("/cgan_grid", (0, 40), "(?i)Styles \\(columns\\) must be between 2 and 12|greater than maximum value 12"),
])
def test_cgan_out_of_range_inputs_get_a_clear_message(client, api, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)


# -- the browser ---------------------------------------------------------------------------------
@pytest.fixture
def open_dcgan(open_page):
    def open_at(viewport):
        page = open_page(viewport, "DCGAN")
        page.wait_for_selector("#cg-grid img")
        return page

    return open_at


def test_cgan_section_shows_the_grid_rows_and_the_card(open_dcgan):
    page = open_dcgan(LAPTOP)
    page.locator("#cg-grid").scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('#cg-grid img')].every(i => i.complete && i.naturalWidth > 0)")
    assert images_shown(page, "#cg-grid") == 10
    labels = page.locator("#cg-grid .cg-row-label").all_inner_texts()
    assert [t.strip() for t in labels] == [f"digit {k}" for k in range(10)]
    assert "is the digit asked for (content)" in page.inner_text("#cg-grid-caption")
    scores = page.inner_text("#cg-scores")
    assert "99.6%" in scores and "classified as asked" in scores and "3.0 (floor 2.8)" in scores
    for pic in ("#cg-interp", "#cg-arith", "#cg-arith-all"):             # drawn on arrival
        assert images_shown(page, pic) == 1
    # a new seed redraws the rows; the labels stay
    before = page.get_attribute("#cg-grid img >> nth=0", "src")
    page.fill("#cg-seed input", "7")
    page.press("#cg-seed input", "Enter")
    page.wait_for_function(f"() => document.querySelector('#cg-grid img').src !== {before!r}")
    assert "seed 7" in page.inner_text("#cg-grid-caption")
    assert page.locator("#cg-grid .cg-row-label").count() == 10
    no_error(page)


def test_cgan_interpolation_and_arithmetic_in_the_browser(open_dcgan):
    page = open_dcgan(PHONE)
    for box, value in (("#cg-a", "1"), ("#cg-b", "4")):
        page.fill(f"{box} input", value)
    old = page.get_attribute("#cg-interp img", "src")
    page.click("#cg-interp-btn")
    page.wait_for_function(f"() => document.querySelector('#cg-interp img')?.src !== {old!r}")
    page.wait_for_function("() => /onehot\\(1\\)/.test(document.querySelector('#cg-interp-caption').innerText)")
    page.fill("#cg-digit input", "2")
    old = page.get_attribute("#cg-arith img", "src")
    page.click("#cg-arith-btn")
    page.wait_for_function(f"() => document.querySelector('#cg-arith img')?.src !== {old!r}")
    assert "Digit 2" in page.inner_text("#cg-arith-caption")
    for pic in ("#cg-arith", "#cg-arith-all"):          # the new pictures decoded (slow on a busy machine)
        page.wait_for_function(f"() => [...document.querySelectorAll('{pic} img')]"
                               ".filter(i => i.complete && i.naturalWidth > 0).length === 1")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")   # fits a phone
    no_error(page)
    # an out-of-range digit: a message, the pictures stay
    page.fill("#cg-digit input", "12")
    page.click("#cg-arith-btn")
    page.wait_for_function("() => /Digit must be between 0 and 9/.test(document.body.innerText)")
    assert images_shown(page, "#cg-arith") == 1
