"""The PixelCNN tab through its API (gradio_client) and in a real browser (Debian's Chromium via
Playwright): what each endpoint returns, bad input answered by a message, and what the page shows."""
import numpy as np
import pandas as pd
import pytest
from gradio_client import handle_file
from PIL import Image

from browser_helpers import LAPTOP
from genmodels import data
from genmodels import pixelcnn as P
from test_browser_vae import _scan          # a real MNIST test digit as a user's scan (a PNG file)

SIMPLE = "blank (all black)"
OUT_OF_RANGE = "greater than maximum|less than minimum"       # Gradio's own check of a control's range


def _frame(plot) -> pd.DataFrame:
    """A native plot's data as gradio_client returns it (a returned gr.BarPlot(...) arrives as an update)."""
    plot = plot if "data" in plot else plot["value"]
    return pd.DataFrame(plot["data"], columns=plot["columns"])


def _img(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


# -- gradio_client ---------------------------------------------------------------------------------
def test_field_endpoint_shows_the_blind_spot_of_the_plain_stack_only(client):
    plain, gated, text, row, col = client.predict(14, 10, api_name="/pixelcnn_field")
    assert (row, col) == (14, 10)
    a, b = _img(plain), _img(gated)
    assert a.shape == b.shape == (28 * P.PANEL_SCALE, 28 * P.PANEL_SCALE, 3)
    orange = np.array(P.FIELD_COLOURS["blind"])
    assert (a == orange).all(-1).any() and not (b == orange).all(-1).any()
    assert "blind spot 0" in text and "Plain stack" in text
    for r, c in ((28, 0), (-1, 3), (None, 1), (1, None)):
        with pytest.raises(Exception, match=OUT_OF_RANGE + "|Row|Column"):
            client.predict(r, c, api_name="/pixelcnn_field")


def test_complete_endpoint_keeps_the_known_rows(client):
    given, grid, text = client.predict("test digit", 3, None, None, SIMPLE, 20, 2, 0, api_name="/pixelcnn_complete")
    g = _img(grid)
    assert g.shape == ((30 + 2) * 4, (4 * 30 + 2) * 4, 3)             # one row of 4 tiles (2 used), scale 4
    assert "−log p(rows < 20)" in text and "nats" in text
    x = data.binarized_mnist_test()[0][3].numpy()
    tile = g[8:8 + 28 * 4:4, 8:8 + 28 * 4:4, 0]                      # completion 1 (pad 2, scale 4)
    assert np.array_equal(tile[:19] > 127, x[:19] > 0.5)            # rows above R are the test digit's
    for args, message in ((("test digit", 3, None, None, SIMPLE, 0, 2, 0), OUT_OF_RANGE),
                          (("test digit", 3, None, None, SIMPLE, 28, 2, 0), OUT_OF_RANGE),
                          (("test digit", 3, None, None, SIMPLE, 14, 17, 0), OUT_OF_RANGE),
                          (("test digit", 3, None, None, SIMPLE, 14.5, 2, 0), "Known rows"),
                          (("test digit", 10_000, None, None, SIMPLE, 14, 2, 0), OUT_OF_RANGE),
                          (("drawing", 0, None, None, SIMPLE, 14, 2, 0), "sketch is empty"),
                          (("upload", 0, None, None, SIMPLE, 14, 2, 0), "No upload")):
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name="/pixelcnn_complete")


def test_likelihood_endpoint_scores_digits_uploads_and_the_known_failure(client, tmp_path):
    frame, img, text, simple_cards = client.predict("test digit", 0, None, None, SIMPLE, api_name="/pixelcnn_likelihood")
    df = _frame(frame)
    assert {"MNIST test digits", "your image"} <= set(df["images"])
    v = float(P.nll(P.load("checkpoints/pixelcnn-mnist"), data.binarized_mnist_test()[0][0])[0])
    assert f"{v:.1f} nats" in text and "exact" in text
    assert "blank (all black)" in simple_cards and "nats" in simple_cards
    _, _, text, _ = client.predict("simple image", 0, None, None, SIMPLE, api_name="/pixelcnn_likelihood")
    assert "more likely than" in text                                 # a blank image beats the digits
    _, img, text, _ = client.predict("upload", 0, None, handle_file(_scan(tmp_path, 1003)), SIMPLE,
                                     api_name="/pixelcnn_likelihood")
    assert "nats" in text and _img(img).shape[:2] == (140, 140)
    odd = tmp_path / "odd.png"
    odd.write_bytes(b"not a picture at all")
    with pytest.raises(Exception, match="(?i)image|picture|read"):
        client.predict("upload", 0, None, handle_file(str(odd)), SIMPLE, api_name="/pixelcnn_likelihood")
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    with pytest.raises(Exception, match="blank"):
        client.predict("upload", 0, None, handle_file(str(blank)), SIMPLE, api_name="/pixelcnn_likelihood")
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict("dream", 0, None, None, SIMPLE, api_name="/pixelcnn_likelihood")


def test_bounds_endpoint_puts_the_exact_nll_beside_the_vae_bounds(client):
    frame, table = client.predict("test digit", 0, None, None, SIMPLE, 0, api_name="/pixelcnn_bounds")
    df = _frame(frame)
    mine = df[df["images"] == "your input"].set_index("quantity")["nats"]
    assert list(mine.index) == ["PixelCNN −log p(x)", "−ELBO", "−L_1", "−L_10", "−L_100"]
    assert "your input" in table and "mean of test digits 1…100" in table   # the test digits' means beside it
    assert f"{mine['PixelCNN −log p(x)']:.1f}" in table
    with pytest.raises(Exception, match=OUT_OF_RANGE):
        client.predict("test digit", 0, None, None, SIMPLE, -1, api_name="/pixelcnn_bounds")
    with pytest.raises(Exception, match="Seed"):
        client.predict("test digit", 0, None, None, SIMPLE, None, api_name="/pixelcnn_bounds")


def test_sample_and_train_refuse_bad_values(client):
    for args, name in (((-1,), "/pixelcnn_sample"), (("abc",), "/pixelcnn_sample"),
                       ((8, 2, 5, 0), "/pixelcnn_train"), ((8, 99, 100, 0), "/pixelcnn_train")):
        with pytest.raises(Exception, match=OUT_OF_RANGE + "|Expected a `float|Seed|Steps|layers"):
            client.predict(*args, api_name=name)


@pytest.mark.slow
def test_train_endpoint_streams_a_falling_test_nll_and_samples(client):
    job = client.submit(8, 1, 60, 0, api_name="/pixelcnn_train")
    outs = list(job)
    loss, test, samples, status = job.result()
    assert len(outs) >= 2 and status.startswith("done: step 60 of 60")
    rows = test["data"]
    assert len(rows) >= 2 and rows[-1][1] < rows[0][1]
    assert _img(samples).ndim == 3


# -- the browser --------------------------------------------------------------------------------------
@pytest.fixture
def laptop(open_page):
    page = open_page(LAPTOP, "PixelCNN")
    page.wait_for_selector("#pcnn-field-plain img")
    return page


def _no_error_shown(page):
    assert page.locator("#component-0 .error, [id^=pcnn] .error").count() == 0
    assert "Error" not in page.inner_text("body")


def test_tab_samples_pixel_by_pixel_with_a_heat_map_then_stops(laptop):
    page = laptop
    assert "85.46 nats" in page.inner_text("#pcnn-card")
    page.locator("#pcnn-sample-btn").scroll_into_view_if_needed()
    page.click("#pcnn-sample-btn")
    page.wait_for_selector("#pcnn-chain-images img")
    page.wait_for_selector("#pcnn-chain-heat img")
    page.wait_for_function("() => document.querySelector('#pcnn-chain-status').innerText.includes('drawn in all 16')")
    page.click("#pcnn-sample-stop")
    page.wait_for_function("() => /stopped at step \\d+ of 784|done: step 784/.test("
                           "document.querySelector('#pcnn-chain-status').innerText)")
    assert page.locator("#pcnn-chain-heat img").count() == 1 and page.locator("#pcnn-heat-scale img").count() == 1
    _no_error_shown(page)


def test_tab_click_a_pixel_then_complete_and_score_a_drawing(laptop):
    page = laptop
    pic = page.locator("#pcnn-field-gated img")
    pic.scroll_into_view_if_needed()
    box = pic.bounding_box()
    page.mouse.click(box["x"] + box["width"] * (20.5 / 28), box["y"] + box["height"] * (5.5 / 28))
    page.wait_for_function("() => document.querySelector('#pcnn-field-text').innerText.includes('(5, 20)')")
    assert page.input_value("#pcnn-row input") == "5" and page.input_value("#pcnn-col input") == "20"

    page.locator("#pcnn-sketch").scroll_into_view_if_needed()
    brush = page.locator("#pcnn-sketch button[aria-label='Brush']").first
    if "highlight" not in (brush.get_attribute("class") or ""):
        brush.click()
    canvas = page.locator("#pcnn-sketch canvas").last
    cb = canvas.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] * 0.5, cb["y"] + cb["height"] * 0.8, steps=10)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#pcnn-source input:checked').value === 'drawing'")

    page.locator("#pcnn-complete-btn").scroll_into_view_if_needed()
    page.click("#pcnn-complete-btn")
    page.wait_for_function("() => !document.querySelector('#pcnn-complete-text').innerText.includes('On arrival') && document.querySelector('#pcnn-complete-text').innerText.includes('nats')")
    page.wait_for_selector("#pcnn-given img")
    page.wait_for_selector("#pcnn-completions img")

    page.locator("#pcnn-lik-btn").scroll_into_view_if_needed()
    page.click("#pcnn-lik-btn")
    page.wait_for_function("() => !document.querySelector('#pcnn-lik-text').innerText.includes('On arrival') && document.querySelector('#pcnn-lik-text').innerText.includes('nats')")
    page.wait_for_selector("#pcnn-lik-img img")
    page.wait_for_selector("#pcnn-lik-plot canvas, #pcnn-lik-plot svg")
    assert "blank (all black)" in page.inner_text("#pcnn-lik-simple")

    page.locator("#pcnn-bound-btn").scroll_into_view_if_needed()
    page.click("#pcnn-bound-btn")
    page.wait_for_function("() => !document.querySelector('#pcnn-bound-table').innerText.includes('On arrival') && document.querySelector('#pcnn-bound-table').innerText.includes('your input')")
    page.wait_for_selector("#pcnn-bound-plot canvas, #pcnn-bound-plot svg")
    _no_error_shown(page)
