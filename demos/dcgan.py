"""DCGAN tab: latent vector arithmetic, interpolation and a training monitor (seed deck 001).

A thin adapter: widgets -> genmodels.dcgan (sample, arithmetic, interpolate, train) -> images and plots.
"""
from __future__ import annotations

import copy
import functools
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image

from genmodels import dcgan
from genmodels.common import grid, seeded

from .common import RECORD_SECONDS, cards, load_checkpoint, long_job, number

GRID = 32
SLOTS = ("A", "B", "C", "start", "end")
MAX_PER_SLOT = {"A": 3, "B": 3, "C": 3, "start": 1, "end": 1}
MAX_TRAIN_STEPS = 3000
MAX_BATCH = 128         # one step at batch 128 takes about half a second on 2 cores: Stop stays prompt
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

INTRO = r"""
### DCGAN: arithmetic on the noise vectors
A deep convolutional GAN (Radford et al.) turns $z \sim \mathcal N(0, I)$ with 100 numbers into a 28×28 digit,
$x = G(z)$. Directions in $z$-space carry meaning, so vectors can be added: **pick samples** into slots A, B and C
(up to three each; their $z$ are averaged, as in the paper) and compute $z = \bar z_A - \bar z_B + \bar z_C$,
e.g. *thick 7* − *thin 7* + *thin 1* ≈ *thick 1*. Or walk between two samples.
"""


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


def _thumbs(x: torch.Tensor) -> list[np.ndarray]:
    return [(t.numpy() * 255).round().astype(np.uint8).repeat(3, 0).repeat(3, 1) for t in x]


def sample_grid(seed, use_live: bool = False, run=None):
    """32 samples from a seed; their z are kept so you can pick them."""
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    G = _generator(use_live, run)
    return _thumbs(dcgan.generate(G, dcgan.noise(GRID, G.nz, seed)))


def pick(slot: str, seed, index, slots: dict | None):
    """Put sample ``index`` of the grid drawn from ``seed`` into ``slot``."""
    if slot not in SLOTS:
        raise gr.Error(f"Slot must be one of {', '.join(SLOTS)}; got {slot!r}.")
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    index = number("Sample index", index, 0, GRID - 1, integer=True)
    slots = copy.deepcopy(slots) if slots else {s: [] for s in SLOTS}
    z = dcgan.noise(GRID, dcgan.Config.nz, seed)[index].tolist()
    slots[slot] = (slots[slot] + [z])[-MAX_PER_SLOT[slot]:]
    return slots, *slot_views(slots)


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


def train_stream(mode: str, steps, batch_size, seed, run: dict | None):
    """Live DCGAN training on the CPU: curves, the fixed-noise grid and a collapse alarm."""
    steps = number("Steps", steps, 10, MAX_TRAIN_STEPS, integer=True)
    batch_size = number("Batch size", batch_size, 8, MAX_BATCH, integer=True)
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    run = run if isinstance(run, dict) else {}
    if mode == "from scratch":
        networks = None
    elif mode == "continue my run":
        if "nets" not in run:
            raise gr.Error("Nothing to continue yet: start from scratch or from the checkpoint.")
        networks = run["nets"]
    elif mode == "continue the checkpoint":
        G, D, G_ema, _ = load_checkpoint(lambda p: dcgan.load(p, with_ema=True), "dcgan-mnist",
                                         "Start from scratch instead.")
        networks = (G, D, G_ema)
    else:
        raise gr.Error(f"Mode must be 'from scratch', 'continue my run' or 'continue the checkpoint'; got {mode!r}.")
    cfg = dcgan.Config(steps=steps, batch_size=batch_size, seed=seed, device="cpu")
    if networks is None:                                  # build here so Stop leaves them in `run`
        networks = (*dcgan.build(cfg, seeded(seed)), None)
    if networks[2] is None:
        networks = (networks[0], networks[1], copy.deepcopy(networks[0]))
    run["nets"] = networks
    losses, probs = run.setdefault("losses", []), run.setdefault("probs", [])
    offset = losses[-1]["step"] if losses and mode == "continue my run" else 0
    if mode != "continue my run":
        losses.clear()
        probs.clear()
    every = max(5, steps // 60)
    for r in dcgan.train(cfg, networks=networks, log_every=every, preview_every=every * 3, log_seconds=RECORD_SECONDS):
        s = offset + r.step
        losses += [{"step": s, "loss": r.losses["Loss_D"], "curve": "Loss_D"},
                   {"step": s, "loss": r.losses["Loss_G"], "curve": "Loss_G"}]
        probs += [{"step": s, "probability": r.metrics["D(x)"], "curve": "D(x)"},
                  {"step": s, "probability": r.metrics["D(G(z))"], "curve": "D(G(z))"}]
        pic, alarm = gr.skip(), gr.skip()
        if r.preview:
            pic = r.preview["grid"].repeat(2, 0).repeat(2, 1)
            ratio = r.preview["diversity"] / r.preview["real_diversity"]
            alarm = cards([("diversity of the fixed-noise samples / of real digits", f"{ratio:.2f}",
                            "bad" if r.preview["collapse"] else "good")])
            if r.preview["collapse"]:
                alarm += ('<div class="gm-warning">⚠ Mode collapse: the samples look alike (diversity under half '
                          "of real digits'). G found one output that fools D; lower the learning rate or restart.</div>")
        yield pd.DataFrame(losses), pd.DataFrame(probs), pic, alarm, f"step {s}", run


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    slots = gr.State(None)
    run = gr.State({})
    with gr.Row():
        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed of the sample grid", elem_id="dc-seed")
        use_live = gr.Radio([("the checkpoint", False), ("my live-trained generator", True)], value=False,
                            label="Generator")
        slot = gr.Radio(list(SLOTS), value="A", label="Clicking a sample puts it into slot…", elem_id="dc-slot")
    try:
        init = sample_grid(0)
    except gr.Error:
        init = None
    gallery = gr.Gallery(init, label="Samples G(z): click to pick", columns=8, height=420, allow_preview=False,
                         object_fit="contain", elem_id="dc-gallery")
    with gr.Row():
        views = [gr.Image(label=f"slot {s}" + (" (up to 3, averaged)" if MAX_PER_SLOT[s] > 1 else ""), height=120,
                          elem_id=f"dc-slot-{s}") for s in SLOTS]
    with gr.Row():
        clear_btn = gr.Button("Clear the slots")
        sigma = gr.Slider(0, 1, value=0.25, step=0.05, label="Neighbour noise σ")
        compute_btn = gr.Button("Compute A − B + C", variant="primary", elem_id="dc-compute")
    with gr.Row():
        means = gr.Image(label="mean A, mean B, mean C, and A − B + C", elem_id="dc-means", height=140)
        result = gr.Image(label="A − B + C and seven neighbours", elem_id="dc-result", height=140)
    with gr.Row():
        mode = gr.Radio(["linear", "spherical"], value="spherical", label="Interpolation")
        frames = gr.Slider(3, 30, value=10, step=1, label="Frames")
        interp_btn = gr.Button("Interpolate start → end", elem_id="dc-interp")
    strip = gr.Image(label="interpolation", elem_id="dc-strip", height=100)
    gif = gr.File(label="the interpolation as a GIF", elem_id="dc-gif")

    with gr.Accordion("Training monitor: train a DCGAN live (CPU)", open=False):
        with gr.Row():
            with gr.Column(min_width=260):
                t_mode = gr.Radio(["from scratch", "continue my run", "continue the checkpoint"], value="from scratch",
                                  label="Start")
                t_steps = gr.Slider(10, MAX_TRAIN_STEPS, value=300, step=10, label="Steps")
                t_batch = gr.Slider(8, MAX_BATCH, value=64, step=8, label="Batch size")
                t_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
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
                t_grid = gr.Image(label="the same 64 z, as training goes on (G_ema)", elem_id="dc-t-grid")

    light = {"concurrency_id": "dcgan_light", "concurrency_limit": 8}
    seed.change(sample_grid, [seed, use_live, run], [gallery], api_name="dcgan_grid", **light)
    use_live.change(sample_grid, [seed, use_live, run], [gallery], api_name=False, **light)

    def on_select(slot, seed, slots, evt: gr.SelectData):
        return pick(slot, seed, evt.index, slots)

    gallery.select(on_select, [slot, seed, slots], [slots, *views], api_name=False, **light)
    idx = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(pick, [slot, seed, idx, slots], [slots, *views], api_name="dcgan_pick", **light)
    clear_btn.click(clear, [slots], [slots, *views], api_name="dcgan_clear", **light)
    compute_btn.click(compute, [slots, sigma, use_live, run], [means, result], api_name="dcgan_compute", **light)
    interp_btn.click(interpolation, [slots, mode, frames, use_live, run], [strip, gif], api_name="dcgan_interpolate",
                     **light)
    long_job(t_btn, train_stream, [t_mode, t_steps, t_batch, t_seed, run],
             [t_loss, t_prob, t_grid, t_alarm, t_status, run], "dcgan_train", stop=t_stop, status=t_status)
