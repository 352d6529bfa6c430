"""Coin-flip GAN tab: watch a GAN learn a biased coin (seed deck 000).

A thin adapter: widgets -> genmodels.coin_gan.train(...) -> plots and cards.
"""
from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from genmodels import checkpoints, coin_gan, plotting
from genmodels.progress import Record

from .links import link
from .common import FRAMES_PER_SECOND, LATEX, SEED_MAX, cards, check_seed, long_job, number, seed_input

LIMITS = {  # server-side caps, enforced for API callers too
    "p_heads": (0.01, 0.99),
    "real_flips": (1, 4096),
    "steps": (10, 5000),
    "lr": (1e-5, 0.05),
    "batch_size": (1, 4096),
    "seed": (0, SEED_MAX),
}

INTRO = r"""
### A GAN that learns a biased coin
Nature flips a coin with $p_{\text{data}}(x{=}H)=p$; the model only ever sees real flips $x \sim p_{\text{data}}(x)$ (H = 1, T = 0).
The generator turns noise into a number, $x = G(z;\theta_G)$ with $z \sim p_z = \mathcal N(0,1)$, read as **H** when $G(z) > 0.5$;
its flips follow $p_{\text{model}}(x)$. The discriminator $D(x;\theta_D)$ says how likely $x$ is real. The game (deck 001):

$$\min_G \max_D V(G, D) = \mathbb E_{x\sim p_{\text{data}}}[\log D(x)] + \mathbb E_{z\sim p_z}[\log(1 - D(G(z)))]$$

What runs here, with $l$ the binary cross-entropy, $R$ a batch of real flips, $N$ a batch of $z$'s, and $\bar h_B$ the
fraction of heads in batch $B$, which D sees beside each flip while the *batch feature* is on (off: $D(x)$ alone):

$$L_D = \tfrac{1}{|R|}\textstyle\sum_{x_i\in R} l(D(x_i,\bar h_R),1) + \tfrac{1}{|N|}\sum_{z_j\in N} l(D(G(z_j),\bar h_G),0) \;=\; -V$$

$$\text{non-saturating: } L_G = \tfrac{1}{|N|}\textstyle\sum_{z_j} l(D(G(z_j),\bar h_G),1) = -\overline{\log D(G(z))}$$

$$\text{saturating: } L_G = \tfrac{1}{|N|}\textstyle\sum_{z_j} \log(1 - D(G(z_j),\bar h_G))$$
"""

EXPLAIN = r"""
**What to look for.** The *raw output* histogram shows $G(z)$ before rounding: a good generator puts a
fraction $p$ of its mass above 0.5 and the rest below. The *z → G(z)* curve becomes a step across the grey
0.5 line: the $z$ on one side of a threshold give heads, and which side is up to training (G may rise or fall;
the caption under the plot says where heads come from now). A fraction $p$ of $z \sim \mathcal N(0,1)$ should land there.
*D(x, h̄ = p)* is D's verdict on a flip $x$ in a batch whose heads fraction is $p$: at the equilibrium
$p_{\text{model}} = p_{\text{data}}$ it says ½ for both H and T, and the losses sit on their reference lines,
$L_D = 2\ln 2$ and (non-saturating) $L_G = \ln 2$.

**Saturating vs non-saturating G loss.** Deck 001 has G minimise $V$, i.e. $\log(1 - D(G(z)))$; deck 000's
"max $l(D(G(z)),0)$" is the same loss. Both have the same fixed point, but while D still rejects G's flips
($D(G(z)) \approx 0$) $\log(1-D)$ is flat, so G gets almost no gradient; $-\log D(G(z))$ is steep there
(Goodfellow et al. 2014). On this coin D never gets that sure (G starts at 0.5, D sees only one number), so the
stall is mild: measured at p = 0.3 over seeds 0-4, both first reach $|P(H) - p| \le 0.02$ at a median step 110, but the
saturating loss stays within it only from step 570 (median) against 380.

**Differences from the seed notebook** (untick them to see why they matter): the notebook trains on one
fixed sample of 1024 flips, so it learns *that sample's* heads fraction (±0.014 around p); here fresh flips
arrive every step. And D sees the batch's heads fraction $\bar h$ (a *minibatch statistic* fed as a feature),
which stops the generator collapsing to all heads or all tails: without it, all 5 seeds we tried end collapsed.
"""

# One colour per series, on every plot (Okabe-Ito, colour-blind safe); a reference line is a tint of its series.
REAL, GENERATED = "real flips (p_data)", "generated flips (p_model)"
TARGET = "target p"
LOSS_D, LOSS_G = "L_D", "L_G"
REF_LOSS_D, REF_D = "L_D = 2 ln 2", "D = ½"
REF_LOSS_G = {"non-saturating": "L_G = ln 2", "saturating": "L_G = −ln 2"}
THRESHOLD = "0.5: above is H"
BLUE, ORANGE, GREEN = plotting.DATA_COLOUR, plotting.MODEL_COLOUR, plotting.OKABE_ITO["bluish green"]  # Okabe-Ito
COLOURS = {REAL: BLUE, TARGET: BLUE, GENERATED: ORANGE, LOSS_G: ORANGE, LOSS_D: GREEN, "D(x, h̄ = p)": GREEN,
           "D(x)": GREEN, "G(z)": ORANGE, REF_LOSS_D: "#8fd9c0", REF_D: "#8fd9c0", THRESHOLD: "#999999",
           **{name: "#f3cf85" for name in REF_LOSS_G.values()}}

EQUILIBRIUM_CAPTION = "Pale lines: the values at the equilibrium p_model = p_data, where D says ½ to every flip."
BAR_ORDER = ["H real", "H generated", "T real", "T generated"]
G_LOSS_CHOICES = [("non-saturating: min −log D(G(z))", "non-saturating"),
                  ("saturating: min log(1 − D(G(z)))", "saturating")]


def _cfg(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, batch_feature,
         g_loss="non-saturating") -> coin_gan.Config:
    lo_hi = LIMITS
    if g_loss not in coin_gan.G_LOSSES:
        raise gr.Error(f"G loss must be one of {', '.join(coin_gan.G_LOSSES)}; got {g_loss!r}.")
    return coin_gan.Config(
        p_heads=number("Target P(heads)", p, *lo_hi["p_heads"]),
        real_flips=number("Real flips per step", real_flips, *lo_hi["real_flips"], integer=True),
        steps=number("Steps", steps, *lo_hi["steps"], integer=True),
        lr_d=number("Learning rate of D", lr_d, *lo_hi["lr"]),
        lr_g=number("Learning rate of G", lr_g, *lo_hi["lr"]),
        batch_size=number("Batch size (generated flips per step)", batch_size, *lo_hi["batch_size"], integer=True),
        seed=check_seed(seed),
        dataset_size=1024 if bool(fixed_sample) else 0,
        batch_feature=bool(batch_feature),
        g_loss=g_loss,
    )


def _cards(m: dict, target: float) -> str:
    gap = m["gap"]
    empirical = m.get("empirical_p_heads")
    return cards([
        ("target P(H) = p", f"{target:.3f}", ""),
        ("empirical P(H) of real flips seen", "–" if empirical is None else f"{empirical:.3f}", ""),
        ("generated P(H)", f"{m['generated_p_heads']:.3f}", ""),
        ("gap |generated − target|", f"{gap:.3f}", "good" if gap <= 0.02 else "bad"),
    ])


def _status(alarm: str | None, step: int, total: int) -> str:
    if alarm:
        return (f'<div class="gm-warning">⚠ Mode collapse at step {step} / {total}: over the last '
                f'{coin_gan.ALARM_WINDOW} steps the generator has said <b>{alarm}</b>. '
                f'D can no longer teach it the right mix.</div>')
    if step == 0:
        return '<div class="gm-ok">Untrained networks (step 0). Press <b>Train</b> to start.</div>'
    done = "done: " if step == total else ""
    return f'<div class="gm-ok">{done}step {step} / {total}</div>'


def _bars(p_real: float | None, p_generated: float) -> pd.DataFrame:
    rows = [{"flip": "H generated", "probability": p_generated, "source": GENERATED},
            {"flip": "T generated", "probability": 1 - p_generated, "source": GENERATED}]
    if p_real is not None:
        rows += [{"flip": "H real", "probability": p_real, "source": REAL},
                 {"flip": "T real", "probability": 1 - p_real, "source": REAL}]
    return pd.DataFrame(rows)


def _raw(preview: coin_gan.Preview) -> pd.DataFrame:
    return pd.DataFrame({"G(z)": preview.raw_labels, "share": preview.raw_shares, "source": "G(z)"})


def _losses(history: list[dict], total: int, g_loss: str) -> pd.DataFrame:
    rows = [{"step": h["step"], "loss": h["loss_D"], "series": LOSS_D} for h in history]
    rows += [{"step": h["step"], "loss": h["loss_G"], "series": LOSS_G} for h in history]
    for name, value in ((REF_LOSS_D, coin_gan.EQUILIBRIUM_LOSS_D),
                        (REF_LOSS_G[g_loss], coin_gan.EQUILIBRIUM_LOSS_G[g_loss])):
        rows += [{"step": 0, "loss": value, "series": name}, {"step": total, "loss": value, "series": name}]
    return pd.DataFrame(rows)


def _p_curve(history: list[dict], total: int, p: float) -> pd.DataFrame:
    rows = [{"step": h["step"], "P(H)": h["generated_p_heads"], "series": GENERATED} for h in history]
    rows += [{"step": 0, "P(H)": p, "series": TARGET}, {"step": total, "P(H)": p, "series": TARGET}]
    return pd.DataFrame(rows)


def _mapping(preview: coin_gan.Preview) -> pd.DataFrame:
    rows = [{"z": z, "G(z)": g, "series": "G(z)"} for z, g in zip(preview.z, preview.G_z)]
    rows += [{"z": preview.z[0], "G(z)": 0.5, "series": THRESHOLD},
             {"z": preview.z[-1], "G(z)": 0.5, "series": THRESHOLD}]
    return pd.DataFrame(rows)


def _d_curve(preview: coin_gan.Preview, batch_feature: bool) -> pd.DataFrame:
    name = "D(x, h̄ = p)" if batch_feature else "D(x)"
    rows = [{"x": x, "D": d, "series": name} for x, d in zip(preview.x, preview.D_x)]
    rows += [{"x": preview.x[0], "D": coin_gan.EQUILIBRIUM_D, "series": REF_D},
             {"x": preview.x[-1], "D": coin_gan.EQUILIBRIUM_D, "series": REF_D}]
    return pd.DataFrame(rows)


def _mapping_caption(preview: coin_gan.Preview) -> str:
    return f"Heads (G(z) > 0.5) now come from {preview.heads_for}."


def _d_caption(preview: coin_gan.Preview, batch_feature: bool) -> str:
    if batch_feature:
        return (f"D's verdict on a flip x in a batch whose heads fraction h̄ is p = {preview.h_bar:.2f} "
                "(real flips are x = 0 or 1).")
    return "D's verdict on a flip x (real flips are x = 0 or 1)."


def _view(record, history: list[dict], cfg: coin_gan.Config, alarm: str | None):
    """Everything the tab shows for one record: (cards, status, 6 plots, strip)."""
    pv, m = record.preview, record.metrics
    return (
        _cards(m, cfg.p_heads),
        _status(alarm, record.step, cfg.steps),
        _bars(m.get("empirical_p_heads"), m["generated_p_heads"]),
        _raw(pv),
        _losses(history, cfg.steps, cfg.g_loss),
        _p_curve(history, cfg.steps, cfg.p_heads),
        gr.update(value=_mapping(pv), caption=_mapping_caption(pv)),
        gr.update(value=_d_curve(pv, cfg.batch_feature), caption=_d_caption(pv, cfg.batch_feature)),
        f'<div class="gm-strip">{html.escape(pv.strip)}</div>',
    )


def _log_every(cfg: coin_gan.Config) -> int:
    return max(5, cfg.steps // 100)


def train_stream(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, batch_feature,
                 g_loss="non-saturating"):
    """Stream the training run: yields (cards, status, bars, raw, losses, P(H), G(z), D(x), strip)."""
    cfg = _cfg(p, real_flips, steps, lr_d, lr_g, batch_size, seed, fixed_sample, batch_feature, g_loss)
    history: list[dict] = []
    # A run can take 100 readings a second: train hands out at most FRAMES_PER_SECOND records a
    # second, each with the readings since the last one, so every reading lands in the curves.
    for r in coin_gan.train(cfg, log_every=_log_every(cfg), frame_seconds=1 / FRAMES_PER_SECOND):
        history += r.preview.readings
        yield _view(r, history, cfg, r.preview.collapse)


def reset(p, seed=0, batch_feature=True, g_loss="non-saturating"):
    """The untrained networks for these settings (step 0), with empty curves."""
    cfg = _cfg(p, 256, 1000, 2e-3, 2e-3, 256, seed, False, batch_feature, g_loss)
    return _view(coin_gan.untrained(cfg), [], cfg, None)


# The tab opens on a finished default run: training it costs over 1.5 s of start-up on two
# busy cores, so its records are cached on disk (rebuilt when the defaults change).
ARRIVAL_CACHE = checkpoints.CHECKPOINT_DIR / "runs" / "coin-gan-arrival.json"


def _arrival():
    """What the tab shows on arrival: (values, captions) of the default run's last frame."""
    cfg = coin_gan.Config()
    rows, preview = coin_gan.recorded_run(cfg, _log_every(cfg), ARRIVAL_CACHE)
    last = Record(rows[-1]["step"], {k: rows[-1][k] for k in ("loss_D", "loss_G")}, rows[-1], preview, done=True)
    view = _view(last, rows, cfg, preview.collapse)
    return ([v["value"] if isinstance(v, dict) else v for v in view],
            [v.get("caption") if isinstance(v, dict) else None for v in view])


def build() -> None:
    """Lay out the tab inside the current gr.Blocks."""
    shown, captions = _arrival()
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    with gr.Row(elem_classes="gm-result-row"):
        with gr.Column(scale=1, min_width=280):
            p = gr.Slider(0.01, 0.99, value=0.3, step=0.01, label="Target P(heads)  p", elem_id="coin-p")
            link(p, 'p')
            steps = gr.Slider(10, 5000, value=coin_gan.Config.steps, step=10,
                              label="Steps (one D + one G update each)", elem_id="coin-steps")
            link(steps, 'steps')
            real_flips = gr.Slider(1, 4096, value=coin_gan.Config.real_flips, step=1, label="Real flips per step",
                                   elem_classes="gm-advanced")
            batch = gr.Slider(1, 4096, value=coin_gan.Config.batch_size, step=1, label="Batch size (generated flips per step)",
                              elem_classes="gm-advanced")
            with gr.Row(elem_classes="gm-advanced"):
                lr_d = gr.Number(value=coin_gan.Config.lr_d, label="Learning rate of D", minimum=1e-5, maximum=0.05)
                lr_g = gr.Number(value=coin_gan.Config.lr_g, label="Learning rate of G", minimum=1e-5, maximum=0.05)
            seed = seed_input("Seed (same seed, same run)", elem_id="coin-seed")
            link(seed, 'seed')
            fixed = gr.Checkbox(value=False, label="Train on one fixed sample of 1024 flips (the seed notebook)")
            link(fixed, 'fixed')
            batch_feature = gr.Checkbox(value=True, elem_id="coin-batch-feature",
                                        label="Batch feature: D also sees h̄, its batch's heads fraction (stops collapse)")
            g_loss = gr.Radio(G_LOSS_CHOICES, value="non-saturating", label="G loss", elem_id="coin-gloss")
            link(g_loss, 'gloss')
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary", elem_id="coin-train")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="coin-stop")
                reset_btn = gr.Button("Reset", elem_id="coin-reset")
        with gr.Column(scale=2, elem_classes="gm-result"):
            card_html = gr.HTML(shown[0], elem_id="coin-cards")
            status = gr.HTML(shown[1], elem_id="coin-status")
            with gr.Row():
                bars = gr.BarPlot(shown[2], x="flip", y="probability", color="source", title="Real vs generated flips",
                                  y_lim=[0, 1], elem_id="coin-bars", sort=BAR_ORDER, color_map=COLOURS,
                                  x_title="flip", y_title="share of flips")
                raw = gr.BarPlot(shown[3], x="G(z)", y="share", color="source",
                                 title="Generator's raw outputs G(z) before rounding", elem_id="coin-raw",
                                 sort=coin_gan.RAW_BIN_LABELS, color_map=COLOURS)
            with gr.Row():
                losses = gr.LinePlot(shown[4], x="step", y="loss", color="series", title="Losses of D and G",
                                     elem_id="coin-losses", color_map=COLOURS, caption=EQUILIBRIUM_CAPTION)
                p_curve = gr.LinePlot(shown[5], x="step", y="P(H)", color="series",
                                      title="Generated P(H) during training", y_lim=[0, 1], elem_id="coin-pcurve",
                                      color_map=COLOURS)
            with gr.Row():
                gz = gr.LinePlot(shown[6], x="z", y="G(z)", color="series", title="Mapping z → G(z)",
                                 elem_id="coin-gz", color_map=COLOURS, caption=captions[6])
                dx = gr.LinePlot(shown[7], x="x", y="D", color="series", title="Discriminator's verdict D on a flip x",
                                 y_lim=[0, 1], elem_id="coin-dx", color_map=COLOURS, caption=captions[7])
            gr.Markdown("**Forty generated flips** (same z every time, so you can watch them change):")
            strip = gr.HTML(shown[8], elem_id="coin-strip")
            gr.Markdown(EXPLAIN, latex_delimiters=LATEX)

    outputs = [card_html, status, bars, raw, losses, p_curve, gz, dx, strip]
    inputs = [p, real_flips, steps, lr_d, lr_g, batch, seed, fixed, batch_feature, g_loss]
    run = long_job(train_btn, train_stream, inputs, outputs, "coin_train", stop=stop_btn, status=status)
    reset_btn.click(reset, [p, seed, batch_feature, g_loss], outputs, cancels=[run], api_name="coin_reset")
    from .failures import gallery; gallery("coin")   # noqa: E702 (the failure gallery, one line)
