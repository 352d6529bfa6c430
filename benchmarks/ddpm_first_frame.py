"""Benchmark: time from clicking Generate in the DDPM tab to the first frame in a real browser.

    python benchmarks/ddpm_first_frame.py      # needs Debian's chromium (bash scripts/install.sh --test)

Launches the app on a free local port, opens it in headless Chromium, and measures with a
MutationObserver when the caption first changes after the click (DDIM-50, 16 images), 4 times.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app  # noqa: E402
from _common import free_port  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    port = free_port()
    app.launch(server_port=port, prevent_thread_lock=True, quiet=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        pg = b.new_page(viewport={"width": 1400, "height": 1400})
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.get_by_role("tab", name="DDPM").click()
        time.sleep(1)
        res = []
        for _ in range(4):
            pg.evaluate("""() => { window.__t0 = performance.now(); window.__first = null;
                const el = document.querySelector('#dd-caption');
                const before = el.innerText;
                const obs = new MutationObserver(() => { if (window.__first === null && el.innerText !== before) { window.__first = performance.now() - window.__t0; obs.disconnect(); } });
                obs.observe(el, {subtree: true, childList: true, characterData: true}); }""")
            pg.click("#dd-generate")
            pg.wait_for_function("() => window.__first !== null", timeout=60000)
            res.append(pg.evaluate("() => window.__first"))
            pg.wait_for_function("() => document.querySelector('#dd-caption').innerText.includes('t = 0')", timeout=120000)
            time.sleep(1.5)
        print("first frame in the browser after the click (ms):", [round(r) for r in res])
        b.close()


if __name__ == "__main__":
    main()
