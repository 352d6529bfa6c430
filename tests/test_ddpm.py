import pytest
import torch

from genmodels import ddpm
from genmodels.common import seeded


def test_linear_schedule_and_seed_notebook_bug():
    s = ddpm.DDPMScheduler(1000, "linear")
    assert s.alphas_cumprod[-1] < 1e-4                       # T=1000 reaches noise
    short = ddpm.DDPMScheduler(50, "linear")                 # the seed notebook's T = 50
    assert float(short.alphas_cumprod[-1]) == pytest.approx(0.603, abs=0.001)  # never reaches noise
    cos = ddpm.DDPMScheduler(50, "cosine")
    assert cos.alphas_cumprod[-1] < 1e-3


@pytest.mark.parametrize("schedule,name", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
def test_schedules_and_posterior_match_diffusers(schedule, name):
    diffusers = pytest.importorskip("diffusers")
    ours = ddpm.DDPMScheduler(1000, schedule)
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule=name)
    assert torch.allclose(ours.betas.float(), ref.betas, atol=1e-6)
    assert torch.allclose(ours.alphas_cumprod.float(), ref.alphas_cumprod, atol=1e-6)
    post = torch.stack([ref._get_variance(t) for t in range(1, 1000)])
    assert torch.allclose(ours.posterior_variance[1:].float(), post, atol=1e-6)


def test_ddpm_and_ddim_steps_match_diffusers():
    diffusers = pytest.importorskip("diffusers")
    g = torch.Generator().manual_seed(0)
    x_t, eps = torch.randn(4, 1, 28, 28, generator=g), torch.randn(4, 1, 28, 28, generator=g)
    ours, ref = ddpm.DDPMScheduler(1000), diffusers.DDPMScheduler(num_train_timesteps=1000)
    for t in (999, 500, 10, 0):
        a, x0 = ours.step(eps, t, x_t, generator=seeded(5))
        b = ref.step(eps, t, x_t, generator=seeded(5))  # diffusers draws the same noise from the same seed
        assert torch.allclose(a, b.prev_sample, atol=1e-4)  # float32 step arithmetic; schedules above match to 1e-6
        assert torch.allclose(x0, b.pred_original_sample, atol=1e-4)  # float32 step arithmetic; schedules above match to 1e-6
    ours = ddpm.DDIMScheduler(1000)
    ours.set_timesteps(50)
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, timestep_spacing="trailing")  # ours: always trailing
    ref.set_timesteps(50)
    assert ours.timesteps.tolist() == ref.timesteps.tolist()
    for t in ours.timesteps.tolist()[::7]:
        a, x0 = ours.step(eps, t, x_t)
        b = ref.step(eps, t, x_t, eta=0.0, use_clipped_model_output=True)  # ε re-derived from clipped x̂_0
        assert torch.allclose(a, b.prev_sample, atol=1e-4)  # float32 step arithmetic; schedules above match to 1e-6
        assert torch.allclose(x0, b.pred_original_sample, atol=1e-4)  # float32 step arithmetic; schedules above match to 1e-6


def test_add_noise_is_the_closed_form():
    s = ddpm.DDPMScheduler(1000)
    x0, eps = torch.rand(2, 1, 28, 28), torch.randn(2, 1, 28, 28)
    t = torch.tensor([0, 999])
    xt = s.add_noise(x0, eps, t)
    ab = s.alphas_cumprod[t].float().view(-1, 1, 1, 1)
    assert torch.allclose(xt, ab.sqrt() * x0 + (1 - ab).sqrt() * eps)


def test_unet_shapes_and_ddim_eta0_is_deterministic():
    m = ddpm.build(ddpm.Config(ch=16))
    x = torch.randn(3, 1, 28, 28)
    assert m.ema(x, torch.tensor([0, 500, 999])).shape == x.shape
    a = ddpm.sample(m, 3, seed=4, sampler="ddim", steps=5)
    b = ddpm.sample(m, 3, seed=4, sampler="ddim", steps=5)
    c = ddpm.sample(m, 3, seed=5, sampler="ddim", steps=5)
    assert a.shape == (3, 1, 28, 28) and torch.equal(a, b) and not torch.equal(a, c)
    assert 0 <= float(a.min()) and float(a.max()) <= 1


def test_denoise_yields_x_t_and_x0_at_each_step():
    m = ddpm.build(ddpm.Config(ch=16))
    s = ddpm.scheduler("ddim", 1000, "linear", steps=10)
    frames = list(ddpm.denoise(m.ema, s, torch.randn(2, 1, 28, 28), every=1))
    assert [t for t, _, _ in frames] == s.timesteps.tolist()
    assert all(x.shape == x0.shape == (2, 1, 28, 28) for _, x, x0 in frames)


def test_short_training_lowers_the_loss():
    cfg = ddpm.Config(ch=16, steps=60, batch_size=32, lr=1e-3, warmup=1, device="cpu", seed=0)
    recs = list(ddpm.train(cfg, every=1, seconds=0, preview_every=10**9))
    assert [r.step for r in recs] == list(range(1, 61))
    first = sum(r.losses["loss"] for r in recs[:10]) / 10
    last = sum(r.losses["loss"] for r in recs[-10:]) / 10
    assert last < 0.7 * first
    assert recs[-1].done and not any(r.done for r in recs[:-1])
    assert isinstance(recs[-1].preview, ddpm.Preview) and recs[-1].preview.samples.shape == (16, 1, 28, 28)
    assert all(r.model is recs[-1].model for r in recs) and recs[-1].model.steps == 60


def test_toy_diffusion_schedule_fix_and_mixture():
    from genmodels import toy_diffusion as td

    seed_cfg = td.Config(schedule="seed notebook (linear 1e-4..0.02: never reaches noise)")
    assert float(td.scheduler(seed_cfg).alphas_cumprod[-1]) == pytest.approx(0.603, abs=0.001)
    cfg = td.Config(steps=800, seed=1)
    assert float(td.scheduler(cfg).alphas_cumprod[-1]) < 1e-3
    recs = list(td.train(cfg, every=100))
    assert recs[-1].losses["loss"] < recs[0].losses["loss"]
    x, path = td.trajectories(recs[-1].model, 3000, seed=0)
    assert path.shape == (cfg.T + 1, 3000)
    assert abs(float((x < 0).float().mean()) - cfg.weight_a) < 0.08     # the 30% mode gets about 30%
