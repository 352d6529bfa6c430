"""The CycleGAN tab in a real browser (Debian's Chromium via Playwright), at a laptop's 1280×720:
what the page shows after each interaction, not what the server returned. Nothing may show Gradio's
red "Error" (a badge on a failed output, or a toast)."""
import re
import time

from browser_helpers import LAPTOP, click_cell, no_error, src, wait_or_explain, wait_shown

PANELS = ("#cg-received", "#cg-translated", "#cg-reconstructed", "#cg-identity")


def settled(page, quiet=1.5, limit=30.0):
    """The four panels' sources once they have stopped changing for ``quiet`` seconds."""
    last, since, start = None, time.monotonic(), time.monotonic()
    while time.monotonic() - start < limit:
        now = {p: src(page, p) for p in PANELS}
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
        time.sleep(0.2)
    return last


def test_cyclegan_example_gives_four_panels(open_page):
    page = open_page(LAPTOP, "CycleGAN")
    page.wait_for_selector("#cg-gallery img")
    before = src(page, "#cg-translated")
    click_cell(page, "#cg-gallery", 7, 6, 2)
    page.wait_for_function(f"() => document.querySelector('#cg-translated img').src !== {before!r}")
    for panel in PANELS:
        wait_shown(page, panel)
    assert "by the pretrained checkpoint" in page.inner_text("#cg-caption")
    no_error(page)


def test_cyclegan_bad_upload_keeps_the_panels_and_says_why(open_page, tmp_path):
    """Issue 12.8: a file that is not an image gets a message; the four panels stay."""
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"hello, I am text")
    page = open_page(LAPTOP, "CycleGAN")
    click_cell(page, "#cg-gallery", 2, 6, 2)
    page.wait_for_function("() => document.querySelector('#cg-caption').innerText.includes('by the pretrained')")
    shown = settled(page)       # the tab opens on an example: wait until the click's panels have replaced it
    page.locator("#cg-upload input[type=file]").set_input_files(str(bad))
    page.click("#cg-upload-btn")
    page.wait_for_function("() => document.querySelector('#cg-caption').innerText.includes('not an image we can read')")
    time.sleep(0.5)
    assert {p: src(page, p) for p in PANELS} == shown
    no_error(page)


def test_cyclegan_drawing_works_without_picking_the_brush(open_page):
    page = open_page(LAPTOP, "CycleGAN")
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("#cg-sketch canvas").last
    canvas.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#cg-sketch button[aria-label=\"Brush\"]')"
                           "?.classList.contains('highlight')")
    box = canvas.bounding_box()
    for (x0, y0), (x1, y1) in (((0.2, 0.4), (0.8, 0.4)), ((0.3, 0.4), (0.3, 0.8)), ((0.7, 0.4), (0.7, 0.8))):
        page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * y1, steps=8)
        page.mouse.up()
    page.click("#cg-sketch-btn")
    page.wait_for_function("() => /Received/.test(document.querySelector('#cg-caption').innerText)")
    no_error(page)


def test_cyclegan_stopped_live_run_translates(open_page):
    """Issue 12.6: Stop keeps the live model, and "my live-trained model" then translates with it."""
    page = open_page(LAPTOP, "CycleGAN")
    page.click("#cg-train-acc")
    steps = page.locator("#cg-t-steps input[type=number]")
    steps.fill("2000")
    steps.press("Enter")
    page.wait_for_function("() => document.querySelector('#cg-t-steps input[type=number]').value === '2000'")
    page.click("#cg-train")
    wait_or_explain(page, "() => /step [1-9]\\d* \\/ 2000/.test(document.querySelector('#cg-t-status').innerText)",
                    "The live run's first step", 300_000,
                    ("#cg-t-status", "#cg-t-steps input[type=number]", "#cg-t-mode", "#cg-train-acc"))
    page.click("#cg-stop")
    page.wait_for_function("() => document.querySelector('#cg-t-status').innerText.includes('stopped at')")
    status = page.inner_text("#cg-t-status")
    time.sleep(1.5)
    assert page.inner_text("#cg-t-status") == status and "2000 / 2000" not in status     # stopped mid-run
    # the steps of this run, not the checkpoint's 2,997 it started from
    assert 1 <= int(re.search(r"step (\d+) / 2000", status).group(1)) < 2000
    page.locator("#cg-model").get_by_label("my live-trained model").check()
    click_cell(page, "#cg-gallery", 4, 6, 2)
    page.wait_for_function("() => document.querySelector('#cg-caption').innerText.includes('your live-trained model')")
    for panel in PANELS:
        wait_shown(page, panel)
    no_error(page)
