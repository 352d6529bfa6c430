"""VAE, DCGAN, CycleGAN, classifier: shapes, losses, determinism, short training, shipped checkpoints."""
import torch

from genmodels import classifier, cyclegan, data, dcgan, ddpm, vae
from genmodels.common import seeded


# -- VAE ----------------------------------------------------------------------
def test_vae_shapes_kl_and_reparameterization():
    m = vae.build(vae.Config(latent=4), seeded(0))
    x = torch.rand(5, 28, 28)
    mu, logvar = m.encode(x)
    assert mu.shape == logvar.shape == (5, 4) and m.decode(mu).shape == (5, 28, 28)
    assert (vae.kl_divergence(mu, logvar) >= 0).all()
    assert torch.allclose(vae.kl_divergence(torch.zeros(2, 4), torch.zeros(2, 4)), torch.zeros(2))
    z1 = vae.reparameterize(mu, logvar, seeded(1))
    z2 = vae.reparameterize(mu, logvar, seeded(1))
    assert torch.equal(z1, z2)


def test_vae_few_steps_lower_the_loss_and_are_deterministic():
    cfg = vae.Config(latent=4, steps=40, batch_size=64, device="cpu", seed=3)
    a = [r.losses["loss"] for r in vae.train(cfg, log_every=1, preview_every=10**9)]
    b = [r.losses["loss"] for r in vae.train(cfg, log_every=1, preview_every=10**9)]
    assert a == b
    assert sum(a[-5:]) / 5 < 0.8 * sum(a[:5]) / 5


def test_shipped_vae_test_neg_elbo():
    m, card = vae.load("checkpoints/vae-mnist")
    x = data.load("mnist", "test")[0]
    assert float(vae.neg_elbo(m, x).mean()) <= 100.0
    assert card["config"]["latent"] == 16
    ae, ae_card = vae.load("checkpoints/ae2d-mnist")
    assert ae_card["config"]["kl"] is False and ae.latent == 2


# -- DCGAN --------------------------------------------------------------------
def test_dcgan_shapes_and_seeded_sampling():
    G, D = dcgan.build(dcgan.Config(ngf=16, ndf=16), seeded(0))
    z = dcgan.noise(4, 100, seed=2)
    assert torch.equal(z, dcgan.noise(4, 100, seed=2))
    x = G(z)
    assert x.shape == (4, 1, 28, 28) and float(x.abs().max()) <= 1
    assert D(x).shape == (4,)
    assert torch.equal(dcgan.sample(G, 3, seed=1), dcgan.sample(G, 3, seed=1))


def test_shipped_dcgan_makes_recognisable_digits():
    G, _, card = dcgan.load("checkpoints/dcgan-mnist")
    x = dcgan.sample(G, 500, seed=0)
    net, _ = classifier.load("checkpoints/classifier-mnist")
    with torch.no_grad():
        conf = net(x).softmax(1).max(1).values
    assert float(conf.mean()) > 0.9
    assert len(set(net(x).argmax(1).tolist())) == 10


# -- CycleGAN -----------------------------------------------------------------
def test_cyclegan_shapes_losses_and_pool():
    cfg = cyclegan.Config(ngf=8, ndf=8, n_blocks=1)
    m = cyclegan.CycleGAN(cfg)
    x, y = torch.rand(2, 1, 28, 28) * 2 - 1, torch.rand(2, 1, 28, 28) * 2 - 1
    assert m.G(x).shape == x.shape and m.D_X(x).shape == (2, 1, 5, 5)
    total, terms, _ = cyclegan.generator_losses(m, x, y)
    assert set(terms) == {"GAN_G", "GAN_F", "cycle_X", "cycle_Y", "identity_X", "identity_Y"}
    assert torch.isclose(total, sum(terms.values()))
    pool = cyclegan.ImagePool(3, seeded(0))
    out = pool.query(torch.zeros(5, 1, 28, 28))
    assert out.shape == (5, 1, 28, 28) and len(pool.images) == 3


def test_shipped_cyclegan_translates_and_cycles_back():
    model, card = cyclegan.load("checkpoints/cyclegan-horse2zebra")
    horses, zebras = data.horses_and_zebras("test")
    clf, _ = classifier.load("checkpoints/classifier-horse-zebra")
    fake_z = cyclegan.translate(model, horses, "horse2zebra")
    fake_h = cyclegan.translate(model, zebras, "zebra2horse")
    with torch.no_grad():
        assert float((clf(fake_z).argmax(1) == 1).float().mean()) >= 0.95
        assert float((clf(fake_h).argmax(1) == 0).float().mean()) >= 0.95
    back = cyclegan.translate(model, fake_z, "zebra2horse")
    assert float((back - horses).abs().mean()) <= 0.08


# -- DDPM checkpoint ------------------------------------------------------------
def test_shipped_ddpm_samples_digits():
    model = ddpm.load("checkpoints/ddpm-mnist")
    x, card = ddpm.sample(model, 32, seed=0, steps=20), model.card
    net, _ = classifier.load("checkpoints/classifier-mnist")
    with torch.no_grad():
        assert float(net(x).softmax(1).max(1).values.mean()) > 0.8
    assert card["metrics"]["fld"] <= 15


def test_dcgan_arithmetic_interpolation_on_known_vectors():
    A = torch.tensor([[1.0, 0.0], [3.0, 0.0]])     # mean (2, 0)
    B = torch.tensor([[0.0, 1.0]])
    C = torch.tensor([[0.0, 0.0], [0.0, 4.0], [0.0, 2.0]])  # mean (0, 2)
    assert torch.allclose(dcgan.arithmetic(A, B, C), torch.tensor([2.0, 1.0]))
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    lin = dcgan.interpolate(z0, z1, 3, "linear")
    sph = dcgan.interpolate(z0, z1, 3, "spherical")
    assert torch.allclose(lin[1], torch.tensor([0.5, 0.5]))
    assert torch.allclose(sph[1], torch.tensor([2 ** -0.5, 2 ** -0.5]), atol=1e-6)   # stays on the unit circle
    assert torch.allclose(sph[0], z0) and torch.allclose(sph[-1], z1, atol=1e-6)
    nb = dcgan.neighbours(torch.zeros(100), 8, sigma=0.1, seed=0)
    assert nb.shape == (8, 100) and torch.equal(nb[0], torch.zeros(100)) and 0 < float(nb[1:].std()) < 0.2
