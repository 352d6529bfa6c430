"""Coin-flip GAN tab: watch a GAN learn a biased coin (seed deck 000).

A thin adapter: widgets -> genmodels.coin_gan.train(...) -> plots and cards.
"""
from __future__ import annotations

import html
import time

import gradio as gr
import pandas as pd

from genmodels import coin_gan

from .common import FRAMES_PER_SECOND, cards, long_job, number

LIMITS = {  # server-side caps, enforced for API callers too
    "p_heads": (0.01, 0.99),
    "real_flips": (1, 4096),
    "steps": (10, 5000),
    "lr": (1e-5, 0.05),
    "batch_size": (1, 4096),
    "seed": (0, 2**31 - 1),
}

INTRO = r"""
### A GAN that learns a biased coin
Nature flips a coin with $p(x{=}H)=p$; the model only ever sees real flips $x \sim p(x)$ (H = 1, T = 0).
The generator turns noise into a number, $x = G(z;\theta_G)$ with $z \sim \mathcal N(0,1)$, read as **H** when $G(z) > 0.5$.
The discriminator $D(x;\theta_D)$ says how likely $x$ is real. With $l$ the binary cross-entropy:

$$\text{train } D:\ \min_{\theta_D} \sum_{x_i\in R} l(D(x_i),1) + \sum_{z_j\sim N} l(D(G(z_j)),0) \qquad
\text{train } G:\ \min_{\theta_G} \sum_{z_j\sim N} l(D(G(z_j)),1)$$
"""

EXPLAIN = """
**What to look for.** The *raw output* histogram shows $G(z)$ before rounding: a good generator puts a
fraction $p$ of its mass near 1 and the rest near 0. The *z → G(z)* curve becomes a step: every $z$ above
a threshold gives heads. *D(x)* flattens towards 0.5 as the fakes become indistinguishable.

**Differences from the seed notebook** (untick them to see why they matter): the notebook trains on one
fixed sample of 1024 flips, so it learns *that sample's* heads fraction (±0.014 around p); here fresh flips
arrive every step. And D sees the *fraction of heads in each batch* (minibatch discrimination), which
stops the generator collapsing to all-heads or all-tails.
"""


def _cfg(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, minibatch) -> coin_gan.Config:
    lo_hi = LIMITS
    return coin_gan.Config(
        p_heads=number("Target P(heads)", p, *lo_hi["p_heads"]),
        real_flips=number("Real flips per step", real_flips, *lo_hi["real_flips"], integer=True),
        steps=number("Steps", steps, *lo_hi["steps"], integer=True),
        lr_d=number("Learning rate of D", lr_d, *lo_hi["lr"]),
        lr_g=number("Learning rate of G", lr_g, *lo_hi["lr"]),
        batch_size=number("Batch size (generated flips per step)", batch_size, *lo_hi["batch_size"], integer=True),
        seed=number("Seed", seed, *lo_hi["seed"], integer=True),
        dataset_size=1024 if bool(fixed_sample) else 0,
        minibatch_mean=bool(minibatch),
    )


def _cards(m: dict | None, target: float) -> str:
    if m is None:
        return cards([("target P(H)", f"{target:.3f}", ""), ("empirical P(H)", "–", ""),
                      ("generated P(H)", "–", ""), ("gap", "–", "")])
    gap = m["gap"]
    return cards([
        ("target P(H)", f"{m['target_p_heads']:.3f}", ""),
        ("empirical P(H) of real flips seen", f"{m['empirical_p_heads']:.3f}", ""),
        ("generated P(H)", f"{m['generated_p_heads']:.3f}", ""),
        ("gap |generated − target|", f"{gap:.3f}", "good" if gap <= 0.02 else "bad"),
    ])


def _status(pv: dict | None, step: int, total: int) -> str:
    if pv and pv.get("collapse"):
        return (f'<div class="gm-warning">⚠ Mode collapse at step {step}: the generator says '
                f'<b>{pv["collapse"]}</b>. D can no longer teach it the right mix.</div>')
    if step == 0:
        return '<div class="gm-ok">Press <b>Train</b> to start.</div>'
    return f'<div class="gm-ok">step {step} / {total}</div>'


def _frames(history: list[dict], pv: dict, p: float):
    losses = pd.DataFrame(
        [{"step": h["step"], "loss": h["loss_D"], "network": "D"} for h in history]
        + [{"step": h["step"], "loss": h["loss_G"], "network": "G"} for h in history]
    )
    p_curve = pd.DataFrame(
        [{"step": h["step"], "P(H)": h["generated_p_heads"], "series": "generated"} for h in history]
        + [{"step": h["step"], "P(H)": p, "series": "target"} for h in history]
    )
    gen = history[-1]["generated_p_heads"]
    emp = history[-1]["empirical_p_heads"]
    bars = pd.DataFrame({
        "flip": BAR_ORDER,
        "probability": [emp, gen, 1 - emp, 1 - gen],
        "source": ["real", "generated", "real", "generated"],
    })
    raw = pd.DataFrame({"G(z)": _bin_labels(pv["raw_hist"]),
                        "share": [c / max(1.0, sum(pv["raw_counts"])) for c in pv["raw_counts"]]})
    gz = pd.DataFrame({"z": pv["z"], "G(z)": pv["G_z"]})
    dx = pd.DataFrame({"x": pv["x"], "D(x)": pv["D_x"]})
    strip = f'<div class="gm-strip">{html.escape(pv["strip"])}</div>'
    return bars, raw, losses, p_curve, gz, dx, strip


BAR_ORDER = ["H real", "H generated", "T real", "T generated"]


def _bin_labels(centres: list[float]) -> list[str]:
    return [f"{c:.1f}" for c in centres]


def train_stream(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, minibatch):
    """Stream the training run: yields (cards, status, bars, raw, losses, P(H), G(z), D(x), strip)."""
    cfg = _cfg(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, minibatch)
    history: list[dict] = []
    log_every = max(5, cfg.steps // 100)
    shown = 0.0
    for r in coin_gan.train(cfg, log_every=log_every):
        history.append({"step": r.step, **r.losses, **r.metrics})
        # A run can make 100 records a second; redraw at most FRAMES_PER_SECOND times (every
        # record still lands in the curves), which spares the server and the browser.
        if r.done or time.perf_counter() - shown >= 1 / FRAMES_PER_SECOND:
            shown = time.perf_counter()
            yield (_cards(r.metrics, cfg.p_heads), _status(r.preview, r.step, cfg.steps),
                   *_frames(history, r.preview, cfg.p_heads))


def reset(p):
    p = number("Target P(heads)", p, *LIMITS["p_heads"])
    empty = pd.DataFrame()
    return (_cards(None, p), _status(None, 0, 0), empty, empty, empty, empty, empty, empty, "")


def build() -> None:
    """Lay out the tab inside the current gr.Blocks."""
    gr.Markdown(INTRO, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                         {"left": "$", "right": "$", "display": False}])
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            p = gr.Slider(0.01, 0.99, value=0.3, step=0.01, label="Target P(heads)  p", elem_id="coin-p")
            steps = gr.Slider(10, 5000, value=coin_gan.Config.steps, step=10, label="Steps (one D + one G update each)")
            real_flips = gr.Slider(1, 4096, value=coin_gan.Config.real_flips, step=1, label="Real flips per step")
            batch = gr.Slider(1, 4096, value=coin_gan.Config.batch_size, step=1, label="Batch size (generated flips per step)")
            with gr.Row():
                lr_d = gr.Number(value=coin_gan.Config.lr_d, label="Learning rate of D", minimum=1e-5, maximum=0.05)
                lr_g = gr.Number(value=coin_gan.Config.lr_g, label="Learning rate of G", minimum=1e-5, maximum=0.05)
            seed = gr.Number(value=0, precision=0, label="Seed (same seed, same run)", minimum=0)
            fixed = gr.Checkbox(value=False, label="Train on one fixed sample of 1024 flips (the seed notebook)")
            minibatch = gr.Checkbox(value=True, label="D sees each batch's heads fraction (stops collapse)")
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary", elem_id="coin-train")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="coin-stop")
                reset_btn = gr.Button("Reset", elem_id="coin-reset")
        with gr.Column(scale=2):
            card_html = gr.HTML(_cards(None, 0.3), elem_id="coin-cards")
            status = gr.HTML(_status(None, 0, 0), elem_id="coin-status")
            with gr.Row():
                bars = gr.BarPlot(x="flip", y="probability", color="source", title="Real vs generated flips",
                                  y_lim=[0, 1], elem_id="coin-bars", sort=BAR_ORDER)
                raw = gr.BarPlot(x="G(z)", y="share", title="Generator's raw outputs G(z) before rounding",
                                 elem_id="coin-raw", sort=_bin_labels([-0.2 + 0.1 * i for i in range(15)]))
            with gr.Row():
                losses = gr.LinePlot(x="step", y="loss", color="network", title="Losses of D and G", elem_id="coin-losses")
                p_curve = gr.LinePlot(x="step", y="P(H)", color="series", title="Generated P(H) during training",
                                      y_lim=[0, 1], elem_id="coin-pcurve")
            with gr.Row():
                gz = gr.LinePlot(x="z", y="G(z)", title="Mapping z → G(z)", elem_id="coin-gz")
                dx = gr.LinePlot(x="x", y="D(x)", title="Discriminator D(x)", y_lim=[0, 1], elem_id="coin-dx")
            gr.Markdown("**Forty generated flips** (same z every time, so you can watch them change):")
            strip = gr.HTML("", elem_id="coin-strip")
            gr.Markdown(EXPLAIN, latex_delimiters=[{"left": "$", "right": "$", "display": False}])

    outputs = [card_html, status, bars, raw, losses, p_curve, gz, dx, strip]
    inputs = [p, real_flips, steps, lr_d, lr_g, batch, seed, fixed, minibatch]
    run = long_job(train_btn, train_stream, inputs, outputs, "coin_train", stop=stop_btn, status=status)
    reset_btn.click(reset, [p], outputs, cancels=[run], api_name="coin_reset")
