"""Map of models tab: every family of the course on the same 2-D points (decks 000-003, issue 15).

Widgets only: the data sets, the live frames, the measurements and the side-by-side table come from
genmodels.toy2d.view.
"""
from __future__ import annotations

import gradio as gr
import pandas as pd

from genmodels.toy2d import ESTIMATORS, data, view

from .links import link
from .common import LATEX, RECORD_SECONDS, describe, cards, check_seed, long_job, number, sketchpad, training_panel

DEFAULT_DATA = "moons"
MAX_SECONDS = 60          # training budget cap per family (seconds), for the UI and API callers alike
OUTPUTS_PER_FRAME = 6

INTRO = r"""
### A map of generative models: every family on the same points
Each family models $p_{\text{model}}(x)$ for 2-D points $x$ drawn from $p_{\text{data}}$ (blue). The decks sort them by
what they can say about $p_{\text{model}}(x)$ (deck 003's "key challenge": $p_\theta(x) \ge 0$ and
$\int p_\theta(x)\,dx = 1$): an **exact** density from a restricted model family, a density they can only
**bound** ($\log p_\theta(x) \ge \text{ELBO}$) or leave **unnormalised** ($e^{-E_\theta(x)}/Z(\theta)$ with $Z$ unknown),
or **no density at all** (a GAN only samples). Pick a leaf of the tree to train that family live; orange points are
its samples. Every NLL is in nats per point of the data as given: the models work on standardised points
$u = (x - m)/s$ and the Jacobian is counted, $\log p_x(x) = \log p_u(u) - \sum_i \log s_i$.
"""

SIDE_NOTE = """**Side by side**: every family on the same data with the decks' desiderata (deck 003: probability evaluation,
easy sampling, …) filled in with measured values: held-out NLL in nats per point (a bound's −ELBO is an upper bound on
the NLL; the energy-based model's Z is summed on a 256² grid, which only 2-D allows), **NLL − true** where the data's
density is known (the *thin_mixture*), the energy distance of 2,000 samples to the held-out points (0 = same
distribution), training seconds, milliseconds per 1,000 samples and network evaluations per sample on this machine.
*Stable training* compares the sample distance at the end with the best seen at four checks along the run."""


def _leaf_label(name: str) -> str:
    return view.LABELS.get(name, name)


def choose_shape(name):
    """A named shape as the data."""
    if name not in data.NAMES:
        raise gr.Error(f"Data set must be one of {', '.join(data.NAMES)}; got {name!r}.")
    ds = view.named(name)
    return ds, view.data_picture(ds), _info(ds)


def use_drawing(sketch, seed):
    """Points spread over what was drawn on the pad."""
    seed = check_seed(seed)
    try:
        ds = view.drawn(sketch, seed=seed)
    except ValueError as e:
        raise gr.Error(str(e)) from None
    return ds, view.data_picture(ds), _info(ds)


def use_upload(path):
    """An uploaded .csv / .npy of (x, y) points."""
    if not path:
        raise gr.Error("Upload a .csv (x, y per row) or a .npy array of shape (N, 2).")
    try:
        ds = view.uploaded(path)
    except ValueError as e:
        raise gr.Error(str(e)) from None
    return ds, view.data_picture(ds), _info(ds)


def _info(ds) -> str:
    s = ", ".join(f"{v:.3g}" for v in ds.scale)
    known = " Its exact density is known, so the table can show NLL − true." if ds.true_log_density is not None else ""
    return (f"**{ds.name}**: {len(ds.train):,} training points, {len(ds.test):,} held out (grey). Standardised with "
            f"s = ({s}): Σ log s = {ds.log_jacobian:.3f} nats is added back to every NLL.{known}")


def _family(name) -> str:
    if name not in ESTIMATORS:
        raise gr.Error(f"Family must be one of {', '.join(ESTIMATORS)}; got {name!r}.")
    return name


def train_stream(name, seconds, seed, ds):
    """Train one family live on the current data; stream its pictures, losses and, at the end, its measurements."""
    name = _family(name)
    seconds = number("Training budget (seconds)", seconds, 1, MAX_SECONDS)
    seed = check_seed(seed)
    ds = ds if isinstance(ds, view.Dataset) else view.named(DEFAULT_DATA)
    for frame in view.live(name, ds, seed=seed, seconds=seconds, record_seconds=RECORD_SECONDS):
        if frame is None:
            yield (gr.skip(),) * OUTPUTS_PER_FRAME
            continue
        losses = pd.DataFrame(frame.losses or [{"step": 0, "term": "loss", "nats": 0.0}])
        cards_html = cards(view.measured_cards(frame.measured)) if frame.measured else gr.skip()
        yield frame.main, frame.family, frame.caption, cards_html, losses, frame.status


def _table(rows) -> pd.DataFrame:
    return pd.DataFrame(view.desiderata(rows), columns=view.COLUMNS)


def compare_stream(seconds, seed, ds):
    """Every family on the current data, one after the other; the table and thumbnails fill in."""
    seconds = number("Seconds per family", seconds, 1, MAX_SECONDS)
    seed = check_seed(seed)
    ds = ds if isinstance(ds, view.Dataset) else view.named(DEFAULT_DATA)
    done = 0
    for out in view.side_by_side(ds, seed=seed, seconds=seconds):
        if out is None:
            yield gr.skip(), gr.skip(), gr.skip()
            continue
        rows, thumbs = out
        done = len(rows)
        yield _table(rows), thumbs, (f"{ds.name}: {done} of {len([n for n in view.ALL if n in ESTIMATORS])} "
                                     f"families done, step {rows[-1].steps} of {rows[-1].name}, {seconds:g} s each")


def _cached():
    cached = view.load_cache()
    if cached is None:
        return _table([]), [], "No stored run yet: press **Rerun side by side**."
    rows, thumbs, meta = cached
    return (_table(rows), thumbs, f"Stored run: {meta['data']}, {meta['n_train']:,} training points, seed {meta['seed']}, "
                                  f"{meta['seconds']:g} s of training per family, measured on {meta.get('machine', 'this machine')} "
                                  f"(`{meta['command']}`). Times depend on the machine and what else runs on it.")


def _stored_panel(family: str):
    """The panel's opening result: the stored run of its default family (main, picture, caption, cards, losses,
    status), or empty outputs if none is stored for that family."""
    stored = view.load_panel()
    if stored is None or stored[1]["family"] != family:
        return None, None, "", "", pd.DataFrame({"step": [], "term": [], "nats": []}), ""
    frame, meta = stored
    m = frame.measured
    head = (f"**A stored run: {_leaf_label(family)} on {meta['data']}, seed {meta['seed']}, {meta['seconds']:g} s budget "
            f"({m.steps} steps, {m.train_seconds:.1f} s on {meta['machine']}): press Train to fit live.** ")
    losses = pd.DataFrame(frame.losses or [{"step": 0, "term": "loss", "nats": 0.0}])
    return frame.main, frame.family, head + frame.caption, cards(view.measured_cards(m)), losses, f"{frame.status} (stored run)"


def build() -> None:
    """Lay out the tab inside the current gr.Blocks."""
    ds0 = view.named(DEFAULT_DATA)
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    ds_state = gr.State(ds0)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown("#### 1. The data")
            shape = gr.Dropdown(list(data.NAMES), value=DEFAULT_DATA, label="Named shape", elem_id="map-shape")
            link(shape, 'shape')
            with gr.Accordion("…or draw it, or upload it", open=False, elem_id="map-data-more"):
                pad = sketchpad("map-pad", label="Draw a shape (points are spread over your strokes)", brush_size=12)
                draw_btn = gr.Button("Use my drawing", elem_id="map-use-drawing")
                upload = gr.File(label="Upload .csv (x, y per row) or .npy (N, 2), up to 20,000 points",
                                 file_types=[".csv", ".npy", ".txt"], type="filepath", elem_id="map-upload")
            info = gr.Markdown(_info(ds0), elem_id="map-data-info")
        with gr.Column(scale=1, min_width=300):
            data_img = gr.Image(view.data_picture(ds0), label="Data: training (blue), held out (grey)", type="pil",
                                interactive=False, elem_id="map-data")
    gr.Markdown("#### 2. The taxonomy: click a family to train it live")
    leaves = {}
    with gr.Row(elem_id="map-tree"):
        for title, note, names in view.TAXONOMY:
            with gr.Column(min_width=200):
                gr.Markdown(f"**{title}**  \n<small>{note}</small>")
                with gr.Row():
                    for name in names:
                        leaves[name] = gr.Button(_leaf_label(name), size="sm", elem_id=f"map-leaf-{name}",
                                                 interactive=name in ESTIMATORS)
    present = [n for n in view.ALL if n in ESTIMATORS]
    _, panel = training_panel("map", "Train one family live", (1, MAX_SECONDS, 20, 1),
                              steps_label="Training budget (seconds)", open=True)
    with panel.controls:
        family = gr.Radio([(_leaf_label(n), n) for n in present], value=present[0], label="Family",
                          elem_id="map-family")
        link(family, 'family')
    main0, fam0, caption0, cards0, losses0, status0 = _stored_panel(present[0])
    panel.status.value = status0
    with panel.plots:
        with gr.Row():
            main = gr.Image(main0, label="Samples over the data, its density behind", type="pil", interactive=False,
                            elem_id="map-main")
            fam = gr.Image(fam0, label="The family's own picture", type="pil", interactive=False, elem_id="map-picture")
        caption = gr.Markdown(caption0, elem_id="map-caption")
        card_html = gr.HTML(cards0, elem_id="map-cards")
        losses = gr.LinePlot(losses0, x="step", y="nats", color="term", title="Losses", elem_id="map-losses", height=220)
    with gr.Accordion("Why an energy-based model's Z(θ) cannot be computed in high dimension", open=False):
        gr.Markdown(view.WHY_NO_Z)
    describe(main, "Samples (orange) over the data (blue), the model's density behind", state=caption)  # alt texts
    describe(fam, "The family's own picture", state=caption)
    panel.wire(train_stream, [family, panel.steps, panel.seed, ds_state], [main, fam, caption, card_html, losses,
                                                                           panel.status], "map_train")
    for name, button in leaves.items():
        button.click(lambda n=name: n, None, family, queue=False, api_name=False, show_progress="hidden").then(
            None, None, None, js="() => { document.querySelector('#map-train')?.click(); }")

    gr.Markdown("#### 3. Side by side")
    gr.Markdown(SIDE_NOTE)
    table0, thumbs0, note0 = _cached()
    with gr.Row():
        per_family = gr.Slider(1, MAX_SECONDS, value=20, step=1, label="Seconds per family", elem_id="map-c-seconds")
        compare_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", elem_id="map-c-seed")
        compare_btn = gr.Button("Rerun side by side", variant="primary", elem_id="map-compare")
        compare_stop = gr.Button("Stop", variant="stop", elem_id="map-compare-stop")
    compare_status = gr.Markdown(note0, elem_id="map-c-status")
    table = gr.Dataframe(table0, interactive=False, wrap=True, elem_id="map-table")
    gallery = gr.Gallery(thumbs0, label="Samples (orange) over the data (blue), density behind", columns=4,
                         height="auto", elem_id="map-gallery")
    describe(gallery, "Samples (orange) over the data (blue), density behind")   # text alternative
    long_job(compare_btn, compare_stream, [per_family, compare_seed, ds_state], [table, gallery, compare_status],
             "map_compare", stop=compare_stop, status=compare_status)

    shape.change(choose_shape, shape, [ds_state, data_img, info], api_name="map_data_shape")
    draw_btn.click(use_drawing, [pad, panel.seed], [ds_state, data_img, info], api_name="map_data_drawn")
    upload.upload(use_upload, upload, [ds_state, data_img, info], api_name="map_data_upload")

    from .compare import build as build_mnist_comparison   # 4. the same comparison on MNIST
    build_mnist_comparison()
