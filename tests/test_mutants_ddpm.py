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
