"""Alive on arrival, presentation mode and queue positions in a real browser (issue 18, items 1, 3, 6)."""
import re

import pytest

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


QUEUE_JS = """() => [...document.querySelectorAll('#tab-pixelcnn .progress-text')]
  .filter(e => e.offsetParent !== null).map(e => e.innerText).join(' ')"""
STATUS_JS = "() => document.querySelector('#pcnn-chain-status')?.innerText || ''"


@pytest.mark.slow
def test_a_long_job_waiting_for_a_worker_shows_its_place_in_the_queue(browser, app_url):
    """Two visitors fill both workers of the shared long-job queue (PixelCNN sampling); a third
    visitor's job waits and its page says "queue: k/n"; then all three finish with no Error."""
    from demos.common import HEAVY_WORKERS
    opened = [_open(browser, f"{app_url}?tab=pixelcnn") for _ in range(HEAVY_WORKERS + 1)]
    try:
        *running, waiting = [page for _, page in opened]
        for page in running:
            page.wait_for_selector("#pcnn-sample-btn", state="visible")
            page.click("#pcnn-sample-btn")
        for page in running:                            # both workers busy: their runs stream
            page.wait_for_function(f"() => ({STATUS_JS})().startsWith('sampling')", timeout=120_000)
        waiting.wait_for_selector("#pcnn-sample-btn", state="visible")
        waiting.click("#pcnn-sample-btn")
        waiting.wait_for_function(f"() => /queue: \\d+\\/\\d+/.test(({QUEUE_JS})())", timeout=20_000)
        shown = waiting.evaluate(QUEUE_JS)
        k, n = map(int, re.search(r"queue: (\d+)/(\d+)", shown).groups())
        assert 1 <= k <= n, shown
        for _, page in opened:
            page.wait_for_function(f"() => ({STATUS_JS})().startsWith('done: step 784')", timeout=300_000)
            assert page.evaluate(ERRORS_JS) == 0
            assert page.evaluate(DECODED_JS, "pcnn-chain-images")
    finally:
        for ctx, _ in opened:
            ctx.close()


VISIBLE_ADVANCED_JS = """(id) => [...document.querySelectorAll(`#tab-${id} .gm-advanced`)]
  .filter(e => e.offsetParent !== null).length"""
TOP_JS = "(sel) => document.querySelector(sel).getBoundingClientRect().top"
BOTTOM_JS = "(sel) => document.querySelector(sel).getBoundingClientRect().bottom"
FONT_JS = "(id) => parseFloat(getComputedStyle(document.querySelector(`#tab-${id} .prose, #tab-${id} .md`)).fontSize)"
ZOOM_JS = "(id) => parseFloat(getComputedStyle(document.querySelector(`#tab-${id} .vega-embed`)).zoom)"
# (tab, the result, the first control, a plot on the tab's first screen or None); CycleGAN's advanced
# control (the batch size) sits in the closed training accordion, so nothing of it shows before either
PRESENTED = [("coin", "#coin-cards", "#coin-p", True), ("ddpm", "#dd-xt", "#dd-sampler", False),
             ("pixelcnn", "#pcnn-chain-images", "#pcnn-seed", False), ("cyclegan", "#cg-translated", "#cg-gallery", False)]
HIDDEN_ANYWAY = {"cyclegan"}


@pytest.mark.parametrize("tab, result, control, plot", PRESENTED, ids=[t[0] for t in PRESENTED])
def test_presentation_mode_shows_the_result_first_with_fewer_controls_and_larger_type(browser, app_url, tab, result,
                                                                                     control, plot):
    """1920×1080: normal, then ?present=1. Advanced controls are hidden, the result sits above the first
    control, the text is at least 1.3× larger, and the plots are scaled up with their text."""
    ctx, page = _open(browser, f"{app_url}?tab={tab}", 1920, 1080)
    try:
        page.wait_for_selector(f"{result}", state="visible")
        normal_font = page.evaluate(FONT_JS, tab)
        assert page.evaluate(VISIBLE_ADVANCED_JS, tab) > 0 or tab in HIDDEN_ANYWAY   # something to hide
        assert page.evaluate(TOP_JS, result) < page.evaluate(BOTTOM_JS, control) + 400   # side by side
        page.goto(f"{app_url}?tab={tab}&present=1")
        page.wait_for_function("() => document.body.classList.contains('gm-present')")
        page.wait_for_selector(f"{result}", state="visible")
        page.wait_for_selector(f"{control}", state="visible")
        assert page.evaluate(VISIBLE_ADVANCED_JS, tab) == 0
        assert page.evaluate(BOTTOM_JS, result) <= page.evaluate(TOP_JS, control), "the result is not above the controls"
        assert page.evaluate(FONT_JS, tab) >= 1.3 * normal_font
        if plot:
            page.wait_for_selector(f"#tab-{tab} .vega-embed")
            assert page.evaluate(ZOOM_JS, tab) >= 1.3
        page.click("#gm-present-toggle")                                    # the toggle brings it all back
        if tab not in HIDDEN_ANYWAY:
            page.wait_for_function(f"(id) => ({VISIBLE_ADVANCED_JS})(id) > 0", arg=tab)
        else:
            page.wait_for_function("() => !document.body.classList.contains('gm-present')")
        assert page.evaluate(ERRORS_JS) == 0
    finally:
        ctx.close()
