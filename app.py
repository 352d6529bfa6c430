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

from demos import coin_gan, cyclegan, dcgan, ddpm, links, vae  # noqa: E402
from demos.common import CSS, MAX_UPLOAD_MB, PICK_BRUSH_JS, describe_js, limit_long_jobs, start_sweeping  # noqa: E402

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
PAGE_JS = f"() => {{ ({PICK_BRUSH_JS})(); ({SELECT_TAB_JS})(); ({links.PRESENT_JS})(); }}"


def _copy_link_row(tab_id: str) -> None:
    """The tab's "Copy link to this view" button and the read-only box that shows the link."""
    specs = links.REGISTRY.get(tab_id, {})
    names = list(specs)
    with gr.Row(elem_classes="gm-link-row"):
        btn = gr.Button("Copy link to this view", size="sm", scale=0, min_width=200, elem_id=f"{tab_id}-copy-link")
        box = gr.Textbox(label="Link to this view", interactive=False, show_label=True, scale=3, max_lines=1,
                         elem_id=f"{tab_id}-link-box", buttons=["copy"])

    def make(*values):
        return links.build_query(tab_id, dict(zip(names, values)))

    btn.click(make, [specs[n].component for n in names], box, api_name=False, queue=False, show_progress="hidden"
              ).then(None, box, box, js=links.COPY_JS)


def _apply_link(request: gr.Request):
    """On page load: the query's settings for its tab's controls and the note on what was ignored."""
    query = str(request.query_params) if request is not None else ""
    tab, values, ignored = links.parse_query(query, default_tab=next(iter(links.REGISTRY), None))
    tab = tab or next(iter(links.REGISTRY), None)
    out = []
    for tab_id, specs in links.REGISTRY.items():
        for name in specs:
            out.append(values[name] if tab_id == tab and name in values else gr.skip())
    note = links.note_text(ignored)
    out.append(gr.update(value=note, visible=bool(note)))
    return out


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="genmodels") as demo:
        gr.Markdown(HEADER, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        with gr.Row():   # presentation mode: larger type, fewer controls (demos/links.py PRESENT_CSS)
            note = gr.Markdown("", visible=False, elem_id="gm-link-note")
            present = gr.Button("Presentation mode", size="sm", scale=0, min_width=180, elem_id="gm-present-toggle")
        present.click(None, None, None, js=links.TOGGLE_PRESENT_JS)
        with gr.Tabs(overflow_behavior="wrap") as tabs:   # every tab name visible on a phone, no "•••" menu
            with gr.Tab("Coin-flip GAN", id="coin"):
                links.building('coin')
                coin_gan.build()
                _copy_link_row('coin')
            with gr.Tab("VAE", id="vae"):
                links.building('vae')
                vae.build()
                _copy_link_row('vae')
            with gr.Tab("DCGAN", id="dcgan"):
                links.building('dcgan')
                dcgan.build()
                _copy_link_row('dcgan')
            with gr.Tab("DDPM", id="ddpm"):
                links.building('ddpm')
                ddpm.build()
                _copy_link_row('ddpm')
            with gr.Tab("PixelCNN", id="pixelcnn"):
                from demos import pixelcnn
                links.building('pixelcnn')
                pixelcnn.build()
                _copy_link_row('pixelcnn')
            with gr.Tab("CycleGAN", id="cyclegan"):
                links.building('cyclegan')
                cyclegan.build()
                _copy_link_row('cyclegan')
            with gr.Tab("Map of models", id="map"):
                from demos import toy2d   # here, not above: keeps this tab's change to one hunk
                links.building('map')
                toy2d.build()
                _copy_link_row('map')
        for tab in tabs.children:                 # #tab-<id> and #tab-<id>-button for links and tests
            if isinstance(tab, gr.Tab) and tab.elem_id is None:
                tab.elem_id = f"tab-{tab.id}"
        # once per page: the brush picked on every drawing pad, ?tab=<id> selected
        demo.load(None, None, None, js=PAGE_JS, api_name=False)
        # once per page: text alternatives for pictures and plots, kept up to date (demos/common.py)
        demo.load(None, None, None, js=describe_js(), api_name=False)
        # once per page: a lesson link's settings (?tab=ddpm&steps=10) put into the tab's controls
        linked = [spec.component for specs in links.REGISTRY.values() for spec in specs.values()]
        demo.load(_apply_link, None, linked + [note], api_name=False, queue=False, show_progress="hidden")
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
    return demo.launch(css=CSS + links.PRESENT_CSS, **kwargs)


if __name__ == "__main__":
    launch()
