"""Page-wide layout in a real browser: what a phone user sees of the navigation."""
TABS = ["Coin-flip GAN", "VAE", "DCGAN", "DDPM", "CycleGAN"]


def test_every_tab_name_is_visible_on_a_phone(browser, app_url):
    """Issue 12: on a 390×844 phone only two tab names showed, the rest hid behind a "•••" menu."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        page.goto(app_url)
        page.wait_for_selector("[role=tab]")
        for name in TABS:
            tab = page.get_by_role("tab", name=name)
            assert tab.is_visible(), f"tab '{name}' is not visible on a phone"
            box = tab.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"tab '{name}' is off-screen: {box}"
        page.get_by_role("tab", name="CycleGAN").click()
        page.wait_for_selector("#cg-caption", state="visible")
    finally:
        ctx.close()


def test_display_formulas_never_clip_on_a_phone(browser, app_url):
    """Issue 12: on a phone the coin tab's V(G, D) and L_D ran off the screen, clipped. Every display
    formula either fits or scrolls sideways inside its own box (never cut by the page)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        page.goto(app_url)
        page.wait_for_selector("[role=tab]")
        for name in TABS:
            page.get_by_role("tab", name=name).click()
            page.wait_for_timeout(300)
            bad = page.evaluate("""() => [...document.querySelectorAll('.katex-display')]
                .filter(e => e.offsetParent !== null)
                .filter(e => e.scrollWidth > e.clientWidth + 1 && !['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
                .map(e => e.textContent.slice(0, 60))""")
            assert not bad, f"{name}: clipped formulas {bad}"
    finally:
        ctx.close()
