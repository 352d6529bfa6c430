"""The VAE tab in a real browser (Debian's Chromium via Playwright) at a 1280×720 laptop size:
what the page shows after an upload, a drawing, Reconstruct and the likelihood check."""
import numpy as np
import pytest
from PIL import Image

from browser_helpers import LAPTOP
from genmodels import data


@pytest.fixture
def laptop(open_page):
    page = open_page(LAPTOP, "VAE", timeout_ms=30_000)
    page.wait_for_selector("#vae-decoded img")
    return page


def _scan(tmp_path, index: int) -> str:
    """A real MNIST test digit as a user's scan: dark on white, 280×280, a PNG file."""
    digit = data.load("mnist", "test")[0][index].numpy()
    path = tmp_path / f"digit{index}.png"
    Image.fromarray(((1 - digit) * 255).round().astype(np.uint8)).resize((280, 280), Image.BICUBIC).save(path)
    return str(path)


def _no_error_shown(page):
    assert page.locator("#vae-rec-in .error, #vae-rec-out .error, #vae-lik-img .error, #vae-lik-plot .error").count() == 0
    assert "Error" not in page.inner_text("body")


def _in_view(page, selector) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 100) <= LAPTOP["height"]


def test_uploaded_real_digit_is_not_an_outlier_and_results_sit_by_their_buttons(laptop, tmp_path):
    page = laptop
    page.locator("#vae-upload input[type=file]").set_input_files(_scan(tmp_path, 1003))
    page.wait_for_function("() => document.querySelector('#vae-source input:checked').value === 'upload'")

    page.locator("#vae-rec-btn").scroll_into_view_if_needed()
    page.click("#vae-rec-btn")
    page.wait_for_function("() => !document.querySelector('#vae-rec-info').innerText.includes('On arrival') && document.querySelector('#vae-rec-info').innerText.includes('nats')")
    page.wait_for_selector("#vae-rec-in img")
    page.wait_for_selector("#vae-rec-out img")
    assert _in_view(page, "#vae-rec-btn") and _in_view(page, "#vae-rec-out img")   # the result beside its button

    page.locator("#vae-lik-btn").scroll_into_view_if_needed()
    page.click("#vae-lik-btn")
    page.wait_for_function("() => !document.querySelector('#vae-lik-text').innerText.includes('On arrival') && document.querySelector('#vae-lik-text').innerText.includes('nats')")
    text = page.inner_text("#vae-lik-text")
    assert "typical digit" in text and "outlier" not in text, text
    page.wait_for_selector("#vae-lik-img img")
    page.wait_for_selector("#vae-lik-plot canvas, #vae-lik-plot svg")
    assert _in_view(page, "#vae-lik-btn") and _in_view(page, "#vae-lik-text")
    _no_error_shown(page)


def test_drawing_needs_no_tool_pick_and_selects_the_drawing(laptop):
    page = laptop
    page.locator("#vae-sketch").scroll_into_view_if_needed()
    brush = page.locator("#vae-sketch button[aria-label='Brush']").first
    page.wait_for_function("() => document.querySelector(\"#vae-sketch button[aria-label='Brush']\")"
                           "?.className.includes('highlight')")
    assert "highlight" in brush.get_attribute("class")          # the brush is picked from the start
    canvas = page.locator("#vae-sketch canvas").last
    cb = canvas.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.8, steps=10)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#vae-source input:checked').value === 'drawing'")
    page.click("#vae-rec-btn")
    page.wait_for_function("() => !document.querySelector('#vae-rec-info').innerText.includes('On arrival') && document.querySelector('#vae-rec-info').innerText.includes('nats')")
    page.wait_for_selector("#vae-rec-in img")
    _no_error_shown(page)


def test_compare_puts_its_cards_beside_the_button(laptop):
    page = laptop
    page.locator("#vae-cmp-btn").scroll_into_view_if_needed()
    page.click("#vae-cmp-btn")
    page.wait_for_function("() => !document.querySelector('#vae-cmp-cards').innerText.includes('On arrival') && document.querySelector('#vae-cmp-cards').innerText.includes('≥ 20 of 1,000')",
                           timeout=60_000)
    for sel in ("#vae-ae-map img", "#vae-ae-samples img", "#vae-vae-map img", "#vae-vae-samples img"):
        page.wait_for_selector(sel)
    assert _in_view(page, "#vae-cmp-btn") and _in_view(page, "#vae-cmp-cards")
    _no_error_shown(page)


def test_live_run_from_the_checkpoint_streams_its_own_steps_and_reconstructions(laptop):
    """Continuing vae2d-mnist: curves, the digits-over-reconstructions strip, and a status that counts
    this run's steps (not the checkpoint's thousands before it)."""
    page = laptop
    page.click("#vae-train-acc")
    page.locator("#vae-t-mode").get_by_label("continue from the checkpoint").check()
    steps = page.locator("#vae-t-steps input[type=number]")
    steps.fill("20")
    steps.press("Enter")
    page.click("#vae-train")
    page.wait_for_function("() => /step 20 \\/ 20/.test(document.querySelector('#vae-t-status').innerText)",
                           timeout=180_000)
    assert "test −ELBO" in page.inner_text("#vae-t-status")
    page.wait_for_selector("#vae-t-curves canvas, #vae-t-curves svg")
    page.wait_for_function("() => { const i = document.querySelector('#vae-t-recon img');"
                           " return i && i.complete && i.naturalWidth === 726; }")   # 8 digits × 3, two rows
    _no_error_shown(page)
