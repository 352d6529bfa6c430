"""Alive on arrival (issue 18): the PixelCNN tab's opening results, computed once and kept on disk."""
import numpy as np
import pytest
import torch

from genmodels import pixelcnn as P


def _tiny(seed=0):
    return P.build(P.Config(channels=8, layers=2, head=16, seed=seed)).eval()


def test_pixelcnn_arrival_is_the_default_run_and_is_read_back_from_disk(tmp_path, monkeypatch):
    model = _tiny(seed=3)
    path = tmp_path / "runs" / "arrival.npz"
    small = dict(n=4, completions=2, index=5, known_rows=10, seed=7)
    a = P.recorded_arrival(model, None, path, **small)
    assert path.exists() and a["settings"] == {**P.ARRIVAL, **small} and a["bounds"] == {}
    # the same pictures and numbers as the tab's buttons compute for these settings
    *_, last = P.chain_frames(model, 4, seed=7)
    assert np.array_equal(a["chain_images"], last.images) and np.array_equal(a["chain_heat"], last.heat)
    x = P.binary_input("test digit", index=5)
    c = P.completion_panel(model, x, 10, 2, seed=7)
    assert np.array_equal(a["x"], x) and np.array_equal(a["given"], c.given) and np.array_equal(a["grid"], c.grid)
    assert a["nll_known"] == pytest.approx(c.nll_known) and a["nll_x"] == pytest.approx(float(P.nll(model, x)[0]))
    np.testing.assert_allclose(a["nll"], c.nll)

    def no_sampling(*args, **kw):
        raise AssertionError("the arrival was recomputed instead of read from disk")
    monkeypatch.setattr(P, "sample_steps", no_sampling)
    b = P.recorded_arrival(model, None, path, **small)
    assert set(b) == set(a) and all(np.array_equal(b[k], a[k]) for k in a if k not in ("bounds", "settings"))
    with pytest.raises(AssertionError, match="recomputed"):       # other settings: not the file's run
        P.recorded_arrival(model, None, path, **{**small, "seed": 8})


def test_pixelcnn_arrival_rebuilds_an_unreadable_file_and_refuses_unknown_settings(tmp_path):
    model = _tiny()
    path = tmp_path / "arrival.npz"
    path.write_bytes(b"not an npz")
    a = P.recorded_arrival(model, None, path, n=1, completions=1)
    assert a["chain_images"].shape[-1] == 3 and np.load(path)["chain_images"].shape == a["chain_images"].shape
    with pytest.raises(ValueError, match="unknown arrival settings"):
        P.recorded_arrival(model, None, path, steps=3)


def test_pixelcnn_arrival_adds_the_vae_bounds_of_the_same_digit(tmp_path):
    from genmodels import vae
    v = vae.build(vae.Config(latent=2, seed=0)).eval()
    a = P.recorded_arrival(_tiny(), v, tmp_path / "a.npz", n=1, completions=1)
    want = P.vae_bounds(v, torch.as_tensor(a["x"])[None], seed=0)
    assert list(a["bounds"]) == list(want)
    assert all(a["bounds"][k] == pytest.approx(float(want[k][0]), rel=1e-5) for k in want)


def test_dcgan_tab_opens_with_its_slots_filled_and_a_pick_replaces_the_arrival_sample():
    import gradio as gr
    from demos import dcgan as D
    with gr.Blocks():
        D.build()
    a = {s: [D.dcgan.latent(0, i, D.GRID, D.dcgan.Config.nz)] for s, i in zip(D.SLOTS, D.ARRIVAL_PICKS)}
    a["arrival"] = list(D.SLOTS)
    slots, *views = D.pick("A", 0, 7, a)
    assert np.array_equal(slots["A"][0], D.dcgan.latent(0, 7, D.GRID, D.dcgan.Config.nz)) and len(slots["A"]) == 1
    assert slots["arrival"] == ["B", "C", "start", "end"]
    # only the picked slot is redrawn: the others keep their pictures (gr.skip(): nothing is sent)
    assert views[0] is not None and all(v == gr.skip() for v in views[1:])
    # one sample fills its slot's picture (3 × 28 pixels and the 2-pixel frame on each side, square),
    # not the left third of a 3-wide strip
    assert views[0].shape[:2] == (96, 96)
    slots, *views = D.pick("A", 0, 8, slots)                 # a second pick is averaged in, as before
    assert len(slots["A"]) == 2 and views[0].shape[:2] == (96, 186)
    slots, *views = D.pick("A", 0, 9, slots)
    slots, *views = D.pick("A", 0, 10, slots)                # at most 3 kept, in one row
    assert len(slots["A"]) == 3 and views[0].shape[:2] == (96, 276)


def test_arrival_cache_reads_back_what_it_wrote_and_rebuilds_a_broken_file(tmp_path):
    from genmodels import arrival
    calls = []

    def make():
        calls.append(1)
        return {"img": np.arange(6, dtype=np.uint8).reshape(2, 3), "text": "seed 0", "x": [1.5, 2.5],
                "names": np.array(["MNIST", "your image"], dtype=object)}     # a pandas text column
    path = tmp_path / "runs" / "a.npz"
    a = arrival.cached(path, make)
    b = arrival.cached(path, make)
    assert len(calls) == 1 and str(b["text"]) == "seed 0" and np.array_equal(b["img"], a["img"])
    assert b["x"].tolist() == [1.5, 2.5] and b["names"].tolist() == ["MNIST", "your image"]
    path.write_bytes(b"broken")
    arrival.cached(path, make)
    assert len(calls) == 2 and str(np.load(path)["text"]) == "seed 0"
    assert arrival.key("vae-mnist", "no-such-checkpoint").endswith("-none")
    assert len(arrival.key("vae-mnist").split("-")[0]) == 12


def test_vae_tab_opens_on_every_section(tmp_path, monkeypatch):
    """Traversal, reconstruction, a decoded point, AE vs VAE and the likelihood are there without a click,
    the same as their buttons give."""
    from demos import vae as V
    init = V.on_model_change("VAE, 16-D latent")
    z = [u.get("value", 0.0) for u in init[:V.MAX_DIMS]]
    shown = V.arrival(z)
    assert set(shown) == {"traversal", "reconstruct", "point", "compare", "likelihood"}
    assert np.array_equal(shown["traversal"], V.traverse("VAE, 16-D latent", 0, *z))
    rec = V.reconstruct("VAE, 16-D latent", "test digit", 0, None, None)
    assert np.array_equal(shown["reconstruct"][1], rec[1])
    frame, img, text = V.likelihood("test digit", 0, None, None)
    assert shown["likelihood"][0].equals(frame) and text in shown["likelihood"][2]
    assert "On arrival: seed 0" in shown["compare"][4] and "of 10" in shown["compare"][4]


def test_ddpm_guidance_sweep_opens_on_the_sweep_its_button_draws():
    from demos import ddpm as D
    img, caption = D.sweep_arrival()
    want, want_caption = D.sweep("7", 0)
    assert np.array_equal(img, want) and caption.startswith("*On arrival:*") and want_caption in caption
