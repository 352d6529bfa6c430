"""Browser cost of the text-alternative hook (demos/common.py DESCRIBE_JS): the median of 21 update
passes per tab, in Debian's Chromium, against a running app.

    python3 app.py &            # or GRADIO_SERVER_PORT=7873 python3 app.py
    python3 benchmarks/describe_hook.py http://127.0.0.1:7860/

The hook runs at most one pass per 150 ms of page changes, so a pass of a few ms is a few percent of
one core while a run streams.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app  # noqa: E402,F401  (building the tabs fills the registry of descriptions)
from demos.common import describe_js  # noqa: E402


def main(url: str, tabs=("coin", "vae", "dcgan", "ddpm", "pixelcnn", "cyclegan", "map")) -> None:
    from playwright.sync_api import sync_playwright
    js = describe_js().replace("  update();\n}", "  window.gmUpdate = update;\n}")
    assert "window.gmUpdate" in js
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for tab in tabs:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url.rstrip('/')}/?tab={tab}")
            page.wait_for_selector("[role=tab]")
            page.wait_for_timeout(4000)
            page.evaluate(f"({js})")
            ms = page.evaluate("""() => { const t = [];
                for (let i = 0; i < 21; i++) { const s = performance.now(); window.gmUpdate(); t.push(performance.now() - s); }
                t.sort((a, b) => a - b); return t[10]; }""")
            print(f"{tab:9s} median update pass {ms:.1f} ms")
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
