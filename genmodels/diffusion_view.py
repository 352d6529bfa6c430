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
"""
from __future__ import annotations

import math
from dataclasses import dataclass

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
