import importlib
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CHROMIUM = os.environ.get("GENMODELS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module: str):
    """Import a reference library (e.g. ``require("diffusers")``): skipped where it is missing
    locally, a FAILURE in CI (env CI set), so reference comparisons never vanish silently there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if in_ci():
            pytest.fail(f"{module} is not installed, and CI must run the reference tests that need it "
                        "(bash scripts/install.sh --test)")
        pytest.skip(f"{module} not installed (a reference library; CI fails without it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """The real app, launched once in this process on a free local port."""
    import app

    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if in_ci():
            pytest.fail(f"Debian's chromium is missing at {CHROMIUM}: run `bash scripts/install.sh --test`")
        pytest.skip("chromium not installed (bash scripts/install.sh --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(app_url)
    yield pg
    ctx.close()


@pytest.fixture
def open_page(browser, app_url):
    """``open_page(viewport, tab, **options)`` opens the app at that screen size on that tab
    (browser_helpers.open_tab) and returns the page; every context it opened closes after the test."""
    from browser_helpers import open_tab

    contexts = []

    def open_at(viewport, tab=None, **options):
        ctx, pg = open_tab(browser, app_url, tab, viewport, **options)
        contexts.append(ctx)
        return pg

    yield open_at
    for ctx in contexts:
        ctx.close()
