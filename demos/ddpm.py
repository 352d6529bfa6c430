"""DDPM tab: the denoising process as an animation you can scrub (seed decks 000, 001, 003).

A thin adapter: widgets -> genmodels.ddpm (schedulers, denoise pipeline) and
genmodels.toy_diffusion -> images, plots and a GIF.
"""
from __future__ import annotations

import functools
import math
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image

from genmodels import data, ddpm, toy_diffusion
from genmodels.common import grid, seeded, to_model, to_unit
from genmodels.imaging import ImageInputError, sketch_to_domain, upscale

from .common import cards, load_checkpoint, long_job, number

MAX_IMAGES = 16
MAX_FRAMES = 120
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

INTRO = r"""
### Denoising diffusion: learn to reverse a noising process
**Forward** (fixed): $q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)$, so in one jump
$q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0, (1-\bar\alpha_t) I)$ with $\bar\alpha_t = \prod_{s\le t}(1-\beta_s)$.
**Training**: $\nabla_\theta \|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, t)\|^2$.
**Sampling** (DDPM): $x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\big) + \sigma_t z$.
At every step the network's guess of the clean image is $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$:
watch it sharpen long before $x_t$ does. DDIM takes the same model and skips steps ($\eta = 0$: deterministic).
"""


@functools.lru_cache(maxsize=1)
def load_model() -> ddpm.UNet:
    return load_checkpoint(ddpm.load, "ddpm-mnist",
                           "The toy diffusion at the bottom of this tab trains live without it.")[0].eval()


def _sheet(x: torch.Tensor) -> np.ndarray:
    """(n, 1, 28, 28) in model space -> a 4-wide uint8 grid (stored small; shown ×4 by _big)."""
    return grid(to_unit(x).cpu(), nrow=min(4, len(x)), pad=2)


def _big(sheet: np.ndarray) -> np.ndarray:
    return sheet.repeat(4, 0).repeat(4, 1)


def _caption(sched: ddpm.DDPMScheduler, t: int, step: int, total: int) -> str:
    ab = float(sched.alphas_cumprod[t]) if t >= 0 else 1.0
    return (f"step {step} / {total} · **t = {t}** · ᾱ_t = {ab:.4f} · signal √ᾱ_t = {math.sqrt(ab):.3f} · "
            f"noise √(1−ᾱ_t) = {math.sqrt(1 - ab):.3f}")


def _gif(frames: list[dict]) -> str:
    pics = [Image.fromarray(np.concatenate([f["x_t"], np.full((f["x_t"].shape[0], 4), 255, np.uint8), f["x0"]], 1)
                            .repeat(2, 0).repeat(2, 1))
            for f in frames]
    path = Path(tempfile.mkdtemp(prefix="genmodels-")) / "denoising.gif"
    pics[0].save(path, save_all=True, append_images=pics[1:] + [pics[-1]] * 8, duration=80, loop=0)
    return str(path)


def _run(sched, x_T: torch.Tensor, seed: int, t_start: int | None = None, bf16: bool = True):
    """Stream frames of the reverse process; the last yield also returns the recorded frames."""
    model = load_model()
    ts = [int(t) for t in sched.timesteps if t_start is None or int(t) <= t_start]
    every = max(1, math.ceil(len(ts) / MAX_FRAMES))
    frames = [{"x_t": _sheet(x_T), "x0": np.zeros_like(_sheet(x_T)), "caption": _caption(sched, ts[0], 0, len(ts))}]
    yield frames[0], None
    for k, (t, x, x0) in enumerate(ddpm.denoise(model, sched, x_T, seed=seed, every=every, t_start=t_start,
                                                bf16=bf16), 1):
        done = min(k * every, len(ts))
        frames.append({"x_t": _sheet(x), "x0": _sheet(x0), "caption": _caption(sched, t, done, len(ts))})
        yield frames[-1], None
    yield frames[-1], frames


def _stream(gen):
    """Adapt _run to the tab's outputs: x_t, x̂_0, caption, scrubber, GIF, frames state."""
    for frame, frames in gen:
        if frames is None:
            yield _big(frame["x_t"]), _big(frame["x0"]), frame["caption"], gr.skip(), gr.skip(), gr.skip()
        else:
            yield (_big(frame["x_t"]), _big(frame["x0"]), frame["caption"],
                   gr.update(maximum=len(frames) - 1, value=len(frames) - 1, interactive=True),
                   _gif(frames), frames)


def generate(sampler: str, steps, eta, seed, n, bf16: bool = True):
    """Sample digits from noise, streaming x_t beside x̂_0."""
    if sampler not in ("DDIM", "DDPM"):
        raise gr.Error(f"Sampler must be DDIM or DDPM; got {sampler!r}.")
    steps = number("Steps", steps, 1, 1000, integer=True)
    eta = number("η", eta, 0.0, 1.0)
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    n = number("Number of images", n, 1, MAX_IMAGES, integer=True)
    model = load_model()
    sched = ddpm.scheduler(sampler.lower(), model.config.T, model.config.schedule, eta,
                           steps if sampler == "DDIM" else None)
    x_T = torch.randn(n, 1, 28, 28, generator=seeded(seed))
    yield from _stream(_run(sched, x_T, seed + 1, bf16=bool(bf16)))


def scrub(frames, i):
    if not frames:
        raise gr.Error("Nothing recorded yet: press Generate (or Denoise the drawing) first.")
    i = number("Frame", i, 0, len(frames) - 1, integer=True)
    f = frames[i]
    return _big(f["x_t"]), _big(f["x0"]), f["caption"]


@functools.lru_cache(maxsize=None)
def _scheduler_for(name: str) -> ddpm.DDPMScheduler:
    return {"linear (T = 1000)": lambda: ddpm.DDPMScheduler(1000, "linear"),
            "cosine (T = 1000)": lambda: ddpm.DDPMScheduler(1000, "cosine"),
            "seed notebook (linear, T = 50)": lambda: ddpm.DDPMScheduler(50, "linear")}[name]()


FORWARD_SCHEDULES = ["linear (T = 1000)", "cosine (T = 1000)", "seed notebook (linear, T = 50)"]


def forward(index, t, schedule: str, seed):
    """The closed form q(x_t | x_0) on a test digit."""
    if schedule not in FORWARD_SCHEDULES:
        raise gr.Error(f"Schedule must be one of {', '.join(FORWARD_SCHEDULES)}; got {schedule!r}.")
    sched = _scheduler_for(schedule)
    i = number("Test digit index", index, 0, 9999, integer=True)
    t = number("t", t, 1, sched.T, integer=True) - 1           # slider counts 1..T, code 0..T-1
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    x0 = to_model(data.load("mnist", "test")[0][i][None])
    eps = torch.randn(x0.shape, generator=seeded(seed))
    x_t = sched.add_noise(x0, eps, torch.tensor([t]))
    ab = float(sched.alphas_cumprod[t])
    text = (f"$x_t = \\sqrt{{\\bar\\alpha_t}}\\,x_0 + \\sqrt{{1-\\bar\\alpha_t}}\\,\\epsilon$ with t = {t + 1} of {sched.T}: "
            f"$\\bar\\alpha_t$ = {ab:.4f}, so $x_t$ = **{math.sqrt(ab):.3f}**·x₀ + **{math.sqrt(1 - ab):.3f}**·ε "
            f"(SNR ᾱ/(1−ᾱ) = {ab / (1 - ab):.3g}).")
    show = lambda x: upscale(to_unit(x)[0, 0], 168)  # noqa: E731
    return show(x0), show(eps.clamp(-1, 1)), show(x_t), text


def schedule_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, snr = [], []
    sets = {"linear, T = 1000": ddpm.DDPMScheduler(1000, "linear"),
            "cosine, T = 1000": ddpm.DDPMScheduler(1000, "cosine"),
            "seed notebook: linear, T = 50": ddpm.DDPMScheduler(50, "linear"),
            "T = 50, betas × 1000/T": toy_diffusion.SCHEDULES["linear scaled by 1000/T (reaches noise)"](50)}
    for name, s in sets.items():
        ab = s.alphas_cumprod.numpy()
        idx = np.unique(np.linspace(0, s.T - 1, min(s.T, 100)).astype(int))
        rows += [{"t / T": (i + 1) / s.T, "ᾱ_t": float(ab[i]), "schedule": name} for i in idx]
        snr += [{"t / T": (i + 1) / s.T, "log10 SNR": float(np.log10(ab[i] / (1 - ab[i]))), "schedule": name}
                for i in idx]
    return pd.DataFrame(rows), pd.DataFrame(snr)


def sdedit(sketch, t0, steps, seed):
    """SDEdit: noise your drawing to t0 with q(x_t0 | x_0), then denoise it with DDIM."""
    try:
        x = torch.from_numpy(sketch_to_domain(sketch))
    except ImageInputError as e:
        raise gr.Error(str(e)) from None
    t0 = number("t₀", t0, 1, 999, integer=True)
    steps = number("Steps", steps, 1, 1000, integer=True)
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    model = load_model()
    sched = ddpm.scheduler("ddim", model.config.T, model.config.schedule, 0.0, steps)
    start = max([int(t) for t in sched.timesteps if int(t) <= t0] or [int(sched.timesteps[-1])])
    x0 = to_model(x[None])
    x_t0 = sched.add_noise(x0, torch.randn(x0.shape, generator=seeded(seed)), torch.tensor([start]))
    yield from _stream(_run(sched, x_t0, seed + 1, t_start=start))


def toy_train(mode_a, mode_b, weight_a, schedule: str, steps, seed):
    if schedule not in toy_diffusion.SCHEDULES:
        raise gr.Error(f"Schedule must be one of {list(toy_diffusion.SCHEDULES)}; got {schedule!r}.")
    cfg = toy_diffusion.Config(mode_a=number("Mode a", mode_a, -4, 4), mode_b=number("Mode b", mode_b, -4, 4),
                               weight_a=number("P(mode a)", weight_a, 0, 1), schedule=schedule,
                               steps=number("Steps", steps, 100, 5000, integer=True),
                               seed=number("Seed", seed, 0, 2**31 - 1, integer=True))
    losses = []
    for r in toy_diffusion.train(cfg, log_every=max(10, cfg.steps // 50)):
        losses.append({"step": r.step, "loss": r.losses["loss"]})
        info = cards([("ᾱ_T (should be ≈ 0)", f"{r.metrics['alpha_bar_T']:.3f}",
                       "good" if r.metrics["alpha_bar_T"] < 0.01 else "bad"), ("step", f"{r.step} / {cfg.steps}", "")])
        if not r.done:
            yield pd.DataFrame(losses), gr.skip(), gr.skip(), info
    model, sched = r.preview["model"], r.preview["scheduler"]
    x, path = toy_diffusion.sample(model, sched, 4000, seed=cfg.seed)
    edges = np.linspace(-5, 5, 81)
    centres = (edges[:-1] + edges[1:]) / 2
    counts, _ = np.histogram(x.clamp(-5, 4.999).numpy(), edges)
    width = edges[1] - edges[0]
    dens = pd.DataFrame([{"x": float(c), "density": float(v), "distribution": "target p(x)"}
                         for c, v in zip(centres, toy_diffusion.density(cfg, torch.tensor(centres)).tolist())]
                        + [{"x": float(c), "density": float(k) / len(x) / width, "distribution": "generated"}
                           for c, k in zip(centres, counts)])
    traj = pd.DataFrame([{"t": cfg.T - k, "x_t": float(path[k, j]), "sample": f"#{j}"}
                         for j in range(10) for k in range(path.shape[0])])
    share = float((x < (cfg.mode_a + cfg.mode_b) / 2).float().mean())
    info = cards([("ᾱ_T (should be ≈ 0)", f"{r.metrics['alpha_bar_T']:.3f}",
                   "good" if r.metrics["alpha_bar_T"] < 0.01 else "bad"),
                  ("share of samples near mode a", f"{share:.2f} (target {cfg.weight_a:.2f})",
                   "good" if abs(share - cfg.weight_a) < 0.05 else "bad")])
    yield pd.DataFrame(losses), dens, traj, info


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    frames = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            sampler = gr.Radio(["DDIM", "DDPM"], value="DDIM", label="Sampler", elem_id="dd-sampler")
            steps = gr.Slider(1, 1000, value=50, step=1, label="Steps (DDIM; DDPM always uses all T = 1000)",
                              elem_id="dd-steps")
            eta = gr.Slider(0, 1, value=0.0, step=0.05, label="η (DDIM stochasticity; 0 = deterministic)")
            n = gr.Slider(1, MAX_IMAGES, value=16, step=1, label="Images")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed (same seed, same digits)")
            bf16 = gr.Checkbox(value=True, label="bfloat16 (about 2× faster on a CPU)")
            with gr.Row():
                gen_btn = gr.Button("Generate", variant="primary", elem_id="dd-generate")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="dd-stop")
        with gr.Column(scale=2):
            caption = gr.Markdown("Press **Generate**: frames stream as they are computed.", elem_id="dd-caption")
            with gr.Row():
                x_t = gr.Image(label="x_t (the sample being denoised)", elem_id="dd-xt", height=300)
                x_0 = gr.Image(label="x̂_0 (the model's guess of the clean image)", elem_id="dd-x0", height=300)
            scrubber = gr.Slider(0, 1, value=0, step=1, label="Scrub the recorded frames", interactive=False,
                                 elem_id="dd-scrub")
            gif = gr.File(label="Download the animation (GIF)", elem_id="dd-gif")

    gr.Markdown("### The forward process: noise a digit to any t in one jump")
    try:
        f_init = forward(0, 250, FORWARD_SCHEDULES[0], 0)
    except Exception:  # noqa: BLE001 - a missing dataset must not stop the app from starting
        f_init = (None, None, None, "")
    with gr.Row():
        with gr.Column(min_width=260):
            f_index = gr.Slider(0, 9999, value=0, step=1, label="Test digit")
            f_sched = gr.Radio(FORWARD_SCHEDULES, value=FORWARD_SCHEDULES[0], label="Schedule")
            f_t = gr.Slider(1, 1000, value=250, step=1, label="t", elem_id="dd-f-t")
            f_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed for ε")
        f_x0 = gr.Image(f_init[0], label="x₀", height=180)
        f_eps = gr.Image(f_init[1], label="ε ~ N(0, I)", height=180)
        f_xt = gr.Image(f_init[2], label="x_t", height=180, elem_id="dd-f-xt")
    f_text = gr.Markdown(f_init[3], latex_delimiters=LATEX, elem_id="dd-f-text")

    gr.Markdown("### Schedules: how fast does the signal fade?\nThe seed notebook's T = 50 with the T = 1000 betas "
                "stops at ᾱ_T = 0.603: x_T is still mostly signal, yet sampling starts from pure noise. Scaling its "
                "betas by 1000/T (or a cosine schedule) fixes it.")
    a_df, s_df = schedule_frames()
    with gr.Row():
        gr.LinePlot(a_df, x="t / T", y="ᾱ_t", color="schedule", title="ᾱ_t (signal kept)", elem_id="dd-abar")
        gr.LinePlot(s_df, x="t / T", y="log10 SNR", color="schedule", title="log10 SNR = log10 ᾱ_t/(1−ᾱ_t)")

    gr.Markdown("### SDEdit: from a rough stroke painting to a digit (seed 003)\nDraw a digit, noise it to t₀ "
                "with q(x_t₀ | x₀), then denoise. Small t₀ keeps your strokes; large t₀ keeps only the rough layout. "
                "The animation above shows the run.")
    with gr.Row():
        sketch = gr.Sketchpad(label="Pick the brush (left), then draw a digit", type="numpy", height=300,
                              canvas_size=(280, 280), layers=False,
                              brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                              elem_id="dd-sketch")
        with gr.Column(min_width=260):
            t0 = gr.Slider(1, 999, value=500, step=1, label="t₀ (how much noise to add)")
            s_steps = gr.Slider(1, 1000, value=50, step=1, label="DDIM steps over the full range")
            s_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            s_btn = gr.Button("Denoise the drawing", variant="primary", elem_id="dd-sdedit")

    with gr.Accordion("Toy 1-D diffusion that trains live in seconds (the seed's SimpleDiffusion, fixed)", open=False):
        with gr.Row():
            with gr.Column(min_width=260):
                ma = gr.Slider(-4, 4, value=-2, step=0.1, label="Mode a")
                mb = gr.Slider(-4, 4, value=2, step=0.1, label="Mode b")
                wa = gr.Slider(0, 1, value=0.3, step=0.05, label="P(mode a)")
                tsched = gr.Radio(list(toy_diffusion.SCHEDULES), value=toy_diffusion.DEFAULT_SCHEDULE,
                                  label="Schedule (T = 50)")
                tsteps = gr.Slider(100, 5000, value=1500, step=100, label="Training steps")
                tseed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
                with gr.Row():
                    t_btn = gr.Button("Train and sample", variant="primary", elem_id="dd-toy")
                    t_stop = gr.Button("Stop", variant="stop")
            with gr.Column(scale=2):
                t_info = gr.HTML("", elem_id="dd-toy-info")
                with gr.Row():
                    t_loss = gr.LinePlot(x="step", y="loss", title="Training loss")
                    t_dens = gr.LinePlot(x="x", y="density", color="distribution",
                                         title="Target p(x) vs 4,000 generated samples", elem_id="dd-toy-dens")
                t_traj = gr.LinePlot(x="t", y="x_t", color="sample", title="Ten sample trajectories, t = T → 0",
                                     x_lim=[50, 0])

    outs = [x_t, x_0, caption, scrubber, gif, frames]
    long_job(gen_btn, generate, [sampler, steps, eta, seed, n, bf16], outs, "ddpm_generate",
             stop=stop_btn, status=caption)
    long_job(s_btn, sdedit, [sketch, t0, s_steps, s_seed], outs, "ddpm_sdedit", stop=stop_btn, status=caption)
    scrubber.change(scrub, [frames, scrubber], [x_t, x_0, caption], api_name=False, show_progress="hidden",
                    trigger_mode="always_last")
    idx = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(scrub, [frames, idx], [x_t, x_0, caption], api_name="ddpm_scrub")
    f_inputs = [f_index, f_t, f_sched, f_seed]
    for w in f_inputs:
        w.change(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name=False, show_progress="hidden",
                 trigger_mode="always_last", concurrency_id="ddpm_light", concurrency_limit=8)
    gr.Button(visible=False).click(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name="ddpm_forward")
    f_sched.change(lambda s: gr.update(maximum=_scheduler_for(s).T, value=min(250, _scheduler_for(s).T)),
                   [f_sched], [f_t], api_name=False)
    long_job(t_btn, toy_train, [ma, mb, wa, tsched, tsteps, tseed],
             [t_loss, t_dens, t_traj, t_info], "ddpm_toy", stop=t_stop, status=t_info)
