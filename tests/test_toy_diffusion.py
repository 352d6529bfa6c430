"""The toy 1-D diffusion: its schedules reach (or, the seed's, miss) noise, and what the tab plots."""
import math

import pytest
import torch

from genmodels import ddpm, toy_diffusion as td


@pytest.mark.parametrize("T", [25, 50, 100, 200, 500, 1000])
def test_the_fixed_schedule_reaches_the_t1000_schedules_alpha_bar_T(T):
    # betas × 1000/T keep Σβ = 10.05 of the T = 1000 schedule, so ᾱ_T ≤ e^(−Σβ): at most its ᾱ_T = 4.0e-5
    target = float(ddpm.DDPMScheduler(1000, "linear").alphas_cumprod[-1])
    fixed = td.SCHEDULES[td.DEFAULT_SCHEDULE](T)
    assert float(fixed.betas.sum()) == pytest.approx(10.05, rel=1e-6)
    assert float(fixed.alphas_cumprod[-1]) <= target * 1.0001
    assert float(td.SCHEDULES["cosine (reaches noise)"](T).alphas_cumprod[-1]) < 1e-4


def test_the_tab_default_reaches_noise_and_the_seeds_schedule_keeps_60_percent_of_the_variance():
    fixed = td.end_of_forward(td.scheduler(td.Config()))
    assert fixed["alpha_bar_T"] < 1e-5 and fixed["amplitude"] < 0.01
    seed = td.end_of_forward(td.scheduler(td.Config(schedule=td.SEED_SCHEDULE)))
    assert seed["alpha_bar_T"] == pytest.approx(0.603, abs=1e-3)
    assert seed["amplitude"] == pytest.approx(0.776, abs=1e-3)          # the "78%" is an amplitude, √ᾱ_T
    assert seed["variance_share"] == pytest.approx(0.603, abs=1e-3)     # the variance share is 60%
    assert seed["amplitude"] ** 2 + seed["noise_amplitude"] ** 2 == pytest.approx(1.0)


def test_trajectory_rows_keep_every_step_of_each_line():
    cfg = td.Config(steps=50, seed=0)
    *_, last = td.train(cfg, every=50)
    x, path = td.trajectories(last.model, 12, seed=0)
    rows = td.trajectory_rows(path, 10)
    lines = {r["sample"] for r in rows}
    assert len(lines) == 10
    for name in lines:
        ts = [r["t"] for r in rows if r["sample"] == name]
        assert ts == list(range(cfg.T, -1, -1))                         # T + 1 points: t = T, …, 1, 0
    ends = [r["x_t"] for r in rows if r["t"] == 0]
    assert ends == pytest.approx(x[:10].tolist())                        # t = 0 is the returned sample x_0


def test_density_rows_integrate_to_one():
    cfg = td.Config()
    x = td.sample_data(cfg, 20_000, torch.Generator().manual_seed(0))[:, 0]
    rows = td.density_rows(cfg, x)
    width = 10 / 80
    for name in ("p_data(x), the target", "p_model(x), generated"):
        mass = sum(r["density"] for r in rows if r["distribution"] == name) * width
        assert mass == pytest.approx(1.0, abs=0.01)
    gen = {round(r["x"], 4): r["density"] for r in rows if r["distribution"].startswith("p_model")}
    target = {round(r["x"], 4): r["density"] for r in rows if r["distribution"].startswith("p_data")}
    assert max(abs(gen[c] - target[c]) for c in gen) < 0.1              # data drawn from p_data match it
    assert not math.isnan(sum(gen.values()))


def test_the_toy_follows_the_family_contract(tmp_path):
    from genmodels import family

    assert family.missing(td) == []
    cfg = td.Config(steps=300, seed=2)
    recs = list(td.train(cfg, every=100))
    model = recs[-1].model
    assert recs[-1].done and all(r.model is model for r in recs) and model.steps == 300
    x = td.sample(model, 500, seed=1)
    assert x.shape == (500, 1) and torch.equal(x, td.sample(model, 500, seed=1))
    assert not torch.equal(x, td.sample(model, 500, seed=2))
    m = td.evaluate(model, n=2000)
    assert m["share_a"] == pytest.approx(cfg.weight_a, abs=0.1) and m["w1"] < 0.5 and m["alpha_bar_T"] < 1e-3
    td.save(model, tmp_path / "toy", m)
    back = td.load(tmp_path / "toy")
    assert back.steps == 300 and back.card["metrics"]["w1"] == m["w1"]
    assert torch.equal(td.sample(back, 50, seed=3), td.sample(model, 50, seed=3))
    res = td.result(model, 300, seed=0)
    assert len(res.trajectories) == 10 * (cfg.T + 1) and res.weight_a == cfg.weight_a
    assert res.share_a == td.mode_share(cfg, td.trajectories(model, 300, seed=0)[0])


def test_mode_share_counts_mode_a_whichever_side_it_is_on():
    x = torch.tensor([-3.0, -2.5, 2.0, 2.5, 3.0])
    assert td.mode_share(td.Config(mode_a=-2, mode_b=2), x) == pytest.approx(0.4)
    assert td.mode_share(td.Config(mode_a=2, mode_b=-2), x) == pytest.approx(0.6)
