"""What the DDPM tab says about each frame: time as the decks count it, and the update that ran.

The decks count time t = 1 … T (x_0 is the data, x_T ≈ N(0, I)); the schedulers count it
0 … T−1, as diffusers does, so code timestep k is the decks' t = k + 1 and ᾱ_t is
``alphas_cumprod[t − 1]`` (ᾱ_0 = 1). One reverse step ``sched.step(ε, k, x)`` takes the
sample at t = k + 1 to the sample at the scheduler's previous timestep; this module names that
time for a caption, and writes the update that ``step()`` computes with its numbers filled in:

    DDPM:  x_{t−1} = c_0 · x̂_0 + c_t · x_t + σ_t z,       z ~ N(0, I)  (z = 0 at t = 1)
           c_0 = √ᾱ_{t−1} β_t / (1 − ᾱ_t),  c_t = √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t),
           σ_t² = β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)   (the posterior mean μ̃_t(x_t, x̂_0))
    DDIM:  x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε̂ + σ z,  ε̂ = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t),
           σ = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s)

with x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ(x_t, t)) / √ᾱ_t clipped to the data range [−1, 1].
Plain functions over a scheduler's public attributes (``alphas_cumprod``, ``betas``,
``timesteps``, ``posterior_variance``, DDIM's ``eta`` and its ``prev_timestep`` map or
``step_ratio``). A scheduler it does not know gets captions but no update formula.

Below those, everything else the tab shows, as plain functions returning numpy images, strings
and rows: the animation's frames (:func:`generate_frames`, :func:`sdedit_frames`) and its GIF,
the forward process on a test digit, the schedules' curves, the guidance sweep strip and the
trade-off and sampler-quality curves read from the checkpoints' cards.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import arrival, data, ddpm
from .common import grid, seeded, to_model, to_unit
from .ddpm import DDIMScheduler, DDPMScheduler


def deck_t(k: int) -> int:
    """Code timestep k (0 … T−1; −1 for the clean x_0) -> the decks' t (1 … T; 0 for x_0)."""
    return k + 1


def alpha_bar(sched: DDPMScheduler, k: int) -> float:
    """ᾱ_t of the sample at code timestep k; k = −1 (x_0, the data) has ᾱ_0 = 1."""
    return 1.0 if k < 0 else float(sched.alphas_cumprod[k])


def previous_timestep(sched: DDPMScheduler, k: int) -> int:
    """Code timestep of the sample that ``sched.step(ε, k, x)`` returns (−1: the clean x_0)."""
    says = getattr(sched, "previous_timestep", None)   # diffusers' name for it
    table = getattr(sched, "prev_timestep", None)      # a scheduler's map t -> the next t it visits
    if callable(says):
        k_out = int(says(k))
    elif isinstance(table, dict):
        k_out = int(table[k])
    elif hasattr(sched, "step_ratio"):                 # DDIM with evenly spaced steps
        k_out = k - int(sched.step_ratio)
    else:                                              # DDPM visits every t
        k_out = k - 1
    return max(-1, k_out)                        # any time before the first is the clean x_0 (ᾱ = 1)


def timesteps_from(sched: DDPMScheduler, t_start: int | None = None) -> list[int]:
    """The code timesteps a reverse run visits, from ``t_start`` (code, inclusive) down."""
    return [int(k) for k in sched.timesteps if t_start is None or int(k) <= t_start]


def sdedit_start(sched: DDPMScheduler, t0: int) -> int:
    """SDEdit's first code timestep for the decks' t₀ (1 … T): the scheduler's step at or below t₀."""
    ks = timesteps_from(sched, t0 - 1)
    return ks[0] if ks else int(sched.timesteps[-1])


def levels(sched: DDPMScheduler, k: int) -> str:
    """'t = …, ᾱ_t = …, signal √ᾱ_t = …, noise √(1−ᾱ_t) = …' for the sample at code timestep k."""
    ab = alpha_bar(sched, k)
    shown = f"{ab:.4f}" if ab >= 1e-3 else f"{ab:.2e}"          # near t = T: 4.04e-05, not 0.0000
    return (f"t = {deck_t(k)} · ᾱ_t = {shown} · signal √ᾱ_t = {math.sqrt(ab):.3f} · "
            f"noise √(1−ᾱ_t) = {math.sqrt(max(0.0, 1 - ab)):.3f}")


def frame_caption(sched: DDPMScheduler, shown: int, predicted_from: int | None, step: int, total: int) -> str:
    """Caption for one frame: the x_t image is the sample at code timestep ``shown`` (−1: x_0, the
    output), the x̂_0 image was predicted from the sample at ``predicted_from`` (None: none yet)."""
    if shown < 0:
        left = "**x_0, the output** (t = 0 · ᾱ_0 = 1 · signal 1 · noise 0)"
    else:
        left = f"**x_t at {levels(sched, shown)}**"
    if predicted_from is None:
        right = "x̂_0: not predicted yet (the run starts from this x_t)"
    else:
        right = f"x̂_0 predicted from x_t at t = {deck_t(predicted_from)}, clipped to [−1, 1]"
    return f"step {step} / {total} · {left}<br>{right}"


@dataclass
class Update:
    """One reverse step as it runs: x_out = coef_x0 · x̂_0 + coef_xt · x_t + sigma · z (DDPM) or
    x_out = coef_x0 · x̂_0 + coef_eps · ε̂ + sigma · z (DDIM, ε̂ re-derived from the clipped x̂_0)."""
    sampler: str
    t: int               # the decks' t of the input x_t
    t_out: int           # the decks' t of the output (0: x_0)
    coef_x0: float
    coef_xt: float       # DDPM only (0 for DDIM)
    coef_eps: float      # DDIM only (0 for DDPM)
    sigma: float


def update(sched: DDPMScheduler, k: int) -> Update | None:
    """The coefficients ``sched.step(ε, k, x)`` uses; None for a scheduler this module does not know."""
    prev = previous_timestep(sched, k)
    ab, ab_prev = alpha_bar(sched, k), alpha_bar(sched, prev)
    if type(sched) is DDIMScheduler:                    # not its subclasses (a multistep solver has state)
        sigma = float(sched.eta) * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
        return Update("DDIM", deck_t(k), deck_t(prev), math.sqrt(ab_prev), 0.0,
                      math.sqrt(max(0.0, 1 - ab_prev - sigma ** 2)), sigma)
    if type(sched) is DDPMScheduler:
        beta, alpha = float(sched.betas[k]), float(sched.alphas[k])
        sigma = math.sqrt(float(sched.posterior_variance[k])) if k > 0 else 0.0
        return Update("DDPM", deck_t(k), deck_t(prev), math.sqrt(ab_prev) * beta / (1 - ab),
                      math.sqrt(alpha) * (1 - ab_prev) / (1 - ab), 0.0, sigma)
    return None


def update_text(u: Update | None) -> str:
    """The step with its numbers, e.g. 'x_499 = 0.013·x̂_0 + 0.987·x_500 + 0.014·z'."""
    if u is None:
        return ""
    out = f"x_{u.t_out}"
    if u.sampler == "DDIM":
        s = f"{out} = {u.coef_x0:.3f}·x̂_0 + {u.coef_eps:.3f}·ε̂"
    else:
        s = f"{out} = {u.coef_x0:.3f}·x̂_0 + {u.coef_xt:.3f}·x_{u.t}"
    return s + (f" + {u.sigma:.4f}·z" if u.sigma > 0 else "")


# ===========================================================================
# The animation: frames of the reverse process, as the tab shows them
# ===========================================================================
MAX_FRAMES = 120          # frames recorded per run (every k-th step beyond that)
SAMPLER_NAMES = {"DDIM": "ddim", "DDPM": "ddpm", "DPM-Solver++": "dpmpp"}    # the tab's names -> ddpm's


@dataclass
class Frame:
    """One frame: the x_t grid and the x̂_0 grid (uint8, 4 images wide, 1 pixel per pixel) and the
    caption naming the state of each (see :func:`frame_caption`)."""
    x_t: np.ndarray
    x0: np.ndarray
    caption: str


def sheet(x: torch.Tensor) -> np.ndarray:
    """(n, 1, 28, 28) in model space [−1, 1] -> one uint8 grid, 4 images wide (enlarged by :func:`enlarge`)."""
    return grid(to_unit(x).cpu(), nrow=min(4, len(x)), pad=2)


def enlarge(picture: np.ndarray) -> np.ndarray:
    """Nearest-neighbour upscale (×4, or more for a small picture) so that every pixel stays visible."""
    k = max(4, 256 // max(picture.shape[:2]))
    return picture.repeat(k, 0).repeat(k, 1)


def guidance_text(label: int | None, w: float) -> str:
    """The noise estimate a run uses, in the form that runs (ddpm.guided_eps), with y and w filled in."""
    if label is None:
        return "no digit: unconditional ε_θ(x_t, t) (ddpm-mnist; w is not used)"
    if w == 1:
        return f"y = {label}, w = 1 (plain conditional): ε̃ = ε_θ(x_t, t, {label})"
    return f"y = {label}, w = {w:g}: ε̃ = ε_θ(x_t, t, ∅) + {w:g}·(ε_θ(x_t, t, {label}) − ε_θ(x_t, t, ∅))"


def frames(net, sched: DDPMScheduler, x_T: torch.Tensor, seed: int, *, t_start: int | None = None,
           bf16: bool = True, label: int | None = None, guidance: float = 1.0, max_frames: int = MAX_FRAMES,
           header: str = ""):
    """Run the reverse process from x_T with ε network ``net``, yielding a :class:`Frame` for x_T and then
    every k-th step (k so that at most ``max_frames`` + 1 frames are made; always the last).

    Each caption names the time of the x_t shown (the output of the step just taken, in the decks'
    t = 1 … T; x_0 at the end), the time of the x_t that x̂_0 was predicted from, and the update that
    ran with its numbers; ``header`` (e.g. :func:`guidance_text`) goes first."""
    ks = timesteps_from(sched, t_start)
    every = max(1, math.ceil(len(ks) / max_frames))
    head = f"{header}<br>" if header else ""
    first = sheet(x_T)
    yield Frame(first, np.zeros_like(first), head + frame_caption(sched, ks[0], None, 0, len(ks)))
    run = ddpm.denoise(net, sched, x_T, seed=seed, every=every, t_start=t_start, bf16=bf16, label=label,
                       guidance=guidance)
    for i, (t, x, x0) in enumerate(run, 1):
        done = min(i * every, len(ks))                     # t: the code timestep of the step just taken
        caption = frame_caption(sched, previous_timestep(sched, t), t, done, len(ks))
        formula = update_text(update(sched, t))
        yield Frame(sheet(x), sheet(x0), head + caption + (f"<br>this step: {formula}" if formula else ""))


def generate_frames(model: ddpm.DDPM, sampler: str, steps: int, eta: float, seed: int, n: int, *, bf16: bool = True,
                    label: int | None = None, guidance: float = ddpm.DEFAULT_GUIDANCE, header: str = ""):
    """The tab's Generate: n images from x_T ~ N(0, I) (seed), with the tab's sampler name
    (DDIM: ``steps`` and η; DDPM: all T; DPM-Solver++: ``steps``); a digit ``label`` with guidance w."""
    name = SAMPLER_NAMES[sampler]
    ddpm.check_sampling(model, name, None if name == "ddpm" else steps, eta if name == "ddim" else 0.0,
                        label, None if label is None else guidance)
    sched = ddpm.sample_scheduler(model, name, None if name == "ddpm" else steps, eta if name == "ddim" else 0.0)
    x_T = torch.randn(n, 1, 28, 28, generator=seeded(seed))
    yield from frames(model.ema, sched, x_T, seed + 1, bf16=bf16, label=label, guidance=guidance,
                      header=header or guidance_text(label, guidance))


def sdedit_frames(model: ddpm.DDPM, drawing: np.ndarray, t0: int, steps: int, seed: int, *,
                  label: int | None = None, guidance: float = ddpm.DEFAULT_GUIDANCE, bf16: bool = True):
    """SDEdit: noise ``drawing`` ((28, 28) in [0, 1], framed as MNIST) to the decks' t₀ (1 … T) with
    q(x_t₀ | x_0), then denoise it with DDIM-``steps`` (towards digit ``label`` with guidance w)."""
    ddpm.check_sampling(model, "ddim", steps, 0.0, label, None if label is None else guidance)
    if not 1 <= t0 <= model.cfg.T:
        raise ValueError(f"t₀ must be in 1..{model.cfg.T}, got {t0}")
    sched = ddpm.sample_scheduler(model, "ddim", steps)
    start = sdedit_start(sched, t0)          # the DDIM step at or below t₀ (code timestep)
    x0 = to_model(torch.as_tensor(np.asarray(drawing, dtype=np.float32))[None])
    x_t0 = sched.add_noise(x0, torch.randn(x0.shape, generator=seeded(seed)), torch.tensor([start]))
    yield from frames(model.ema, sched, x_t0, seed + 1, t_start=start, bf16=bf16, label=label, guidance=guidance,
                      header=guidance_text(label, guidance))


def gif(recorded: list[Frame], path: str | Path) -> str:
    """The recorded frames as an animated GIF (x_t beside x̂_0, ×2, the last frame held), written to ``path``."""
    pics = [Image.fromarray(np.concatenate([f.x_t, np.full((f.x_t.shape[0], 4), 255, np.uint8), f.x0], 1)
                            .repeat(2, 0).repeat(2, 1))
            for f in recorded]
    pics[0].save(path, save_all=True, append_images=pics[1:] + [pics[-1]] * 8, duration=80, loop=0)
    return str(path)


# ===========================================================================
# The forward process and the schedules
# ===========================================================================
FORWARD_SCHEDULES = ("linear (T = 1000)", "cosine (T = 1000)", "seed notebook (linear, T = 50)")
_SCHEDULERS: dict[str, DDPMScheduler] = {}


def forward_scheduler(name: str) -> DDPMScheduler:
    """One of FORWARD_SCHEDULES (made once)."""
    if name not in FORWARD_SCHEDULES:
        raise ValueError(f"Schedule must be one of {', '.join(FORWARD_SCHEDULES)}; got {name!r}.")
    if name not in _SCHEDULERS:
        _SCHEDULERS[name] = {"linear (T = 1000)": lambda: DDPMScheduler(1000, "linear"),
                             "cosine (T = 1000)": lambda: DDPMScheduler(1000, "cosine"),
                             "seed notebook (linear, T = 50)": lambda: DDPMScheduler(50, "linear")}[name]()
    return _SCHEDULERS[name]


@dataclass
class ForwardView:
    x0: np.ndarray        # the test digit, the noise ε (clipped to [−1, 1]) and x_t, 168×168 uint8
    eps: np.ndarray
    x_t: np.ndarray
    text: str             # the closed form with its numbers filled in (LaTeX)


def forward_view(index: int, t: int, schedule: str, seed: int, size: int = 168) -> ForwardView:
    """q(x_t | x_0) on test digit ``index`` at the decks' t (1 … T of ``schedule``), ε from ``seed``."""
    from .imaging import upscale

    sched = forward_scheduler(schedule)
    if not 1 <= t <= sched.T:
        raise ValueError(f"t must be between 1 and {sched.T}; got {t}.")
    k = t - 1                                                   # the decks' t = 1..T; code 0..T-1
    x0 = to_model(data.load("mnist", "test")[0][index][None])
    eps = torch.randn(x0.shape, generator=seeded(seed))
    x_t = sched.add_noise(x0, eps, torch.tensor([k]))
    ab = float(sched.alphas_cumprod[k])
    text = (f"$x_t = \\sqrt{{\\bar\\alpha_t}}\\,x_0 + \\sqrt{{1-\\bar\\alpha_t}}\\,\\epsilon$ with t = {t} of {sched.T}: "
            f"$\\bar\\alpha_t$ = {ab:.4f}, so $x_t$ = **{math.sqrt(ab):.3f}**·x₀ + **{math.sqrt(1 - ab):.3f}**·ε "
            f"(SNR ᾱ/(1−ᾱ) = {ab / (1 - ab):.3g}).")
    show = lambda x: upscale(to_unit(x)[0, 0], size)  # noqa: E731
    return ForwardView(show(x0), show(eps.clamp(-1, 1)), show(x_t), text)


def schedule_rows() -> tuple[list[dict], list[dict]]:
    """Rows (t / T, ᾱ_t, schedule) and (t / T, log10 SNR, schedule) for linear and cosine (T = 1000), the
    seed notebook's T = 50 and its fix (betas × 1000/T), at most 100 points each."""
    from .toy_diffusion import DEFAULT_SCHEDULE, SCHEDULES

    rows, snr = [], []
    sets = {"linear, T = 1000": DDPMScheduler(1000, "linear"),
            "cosine, T = 1000": DDPMScheduler(1000, "cosine"),
            "seed notebook: linear, T = 50": DDPMScheduler(50, "linear"),
            "T = 50, betas × 1000/T": SCHEDULES[DEFAULT_SCHEDULE](50)}
    for name, s in sets.items():
        ab = s.alphas_cumprod.numpy()
        idx = np.unique(np.linspace(0, s.T - 1, min(s.T, 100)).astype(int))
        rows += [{"t / T": (i + 1) / s.T, "ᾱ_t": float(ab[i]), "schedule": name} for i in idx]
        snr += [{"t / T": (i + 1) / s.T, "log10 SNR": float(np.log10(ab[i] / (1 - ab[i]))), "schedule": name}
                for i in idx]
    return rows, snr


# ===========================================================================
# Classifier-free guidance: the w-sweep strip and the measured trade-off
# ===========================================================================
SWEEP = ddpm.GUIDANCE_SWEEP         # w = 0, 1, 2, 3, 5, 8 (the card's sweep)


def guidance_strip(model: ddpm.DDPM, label: int, seed: int, *, ws=SWEEP, n: int = 6, sampler: str = "dpmpp",
                   steps: int = 10, bf16: bool = True) -> np.ndarray:
    """One row of n samples of digit ``label`` per w in ``ws``, every row from the same n x_T (``seed``), so
    that only w differs: uint8, rows top to bottom in the order of ``ws``, 2-pixel gaps. All rows run
    as one batch (w per image). Deterministic samplers (DPM-Solver++, DDIM η = 0) keep rows comparable."""
    ddpm.check_sampling(model, sampler, steps, 0.0, label, max(ws))
    sched = ddpm.sample_scheduler(model, sampler, steps)
    x_T = torch.randn(n, 1, 28, 28, generator=seeded(seed)).repeat(len(ws), 1, 1, 1)
    w = torch.tensor([float(v) for v in ws]).repeat_interleave(n)
    *_, (_, x, _) = ddpm.denoise(model.ema, sched, x_T, seed=seed + 1, every=10**9, bf16=bf16, label=label,
                                 guidance=w)
    return grid(to_unit(x).cpu(), nrow=n, pad=2)


def guidance_tradeoff(card: dict) -> tuple[list[dict], list[dict], str]:
    """From a class-conditional card's ``guidance_sweep``: rows (w, accuracy) and (w, FLD, what) with the
    floor (real test vs train digits at the same n) as a second line, and a one-line source note."""
    sweep = (card.get("metrics") or {}).get("guidance_sweep")
    if not sweep:
        return [], [], "This checkpoint's card has no guidance sweep."
    acc = [{"w": float(r["guidance"]), "accuracy": float(r["accuracy"])} for r in sweep["rows"]]
    fld_rows = [{"w": float(r["guidance"]), "FLD": float(r["fld"]), "line": "samples vs test digits"}
                for r in sweep["rows"]]
    if sweep.get("fld_floor") is not None:
        fld_rows += [{"w": float(r["guidance"]), "FLD": float(sweep["fld_floor"]), "line": "floor (test vs train)"}
                     for r in sweep["rows"]]
    m = card["metrics"]
    note = (f"Measured on the card ({sweep['n']:,} samples per w, digits 0-9 in turn, {m.get('sampler', 'ddim')}-"
            f"{m.get('sampler_steps', 50)}; our MNIST classifier)")
    return acc, fld_rows, note


# ===========================================================================
# Sample quality against network evaluations (issue 19)
# ===========================================================================
SOLVER_LABELS = {"ddpm": "DDPM (ancestral)", "ddim": "DDIM (η = 0)", "dpmpp": "DPM-Solver++ (2M)"}


def solver_curve(card: dict) -> tuple[list[dict], str]:
    """Rows (evaluations, FLD, sampler) from a card's sampler table (``fld_by_evaluations`` as
    ``benchmarks/ddpm_fld_table.py --write-card`` writes it, or the older ``fld_by_sampler_steps``),
    evaluations ≤ 50 only, with the floor as a line; and a note naming the table's n and floor."""
    metrics = card.get("metrics") or {}
    table = metrics.get("fld_by_evaluations") or metrics.get("fld_by_sampler_steps")
    if not table:
        return [], "This checkpoint's card has no sampler table (benchmarks/ddpm_fld_table.py --write-card)."
    rows = []
    for r in table["rows"]:
        k = int(r.get("evaluations", r.get("steps", 0)))
        name = str(r["sampler"]).lower()
        if k > 50:
            continue                                          # the curve is about few evaluations
        rows.append({"evaluations": k, "FLD": float(r["fld"]), "sampler": SOLVER_LABELS.get(name, name)})
    ks = sorted({r["evaluations"] for r in rows})
    floor = table.get("fld_floor")
    if floor is not None and ks:
        rows += [{"evaluations": k, "FLD": float(floor), "sampler": "floor (test vs train)"} for k in ks]
    note = f"FLD of {table['n']:,} samples against the test digits (lower is better)"
    if floor is not None:
        note += f"; floor {floor:.2f}: real test vs train digits at the same n"
    return rows, note


def recorded_run(path: str | Path, make) -> list[Frame]:
    """The frames of a finished run kept on disk (``path``, a compressed .npz), so the tab can open
    on a finished animation without sampling at start-up; ``make()`` yields the frames when the
    file is missing or unreadable, and they are saved for the next start (``arrival.cached``)."""
    def arrays() -> dict:
        recorded = list(make())
        return {"x_t": np.stack([f.x_t for f in recorded]), "x0": np.stack([f.x0 for f in recorded]),
                "caption": np.array([f.caption for f in recorded])}
    z = arrival.cached(path, arrays)
    return [Frame(a, b, str(c)) for a, b, c in zip(z["x_t"], z["x0"], z["caption"])]
