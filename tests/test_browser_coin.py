"""The coin-flip GAN tab in a real browser (Debian's Chromium via Playwright): what the page shows."""
import re
import time

PLOTS = {  # elem_id: the title the user must see
    "coin-bars": "Real vs generated flips",
    "coin-raw": "Generator's raw outputs G(z) before rounding",
    "coin-losses": "Losses of D and G",
    "coin-pcurve": "Generated P(H) during training",
    "coin-gz": "Mapping z → G(z)",
    "coin-dx": "Discriminator's verdict D on a flip x",
}


def _errors_shown(page) -> int:
    """Outputs Gradio has put in an error state, and error toasts, that are visible on the coin tab."""
    return page.evaluate("""() => [...document.querySelectorAll('[id^=coin-], .toast-body')].filter(el =>
        el.offsetParent !== null && (el.classList.contains('error') || /^\\s*Error\\s*$/m.test(el.innerText)
        || el.querySelector('.error'))).length""")


def _status(page) -> str:
    """The status message itself (the element's text also holds Gradio's "processing | 1.2s" overlay)."""
    return page.locator("#coin-status .gm-ok, #coin-status .gm-warning").first.inner_text()


def _train_and_watch(page, timeout_s: float = 300) -> list[str]:
    """Click Train and read the status until this run is done; returns every status text seen."""
    page.click("#coin-train")
    seen, started, t0 = [], False, time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        s = _status(page)
        if not seen or s != seen[-1]:
            seen.append(s)
        final = re.search(r"step (\d+) / \1\b", s)                   # "done: step N / N" or the alarm at N / N
        started = started or (re.search(r"step \d+ / \d+", s) and not final)
        if started and final:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"run did not finish in {timeout_s} s; statuses seen {seen}")


def test_coin_tab_opens_alive_with_titled_plots(page):
    """No click: a finished default run is on screen, every plot drawn and titled."""
    assert page.get_by_role("tab", name="Coin-flip GAN").get_attribute("aria-selected") == "true"
    assert "done: step 1000 / 1000" in _status(page)
    values = page.locator("#coin-cards .gm-card-value").all_inner_texts()
    assert len(values) == 4 and all(re.fullmatch(r"0\.\d{3}", v) for v in values), values
    assert abs(float(values[2]) - 0.3) <= 0.02                        # generated P(H) of the default run
    for elem_id, title in PLOTS.items():
        page.wait_for_selector(f"#{elem_id} canvas, #{elem_id} svg")
        assert title in page.inner_text(f"#{elem_id}"), elem_id      # the title is visible text
    assert re.search(r"Heads \(G\(z\) > 0\.5\) now come from z [<>] -?\d\.\d\d", page.inner_text("#coin-gz"))
    assert "h̄ is p = 0.30" in page.inner_text("#coin-dx")
    assert re.fullmatch(r"[HT]{40}", page.inner_text("#coin-strip").strip())
    assert _errors_shown(page) == 0


def test_coin_default_run_shows_no_error_and_no_false_alarm(page):
    page.click("#coin-reset")
    page.wait_for_function("() => document.querySelector('#coin-status').innerText.includes('step 0')")
    # count every warning the status shows, however briefly, between two polls too
    page.evaluate("""() => { window.coinWarnings = 0;
        new MutationObserver(() => { if (document.querySelector('#coin-status .gm-warning')) window.coinWarnings++; })
            .observe(document.querySelector('#coin-status'), {childList: true, subtree: true, characterData: true}); }""")
    seen = _train_and_watch(page)
    assert len(seen) >= 3                                              # it streamed
    assert not any("collapse" in s.lower() for s in seen), seen
    assert page.evaluate("() => window.coinWarnings") == 0
    assert _errors_shown(page) == 0
    gap = float(page.locator("#coin-cards .gm-card-value").all_inner_texts()[3])
    assert gap <= 0.02
    for elem_id in PLOTS:
        page.wait_for_selector(f"#{elem_id} canvas, #{elem_id} svg")


def test_coin_collapsing_run_shows_the_warning(page):
    """Without the batch feature the run collapses (5 of 5 seeds): the alarm must say so."""
    page.locator("#coin-batch-feature input").uncheck()
    steps = page.locator("#coin-steps input[type=number]")
    steps.fill("400")
    steps.press("Enter")
    seen = _train_and_watch(page)
    warning = page.locator("#coin-status .gm-warning")
    assert warning.is_visible() and re.search(r"Mode collapse at step \d+ / 400", warning.inner_text())
    first = next(i for i, s in enumerate(seen) if "Mode collapse" in s)
    assert int(re.search(r"step (\d+)", seen[first]).group(1)) >= 250  # not during the warm-up
    assert _errors_shown(page) == 0
