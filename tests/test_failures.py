"""genmodels.failures: each failure function shows what its card claims (values, able to fail)."""
import functools

import numpy as np
import pytest

from genmodels import failures


@functools.lru_cache(maxsize=1)
def ddpm_model():
    from genmodels import ddpm
    return ddpm.load("checkpoints/ddpm-mnist")


def test_short_schedule_keeps_the_digit():
    f = failures.short_schedule(seed=0)
    assert f.values["alpha_bar_T_50"] > 0.3                # the seed notebook's x_T is far from noise
    assert abs(f.values["alpha_bar_T_50"] - 0.603) < 1e-3
    assert f.values["alpha_bar_T_1000"] < 1e-3
    assert f.values["corr_50"] > 0.5 and abs(f.values["corr_1000"]) < 0.05   # the digit is visible only at T = 50
    assert f.picture.dtype == np.uint8 and f.picture.ndim == 2
    assert "0.603" in f.text


def test_short_schedule_same_seed_same_picture():
    assert np.array_equal(failures.short_schedule(seed=4).picture, failures.short_schedule(seed=4).picture)
    assert not np.array_equal(failures.short_schedule(seed=4).picture, failures.short_schedule(seed=5).picture)


def test_ddim_leading_starts_late_and_misses():
    f = failures.ddim_leading(ddpm_model(), n=4, seed=0)
    assert f.values["start"] == {"leading-1": 1, "leading-2": 501, "trailing-1": 1000, "trailing-2": 1000,
                                 "trailing-50": 1000}
    d = f.values["distance_to_ddim50"]
    assert d["trailing-50"] == 0.0
    # leading DDIM-1 returns its input noise: the farthest from DDIM-50's digits of all rows
    assert d["leading-1"] > max(d["leading-2"], d["trailing-1"], d["trailing-2"])
    assert d["leading-1"] > 0.3
    assert 0.05 < f.values["alpha_bar_leading_2"] < 0.1


@functools.lru_cache(maxsize=1)
def vae_models():
    from genmodels import vae
    return vae.load("checkpoints/ae2d-mnist"), vae.load("checkpoints/vae2d-mnist")


def test_latent_holes_ae_has_gaps_that_decode_worse():
    f = failures.latent_holes(*vae_models(), seed=0)
    ae, v = f.values["ae"], f.values["vae"]
    assert ae["holes"] > v["holes"] + 0.1                     # the AE's code span is mostly empty
    assert ae["hole_distance"] > ae["code_distance"] * 1.05   # its gaps decode farther from every training digit
    assert ae["prior_distance"] > v["prior_distance"]         # and z ~ N(0, I) lands in them
    assert ae["extent"][3] - ae["extent"][2] > 5 * (v["extent"][3] - v["extent"][2])
    assert f.picture.shape[2] == 3 and f.picture.dtype == np.uint8


def test_posterior_collapse_cached_run():
    run = failures.load_collapse_run()
    f = failures.posterior_collapse(run)
    assert f.values["kl_before"] > 10                               # vae-mnist uses its code
    assert f.values["kl_after"] < 0.02 * f.values["kl_before"]      # KL → 0
    assert f.values["spread_after"] < 0.1 * f.values["spread_before"]   # every digit decodes the same
    assert run["beta"] == failures.COLLAPSE_BETA and len(run["curve"]) >= 20


@pytest.mark.slow
def test_posterior_collapse_rebuilds_when_missing(tmp_path):
    path = tmp_path / "collapse.json"
    run = failures.load_collapse_run(path)
    assert path.exists() and path.stat().st_size < 60_000
    assert run["kl_after"] < 0.02 * run["kl_before"]
    assert failures.load_collapse_run(path) == run                   # read back, not recomputed


def test_spread_is_zero_for_identical_images():
    x = np.random.default_rng(0).random((1, 28, 28))
    assert failures.spread(np.repeat(x, 8, 0)) < 1e-12
    assert failures.spread(np.random.default_rng(1).random((8, 28, 28))) > 0.2


def test_card_refuses_a_bad_seed_with_a_message():
    import gradio as gr
    from demos import failures as ui
    card = ui.CARDS["ddpm"][0]
    for bad in (-1, "x", 2**40):
        with pytest.raises(gr.Error):
            ui.show(card, bad)
    picture, text = ui.show(card, 0)
    assert picture.ndim == 2 and "0.603" in text
