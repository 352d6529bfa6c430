"""genmodels.compare: the MNIST comparison's rows, likelihood kinds, same-seed grids, missing checkpoints."""
import numpy as np
import pytest
import torch

from genmodels import compare


FIELDS = ("model", "checkpoint", "family", "fld", "kid", "inception_score", "class_kl", "likelihood", "evaluations")


def test_every_row_has_its_fields():
    rows = compare.table()
    assert [r["checkpoint"] for r in rows] == [e.checkpoint for e in compare.ENTRIES]
    for r in rows:
        assert "error" not in r, r
        for f in FIELDS:
            assert r[f] not in (None, ""), (r["model"], f)


def test_likelihood_kind_per_family():
    rows = {r["checkpoint"]: r for r in compare.table()}
    assert rows["dcgan-mnist"]["likelihood"] == "none: implicit"
    assert rows["cgan-mnist"]["likelihood"] == "none: implicit"
    assert rows["vae-mnist"]["likelihood"].startswith("−ELBO ")
    assert rows["pixelcnn-mnist"]["likelihood"].startswith("exact NLL ")
    assert "VLB" in rows["ddpm-mnist"]["likelihood"]
    # the numbers are the cards' own
    card = compare.read_card("pixelcnn-mnist")
    assert f"{card['metrics']['test_nll']:.1f}" in rows["pixelcnn-mnist"]["likelihood"]


def test_card_numbers_and_absent_ones():
    rows = {r["checkpoint"]: r for r in compare.table()}
    card = compare.read_card("dcgan-mnist")
    assert rows["dcgan-mnist"]["fld"] == f"{card['metrics']['fld']:.2f}"
    assert rows["pixelcnn-mnist"]["fld"] == compare.NOT_MEASURED       # its card has no FLD
    assert rows["dcgan-mnist"]["inception_score"] == compare.IS_STALE  # never the stale number


def test_evaluations_per_sample():
    rows = {r["checkpoint"]: r["evaluations"] for r in compare.table()}
    assert rows["dcgan-mnist"] == rows["vae-mnist"] == rows["cgan-mnist"] == 1
    assert rows["pixelcnn-mnist"] == 784
    assert rows["ddpm-mnist"] == 50
    assert rows["ddpm-cond-mnist"] == 100        # guided: two evaluations per step
    card = compare.read_card("ddpm-mnist")
    assert compare.evaluations(card, {"sampler": "ddpm"}) == card["config"]["T"]


@pytest.mark.parametrize("name", ["dcgan-mnist", "vae-mnist", "cgan-mnist"])
def test_grid_same_seed_same_pixels(name):
    a, b = compare.sample_grid(name, seed=3), compare.sample_grid(name, seed=3)
    c = compare.sample_grid(name, seed=4)
    assert a.dtype == np.uint8 and a.shape == (244, 244)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_missing_checkpoint_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(compare, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(ValueError, match="not available"):
        compare.row("dcgan-mnist")
    rows = compare.table()
    assert all("error" in r and "not available" in r["error"] for r in rows)
    with pytest.raises(ValueError, match="unknown comparison entry"):
        compare.row("nope")


def test_time_per_16_positive():
    t = compare.time_per_16("vae-mnist", repeats=3)
    assert 0 < t < 60


def test_trilemma_places_the_measured_models():
    rows = compare.table()
    pic = compare.trilemma(rows)
    assert pic.shape == (420, 420, 3) and pic.dtype == np.uint8
    assert (pic < 250).any(axis=2).mean() > 0.01          # something drawn
    only = compare.trilemma([r for r in rows if r["checkpoint"] == "dcgan-mnist"])
    assert not np.array_equal(pic, only)                    # the picture depends on the rows


def test_cached_grid_is_the_same_pixels(tmp_path):
    a = compare.cached_grid("dcgan-mnist", seed=5, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    b = compare.cached_grid("dcgan-mnist", seed=5, cache_dir=tmp_path)   # read back from disk
    assert np.array_equal(a, b) and np.array_equal(a, compare.sample_grid("dcgan-mnist", seed=5))


def tiles(g: np.ndarray, n: int = compare.GRID_N, nrow: int = 4, pad: int = 2, scale: int = 2) -> torch.Tensor:
    """The n 28×28 images of a ``compare.sample_grid`` picture, back in [0, 1] (the inverse of ``grid``)."""
    g = g[::scale, ::scale].astype(np.float32) / 255
    return torch.stack([torch.from_numpy(g[pad + r * 30: pad + r * 30 + 28, pad + c * 30: pad + c * 30 + 28].copy())
                        for r, c in (divmod(i, nrow) for i in range(n))])


@pytest.mark.parametrize("name", ["cgan-mnist", "ddpm-cond-mnist"])
def test_conditional_grids_show_every_digit(name):
    """The shipped seed-0 grid of each class-conditional model asks image i for digit i mod 10, and the
    MNIST classifier reads (almost) each of them as asked: not one digit over and over."""
    from genmodels.ddpm import predict
    from genmodels.metrics import load_classifier

    e = compare._entry(name)
    assert e.cycle_labels and torch.equal(compare.sample_options(e)["label"], torch.arange(16) % 10)
    pred = predict(load_classifier("mnist"), tiles(compare.cached_grid(name, 0)))
    assert (pred == torch.arange(16) % 10).sum() >= 14, pred.tolist()
    assert len(set(pred.tolist())) >= 9


def test_shipped_cgan_grid_is_a_fresh_one():
    """checkpoints/runs/compare holds what ``sample_grid`` draws now (the cGAN is fast enough to redraw)."""
    assert np.array_equal(compare.cached_grid("cgan-mnist", 0), compare.sample_grid("cgan-mnist", 0))


@pytest.mark.slow
def test_shipped_conditional_ddpm_grid_is_a_fresh_one():
    """The same for the conditional DDPM (16 images × 50 DDIM steps × 2 passes: slow on a CPU)."""
    assert np.array_equal(compare.cached_grid("ddpm-cond-mnist", 0), compare.sample_grid("ddpm-cond-mnist", 0))
