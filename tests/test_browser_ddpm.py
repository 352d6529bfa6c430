"""The DDPM tab in a real browser (Debian's Chromium via Playwright), at a 1280×720 laptop screen:
what the page shows after each interaction, not only what the server returned."""
import time

import pytest

from browser_helpers import LAPTOP, no_error_visible, set_number
from genmodels import ddpm, diffusion_view

# Count the points of every stroked canvas path: a line of n points is one moveTo and n − 1 lineTo.
COUNT_STROKES = """
(() => {
  const P = CanvasRenderingContext2D.prototype;
  const begin = P.beginPath, line = P.lineTo, stroke = P.stroke;
  P.beginPath = function () { this.__n = 0; return begin.apply(this, arguments); };
  P.lineTo = function () { this.__n = (this.__n || 0) + 1; return line.apply(this, arguments); };
  P.stroke = function () {
    (this.canvas.__strokes = this.canvas.__strokes || []).push(this.__n || 0);
    return stroke.apply(this, arguments);
  };
})();
"""


@pytest.fixture
def laptop(open_page):
    return open_page(LAPTOP, "DDPM", timeout_ms=30_000, init_script=COUNT_STROKES)


def _caption(page) -> str:
    return page.inner_text("#dd-caption")


def _expected_t(sched, frame: int) -> int:
    """The decks' t of the x_t image of recorded frame ``frame`` (0 = the starting x_T; the last is x_0)."""
    ks = diffusion_view.timesteps_from(sched)
    k = ks[0] if frame == 0 else diffusion_view.previous_timestep(sched, ks[frame - 1])
    return diffusion_view.deck_t(k)


def test_generate_shows_frames_with_their_own_t_and_the_scrubber_keeps_them(laptop):
    page = laptop
    set_number(page, "#dd-steps", 10)
    page.click("#dd-generate")
    # (the tab opens on a finished DDIM-50 run: wait for this run's own last frame)
    page.wait_for_function("() => { const t = document.querySelector('#dd-caption').innerText;"
                           " return t.includes('x_0, the output') && t.includes('step 10 / 10'); }", timeout=90_000)
    page.wait_for_function("() => !document.querySelector('#dd-scrub input[type=range]').disabled")
    page.wait_for_selector("#dd-xt img")
    page.wait_for_selector("#dd-x0 img")
    page.wait_for_selector("#dd-gif a, #dd-gif .file-preview, #dd-gif :text('denoising.gif')")
    for sel in ("#dd-xt", "#dd-x0"):                      # no floating label over the top row of the grid
        img = page.locator(f"{sel} img").bounding_box()
        for label in page.locator(f"{sel} [data-testid=block-label]").all():
            box = label.bounding_box()
            assert not box or box["y"] + box["height"] <= img["y"] or box["x"] + box["width"] <= img["x"]
    final = _caption(page)
    assert "step 10 / 10" in final and "t = 0" in final and "noise 0)" in final
    assert "noise 0.010" not in final
    no_error_visible(page)

    from demos.ddpm import load_model
    cfg = load_model().cfg
    sched = ddpm.scheduler("ddim", cfg.T, cfg.schedule, 0.0, 10)
    for frame in (0, 1, 5, 9):
        before = page.get_attribute("#dd-xt img", "src")
        set_number(page, "#dd-scrub", frame)
        page.wait_for_function(f"() => document.querySelector('#dd-xt img').src !== {before!r}")
        want = _expected_t(sched, frame)
        page.wait_for_function(f"() => document.querySelector('#dd-caption').innerText.includes('step {frame} / 10')")
        text = _caption(page)
        assert f"x_t at {diffusion_view.levels(sched, want - 1)}" in text, (frame, want, text)
        if frame:
            k = diffusion_view.timesteps_from(sched)[frame - 1]
            assert f"predicted from x_t at t = {k + 1}," in text
            assert f"this step: x_{want} = " in text
    no_error_visible(page)


def test_forward_schedule_switch_at_t_825_clamps_instead_of_an_error(laptop):
    page = laptop
    page.locator("#dd-f-t").scroll_into_view_if_needed()
    set_number(page, "#dd-f-t", 825)
    page.wait_for_function("() => document.querySelector('#dd-f-text').innerText.includes('t = 825 of 1000')")
    page.locator("#dd-f-sched").get_by_label("seed notebook (linear, T = 50)").check()
    page.wait_for_function("() => document.querySelector('#dd-f-text').innerText.includes('t = 50 of 50')")
    assert page.input_value("#dd-f-t input[type=number]") == "50"
    time.sleep(1.0)                                    # a toast would have appeared by now
    no_error_visible(page)
    page.locator("#dd-f-sched").get_by_label("cosine (T = 1000)").check()
    page.wait_for_function("() => document.querySelector('#dd-f-text').innerText.includes('t = 50 of 1000')")
    no_error_visible(page)


def test_sdedit_starts_with_the_brush_and_shows_its_result_beside_its_button(laptop):
    page = laptop
    page.get_by_role("tab", name="From a drawing (SDEdit)").click()
    pad = page.locator("#dd-sketch")
    pad.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => ![...document.querySelectorAll('#dd-sketch div')].some("
        "d => d.textContent.trim() === 'select the draw tool to start' && d.offsetParent !== null)")
    canvas = page.locator("#dd-sketch canvas").last
    cb = canvas.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.8, steps=10)
    page.mouse.up()
    set_number(page, "#dd-t0", 600)
    page.click("#dd-sdedit")
    page.wait_for_function("() => (t => t.includes('x_0, the output') && !t.includes('on arrival'))(document.querySelector('#dd-caption').innerText)",
                           timeout=90_000)
    page.wait_for_selector("#dd-xt img")
    no_error_visible(page)
    view_h = page.viewport_size["height"]
    for sel in ("#dd-sdedit", "#dd-xt img", "#dd-x0 img"):          # the result is on screen with its button
        box = page.locator(sel).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= view_h + 1, (sel, box)

    from demos.ddpm import load_model
    cfg = load_model().cfg
    start = diffusion_view.sdedit_start(ddpm.scheduler("ddim", cfg.T, cfg.schedule, 0.0, 50), 600)
    set_number(page, "#dd-scrub", 0)                                # the first frame: the noised drawing
    page.wait_for_function("() => document.querySelector('#dd-caption').innerText.includes('step 0 /')")
    assert f"x_t at t = {start + 1} ·" in _caption(page) and start + 1 <= 600


def test_toy_trajectories_draw_every_step(laptop, client):
    # in the data the server sends: 10 lines of T + 1 = 51 points
    outs = list(client.submit(-2.0, 2.0, 0.3, "linear scaled by 1000/T (reaches noise)", 200, 0,
                              api_name="/ddpm_toy"))
    traj = outs[-1][2]
    value = traj["value"] if isinstance(traj, dict) and "value" in traj else traj
    cols, rows = value["columns"], value["data"]
    t_col, s_col = cols.index("t"), cols.index("sample")
    per_line = {}
    for r in rows:
        per_line.setdefault(r[s_col], set()).add(r[t_col])
    assert len(per_line) == 10 and all(len(ts) == 51 for ts in per_line.values())

    # and in the browser: every trajectory is drawn through all of its points
    page = laptop
    page.get_by_text("Toy 1-D diffusion").click()
    set_number(page, "#dd-toy-t-steps", 200)
    page.click("#dd-toy-train")
    page.wait_for_function("() => document.querySelector('#dd-toy-info').innerText.includes('share of samples')",
                           timeout=90_000)
    page.locator("#dd-toy-traj").scroll_into_view_if_needed()
    page.wait_for_selector("#dd-toy-traj .mark-line path, #dd-toy-traj canvas")
    time.sleep(1.0)
    # points per drawn line: SVG paths ("M x,y L x,y …"), or the canvas strokes counted by COUNT_STROKES
    points = page.evaluate(
        "() => [...document.querySelectorAll('#dd-toy-traj .mark-line path')]"
        ".map(p => (p.getAttribute('d').match(/[ML]/g) || []).length)"
        ".concat([...document.querySelectorAll('#dd-toy-traj canvas')].flatMap(c => (c.__strokes || []).map(n => n + 1)))")
    long_lines = [n for n in points if n > 2]
    assert len(long_lines) >= 10, points                 # ten lines of more than two points each
    assert min(long_lines) == 51                         # (the reversed x_lim drew each with two)
    no_error_visible(page)


def test_formulas_fit_a_phone_screen(browser, app_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app_url)
        page.wait_for_selector("[role=tab]")
        page.get_by_role("tab", name="DDPM").click()           # tabs wrap on a phone: every name is visible
        page.wait_for_selector("#dd-what-runs .katex-display")
        clipped = page.evaluate(
            "() => [...document.querySelectorAll('#dd-intro .katex-display, #dd-what-runs .katex-display, "
            "#dd-f-text .katex-display')].filter(e => e.scrollWidth > e.clientWidth + 1)"
            ".map(e => e.textContent.slice(0, 40))")
        assert clipped == []                             # every display formula fits without scrolling
        outside = page.evaluate(
            "() => [...document.querySelectorAll('#dd-intro .katex, #dd-what-runs .katex, #dd-f-text .katex')]"
            ".filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > innerWidth + 1)"
            ".map(e => e.textContent.slice(0, 40))")
        assert outside == []                             # and no inline formula runs off the screen
    finally:
        ctx.close()


def test_the_tab_opens_on_a_finished_run_ready_to_scrub(laptop):
    """Alive on arrival (issue 18): the last frame of a DDIM-50 run, its caption, the scrubber and the GIF, no click."""
    page = laptop
    page.wait_for_selector("#dd-xt img")
    page.wait_for_selector("#dd-x0 img")
    text = _caption(page)
    assert "finished run on arrival" in text and "step 50 / 50" in text and "x_0, the output" in text
    assert not page.locator("#dd-scrub input[type=range]").is_disabled()
    assert page.locator("#dd-scrub input[type=number]").input_value() == "50"
    before = page.get_attribute("#dd-xt img", "src")
    set_number(page, "#dd-scrub", 0)                    # back to pure noise x_T
    page.wait_for_function(f"() => document.querySelector('#dd-xt img').src !== {before!r}")
    page.wait_for_function("() => document.querySelector('#dd-caption').innerText.includes('step 0 / 50')")
    no_error_visible(page)
