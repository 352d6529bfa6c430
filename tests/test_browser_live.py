"""Alive on arrival, presentation mode and queue positions in a real browser (issue 18, items 1, 3, 6)."""
import re

from conftest import CHROMIUM_ARGS  # noqa: F401  (the browser fixture's settings)


def _open(browser, url, width=1400, height=1000):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector("[role=tab]")
    return ctx, page


# An <img> inside the element with this id that the browser has decoded (naturalWidth > 0).
DECODED_JS = """(id) => { const e = document.getElementById(id);
  const i = e && e.querySelector('img');
  return Boolean(i && i.complete && i.naturalWidth > 0 && e.getBoundingClientRect().width > 20); }"""
ERRORS_JS = "() => [...document.querySelectorAll('.error')].filter(e => e.offsetParent !== null).length"


def test_pixelcnn_tab_opens_on_a_finished_sample_grid_and_completion(browser, app_url):
    """?tab=pixelcnn, no click: the sample grid with its heat-map, a completion, the likelihood and the
    bounds are on screen, each caption naming the settings it was made with."""
    ctx, page = _open(browser, f"{app_url}?tab=pixelcnn")
    try:
        page.wait_for_selector("#tab-pixelcnn", state="visible")
        for elem in ("pcnn-chain-images", "pcnn-chain-heat", "pcnn-given", "pcnn-completions", "pcnn-lik-img"):
            page.wait_for_function(DECODED_JS, arg=elem)
        status = page.locator("#pcnn-chain-status").inner_text()
        assert "16 samples from seed 0" in status and "step 784 of 784" in status, status
        text = page.locator("#pcnn-complete-text").inner_text()
        assert "test digit 0" in text and "R = 14" in text and "8 completions from seed 0" in text, text
        assert re.search(r"−log p\(rows < 14\) = [\d.]+ nats", text), text
        assert re.search(r"−log p\(x\) = [\d.]+ nats", page.locator("#pcnn-lik-text").inner_text())
        assert "−L_100" in page.locator("#pcnn-bound-table").inner_text()
        for plot in ("#pcnn-lik-plot", "#pcnn-bound-plot"):        # the histograms and bars are drawn
            page.wait_for_selector(f"{plot} canvas, {plot} svg.marks")
        assert page.evaluate(ERRORS_JS) == 0
    finally:
        ctx.close()
