"""The DDPM tab's captions and on-screen update, checked against what the schedulers' step() does."""
import math
import re

import numpy as np
import pytest
import torch
from PIL import Image

from genmodels import checkpoints, ddpm, diffusion_view as view
from genmodels.common import grid, seeded


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


# -- what the tab shows beyond the captions -------------------------------------------------------
def test_generated_frames_their_captions_and_the_gif(tmp_path):
    model = ddpm.build(ddpm.Config(ch=16, num_classes=10))
    frames = list(view.generate_frames(model, "DDIM", 5, 0.0, 3, 2, bf16=False, label=4, guidance=2.5))
    assert len(frames) == 6                                             # x_T and five steps
    assert frames[0].x_t.shape == (32, 62) and frames[0].x_t.dtype == np.uint8 and not frames[0].x0.any()
    assert all(f.caption.startswith("y = 4, w = 2.5: ε̃ = ε_θ(x_t, t, ∅) + 2.5·(ε_θ(x_t, t, 4) − ε_θ(x_t, t, ∅))")
               for f in frames)
    assert "x_0, the output" in frames[-1].caption and "step 5 / 5" in frames[-1].caption
    # the last frame is the reverse process from x_T ~ N(0, I) drawn from the seed, with the mix shown
    sched = ddpm.sample_scheduler(model, "ddim", 5)
    x_T = torch.randn(2, 1, 28, 28, generator=seeded(3))
    *_, (_, x, _) = ddpm.denoise(model.ema, sched, x_T, seed=4, label=4, guidance=2.5)
    assert np.array_equal(view.sheet(x), frames[-1].x_t) and np.array_equal(view.sheet(x_T), frames[0].x_t)
    gif = Image.open(view.gif(frames, tmp_path / "a.gif"))
    assert gif.size == (2 * (62 + 4 + 62), 2 * 32) and gif.n_frames > 1     # x_t | x̂_0, doubled, animated
    with pytest.raises(ValueError, match="digit"):
        next(view.generate_frames(model, "DDIM", 5, 0.0, 0, 1, label=10))
    many = list(view.generate_frames(ddpm.build(ddpm.Config(ch=8, T=300)), "DDPM", 1, 0.0, 0, 1, bf16=False))
    assert len(many) <= view.MAX_FRAMES + 1 and "x_0, the output" in many[-1].caption


def test_guidance_text_names_the_run():
    assert view.guidance_text(None, 2.0).startswith("no digit")
    assert view.guidance_text(3, 1.0) == "y = 3, w = 1 (plain conditional): ε̃ = ε_θ(x_t, t, 3)"
    assert view.guidance_text(3, 0.0) == "y = 3, w = 0: ε̃ = ε_θ(x_t, t, ∅) + 0·(ε_θ(x_t, t, 3) − ε_θ(x_t, t, ∅))"


def test_sdedit_frames_start_at_t0_from_the_noised_drawing():
    model = ddpm.build(ddpm.Config(ch=16))
    drawing = np.zeros((28, 28), np.float32)
    drawing[5:23, 13:15] = 1
    frames = list(view.sdedit_frames(model, drawing, 300, 10, 0, bf16=False))
    sched = ddpm.sample_scheduler(model, "ddim", 10)
    start = view.sdedit_start(sched, 300)
    assert f"x_t at t = {start + 1} ·" in frames[0].caption and start + 1 <= 300
    assert len(frames) == 1 + len(view.timesteps_from(sched, start))
    with pytest.raises(ValueError, match="t₀"):
        next(view.sdedit_frames(model, drawing, 0, 10, 0))


def test_forward_view_is_the_closed_form():
    from genmodels import data

    f = view.forward_view(3, 400, "cosine (T = 1000)", 7, size=28)
    sched = ddpm.DDPMScheduler(1000, "cosine")
    x0 = data.load("mnist", "test")[0][3][None, None] * 2 - 1
    x_t = sched.add_noise(x0, torch.randn(x0.shape, generator=seeded(7)), torch.tensor([399]))
    want = ((x_t.clamp(-1, 1) + 1) / 2 * 255)[0, 0].numpy()
    assert np.abs(f.x_t.astype(float) - want).max() <= 1.5
    ab = float(sched.alphas_cumprod[399])
    assert "t = 400 of 1000" in f.text and f"**{ab ** 0.5:.3f}**·x₀" in f.text
    with pytest.raises(ValueError, match="between 1 and 50"):
        view.forward_view(0, 51, "seed notebook (linear, T = 50)", 0)
    with pytest.raises(ValueError, match="Schedule"):
        view.forward_scheduler("quadratic")


def test_schedule_rows_start_at_one_and_the_seed_schedule_ends_at_0_603():
    rows, snr = view.schedule_rows()
    seed = [r for r in rows if r["schedule"] == "seed notebook: linear, T = 50"]
    assert len(seed) == 50 and seed[-1]["t / T"] == 1.0 and seed[-1]["ᾱ_t"] == pytest.approx(0.603, abs=1e-3)
    assert {r["schedule"] for r in snr} == {r["schedule"] for r in rows} and len(snr) == len(rows)


def test_solver_curve_reads_the_table_as_written():
    table = {"n": 2000, "fld_floor": 2.5, "rows": [
        {"sampler": s, "evaluations": k, "fld": 10.0 / k + i} for i, s in enumerate(("ddpm", "ddim", "dpmpp"))
        for k in (5, 10, 20, 50)]}
    rows, note = view.solver_curve({"metrics": {"fld_by_evaluations": table}})
    assert {r["sampler"] for r in rows} == set(view.SOLVER_LABELS.values()) | {"floor (test vs train)"}
    dpm = sorted((r["evaluations"], r["FLD"]) for r in rows if r["sampler"] == "DPM-Solver++ (2M)")
    assert dpm == [(5, 4.0), (10, 3.0), (20, 2.5), (50, 2.2)]
    assert "2,000 samples" in note and "floor 2.50" in note
    old = {"n": 100, "rows": [{"sampler": "DDIM", "steps": 20, "fld": 3.0}, {"sampler": "DDPM", "steps": 1000, "fld": 1.0}]}
    rows, _ = view.solver_curve({"metrics": {"fld_by_sampler_steps": old}})
    assert rows == [{"evaluations": 20, "FLD": 3.0, "sampler": "DDIM (η = 0)"}]       # 1000 steps: off this curve
    assert view.solver_curve({}) == ([], view.solver_curve({})[1]) and "no sampler table" in view.solver_curve({})[1]


def test_guidance_tradeoff_is_the_cards_sweep():
    card = checkpoints.read_card(checkpoints.CHECKPOINT_DIR / "ddpm-cond-mnist")
    acc, fld_rows, note = view.guidance_tradeoff(card)
    sweep = card["metrics"]["guidance_sweep"]
    assert [r["w"] for r in acc] == [r["guidance"] for r in sweep["rows"]] == list(view.SWEEP)
    assert [r["accuracy"] for r in acc] == [r["accuracy"] for r in sweep["rows"]]
    assert [r["FLD"] for r in fld_rows if r["line"].startswith("samples")] == [r["fld"] for r in sweep["rows"]]
    assert f"{sweep['n']:,} samples per w" in note
    assert view.guidance_tradeoff({"metrics": {}})[:2] == ([], [])


def test_sweep_rows_differ_only_by_w():
    """The strip's row for w is what ddpm.sample draws at that w from the same x_T (DPM-Solver++ 10)."""
    model = ddpm.load(checkpoints.CHECKPOINT_DIR / "ddpm-cond-mnist")
    strip = view.guidance_strip(model, 5, 0, ws=(1.0, 3.0), n=2, bf16=False)
    for row, w in enumerate((1.0, 3.0)):
        x = ddpm.sample(model, 2, seed=0, sampler="dpmpp", steps=10, label=5, guidance=w)
        want = grid(x, nrow=2, pad=2)[2:-2]               # the same two images as one row
        got = strip[2 + row * 30: 2 + row * 30 + 28]
        assert np.abs(got.astype(int) - want[:28].astype(int)).max() <= 1, (row, w)


def test_the_tabs_digit_and_w_checks():
    """The DDPM tab's adapters: 'none' is unconditional, '0' … '9' a digit, anything else a clear message."""
    import gradio as gr

    from demos import ddpm as tab

    assert tab._digit("none") is None and tab._digit(None) is None and tab._digit("7") == 7 and tab._digit(3) == 3
    for bad in ("12", "-1", "seven", True, 2.5):
        with pytest.raises(gr.Error, match="Digit must be none or one of 0 … 9"):
            tab._digit(bad)
    assert tab._guidance(8) == 8.0
    with pytest.raises(gr.Error, match="Guidance w must be between 0.0 and 8.0"):
        tab._guidance(8.5)
    assert tab.noise_estimate("5", 1) == view.guidance_text(5, 1.0)
