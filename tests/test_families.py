"""DCGAN and the DDPM checkpoint: shapes, determinism, shipped checkpoints (VAE, CycleGAN and the
classifiers have their own test files)."""
import torch

from genmodels import classifier, dcgan, ddpm
from genmodels.common import seeded


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
    net = classifier.load("checkpoints/classifier-mnist")
    with torch.no_grad():
        conf = net(x).softmax(1).max(1).values
    assert float(conf.mean()) > 0.9
    assert len(set(net(x).argmax(1).tolist())) == 10


# -- DDPM checkpoint ------------------------------------------------------------
def test_shipped_ddpm_samples_digits():
    ema, _, card = ddpm.load("checkpoints/ddpm-mnist")
    x = ddpm.sample(ema, 32, seed=0, steps=20)
    net = classifier.load("checkpoints/classifier-mnist")
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
