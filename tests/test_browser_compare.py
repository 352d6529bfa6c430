"""The same comparison on MNIST (issue 15), at the end of the Map tab, in a real browser: six grids,
the table with each family's kind of likelihood, the trilemma picture, and timing on demand."""
import pandas as pd
import pytest

from demos import compare as view
from genmodels import compare

ERRORS_JS = """() => [...document.querySelectorAll('.error')]
    .filter(e => e.offsetParent !== null && /Error/.test(e.innerText)).length"""


def test_table_frame_shows_each_family_and_a_missing_checkpoint():
    rows = compare.table() + [{"model": "ghost", "checkpoint": "ghost", "error": "checkpoint 'ghost' is not available"}]
    df = view.table_frame(rows, {"dcgan-mnist": 0.0123})
    assert isinstance(df, pd.DataFrame) and len(df) == len(compare.ENTRIES) + 1
    by_model = df.set_index("model")
    assert by_model.loc["DCGAN", "log-likelihood"] == "none: implicit"
    assert by_model.loc["PixelCNN", "log-likelihood"].startswith("exact NLL")
    assert by_model.loc["DCGAN", "s / 16 images"] == "0.012" and by_model.loc["VAE", "s / 16 images"] == "press Measure"
    assert "not available" in by_model.loc["ghost", "log-likelihood"]
    assert by_model.loc["DDPM", "evaluations / sample"] == 50 and by_model.loc["PixelCNN", "evaluations / sample"] == 784


def test_grids_are_cached_and_shipped_for_seed_0():
    shown = view.grids(0)
    assert len(shown) == len(compare.ENTRIES)                 # every grid ships in checkpoints/runs/compare
    for g, caption in shown:
        assert g.shape == (244, 244) and g.std() > 10, caption  # a grid of digits, not a blank


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [(1280, 720), (390, 844)])
def test_the_section_is_on_screen_with_grids_and_table(browser, app_url, viewport):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{app_url}?tab=map")
        page.wait_for_selector("#cmp-grids img")
        page.locator("#cmp-grids").scroll_into_view_if_needed()
        page.wait_for_function("() => [...document.querySelectorAll('#cmp-grids img')]"
                               ".filter(i => i.naturalWidth > 0).length >= 6")
        page.locator("#cmp-table").scroll_into_view_if_needed()
        text = page.inner_text("#cmp-table")
        assert "none: implicit" in text and "exact NLL" in text and "DDPM" in text
        page.locator("#cmp-trilemma").scroll_into_view_if_needed()
        page.wait_for_function("() => (document.querySelector('#cmp-trilemma img')?.naturalWidth || 0) > 100")
        width = page.evaluate("() => document.querySelector('#cmp-grids').getBoundingClientRect().width")
        assert width <= viewport[0]                            # fits the screen, phone included
        assert page.evaluate(ERRORS_JS) == 0
    finally:
        ctx.close()


@pytest.mark.slow
def test_measure_speed_fills_the_seconds_column(client):
    out = client.predict(1, api_name="/compare_speed")
    with pytest.raises(Exception, match="Repeats|maximum|greater"):
        client.predict(9, api_name="/compare_speed")
    table, picture, status = out
    assert "done" in status
    rows = table["data"]
    seconds = [r[table["headers"].index("s / 16 images")] for r in rows]
    assert all(float(s) > 0 for s in seconds), seconds
