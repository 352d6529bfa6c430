"""CycleGAN tab: horse ↔ zebra without pairs, with the cycle made visible (seed deck 001).

A thin adapter: widgets -> genmodels.cyclegan / genmodels.imaging -> panels and curves.
"""
from __future__ import annotations

import copy
import functools
import time

import gradio as gr
import numpy as np
import pandas as pd

from genmodels import cyclegan, data
from genmodels.common import grid, grid_cell
from genmodels.imaging import ImageInputError, sketch_to_domain, to_domain, upscale

from .links import link
from .common import (LATEX, PIXELS, RECORD_SECONDS, describe, UploadImage, cards, check_seed, load_checkpoint, number, sketchpad,
                     training_panel)

CHECKPOINT = "cyclegan-horse2zebra"
GALLERY_SIZE = 12
GALLERY_COLUMNS, GALLERY_PAD, GALLERY_SCALE = 6, 2, 4
MAX_TRAIN_STEPS = 2000
MAX_BATCH = 16          # one step at batch 16 takes about half a second here: Stop stays prompt
TRAIN_STEPS, TRAIN_BATCH = 60, 4      # the live run's defaults: see TRAIN_TIME
PREVIEW_EVERY = 3                     # held-out translations every 3 records
TRAIN_TIME = ("The default: 60 steps at batch 4 fine-tuning the checkpoint, held-out translations every 6 steps "
              "(from the first record on, the model translates: it starts from the checkpoint). The status line shows "
              "this run's own pace and the time left (a busy server is slower).")
PANELS = [("received", "**received** (28×28)"), ("translated", "**translated**"),
          ("reconstructed", "**reconstructed**"), ("identity", "**identity**")]
LABELS = {"horse2zebra": "Horse → zebra", "zebra2horse": "Zebra → horse"}

INTRO = r"""
### CycleGAN: horse ↔ zebra without a single pair
Two domains, horses $X$ and zebras $Y$ (Animal-MNIST, 28×28 grey), and **no paired examples**: nobody says which
zebra a given horse should become. **The data**: horses are flat white silhouettes on black, zebras the same kind of
animal shape filled with dark stripes. Two generators learn the two directions, $G: X \to Y$ and $F: Y \to X$, and two
discriminators judge them, $D_Y$ (is this a real zebra?) and $D_X$ (a real horse?): $D_Y$ pushes the distribution of
$G(x)$, the model's $p_{\text{model}}(y)$, towards the real zebras' $p_{\text{data}}(y)$.
"""

UNPAIRED = r"""
**Why unpaired matters.** *Paired* image-to-image translation (pix2pix) learns from examples $(x, y)$ of the
same scene in both styles: a photo and its painting, a sketch and its shoe. Such pairs rarely exist: nobody
photographs the same horse as a zebra. CycleGAN needs only two piles of images. The price is ambiguity: many
zebras would fool $D_Y$, so the **cycle** constraint $F(G(x)) \approx x$ forces the translation to keep the
content (pose, outline) and change only the style (the stripes).
"""

# (key in the records of cyclegan.train, the name shown in the table and the plot's legend, what it is)
LOSS_TERMS = [
    ("loss_GAN_G", "L_GAN(G, D_Y)", "(D_Y(G(x)) − 1)²: G tries to make D_Y call its zebras real (LSGAN)."),
    ("loss_GAN_F", "L_GAN(F, D_X)", "(D_X(F(y)) − 1)²: F tries to make D_X call its horses real (LSGAN)."),
    ("loss_cycle_X", "λ·L_cyc, horses", "10·|F(G(x)) − x|: a horse turned zebra and back must be the same horse."),
    ("loss_cycle_Y", "λ·L_cyc, zebras", "10·|G(F(y)) − y|: and a zebra there and back the same zebra."),
    ("loss_identity_X", "0.5λ·L_identity, F", "5·|F(x) − x|: F given a real horse should leave it alone (keeps tones)."),
    ("loss_identity_Y", "0.5λ·L_identity, G", "5·|G(y) − y|: G given a real zebra should leave it alone."),
    ("loss_D_X", "D_X's loss", "½[(D_X(x) − 1)² + D_X(F(y))²]: tell real horses from F's (from a pool of the last 50)."),
    ("loss_D_Y", "D_Y's loss", "½[(D_Y(y) − 1)² + D_Y(G(x))²]: tell real zebras from G's."),
]
TERM_NAMES = {key: name for key, name, _ in LOSS_TERMS}

LSGAN = r"""
**Least squares, not logs (LSGAN, Mao et al. 2017).** The decks' GAN loss is binary cross-entropy,
$\log D(x) + \log(1 - D(G(z)))$. CycleGAN, like its official code, uses squared errors instead: $D_Y$ minimises
$½\big[(D_Y(y) - 1)^2 + D_Y(G(x))^2\big]$ and $G$ minimises $(D_Y(G(x)) - 1)^2$. Why: a sigmoid's log loss saturates,
so a fake that $D_Y$ already calls fake with confidence gives $G$ almost no gradient, while the squared error keeps
growing with the distance from "real" and keeps pulling; Zhu et al. found it more stable and the images better.
"""


@functools.lru_cache(maxsize=1)
def pretrained():
    return load_checkpoint(cyclegan.load, CHECKPOINT, "You can still train one from scratch below (Train live).")


@functools.lru_cache(maxsize=1)
def _heldout() -> dict[str, np.ndarray]:
    horses, zebras = data.horses_and_zebras("test")
    return {"horse2zebra": horses[:GALLERY_SIZE].numpy(), "zebra2horse": zebras[:GALLERY_SIZE].numpy()}


NO_LIVE_MODEL = "You have no live-trained model yet: train one below, or choose the pretrained checkpoint."


class Refused(Exception):
    """A request the tab answers with a message, leaving the four panels as they are."""


def _model(use_live: bool, live_model):
    if use_live:
        if live_model is None:
            raise Refused(NO_LIVE_MODEL)
        return copy.deepcopy(live_model)      # copied: its training may still be running
    return pretrained()


def _refusal(message: str) -> tuple:
    """Keep the four panels and the cards (they still show the last translation); say what is wrong."""
    gr.Warning(message)
    return (*[gr.skip()] * 5, f"⚠ **Nothing translated:** {message} The panels above still show the previous "
                               "translation.")


def _direction(direction: str) -> str:
    if direction not in cyclegan.DIRECTIONS:
        raise gr.Error(f"Direction must be one of {', '.join(cyclegan.DIRECTIONS)}; got {direction!r}.")
    return direction


def _outputs(p: cyclegan.Cycle, direction: str, use_live: bool):
    """The four panels, the cards and the caption of one image's round trip (``cyclegan.cycle``)."""
    src, dst = ("horse", "zebra") if direction == "horse2zebra" else ("zebra", "horse")
    gen, other = ("G", "F") if direction == "horse2zebra" else ("F", "G")
    info = cards([("direction", LABELS[direction], ""),
                  ("cycle L1 |reconstructed − received|", f"{p.cycle_l1:.3f}", "good" if p.cycle_l1 <= 0.08 else "bad")])
    return (upscale(p.received), upscale(p.translated), upscale(p.reconstructed), upscale(p.identity),
            info, f"**Received** ({src}, 28×28, what the model sees) → **{gen}(x)**, a {dst} → "
                  f"**{other}({gen}(x))**, back to a {src} · identity: **{other}(x)** should equal x · by "
                  f"{'your live-trained model' if use_live else 'the pretrained checkpoint'}.")


def gallery(direction: str):
    """The held-out examples of a direction's source domain, as one clickable image (6 × 2)."""
    direction = _direction(direction)
    return grid(_heldout()[direction], nrow=GALLERY_COLUMNS, pad=GALLERY_PAD, scale=GALLERY_SCALE)


def translate_example(direction: str, index, use_live: bool = False, live_model=None):
    direction = _direction(direction)
    i = number("Example index", index, 0, GALLERY_SIZE - 1, integer=True)
    try:
        model = _model(use_live, live_model)
    except Refused as e:
        return _refusal(str(e))
    trip = cyclegan.cycle(model, _heldout()[direction][i], direction) if use_live else _pretrained_cycle(direction, i)
    return _outputs(trip, direction, use_live)


@functools.lru_cache(maxsize=2 * GALLERY_SIZE)
def _pretrained_cycle(direction: str, i: int) -> cyclegan.Cycle:
    """The checkpoint's round trip of held-out example i: the same every time, so computed once
    (a class clicking through the gallery then costs no generator passes)."""
    return cyclegan.cycle(pretrained(), _heldout()[direction][i], direction)


def _translate(direction: str, convert, value, use_live: bool, live_model):
    direction = _direction(direction)
    try:
        x = convert(value)
        model = _model(use_live, live_model)
    except (ImageInputError, Refused) as e:
        return _refusal(str(e))
    return _outputs(cyclegan.cycle(model, x, direction), direction, use_live)


def translate_upload(direction: str, image, use_live: bool = False, live_model=None):
    return _translate(direction, to_domain, image, use_live, live_model)


def translate_sketch(direction: str, sketch, use_live: bool = False, live_model=None):
    return _translate(direction, sketch_to_domain, sketch, use_live, live_model)


def _loss_table(losses: dict | None) -> str:
    rows = "".join(
        f"<tr><td><b>{name}</b><br><span style='opacity:.8'>{text}</span></td>"
        f"<td style='text-align:right;font-variant-numeric:tabular-nums'>"
        f"{'–' if losses is None else f'{losses[key]:.3f}'}</td></tr>"
        for key, name, text in LOSS_TERMS
    )
    return f"<table class='gm-losses' style='width:100%'><tr><th>term</th><th>value</th></tr>{rows}</table>"


def train_stream(mode: str, steps, batch_size, seed):
    """Stream a live run: yields (loss table, curves, preview strip, status, model state)."""
    steps = number("Steps", steps, 10, MAX_TRAIN_STEPS, integer=True)
    batch_size = number("Batch size", batch_size, 1, MAX_BATCH, integer=True)
    seed = check_seed(seed)
    if mode not in ("fine-tune the checkpoint", "from scratch"):
        raise gr.Error(f"Mode must be 'fine-tune the checkpoint' or 'from scratch'; got {mode!r}.")
    model = None
    if mode == "fine-tune the checkpoint":
        model = copy.deepcopy(pretrained())     # never touch the shared model
        cfg = cyclegan.Config(**{**model.cfg.__dict__, "steps": steps, "batch_size": batch_size, "seed": seed,
                                 "device": "cpu", "max_seconds": 0.0})
    else:
        cfg = cyclegan.Config(steps=steps, batch_size=batch_size, seed=seed, device="cpu")
    history = []
    every = max(2, steps // 50)
    start = model.steps if model is not None else 0     # the steps of this run, not the checkpoint's
    t0 = time.perf_counter()
    for r in cyclegan.train(cfg, model=model, seconds=RECORD_SECONDS, every=every,
                            preview_every=every * PREVIEW_EVERY):
        step = r.step - start
        history += [{"step": step, "loss": v, "term": TERM_NAMES[k]} for k, v in r.losses.items() if k in TERM_NAMES]
        strip = r.preview.image() if r.preview is not None else gr.skip()
        seconds = time.perf_counter() - t0
        status = f"step {step} / {steps} · {seconds:.0f} s"
        if r.done:
            status += " · done: choose “my live-trained model” above to use it"
        else:
            status += (f", about {seconds / step * (steps - step):.0f} s to go at this pace · Stop keeps the "
                       "model as it is, for “my live-trained model”")
        # the model on every record: a run stopped at any moment leaves its latest model in the session
        yield _loss_table(r.losses), pd.DataFrame(history), strip, status, r.model


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    live_model = gr.State(None)
    with gr.Row():
        direction = gr.Radio([(v, k) for k, v in LABELS.items()], value="horse2zebra", label="Direction",
                             elem_id="cg-direction")
        link(direction, 'direction')
        use_live = gr.Radio([("pretrained checkpoint", False), ("my live-trained model", True)], value=False,
                            label="Model", elem_id="cg-model")
    with gr.Row(elem_classes="gm-result-row"):
        with gr.Column(scale=2):
            gr.Markdown("**Held-out examples** (never seen in training): click one", elem_classes=["gm-caption"])
            examples = gr.Image(gallery("horse2zebra"), show_label=False, interactive=False, buttons=[],
                                elem_id="cg-gallery")
            with gr.Tabs():
                with gr.Tab("Upload"):
                    upload = UploadImage(type="filepath", label="Upload a horse or zebra picture", height=220,
                                      sources=["upload", "clipboard"], elem_id="cg-upload")
                    upload_btn = gr.Button("Translate the upload", elem_id="cg-upload-btn")
                with gr.Tab("Draw"):
                    sketch = sketchpad("cg-sketch", "Draw a horse or a zebra", height=300, brush_size=14)
                    sketch_btn = gr.Button("Translate the drawing", elem_id="cg-sketch-btn")
        with gr.Column(scale=3, elem_classes="gm-result"):
            try:
                first = translate_example("horse2zebra", 0)
            except gr.Error as e:                     # no checkpoint: the tab still trains
                first = [None] * 4 + [cards([("direction", LABELS["horse2zebra"], ""), ("cycle L1", "–", "")]), str(e)]
            info = gr.HTML(first[4], elem_id="cg-info")
            with gr.Row():
                panels = []
                for key, text in PANELS:
                    with gr.Column(min_width=80):
                        gr.Markdown(text, elem_classes=["gm-caption"], elem_id=f"cg-{key}-caption")
                        panels.append(gr.Image(first[len(panels)], show_label=False, interactive=False, buttons=[],
                                               height=150, elem_id=f"cg-{key}", **PIXELS))
                received, translated, reconstructed, identity = panels
            caption = gr.Markdown(first[5], elem_id="cg-caption")
    gr.Markdown(UNPAIRED, latex_delimiters=LATEX)

    _, panel = training_panel("cg", "Train live: every loss term, explained, with its value",
                              (10, MAX_TRAIN_STEPS, TRAIN_STEPS, 10), modes=["fine-tune the checkpoint", "from scratch"])
    with panel.controls:
        batch = gr.Slider(1, MAX_BATCH, value=TRAIN_BATCH, step=1, label="Batch size (each domain)",
                          elem_id="cg-batch", elem_classes="gm-advanced")
        gr.Markdown(TRAIN_TIME, elem_id="cg-train-time")
    with panel.plots:
        gr.Markdown(LSGAN, latex_delimiters=LATEX)
        table = gr.HTML(_loss_table(None), elem_id="cg-losses")
        curves = gr.LinePlot(x="step", y="loss", color="term", title="Loss terms during training",
                             elem_id="cg-curves")
        gr.Markdown("Four held-out horses → $G(x)$ → $F(G(x))$ (rows 1-3), four zebras → $F(y)$ → $G(F(y))$ "
                    "(rows 4-6), by the model at the step the status line names when they arrive",
                    latex_delimiters=LATEX, elem_classes=["gm-caption"])
        preview = gr.Image(show_label=False, interactive=False, buttons=[], elem_id="cg-preview")

    for image, (key, _) in zip(panels, PANELS):           # text alternatives (issue 18)
        describe(image, f"CycleGAN round trip: the {key} picture", state=caption)
    describe(examples, "Held-out example pictures to translate, in a row")
    outs = [received, translated, reconstructed, identity, info, caption]
    def on_direction(direction, use_live, live_model):
        return gallery(direction), *translate_example(direction, 0, use_live, live_model)

    direction.change(on_direction, [direction, use_live, live_model], [examples, *outs], api_name=False,
                     queue=False, show_progress="hidden")

    def on_select(direction, use_live, live_model, evt: gr.SelectData):
        index = grid_cell(*evt.index, GALLERY_SIZE, GALLERY_COLUMNS, GALLERY_PAD, GALLERY_SCALE)
        return translate_example(direction, index, use_live, live_model)

    examples.select(on_select, [direction, use_live, live_model], outs, api_name=False,
                    queue=False, show_progress="hidden")
    idx = gr.Number(value=0, visible=False, precision=0)
    api_btn = gr.Button(visible=False)
    api_btn.click(translate_example, [direction, idx, use_live, live_model], outs, api_name="cyclegan_example",
                  queue=False, show_progress="hidden")
    upload_btn.click(translate_upload, [direction, upload, use_live, live_model], outs, api_name="cyclegan_upload",
                     concurrency_id="cyclegan_light", concurrency_limit=8)
    sketch_btn.click(translate_sketch, [direction, sketch, use_live, live_model], outs, api_name="cyclegan_sketch",
                     concurrency_id="cyclegan_light", concurrency_limit=8)
    panel.wire(train_stream, [panel.mode, panel.steps, batch, panel.seed],
               [table, curves, preview, panel.status, live_model], "cyclegan_train")
    from .failures import gallery as failures; failures("cyclegan")   # noqa: E702 (the failure gallery, one line)
