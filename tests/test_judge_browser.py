"""The VAE tab's "Sampling the 16-D VAE" section in Chromium: each prior shows its own 8 × 4 grid, no error."""
import pytest

LAPTOP = {"width": 1280, "height": 720}


@pytest.fixture
def laptop(browser, app_url):
    ctx = browser.new_context(viewport=LAPTOP)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(app_url)
    pg.get_by_role("tab", name="VAE").click()
    pg.wait_for_selector("#vae-decoded img")
    yield pg
    ctx.close()


def _src(page) -> str:
    return page.locator("#vae-prior-samples img").get_attribute("src")


def test_prior_choice_shows_its_samples(laptop):
    page = laptop
    page.locator("#vae-prior-btn").scroll_into_view_if_needed()
    page.click("#vae-prior-btn")
    page.wait_for_selector("#vae-prior-samples img")
    standard = _src(page)
    page.locator("#vae-prior label", has_text="mixture of 10 Gaussians").click()
    page.click("#vae-prior-btn")
    page.wait_for_function("(s) => { const i = document.querySelector('#vae-prior-samples img');"
                           " return i && i.getAttribute('src') !== s && i.complete && i.naturalWidth > 0; }",
                           arg=standard, timeout=60_000)
    box = page.locator("#vae-prior-samples img").bounding_box()
    assert box["width"] > 1.5 * box["height"] > 100                   # the 8 × 4 grid, drawn
    assert page.locator("#vae-prior-samples .error").count() == 0
    assert "Error" not in page.inner_text("body")
