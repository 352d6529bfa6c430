"""Sampling-time options judged in issue 19: the DCGAN's truncation trick, the VAE's ex-post GMM prior."""
import math

import pytest
import torch

from genmodels import checkpoints, dcgan, vae


# -- the truncation trick -------------------------------------------------------------------
@pytest.mark.parametrize("psi", [0.5, 1.0, 2.0])
def test_truncated_noise_never_exceeds_psi_and_is_seeded(psi):
    z = dcgan.truncated_noise(500, 100, seed=3, psi=psi)
    assert z.shape == (500, 100) and z.abs().max() <= psi
    assert torch.equal(z, dcgan.truncated_noise(500, 100, seed=3, psi=psi))       # same seed, same z
    assert not torch.equal(z, dcgan.truncated_noise(500, 100, seed=4, psi=psi))
    # coordinates already inside keep their value: only those beyond ψ are redrawn
    plain = dcgan.noise(500, 100, 3)
    inside = plain.abs() <= psi
    assert torch.equal(z[inside], plain[inside])


def test_truncated_noise_has_the_truncated_normals_variance():
    # Var of N(0, 1) truncated to [−ψ, ψ]: 1 − 2ψ φ(ψ) / (2Φ(ψ) − 1); ψ = 1: 0.2911
    psi = 1.0
    phi = math.exp(-psi ** 2 / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(psi / math.sqrt(2))
    z = dcgan.truncated_noise(2000, 100, seed=0, psi=psi)
    assert float(z.var()) == pytest.approx(1 - 2 * psi * phi / mass, abs=0.004)
    assert float(z.mean()) == pytest.approx(0.0, abs=0.005)


def test_truncation_option_of_sample():
    model = dcgan.build(dcgan.Config(ngf=8, ndf=8, d_dense=0))
    plain = dcgan.sample(model, 4, seed=1)
    assert torch.equal(plain, dcgan.generate(model.G_ema, dcgan.noise(4, 100, 1))[:, None])   # off by default
    t = dcgan.sample(model, 4, seed=1, truncation=0.5)
    assert torch.equal(t, dcgan.sample(model, 4, seed=1, truncation=0.5))
    assert torch.equal(t, dcgan.generate(model.G_ema, dcgan.truncated_noise(4, 100, 1, 0.5))[:, None])
    assert not torch.equal(t, plain)
    assert [o.name for o in dcgan.SAMPLE_OPTIONS] == ["truncation"]
    for bad in (0.0, -1.0, 11.0):
        with pytest.raises(ValueError, match="truncation ψ must be in"):
            dcgan.sample(model, 2, seed=0, truncation=bad)


# -- the GMM prior -----------------------------------------------------------------------------
def _two_blobs(n1=3000, n2=1000, seed=0):
    g = torch.Generator().manual_seed(seed)
    c1 = torch.tensor([[1.0, 0.6], [0.6, 0.5]])
    a = torch.randn(n1, 2, generator=g) @ torch.linalg.cholesky(c1).T + torch.tensor([-3.0, 0.0])
    b = torch.randn(n2, 2, generator=g) * 0.3 + torch.tensor([4.0, 2.0])
    return torch.cat([a, b]), c1


def test_fit_gmm_recovers_a_known_mixture():
    z, c1 = _two_blobs()
    gmm, ll = vae.fit_gmm(z, 2, seed=0)
    order = gmm.means[:, 0].argsort()
    w, m, c = gmm.weights[order], gmm.means[order], gmm.covariances[order]
    assert w.tolist() == pytest.approx([0.75, 0.25], abs=0.01)
    assert m[0].tolist() == pytest.approx([-3.0, 0.0], abs=0.06)
    assert m[1].tolist() == pytest.approx([4.0, 2.0], abs=0.03)
    assert torch.allclose(c[0].float(), c1, atol=0.06)
    assert torch.allclose(c[1].float(), 0.09 * torch.eye(2), atol=0.01)
    assert ll == pytest.approx(float(gmm.log_prob(z).mean()))
    # more components never fit worse than one Gaussian (EM from the same data)
    assert ll > vae.fit_gmm(z, 1, seed=0)[1]
    with pytest.raises(ValueError, match="k must be in"):
        vae.fit_gmm(z[:3], 4)


def test_gmm_log_prob_and_sample_match_torch_distributions():
    z, _ = _two_blobs()
    gmm, _ = vae.fit_gmm(z, 3, seed=1)
    ref = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=gmm.weights),
        torch.distributions.MultivariateNormal(gmm.means, covariance_matrix=gmm.covariances))
    pts = torch.randn(50, 2, dtype=torch.float64) * 3
    assert torch.allclose(gmm.log_prob(pts), ref.log_prob(pts), atol=1e-9)
    s = gmm.sample(20_000, seed=5)
    assert s.dtype == torch.float32 and torch.equal(s, gmm.sample(20_000, seed=5))
    assert not torch.equal(s, gmm.sample(20_000, seed=6))
    mean = (gmm.weights[:, None] * gmm.means).sum(0)
    second = (gmm.weights[:, None, None] * (gmm.covariances + gmm.means[:, :, None] * gmm.means[:, None])).sum(0)
    assert torch.allclose(s.double().mean(0), mean, atol=0.05)
    assert torch.allclose(torch.cov(s.double().T), second - mean[:, None] * mean, atol=0.15)


def _tiny_vae(tmp_path):
    model = vae.build(vae.Config(latent=4, hidden=16))
    vae.save(model, tmp_path / "v", {})
    return vae.load(tmp_path / "v")


def test_prior_file_roundtrip_and_stale_prior(tmp_path):
    model = _tiny_vae(tmp_path)
    assert model.prior_gmm is None
    with pytest.raises(ValueError, match="no fitted GMM prior"):
        vae.sample(model, 2, seed=0, prior="gmm")
    with pytest.raises(ValueError, match="prior must be 'standard' or 'gmm'"):
        vae.sample(model, 2, seed=0, prior="vamp")
    z = torch.randn(400, 4, generator=torch.Generator().manual_seed(0))
    gmm, _ = vae.fit_gmm(z, 3, seed=0)
    out = vae.save_prior(gmm, tmp_path / "v", "test")
    assert out.name == "v-gmm.safetensors"
    model = vae.load(tmp_path / "v")
    for a, b in zip(model.prior_gmm.tensors().values(), gmm.tensors().values()):
        assert torch.equal(a, b)
    x = vae.sample(model, 5, seed=2, prior="gmm")
    assert x.shape == (5, 1, 28, 28) and torch.equal(x, vae.sample(model, 5, seed=2, prior="gmm"))
    assert torch.equal(x, model.decode(gmm.sample(5, 2))[:, None])
    assert torch.equal(vae.sample(model, 5, seed=2), vae.sample(model, 5, seed=2, prior="standard"))
    # weights replaced: the mixture was fitted to other codes and is not used
    vae.save(vae.build(vae.Config(latent=4, hidden=16, seed=1)), tmp_path / "v", {})
    assert vae.load(tmp_path / "v").prior_gmm is None


def test_neg_elbo_under_the_standard_prior_is_the_elbo():
    # the Monte-Carlo KL averages to the analytic one: same −ELBO within the noise
    model = vae.build(vae.Config(latent=4, hidden=16))
    x = torch.rand(8, 28, 28)
    analytic = vae.neg_elbo(model, x)
    mc = vae.neg_elbo_under(model, x, vae.standard_log_prob, samples=400, seed=1)
    assert torch.allclose(mc, analytic, rtol=2e-3)
    assert torch.allclose(vae.standard_log_prob(torch.zeros(1, 4)), torch.tensor([-2 * math.log(2 * math.pi)]))


def test_shipped_vae_has_its_gmm_prior():
    model = vae.load(checkpoints.CHECKPOINT_DIR / "vae-mnist")
    assert model.prior_gmm is not None and model.prior_gmm.means.shape == (vae.PRIOR_K, model.latent)
    assert float(model.prior_gmm.weights.sum()) == pytest.approx(1.0)


def test_prior_is_fitted_to_posterior_samples():
    model = vae.build(vae.Config(latent=4, hidden=16))
    x = torch.rand(300, 28, 28)
    z = vae.posterior_codes(model, x, seed=3)
    assert torch.equal(z, vae.posterior_codes(model, x, seed=3))
    with torch.no_grad():
        mu, logvar = model.encode(x)
    eps = (z - mu) / torch.exp(0.5 * logvar)                     # z = μ + σ ε with ε ~ N(0, I)
    assert float(eps.mean()) == pytest.approx(0, abs=0.1) and float(eps.std()) == pytest.approx(1, abs=0.1)
    gmm, ll = vae.fit_prior(model, x, k=2, seed=3)
    assert gmm.means.shape == (2, 4) and ll == pytest.approx(float(gmm.log_prob(z).mean()))
