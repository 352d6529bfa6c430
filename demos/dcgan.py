"""DCGAN tab: latent vector arithmetic, interpolation and a training monitor (seed deck 001).

A thin adapter: widgets -> genmodels.dcgan (sample, arithmetic, interpolate, train) -> images and plots.
"""
from __future__ import annotations

import copy
import functools
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image

from genmodels import dcgan
from genmodels.common import grid, grid_cell, seeded

from .common import RECORD_SECONDS, cards, load_checkpoint, long_job, number

GRID = 32
GRID_COLUMNS, GRID_PAD, GRID_SCALE = 8, 2, 3     # the sample grid: one image, 8 × 4 digits
SLOTS = ("A", "B", "C", "start", "end")
MAX_PER_SLOT = {"A": 3, "B": 3, "C": 3, "start": 1, "end": 1}
MAX_TRAIN_STEPS = 3000
MAX_BATCH = 128         # one step at batch 128 takes about half a second on 2 cores: Stop stays prompt
TRAIN_STEPS, TRAIN_BATCH = 300, 16          # the live run's defaults: see TRAIN_TIME
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

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

@functools.lru_cache(maxsize=1)
def load_generator() -> dcgan.Generator:
    return load_checkpoint(dcgan.load, "dcgan-mnist", "You can still train a DCGAN live below.")[0].eval()


def _generator(use_live: bool, run: dict | None) -> dcgan.Generator:
    if use_live:
        if not run or "nets" not in run:
            raise gr.Error("You have no live-trained generator yet: train one below, or use the checkpoint.")
        return copy.deepcopy(run["nets"][2]).eval()      # G_ema, copied: training may still be running
    return load_generator()


def _big(x: torch.Tensor, nrow: int, scale: int = 3) -> np.ndarray:
    return grid(x, nrow=nrow, pad=2, scale=scale)


def _source(use_live: bool, run: dict | None) -> str:
    """Which generator drew a picture, for its caption."""
    if not use_live:
        return "the checkpoint's G_ema"
    steps = run["losses"][-1]["step"] if run and run.get("losses") else 0
    return f"your live-trained G_ema after {steps} steps"


def sample_grid(seed, use_live: bool = False, run=None):
    """32 samples from a seed, as one 8 × 4 image; their z are kept so you can pick them."""
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    G = _generator(use_live, run)
    imgs = dcgan.generate(G, dcgan.noise(GRID, G.nz, seed))
    caption = (f"**Samples $G(z)$, $z \sim p_z$, seed {seed}**, drawn by {_source(use_live, run)}: "
               "click one to put it into the selected slot.")
    return grid(imgs, nrow=GRID_COLUMNS, pad=GRID_PAD, scale=GRID_SCALE), caption


def pick(slot: str, seed, index, slots: dict | None, use_live: bool = False, run=None):
    """Put sample ``index`` of the grid drawn from ``seed`` into ``slot``; the slots are drawn by the
    generator the grid shows (the checkpoint's or your live one)."""
    if slot not in SLOTS:
        raise gr.Error(f"Slot must be one of {', '.join(SLOTS)}; got {slot!r}.")
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    index = number("Sample index", index, 0, GRID - 1, integer=True)
    slots = copy.deepcopy(slots) if slots else {s: [] for s in SLOTS}
    z = dcgan.noise(GRID, dcgan.Config.nz, seed)[index].tolist()
    slots[slot] = (slots[slot] + [z])[-MAX_PER_SLOT[slot]:]
    return slots, *slot_views(slots, use_live, run)


def clear(slots):
    slots = {s: [] for s in SLOTS}
    return slots, *slot_views(slots)


def slot_views(slots: dict, use_live: bool = False, run=None) -> list:
    G = _generator(use_live, run) if any(slots.values()) else None
    out = []
    for s in SLOTS:
        zs = slots.get(s, [])
        out.append(_big(dcgan.generate(G, torch.tensor(zs)), nrow=3) if zs else None)
    return out


def show_generator(seed, slots, use_live: bool, run):
    """The grid and the slots again, drawn by the generator just chosen."""
    return *sample_grid(seed, use_live, run), *slot_views(slots or {s: [] for s in SLOTS}, use_live, run)


def compute(slots: dict | None, sigma, use_live: bool = False, run=None):
    """A − B + C and seven neighbours (small noise around the result)."""
    if not slots or not all(slots.get(s) for s in ("A", "B", "C")):
        raise gr.Error("Fill slots A, B and C first: click samples in the grid with each slot selected.")
    sigma = number("Neighbour noise σ", sigma, 0.0, 2.0)
    G = _generator(use_live, run)
    A, B, C = (torch.tensor(slots[s]) for s in ("A", "B", "C"))
    z = dcgan.arithmetic(A, B, C)
    imgs = dcgan.generate(G, dcgan.neighbours(z, 8, sigma))
    means = dcgan.generate(G, torch.stack([A.mean(0), B.mean(0), C.mean(0), z]))
    return _big(means, nrow=4, scale=4), _big(imgs, nrow=8)


def interpolation(slots: dict | None, mode: str, frames, use_live: bool = False, run=None):
    if not slots or not slots.get("start") or not slots.get("end"):
        raise gr.Error("Pick a start and an end sample first (select the slot, then click a sample).")
    if mode not in ("linear", "spherical"):
        raise gr.Error(f"Mode must be 'linear' or 'spherical'; got {mode!r}.")
    frames = number("Frames", frames, 3, 30, integer=True)
    G = _generator(use_live, run)
    zs = dcgan.interpolate(torch.tensor(slots["start"][0]), torch.tensor(slots["end"][0]), frames, mode)
    imgs = dcgan.generate(G, zs)
    path = Path(tempfile.mkdtemp(prefix="genmodels-")) / f"interpolation-{mode}.gif"
    pics = [Image.fromarray((im.numpy() * 255).round().astype(np.uint8)).resize((168, 168), Image.NEAREST)
            for im in imgs]
    pics[0].save(path, save_all=True, append_images=pics[1:] + pics[::-1], duration=90, loop=0)
    return _big(imgs, nrow=frames, scale=2), str(path)


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
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    run = run if isinstance(run, dict) else {}
    age = 0                                               # G's optimizer steps before this run
    if mode == "from scratch":
        networks = None
    elif mode == "continue my run":
        if "nets" not in run:
            raise gr.Error("Nothing to continue yet: start from scratch or from the checkpoint.")
        networks = run["nets"]
    elif mode == "continue the checkpoint":
        G, D, G_ema, card = load_checkpoint(lambda p: dcgan.load(p, with_ema=True), "dcgan-mnist",
                                            "Start from scratch instead.")
        networks = (G, D, G_ema)
        age = int(card.get("steps_total", card.get("steps", 0)))
    else:
        raise gr.Error(f"Mode must be 'from scratch', 'continue my run' or 'continue the checkpoint'; got {mode!r}.")
    cfg = dcgan.Config(steps=steps, batch_size=batch_size, seed=seed, device="cpu")
    if networks is None:                                  # build here so Stop leaves them in `run`
        networks = (*dcgan.build(cfg, seeded(seed)), None)
    if networks[2] is None:
        networks = (networks[0], networks[1], copy.deepcopy(networks[0]))
    run["nets"] = networks
    losses, probs = run.setdefault("losses", []), run.setdefault("probs", [])
    checks = run.setdefault("diversity", {"age": [], "ratio": []})
    offset = losses[-1]["step"] if losses and mode == "continue my run" else 0
    if mode == "continue my run":
        age = run.get("age", 0)
    else:
        losses.clear()
        probs.clear()
        checks["age"].clear()
        checks["ratio"].clear()
        run["age"] = age
    every = max(5, steps // 60)
    t0 = time.perf_counter()
    for r in dcgan.train(cfg, networks=networks, log_every=every, preview_every=every * 3, log_seconds=RECORD_SECONDS,
                         ema_age=age + offset):
        s = offset + r.step
        losses += [{"step": s, "loss": r.losses["Loss_D"], "curve": "Loss_D"},
                   {"step": s, "loss": r.losses["Loss_G"], "curve": "Loss_G"}]
        probs += [{"step": s, "probability": r.metrics["D(x)"], "curve": "D(x)"},
                  {"step": s, "probability": r.metrics["D(G(z))"], "curve": "D(G(z))"}]
        pic, alarm = gr.skip(), gr.skip()
        if r.preview:
            pic = r.preview["grid"].repeat(2, 0).repeat(2, 1)
            ratio = r.preview["diversity"] / r.preview["real_diversity"]
            checks["age"].append(age + s)
            checks["ratio"].append(ratio)
            alarm = _alarm(ratio, age + s, dcgan.collapse_alarm(checks["age"], checks["ratio"]))
        status = _pace(r.step, steps, time.perf_counter() - t0) + (f" (step {s} of your run)" if offset else "")
        yield pd.DataFrame(losses), pd.DataFrame(probs), pic, alarm, status, run


def scroll_to(elem_id: str) -> str:
    """Browser code that scrolls the page just enough to show a result under its button."""
    return f"() => document.getElementById({elem_id!r})?.scrollIntoView({{block: 'nearest'}})"


def _caption(text: str, **kw) -> gr.Markdown:
    """A caption above an image (an image's own label would cover its top row)."""
    return gr.Markdown(text, latex_delimiters=LATEX, elem_classes=["gm-caption"], **kw)


def _picture(elem_id: str, height=None, **kw) -> gr.Image:
    return gr.Image(show_label=False, interactive=False, buttons=[], height=height, elem_id=elem_id, **kw)


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    slots = gr.State(None)
    run = gr.State({})
    try:
        init, init_caption = sample_grid(0)
    except gr.Error as e:
        init, init_caption = None, str(e)
    with gr.Row():
        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed of the sample grid", elem_id="dc-seed",
                         min_width=120, scale=1)
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
                        views.append(_picture(f"dc-slot-{s}", height=84))
            with gr.Row():
                sigma = gr.Slider(0, 1, value=0.25, step=0.05, label="Neighbour noise σ", min_width=160)
                compute_btn = gr.Button("Compute A − B + C", variant="primary", elem_id="dc-compute", min_width=120)
                clear_btn = gr.Button("Clear the slots", min_width=100)
            with gr.Row():
                with gr.Column(scale=1, min_width=120):
                    _caption("means of A, B, C → A − B + C")
                    means = _picture("dc-means", height=110)
                with gr.Column(scale=2, min_width=200):
                    _caption("A − B + C and seven neighbours (noise σ)")
                    result = _picture("dc-result", height=110)
            with gr.Row():
                mode = gr.Radio(["linear", "spherical"], value="spherical", label="Interpolation", min_width=200)
                frames = gr.Slider(3, 30, value=10, step=1, label="Frames", min_width=120)
                interp_btn = gr.Button("Interpolate start → end", elem_id="dc-interp", min_width=120)
            with gr.Row():
                with gr.Column(scale=3, min_width=200):
                    _caption("the interpolation, start → end")
                    strip = _picture("dc-strip", height=90)
                with gr.Column(scale=1, min_width=100):
                    _caption("as a GIF (there and back)")
                    gif = gr.Image(type="filepath", show_label=False, interactive=False, buttons=["download"],
                                   height=90, elem_id="dc-gif")

    with gr.Accordion("Training monitor: train a DCGAN live (CPU)", open=False, elem_id="dc-train-acc"):
        gr.Markdown(LOSSES, latex_delimiters=LATEX)
        with gr.Row():
            with gr.Column(min_width=260):
                t_mode = gr.Radio(["from scratch", "continue my run", "continue the checkpoint"], value="from scratch",
                                  label="Start", elem_id="dc-t-mode")
                t_steps = gr.Slider(10, MAX_TRAIN_STEPS, value=TRAIN_STEPS, step=10, label="Steps", elem_id="dc-t-steps")
                t_batch = gr.Slider(8, MAX_BATCH, value=TRAIN_BATCH, step=8, label="Batch size", elem_id="dc-t-batch")
                t_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
                gr.Markdown(TRAIN_TIME, elem_id="dc-t-time")
                with gr.Row():
                    t_btn = gr.Button("Train", variant="primary", elem_id="dc-train")
                    t_stop = gr.Button("Stop", variant="stop", elem_id="dc-stop")
                t_status = gr.Markdown("", elem_id="dc-status")
                t_alarm = gr.HTML("", elem_id="dc-alarm")
            with gr.Column(scale=2):
                with gr.Row():
                    t_loss = gr.LinePlot(x="step", y="loss", color="curve", title="Loss_D and Loss_G")
                    t_prob = gr.LinePlot(x="step", y="probability", color="curve", title="D(x) and D(G(z))",
                                         y_lim=[0, 1])
                _caption("the same 64 z, as training goes on (G_ema): samples of this run's $p_{\\text{model}}$")
                t_grid = _picture("dc-t-grid")
        gr.Markdown(HEALTH, latex_delimiters=LATEX)

    light = {"concurrency_id": "dcgan_light", "concurrency_limit": 8}
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
    compute_btn.click(compute, [slots, sigma, use_live, run], [means, result], api_name="dcgan_compute",
                      **light).success(None, js=scroll_to("dc-result"))
    interp_btn.click(interpolation, [slots, mode, frames, use_live, run], [strip, gif], api_name="dcgan_interpolate",
                     **light).success(None, js=scroll_to("dc-gif"))
    long_job(t_btn, train_stream, [t_mode, t_steps, t_batch, t_seed, run],
             [t_loss, t_prob, t_grid, t_alarm, t_status, run], "dcgan_train", stop=t_stop, status=t_status)
