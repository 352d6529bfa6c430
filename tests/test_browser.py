"""A real browser (Debian's Chromium via Playwright) on each tab."""
import re
import time

from browser_helpers import click_cell, src


def _card_values(page):
    return page.locator("#coin-cards .gm-card-value").all_inner_texts()


def test_coin_tab_trains_updates_and_stops(page):
    page.get_by_role("tab", name="Coin-flip GAN").click()
    assert re.fullmatch(r"0\.\d{3}", _card_values(page)[2])   # the tab opens on a finished run
    # a long run so that Stop has something to stop
    page.get_by_label("Steps (one D + one G update each)").first.fill("5000")
    page.get_by_label("Steps (one D + one G update each)").first.press("Enter")
    page.click("#coin-train")
    # the cards already show the arrival run: wait for this run's own status
    page.wait_for_function("() => /step \\d+ \\/ 5000/.test(document.querySelector('#coin-status').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#coin-losses canvas, #coin-losses svg")
    page.wait_for_selector("#coin-bars canvas, #coin-bars svg")
    s1 = page.inner_text("#coin-status")
    time.sleep(1.0)
    s2 = page.inner_text("#coin-status")
    assert re.search(r"step \d+ / 5000", s2) and s1 != s2          # still moving
    strip = page.inner_text("#coin-strip")
    assert re.fullmatch(r"[HT]{40}", strip.strip())
    page.click("#coin-stop")
    page.wait_for_function("() => /stopped at step \\d+/.test(document.querySelector('#coin-status').innerText)")
    after_stop = page.inner_text("#coin-status")
    time.sleep(1.5)
    assert page.inner_text("#coin-status") == after_stop          # stopped
    step = int(re.search(r"step (\d+)", after_stop).group(1))
    assert step < 5000
    page.click("#coin-reset")
    page.wait_for_function("() => document.querySelector('#coin-status').innerText.includes('Press')")


def test_cyclegan_tab_example_shows_the_cycle(page):
    page.get_by_role("tab", name="CycleGAN").click()
    click_cell(page, "#cg-gallery", 2, 6, 2)
    for panel in ("#cg-received", "#cg-translated", "#cg-reconstructed", "#cg-identity"):
        page.wait_for_selector(f"{panel} img")
    page.wait_for_function("() => /0\\.\\d{3}/.test(document.querySelector('#cg-info').innerText)")
    first = page.get_attribute("#cg-translated img", "src")
    page.get_by_label("Zebra → horse").check()       # switches the gallery and shows zebra #0
    page.wait_for_function("() => document.querySelector('#cg-info').innerText.includes('Zebra → horse')")
    click_cell(page, "#cg-gallery", 4, 6, 2)
    page.wait_for_function(f"() => document.querySelector('#cg-translated img').src !== {first!r}")


def test_cyclegan_bad_upload_shows_a_message(page, tmp_path):
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"hello, I am text")
    page.get_by_role("tab", name="CycleGAN").click()
    page.locator("#cg-upload input[type=file]").set_input_files(str(bad))
    page.click("#cg-upload-btn")
    page.wait_for_selector("text=not an image we can read")


def test_vae_tab_slider_map_and_drawing(page):
    page.get_by_role("tab", name="VAE").click()
    page.wait_for_selector("#vae-decoded img")
    before = src(page, "#vae-decoded")
    box = page.locator("#vae-z0 input[type=range]").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('#vae-decoded img').src !== {before!r}")

    page.locator("#vae-map img").click(position={"x": 200, "y": 150})
    page.wait_for_selector("#vae-point img")
    page.wait_for_function("() => !document.querySelector('#vae-point-info').innerText.includes('On arrival') && document.querySelector('#vae-point-info').innerText.includes('decoded z')")

    page.locator("#vae-sketch").scroll_into_view_if_needed()   # the sketchpad starts with its brush picked
    page.wait_for_function("() => document.querySelector(\"#vae-sketch button[aria-label='Brush']\")"
                           "?.className.includes('highlight')")
    canvas = page.locator("#vae-sketch canvas").last
    cb = canvas.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.8, steps=10)
    page.mouse.up()
    # the drawing, once it reaches the page's state, selects itself as the input
    page.wait_for_function("() => document.querySelector('#vae-source input:checked').value === 'drawing'")
    page.click("#vae-rec-btn")
    page.wait_for_selector("#vae-rec-out img")
    page.wait_for_function("() => !document.querySelector('#vae-rec-info').innerText.includes('On arrival') && document.querySelector('#vae-rec-info').innerText.includes('nats')")


def test_ddpm_tab_plays_the_animation_and_scrubs(page):
    page.get_by_role("tab", name="DDPM").click()
    steps = page.locator("#dd-steps input[type=number]")
    steps.fill("10")
    steps.press("Enter")
    page.click("#dd-generate")
    page.wait_for_selector("#dd-xt img")
    page.wait_for_function("() => document.querySelector('#dd-caption').innerText.includes('step 10 / 10')",
                           timeout=60_000)                          # this run's last frame, not the arrival run's
    page.wait_for_function("() => !document.querySelector('#dd-scrub input[type=range]').disabled")
    end = page.get_attribute("#dd-xt img", "src")
    box = page.locator("#dd-scrub input[type=range]").bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)              # back to the first frame
    page.wait_for_function(f"() => document.querySelector('#dd-xt img').src !== {end!r}")
    page.wait_for_function("() => document.querySelector('#dd-caption').innerText.includes('step 0')")


def test_dcgan_tab_pick_abc_and_compute(page):
    page.get_by_role("tab", name="DCGAN").click()
    for slot, i in (("A", 0), ("B", 1), ("C", 2)):
        page.locator("#dc-slot").get_by_label(slot, exact=True).check()
        click_cell(page, "#dc-grid", i, 8, 4)
        page.wait_for_selector(f"#dc-slot-{slot} img")
    page.click("#dc-compute")
    page.wait_for_selector("#dc-result img")
    page.wait_for_selector("#dc-means img")


def test_tab_query_opens_that_tab(browser, app_url):
    """?tab=<id> opens the page on that tab; every tab has #tab-<id>-button; an unknown id keeps
    the first tab (and no error badge shows)."""
    import app

    ids = [t.id for t in app.demo.blocks.values() if type(t).__name__ == "Tab" and t.elem_id == f"tab-{t.id}"]
    assert {"coin", "vae", "dcgan", "ddpm", "cyclegan"} <= set(ids)
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        for tab_id in ("ddpm", "cyclegan", "coin"):
            pg.goto(f"{app_url}?tab={tab_id}")
            pg.wait_for_function(
                f"() => document.querySelector('#tab-{tab_id}-button')?.getAttribute('aria-selected') === 'true'")
            assert pg.is_visible(f"#tab-{tab_id}")
            for other in set(ids) - {tab_id}:
                assert pg.get_attribute(f"#tab-{other}-button", "aria-selected") == "false"
        pg.goto(f"{app_url}?tab=cyclegan")
        pg.wait_for_selector("#cg-gallery img")                   # the tab's content, not only its button
        pg.goto(f"{app_url}?tab=nope")
        pg.wait_for_selector("#tab-coin-button")
        pg.wait_for_timeout(1000)
        assert pg.get_attribute("#tab-coin-button", "aria-selected") == "true"
        assert pg.locator(".error, [data-testid='error']").count() == 0
        for tab_id in ids:
            assert pg.locator(f"#tab-{tab_id}-button").count() == 1
    finally:
        ctx.close()
