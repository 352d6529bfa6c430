"""The VAE tab's choice of prior for the 16-D VAE's samples, through the API (issue 19)."""
import numpy as np
import pytest
from PIL import Image


def _read(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255


def test_vae_prior_samples_standard_and_gmm(client):
    std = _read(client.predict("standard", 0, api_name="/vae_prior_samples"))
    gmm = _read(client.predict("gmm", 0, api_name="/vae_prior_samples"))
    again = _read(client.predict("gmm", 0, api_name="/vae_prior_samples"))
    assert std.shape == gmm.shape and std.shape[1] > 1.8 * std.shape[0]   # 8 × 4 digits
    assert np.array_equal(gmm, again)                                      # same seed, same samples
    assert np.abs(std - gmm).mean() > 0.02
    with pytest.raises(Exception, match="Prior must be one of|not in the list of choices"):
        client.predict("vamp", 0, api_name="/vae_prior_samples")
    with pytest.raises(Exception, match="Seed|less than minimum"):
        client.predict("gmm", -3, api_name="/vae_prior_samples")
