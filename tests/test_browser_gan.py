"""The DCGAN tab in a real browser (Debian's Chromium via Playwright), at a laptop's
1280×720 and a phone's 390×844: what the page shows after each interaction, not what the server
returned. Nothing may show Gradio's red "Error" (a badge on a failed output, or a toast).
The CycleGAN tab has its own file, test_browser_cyclegan.py."""
from browser_helpers import LAPTOP, PHONE, click_cell, no_error, src


def wait_in_view(page, selector):
    """Wait until the element lies wholly inside the viewport (the page may scroll to it)."""
    page.wait_for_function(f"""() => {{
        const r = document.querySelector({selector!r})?.getBoundingClientRect();
        return r && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 1; }}""", timeout=5_000)


def test_dcgan_grid_whole_click_slots_arithmetic_and_interpolation(open_page):
    page = open_page(LAPTOP, "DCGAN")
    page.wait_for_selector("#dc-grid img")
    # the 32 samples are one picture, shown whole: no inner scrolling, shorter than the screen
    grid = page.locator("#dc-grid img").bounding_box()
    assert grid["height"] < LAPTOP["height"] and grid["width"] > 300
    assert page.eval_on_selector("#dc-grid", "e => e.scrollHeight <= e.clientHeight + 1")
    assert page.eval_on_selector("#dc-grid img", "e => e.naturalWidth > 0 && e.complete")
    slots = ("A", "B", "C", "start", "end")
    for slot, i in zip(slots, (0, 1, 2, 3, 12)):
        page.locator("#dc-slot").get_by_label(slot, exact=True).check()
        before = {s: src(page, f"#dc-slot-{s}") for s in slots}    # the tab opens with every slot filled
        click_cell(page, "#dc-grid", i, 8, 4)
        page.wait_for_function(f"() => document.querySelector('#dc-slot-{slot} img')?.src !== {before[slot]!r}")
        # a pick redraws only its slot: the others keep their pictures on screen
        assert all(src(page, f"#dc-slot-{s}") == before[s] and before[s] for s in slots if s != slot)
    before = src(page, "#dc-result")
    page.click("#dc-compute")
    page.wait_for_function(f"() => document.querySelector('#dc-result img')?.src !== {before!r}")
    page.wait_for_selector("#dc-means img")
    wait_in_view(page, "#dc-result img")           # the result is on screen after the click
    before = src(page, "#dc-strip")
    page.click("#dc-interp")
    page.wait_for_function(f"() => document.querySelector('#dc-strip img')?.src !== {before!r}")
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
    # each slot's picture lies whole inside its box (on a phone the boxes are narrower than the pictures)
    for slot in ("A", "B", "C", "start", "end"):
        img, block = (page.locator(sel).bounding_box() for sel in (f"#dc-slot-{slot} img", f"#dc-slot-{slot}"))
        assert block["x"] - 1 <= img["x"] and img["x"] + img["width"] <= block["x"] + block["width"] + 1, (slot, img, block)
        assert img["width"] >= 40, (slot, img)              # shrunk to fit, still a readable digit
    no_error(page)


def test_dcgan_live_generator_draws_the_slots(open_page):
    """Issue 12.4: with "my live-trained generator" the slots show what the live G makes of the z."""
    page = open_page(LAPTOP, "DCGAN")
    page.wait_for_selector("#dc-grid img")
    arrival = src(page, "#dc-slot-A")                      # the tab opens with slot A filled
    click_cell(page, "#dc-grid", 0, 8, 4)
    page.wait_for_function(f"() => document.querySelector('#dc-slot-A img')?.src !== {arrival!r}")
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
