"""Lesson links in a real browser (issue 18): ?tab=<id>&name=value opens a tab with its controls set,
a note lists what was ignored, "Copy link to this view" round-trips, ?present=1 enlarges the type,
and on a phone no formula is wider than its box."""
import pytest

from browser_helpers import open_tab

TAB_IDS = ["coin", "vae", "dcgan", "ddpm", "pixelcnn", "cyclegan", "map"]

ALIVE_JS = """(id) => { const c = document.getElementById(`tab-${id}`);
  const b = document.getElementById(`tab-${id}-button`);
  if (!c || !b) return {selected: null, images: 0, plots: 0, errors: 0};   // not rendered yet: wait on
  const vis = e => e.offsetParent !== null && e.getBoundingClientRect().width > 20;
  return {
    selected: b.getAttribute('aria-selected'),
    images: [...c.querySelectorAll('img')].filter(vis).filter(i => i.naturalWidth > 0).length,
    plots: [...c.querySelectorAll('.js-plotly-plot, canvas, svg.main-svg, .vega-embed')].filter(vis).length,
    errors: [...document.querySelectorAll('.error')].filter(vis).length,
  }; }"""


def _open(browser, url, width=1400, height=1000):
    return open_tab(browser, url, viewport={"width": width, "height": height}, timeout_ms=30_000)


@pytest.mark.parametrize("tab", TAB_IDS)
def test_every_tab_link_opens_its_tab_alive(browser, app_url, tab):
    """?tab=<id> selects the tab and it shows an image or a plot without a click, with no Error badge."""
    ctx, page = _open(browser, f"{app_url}?tab={tab}")
    try:
        page.wait_for_function(f"""() => {{ const s = ({ALIVE_JS})('{tab}');
            return s.selected === 'true' && s.images + s.plots > 0; }}""", timeout=30_000)
        page.wait_for_timeout(1000)
        state = page.evaluate(ALIVE_JS, tab)
        assert state["selected"] == "true" and state["images"] + state["plots"] > 0, state
        assert state["errors"] == 0, state
        assert not page.locator("#gm-link-note").is_visible()     # nothing to report for a plain ?tab=
    finally:
        ctx.close()


def _ddpm_values(page):
    return {"steps": page.locator("#dd-steps input[type=number]").input_value(),
            "sampler": page.locator("#dd-sampler input:checked").get_attribute("value")}


def test_a_link_with_settings_sets_the_controls(browser, app_url):
    ctx, page = _open(browser, f"{app_url}?tab=ddpm&sampler=DPM-Solver%2B%2B&steps=10&seed=7")
    try:
        page.wait_for_function("() => document.querySelector('#dd-steps input[type=number]')?.value === '10'")
        assert _ddpm_values(page) == {"steps": "10", "sampler": "DPM-Solver++"}
        assert page.locator("#tab-ddpm-button").get_attribute("aria-selected") == "true"
        assert not page.locator("#gm-link-note").is_visible()
        # the linked view computes its result: a coin link sets p and the tab still shows its plots
    finally:
        ctx.close()


def test_bad_parameters_show_a_note_and_the_page_still_works(browser, app_url):
    ctx, page = _open(browser, f"{app_url}?tab=ddpm&steps=5000&bogus=1&sampler=euler&seed=3")
    try:
        note = page.locator("#gm-link-note")
        note.wait_for(state="visible")
        text = note.inner_text()
        assert "steps=5000 (outside 1 … 1000)" in text and "bogus" in text and "sampler=euler" in text, text
        page.wait_for_timeout(500)
        assert page.locator("#dd-steps input[type=number]").input_value() == "50"   # the default stays
        assert page.locator("#tab-ddpm-button").get_attribute("aria-selected") == "true"
        page.get_by_role("tab", name="CycleGAN").click()                           # still usable
        page.wait_for_selector("#tab-cyclegan", state="visible")
        assert page.evaluate(ALIVE_JS, "cyclegan")["errors"] == 0
    finally:
        ctx.close()


def test_copy_link_round_trips(browser, app_url):
    ctx, page = _open(browser, f"{app_url}?tab=ddpm&sampler=DDPM&steps=23")
    try:
        page.wait_for_function("() => document.querySelector('#dd-steps input[type=number]')?.value === '23'")
        page.click("#ddpm-copy-link")
        box = page.locator("#ddpm-link-box textarea, #ddpm-link-box input").first
        page.wait_for_function("() => { const b = document.querySelector('#ddpm-link-box textarea, #ddpm-link-box input');"
                               " return b && b.value.startsWith('http'); }")
        url = box.input_value()
        assert "tab=ddpm" in url and "steps=23" in url and "sampler=DDPM" in url, url
        other = ctx.new_page()
        other.goto(url)
        other.wait_for_function("() => document.querySelector('#dd-steps input[type=number]')?.value === '23'")
        assert _ddpm_values(other) == _ddpm_values(page) == {"steps": "23", "sampler": "DDPM"}
        assert not other.locator("#gm-link-note").is_visible()
    finally:
        ctx.close()


FONT_JS = "() => parseFloat(getComputedStyle(document.querySelector('#tab-coin .prose, #tab-coin .md')).fontSize)"


def test_present_mode_enlarges_the_text(browser, app_url):
    ctx, page = _open(browser, app_url, 1920, 1080)
    try:
        page.wait_for_selector("#tab-coin .prose, #tab-coin .md")
        normal = page.evaluate(FONT_JS)
        page.click("#gm-present-toggle")
        assert "gm-present" in page.evaluate("document.body.className")
        assert page.evaluate(FONT_JS) >= 1.3 * normal
        page.click("#gm-present-toggle")
        assert page.evaluate(FONT_JS) == normal
        page.goto(f"{app_url}?present=1&tab=vae")
        page.wait_for_function("() => document.body.classList.contains('gm-present')")
        page.wait_for_selector("#tab-coin .prose, #tab-coin .md", state="attached")
        assert page.evaluate(FONT_JS) >= 1.3 * normal
    finally:
        ctx.close()


WIDE_JS = """(id) => [...document.getElementById(`tab-${id}`).querySelectorAll('.katex')]
  .filter(k => k.offsetParent !== null)
  .filter(k => { const box = k.closest('.katex-display') || k.parentElement;
                 const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
                 return !scrolls && k.getBoundingClientRect().right > box.getBoundingClientRect().right + 1
                        || k.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls; })
  .map(k => k.textContent.slice(0, 60))"""


@pytest.mark.parametrize("tab", TAB_IDS)
def test_no_formula_wider_than_its_box_on_a_phone(browser, app_url, tab):
    ctx, page = _open(browser, f"{app_url}?tab={tab}", 390, 844)
    try:
        page.wait_for_function(f"() => document.getElementById('tab-{tab}-button')?.getAttribute('aria-selected') === 'true'")
        page.wait_for_timeout(500)
        assert page.evaluate(WIDE_JS, tab) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()
