"""What the browser tests share (one copy, imported by tests/test_browser_*.py and tests/conftest.py):
opening the app at a screen size on a tab, the "no Error on screen" checks, typing a number, and
reading or clicking the images of an output."""
import re

LAPTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}

# On a phone a tab name may sit behind Gradio's "•••" menu: press the tab's button wherever it is.
_PRESS_TAB_JS = """name => {
    const named = [...document.querySelectorAll('button')].filter(b => b.textContent.trim() === name);
    (named.find(b => b.offsetParent !== null && b.tabIndex >= 0) || named.pop()).click(); }"""


def open_tab(browser, url, tab=None, viewport=LAPTOP, *, timeout_ms=60_000, init_script=None):
    """A new browser context at ``viewport`` with the app at ``url`` open on the tab named ``tab``
    (None: the tab the URL selects). Returns (context, page); the caller closes the context."""
    ctx = browser.new_context(viewport=viewport)
    if init_script:
        ctx.add_init_script(init_script)
    page = ctx.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    page.wait_for_selector("[role=tab]")
    if tab is not None:
        button = page.get_by_role("tab", name=tab, exact=True)
        if button.count() == 1 and button.is_visible():
            button.click()
        else:
            page.evaluate(_PRESS_TAB_JS, tab)
    return ctx, page


def no_error(page):
    """No "Error" anywhere in the page's text (a failed output's badge) and no error toast."""
    text = page.inner_text("body")
    assert not re.search(r"\bError\b", text), text[:2000]
    assert page.locator(".toast-body.error").count() == 0


def no_error_visible(page):
    """No visible element that reads exactly "Error" (a failed output's badge) and no visible toast."""
    assert page.locator(":text-is('Error'):visible").count() == 0
    assert page.locator(".toast-body:visible, [data-testid='toast-body']:visible").count() == 0


def set_number(page, selector, value):
    """Type ``value`` into the number box of the gr.Number / gr.Slider at ``selector`` and commit it."""
    box = page.locator(f"{selector} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def src(page, selector):
    """The src of the image shown by the output at ``selector``."""
    return page.get_attribute(f"{selector} img", "src")


def click_cell(page, selector, index, columns, rows):
    """Click the middle of cell ``index`` (row-major) of a ``columns`` × ``rows`` grid image."""
    img = page.locator(f"{selector} img")
    img.scroll_into_view_if_needed()
    # measure the picture once it has loaded: before, its box is not the picture's (a loaded machine
    # left the click's offset outside the image, on its container, for the whole timeout)
    page.wait_for_function("s => { const i = document.querySelector(s + ' img'); "
                           "return i && i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0; }",
                           arg=selector)
    box = img.bounding_box()
    r, c = divmod(index, columns)
    img.click(position={"x": box["width"] * (c + 0.5) / columns, "y": box["height"] * (r + 0.5) / rows})


def images_shown(page, selector) -> int:
    """How many images under ``selector`` have loaded with pixels."""
    return page.eval_on_selector_all(f"{selector} img",
                                     "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")


def wait_shown(page, selector):
    """Wait until the image of the output at ``selector`` has loaded and has pixels."""
    page.wait_for_function(f"() => {{ const i = document.querySelector('{selector} img');"
                           " return i && i.complete && i.naturalWidth > 0; }")


def server_state() -> str:
    """What the in-process app is doing (the app runs in the test process, tests/conftest.py): the
    long jobs by session, Gradio's queued and active long-job events, and every thread's stack.
    For a failure message, so that a wait that timed out says why."""
    import sys
    import threading
    import traceback

    from demos import common
    lines = [f"running={ {s: j.name for s, j in common._running.items()} } admitted={dict(common._admitted)} "
             f"stop_on_start={dict(common._stop_on_start)}",
             f"waiting={[(e.session_hash, e.fn.api_name) for e in common._waiting()]} "
             f"active={[(e.session_hash, e.fn.api_name) for e in common._active()]}"]
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        frames = traceback.extract_stack(frame)
        ours = [f for f in frames if "/genmodels/" in f.filename or "/demos/" in f.filename]
        if ours:                                 # our frames, then where the thread is now
            lines.append(f"--- thread {names.get(ident, ident)}\n"
                         + "".join(traceback.format_list(ours + ([frames[-1]] if frames[-1] is not ours[-1] else []))))
    return "\n".join(lines)


def wait_or_explain(page, js: str, what: str, timeout_ms: int, selectors=()):
    """``page.wait_for_function(js)``; on a timeout, fail with what the page and the server show."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function(js, timeout=timeout_ms)
    except PlaywrightTimeout:
        shown = {s: page.evaluate(f"() => {{ const e = document.querySelector({s!r}); "
                                  "return e ? (e.value ?? '') + ' | ' + e.innerText : null; }") for s in selectors}
        raise AssertionError(f"{what} did not happen in {timeout_ms / 1000:.0f} s.\npage: {shown}\n"
                             f"server: {server_state()}") from None
