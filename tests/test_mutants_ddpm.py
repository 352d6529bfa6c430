"""Tests written for survivors of scripts/mutate.py on genmodels/ddpm.py (docs/mutation.md): the
schedules' defaults and the timestep spacings at their ends."""
import pytest
import torch

from genmodels import ddpm


def test_linear_betas_default_to_ho_et_al():
    """β_t from 10⁻⁴ to 0.02 over T steps (Ho et al. 2020), the defaults of betas_for and the scheduler."""
    want = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    assert torch.equal(ddpm.betas_for("linear", 1000), want)
    s = ddpm.DDPMScheduler()
    assert s.T == 1000 and s.clip_sample is True and torch.equal(s.betas, want)


@pytest.mark.parametrize("T,n,want", [(1000, 4, [750, 500, 250, 0]), (1000, 1, [0]), (10, 3, [6, 3, 0])])
def test_leading_spacing_is_arange_times_t_over_n_reversed(T, n, want):
    assert ddpm.spaced_timesteps(T, n, "leading").tolist() == want


def test_every_step_is_allowed_and_both_spacings_then_visit_every_t():
    for spacing in ("trailing", "leading"):
        assert ddpm.spaced_timesteps(1000, 1000, spacing).tolist() == list(range(999, -1, -1)), spacing
        assert ddpm.spaced_timesteps(7, 7, spacing).tolist() == [6, 5, 4, 3, 2, 1, 0], spacing
    assert ddpm.spaced_timesteps(1000, 3, "trailing").tolist() == [999, 666, 332]
    for bad in (0, 1001):
        with pytest.raises(ValueError, match="steps must be in 1..1000"):
            ddpm.spaced_timesteps(1000, bad)
    with pytest.raises(ValueError, match="spacing"):
        ddpm.spaced_timesteps(1000, 4, "middle")


def test_ddim_defaults_to_50_steps_and_its_table_ends_at_the_clean_image():
    assert len(ddpm.DDIMScheduler(1000).timesteps) == 50
    assert len(ddpm.DPMSolverScheduler(1000).timesteps) == 20
    d = ddpm.scheduler("ddim", 1000, "linear", steps=4)
    assert d.prev_timestep == {999: 749, 749: 499, 499: 249, 249: -1}
    assert d.eta == 0.0 and ddpm.DDIMScheduler(1000).eta == 0.0           # DDIM is deterministic unless asked
    assert ddpm.scheduler("ddim", 1000, "linear").spacing == "trailing"


def test_dpm_solver_step_onto_t_0_is_second_order():
    """Leading spacing visits t = 0 (code), so a step lands on it: that step is an inner one, second
    order, x_0 = (σ_0/σ_s) x_s + α_0 (1 − e^{−h}) (D_0 + ½ D_1) with D_1 = (x̂_0(s) − x̂_0(s_prev)) / r."""
    import math
    s = ddpm.scheduler("dpmpp", 1000, "linear", steps=4, spacing="leading")
    assert s.timesteps.tolist() == [750, 500, 250, 0]
    ab = lambda t: float(s.alphas_cumprod[t])                                   # noqa: E731
    lam = lambda t: 0.5 * math.log(ab(t) / (1 - ab(t)))                          # noqa: E731
    x500, eps500 = torch.full((1, 1, 2, 2), 0.4), torch.full((1, 1, 2, 2), 0.2)
    s.reset()
    x250, x0_500 = s.step(eps500, 500, x500)                                     # the first step: first order
    assert torch.allclose(x0_500, (x500 - math.sqrt(1 - ab(500)) * eps500) / math.sqrt(ab(500)), atol=1e-6)
    eps = torch.full((1, 1, 2, 2), 0.3)
    out, x0 = s.step(eps, 250, x250)
    want_x0 = (x250 - math.sqrt(1 - ab(250)) * eps) / math.sqrt(ab(250))
    h, r = lam(0) - lam(250), (lam(250) - lam(500)) / (lam(0) - lam(250))
    D = want_x0 + 0.5 * (want_x0 - x0_500) / r
    want = math.sqrt(1 - ab(0)) / math.sqrt(1 - ab(250)) * x250 + math.sqrt(ab(0)) * (1 - math.exp(-h)) * D
    assert want_x0.abs().max() < 1 and torch.allclose(x0, want_x0, atol=1e-6)          # (no clipping here)
    assert torch.allclose(out, want, atol=1e-6)


class _Cond(torch.nn.Module):
    """ε(·, t, y) = y, ε(·, t, ∅) = 10 (as in test_formulas), plus one parameter (denoise reads its device)."""
    num_classes = 10

    def __init__(self):
        super().__init__()
        self.p = torch.nn.Parameter(torch.zeros(1))

    def null_labels(self, n, device):
        return torch.full((n,), 10, dtype=torch.long, device=device)

    def forward(self, x, t, y=None):
        y = self.null_labels(len(x), x.device) if y is None else y
        return x * 0 + y.float().view(-1, 1, 1, 1)


class _Linear(torch.nn.Module):
    """ε_θ(x_t, t) = 0.37 x_t + t/1000 through a 1×1 convolution (bfloat16 under autocast)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 1, bias=False)
        self.conv.weight.data.fill_(0.37)

    def forward(self, x, t, y=None):
        return self.conv(x) + t.float().view(-1, 1, 1, 1) / 1000


def test_guidance_defaults_to_the_conditional_eps_and_mixes_per_image():
    m, x, t, y = _Cond(), torch.zeros(3, 1, 2, 2), torch.zeros(3, dtype=torch.long), torch.tensor([2, 5, 7])
    assert torch.equal(ddpm.guided_eps(m, x, t, y)[:, 0, 0, 0], torch.tensor([2.0, 5.0, 7.0]))
    assert torch.equal(ddpm.guided_eps(m, x, t, y, 2.0)[:, 0, 0, 0], torch.tensor([-6.0, 0.0, 4.0]))  # 10 + 2 (y − 10)
    w = torch.tensor([0.0, 1.0, 3.0])                                      # one w per image
    assert torch.allclose(ddpm.guided_eps(m, x, t, y, w)[:, 0, 0, 0], torch.tensor([10.0, 5.0, 1.0]))
    with pytest.raises(ValueError, match="unconditional"):
        ddpm.guided_eps(_Linear(), x, t, y)


def test_denoise_every_t_start_and_the_default_seed_and_precision():
    s = ddpm.scheduler("ddim", 1000, "linear", steps=4)                   # [999, 749, 499, 249]
    x = torch.randn(2, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    m = _Linear()
    assert [t for t, _, _ in ddpm.denoise(m, s, x, every=2)] == [749, 249]
    assert [t for t, _, _ in ddpm.denoise(m, s, x, every=3)] == [499, 249]
    assert [t for t, _, _ in ddpm.denoise(m, s, x, t_start=499)] == [499, 249]
    p = ddpm.scheduler("ddpm", 20, "linear")                              # stochastic: the seed matters
    last = lambda **kw: list(ddpm.denoise(m, p, x, **kw))[-1][1]          # noqa: E731
    assert torch.equal(last(), last(seed=0, bf16=False))
    assert not torch.equal(last(), last(seed=1))
    assert not torch.equal(last(), last(bf16=True))
    c = ddpm.scheduler("ddim", 1000, "linear", steps=2)                   # guidance defaults to w = 1: ε(y)
    run = lambda **kw: list(ddpm.denoise(_Cond(), c, x, label=3, **kw))[-1][1]     # noqa: E731
    assert torch.equal(run(), run(guidance=1.0)) and not torch.equal(run(), run(guidance=2.0))


def test_loss_draws_t_from_0_and_drops_no_label_by_default():
    s = ddpm.DDPMScheduler(3)
    x0 = torch.zeros(40, 1, 2, 2)
    g = torch.Generator().manual_seed(7)
    t = torch.randint(0, 3, (40,), generator=g)                            # what loss_fn draws, replayed
    eps = torch.randn(x0.shape, generator=g)
    x_t = (1 - s.alphas_cumprod.float()[t]).sqrt().view(-1, 1, 1, 1) * eps          # x_0 = 0
    want = float(((0.37 * x_t + t.view(-1, 1, 1, 1) / 1000 - eps) ** 2).mean())
    assert (t == 0).any()
    assert float(ddpm.loss_fn(_Linear(), s, x0, torch.Generator().manual_seed(7))) == pytest.approx(want, rel=1e-6)
    assert float(ddpm.loss_fn(_Linear(), s, x0, torch.Generator().manual_seed(7), p_uncond=0.5)) == \
        pytest.approx(want, rel=1e-6)                                      # no labels: nothing to drop
    y = torch.full((40,), 4)
    got = float(ddpm.loss_fn(_Cond(), s, x0, torch.Generator().manual_seed(7), y))
    assert got == pytest.approx(float(((4.0 - eps) ** 2).mean()), rel=1e-6)   # p_uncond = 0: every y kept
    drop = torch.rand(40, generator=g) < 0.5                               # the next draw: which y become ∅
    pred = torch.where(drop, 10.0, 4.0).view(-1, 1, 1, 1)
    got = float(ddpm.loss_fn(_Cond(), s, x0, torch.Generator().manual_seed(7), y, p_uncond=0.5))
    assert 5 < int(drop.sum()) < 35 and got == pytest.approx(float(((pred - eps) ** 2).mean()), rel=1e-6)
