"""The DCGAN and CycleGAN tabs in a real browser (Debian's Chromium via Playwright), at a laptop's
1280×720 and a phone's 390×844: what the page shows after each interaction, not what the server
returned. Nothing may show Gradio's red "Error" (a badge on a failed output, or a toast)."""
import re
import time

import pytest

LAPTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_page(browser, app_url):
    contexts = []

    def open_at(viewport, tab):
        ctx = browser.new_context(viewport=viewport)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(app_url)
        pg.wait_for_selector("[role=tab]")
        # on a phone most tab names sit behind the "•••" menu: press the tab's button wherever it is
        pg.evaluate("""name => {
            const named = [...document.querySelectorAll('button')].filter(b => b.textContent.trim() === name);
            (named.find(b => b.offsetParent !== null && b.tabIndex >= 0) || named.pop()).click(); }""", tab)
        return pg

    yield open_at
    for ctx in contexts:
        ctx.close()


def no_error(page):
    """No failed output and no error toast anywhere on the page."""
    text = page.inner_text("body")
    assert not re.search(r"\bError\b", text), text[:2000]
    assert page.locator(".toast-body.error").count() == 0


def wait_in_view(page, selector):
    """Wait until the element lies wholly inside the viewport (the page may scroll to it)."""
    page.wait_for_function(f"""() => {{
        const r = document.querySelector({selector!r})?.getBoundingClientRect();
        return r && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 1; }}""", timeout=5_000)


def click_cell(page, selector, index, columns, rows):
    """Click the middle of cell ``index`` of a grid image."""
    img = page.locator(f"{selector} img")
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    r, c = divmod(index, columns)
    img.click(position={"x": box["width"] * (c + 0.5) / columns, "y": box["height"] * (r + 0.5) / rows})


def src(page, selector):
    return page.get_attribute(f"{selector} img", "src")


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


def wait_shown(page, selector):
    """Wait until the element's image has loaded and has pixels."""
    page.wait_for_function(f"() => {{ const i = document.querySelector('{selector} img');"
                           " return i && i.complete && i.naturalWidth > 0; }")


# -- DCGAN -------------------------------------------------------------------------
def test_dcgan_grid_whole_click_slots_arithmetic_and_interpolation(open_page):
    page = open_page(LAPTOP, "DCGAN")
    page.wait_for_selector("#dc-grid img")
    # the 32 samples are one picture, shown whole: no inner scrolling, shorter than the screen
    grid = page.locator("#dc-grid img").bounding_box()
    assert grid["height"] < LAPTOP["height"] and grid["width"] > 300
    assert page.eval_on_selector("#dc-grid", "e => e.scrollHeight <= e.clientHeight + 1")
    assert page.eval_on_selector("#dc-grid img", "e => e.naturalWidth > 0 && e.complete")
    for slot, i in (("A", 0), ("B", 1), ("C", 2), ("start", 3), ("end", 12)):
        page.locator("#dc-slot").get_by_label(slot, exact=True).check()
        click_cell(page, "#dc-grid", i, 8, 4)
        page.wait_for_selector(f"#dc-slot-{slot} img")
    page.click("#dc-compute")
    page.wait_for_selector("#dc-result img")
    page.wait_for_selector("#dc-means img")
    wait_in_view(page, "#dc-result img")           # the result is on screen after the click
    page.click("#dc-interp")
    page.wait_for_selector("#dc-strip img")
    page.wait_for_selector("#dc-gif img")
    assert src(page, "#dc-gif").split("?")[0].endswith(".gif")          # the GIF is shown, not only offered
    wait_in_view(page, "#dc-strip img")
    wait_in_view(page, "#dc-gif img")
    wait_in_view(page, "#dc-interp")               # with its button
    no_error(page)


def test_dcgan_grid_fits_a_phone(open_page):
    page = open_page(PHONE, "DCGAN")
    page.wait_for_selector("#dc-grid img")
    box = page.locator("#dc-grid img").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    click_cell(page, "#dc-grid", 5, 8, 4)
    page.wait_for_selector("#dc-slot-A img")
    no_error(page)


def test_dcgan_live_generator_draws_the_slots(open_page):
    """Issue 12.4: with "my live-trained generator" the slots show what the live G makes of the z."""
    page = open_page(LAPTOP, "DCGAN")
    page.wait_for_selector("#dc-grid img")
    click_cell(page, "#dc-grid", 0, 8, 4)
    page.wait_for_selector("#dc-slot-A img")
    by_checkpoint = src(page, "#dc-slot-A")
    page.click("#dc-train-acc")
    for box, value in (("#dc-t-steps", "10"), ("#dc-t-batch", "8")):
        field = page.locator(f"{box} input[type=number]")
        field.fill(value)
        field.press("Enter")
    page.click("#dc-train")
    page.wait_for_function("() => /step 10 \\/ 10/.test(document.querySelector('#dc-t-status').innerText)",
                           timeout=300_000)
    page.locator("#dc-generator").get_by_label("my live-trained generator").check()
    page.wait_for_function("() => document.querySelector('#dc-grid-caption').innerText.includes('live-trained')")
    page.wait_for_function(f"() => document.querySelector('#dc-slot-A img').src !== {by_checkpoint!r}")
    click_cell(page, "#dc-grid", 1, 8, 4)        # a pick under the live generator: drawn by it too
    page.wait_for_function(f"() => document.querySelector('#dc-slot-A img').src !== {by_checkpoint!r}")
    no_error(page)


# -- CycleGAN ----------------------------------------------------------------------
PANELS = ("#cg-received", "#cg-translated", "#cg-reconstructed", "#cg-identity")


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
    steps = page.locator("#cg-steps input[type=number]")
    steps.fill("2000")
    steps.press("Enter")
    page.click("#cg-train")
    page.wait_for_function("() => /step [1-9]\\d* \\/ 2000/.test(document.querySelector('#cg-status').innerText)",
                           timeout=300_000)
    page.click("#cg-stop")
    time.sleep(1.5)
    status = page.inner_text("#cg-status")
    time.sleep(1.5)
    assert page.inner_text("#cg-status") == status and "2000 / 2000" not in status     # stopped mid-run
    page.locator("#cg-model").get_by_label("my live-trained model").check()
    click_cell(page, "#cg-gallery", 4, 6, 2)
    page.wait_for_function("() => document.querySelector('#cg-caption').innerText.includes('your live-trained model')")
    for panel in PANELS:
        wait_shown(page, panel)
    no_error(page)
