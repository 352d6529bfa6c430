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
