"""gradio_client against the running app: the API a script (or a class) would use."""
import pytest


def test_coin_train_streams_records_and_ends_near_p(client):
    job = client.submit(0.7, 256, 600, 2e-3, 2e-3, 256, 0, False, True, api_name="/coin_train")
    outputs = list(job)
    assert len(outputs) >= 10                       # streamed, not one final answer
    cards_html = outputs[-1][0]
    assert "generated P(H)" in cards_html
    import re
    values = [float(v) for v in re.findall(r'gm-card-value">([0-9.]+)<', cards_html)]
    target, empirical, generated, gap = values
    assert target == 0.7 and abs(generated - 0.7) <= 0.03 and gap <= 0.03
    status = outputs[-1][1]
    assert "600 / 600" in status


def test_coin_train_rejects_bad_values_with_a_message(client):
    with pytest.raises(Exception, match=r"(?i)maximum|between"):
        client.predict(1.5, 256, 100, 2e-3, 2e-3, 256, 0, False, True, api_name="/coin_train")
    with pytest.raises(Exception, match=r"(?i)greater than maximum value 0.05|Learning rate of D must be between"):
        client.predict(0.3, 256, 100, 5.0, 2e-3, 256, 0, False, True, api_name="/coin_train")


def test_coin_reset(client):
    out = client.predict(0.4, api_name="/coin_reset")
    assert "0.400" in out[0] and "Press" in out[1]


# -- CycleGAN ------------------------------------------------------------------
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def _read(path):
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255


def test_cyclegan_example_gives_four_panels(client):
    out = client.predict("horse2zebra", 3, False, api_name="/cyclegan_example")
    received, translated, reconstructed, identity, info, caption = out
    r, t, c = _read(received), _read(translated), _read(reconstructed)
    assert r.shape == t.shape == c.shape and r.shape[0] >= 28
    assert np.abs(t - r).mean() > 0.03          # translation changes the picture...
    assert np.abs(c - r).mean() < 0.1           # ...and the cycle brings it back
    assert "cycle L1" in info and "G(x)" in caption


def test_cyclegan_upload_and_bad_uploads(client, tmp_path):
    from gradio_client import handle_file

    from genmodels import data
    zebra = (data.horses_and_zebras("test")[1][0].numpy() * 255).astype(np.uint8)
    good = tmp_path / "zebra.png"
    Image.fromarray(zebra).resize((200, 200)).save(good)
    out = client.predict("zebra2horse", handle_file(str(good)), False, api_name="/cyclegan_upload")
    assert _read(out[0]).shape[0] >= 28

    cases = {}
    (tmp_path / "notes.png").write_bytes(b"definitely not an image")
    cases["notes.png"] = "not an image we can read"
    Image.new("L", (1, 1)).save(tmp_path / "tiny.png")
    cases["tiny.png"] = "only 1×1"
    frames = [Image.new("L", (32, 32), v) for v in (0, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    cases["anim.gif"] = "animation"
    Image.new("L", (9000, 9000)).save(tmp_path / "huge.png")
    cases["huge.png"] = "too large"
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    cases["clear.png"] = "blank"
    for name, message in cases.items():        # a message in the caption; the panels are left as they were
        caption = client.predict("horse2zebra", handle_file(str(tmp_path / name)), False,
                                 api_name="/cyclegan_upload")[5]
        assert message in caption and "Nothing translated" in caption, (name, caption)


def test_cyclegan_bad_api_values(client):
    with pytest.raises(Exception, match=r"(?i)direction|choice|not in"):
        client.predict("cat2dog", 0, False, api_name="/cyclegan_example")
    with pytest.raises(Exception, match="Example index must be between"):
        client.predict("horse2zebra", 99, False, api_name="/cyclegan_example")
    caption = client.predict("horse2zebra", 0, True, api_name="/cyclegan_example")[5]
    assert "no live-trained model yet" in caption


def test_cyclegan_live_training_streams(client):
    job = client.submit("fine-tune the checkpoint", 20, 2, 0, api_name="/cyclegan_train")
    outs = list(job)
    assert len(outs) >= 2
    table, curves, preview, status = outs[-1][:4]
    assert "λ·L_cyc, horses" in table and "20 / 20" in status


# -- VAE -------------------------------------------------------------------------
VAE16 = "VAE, 16-D latent"


def test_vae_decode_changes_with_z(client):
    a = _read(client.predict(VAE16, *([0.0] * 16), api_name="/vae_decode"))
    b = _read(client.predict(VAE16, *([1.5] + [0.0] * 15), api_name="/vae_decode"))
    assert a.shape == b.shape and np.abs(a - b).mean() > 0.01
    with pytest.raises(Exception, match=r"z\[0\] must be between|greater than maximum"):
        client.predict(VAE16, *([9.0] + [0.0] * 15), api_name="/vae_decode")


def test_vae_model_switch_point_traverse_compare(client):
    out = client.predict("VAE, 2-D latent", api_name="/vae_model")
    assert _read(out[16]).shape[0] >= 28                  # decoded image after the 16 slider updates
    img, map_img, info = client.predict("VAE, 2-D latent", 0.5, -1.0, api_name="/vae_decode_point")
    assert "(0.50, -1.00)" in info and _read(map_img).shape[0] == 420
    client.predict(VAE16, api_name="/vae_model")           # back to 16 dimensions (the dim slider follows)
    strip = _read(client.predict(VAE16, 3, *([0.0] * 16), api_name="/vae_traverse"))
    assert strip.shape[1] > 8 * strip.shape[0] // 2       # nine images side by side
    cmp = client.predict(0, api_name="/vae_compare")
    assert "classes among N(0, I) decodes" in cmp[4]


def test_vae_reconstruct_and_likelihood(client):
    rec_in, rec_out, rec_map, info, *sliders = client.predict(VAE16, "test digit", 7, None, None,
                                                               api_name="/vae_reconstruct")
    x, xhat = _read(rec_in), _read(rec_out)
    assert np.abs(x - xhat).mean() < 0.1 and "nats" in info
    plot, img, text = client.predict("test digit", 7, None, None, api_name="/vae_likelihood")
    assert "nats" in text and "typical digit" in text
    with pytest.raises(Exception, match="sketch is empty"):
        client.predict(VAE16, "drawing", 0, None, None, api_name="/vae_reconstruct")
    with pytest.raises(Exception, match="No image given"):
        client.predict("upload", 0, None, None, api_name="/vae_likelihood")


def test_vae_live_training_streams_and_improves(client):
    outs = list(client.submit(2, True, 1.0, 120, 0, "from scratch", "mnist", api_name="/vae_train"))
    assert len(outs) >= 3
    status = outs[-1][3]
    assert "120 / 120" in status and "test −ELBO" in status
    with pytest.raises(Exception, match="No checkpoint for that combination"):
        client.predict(16, False, 1.0, 20, 0, "continue from the checkpoint", "mnist", api_name="/vae_train")


# -- DDPM --------------------------------------------------------------------------
def test_ddpm_generate_streams_frames_then_scrub_and_gif(client):
    outs = list(client.submit("DDIM", 10, 0.0, 3, 2, True, api_name="/ddpm_generate"))
    assert len(outs) >= 11                                  # x_T, ten steps, the final record
    x_t, x0, caption, scrub, gif = outs[-1][:5]
    assert "t = 0" in caption and str(gif).endswith(".gif")
    first = _read(client.predict(0, api_name="/ddpm_scrub")[0])
    last = _read(client.predict(10, api_name="/ddpm_scrub")[0])
    assert first.shape == last.shape and np.abs(first - last).mean() > 0.05   # noise vs digits
    again = list(client.submit("DDIM", 10, 0.0, 3, 2, True, api_name="/ddpm_generate"))
    assert np.array_equal(_read(again[-1][0]), _read(x_t))                     # same seed, same digits


def test_ddpm_forward_and_bad_values(client):
    x0, eps, xt, text = client.predict(0, 1000, "linear (T = 1000)", 0, api_name="/ddpm_forward")
    assert "0.0000" in text or "ᾱ" in text or "alpha" in text
    with pytest.raises(Exception, match=r"t must be between 1 and 50"):
        client.predict(0, 500, "seed notebook (linear, T = 50)", 0, api_name="/ddpm_forward")
    with pytest.raises(Exception, match=r"(?i)sketch is empty"):
        client.predict(None, 500, 50, 0, api_name="/ddpm_sdedit")
    with pytest.raises(Exception, match=r"(?i)greater than maximum|Images must be between"):
        client.predict("DDIM", 10, 0.0, 0, 500, True, api_name="/ddpm_generate")


def test_ddpm_toy_trains_and_reaches_noise(client):
    outs = list(client.submit(-2.0, 2.0, 0.3, "linear scaled by 1000/T (reaches noise)", 600, 0,
                              api_name="/ddpm_toy"))
    assert len(outs) >= 3
    info = outs[-1][3]
    assert "share of samples near mode a" in info


# -- DCGAN -------------------------------------------------------------------------
def test_dcgan_pick_compute_interpolate(client):
    for slot, idx in (("A", 0), ("A", 1), ("B", 2), ("C", 3), ("start", 4), ("end", 5)):
        client.predict(slot, 0, idx, api_name="/dcgan_pick")
    means, result = client.predict(0.25, False, api_name="/dcgan_compute")
    assert _read(result).shape[1] > 4 * _read(result).shape[0]       # eight images in a row
    strip, gif = client.predict("spherical", 10, False, api_name="/dcgan_interpolate")
    assert str(gif).endswith(".gif") and _read(strip).shape[1] > 5 * _read(strip).shape[0]
    client.predict(api_name="/dcgan_clear")
    with pytest.raises(Exception, match="Fill slots A, B and C first"):
        client.predict(0.25, False, api_name="/dcgan_compute")
    with pytest.raises(Exception, match="Sample index must be between"):
        client.predict("A", 0, 99, api_name="/dcgan_pick")


def test_dcgan_live_training_streams(client):
    outs = list(client.submit("from scratch", 30, 16, 0, api_name="/dcgan_train"))
    assert len(outs) >= 3 and "step 30" in outs[-1][4]
    assert "diversity" in outs[-1][3]
    outs = list(client.submit("continue my run", 20, 16, 0, api_name="/dcgan_train"))
    assert "step 50" in outs[-1][4]
