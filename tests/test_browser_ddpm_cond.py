"""The DDPM tab's conditional side (issue 17) and the sampler curve (issue 19) in a real browser and
through gradio_client: a chosen digit with guidance w, the w-sweep strip, the measured trade-off and
the FLD-vs-evaluations curve on screen; out-of-range w or digit answered with a clear message."""
import numpy as np
import pytest
from PIL import Image

from browser_helpers import LAPTOP, no_error_visible, set_number


@pytest.fixture
def laptop(open_page):
    return open_page(LAPTOP, "DDPM", timeout_ms=30_000)


def _read(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def test_a_chosen_digit_plays_with_its_guidance_formula(laptop):
    page = laptop
    page.locator("#dd-digit").get_by_label("7", exact=True).check()
    set_number(page, "#dd-w", 3)
    page.wait_for_function("() => document.querySelector('#dd-w-text').innerText.includes('w = 3')")
    mix = page.inner_text("#dd-w-text")
    assert "ε̃ = ε_θ(x_t, t, ∅) + 3·(ε_θ(x_t, t, 7) − ε_θ(x_t, t, ∅))" in mix
    set_number(page, "#dd-steps", 8)
    page.click("#dd-generate")
    page.wait_for_function("() => (t => t.includes('x_0, the output') && !t.includes('on arrival'))(document.querySelector('#dd-caption').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#dd-xt img")
    page.wait_for_selector("#dd-x0 img")
    caption = page.inner_text("#dd-caption")
    assert "y = 7, w = 3" in caption and "step 8 / 8" in caption          # the run says what it mixed
    no_error_visible(page)
    page.locator("#dd-digit").get_by_label("7", exact=True).check()
    set_number(page, "#dd-w", 1)                                           # w = 1 is the plain conditional model
    page.wait_for_function("() => document.querySelector('#dd-w-text').innerText.includes('plain conditional')")


def test_sdedit_steers_a_drawing_towards_the_chosen_digit(laptop):
    page = laptop
    page.get_by_role("tab", name="From a drawing (SDEdit)").click()
    page.locator("#dd-sketch").scroll_into_view_if_needed()
    page.wait_for_timeout(800)                       # the page picks the brush itself
    cb = page.locator("#dd-sketch canvas").last.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.8, steps=10)
    page.mouse.up()
    page.get_by_text("Steer towards a digit").click()
    page.locator("#dd-s-digit input").click()
    page.get_by_role("option", name="3", exact=True).click()
    page.wait_for_function("() => document.querySelector('#dd-s-w-text').innerText.includes('y = 3, w = 2')")
    set_number(page, "#dd-t0", 700)
    page.click("#dd-sdedit")
    page.wait_for_function("() => (t => t.includes('x_0, the output') && !t.includes('on arrival'))(document.querySelector('#dd-caption').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#dd-xt img")
    caption = page.inner_text("#dd-caption")
    assert "y = 3, w = 2: ε̃ = ε_θ(x_t, t, ∅) + 2·(ε_θ(x_t, t, 3) − ε_θ(x_t, t, ∅))" in caption
    no_error_visible(page)


def test_sweep_strip_tradeoff_and_solver_curve_are_on_screen(laptop):
    page = laptop
    # the measured curves are drawn from the cards at start
    for sel in ("#dd-tradeoff-acc", "#dd-tradeoff-fld", "#dd-solver-curve"):
        page.locator(sel).scroll_into_view_if_needed()
        page.wait_for_selector(f"{sel} canvas, {sel} svg")
    assert "samples per w" in page.inner_text("#dd-tradeoff-note")
    assert "FLD of" in page.inner_text("#dd-solver-note")
    page.locator("#dd-sw-digit").get_by_label("3", exact=True).check()
    page.click("#dd-sweep")
    page.wait_for_selector("#dd-sweep-img img", timeout=180_000)
    page.wait_for_function("() => document.querySelector('#dd-sweep-caption').innerText.includes('y = 3')")
    assert "w = 0, 1, 2, 3, 5, 8" in page.inner_text("#dd-sweep-caption")
    no_error_visible(page)


def test_conditional_endpoints_and_clear_messages(client):
    outs = list(client.submit("DPM-Solver++", 4, 0.0, 5, 2, True, "4", 2.0, api_name="/ddpm_generate"))
    caption = outs[-1][2]
    assert "y = 4, w = 2" in caption and "x_0, the output" in caption
    # the old call (no digit, no w) still samples the unconditional model
    old = list(client.submit("DDIM", 3, 0.0, 5, 2, True, api_name="/ddpm_generate"))
    assert "no digit" in old[-1][2]
    strip, text = client.predict("2", 1, api_name="/ddpm_sweep")
    img = _read(strip)
    assert img.shape[0] == img.shape[1] and "y = 2" in text               # six rows (w) of six samples
    # out of range: Gradio's own check of the slider, or ours, each naming the limit
    with pytest.raises(Exception, match=r"greater than maximum value 8|Guidance w must be between 0(\.0)? and 8"):
        client.predict("DDIM", 3, 0.0, 0, 1, True, "4", 9.0, api_name="/ddpm_generate")
    with pytest.raises(Exception, match=r"Digit must be none or one of 0 … 9|not in the list of choices"):
        client.predict("DDIM", 3, 0.0, 0, 1, True, "12", 2.0, api_name="/ddpm_generate")
    with pytest.raises(Exception, match=r"Choose a digit|not in the list of choices"):
        client.predict("none", 0, api_name="/ddpm_sweep")
