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

from genmodels import data, ddpm, diffusion_view, toy_diffusion
from genmodels.common import grid, seeded, to_model, to_unit
from genmodels.imaging import ImageInputError, sketch_to_domain, upscale

from .common import cards, load_checkpoint, long_job, number

MAX_IMAGES = 16
MAX_FRAMES = 120
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

INTRO = r"""
### Denoising diffusion: learn to reverse a noising process
Time runs $t = 1, \dots, T$ as in the decks ($T = 1000$): $x_0$ is a data image (pixels scaled to $[-1, 1]$),
$x_T$ is almost pure noise. $\alpha_t = 1 - \beta_t$ and $\bar\alpha_t = \prod_{s=1}^{t} \alpha_s$ ($\bar\alpha_0 = 1$).
**Forward** (fixed): $q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I)$, so in one jump
$q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I)$.
**Training**: $t \sim \mathcal U\{1, \dots, T\}$, $\epsilon \sim \mathcal N(0, I)$, descend
$\nabla_\theta \|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\ t)\|^2$.
"""

# What sampler.step() computes (genmodels.ddpm; the numbers of each step are in the caption above).
WHAT_RUNS = r"""
#### What each step computes: this is the code that runs
**1. Guess the clean image** (the right-hand panel):
$$\hat x_0 = \mathrm{clip}_{[-1,\,1]}\!\left(\frac{x_t - \sqrt{1-\bar\alpha_t}\;\epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}}\right)$$
It is clipped to $[-1, 1]$, the range of the data: near $t = T$, $\sqrt{\bar\alpha_t}$ is tiny (0.006 at $t = 1000$), so
the division blows every small error of $\epsilon_\theta$ up into pixel values no image has; clipping keeps $\hat x_0$ a possible
image and the steps stable (diffusers' `clip_sample`, on by default).

**2a. DDPM** steps to the mean of the posterior $q(x_{t-1} \mid x_t, \hat x_0)$, plus noise:
$$x_{t-1} = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,\hat x_0 + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t + \sigma_t z$$
$$\sigma_t^2 = \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t, \qquad z \sim \mathcal N(0, I)\ \ (z = 0 \text{ at } t = 1)$$
Put the unclipped $\hat x_0$ in and this is the decks' update
$$x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon_\theta(x_t, t)\Big) + \sigma_t z;$$
the clip is the only difference.¹

**2b. DDIM** jumps from $t$ to an earlier $s$ (any number of steps), with $\epsilon$ re-derived from the clipped $\hat x_0$:
$$\hat\epsilon = \frac{x_t - \sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}}, \qquad x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\;\hat\epsilon + \sigma z$$
$$\sigma = \eta\,\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\,\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_s}} \qquad (\eta = 0\text{: deterministic})$$

**Deck 000's one-shot idea**, $x = x_T - \epsilon_\theta(x_T, T)$, is the first $\hat x_0$ panel once the forward process's
scaling is put back: $\hat x_0 = (x_T - \sqrt{1-\bar\alpha_T}\,\epsilon_\theta(x_T, T))/\sqrt{\bar\alpha_T}$. From pure noise that guess is a
blurry average digit; the reverse process moves only a little way towards it, re-predicts, and the guess sharpens.

¹ Deck 001's Algorithm 2 writes the coefficient as $\frac{1-\alpha_t}{\sqrt{1-\alpha_t}}$; it is
$\frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}} = \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}$ (the bar is missing under the root), as on its $\mu_\theta$ slide.
"""

# Formulas scale down instead of being clipped on a phone; image labels sit above their images.
STYLE = """<style>
#dd-what-runs .katex-display, #dd-intro .katex-display, #dd-f-text .katex-display {overflow-x: auto; overflow-y: hidden;}
@media (max-width: 640px) {
  #dd-what-runs .katex-display > .katex, #dd-intro .katex-display > .katex {font-size: 0.78em;}
  #dd-what-runs .katex, #dd-intro .katex, #dd-f-text .katex {white-space: normal;}
}
.dd-label p {margin: 0; font-size: 0.9em; opacity: 0.8;}
</style>"""
# Runs once in the browser: the sketchpad starts with the brush picked, and Generate / Denoise the
# drawing bring the animation on screen together with the button (at 1280×720 both fit).
PAGE_JS = """
if (!window.__ddpmTab) {
  window.__ddpmTab = true;
  setInterval(() => {
    const pad = document.querySelector('#dd-sketch');
    const brush = pad && pad.querySelector('button[aria-label=Brush]');
    const hint = pad && [...pad.querySelectorAll('div')].find(d => d.textContent.trim() === 'select the draw tool to start');
    if (brush && hint && hint.offsetParent !== null) brush.click();
  }, 400);
  document.addEventListener('click', (e) => {
    if (!e.target.closest('#dd-generate, #dd-sdedit')) return;
    const top = document.querySelector('#dd-caption').getBoundingClientRect().top;
    const end = document.querySelector('#dd-scrub').getBoundingClientRect().top;
    if (top < 0 || end > window.innerHeight) window.scrollBy({top: top - 8});
  }, true);
}
"""


@functools.lru_cache(maxsize=1)
def load_model() -> ddpm.UNet:
    return load_checkpoint(ddpm.load, "ddpm-mnist",
                           "The toy diffusion at the bottom of this tab trains live without it.")[0].eval()


def _sheet(x: torch.Tensor) -> np.ndarray:
    """(n, 1, 28, 28) in model space -> a 4-wide uint8 grid (stored small; enlarged by _big)."""
    return grid(to_unit(x).cpu(), nrow=min(4, len(x)), pad=2)


def _big(sheet: np.ndarray) -> np.ndarray:
    """Nearest-neighbour upscale (×4, or more for a small sheet) so that every pixel stays visible."""
    k = max(4, 256 // max(sheet.shape[:2]))
    return sheet.repeat(k, 0).repeat(k, 1)


def _gif(frames: list[dict]) -> str:
    pics = [Image.fromarray(np.concatenate([f["x_t"], np.full((f["x_t"].shape[0], 4), 255, np.uint8), f["x0"]], 1)
                            .repeat(2, 0).repeat(2, 1))
            for f in frames]
    path = Path(tempfile.mkdtemp(prefix="genmodels-")) / "denoising.gif"
    pics[0].save(path, save_all=True, append_images=pics[1:] + [pics[-1]] * 8, duration=80, loop=0)
    return str(path)


def _run(sched, x_T: torch.Tensor, seed: int, t_start: int | None = None, bf16: bool = True):
    """Stream frames of the reverse process; the last yield also returns the recorded frames.

    Each frame's caption names the time of the x_t shown (the output of the step just taken, in the
    decks' t = 1 … T; x_0 at the end) and the time of the x_t that x̂_0 was predicted from."""
    model = load_model()
    ks = diffusion_view.timesteps_from(sched, t_start)
    every = max(1, math.ceil(len(ks) / MAX_FRAMES))
    frames = [{"x_t": _sheet(x_T), "x0": np.zeros_like(_sheet(x_T)),
               "caption": diffusion_view.frame_caption(sched, ks[0], None, 0, len(ks))}]
    yield frames[0], None
    for i, (t, x, x0) in enumerate(ddpm.denoise(model, sched, x_T, seed=seed, every=every, t_start=t_start,
                                                bf16=bf16), 1):
        done = min(i * every, len(ks))                     # t: the code timestep of the step just taken
        caption = diffusion_view.frame_caption(sched, diffusion_view.previous_timestep(sched, t), t, done, len(ks))
        formula = diffusion_view.update_text(diffusion_view.update(sched, t))
        frames.append({"x_t": _sheet(x), "x0": _sheet(x0),
                       "caption": caption + (f"<br>this step: {formula}" if formula else "")})
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
    t = number("t", t, 1, sched.T, integer=True) - 1           # the decks' t = 1..T; code 0..T-1
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


def clamp_t(schedule: str, t):
    """The t slider for a newly chosen schedule: range 1 … T, the current t clamped into it."""
    if schedule not in FORWARD_SCHEDULES:
        raise gr.Error(f"Schedule must be one of {', '.join(FORWARD_SCHEDULES)}; got {schedule!r}.")
    T = _scheduler_for(schedule).T
    try:
        value = min(max(1, int(float(t))), T)
    except (TypeError, ValueError, OverflowError):
        value = min(250, T)
    return gr.update(maximum=T, value=value)


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
    """SDEdit: noise your drawing to t₀ (1 … T) with q(x_t₀ | x_0), then denoise it with DDIM."""
    try:
        x = torch.from_numpy(sketch_to_domain(sketch, framing="mnist"))   # drawn digits framed as MNIST
    except ImageInputError as e:
        raise gr.Error(str(e)) from None
    model = load_model()
    t0 = number("t₀", t0, 1, model.config.T, integer=True)
    steps = number("Steps", steps, 1, 1000, integer=True)
    seed = number("Seed", seed, 0, 2**31 - 1, integer=True)
    sched = ddpm.scheduler("ddim", model.config.T, model.config.schedule, 0.0, steps)
    start = diffusion_view.sdedit_start(sched, t0)          # the DDIM step at or below t₀ (code timestep)
    x0 = to_model(x[None])
    x_t0 = sched.add_noise(x0, torch.randn(x0.shape, generator=seeded(seed)), torch.tensor([start]))
    yield from _stream(_run(sched, x_t0, seed + 1, t_start=start))


def _end_cards(alpha_bar_T: float) -> list[tuple[str, str, str]]:
    """ᾱ_T, and the signal x_T keeps: amplitude √ᾱ_T, share of the variance ᾱ_T (unit-variance data)."""
    ok = "good" if alpha_bar_T < 0.01 else "bad"
    return [("ᾱ_T (should be ≈ 0)", f"{alpha_bar_T:.3f}", ok),
            ("signal left in x_T: amplitude √ᾱ_T · variance ᾱ_T", f"{math.sqrt(alpha_bar_T):.0%} · {alpha_bar_T:.0%}", ok)]


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
        info = cards(_end_cards(r.metrics["alpha_bar_T"]) + [("step", f"{r.step} / {cfg.steps}", "")])
        if not r.done:
            yield pd.DataFrame(losses), gr.skip(), gr.skip(), info
    model, sched = r.preview["model"], r.preview["scheduler"]
    x, path = toy_diffusion.sample(model, sched, 4000, seed=cfg.seed)
    dens = pd.DataFrame(toy_diffusion.density_rows(cfg, x))
    traj = pd.DataFrame(toy_diffusion.trajectory_rows(path, 10))
    share = float((x < (cfg.mode_a + cfg.mode_b) / 2).float().mean())
    info = cards(_end_cards(r.metrics["alpha_bar_T"]) + [
                  ("share of samples near mode a", f"{share:.2f} (target {cfg.weight_a:.2f})",
                   "good" if abs(share - cfg.weight_a) < 0.05 else "bad")])
    yield pd.DataFrame(losses), dens, traj, info


def _labelled_image(label: str, **kw) -> gr.Image:
    """An image with its label above it (a floating label would cover the top row of a digit grid)."""
    with gr.Column(min_width=kw.pop("min_width", 160)):
        gr.Markdown(label, elem_classes="dd-label")
        return gr.Image(show_label=False, **kw)


def _toy_end_text(schedule: str) -> str:
    e = toy_diffusion.end_of_forward(toy_diffusion.SCHEDULES[schedule](toy_diffusion.Config.T))
    return (f"ᾱ_T = {e['alpha_bar_T']:.3g}: x_T = {e['amplitude']:.3f}·x₀ + {e['noise_amplitude']:.3f}·ε, so the signal "
            f"keeps amplitude √ᾱ_T = {e['amplitude']:.0%} and {e['variance_share']:.0%} of the variance "
            "(for unit-variance data)")


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX, elem_id="dd-intro")
    frames = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            with gr.Tabs():
                with gr.Tab("From noise"):
                    sampler = gr.Radio(["DDIM", "DDPM"], value="DDIM", label="Sampler", elem_id="dd-sampler")
                    steps = gr.Slider(1, 1000, value=50, step=1, label="Steps (DDIM; DDPM always uses all T = 1000)",
                                      elem_id="dd-steps")
                    eta = gr.Slider(0, 1, value=0.0, step=0.05, label="η (DDIM stochasticity; 0 = deterministic)")
                    with gr.Row():
                        n = gr.Slider(1, MAX_IMAGES, value=16, step=1, label="Images", min_width=140)
                        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed (same seed, same digits)",
                                         min_width=140)
                    bf16 = gr.Checkbox(value=True, label="bfloat16 (about 2× faster on a CPU)")
                    gen_btn = gr.Button("Generate", variant="primary", elem_id="dd-generate")
                with gr.Tab("From a drawing (SDEdit)", elem_id="dd-sdedit-tab"):
                    gr.Markdown("SDEdit (seed 003): noise your drawing to t₀ with q(x_t₀ | x₀), then denoise it. "
                                "Small t₀ keeps your strokes, large t₀ only the layout. It plays beside.")
                    sketch = gr.Sketchpad(label="Draw a digit", type="numpy", height=240,
                                          canvas_size=(280, 280), layers=False,
                                          brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                                          elem_id="dd-sketch")
                    t0 = gr.Slider(1, 1000, value=500, step=1, label="t₀ (1 … T: how much noise to add)",
                                   elem_id="dd-t0")
                    with gr.Row():
                        s_steps = gr.Slider(1, 1000, value=50, step=1, label="DDIM steps (over 1 … T)", scale=2,
                                            min_width=180)
                        s_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", min_width=100)
                    s_btn = gr.Button("Denoise the drawing", variant="primary", elem_id="dd-sdedit")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="dd-stop")
        with gr.Column(scale=2):
            caption = gr.Markdown("Press **Generate**: frames stream as they are computed.", elem_id="dd-caption")
            with gr.Row():
                x_t = _labelled_image("**x_t**, the sample being denoised (its t is in the caption)",
                                      elem_id="dd-xt", height=300)
                x_0 = _labelled_image("**x̂_0**, the model's guess of the clean image", elem_id="dd-x0", height=300)
            scrubber = gr.Slider(0, 1, value=0, step=1, label="Scrub the recorded frames", interactive=False,
                                 elem_id="dd-scrub")
            gif = gr.File(label="Download the animation (GIF)", elem_id="dd-gif")
    gr.Markdown(WHAT_RUNS, latex_delimiters=LATEX, elem_id="dd-what-runs")

    gr.Markdown("### The forward process: noise a digit to any t in one jump")
    try:
        f_init = forward(0, 250, FORWARD_SCHEDULES[0], 0)
    except Exception:  # noqa: BLE001 - a missing dataset must not stop the app from starting
        f_init = (None, None, None, "")
    with gr.Row():
        with gr.Column(min_width=260):
            f_index = gr.Slider(0, 9999, value=0, step=1, label="Test digit")
            f_sched = gr.Radio(FORWARD_SCHEDULES, value=FORWARD_SCHEDULES[0], label="Schedule", elem_id="dd-f-sched")
            f_t = gr.Slider(1, 1000, value=250, step=1, label="t (1 … T)", elem_id="dd-f-t")
            f_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed for ε")
        f_x0 = _labelled_image("x₀, a test digit", value=f_init[0], height=180)
        f_eps = _labelled_image("ε ~ N(0, I), shown clipped to [−1, 1]", value=f_init[1], height=180)
        f_xt = _labelled_image("x_t (shown clipped to [−1, 1])", value=f_init[2], height=180, elem_id="dd-f-xt")
    f_text = gr.Markdown(f_init[3], latex_delimiters=LATEX, elem_id="dd-f-text")

    gr.Markdown("### Schedules: how fast does the signal fade?\nThe seed notebook's T = 50 with the T = 1000 betas "
                f"stops at {_toy_end_text(toy_diffusion.SEED_SCHEDULE)}: x_T is still mostly signal, yet sampling starts "
                "from pure noise. Scaling its betas by 1000/T (or a cosine schedule) fixes it.")
    a_df, s_df = schedule_frames()
    with gr.Row():
        gr.LinePlot(a_df, x="t / T", y="ᾱ_t", color="schedule", title="ᾱ_t (signal kept)", elem_id="dd-abar")
        gr.LinePlot(s_df, x="t / T", y="log10 SNR", color="schedule", title="log10 SNR = log10 ᾱ_t/(1−ᾱ_t)")

    with gr.Accordion("Toy 1-D diffusion that trains live in seconds (the seed's SimpleDiffusion, fixed)", open=False):
        gr.Markdown("Data x₀ ~ p_data: two Gaussians on a line. The seed's MLP ε_θ(x_t, t) with t appended, trained "
                    "with the same loss and sampled with the same DDPM step as the digits, T = 50. With the seed's "
                    f"schedule, {_toy_end_text(toy_diffusion.SEED_SCHEDULE)}.")
        with gr.Row():
            with gr.Column(min_width=260):
                ma = gr.Slider(-4, 4, value=-2, step=0.1, label="Mode a")
                mb = gr.Slider(-4, 4, value=2, step=0.1, label="Mode b")
                wa = gr.Slider(0, 1, value=0.3, step=0.05, label="P(mode a)")
                tsched = gr.Radio(list(toy_diffusion.SCHEDULES), value=toy_diffusion.DEFAULT_SCHEDULE,
                                  label="Schedule (T = 50)")
                tsteps = gr.Slider(100, 5000, value=1500, step=100, label="Training steps", elem_id="dd-toy-steps")
                tseed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
                with gr.Row():
                    t_btn = gr.Button("Train and sample", variant="primary", elem_id="dd-toy")
                    t_stop = gr.Button("Stop", variant="stop")
            with gr.Column(scale=2):
                t_info = gr.HTML("", elem_id="dd-toy-info")
                with gr.Row():
                    t_loss = gr.LinePlot(x="step", y="loss", title="Training loss")
                    t_dens = gr.LinePlot(x="x", y="density", color="distribution",
                                         title="p_data(x) vs 4,000 generated samples", elem_id="dd-toy-dens")
                t_traj = gr.LinePlot(x="t", y="x_t", color="sample", elem_id="dd-toy-traj",
                                     title="Ten sample trajectories: sampling runs right to left, t = T → 0")

    gr.HTML("", head=STYLE, js_on_load=PAGE_JS, elem_id="dd-helpers")

    outs = [x_t, x_0, caption, scrubber, gif, frames]
    long_job(gen_btn, generate, [sampler, steps, eta, seed, n, bf16], outs, "ddpm_generate",
             stop=stop_btn, status=caption)
    long_job(s_btn, sdedit, [sketch, t0, s_steps, s_seed], outs, "ddpm_sdedit", stop=stop_btn, status=caption)
    scrubber.change(scrub, [frames, scrubber], [x_t, x_0, caption], api_name=False, show_progress="hidden",
                    trigger_mode="always_last")
    idx = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(scrub, [frames, idx], [x_t, x_0, caption], api_name="ddpm_scrub")
    f_inputs = [f_index, f_t, f_sched, f_seed]
    for w in (f_index, f_t, f_seed):
        w.change(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name=False, show_progress="hidden",
                 trigger_mode="always_last", concurrency_id="ddpm_light", concurrency_limit=8)
    gr.Button(visible=False).click(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name="ddpm_forward")
    # a new schedule first clamps t to its 1 … T (t = 825 becomes 50 for T = 50), then redraws
    f_sched.change(clamp_t, [f_sched, f_t], [f_t], api_name=False, show_progress="hidden").then(
        forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name=False, show_progress="hidden",
        concurrency_id="ddpm_light", concurrency_limit=8)
    long_job(t_btn, toy_train, [ma, mb, wa, tsched, tsteps, tseed],
             [t_loss, t_dens, t_traj, t_info], "ddpm_toy", stop=t_stop, status=t_info)
