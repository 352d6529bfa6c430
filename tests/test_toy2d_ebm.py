"""The 2-D energy-based model fits (issue 15): its own Langevin samples follow the thin mixture."""
import pytest

from genmodels import toy2d
from genmodels.toy2d import data, metrics

STEPS = 600       # about 10 s of one idle core (16 ms of CPU per step, this machine)


@pytest.mark.slow
def test_ebm_fixed_step_fit_on_the_thin_mixture():
    """At its defaults but a fixed step count, the sample distance of ``ebm.sample`` (Langevin from uniform
    noise) to the held-out points is well below a single fitted Gaussian's (thin mixture, seed 0; numbers
    in docs/toy2d.md)."""
    cfg = toy2d.Config(model="ebm", data="thin_mixture", seed=0, params=f"steps={STEPS},max_seconds=100000",
                       seconds=600)
    *_, rec = toy2d.train(cfg)
    assert rec.step == STEPS
    test = data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed).test
    d = metrics.sample_distance(toy2d.sample(rec.model, 2000, seed=0).numpy(), test)
    baseline = metrics.sample_distance(toy2d.gaussian_samples(rec.model, 2000, 0), test)
    assert d < 0.5 * baseline, (d, baseline)


def test_the_panel_opens_on_the_stored_run_of_its_default_family():
    """checkpoints/runs/toy2d-map/panel: the "train one family" panel's opening result, a finished run of
    the tab's first family on its default data, with its measurements."""
    from genmodels.toy2d import view
    frame, meta = view.load_panel()
    assert meta["family"] == view.ALL[0] and meta["data"] == "moons" and meta["seed"] == 0
    assert frame.main.size[0] > 100 and frame.family.size[0] > 100 and frame.losses
    assert frame.measured.name == meta["family"] and frame.measured.steps > 0 and "done" in frame.status
    assert meta["command"].startswith("python -m genmodels.toy2d.view --panel")
