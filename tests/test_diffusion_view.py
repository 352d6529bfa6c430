"""The DDPM tab's captions and on-screen update, checked against what the schedulers' step() does."""
import math
import re

import pytest
import torch

from genmodels import ddpm, diffusion_view as view
from genmodels.common import seeded


def _implied_alpha_bar_out(sched, k: int) -> float:
    """ᾱ of the sample step(ε, k, ·) returns, read off step() itself: with ε_θ = 0 the update is
    linear in x_t with slope √(ᾱ_out/ᾱ_t) (DDPM's posterior mean and DDIM alike); two inputs with
    the same noise draw cancel the σ_t z term."""
    v = torch.full((1, 1, 2, 2), 1e-3, dtype=torch.float64)       # small: x̂_0 stays inside the clip
    eps = torch.zeros_like(v)
    a, _ = sched.step(eps, k, v, generator=seeded(1))
    b, _ = sched.step(eps, k, 2 * v, generator=seeded(1))
    slope = float(((b - a) / v).mean())
    return slope ** 2 * float(sched.alphas_cumprod[k])


def _caption_alpha_bar(caption: str) -> float:
    return float(re.search(r"ᾱ_t = ([0-9.]+(?:e[-+][0-9]+)?)", caption).group(1))


SCHEDULERS = [("ddim", 10), ("ddim", 50), ("ddim", 3), ("ddim", 1), ("ddpm", None)]


@pytest.mark.parametrize("sampler,steps", SCHEDULERS)
def test_each_frame_caption_names_the_noise_level_of_the_image_shown(sampler, steps):
    # The old captions named the step's input t (the frame after the step at t = 500 said "signal 0.279",
    # the image was x_400 with signal 0.44) and called the clean output "t = 0, noise 0.010".
    sched = ddpm.scheduler(sampler, 1000, "linear", 0.0, steps)
    ks = view.timesteps_from(sched)
    for k in ks if len(ks) < 60 else ks[::97] + ks[-3:]:
        shown = view.previous_timestep(sched, k)
        caption = view.frame_caption(sched, shown, k, 1, len(ks))
        implied = _implied_alpha_bar_out(sched, k)
        if shown < 0:
            assert implied == pytest.approx(1.0, abs=1e-9)
            assert "x_0, the output" in caption and "noise 0)" in caption
        else:
            assert _caption_alpha_bar(caption) == pytest.approx(implied, rel=1e-3, abs=6e-5)
            assert f"t = {shown + 1} ·" in caption
        assert f"predicted from x_t at t = {k + 1}," in caption


def test_the_decks_time_runs_1_to_T_and_the_first_frame_is_x_T():
    sched = ddpm.scheduler("ddpm", 1000, "linear")
    first = view.frame_caption(sched, view.timesteps_from(sched)[0], None, 0, 1000)
    assert "t = 1000 · ᾱ_t = 4.04e-05 · signal √ᾱ_t = 0.006 · noise √(1−ᾱ_t) = 1.000" in first
    assert view.deck_t(view.previous_timestep(sched, 999)) == 999        # x_1000 -> x_999
    assert view.previous_timestep(sched, 0) == -1                        # x_1 -> x_0, the output
    last = view.frame_caption(sched, -1, 0, 1000, 1000)
    assert "noise 0.010" not in last and "t = 0" in last


@pytest.mark.parametrize("sampler,steps,eta", [("ddpm", None, 0.0), ("ddim", 10, 0.0), ("ddim", 7, 0.6)])
def test_the_update_on_screen_is_the_step_that_runs(sampler, steps, eta):
    sched = ddpm.scheduler(sampler, 1000, "linear", eta, steps)
    g = torch.Generator().manual_seed(0)
    x_t, eps = 1.5 * torch.randn(3, 1, 28, 28, generator=g), torch.randn(3, 1, 28, 28, generator=g)
    for k in view.timesteps_from(sched)[:: max(1, len(sched.timesteps) // 6)] + [int(sched.timesteps[-1])]:
        out, x0 = sched.step(eps, k, x_t, generator=seeded(3))
        assert float(x0.abs().max()) <= 1.0                             # x̂_0 is clipped to the data range
        u = view.update(sched, k)
        z = torch.randn(x_t.shape, generator=seeded(3))
        ab = float(sched.alphas_cumprod[k])
        if sampler == "ddim":
            eps_hat = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)    # ε re-derived from the clipped x̂_0
            mine = u.coef_x0 * x0 + u.coef_eps * eps_hat + u.sigma * z
        else:
            mine = u.coef_x0 * x0 + u.coef_xt * x_t + u.sigma * z
        assert torch.allclose(out, mine, atol=1e-5)
        text = view.update_text(u)
        assert text.startswith(f"x_{view.deck_t(view.previous_timestep(sched, k))} = ")
        assert ("·z" in text) == (u.sigma > 0)
    assert view.update(sched, 0 if sampler == "ddpm" else int(sched.timesteps[-1])).t_out == 0


def test_ddpm_update_without_the_clip_is_the_decks_epsilon_form():
    sched = ddpm.DDPMScheduler(1000)
    k = 400
    x_t, eps = 0.01 * torch.randn(1, 1, 4, 4), 0.01 * torch.randn(1, 1, 4, 4)
    u = view.update(sched, k)
    ab, a, b = float(sched.alphas_cumprod[k]), float(sched.alphas[k]), float(sched.betas[k])
    x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    deck = (x_t - b / math.sqrt(1 - ab) * eps) / math.sqrt(a)
    assert torch.allclose(u.coef_x0 * x0 + u.coef_xt * x_t, deck, atol=1e-6)


def test_sdedit_t0_counts_1_to_T():
    sched = ddpm.scheduler("ddpm", 1000, "linear")
    assert view.sdedit_start(sched, 1000) == 999 and view.sdedit_start(sched, 1) == 0
    ddim = ddpm.scheduler("ddim", 1000, "linear", 0.0, 10)
    for t0 in (1, 250, 500, 999, 1000):
        k = view.sdedit_start(ddim, t0)
        assert k in ddim.timesteps.tolist()
        below = [int(s) for s in ddim.timesteps if int(s) + 1 <= t0]
        assert k == (max(below) if below else int(ddim.timesteps[-1]))
