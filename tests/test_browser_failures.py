"""The "Failures worth seeing" gallery in a real browser: open ?tab=<id>, open the gallery, click a
card; its picture and explanation appear and nothing shows an error."""
import pytest

pytestmark = pytest.mark.slow

CASES = [("ddpm", "ddpm-t50", "ᾱ_T = 0.603"),
         ("ddpm", "ddpm-leading", "t = 501"),
         ("vae", "vae-holes", "empty"),
         ("vae", "vae-collapse", "posterior collapse"),
         ("coin", "coin-collapse", "Mode collapse"),
         ("coin", "coin-saturating", "smaller"),
         ("dcgan", "dcgan-checkerboard", "taps per output pixel"),
         ("cyclegan", "cyclegan-hidden", "Chu et al.")]


@pytest.mark.parametrize("tab, card, words", CASES)
def test_card_shows_its_failure(browser, app_url, tab, card, words):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}?tab={tab}")
        gallery = page.locator(f"#fail-{tab}")
        gallery.scroll_into_view_if_needed()
        gallery.get_by_text("Failures worth seeing").first.click()
        button = page.locator(f"#fail-btn-{card}")
        button.scroll_into_view_if_needed()
        button.click()
        page.wait_for_function(f"() => document.querySelector('#fail-text-{card}').innerText.includes({words!r})")
        page.wait_for_selector(f"#fail-img-{card} img")
        assert page.locator(f"#fail-card-{card} .error").count() == 0
        assert "Error" not in page.inner_text(f"#fail-{tab}")
    finally:
        ctx.close()
