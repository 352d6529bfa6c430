"""genmodels: learn generative models by training, poking and watching them.

    python app.py            # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)

Each tab lives in demos/ and calls into the genmodels package. Every tab has an id (``gr.Tab(...,
id=...)``: coin, vae, dcgan, ddpm, cyclegan; pixelcnn and map are coming):
``http://HOST/?tab=ddpm`` opens the page on that tab (a link from a lecture slide), and the tab's
container is ``#tab-<id>`` and its button ``#tab-<id>-button`` in the page (for tests and links).
"""
from __future__ import annotations

import gc
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from demos import coin_gan, cyclegan, dcgan, ddpm, vae  # noqa: E402
from demos.common import CSS, MAX_UPLOAD_MB, PICK_BRUSH_JS, limit_long_jobs, start_sweeping  # noqa: E402

HEADER = """
# genmodels
Train, poke and watch small generative models, live on a CPU. Each tab follows the lecture decks' notation:
$p_{\\text{data}}(x)$ for the data's distribution and $p_{\\text{model}}(x)$ for the one a model learns, $G(z)$ and $D(x)$ for a
GAN's players, $G: X \\to Y$ and $F: Y \\to X$ for CycleGAN's.
"""

# Run once per page, on load: ?tab=<id> selects that tab (its button may render a moment after
# the page; an unknown id leaves the first tab open).
SELECT_TAB_JS = """() => {
  const id = new URLSearchParams(window.location.search).get('tab');
  if (!id || !/^[a-z0-9_-]+$/.test(id)) return;
  const click = () => {
    const b = document.getElementById(`tab-${id}-button`);
    if (b) b.click();
    return Boolean(b);
  };
  if (click()) return;
  const watch = new MutationObserver(() => { if (click()) watch.disconnect(); });
  watch.observe(document.body, {childList: true, subtree: true});
  setTimeout(() => watch.disconnect(), 15000);
}"""
PAGE_JS = f"() => {{ ({PICK_BRUSH_JS})(); ({SELECT_TAB_JS})(); }}"


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="genmodels") as demo:
        gr.Markdown(HEADER, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        with gr.Tabs(overflow_behavior="wrap") as tabs:   # every tab name visible on a phone, no "•••" menu
            with gr.Tab("Coin-flip GAN", id="coin"):
                coin_gan.build()
            with gr.Tab("VAE", id="vae"):
                vae.build()
            with gr.Tab("DCGAN", id="dcgan"):
                dcgan.build()
            with gr.Tab("DDPM", id="ddpm"):
                ddpm.build()
            with gr.Tab("PixelCNN", id="pixelcnn"):
                from demos import pixelcnn
                pixelcnn.build()
            with gr.Tab("CycleGAN", id="cyclegan"):
                cyclegan.build()
            with gr.Tab("Map of models", id="map"):
                from demos import toy2d   # here, not above: keeps this tab's change to one hunk
                toy2d.build()
        for tab in tabs.children:                 # #tab-<id> and #tab-<id>-button for links and tests
            if isinstance(tab, gr.Tab) and tab.elem_id is None:
                tab.elem_id = f"tab-{tab.id}"
        # once per page: the brush picked on every drawing pad, ?tab=<id> selected
        demo.load(None, None, None, js=PAGE_JS, api_name=False)
    return demo


demo = build_demo()


def launch(**kwargs):
    """Queue and launch ``demo``; keyword arguments go to ``Blocks.launch``."""
    kwargs.setdefault("server_name", os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    kwargs.setdefault("server_port", int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    # Pass every error's message to the browser and API callers: a wrong type sent through the
    # API then reads "Expected a float, but the value passed ... was []" instead of a bare "Error".
    kwargs.setdefault("show_error", True)
    # Uploads over GENMODELS_MAX_UPLOAD_MB (default 8) are refused before they are stored.
    kwargs.setdefault("max_file_size", f"{int(MAX_UPLOAD_MB * 1024)}kb")
    # Everything built at start-up (the Blocks, loaded models) lives as long as the app: keep it
    # out of the garbage collector's full scans, which otherwise pause every request for up to
    # a quarter of a second once many sessions hold state.
    gc.collect()
    gc.freeze()
    start_sweeping(demo)
    demo.queue(default_concurrency_limit=2)
    limit_long_jobs(demo)             # one long job per session, a bounded queue (demos/common.py)
    return demo.launch(css=CSS, **kwargs)


if __name__ == "__main__":
    launch()
