"""DCGAN tab: latent vector arithmetic, interpolation, a training monitor (seed deck 001), and
choose-the-digit with the conditional GAN (decks 000, 001).

A thin adapter: widgets -> genmodels.dcgan / genmodels.cgan (pictures as uint8 arrays) -> images and plots.
"""
from __future__ import annotations

import copy
import functools
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from genmodels import cgan, dcgan
from genmodels.common import grid_cell

from .links import link
from .common import LATEX, PIXELS, RECORD_SECONDS, describe, cards, check_seed, load_checkpoint, number, seed_input, training_panel
from .common import png_data_url as _png

GRID = 32
GRID_COLUMNS, GRID_PAD, GRID_SCALE = 8, 2, 3     # the sample grid: one image, 8 × 4 digits
SLOTS = ("A", "B", "C", "start", "end")
SLOT_ALT = {s: f"Slot {s}: the generated digits whose latent vectors z are averaged as {s} in A − B + C"
            for s in ("A", "B", "C")} | {
    "start": "Slot start: the generated digit whose z starts the interpolation",
    "end": "Slot end: the generated digit whose z ends the interpolation"}
MAX_PER_SLOT = {"A": 3, "B": 3, "C": 3, "start": 1, "end": 1}
# What the slots hold on arrival: samples of seed 0's grid (row-major indices): A a thick 0, B a thin 0,
# C a thin 1 (A − B + C decodes to a 1), start the 7, end the thick 0
ARRIVAL_PICKS = (3, 4, 5, 0, 3)
ARRIVAL_CAPTION = ("*On arrival: seed 0's grid, A = row 1 column 4, B = column 5, C = column 6, start = column 1, "
                   "end = column 4; σ = 0.25, spherical, 10 frames. A click in the grid replaces a slot's arrival sample.*")
MAX_TRAIN_STEPS = 3000
MAX_BATCH = 128         # one step at batch 128 takes about half a second on 2 cores: Stop stays prompt
TRAIN_STEPS, TRAIN_BATCH = 300, 16          # the live run's defaults: see TRAIN_TIME
MODES = ["from scratch", "continue my run", "continue the checkpoint"]
LIGHT = {"concurrency_id": "dcgan_light", "concurrency_limit": 8}    # quick calls: their own queue

INTRO = r"""
### DCGAN: arithmetic on the noise vectors
A deep convolutional GAN (Radford et al.) turns $z \sim p_z = \mathcal N(0, I)$ with 100 numbers into a 28×28
digit, $x = G(z)$; the digits it makes follow its distribution $p_{\text{model}}(x)$, trained to match the data's
$p_{\text{data}}(x)$ (MNIST). Directions in $z$-space carry meaning, so vectors can be added: **pick samples** into
slots A, B and C (up to three each; their $z$ are averaged, as in the paper) and compute
$z = \bar z_A - \bar z_B + \bar z_C$, e.g. *thick 7* − *thin 7* + *thin 1* ≈ *thick 1*. Or walk between two samples.
"""

LOSSES = r"""
**The game.** $\min_G \max_D V(G, D) = \mathbb E_{x \sim p_{\text{data}}}[\log D(x)]
+ \mathbb E_{z \sim p_z}[\log(1 - D(G(z)))]$, where $D(x)$ is D's probability that $x$ is real.

**What the code minimises** (binary cross-entropy, one batch of real $x$ and one of $z$ per step):
- D's step: $\text{Loss}_D = -\big[\log D(x) + \log(1 - D(G(z)))\big]$, i.e. $-V$ on the batch (labels 1 for real, 0 for fake).
- G's step: $\text{Loss}_G = -\log D(G(z))$, the **non-saturating** loss (Goodfellow et al. 2014), not
  $\log(1 - D(G(z)))$ from $V$. Early on D rejects G's digits, $D(G(z)) \approx 0$, where $\log(1 - D(G(z)))$ is
  flat and G would learn almost nothing; $-\log D(G(z))$ is steep there and has the same goal.

At the game's equilibrium $p_{\text{model}} = p_{\text{data}}$, D cannot tell them apart: $D(x) = D(G(z)) = ½$,
$\text{Loss}_D = 2 \ln 2 \approx 1.39$ and $\text{Loss}_G = \ln 2 \approx 0.69$.
"""

TRAIN_TIME = ("The default run: 300 steps at batch 16 from scratch, a new grid of samples every 15 steps. A step at "
              "batch 16 costs half to three quarters of one at 64 (D's dense layer and the Adam updates dominate). The status line "
              "shows this run's own pace and the time left (a busy server is slower).")

HEALTH = r"""
**What a healthy run looks like.** Bounded, wobbling numbers, not a winner. In the first hundred steps
from scratch both players know nothing: $\text{Loss}_D \approx 1.3$-$1.4$ (near $2 \ln 2$), $\text{Loss}_G \approx 0.8$,
$D(x) \approx 0.55$, $D(G(z)) \approx 0.43$. Then D pulls ahead and stays ahead: continuing the checkpoint (10,499
steps, the digits above) for 20 steps at batch 64 shows $\text{Loss}_D$ 0.14-0.34, $\text{Loss}_G$ 2.8-3.9, $D(x)$ 0.89-0.95, $D(G(z))$
0.03-0.10, and a diversity ratio of 1.04; with the non-saturating loss G keeps learning although D wins most rounds.

**Warning signs**: $\text{Loss}_D$ stuck at 0 and $D(G(z))$ at 0 for hundreds of steps while the grid stops
improving (D wins outright); $\text{Loss}_G$ climbing without end; the diversity ratio (how different the 64 samples are from each other,
over the same for 64 real digits) falling under 0.5 after the first COLLAPSE_WARMUP steps: **mode collapse**, G makes
one or a few digits whatever $z$ is. A fresh G draws the same grey blur for every $z$ (ratio 0.2-0.4 in the first
hundred steps): that is not collapse, so the alarm waits COLLAPSE_WARMUP steps and needs COLLAPSE_PATIENCE low checks in a row.
""".replace("COLLAPSE_WARMUP", str(dcgan.COLLAPSE_WARMUP)).replace("COLLAPSE_PATIENCE", str(dcgan.COLLAPSE_PATIENCE))

CGAN_INTRO = r"""
### Choose the digit: a conditional GAN
The DCGAN above learns $p(x)$: it draws *some* digit. A conditional GAN (Mirza & Osindero 2014) learns
$p(x \mid y)$ with the label $y \in \{0, \dots, 9\}$, and both players see it (`checkpoints/cgan-mnist`):

$$x = G(z, y) = G_{\text{DCGAN}}\big([\,z,\ \text{onehot}(y)\,]\big)$$

$$\text{logit } D(x \mid y) = \psi(\phi(x)) + \langle e_y, \phi(x) \rangle$$

$$\text{Loss}_D = -\big[\log D(x \mid y) + \log(1 - D(G(z, y) \mid y))\big]$$

$$\text{Loss}_G = -\log D(G(z, y) \mid y)$$

with $z \sim \mathcal N(0, I)$ (64 numbers) and $D(x \mid y) = \sigma(\text{logit})$. G gets $y$ one-hot, concatenated
to $z$ (10 more inputs). D is a **projection discriminator** (Miyato &
Koyama 2018): $\phi(x)$ are the DCGAN discriminator's features, $\psi$ its "is it a digit" head and $e_y$ a
learned vector per digit. Why not concatenate $y$ to D's input as well? Then D must learn whether image and
label match from scratch through its first layer; the projection is the form the optimal D's log-ratio
$\log p_{\text{data}}(x \mid y) / p_{\text{model}}(x \mid y)$ takes, so "a 3 asked to be a 7" is one inner
product away and D punishes it from the first steps (Miyato & Koyama measured better class fidelity than
concatenation). Since $y$ says *which* digit, $z$ is left to carry the **style**: slant, width, stroke.
"""


@functools.lru_cache(maxsize=1)
def load_cgan() -> cgan.CGAN:
    return load_checkpoint(cgan.load, "cgan-mnist", "The DCGAN above still works.")


_CELL = "padding: 1px 4px; border: none; background: none;"


def rows_html(strips: list, styles: int) -> str:
    """The style × content grid as a table: a row label "digit k" beside each row of pictures."""
    head = "".join(f'<span style="flex: 1; text-align: center;">z<sub>{j + 1}</sub></span>' for j in range(styles))
    rows = "".join(f'<tr><th scope="row" class="cg-row-label" style="{_CELL} white-space: nowrap; text-align: right;">'
                   f'digit {k}</th><td style="{_CELL}"><img src="{_png(s)}" alt="G(z_1 … z_{styles}, y = {k})" '
                   f'style="display: block; width: 100%; max-width: {s.shape[1]}px; image-rendering: pixelated;">'
                   f"</td></tr>" for k, s in enumerate(strips))
    return (f'<table class="cg-table" style="border-collapse: collapse; margin: 0;">'
            f'<tr><th style="{_CELL}"></th><td style="{_CELL}"><div style="display: flex; font-size: 0.85em; '
            f'max-width: {strips[0].shape[1]}px;">{head}</div></td></tr>{rows}</table>')


def cgan_grid(seed, styles):
    """One row per digit, one column per z: the same z gives the same style in every row."""
    seed = check_seed(seed)
    styles = number("Styles (columns)", styles, 2, 12, integer=True)
    strips = cgan.style_content_strips(load_cgan(), styles, seed=seed)
    caption = (f"**$G(z_j, y)$ of the conditional GAN's $G_{{\\text{{ema}}}}$, seed {seed}**: row $y$ is the digit "
               f"asked for (content), column $j$ one $z_j$ (style), the same in every row.")
    return rows_html(strips, styles), caption


def cgan_interpolate(a, b, column, frames, seed):
    """The label mixed from digit a to digit b at one fixed z (column ``column`` of the grid)."""
    a, b = number("Digit a", a, 0, 9, integer=True), number("Digit b", b, 0, 9, integer=True)
    column = number("Style (column)", column, 1, 12, integer=True)
    frames = number("Frames", frames, 3, 16, integer=True)
    seed = check_seed(seed)
    strip = cgan.label_interpolation_strip(load_cgan(), a, b, frames, seed=seed, z_index=column - 1)
    caption = (f"$G(z_{{{column}}}, y_t)$, $y_t = (1 - t)\\,\\text{{onehot}}({a}) + t\\,\\text{{onehot}}({b})$, "
               f"$t$ = 0 … 1 in {frames} frames (seed {seed}): the style stays, the digit changes.")
    return strip, caption


def cgan_arithmetic(seed, a, b, c, digit):
    """z_a − z_b + z_c (columns of the grid) drawn as the chosen digit, and as every digit."""
    seed = check_seed(seed)
    a, b, c = (number(f"Column {name}", v, 1, 12, integer=True) for name, v in (("A", a), ("B", b), ("C", c)))
    digit = number("Digit", digit, 0, 9, integer=True)
    four, every = cgan.label_arithmetic(load_cgan(), a - 1, b - 1, c - 1, digit, seed=seed, n_styles=12)
    caption = (f"Digit {digit} in the styles $z_{{{a}}}$, $z_{{{b}}}$, $z_{{{c}}}$, then "
               f"$z_{{{a}}} - z_{{{b}}} + z_{{{c}}}$; below it, that style as every digit 0 … 9.")
    return four, every, caption


def cgan_scores() -> str:
    """The card's per-digit accuracy and FLD, as a table."""
    try:
        overall, per = cgan.card_scores(load_cgan().card)
    except gr.Error as e:
        return str(e)
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    num = lambda v: "–" if v is None else f"{v:.1f}"  # noqa: E731
    head = "| digit asked for | " + " | ".join(str(r["digit"]) for r in per) + " |\n" + "|---" * (len(per) + 1) + "|\n"
    body = ("| classified as asked | " + " | ".join(pct(r["accuracy"]) for r in per) + " |\n"
            "| FLD vs that digit's test images | " + " | ".join(num(r["fld"]) for r in per) + " |\n"
            "| floor (real train vs test) | " + " | ".join(num(r["fld_floor"]) for r in per) + " |\n")
    n = overall["eval_samples"]
    return (f"**Measured** (from the checkpoint's card: {n:,} samples, labels cycling 0 … 9, classified by our MNIST "
            f"classifier): {pct(overall['accuracy'])} of the samples are the digit asked for (lowest digit "
            f"{pct(overall['min_class_accuracy'])}); FLD of all samples against the test set {num(overall['fld'])} "
            f"(floor {num(overall['fld_floor'])}). Per digit, FLD against that digit's test images (few images per "
            f"class, so the floors are high):\n\n" + head + body)


@functools.lru_cache(maxsize=1)
def load_generator() -> dcgan.Generator:
    return load_checkpoint(dcgan.load, "dcgan-mnist", "You can still train a DCGAN live below.").G_ema.eval()


def _generator(use_live: bool, run: dict | None) -> dcgan.Generator:
    if use_live:
        if not run or "model" not in run:
            raise gr.Error("You have no live-trained generator yet: train one below, or use the checkpoint.")
        return dcgan.frozen(run["model"])                  # G_ema, copied: training may still be running
    return load_generator()


def _source(use_live: bool, run: dict | None) -> str:
    """Which generator drew a picture, for its caption."""
    if not use_live:
        return "the checkpoint's G_ema"
    steps = run["losses"][-1]["step"] if run and run.get("losses") else 0
    return f"your live-trained G_ema after {steps} steps"


def sample_grid(seed, use_live: bool = False, run=None):
    """32 samples from a seed, as one 8 × 4 image; their z are kept so you can pick them."""
    seed = check_seed(seed)
    G = _generator(use_live, run)
    picture = dcgan.sample_grid(G, seed, GRID, GRID_COLUMNS, GRID_PAD, GRID_SCALE)
    caption = (f"**Samples $G(z)$, $z \\sim p_z$, seed {seed}**, drawn by {_source(use_live, run)}: "
               "click one to put it into the selected slot.")
    return picture, caption


def pick(slot: str, seed, index, slots: dict | None, use_live: bool = False, run=None):
    """Put sample ``index`` of the grid drawn from ``seed`` into ``slot``; the slots are drawn by the
    generator the grid shows (the checkpoint's or your live one)."""
    if slot not in SLOTS:
        raise gr.Error(f"Slot must be one of {', '.join(SLOTS)}; got {slot!r}.")
    seed = check_seed(seed)
    index = number("Sample index", index, 0, GRID - 1, integer=True)
    slots = copy.deepcopy(slots) if slots else {s: [] for s in SLOTS}
    if slot in slots.get("arrival", ()):                  # the first pick replaces the arrival's sample
        slots[slot], slots["arrival"] = [], [s for s in slots["arrival"] if s != slot]
    z = dcgan.latent(seed, index, GRID, dcgan.Config.nz)
    slots[slot] = (slots[slot] + [z])[-MAX_PER_SLOT[slot]:]
    # only this slot changed: the others keep their pictures (gr.skip() sends nothing for them)
    views = [gr.skip()] * len(SLOTS)
    views[SLOTS.index(slot)] = slot_view(_generator(use_live, run), slots[slot])
    return slots, *views


def clear(slots):
    slots = {s: [] for s in SLOTS}
    return slots, *slot_views(slots)


def slot_view(G: dcgan.Generator, zs: list):
    """One slot's picture: its samples in a row, as many columns as samples (up to 3), so one sample
    fills its box instead of a third of a strip; None for an empty slot."""
    return dcgan.decode_grid(G, zs, nrow=min(3, len(zs)), scale=3) if zs else None


def slot_views(slots: dict, use_live: bool = False, run=None) -> list:
    G = _generator(use_live, run) if any(slots.values()) else None
    return [slot_view(G, slots.get(s) or []) for s in SLOTS]


def show_generator(seed, slots, use_live: bool, run):
    """The grid and the slots again, drawn by the generator just chosen."""
    return *sample_grid(seed, use_live, run), *slot_views(slots or {s: [] for s in SLOTS}, use_live, run)


def compute(slots: dict | None, sigma, use_live: bool = False, run=None):
    """A − B + C and seven neighbours (small noise around the result)."""
    if not slots or not all(slots.get(s) for s in ("A", "B", "C")):
        raise gr.Error("Fill slots A, B and C first: click samples in the grid with each slot selected.")
    sigma = number("Neighbour noise σ", sigma, 0.0, 2.0)
    return dcgan.arithmetic_views(_generator(use_live, run), slots["A"], slots["B"], slots["C"], sigma)


def interpolation(slots: dict | None, mode: str, frames, use_live: bool = False, run=None):
    if not slots or not slots.get("start") or not slots.get("end"):
        raise gr.Error("Pick a start and an end sample first (select the slot, then click a sample).")
    if mode not in ("linear", "spherical"):
        raise gr.Error(f"Mode must be 'linear' or 'spherical'; got {mode!r}.")
    frames = number("Frames", frames, 3, 30, integer=True)
    imgs = dcgan.interpolation_frames(_generator(use_live, run), slots["start"][0], slots["end"][0], frames, mode)
    path = dcgan.write_gif(imgs, Path(tempfile.mkdtemp(prefix="genmodels-")) / f"interpolation-{mode}.gif")
    return dcgan.decode_strip(imgs, scale=2), str(path)


def _pace(step: int, total: int, seconds: float) -> str:
    """'step k / N · 12 s, about 30 s to go': this run's own pace, whatever the server's load."""
    text = f"step {step} / {total} · {seconds:.0f} s"
    if 0 < step < total:
        text += f", about {seconds / step * (total - step):.0f} s to go at this pace"
    return text


def _alarm(ratio: float, age: int, collapsed: bool) -> str:
    warm = age < dcgan.COLLAPSE_WARMUP
    cls = "bad" if collapsed else ("" if warm and ratio < dcgan.COLLAPSE_RATIO else "good")
    html = cards([("diversity of the fixed-noise samples / of real digits", f"{ratio:.2f}", cls)])
    if collapsed:
        html += ('<div class="gm-warning">⚠ Mode collapse: the samples look alike (diversity under '
                 f"{dcgan.COLLAPSE_RATIO} of real digits' at {dcgan.COLLAPSE_PATIENCE} checks in a row, after "
                 f"{dcgan.COLLAPSE_WARMUP} steps). G found a few outputs that fool D; lower the learning rate or "
                 "restart with another seed.</div>")
    elif warm:
        html += (f"<div>Warm-up (G has {age} of {dcgan.COLLAPSE_WARMUP} steps): samples start as one grey blur for "
                 "every z, so a low ratio now is not collapse and raises no alarm.</div>")
    return html


def train_stream(mode: str, steps, batch_size, seed, run: dict | None):
    """Live DCGAN training on the CPU: curves, the fixed-noise grid and a collapse alarm."""
    steps = number("Steps", steps, 10, MAX_TRAIN_STEPS, integer=True)
    batch_size = number("Batch size", batch_size, 8, MAX_BATCH, integer=True)
    seed = check_seed(seed)
    run = run if isinstance(run, dict) else {}
    if mode == "from scratch":
        model = None
    elif mode == "continue my run":
        if "model" not in run:
            raise gr.Error("Nothing to continue yet: start from scratch or from the checkpoint.")
        model = run["model"]
    elif mode == "continue the checkpoint":
        model = load_checkpoint(dcgan.load, "dcgan-mnist", "Start from scratch instead.")
    else:
        raise gr.Error(f"Mode must be {', '.join(repr(m) for m in MODES)}; got {mode!r}.")
    # ema_warmup: G_ema's decay follows G's age (its steps, the checkpoint's included), so the grid
    # shows what G has learnt rather than its initial weights.
    cfg = dcgan.Config(steps=steps, batch_size=batch_size, seed=seed, device="cpu", ema_warmup=True)
    losses, probs = run.setdefault("losses", []), run.setdefault("probs", [])
    checks = run.setdefault("diversity", {"age": [], "ratio": []})
    offset = losses[-1]["step"] if losses and mode == "continue my run" else 0
    if mode != "continue my run":
        for series in (losses, probs, checks["age"], checks["ratio"]):
            series.clear()
    every = max(5, steps // 60)
    t0 = time.perf_counter()
    for r in dcgan.train(cfg, model, seconds=RECORD_SECONDS, log_every=every, preview_every=every * 3):
        run["model"] = r.model                            # from the first record: Stop keeps it
        s = offset + r.step
        losses += [{"step": s, "loss": r.losses["loss_D"], "curve": "Loss_D"},
                   {"step": s, "loss": r.losses["loss_G"], "curve": "Loss_G"}]
        probs += [{"step": s, "probability": r.metrics["D(x)"], "curve": "D(x)"},
                  {"step": s, "probability": r.metrics["D(G(z))"], "curve": "D(G(z))"}]
        pic, alarm = gr.skip(), gr.skip()
        if r.preview:
            pic = r.preview.grid
            checks["age"].append(r.model.steps)
            checks["ratio"].append(r.preview.ratio)
            alarm = _alarm(r.preview.ratio, r.model.steps, dcgan.collapse_alarm(checks["age"], checks["ratio"]))
        status = _pace(r.step, steps, time.perf_counter() - t0) + (f" (step {s} of your run)" if offset else "")
        yield pd.DataFrame(losses), pd.DataFrame(probs), pic, alarm, status, run


def click_then_show(button: gr.Button, fn, inputs, outputs, api_name: str, show: str):
    """``button.click`` that, once ``fn`` succeeded, scrolls the page just enough to show ``show``
    (the element id of a result that may sit under the fold)."""
    js = f"() => document.getElementById({show!r})?.scrollIntoView({{block: 'nearest'}})"
    return button.click(fn, inputs, outputs, api_name=api_name, **LIGHT).success(None, js=js)


def _caption(text: str, **kw) -> gr.Markdown:
    """A caption above an image (an image's own label would cover its top row)."""
    return gr.Markdown(text, latex_delimiters=LATEX, elem_classes=["gm-caption"], **kw)


def _picture(elem_id: str, height=None, **kw) -> gr.Image:
    return gr.Image(show_label=False, interactive=False, buttons=[], height=height, elem_id=elem_id, **PIXELS, **kw)


def _digit_box(label: str, value: int, elem_id: str) -> gr.Number:
    """A whole number box; its range is checked by the handler (``number``), whose message names the field."""
    return gr.Number(value=value, precision=0, label=label, elem_id=elem_id, min_width=70)


def build_conditional() -> None:
    """The "choose the digit" section: the conditional GAN's style × content grid, label
    interpolation and arithmetic with the label held."""
    with gr.Accordion("Choose the digit (conditional GAN)", open=True, elem_id="cg-acc"):
        gr.Markdown(CGAN_INTRO, latex_delimiters=LATEX)
        try:
            init, init_caption = cgan_grid(0, 8)
            strip0, strip_caption0 = cgan_interpolate(3, 8, 1, 8, 0)
            four0, every0, arith_caption0 = cgan_arithmetic(0, 1, 2, 3, 7)
        except gr.Error as e:
            init, init_caption = "", str(e)
            strip0 = four0 = every0 = None
            strip_caption0 = arith_caption0 = ""
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=300):
                with gr.Row():
                    seed = seed_input("Seed of the styles z", elem_id="cg-seed", min_width=120)
                    styles = gr.Slider(2, 12, value=8, step=1, label="Styles (columns)", elem_id="cg-styles",
                                       min_width=160)
                grid_caption = _caption(init_caption, elem_id="cg-grid-caption")
                grid_html = gr.HTML(init, elem_id="cg-grid")
            with gr.Column(scale=6, min_width=300):
                gr.Markdown("**Interpolate the label at a fixed z**: the style $z_j$ of one column, the label "
                            "mixed from digit a to digit b (G takes any mix of one-hots).", latex_delimiters=LATEX)
                with gr.Row():
                    a = _digit_box("Digit a", 3, "cg-a")
                    b = _digit_box("Digit b", 8, "cg-b")
                    column = _digit_box("Style (column j)", 1, "cg-column")
                    frames = gr.Slider(3, 16, value=8, step=1, label="Frames", min_width=120)
                interp_btn = gr.Button("Interpolate the label a → b", elem_id="cg-interp-btn")
                interp_caption = _caption(strip_caption0, elem_id="cg-interp-caption")
                interp = _picture("cg-interp", value=strip0)
                gr.Markdown("**Arithmetic that knows the label**: with the digit held fixed, "
                            "$z_A - z_B + z_C$ moves style only (columns of the grid; e.g. A thick and slanted, "
                            "B thin and slanted, C thin and upright → thick and upright).", latex_delimiters=LATEX)
                with gr.Row():
                    col_a = _digit_box("Column A", 1, "cg-col-a")
                    col_b = _digit_box("Column B", 2, "cg-col-b")
                    col_c = _digit_box("Column C", 3, "cg-col-c")
                    digit = _digit_box("as digit", 7, "cg-digit")
                arith_btn = gr.Button("Compute A − B + C as that digit", elem_id="cg-arith-btn")
                arith_caption = _caption(arith_caption0, elem_id="cg-arith-caption")
                four = _picture("cg-arith", value=four0, height=110)
                every = _picture("cg-arith-all", value=every0)
        gr.Markdown(cgan_scores(), elem_id="cg-scores")

    light = LIGHT
    for trigger in (seed.change, styles.release):
        describe(grid_html, "Conditional GAN samples, one row per digit", state=grid_caption)  # text alternatives
        describe(interp, "Interpolation between two digit labels", state=interp_caption)
        describe(four, "Label arithmetic: the styles and the result", state=arith_caption)
        describe(every, "Label arithmetic in every style", state=arith_caption)
        trigger(cgan_grid, [seed, styles], [grid_html, grid_caption], api_name=False, **light)
    gr.Button(visible=False).click(cgan_grid, [seed, styles], [grid_html, grid_caption], api_name="cgan_grid", **light)
    interp_btn.click(cgan_interpolate, [a, b, column, frames, seed], [interp, interp_caption],
                     api_name="cgan_interpolate", **light)
    arith_btn.click(cgan_arithmetic, [seed, col_a, col_b, col_c, digit], [four, every, arith_caption],
                    api_name="cgan_arithmetic", **light)


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    slots = gr.State(None)
    run = gr.State({})
    try:
        init, init_caption = sample_grid(0)
        # on arrival the slots, the arithmetic and the interpolation are filled from seed 0's grid
        arrival = {s: [dcgan.latent(0, i, GRID, dcgan.Config.nz)] for s, i in zip(SLOTS, ARRIVAL_PICKS)}
        arrival["arrival"] = list(SLOTS)
        init_views = slot_views(arrival)
        init_means, init_result = compute(arrival, 0.25)
        init_strip, init_gif = interpolation(arrival, "spherical", 10)
        slots.value = arrival
    except gr.Error as e:
        init, init_caption = None, str(e)
        init_views, init_means, init_result, init_strip, init_gif = [None] * len(SLOTS), None, None, None, None
    with gr.Row():
        seed = seed_input("Seed of the sample grid", elem_id="dc-seed", min_width=120, scale=1)
        link(seed, 'seed')
        use_live = gr.Radio([("the checkpoint", False), ("my live-trained generator", True)], value=False,
                            label="Generator", elem_id="dc-generator", min_width=240, scale=2)
        slot = gr.Radio(list(SLOTS), value="A", label="Clicking a sample puts it into slot…", elem_id="dc-slot",
                        min_width=300, scale=3)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=300):
            grid_caption = _caption(init_caption, elem_id="dc-grid-caption")
            sample_img = _picture("dc-grid", value=init)
        with gr.Column(scale=6, min_width=300):
            with gr.Row():
                views = []
                for s in SLOTS:
                    with gr.Column(min_width=56):
                        _caption(f"**{s}**" + (" (≤ 3, averaged)" if MAX_PER_SLOT[s] > 1 else ""))
                        views.append(describe(_picture(f"dc-slot-{s}", height=84, value=init_views[len(views)]),
                                              SLOT_ALT[s]))
            with gr.Row():
                sigma = gr.Slider(0, 1, value=0.25, step=0.05, label="Neighbour noise σ", min_width=160,
                                  elem_classes="gm-advanced")
                compute_btn = gr.Button("Compute A − B + C", variant="primary", elem_id="dc-compute", min_width=120)
                clear_btn = gr.Button("Clear the slots", min_width=100)
            if init_means is not None:
                _caption(ARRIVAL_CAPTION, elem_id="dc-arrival-caption")
            with gr.Row():
                with gr.Column(scale=1, min_width=120):
                    _caption("means of A, B, C → A − B + C")
                    means = _picture("dc-means", height=110, value=init_means)
                with gr.Column(scale=2, min_width=200):
                    _caption("A − B + C and seven neighbours (noise σ)")
                    result = _picture("dc-result", height=110, value=init_result)
            with gr.Row():
                mode = gr.Radio(["linear", "spherical"], value="spherical", label="Interpolation", min_width=200)
                link(mode, 'interp')
                frames = gr.Slider(3, 30, value=10, step=1, label="Frames", min_width=120, elem_classes="gm-advanced")
                link(frames, 'frames')
                interp_btn = gr.Button("Interpolate start → end", elem_id="dc-interp", min_width=120)
            with gr.Row():
                with gr.Column(scale=3, min_width=200):
                    _caption("the interpolation, start → end")
                    strip = _picture("dc-strip", height=90, value=init_strip)
                with gr.Column(scale=1, min_width=100):
                    _caption("as a GIF (there and back)")
                    gif = gr.Image(type="filepath", show_label=False, interactive=False, buttons=["download"],
                                   height=90, elem_id="dc-gif", value=init_gif)

    build_conditional()

    acc, panel = training_panel("dc", "Training monitor: train a DCGAN live (CPU)",
                                (10, MAX_TRAIN_STEPS, TRAIN_STEPS, 10), modes=MODES)
    with acc:
        gr.Markdown(LOSSES, latex_delimiters=LATEX)
        acc.children.insert(0, acc.children.pop())       # the losses above the controls, as before
        gr.Markdown(HEALTH, latex_delimiters=LATEX)
    with panel.controls:
        t_batch = gr.Slider(8, MAX_BATCH, value=TRAIN_BATCH, step=8, label="Batch size", elem_id="dc-t-batch")
    left = panel.status.parent
    with left:
        t_alarm = gr.HTML("", elem_id="dc-alarm")
        t_time = gr.Markdown(TRAIN_TIME, elem_id="dc-t-time")
    # the pace note above Train / Stop, as before the shared panel (a block moved within its own
    # column; moving form fields between Gradio's Form groups leaves orphans the page waits for)
    left.children.remove(t_time)
    left.children.insert(left.children.index(panel.steps.parent) + 1, t_time)
    with panel.plots:
        with gr.Row():
            t_loss = gr.LinePlot(x="step", y="loss", color="curve", title="Loss_D and Loss_G")
            t_prob = gr.LinePlot(x="step", y="probability", color="curve", title="D(x) and D(G(z))", y_lim=[0, 1])
        _caption("the same 64 z, as training goes on (G_ema): samples of this run's $p_{\\text{model}}$")
        t_grid = _picture("dc-t-grid")

    light = {"queue": False, "show_progress": "hidden"}     # a few ms each: no queue, no progress bar
    describe(sample_img, "DCGAN samples G(z), 64 digits", state=grid_caption)     # text alternatives (issue 18)
    seed.change(sample_grid, [seed, use_live, run], [sample_img, grid_caption], api_name="dcgan_grid", **light)
    use_live.change(show_generator, [seed, slots, use_live, run], [sample_img, grid_caption, *views], api_name=False,
                    **light)

    def on_select(slot, seed, slots, use_live, run, evt: gr.SelectData):
        return pick(slot, seed, grid_cell(*evt.index, GRID, GRID_COLUMNS, GRID_PAD, GRID_SCALE), slots, use_live, run)

    sample_img.select(on_select, [slot, seed, slots, use_live, run], [slots, *views], api_name=False, **light)
    idx = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(pick, [slot, seed, idx, slots, use_live, run], [slots, *views],
                                   api_name="dcgan_pick", **light)
    clear_btn.click(clear, [slots], [slots, *views], api_name="dcgan_clear", **light)
    click_then_show(compute_btn, compute, [slots, sigma, use_live, run], [means, result], "dcgan_compute", "dc-result")
    click_then_show(interp_btn, interpolation, [slots, mode, frames, use_live, run], [strip, gif], "dcgan_interpolate",
                    "dc-gif")
    panel.wire(train_stream, [panel.mode, panel.steps, t_batch, panel.seed, run],
               [t_loss, t_prob, t_grid, t_alarm, panel.status, run], "dcgan_train")
    from .failures import gallery; gallery("dcgan")   # noqa: E702 (the failure gallery, one line)
