"""genmodels.failures: each failure function shows what its card claims (values, able to fail)."""
import functools

import numpy as np
import pytest
import torch

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


# --- coin GAN ---------------------------------------------------------------
def test_coin_collapse_without_the_batch_feature():
    f = failures.coin_collapse(seed=0)
    share = f.values["collapsed_share"]
    assert share["D(x)"] >= 0.8                       # without h̄: all H or all T nearly every reading
    assert share["D(x, h̄)"] == 0.0                   # with it: never
    assert abs(f.values["final"]["D(x, h̄)"] - 0.3) < 0.1
    assert f.values["final"]["D(x)"] in (0.0, 1.0) or min(f.values["final"]["D(x)"], 1 - f.values["final"]["D(x)"]) < 0.005
    assert f"{share['D(x)']:.0%}" in f.text
    assert f.picture.dtype == np.uint8 and f.picture.shape[2] == 3


def test_collapsed_share_counts_only_one_sided_readings_after_the_warm_up():
    rows = [(10, 1.0), (50, 0.0), (110, 0.0), (120, 0.3), (130, 1.0), (140, 0.298)]
    assert failures._collapsed_share(rows, 0.3) == 0.5


def test_saturating_run_cached_stalls_and_has_the_smaller_gradient():
    run = failures.load_saturating_run()
    f = failures.saturating_stall(run)
    g = f.values["grad_start"]
    assert g["saturating"] * 10 < g["non-saturating"]           # log(1 − D) is flat where D(G(z)) ≈ 0
    assert f.values["D_G_z_start"] < 0.05                       # D rejects G's first flips
    p = f.values["final_p_heads"]
    assert abs(p["non-saturating"] - 0.3) < 0.1                 # −log D(G(z)) reaches the target
    assert p["saturating"] > 0.9                                # log(1 − D(G(z))) is stuck at all heads
    assert f.values["final_D_G_z"]["saturating"] < 0.2
    assert len(run["runs"]["saturating"]["curve"]) == failures.SATURATING_STEPS // 25


def test_saturating_cache_matches_what_the_code_computes():
    """The cached seed-0 run is what saturating_run computes now (a few seconds of training)."""
    cached, fresh = failures.load_saturating_run(), failures.saturating_run(seed=0)
    for kind in ("non-saturating", "saturating"):
        a, b = cached["runs"][kind], fresh["runs"][kind]
        assert abs(a["grad_start"] - b["grad_start"]) < 1e-3 * a["grad_start"]
        assert np.allclose(np.array(a["curve"]), np.array(b["curve"]), atol=0.02)
    assert abs(cached["D_G_z_start"] - fresh["D_G_z_start"]) < 1e-4


def test_g_gradient_norm_is_larger_for_the_non_saturating_loss_when_d_rejects():
    model = failures._poor_start(3)
    assert failures._g_gradient_norm(model, "saturating", 3) * 5 < failures._g_gradient_norm(model, "non-saturating", 3)


# --- DCGAN: checkerboard --------------------------------------------------------
def test_overlap_counts_are_uneven_only_when_k_is_not_divisible_by_s():
    assert sorted(set(failures.overlap_counts("k3-s2").flatten().tolist())) == [1.0, 2.0, 4.0]
    assert set(failures.overlap_counts("k4-s2").flatten().tolist()) == {4.0}
    assert set(failures.overlap_counts("resize-conv").flatten().tolist()) == {9.0}
    c = failures.overlap_counts("k3-s2")
    assert c[0::2, 0::2].unique().numel() == 1 and c[0::2, 1::2].unique().numel() == 1   # a 2 × 2 period


def test_checker_strength_values():
    y = torch.zeros(1, 8, 8)
    y[:, 0::2, 0::2] = 1
    assert abs(failures.checker_strength(y) - 1) < 1e-6
    smooth = torch.linspace(0, 1, 64).reshape(1, 8, 8)
    assert failures.checker_strength(smooth) < 0.1


def test_checkerboard_random_generators():
    f = failures.checkerboard(seed=0)
    s = f.values["strength"]
    assert s["k3-s2"] > 0.15 and s["k4-s2"] > 0.05              # transposed convolutions start on a 2 × 2 pattern
    assert s["k3-s2"] > s["k4-s2"]                               # more of it where the overlap is uneven
    assert s["resize-conv"] < 0.05 * s["k4-s2"]                  # resize-then-convolve: next to none
    assert f.values["overlap"] == {"k3-s2": [1, 2, 4], "k4-s2": [4], "resize-conv": [9]}
    assert np.array_equal(f.picture, failures.checkerboard(seed=0).picture)
    assert not np.array_equal(f.picture, failures.checkerboard(seed=1).picture)


def test_upsampler_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="upsampler kind"):
        failures.upsampler("bilinear", 1, 1)


# --- CycleGAN ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def cyclegan_model():
    from genmodels import cyclegan
    return cyclegan.load("checkpoints/cyclegan-horse2zebra")


def test_hidden_information_measures_the_shipped_cyclegan():
    f = failures.hidden_information(cyclegan_model(), seed=0)
    c, h, gain = f.values["cycle_l1"], f.values["hidden_ink"], f.values["gain"]
    assert c["clean"] < 0.06                                   # F(G(x)) ≈ x
    assert c["wiped"] >= c["clean"] and h["wiped"] < h["clean"]   # wiping faint values loses a little of x
    assert 0 < f.values["input_change"]["wiped"] < 0.01        # ... while changing G(x) invisibly
    assert gain["noised"] < 1                                  # this F is robust to noise: no hidden code
    assert h["pixels_per_image"] > 1 and h["clean"] > 0.3      # F restores ink that G(x) does not show
    assert "hides little" in f.text
    assert f.picture.shape == failures.hidden_information(cyclegan_model(), seed=0).picture.shape


def test_hiding_verdict_reads_the_numbers():
    hiding = {"cycle_l1": {"clean": 0.04, "wiped": 0.2, "noised": 0.3}, "hidden_ink": {"clean": 0.5, "wiped": 0.1},
              "gain": {"wiped": 20.0, "noised": 12.0}}
    assert "hidden in G(x)" in failures.hiding_verdict(hiding)
    robust = {"cycle_l1": {"clean": 0.04, "wiped": 0.041, "noised": 0.04}, "hidden_ink": {"clean": 0.5, "wiped": 0.45},
              "gain": {"wiped": 1.3, "noised": 0.4}}
    assert "hides little" in failures.hiding_verdict(robust)


# --- the cards --------------------------------------------------------------
@pytest.mark.parametrize("tab", ["coin", "dcgan", "cyclegan"])
def test_new_tabs_have_cards_that_refuse_bad_seeds(tab):
    import gradio as gr
    from demos import failures as ui
    assert ui.CARDS[tab]
    for card in ui.CARDS[tab]:
        if card.seeded:
            with pytest.raises(gr.Error):
                ui.show(card, -1)
