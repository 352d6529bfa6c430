"""DDPM tab: the denoising process as an animation you can scrub (seed decks 000, 001, 003).

Widgets only: everything shown is computed by genmodels.diffusion_view (frames, captions, the
forward process, schedules, the guidance strip and the cards' curves), genmodels.ddpm (the
checkpoints) and genmodels.toy_diffusion (the 1-D model that trains live).
"""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from genmodels import arrival as arrival_cache, checkpoints, ddpm, diffusion_view as view, toy_diffusion
from genmodels.imaging import ImageInputError, sketch_to_domain

from .links import link
from .common import PIXELS, describe
from .common import (HEAVY, LATEX, PICK_BRUSH_JS, RECORD_SECONDS, cards, check_seed, load_checkpoint, long_job,
                     number, seed_input, sketchpad, training_panel)

MAX_IMAGES = 16
UNCONDITIONAL, CONDITIONAL = "ddpm-mnist", "ddpm-cond-mnist"
DIGITS = ["none"] + [str(k) for k in range(10)]
SAMPLERS = list(view.SAMPLER_NAMES)           # DDIM, DDPM, DPM-Solver++
W_MAX = 8.0

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

**2c. DPM-Solver++ (2M)** follows the same process without noise, as an ODE, in the half log-SNR
$\lambda = \log(\alpha/\sigma)$ with $\alpha_t = \sqrt{\bar\alpha_t}$, $\sigma_t = \sqrt{1-\bar\alpha_t}$; from $s$ to $t$, $h = \lambda_t - \lambda_s$:
$$x_t = \frac{\sigma_t}{\sigma_s}\,x_s + \alpha_t\,(1 - e^{-h})\,D,$$
$$D = \hat x_0(s) + \frac{1}{2r}\big(\hat x_0(s) - \hat x_0(s')\big), \qquad r = \frac{\lambda_s - \lambda_{s'}}{h}$$
using the previous step's guess $\hat x_0(s')$ too (second order); the first and the last step use $D = \hat x_0(s)$, and the last returns $\hat x_0$.

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

GUIDANCE = r"""
#### Choose the digit: classifier-free guidance
With a digit $y$ the tab samples `ddpm-cond-mnist`, a UNet that also takes $y$ (none: `ddpm-mnist`). It was trained with
$y$ replaced by the null label $\varnothing$ 10% of the time, so one network gives both $\epsilon_\theta(x_t, t, y)$ and
$\epsilon_\theta(x_t, t, \varnothing)$, and every step runs on their mix (Ho & Salimans 2022), in place of $\epsilon_\theta(x_t, t)$ below:
$$\tilde\epsilon = \epsilon_\theta(x_t, t, \varnothing) + w\,\big(\epsilon_\theta(x_t, t, y) - \epsilon_\theta(x_t, t, \varnothing)\big)$$
$w = 0$ is the unconditional model, $w = 1$ the plain conditional one, $w > 1$ pushes further towards $y$.
"""

# Runs once in the browser: Generate / Denoise the drawing bring the animation on screen together
# with the button (at 1280×720 both fit).
PAGE_JS = """
if (!window.__ddpmTab) {
  window.__ddpmTab = true;
  document.addEventListener('click', (e) => {
    if (!e.target.closest('#dd-generate, #dd-sdedit')) return;
    const top = document.querySelector('#dd-caption').getBoundingClientRect().top;
    const end = document.querySelector('#dd-scrub').getBoundingClientRect().top;
    if (top < 0 || end > window.innerHeight) window.scrollBy({top: top - 8});
  }, true);
}
"""


@functools.lru_cache(maxsize=2)
def load_model(name: str = UNCONDITIONAL) -> ddpm.DDPM:
    return load_checkpoint(ddpm.load, name, "The toy diffusion at the bottom of this tab trains live without it.")


def _card(name: str) -> dict:
    try:
        return checkpoints.read_card(checkpoints.CHECKPOINT_DIR / name)
    except checkpoints.CheckpointError:
        return {}


def _digit(value) -> int | None:
    """The digit choice: 'none' (or nothing) -> None, '0' … '9' -> that digit; anything else a clear error."""
    if value is None or value == "" or value == "none":
        return None
    if isinstance(value, bool) or str(value).strip() not in DIGITS[1:]:
        raise gr.Error(f"Digit must be none or one of 0 … 9; got {value!r}.")
    return int(str(value).strip())


def _guidance(value) -> float:
    return number("Guidance w", value, 0.0, W_MAX)


def _stream(frames):
    """The frames of a run as the tab's outputs: x_t, x̂_0, caption, scrubber, GIF, recorded frames."""
    recorded = []
    try:
        for f in frames:
            recorded.append(f)
            yield view.enlarge(f.x_t), view.enlarge(f.x0), f.caption, gr.skip(), gr.skip(), gr.skip()
    except ValueError as e:                          # an option the sampler refuses: say which
        raise gr.Error(str(e)) from None
    f = recorded[-1]
    path = view.gif(recorded, Path(tempfile.mkdtemp(prefix="genmodels-")) / "denoising.gif")
    yield (view.enlarge(f.x_t), view.enlarge(f.x0), f.caption,
           gr.update(maximum=len(recorded) - 1, value=len(recorded) - 1, interactive=True), path, recorded)


def generate(sampler: str, steps, eta, seed, n, bf16: bool = True, digit="none", guidance=ddpm.DEFAULT_GUIDANCE):
    """Sample digits from noise, streaming x_t beside x̂_0; a digit y samples ddpm-cond-mnist with guidance w."""
    if sampler not in SAMPLERS:
        raise gr.Error(f"Sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}.")
    steps = number("Steps", steps, 1, 1000, integer=True)
    eta = number("η", eta, 0.0, 1.0)
    seed = check_seed(seed)
    n = number("Number of images", n, 1, MAX_IMAGES, integer=True)
    label, w = _digit(digit), _guidance(guidance)
    model = load_model(UNCONDITIONAL if label is None else CONDITIONAL)
    yield from _stream(view.generate_frames(model, sampler, steps, eta, seed, n, bf16=bool(bf16), label=label,
                                            guidance=w))


def noise_estimate(digit, guidance) -> str:
    """The mix a run with this digit and w uses, written with its numbers (under the w slider)."""
    return view.guidance_text(_digit(digit), _guidance(guidance))


def scrub(frames, i):
    if not frames:
        raise gr.Error("Nothing recorded yet: press Generate (or Denoise the drawing) first.")
    i = number("Frame", i, 0, len(frames) - 1, integer=True)
    f = frames[i]
    return view.enlarge(f.x_t), view.enlarge(f.x0), f.caption


def forward(index, t, schedule: str, seed):
    """The closed form q(x_t | x_0) on a test digit."""
    try:
        T = view.forward_scheduler(schedule).T
    except ValueError as e:
        raise gr.Error(str(e)) from None
    i = number("Test digit index", index, 0, 9999, integer=True)
    t = number("t", t, 1, T, integer=True)                  # the decks' t = 1..T
    f = view.forward_view(i, t, schedule, check_seed(seed))
    return f.x0, f.eps, f.x_t, f.text


def clamp_t(schedule: str, t):
    """The t slider for a newly chosen schedule: range 1 … T, the current t clamped into it."""
    try:
        T = view.forward_scheduler(schedule).T
    except ValueError as e:
        raise gr.Error(str(e)) from None
    try:
        value = min(max(1, int(float(t))), T)
    except (TypeError, ValueError, OverflowError):
        value = min(250, T)
    return gr.update(maximum=T, value=value)


def sdedit(sketch, t0, steps, seed, digit="none", guidance=ddpm.DEFAULT_GUIDANCE):
    """SDEdit: noise your drawing to t₀ (1 … T) with q(x_t₀ | x_0), then denoise it with DDIM (towards digit y)."""
    try:
        x = sketch_to_domain(sketch, framing="mnist")                     # drawn digits framed as MNIST
    except ImageInputError as e:
        raise gr.Error(str(e)) from None
    label, w = _digit(digit), _guidance(guidance)
    model = load_model(UNCONDITIONAL if label is None else CONDITIONAL)
    t0 = number("t₀", t0, 1, model.cfg.T, integer=True)
    steps = number("Steps", steps, 1, 1000, integer=True)
    yield from _stream(view.sdedit_frames(model, x, t0, steps, check_seed(seed), label=label, guidance=w))


def sweep_arrival() -> tuple:
    """The sweep the section opens on (y = 7, seed 0), kept in checkpoints/runs/ (``genmodels.arrival``)."""
    try:
        z = arrival_cache.cached(checkpoints.CHECKPOINT_DIR / "runs" / f"ddpm-sweep-7-s0-{arrival_cache.key(CONDITIONAL)}.npz",
                                 lambda: dict(zip(("img", "caption"), sweep("7", 0))))
        return z["img"], f"*On arrival:* {z['caption']} Press **Draw the sweep** for another digit or seed."
    except Exception:                                   # noqa: BLE001 - opens empty; the button explains
        return None, "Press **Draw the sweep**."


def sweep(digit, seed):
    """Digit y from the same noise at w = 0, 1, 2, 3, 5, 8 (one row each): fidelity rises, diversity falls."""
    label = _digit(digit)
    if label is None:
        raise gr.Error("Choose a digit (0 … 9) for the guidance sweep.")
    seed = check_seed(seed)
    strip = view.guidance_strip(load_model(CONDITIONAL), label, seed)
    ws = ", ".join(f"{w:g}" for w in view.SWEEP)
    return (view.enlarge(strip),
            f"y = {label}, seed {seed}: rows top to bottom w = {ws}; six samples per row from the same six x_T "
            "(DPM-Solver++, 10 steps), so only w differs between rows.")


def toy_train(mode_a, mode_b, weight_a, schedule: str, steps, seed):
    if schedule not in toy_diffusion.SCHEDULES:
        raise gr.Error(f"Schedule must be one of {list(toy_diffusion.SCHEDULES)}; got {schedule!r}.")
    cfg = toy_diffusion.Config(mode_a=number("Mode a", mode_a, -4, 4), mode_b=number("Mode b", mode_b, -4, 4),
                               weight_a=number("P(mode a)", weight_a, 0, 1), schedule=schedule,
                               steps=number("Steps", steps, 100, 5000, integer=True), seed=check_seed(seed))
    end = toy_diffusion.end_of_forward(toy_diffusion.scheduler(cfg))
    losses = []
    for r in toy_diffusion.train(cfg, every=max(10, cfg.steps // 50), seconds=RECORD_SECONDS):
        losses.append({"step": r.step, "loss": r.losses["loss"]})
        status = f"step {r.step} / {cfg.steps} · loss {r.losses['loss']:.4f}"
        if not r.done:
            yield pd.DataFrame(losses), gr.skip(), gr.skip(), cards(_end_cards(end)), status
    res = toy_diffusion.result(r.model, 4000, seed=cfg.seed)
    info = cards(_end_cards(end) + [("share of samples near mode a", f"{res.share_a:.2f} (target {res.weight_a:.2f})",
                                     "good" if abs(res.share_a - res.weight_a) < 0.05 else "bad")])
    yield (pd.DataFrame(losses), pd.DataFrame(res.densities), pd.DataFrame(res.trajectories), info,
           f"step {r.step} / {cfg.steps} · done: 4,000 samples drawn")


def _end_cards(e: dict) -> list[tuple[str, str, str]]:
    """ᾱ_T, and the signal x_T keeps: amplitude √ᾱ_T, share of the variance ᾱ_T (unit-variance data)."""
    ok = "good" if e["alpha_bar_T"] < 0.01 else "bad"
    return [("ᾱ_T (should be ≈ 0)", f"{e['alpha_bar_T']:.3f}", ok),
            ("signal left in x_T: amplitude √ᾱ_T · variance ᾱ_T", f"{e['amplitude']:.0%} · {e['variance_share']:.0%}", ok)]


def _labelled_image(label: str, **kw) -> gr.Image:
    """An image with its label above it (a floating label would cover the top row of a digit grid)."""
    with gr.Column(min_width=kw.pop("min_width", 160)):
        gr.Markdown(label, elem_classes="dd-label")
        return gr.Image(show_label=False, **PIXELS, **kw)


def _toy_end_text(schedule: str) -> str:
    e = toy_diffusion.end_of_forward(toy_diffusion.SCHEDULES[schedule](toy_diffusion.Config.T))
    return (f"ᾱ_T = {e['alpha_bar_T']:.3g}: x_T = {e['amplitude']:.3f}·x₀ + {e['noise_amplitude']:.3f}·ε, so the signal "
            f"keeps amplitude √ᾱ_T = {e['amplitude']:.0%} and {e['variance_share']:.0%} of the variance "
            "(for unit-variance data)")


def _digit_choice(elem_id: str, label: str) -> gr.Radio:
    return gr.Radio(DIGITS, value="none", label=label, elem_id=elem_id)


def _w_slider(elem_id: str) -> gr.Slider:
    return gr.Slider(0, W_MAX, value=ddpm.DEFAULT_GUIDANCE, step=0.5, elem_id=elem_id,
                     label="Guidance w (with a digit; 0 = unconditional, 1 = plain conditional)")


ARRIVAL = dict(sampler="DDIM", steps=50, eta=0.0, seed=0, n=16)     # the tab's defaults


def arrival():
    """The finished default run the tab opens on (frames cached in checkpoints/runs/, keyed by the
    weights' sha256), its GIF, and its caption; None when the checkpoint is missing."""
    try:
        sha = _card(UNCONDITIONAL).get("sha256", "nosha")[:12]
        path = checkpoints.CHECKPOINT_DIR / "runs" / f"ddpm-arrival-{sha}.npz"
        a = ARRIVAL
        recorded = view.recorded_run(path, lambda: view.generate_frames(
            load_model(UNCONDITIONAL), a["sampler"], a["steps"], a["eta"], a["seed"], a["n"]))
    except Exception:                                   # noqa: BLE001 - the tab still opens; Generate explains
        return None
    gif = view.gif(recorded, Path(tempfile.mkdtemp(prefix="genmodels-")) / "denoising.gif")
    caption = (f"*A finished run on arrival (DDIM-50, η = 0, seed 0, 16 images): scrub it below, or press "
               f"**Generate**.*\n\n{recorded[-1].caption}")
    return recorded, gif, caption


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX, elem_id="dd-intro")
    shown = arrival()
    frames = gr.State(shown[0] if shown else None)
    with gr.Row(elem_classes="gm-result-row"):
        with gr.Column(scale=1, min_width=300):
            with gr.Tabs():
                with gr.Tab("From noise"):
                    sampler = gr.Radio(SAMPLERS, value="DDIM", label="Sampler", elem_id="dd-sampler")
                    link(sampler, 'sampler')
                    steps = gr.Slider(1, 1000, value=50, step=1, elem_id="dd-steps",
                                      label="Steps (DDIM, DPM-Solver++; DDPM always uses all T = 1000)")
                    link(steps, 'steps')
                    eta = gr.Slider(0, 1, value=0.0, step=0.05, label="η (DDIM stochasticity; 0 = deterministic)",
                                    elem_classes="gm-advanced")
                    link(eta, 'eta')
                    with gr.Row():
                        n = gr.Slider(1, MAX_IMAGES, value=16, step=1, label="Images", min_width=140)
                        link(n, 'n')
                        seed = seed_input("Seed (same seed, same digits)", min_width=140)
                        link(seed, 'seed')
                    digit = _digit_choice("dd-digit", "Digit y (none: unconditional, ddpm-mnist)")
                    w = _w_slider("dd-w")
                    w_text = gr.Markdown(view.guidance_text(None, ddpm.DEFAULT_GUIDANCE), elem_id="dd-w-text")
                    bf16 = gr.Checkbox(value=True, label="bfloat16 (about 2× faster on a CPU)", elem_classes="gm-advanced")
                    gen_btn = gr.Button("Generate", variant="primary", elem_id="dd-generate")
                with gr.Tab("From a drawing (SDEdit)", elem_id="dd-sdedit-tab"):
                    gr.Markdown("SDEdit (seed 003): noise your drawing to t₀ with q(x_t₀ | x₀), then denoise it. "
                                "Small t₀ keeps your strokes, large t₀ only the layout; a target digit steers it "
                                "towards that class. It plays beside.")
                    sketch = sketchpad("dd-sketch", height=240, brush_size=18)
                    t0 = gr.Slider(1, 1000, value=500, step=1, label="t₀ (1 … T: how much noise to add)",
                                   elem_id="dd-t0")
                    with gr.Row():
                        s_steps = gr.Slider(1, 1000, value=50, step=1, label="DDIM steps (over 1 … T)", scale=2,
                                            min_width=180)
                        s_seed = seed_input(min_width=100)
                    with gr.Accordion("Steer towards a digit (classifier-free guidance)", open=False,
                                      elem_id="dd-s-steer"):
                        s_digit = gr.Dropdown(DIGITS, value="none", label="Target digit y (none: ddpm-mnist)",
                                              elem_id="dd-s-digit")
                        s_w = _w_slider("dd-s-w")
                        s_w_text = gr.Markdown(view.guidance_text(None, ddpm.DEFAULT_GUIDANCE), elem_id="dd-s-w-text")
                    s_btn = gr.Button("Denoise the drawing", variant="primary", elem_id="dd-sdedit")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="dd-stop")
        with gr.Column(scale=2, elem_classes="gm-result"):
            caption = gr.Markdown(shown[2] if shown else "Press **Generate**: frames stream as they are computed.",
                                  elem_id="dd-caption")
            last = shown[0][-1] if shown else None
            with gr.Row():
                x_t = _labelled_image("**x_t**, the sample being denoised (its t is in the caption)",
                                      value=view.enlarge(last.x_t) if last else None, elem_id="dd-xt", height=300)
                x_0 = _labelled_image("**x̂_0**, the model's guess of the clean image",
                                      value=view.enlarge(last.x0) if last else None, elem_id="dd-x0", height=300)
            scrubber = gr.Slider(0, len(shown[0]) - 1 if shown else 1, value=len(shown[0]) - 1 if shown else 0,
                                 step=1, label="Scrub the recorded frames", interactive=bool(shown),
                                 elem_id="dd-scrub")
            gif = gr.File(shown[1] if shown else None, label="Download the animation (GIF)", elem_id="dd-gif")
    gr.Markdown(GUIDANCE, latex_delimiters=LATEX, elem_id="dd-cfg-formula")
    gr.Markdown(WHAT_RUNS, latex_delimiters=LATEX, elem_id="dd-what-runs")

    gr.Markdown("### Guidance sweep: the same noise at w = 0, 1, 2, 3, 5, 8\nThe conditional model draws one digit "
                "from the same six x_T at each w. As w grows every sample becomes the asked digit (fidelity) and the "
                "six grow alike (diversity falls); the curves below measure both on 1,000 samples per w.")
    with gr.Row():
        with gr.Column(min_width=220):
            sw_digit = gr.Radio(DIGITS[1:], value="7", label="Digit y", elem_id="dd-sw-digit")
            sw_seed = seed_input(elem_id="dd-sw-seed")
            sw_btn = gr.Button("Draw the sweep", variant="primary", elem_id="dd-sweep")
        with gr.Column(scale=2):
            sweep0 = sweep_arrival()
            sw_caption = gr.Markdown(sweep0[1], elem_id="dd-sweep-caption")
            sw_img = gr.Image(show_label=False, elem_id="dd-sweep-img", height=340, value=sweep0[0])
    acc_rows, fld_rows, trade_note = view.guidance_tradeoff(_card(CONDITIONAL))
    gr.Markdown(trade_note, elem_id="dd-tradeoff-note")
    with gr.Row():
        gr.LinePlot(pd.DataFrame(acc_rows, columns=["w", "accuracy"]), x="w", y="accuracy", elem_id="dd-tradeoff-acc",
                    title="Fidelity: share classified as the asked digit, against w", y_lim=[0, 1])
        gr.LinePlot(pd.DataFrame(fld_rows, columns=["w", "FLD", "line"]), x="w", y="FLD", color="line",
                    elem_id="dd-tradeoff-fld", title="FLD against all test digits, against w (lower: closer)")

    curve_rows, curve_note = view.solver_curve(_card(UNCONDITIONAL))
    gr.Markdown("### Quality against network evaluations\nEach step of a sampler costs one evaluation of ε_θ "
                f"(the time is nearly all there). DDPM's ancestral steps need many; DDIM and DPM-Solver++ (2M), a "
                f"second-order solver of the same process without noise, need far fewer. {curve_note}.",
                elem_id="dd-solver-note")
    gr.LinePlot(pd.DataFrame(curve_rows, columns=["evaluations", "FLD", "sampler"]), x="evaluations", y="FLD",
                color="sampler", elem_id="dd-solver-curve", title="FLD (lower is better) against network evaluations")

    gr.Markdown("### The forward process: noise a digit to any t in one jump")
    try:
        f_init = forward(0, 250, view.FORWARD_SCHEDULES[0], 0)
    except Exception:  # noqa: BLE001 - a missing dataset must not stop the app from starting
        f_init = (None, None, None, "")
    with gr.Row():
        with gr.Column(min_width=260):
            f_index = gr.Slider(0, 9999, value=0, step=1, label="Test digit")
            f_sched = gr.Radio(list(view.FORWARD_SCHEDULES), value=view.FORWARD_SCHEDULES[0], label="Schedule",
                               elem_id="dd-f-sched")
            link(f_sched, 'schedule')
            f_t = gr.Slider(1, 1000, value=250, step=1, label="t (1 … T)", elem_id="dd-f-t")
            link(f_t, 't')
            f_seed = seed_input("Seed for ε")
        f_x0 = _labelled_image("x₀, a test digit", value=f_init[0], height=180)
        f_eps = _labelled_image("ε ~ N(0, I), shown clipped to [−1, 1]", value=f_init[1], height=180)
        f_xt = _labelled_image("x_t (shown clipped to [−1, 1])", value=f_init[2], height=180, elem_id="dd-f-xt")
    f_text = gr.Markdown(f_init[3], latex_delimiters=LATEX, elem_id="dd-f-text")

    gr.Markdown("### Schedules: how fast does the signal fade?\nThe seed notebook's T = 50 with the T = 1000 betas "
                f"stops at {_toy_end_text(toy_diffusion.SEED_SCHEDULE)}: x_T is still mostly signal, yet sampling starts "
                "from pure noise. Scaling its betas by 1000/T (or a cosine schedule) fixes it.")
    a_rows, s_rows = view.schedule_rows()
    with gr.Row():
        gr.LinePlot(pd.DataFrame(a_rows), x="t / T", y="ᾱ_t", color="schedule", title="ᾱ_t (signal kept)",
                    elem_id="dd-abar")
        gr.LinePlot(pd.DataFrame(s_rows), x="t / T", y="log10 SNR", color="schedule",
                    title="log10 SNR = log10 ᾱ_t/(1−ᾱ_t)")

    _, toy = training_panel("dd-toy", "Toy 1-D diffusion that trains live in seconds (the seed's SimpleDiffusion, fixed)",
                            (100, 5000, 1500, 100), steps_label="Training steps", button="Train and sample")
    with toy.controls:
        ma = gr.Slider(-4, 4, value=-2, step=0.1, label="Mode a")
        mb = gr.Slider(-4, 4, value=2, step=0.1, label="Mode b")
        wa = gr.Slider(0, 1, value=0.3, step=0.05, label="P(mode a)")
        tsched = gr.Radio(list(toy_diffusion.SCHEDULES), value=toy_diffusion.DEFAULT_SCHEDULE, label="Schedule (T = 50)")
    with toy.plots:
        gr.Markdown("Data x₀ ~ p_data: two Gaussians on a line. The seed's MLP ε_θ(x_t, t) with t appended, trained "
                    "with the same loss and sampled with the same DDPM step as the digits, T = 50. With the seed's "
                    f"schedule, {_toy_end_text(toy_diffusion.SEED_SCHEDULE)}.")
        t_info = gr.HTML("", elem_id="dd-toy-info")
        with gr.Row():
            t_loss = gr.LinePlot(x="step", y="loss", title="Training loss")
            t_dens = gr.LinePlot(x="x", y="density", color="distribution",
                                 title="p_data(x) vs 4,000 generated samples", elem_id="dd-toy-dens")
        t_traj = gr.LinePlot(x="t", y="x_t", color="sample", elem_id="dd-toy-traj",
                             title="Ten sample trajectories: sampling runs right to left, t = T → 0")

    gr.HTML("", head=STYLE, js_on_load=PAGE_JS, elem_id="dd-helpers")
    gr.on(None, None, None, None, js=PICK_BRUSH_JS)      # the sketchpad starts with the brush picked

    describe(x_t, "x_t, the sample being denoised", state=caption)     # text alternatives (issue 18)
    describe(x_0, "x̂_0, the model's guess of the clean image", state=caption)
    describe(sw_img, "Guidance sweep", state=sw_caption)
    outs = [x_t, x_0, caption, scrubber, gif, frames]
    long_job(gen_btn, generate, [sampler, steps, eta, seed, n, bf16, digit, w], outs, "ddpm_generate",
             stop=stop_btn, status=caption)
    long_job(s_btn, sdedit, [sketch, t0, s_steps, s_seed, s_digit, s_w], outs, "ddpm_sdedit", stop=stop_btn,
             status=caption)
    scrubber.change(scrub, [frames, scrubber], [x_t, x_0, caption], api_name=False, show_progress="hidden",
                    trigger_mode="always_last", queue=False)
    idx = gr.Number(visible=False, precision=0)
    gr.Button(visible=False).click(scrub, [frames, idx], [x_t, x_0, caption], api_name="ddpm_scrub",
                                   queue=False, show_progress="hidden")
    for d, ww, text in ((digit, w, w_text), (s_digit, s_w, s_w_text)):
        gr.on([d.change, ww.change], noise_estimate, [d, ww], text, api_name=False, show_progress="hidden",
              queue=False)
    sw_btn.click(sweep, [sw_digit, sw_seed], [sw_img, sw_caption], api_name="ddpm_sweep", **HEAVY)
    f_inputs = [f_index, f_t, f_sched, f_seed]
    for widget in (f_index, f_t, f_seed):
        widget.change(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name=False, show_progress="hidden",
                      trigger_mode="always_last", queue=False)
    gr.Button(visible=False).click(forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name="ddpm_forward",
                                   queue=False, show_progress="hidden")
    # a new schedule first clamps t to its 1 … T (t = 825 becomes 50 for T = 50), then redraws
    f_sched.change(clamp_t, [f_sched, f_t], [f_t], api_name=False, show_progress="hidden", queue=False).then(
        forward, f_inputs, [f_x0, f_eps, f_xt, f_text], api_name=False, show_progress="hidden", queue=False)
    toy.wire(toy_train, [ma, mb, wa, tsched, toy.steps, toy.seed], [t_loss, t_dens, t_traj, t_info], "ddpm_toy")
    from .failures import gallery; gallery("ddpm")   # noqa: E702 (the failure gallery, one line)
