"""Tests written for survivors of scripts/mutate.py on genmodels/diffusion_view.py (docs/mutation.md):
the time a step lands on for every kind of scheduler, and the coefficient each sampler does not use."""
import math
from types import SimpleNamespace

import pytest

from genmodels import ddpm, diffusion_view


def test_previous_timestep_for_each_kind_of_scheduler():
    # our DDPM visits every t, and the step from the first t is the clean x_0 (−1)
    s = ddpm.DDPMScheduler(1000)
    assert [diffusion_view.previous_timestep(s, k) for k in (999, 500, 1, 0)] == [998, 499, 0, -1]
    # DDIM: its own table of the next t visited
    d = ddpm.scheduler("ddim", 1000, "linear", steps=4)
    assert [diffusion_view.previous_timestep(d, k) for k in d.timesteps.tolist()] == [749, 499, 249, -1]
    # a scheduler that only knows its even step (diffusers-style step_ratio): k − ratio, never below −1
    even = SimpleNamespace(step_ratio=250)
    assert [diffusion_view.previous_timestep(even, k) for k in (999, 500, 250, 249, 10)] == [749, 250, 0, -1, -1]
    # diffusers' own method, when a scheduler has it
    says = SimpleNamespace(previous_timestep=lambda k: k - 7, prev_timestep={5: 1})
    assert diffusion_view.previous_timestep(says, 20) == 13 and diffusion_view.previous_timestep(says, 3) == -1


def test_each_sampler_shows_zero_for_the_coefficient_it_does_not_use():
    s = ddpm.DDPMScheduler(1000)
    u = diffusion_view.update(s, 500)
    assert u.sampler == "DDPM" and u.coef_eps == 0.0 and u.coef_xt > 0
    d = ddpm.scheduler("ddim", 1000, "linear", eta=0.5, steps=4)
    v = diffusion_view.update(d, 499)
    ab, ab_prev = float(d.alphas_cumprod[499]), float(d.alphas_cumprod[249])
    sigma = 0.5 * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
    assert v.sampler == "DDIM" and v.coef_xt == 0.0 and (v.t, v.t_out) == (500, 250)
    assert (v.coef_x0, v.coef_eps, v.sigma) == pytest.approx(
        (math.sqrt(ab_prev), math.sqrt(1 - ab_prev - sigma ** 2), sigma), rel=1e-12)
    # the last DDIM step lands on x_0: ᾱ = 1, σ = 0, x_0 = x̂_0
    last = diffusion_view.update(d, int(d.timesteps[-1]))
    assert (last.t_out, last.coef_x0, last.coef_eps, last.sigma) == (0, 1.0, 0.0, 0.0)
    assert diffusion_view.update(ddpm.scheduler("dpmpp", 1000, "linear", steps=4), 999) is None
