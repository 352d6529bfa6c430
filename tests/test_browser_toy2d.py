"""The Map of models tab: its endpoints through gradio_client (bad uploads included), and the page in a
real browser (Debian's Chromium via Playwright) after training one family from the taxonomy tree."""
import numpy as np
import pytest
from gradio_client import handle_file

from browser_helpers import LAPTOP, PHONE, open_tab


# ---------------------------------------------------------------------------------------------
# gradio_client
# ---------------------------------------------------------------------------------------------
def test_named_shape_endpoint_describes_the_split(client):
    image, info = client.predict("thin_mixture", api_name="/map_data_shape")
    assert image and "thin_mixture" in info and "held out" in info and "NLL − true" in info
    with pytest.raises(Exception, match="not in the list of choices|Data set must be one of"):
        client.predict("nonsense", api_name="/map_data_shape")


@pytest.mark.parametrize("name, content, message", [
    ("three.npy", np.zeros((50, 3)), "two columns"),
    ("nan.npy", np.where(np.arange(100).reshape(50, 2) == 7, np.nan, np.arange(100.0).reshape(50, 2)), "NaN"),
    ("few.npy", np.arange(10.0).reshape(5, 2), "at least 20"),
    ("text.csv", "x,y\n1,2\nhello,world\n", "two numbers"),
    ("garbage.npy", b"not an array at all", "not a readable"),
    ("picture.png", b"\x89PNG\r\n", r"upload a .csv|one of these formats: \['.csv', '.npy'"),
])
def test_bad_uploads_get_a_clear_message(client, tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    with pytest.raises(Exception, match=message):
        client.predict(handle_file(str(path)), api_name="/map_data_upload")


def test_a_good_csv_upload_is_used(client, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "blob.csv"
    pts = rng.normal(size=(300, 2)) * [3.0, 0.5] + [10, -2]
    path.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in pts))
    image, info = client.predict(handle_file(str(path)), api_name="/map_data_upload")
    assert image and "blob.csv" in info and "240 training points" in info and "60 held out" in info


def test_train_endpoint_checks_its_inputs(client):
    with pytest.raises(Exception, match="not in the list of choices|Family must be one of"):
        client.predict("nope", 2, 0, api_name="/map_train")
    with pytest.raises(Exception, match=r"Training budget \(seconds\) must be between|maximum"):
        client.predict("vae", 1000, 0, api_name="/map_train")
    with pytest.raises(Exception, match="less than minimum value 0|Seed must be"):
        client.predict("vae", 2, -5, api_name="/map_train")


def test_train_endpoint_ends_with_measurements(app_url):
    from gradio_client import Client
    client = Client(app_url, verbose=False)          # a session of its own: the default data (moons)
    main, picture, caption, card_html, losses, status = client.predict("vae", 2, 0, api_name="/map_train")
    assert main and picture
    assert "done" in status and "VAE" in status
    assert "held-out −ELBO" in card_html and "sample distance" in card_html and "ms / 1,000 samples" in card_html
    assert "ELBO" in caption


# ---------------------------------------------------------------------------------------------
# Playwright
# ---------------------------------------------------------------------------------------------
def _open(browser, app_url, viewport):
    ctx, page = open_tab(browser, app_url, "Map of models", viewport)
    page.wait_for_selector("#map-data img")
    return ctx, page


def _no_error_shown(page):
    assert page.locator("#map-main .error, #map-picture .error, #map-cards .error, #map-table .error").count() == 0
    assert "Error" not in page.inner_text("body")


def test_clicking_a_leaf_trains_that_family_and_shows_its_pictures_and_numbers(browser, app_url):
    ctx, page = _open(browser, app_url, LAPTOP)
    try:
        budget = page.locator("#map-t-steps input[type=number]")
        budget.fill("3")
        budget.press("Enter")
        page.locator("#map-leaf-diffusion").click()
        page.wait_for_function("() => document.querySelector('#map-family input:checked')?.value === 'diffusion'")
        page.wait_for_function("() => { const t = document.querySelector('#map-t-status')?.innerText || '';"
                               " return t.includes('Diffusion') && t.includes('done'); }", timeout=180_000)
        page.wait_for_selector("#map-main img")
        page.wait_for_selector("#map-picture img")
        assert "reverse chains" in page.inner_text("#map-caption")
        cards = page.inner_text("#map-cards")
        assert "−ELBO" in cards and "evaluations / sample" in cards and "100" in cards
        page.wait_for_selector("#map-losses canvas, #map-losses svg")
        # the side-by-side table is on the page, with its header and the stored rows
        table = page.inner_text("#map-table")
        assert "held-out NLL" in table and "stable training?" in table and "GAN" in table
        _no_error_shown(page)
    finally:
        ctx.close()


def test_the_train_one_family_panel_opens_on_a_stored_result(browser, app_url):
    """?tab=map, no click: the panel shows its default family's stored run (both pictures, a caption
    that says what it is, the measured cards) and no Error badge."""
    ctx = browser.new_context(viewport=LAPTOP)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url.rstrip("/") + "/?tab=map")
        page.wait_for_selector("#map-main img")
        page.wait_for_selector("#map-picture img")
        caption = page.inner_text("#map-caption")
        assert "A stored run: Histogram on moons, seed 0" in caption and "press Train to fit live" in caption, caption
        assert "sample distance" in page.inner_text("#map-cards")
        assert "Histogram" in page.inner_text("#map-t-status")
        _no_error_shown(page)
    finally:
        ctx.close()


def test_phone_shows_the_tree_and_the_table_without_sideways_scrolling(browser, app_url):
    ctx, page = _open(browser, app_url, PHONE)
    try:
        page.locator("#map-leaf-gan").scroll_into_view_if_needed()
        assert page.locator("#map-leaf-gan").is_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, width
        _no_error_shown(page)
    finally:
        ctx.close()


def test_malformed_values_to_every_map_endpoint_get_a_message(client):
    """As tests/test_fuzz.py does for the whole app (slow there), for this tab's endpoints only."""
    import random
    bad = [None, "", "abc", -1, 10**9, 1e308, [], {}, True, 0.5]
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    names = [n for n in endpoints if n.startswith("/map_")]
    assert {"/map_train", "/map_compare", "/map_data_shape", "/map_data_drawn", "/map_data_upload"} <= set(names)
    rng = random.Random(0)
    for name in names:
        for _ in range(6):
            args = [rng.choice(bad) for _ in endpoints[name]["parameters"]]
            try:
                client.predict(*args, api_name=name)
            except Exception as e:  # noqa: BLE001 - any clear refusal is fine, a crash is not
                msg = str(e)
                assert msg.strip() not in ("", "None"), (name, args)
                assert "verbose error reporting" not in msg, (name, args, msg)
    image, info = client.predict("moons", api_name="/map_data_shape")   # still serving
    assert "moons" in info
