"""Accessibility in a real browser (issue 18 item 5): every picture and plot has a text alternative
that follows its caption, every control is reachable by keyboard and works from it, text contrast
is at WCAG AA in the light and dark themes and in presentation mode, and on a phone every tab name
opens its tab by touch with its pictures inside the screen. The colour palette is checked without
a browser in tests/test_a11y.py."""
import re

import pytest

TAB_IDS = ["coin", "vae", "dcgan", "ddpm", "pixelcnn", "cyclegan", "map"]

READY_JS = """(id) => { const b = document.getElementById(`tab-${id}-button`);
  const c = document.getElementById(`tab-${id}`);
  if (!b || !c || b.getAttribute('aria-selected') !== 'true') return false;
  const vis = e => e.offsetParent !== null && e.getBoundingClientRect().width > 20;
  return [...c.querySelectorAll('img, .vega-embed')].filter(vis).length > 0; }"""


def _open(browser, url, tab, width=1280, height=900, query="", **context):
    ctx = browser.new_context(viewport={"width": width, "height": height}, **context)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}?tab={tab}{query}")
    page.wait_for_function(READY_JS, arg=tab, timeout=60_000)
    page.wait_for_timeout(800)          # the text-alternative hook runs 150 ms after the last change
    return ctx, page


# ------------------------------------------------------------------------------------------------
# 1. Text alternatives
# ------------------------------------------------------------------------------------------------
ALTS_JS = """(id) => { const c = document.getElementById(`tab-${id}`);
  const vis = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  return {
    images: [...c.querySelectorAll('img')].filter(vis).map(i => [i.closest('[id]')?.id || '', i.getAttribute('alt') || '']),
    plots: [...c.querySelectorAll('.vega-embed')].filter(vis).map(v => [v.closest('[id]')?.id || '',
             v.closest('.block[role=figure]')?.getAttribute('aria-label') || '',
             v.querySelector('[aria-roledescription=title]')?.getAttribute('aria-label') || '']),
  }; }"""


@pytest.mark.parametrize("tab", TAB_IDS)
def test_every_picture_and_plot_says_what_it_shows(browser, app_url, tab):
    ctx, page = _open(browser, app_url, tab)
    try:
        # a plot's text is on its block (a figure): Vega resets its own label whenever it draws again
        try:
            page.wait_for_function(f"""() => {{ const f = ({ALTS_JS})('{tab}');
                return f.plots.every(p => p[1].startsWith('Plot') && p[1].includes(p[2].replace(/^Title text '(.*)'$/, '$1'))
                                          && (p[1].includes('axis titled') || p[1].includes('no data yet')))
                       && f.images.every(i => i[1].length >= 8); }}""", timeout=15_000)
        except Exception:                      # noqa: BLE001 - the asserts below say which one
            pass
        found = page.evaluate(ALTS_JS, tab)
        assert found["images"] or found["plots"]
        for where, alt in found["images"]:
            assert len(alt) >= 8 and alt != "Picture", (where, alt)
        for where, label, title in found["plots"]:
            assert label.startswith("Plot") and ("axis titled" in label or "no data yet" in label), (where, label)
            if title:                              # Vega's own title ("Title text 'Losses of D and G'")
                assert re.sub(r"^Title text '(.*)'$", r"\1", title) in label, (where, label, title)
    finally:
        ctx.close()


def test_the_coin_plots_name_their_axes_series_and_caption(browser, app_url):
    ctx, page = _open(browser, app_url, "coin")
    try:
        page.wait_for_function("() => (document.querySelector('#coin-gz')?.getAttribute('aria-label') || '')"
                               ".includes('Mapping')")
        assert page.locator("#coin-gz").get_attribute("role") == "figure"
        label = page.locator("#coin-gz").get_attribute("aria-label")
        caption = page.locator("#coin-gz p.caption").inner_text().strip()
        assert "Mapping z → G(z)" in label and "X-axis titled 'z'" in label and "Y-axis titled 'G(z)'" in label
        assert caption and caption in label, (caption, label)
    finally:
        ctx.close()


DDPM_STATE_JS = """() => ({alt: document.querySelector('#dd-xt img').getAttribute('alt'),
                          caption: document.querySelector('#dd-caption').innerText})"""


def test_a_pictures_text_follows_its_caption_when_scrubbed_by_keyboard(browser, app_url):
    """The DDPM tab opens on a finished run (step 50 of 50); Home on the scrubber shows its first frame:
    the picture's alt text names the step its caption names, before and after."""
    ctx, page = _open(browser, app_url, "ddpm")
    try:
        first = page.evaluate(DDPM_STATE_JS)
        step = re.search(r"step \d+ / \d+", first["caption"]).group(0)
        assert first["alt"].startswith("x_t, the sample being denoised — ") and step in first["alt"], first
        page.focus("#dd-scrub input[type=range]")
        page.keyboard.press("Home")                          # a slider moves by keyboard
        page.wait_for_function(f"""() => {{ const s = ({DDPM_STATE_JS})();
            const m = s.caption.match(/step \\d+ \\/ \\d+/); return m && m[0] !== '{step}' && s.alt.includes(m[0]); }}""")
        now = page.evaluate(DDPM_STATE_JS)
        assert now["alt"] != first["alt"]
        assert page.locator("#tab-ddpm .error").filter(has_text="Error").count() == 0
    finally:
        ctx.close()


# ------------------------------------------------------------------------------------------------
# 3. Keyboard
# ------------------------------------------------------------------------------------------------
# The controls a user operates: buttons, sliders (their range and number box), number boxes,
# dropdowns, radio buttons, check boxes, text boxes; not those a widget hides from Tab on purpose
# (tabindex -1 inside aria-hidden copies, such as Gradio's measuring copy of a tab row).
CONTROLS_JS = """(id) => { const c = document.getElementById(`tab-${id}`);
  const vis = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0 && getComputedStyle(e).visibility !== 'hidden';
  const sel = 'button, input, textarea, select, [role=slider], [role=combobox], [role=tab]';
  const wanted = [...c.querySelectorAll(sel)].filter(vis).filter(e => !e.disabled && e.type !== 'hidden'
      && e.type !== 'file' && e.getAttribute('tabindex') !== '-1' && !e.closest('[aria-hidden=true]'));
  const desc = e => `${e.tagName.toLowerCase()}${e.type ? '[' + e.type + ']' : ''} in #${e.closest('[id]')?.id || '?'} `
                    + `"${(e.getAttribute('aria-label') || e.textContent || e.value || '').trim().slice(0, 30)}"`;
  return {count: wanted.length, missing: wanted.filter(e => !e.dataset.gmFocused).map(desc)}; }"""


@pytest.mark.parametrize("tab", TAB_IDS)
def test_every_control_is_reached_with_the_tab_key(browser, app_url, tab):
    """Press Tab from the top of the page and collect every element that receives focus: each visible
    control of the tab (buttons, sliders, numbers, dropdowns, radios, check boxes, text boxes) is among them."""
    ctx, page = _open(browser, app_url, tab)
    try:
        page.evaluate("() => document.addEventListener('focusin', e => { e.target.dataset.gmFocused = '1'; }, true)")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        state = page.evaluate(CONTROLS_JS, tab)
        assert state["count"] >= 5, state
        for _ in range(40):                    # at most 40 × 25 presses; stops once every control had focus
            for _ in range(25):
                page.keyboard.press("Tab")
            state = page.evaluate(CONTROLS_JS, tab)
            if not state["missing"]:
                break
        assert state["missing"] == [], f"{tab}: not reached by Tab: {state['missing']}"
    finally:
        ctx.close()


def test_a_button_is_pressed_with_enter_and_shows_its_result(browser, app_url):
    """VAE: focus Reconstruct, press Enter: the input and its reconstruction appear, with their text."""
    ctx, page = _open(browser, app_url, "vae")
    try:
        # the tab opens on a stored reconstruction whose caption says "On arrival"; Enter replaces it
        assert "On arrival" in page.locator("#vae-rec-info").inner_text()
        page.focus("#vae-rec-btn")
        page.keyboard.press("Enter")
        page.wait_for_function("() => !document.querySelector('#vae-rec-info').innerText.includes('On arrival')")
        page.wait_for_function("""() => ['#vae-rec-in', '#vae-rec-out'].every(s => {
            const i = document.querySelector(s + ' img'); return i && i.complete && i.naturalWidth > 0; })""")
        page.wait_for_function("() => document.querySelector('#vae-rec-info').innerText.trim().length > 10")
        page.wait_for_timeout(500)
        assert page.locator("#tab-vae .error").filter(has_text="Error").count() == 0
        alt = page.locator("#vae-rec-out img").get_attribute("alt")
        info = page.locator("#vae-rec-info").inner_text().split("\n")[0].strip()
        assert alt.startswith("reconstruction x̂") and info[:20] in alt, (alt, info)
    finally:
        ctx.close()


# ------------------------------------------------------------------------------------------------
# 4. Contrast
# ------------------------------------------------------------------------------------------------
# Every visible text element's colour (with its opacity and its ancestors') against its effective
# background (the backgrounds from the page down to it, composited); WCAG 2's relative luminance.
CONTRAST_JS = """(root) => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, a, bottom) => top.slice(0, 3).map((v, i) => v * a + bottom[i] * (1 - a));
  const background = e => {
    const chain = []; for (let x = e; x; x = x.parentElement) chain.push(x);
    let bg = [255, 255, 255];
    for (const x of chain.reverse()) { const c = parse(getComputedStyle(x).backgroundColor);
      if (c && c[3] > 0) bg = over(c, c[3], bg); }
    return bg; };
  const opacity = e => { let o = 1; for (let x = e; x; x = x.parentElement) o *= parseFloat(getComputedStyle(x).opacity); return o; };
  const out = []; const seen = new Set(); let checked = 0;
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode, e = t.parentElement;
    if (!e || seen.has(e) || !t.textContent.trim()) continue;
    seen.add(e);
    // not text: formulas' hidden MathML, screen-reader-only copies; WCAG exempts disabled controls
    if (e.closest('svg, .katex-mathml, [aria-hidden=true], .sr-only, .hide, :disabled')) continue;
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    if (r.width < 1 || r.height < 1 || e.offsetParent === null || s.visibility === 'hidden') continue;
    const fg = parse(s.color); if (!fg) continue;
    const bg = background(e), col = over(fg, fg[3] * opacity(e), bg);
    const [hi, lo] = [lum(col), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (parseInt(s.fontWeight) >= 700 && size >= 18.66);
    checked += 1;
    if (ratio < (large ? 3 : 4.5))
      out.push(`'${t.textContent.trim().slice(0, 30)}' ${ratio.toFixed(2)}:1 (${s.color} on rgb(${bg.map(Math.round)})) in #${e.closest('[id]')?.id}`);
  }
  return {checked, failing: out}; }"""


@pytest.mark.parametrize("scheme,query", [("light", ""), ("dark", ""), ("light", "&present=1"), ("dark", "&present=1")],
                         ids=["light", "dark", "light-present", "dark-present"])
def test_text_contrast_is_at_wcag_aa_on_every_tab(browser, app_url, scheme, query):
    """The app follows the system's colour scheme (Gradio's dark theme), so both are checked."""
    ctx, page = _open(browser, app_url, "coin", query=query, color_scheme=scheme)
    try:
        assert page.evaluate("document.querySelector('.dark') !== null") == (scheme == "dark")
        assert page.evaluate("document.body.classList.contains('gm-present')") == bool(query)
        failing, checked = [], 0
        for tab in TAB_IDS:
            page.click(f"#tab-{tab}-button")
            page.wait_for_function(READY_JS, arg=tab, timeout=60_000)
            page.wait_for_timeout(300)
            state = page.evaluate(CONTRAST_JS, "body")
            checked += state["checked"]
            failing += [f"{tab}: {f}" for f in state["failing"]]
        assert checked > 200
        assert sorted(set(failing)) == [], "\n".join(sorted(set(failing)))
    finally:
        ctx.close()


# ------------------------------------------------------------------------------------------------
# 5. Phones
# ------------------------------------------------------------------------------------------------
FIT_JS = """(id) => { const c = document.getElementById(`tab-${id}`);
  const vis = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  return [...c.querySelectorAll('img, .vega-embed, .gallery, [data-testid=gallery], canvas')].filter(vis)
    .filter(e => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > window.innerWidth + 1; })
    .map(e => `${e.tagName} in #${e.closest('[id]')?.id}: ${Math.round(e.getBoundingClientRect().left)}…`
              + `${Math.round(e.getBoundingClientRect().right)}`); }"""


def test_every_tab_opens_by_touch_on_a_phone_and_fits_the_screen(browser, app_url):
    """390×844 with touch: every tab name is on screen, a tap opens its tab, and its pictures, plots and
    galleries lie inside the screen's width (the page never scrolls sideways)."""
    ctx, page = _open(browser, app_url, "coin", 390, 844, has_touch=True, is_mobile=True)
    try:
        for tab in TAB_IDS:
            button = page.locator(f"#tab-{tab}-button")
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (tab, box)
            button.tap()
            page.wait_for_function(READY_JS, arg=tab, timeout=60_000)
            page.wait_for_timeout(300)
            assert page.evaluate(FIT_JS, tab) == [], tab
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, tab
    finally:
        ctx.close()
