"""Tests written for survivors of scripts/mutate.py on genmodels/vae.py (docs/mutation.md): the
Gaussian log-density of the IWAE weights, and the defaults the tab's numbers run with."""
import math

import pytest
import torch

from genmodels import vae
from genmodels.common import seeded
from test_formulas import KnownVAE, _bernoulli_nll


def test_log_normal_is_the_diagonal_gaussian_log_density():
    # (in iwae_bound the constant −½ log 2π cancels between log p(z) and log q(z|x); pin it here)
    z = torch.tensor([[0.3, -1.2, 2.0], [0.0, 0.5, -0.7]], dtype=torch.float64)
    mu = torch.tensor([0.1, -1.0, 1.5], dtype=torch.float64)
    logvar = torch.tensor([0.0, math.log(0.25), math.log(4.0)], dtype=torch.float64)
    want = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(vae._log_normal(z, mu, logvar), want)
    assert float(vae._log_normal(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1))) == \
        pytest.approx(-0.5 * math.log(2 * math.pi))


def _known():
    x = (torch.rand(16, 28, 28, generator=seeded(5)) < 0.3).float()
    m = KnownVAE([0.5, -0.5], [math.log(0.5), 0.0], torch.linspace(-2, 2, 784), w=0.7)
    return x, m, m.mu_.expand(len(x), -1), m.logvar_.expand(len(x), -1)


def test_loss_defaults_are_the_vae_with_beta_one():
    """loss_terms samples z = μ + σ ε unless told kl=False; loss_fn's β defaults to 1 (the ELBO)."""
    x, m, mu, logvar = _known()
    z = vae.reparameterize(mu, logvar, seeded(3))
    rec = _bernoulli_nll(m.decode_logits(z), x)
    kl = 0.5 * (0.25 + 0.5 - 1 - math.log(0.5)) + 0.5 * 0.25
    got_rec, got_kl = vae.loss_terms(m, x, g=seeded(3))
    assert torch.allclose(got_rec.double(), rec, atol=1e-3)
    assert torch.allclose(got_kl.double(), torch.full((len(x),), kl, dtype=torch.float64), atol=1e-6)
    assert float(vae.loss_fn(m, x, g=seeded(3))) == pytest.approx(float((rec + kl).mean()), rel=1e-5)


def test_neg_elbo_and_iwae_default_to_seed_0():
    """The tab shows neg_elbo(model, x) and iwae_bound(model, x, k) without a seed: both are the
    seed-0 estimate (reproducible), with ε drawn from seeded(0)."""
    x, m, mu, logvar = _known()
    z = vae.reparameterize(mu, logvar, seeded(0))
    kl = 0.5 * (0.25 + 0.5 - 1 - math.log(0.5)) + 0.5 * 0.25
    want = _bernoulli_nll(m.decode_logits(z), x) + kl
    assert torch.allclose(vae.neg_elbo(m, x).double(), want, atol=1e-3)
    q = torch.distributions.Normal(m.mu_, torch.exp(0.5 * m.logvar_))
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    want1 = -_bernoulli_nll(m.decode_logits(z), x) + (p.log_prob(z) - q.log_prob(z)).sum(1).double()
    assert torch.allclose(vae.iwae_bound(m, x, 1).double(), want1, atol=1e-3)
