"""Every formula the tabs show, pinned to values (issue 21): a wrong sign, a dropped term, σ² for σ,
the wrong network in a cycle, a missing noise term all fail here.

Each test computes the expected number independently (closed forms, torch.distributions, or the
reference library diffusers with the same generator), never by calling the code under test twice.
Networks are replaced by tiny known functions, so the numbers are exact and the tests fast.
"""
import math

import pytest
import torch
from torch import nn

from conftest import require
from genmodels import coin_gan, cgan, cyclegan, dcgan, ddpm, diffusion_view, metrics, pixelcnn, toy_diffusion, vae
from genmodels.common import seeded

LOG2 = math.log(2)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


# ===========================================================================
# Diffusion: q(x_t | x_0), the reverse steps, the loss, guidance
# ===========================================================================
class FakeEps(nn.Module):
    """A fixed, smooth, t-dependent ε 'model' (no training), so whole sampling loops can be compared."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.num_classes = 0

    def forward(self, x, t, y=None):
        tt = t.float().view(-1, 1, 1, 1)
        return self.w * (0.8 * x * torch.cos(tt / 600) + 0.4 * torch.sin(2 * x + tt / 90))


def _linear_alpha_bar(T=1000, b0=1e-4, b1=0.02):
    betas = [b0 + (b1 - b0) * i / (T - 1) for i in range(T)]
    out, ab = [], 1.0
    for b in betas:
        ab *= 1 - b
        out.append(ab)
    return out


def test_alpha_bar_is_the_product_of_one_minus_beta_and_reaches_its_target():
    s = ddpm.DDPMScheduler(1000, "linear")
    ref = _linear_alpha_bar()
    for t in (0, 1, 10, 499, 998, 999):
        assert float(s.alphas_cumprod[t]) == pytest.approx(ref[t], rel=1e-9)
    assert float(s.alphas_cumprod[-1]) == pytest.approx(4.036e-5, rel=1e-3)       # ᾱ_T ≈ 4·10⁻⁵: x_T is noise
    cos = ddpm.DDPMScheduler(1000, "cosine")
    assert float(cos.alphas_cumprod[-1]) < 1e-8 and float(cos.alphas_cumprod[0]) > 0.9999
    assert toy_diffusion.end_of_forward(s)["alpha_bar_T"] == pytest.approx(ref[-1], rel=1e-9)
    assert diffusion_view.alpha_bar(s, 499) == pytest.approx(ref[499], rel=1e-9)
    assert diffusion_view.alpha_bar(s, -1) == 1.0


def test_add_noise_is_the_closed_form_q_xt_given_x0():
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, elementwise, at each image's own t; its statistics match."""
    s = ddpm.DDPMScheduler(1000, "linear")
    ref = _linear_alpha_bar()
    g = seeded(0)
    x0, eps = torch.rand(4, 1, 28, 28, generator=g) * 2 - 1, torch.randn(4, 1, 28, 28, generator=g)
    t = torch.tensor([0, 100, 500, 999])
    x_t = s.add_noise(x0, eps, t)
    for i, ti in enumerate(t.tolist()):
        want = math.sqrt(ref[ti]) * x0[i] + math.sqrt(1 - ref[ti]) * eps[i]
        assert torch.allclose(x_t[i], want, atol=1e-5)   # ᾱ_t is used in float32
    # statistics: x_0 = 0.5 everywhere at t = 300 -> mean √ᾱ·0.5, std √(1 − ᾱ)
    e = torch.randn(2000, 1, 28, 28, generator=seeded(1))
    xs = s.add_noise(torch.full_like(e, 0.5), e, torch.full((2000,), 300))
    assert float(xs.mean()) == pytest.approx(0.5 * math.sqrt(ref[300]), abs=2e-3)
    assert float(xs.std()) == pytest.approx(math.sqrt(1 - ref[300]), rel=5e-3)


def test_add_noise_matches_diffusers():
    diffusers = require("diffusers")
    ours, ref = ddpm.DDPMScheduler(1000, "cosine"), diffusers.DDPMScheduler(num_train_timesteps=1000,
                                                                          beta_schedule="squaredcos_cap_v2")
    g = seeded(3)
    x0, eps = torch.rand(5, 1, 28, 28, generator=g), torch.randn(5, 1, 28, 28, generator=g)
    t = torch.tensor([0, 7, 250, 800, 999])
    assert torch.allclose(ours.add_noise(x0, eps, t), ref.add_noise(x0, eps, t), atol=1e-5)


@pytest.mark.parametrize("schedule,name", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
def test_ddpm_loop_with_noise_matches_diffusers_with_the_same_generator(schedule, name):
    """All T ancestral steps, σ_t z included, through our pipeline vs diffusers' scheduler."""
    diffusers = require("diffusers")
    model, T = FakeEps(), 1000
    x_T = torch.randn(2, 1, 28, 28, generator=seeded(4))
    ours = ddpm.scheduler("ddpm", T, schedule)
    got = list(ddpm.denoise(model, ours, x_T, seed=11, every=10**9))[-1][1]
    ref = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule=name)     # fixed_small, clip_sample
    ref.set_timesteps(T)
    g, x = seeded(11), x_T.clone()
    with torch.no_grad():
        for t in ref.timesteps:
            x = ref.step(model(x, torch.full((2,), int(t))), t, x, generator=g).prev_sample
    assert torch.allclose(got, x, atol=1e-3), float((got - x).abs().max())    # 1000 float32 steps
    other = list(ddpm.denoise(model, ours, x_T, seed=12, every=10**9))[-1][1]
    assert (other - got).abs().mean() > 1e-2                                      # the seed drives σ_t z


@pytest.mark.parametrize("eta", [1.0, 0.5])
def test_ddim_loop_with_eta_matches_diffusers_with_the_same_generator(eta):
    """DDIM η > 0 (the σ·z term) over a whole loop, against diffusers with the same generator."""
    diffusers = require("diffusers")
    model = FakeEps()
    x_T = torch.randn(3, 1, 28, 28, generator=seeded(5))
    ours = ddpm.scheduler("ddim", 1000, "linear", eta=eta, steps=10)
    got = list(ddpm.denoise(model, ours, x_T, seed=21, every=10**9))[-1][1]
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, timestep_spacing="trailing")
    ref.set_timesteps(10)
    assert ours.timesteps.tolist() == ref.timesteps.tolist()
    g, x = seeded(21), x_T.clone()
    with torch.no_grad():
        for t in ref.timesteps:
            eps = model(x, torch.full((3,), int(t)))
            x = ref.step(eps, t, x, eta=eta, use_clipped_model_output=True, generator=g).prev_sample
    assert torch.allclose(got, x, atol=1e-4), float((got - x).abs().max())
    other = list(ddpm.denoise(model, ours, x_T, seed=22, every=10**9))[-1][1]
    assert (other - got).abs().mean() > 1e-2                                      # different seeds, different samples
    again = list(ddpm.denoise(model, ours, x_T, seed=21, every=10**9))[-1][1]
    assert torch.equal(again, got)


def test_ddim_eta1_single_step_noise_has_the_stated_sigma():
    """x_s − (the η = 0 step) = σ z with σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s) and z from the generator."""
    s1, s0 = ddpm.DDIMScheduler(1000, eta=1.0), ddpm.DDIMScheduler(1000, eta=0.0)
    s1.set_timesteps(10)
    s0.set_timesteps(10)
    t, prev = 899, 799
    x_t = torch.randn(2, 1, 28, 28, generator=seeded(0))
    eps = torch.randn(2, 1, 28, 28, generator=seeded(1)) * 0.3
    a, _ = s1.step(eps, t, x_t, generator=seeded(9))
    b, _ = s0.step(eps, t, x_t)
    ab, ab_s = float(s1.alphas_cumprod[t]), float(s1.alphas_cumprod[prev])
    sigma = math.sqrt((1 - ab_s) / (1 - ab) * (1 - ab / ab_s))
    x0 = ((x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
    eps_hat = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    z = torch.randn(x_t.shape, generator=seeded(9))
    want = math.sqrt(ab_s) * x0 + math.sqrt(1 - ab_s - sigma ** 2) * eps_hat + sigma * z
    assert torch.allclose(a, want, atol=1e-5)
    assert torch.allclose(b, math.sqrt(ab_s) * x0 + math.sqrt(1 - ab_s) * eps_hat, atol=1e-5)
    u = diffusion_view.update(s1, t)                                      # the formula the tab prints
    assert u.sigma == pytest.approx(sigma, rel=1e-9) and u.coef_x0 == pytest.approx(math.sqrt(ab_s), rel=1e-9)
    assert u.coef_eps == pytest.approx(math.sqrt(1 - ab_s - sigma ** 2), rel=1e-9)


def test_ddpm_step_is_the_posterior_mean_plus_sigma_z_as_the_tab_prints_it():
    """x_{t−1} = c_0 x̂_0 + c_t x_t + σ_t z with the coefficients diffusion_view.update shows."""
    s = ddpm.DDPMScheduler(1000)
    x_t = torch.randn(2, 1, 28, 28, generator=seeded(0))
    eps = torch.randn(2, 1, 28, 28, generator=seeded(1))
    for t in (999, 500, 1, 0):
        out, x0 = s.step(eps, t, x_t, generator=seeded(3))
        ab = float(s.alphas_cumprod[t])
        ab_prev = float(s.alphas_cumprod[t - 1]) if t > 0 else 1.0
        beta = float(s.betas[t])
        want_x0 = ((x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
        c0 = math.sqrt(ab_prev) * beta / (1 - ab)
        ct = math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab)
        sigma = math.sqrt(beta * (1 - ab_prev) / (1 - ab)) if t > 0 else 0.0
        z = torch.randn(x_t.shape, generator=seeded(3))
        assert torch.allclose(x0, want_x0, atol=1e-5)
        assert torch.allclose(out, c0 * want_x0 + ct * x_t + sigma * z, atol=1e-5), t
        u = diffusion_view.update(s, t)
        assert (u.coef_x0, u.coef_xt, u.sigma) == pytest.approx((c0, ct, sigma), rel=1e-9)
        assert u.t == t + 1 and u.t_out == t


@pytest.mark.parametrize("n", [1, 4, 10])
def test_dpm_solver_pp_2m_loop_matches_diffusers(n):
    diffusers = require("diffusers")
    model = FakeEps()
    x_T = torch.randn(2, 1, 28, 28, generator=seeded(6))
    ours = ddpm.scheduler("dpmpp", 1000, "linear", steps=n)
    got = list(ddpm.denoise(model, ours, x_T, every=10**9))[-1][1]
    ref = diffusers.DPMSolverMultistepScheduler(
        num_train_timesteps=1000, algorithm_type="dpmsolver++", solver_order=2, timestep_spacing="trailing",
        thresholding=True, sample_max_value=1.0)
    ref.set_timesteps(n)
    x = x_T.clone()
    with torch.no_grad():
        for t in ref.timesteps:
            x = ref.step(model(x, torch.full((2,), int(t))), t, x).prev_sample
    assert torch.allclose(got, x, atol=1e-4), float((got - x).abs().max())


def test_dpm_solver_second_order_step_by_hand():
    """Second step: x_t = (σ_t/σ_s) x_s + α_t (1 − e^{−h}) (D_0 + ½ D_1), D_1 = (x̂_0(s) − x̂_0(s'))/r."""
    s = ddpm.DPMSolverScheduler(1000)
    s.set_timesteps(5)
    ts = s.timesteps.tolist()
    x = torch.randn(1, 1, 28, 28, generator=seeded(0)) * 0.5
    e1, e2 = torch.randn_like(x) * 0.2, torch.randn_like(x) * 0.2

    def als(t):
        ab = float(s.alphas_cumprod[t])
        return math.sqrt(ab), math.sqrt(1 - ab), 0.5 * math.log(ab / (1 - ab))

    x1, x0_a = s.step(e1, ts[0], x)
    x2, x0_b = s.step(e2, ts[1], x1)
    (_, _, l0), (_, s1, l1), (a2, s2, l2) = als(ts[0]), als(ts[1]), als(ts[2])
    h, r = l2 - l1, (l1 - l0) / (l2 - l1)
    want = (s2 / s1) * x1 + a2 * (1 - math.exp(-h)) * (x0_b + 0.5 * (x0_b - x0_a) / r)
    assert torch.allclose(x2, want, atol=1e-5)


def test_ddpm_loss_is_the_mse_between_eps_and_its_prediction():
    s = ddpm.DDPMScheduler(1000)
    x0 = torch.rand(6, 1, 28, 28, generator=seeded(0)) * 2 - 1

    class Zero(nn.Module):
        def forward(self, x, t, y=None):
            return torch.zeros_like(x)

    class Oracle(nn.Module):
        """Knows x_0, so it can solve x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for ε exactly."""

        def forward(self, x, t, y=None):
            ab = s.alphas_cumprod.float()[t].view(-1, 1, 1, 1)
            return (x - ab.sqrt() * x0) / (1 - ab).sqrt()

    g = seeded(7)
    t = torch.randint(0, 1000, (6,), generator=g)                            # what loss_fn draws, replayed
    eps = torch.randn(x0.shape, generator=g)
    assert float(ddpm.loss_fn(Zero(), s, x0, seeded(7))) == pytest.approx(float((eps ** 2).mean()), rel=1e-5)
    assert float(ddpm.loss_fn(Oracle(), s, x0, seeded(7))) < 1e-6
    assert t.unique().numel() > 1


def test_classifier_free_guidance_mixing():
    """ε̃ = ε(∅) + w (ε(y) − ε(∅)): w = 1 is the conditional ε, w = 0 the unconditional one."""

    class Cond(nn.Module):
        num_classes = 10

        def null_labels(self, n, device):
            return torch.full((n,), 10, dtype=torch.long, device=device)

        def forward(self, x, t, y=None):
            y = self.null_labels(len(x), x.device) if y is None else y
            return x * 0 + y.float().view(-1, 1, 1, 1)            # ε(·, y) = y, ε(·, ∅) = 10

    m, x, t, y = Cond(), torch.zeros(3, 1, 2, 2), torch.zeros(3, dtype=torch.long), torch.tensor([2, 5, 7])
    assert torch.equal(ddpm.guided_eps(m, x, t, y, 1.0)[:, 0, 0, 0], torch.tensor([2.0, 5.0, 7.0]))
    assert torch.equal(ddpm.guided_eps(m, x, t, y, 0.0)[:, 0, 0, 0], torch.tensor([10.0, 10.0, 10.0]))
    w = 3.0
    assert torch.allclose(ddpm.guided_eps(m, x, t, y, w)[:, 0, 0, 0], 10 + w * (y.float() - 10))
    assert torch.equal(ddpm.guided_eps(m, x, t, None, 3.0)[:, 0, 0, 0], torch.full((3,), 10.0))


# ===========================================================================
# VAE: reparameterization, KL, −ELBO, IWAE
# ===========================================================================
def test_reparameterization_statistics():
    """μ = 0, log σ² = log 4 -> z has mean 0 and std 2 (within 2%); μ = 3 shifts it to 3."""
    n = 200_000
    mu, logvar = torch.zeros(n, 2), torch.full((n, 2), math.log(4.0))
    z = vae.reparameterize(mu, logvar, seeded(0))
    assert float(z.std()) == pytest.approx(2.0, rel=0.02)
    assert abs(float(z.mean())) < 0.02
    z3 = vae.reparameterize(mu + 3, torch.zeros(n, 2), seeded(0))
    assert float(z3.mean()) == pytest.approx(3.0, abs=0.01) and float(z3.std()) == pytest.approx(1.0, rel=0.02)
    assert torch.equal(z, vae.reparameterize(mu, logvar, seeded(0)))
    assert not torch.equal(z, vae.reparameterize(mu, logvar, seeded(1)))


def test_reparameterization_is_mu_plus_sigma_eps_and_differentiable():
    mu = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, math.log(9.0), math.log(0.25)]], requires_grad=True)
    z = vae.reparameterize(mu, logvar, seeded(5))
    eps = torch.randn(1, 3, generator=seeded(5))
    assert torch.allclose(z, mu + torch.tensor([1.0, 3.0, 0.5]) * eps, atol=1e-6)
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones(1, 3))                                   # ∂z/∂μ = 1
    assert torch.allclose(logvar.grad, 0.5 * torch.tensor([1.0, 3.0, 0.5]) * eps, atol=1e-6)   # ∂z/∂log σ² = ½σε


def test_kl_known_values():
    d = 16
    # KL(N(1, 1) ‖ N(0, 1)) = ½ per dimension: the μ² term
    assert vae.kl_divergence(torch.ones(3, d), torch.zeros(3, d)).tolist() == pytest.approx([0.5 * d] * 3)
    # μ = 2: ½ μ² = 2 per dimension
    assert float(vae.kl_divergence(torch.full((1, d), 2.0), torch.zeros(1, d))) == pytest.approx(2.0 * d)
    # σ² = 4, μ = 0: ½ (σ² − 1 − log σ²) = ½ (3 − log 4)
    kl = float(vae.kl_divergence(torch.zeros(1, d), torch.full((1, d), math.log(4.0))))
    assert kl == pytest.approx(d * 0.5 * (3 - math.log(4.0)))
    assert float(vae.kl_divergence(torch.zeros(1, d), torch.zeros(1, d))) == 0.0


def test_kl_matches_torch_distributions():
    g = seeded(0)
    mu, logvar = torch.randn(8, 5, generator=g) * 2, torch.randn(8, 5, generator=g)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    want = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(vae.kl_divergence(mu, logvar), want, atol=1e-5)


class KnownVAE(nn.Module):
    """q(z|x) = N(μ, σ²) with fixed μ, log σ² per dimension; logits of p(x|z) = a + w·Σz (w = 0: a
    decoder that ignores z, so log p(x) = log p(x|z) exactly)."""

    def __init__(self, mu, logvar, a, w=0.0):
        super().__init__()
        self.latent = len(mu)
        self.mu_, self.logvar_ = torch.tensor(mu), torch.tensor(logvar)
        self.a = nn.Parameter(torch.as_tensor(a, dtype=torch.float32).reshape(28, 28))
        self.w = w

    def encode(self, x):
        n = x.reshape(-1, 28, 28).shape[0]
        return self.mu_.expand(n, -1), self.logvar_.expand(n, -1)

    def decode_logits(self, z):
        return self.a + self.w * z.sum(-1)[:, None, None]


def _bernoulli_nll(logits, x):
    p = torch.sigmoid(logits.double())
    return -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)


@pytest.fixture(scope="module")
def binary_digits():
    g = seeded(0)
    return (torch.rand(64, 28, 28, generator=g) < 0.3).float()


def test_neg_elbo_is_reconstruction_plus_kl(binary_digits):
    x = binary_digits
    a = torch.linspace(-2, 2, 784)
    m = KnownVAE([1.0, 1.0], [0.0, 0.0], a)                     # KL = ½ per dimension = 1.0
    want = _bernoulli_nll(a.reshape(28, 28).expand(len(x), 28, 28), x) + 1.0
    assert torch.allclose(vae.neg_elbo(m, x).double(), want, atol=1e-3)
    # a decoder that reads z: the recon term is at z = μ + σ ε with the seed's ε
    mz = KnownVAE([0.5, -0.5], [math.log(0.5), 0.0], a, w=0.7)
    got = vae.neg_elbo(mz, x, seed=3).double()
    z = vae.reparameterize(mz.mu_.expand(len(x), -1), mz.logvar_.expand(len(x), -1), seeded(3))
    rec = _bernoulli_nll(mz.decode_logits(z), x)
    kl = 0.5 * (0.25 + 0.5 - 1 - math.log(0.5)) + 0.5 * 0.25
    assert torch.allclose(got, rec + kl, atol=1e-3)


def test_training_loss_is_recon_plus_beta_kl_and_the_ae_uses_z_equal_mu(binary_digits):
    """vae.loss_fn: mean(recon(z) + β·KL), z = μ + σ ε from the generator; with kl=False (the AE)
    mean recon at z = μ, which reconstruction_at_mean gives per image."""
    x, a = binary_digits, torch.linspace(-2, 2, 784)
    m = KnownVAE([1.0, -1.0], [0.0, math.log(4.0)], a, w=0.3)
    mu, logvar = m.mu_.expand(len(x), -1), m.logvar_.expand(len(x), -1)
    z = vae.reparameterize(mu, logvar, seeded(3))
    kl = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (1 + 4 - 1 - math.log(4.0))           # ½(μ² + σ² − 1 − log σ²) per dimension
    want = (_bernoulli_nll(m.decode_logits(z), x) + 0.25 * kl).mean()
    assert float(vae.loss_fn(m, x, beta=0.25, g=seeded(3))) == pytest.approx(float(want), rel=1e-5)
    at_mu = _bernoulli_nll(m.decode_logits(mu), x)
    assert float(vae.loss_fn(m, x, kl=False)) == pytest.approx(float(at_mu.mean()), rel=1e-5)
    assert torch.allclose(vae.reconstruction_at_mean(m, x).double(), at_mu, rtol=1e-5)


def test_iwae_bound_known_answers(binary_digits):
    """Decoder ignoring z: log p(x) = log p(x|z) = −recon exactly. With q = N(1, I) (2 dims):
    −L_1 is on average recon + KL = recon + 1.0 (the ELBO), and −L_k falls to recon as k grows."""
    x = binary_digits
    a = torch.linspace(-1, 1, 784)
    m = KnownVAE([1.0, 1.0], [0.0, 0.0], a)
    recon = _bernoulli_nll(a.reshape(28, 28).expand(len(x), 28, 28), x)
    xs = x.repeat(8, 1, 1)                                       # 512 images: Monte-Carlo error ~0.06
    gap = {k: float((-vae.iwae_bound(m, xs, k, seed=1).double() - recon.repeat(8)).mean()) for k in (1, 10)}
    gap[1000] = float((-vae.iwae_bound(m, x, 1000, seed=1).double() - recon).mean())
    assert gap[1] == pytest.approx(1.0, abs=0.2)                 # L_1 estimates the ELBO
    assert gap[1] > gap[10] > gap[1000] > -0.01                  # tightens with k, never below log p(x)
    assert gap[1000] < 0.02                                      # Var(w)/2k ≈ 0.003
    # k = 1 uses one z from the seed: L_1 = log p(x|z) + log p(z) − log q(z|x), exactly
    mz = KnownVAE([0.5, -0.5], [math.log(0.5), 0.0], a, w=0.4)
    got = vae.iwae_bound(mz, x, 1, seed=2).double()
    z = vae.reparameterize(mz.mu_.expand(len(x), -1), mz.logvar_.expand(len(x), -1), seeded(2))
    q = torch.distributions.Normal(mz.mu_, torch.exp(0.5 * mz.logvar_))
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    want = -_bernoulli_nll(mz.decode_logits(z), x) + (p.log_prob(z) - q.log_prob(z)).sum(1).double()
    assert torch.allclose(got, want, atol=1e-3)


# ===========================================================================
# GAN losses
# ===========================================================================
class LogitIs(nn.Module):
    """D whose logit for a batch is the batch's first value: the test picks D's outputs directly."""

    def forward(self, x, *args):
        return x.reshape(len(x), -1)[:, 0]

    def logits(self, x, h_bar=None):
        return x.reshape(len(x), -1)[:, :1]


def test_dcgan_losses_at_known_d_outputs():
    D = LogitIs()
    half = torch.zeros(8, 1, 28, 28)                                   # logit 0: D = ½
    assert float(dcgan.d_loss(D, half, half)) == pytest.approx(math.log(4))
    assert float(dcgan.g_loss(D, half)) == pytest.approx(LOG2)
    real, fake = torch.full((4, 1, 28, 28), logit(0.9)), torch.full((4, 1, 28, 28), logit(0.2))
    assert float(dcgan.d_loss(D, real, fake)) == pytest.approx(-math.log(0.9) - math.log(0.8), rel=1e-5)
    assert float(dcgan.g_loss(D, fake)) == pytest.approx(-math.log(0.2), rel=1e-5)
    mixed = torch.tensor([logit(0.9), logit(0.5)]).view(2, 1, 1, 1).expand(2, 1, 28, 28)
    assert float(dcgan.d_loss(D, mixed, fake)) == pytest.approx(
        -0.5 * (math.log(0.9) + math.log(0.5)) - math.log(0.8), rel=1e-5)        # means over the batch


def test_coin_gan_losses_and_equilibrium_constants():
    D = LogitIs()
    half = torch.zeros(16, 1)
    assert float(coin_gan.d_loss(D, half, half)) == pytest.approx(coin_gan.EQUILIBRIUM_LOSS_D)
    assert coin_gan.EQUILIBRIUM_LOSS_D == pytest.approx(2 * LOG2) and coin_gan.EQUILIBRIUM_D == 0.5
    for kind, want in (("non-saturating", LOG2), ("saturating", -LOG2)):
        assert float(coin_gan.g_loss(D, half, kind)) == pytest.approx(want)
        assert coin_gan.EQUILIBRIUM_LOSS_G[kind] == pytest.approx(want)
    real, fake = torch.full((4, 1), logit(0.7)), torch.full((4, 1), logit(0.1))
    assert float(coin_gan.d_loss(D, real, fake)) == pytest.approx(-math.log(0.7) - math.log(0.9), rel=1e-5)
    assert float(coin_gan.g_loss(D, fake, "non-saturating")) == pytest.approx(-math.log(0.1), rel=1e-5)
    assert float(coin_gan.g_loss(D, fake, "saturating")) == pytest.approx(math.log(0.9), rel=1e-5)
    with pytest.raises(ValueError, match="g_loss"):
        coin_gan.g_loss(D, fake, "wasserstein")


def test_saturating_g_loss_has_the_small_gradient_where_d_rejects():
    """Where D(G(z)) = 0.01: ∂/∂a of −log σ(a) is −0.99, of log(1 − σ(a)) only −0.01 (Goodfellow §3)."""
    D = LogitIs()
    for kind, want in (("non-saturating", -0.99), ("saturating", -0.01)):
        a = torch.full((1, 1), logit(0.01), requires_grad=True)
        coin_gan.g_loss(D, a, kind).backward()
        assert float(a.grad) == pytest.approx(want, rel=1e-4)


def test_cgan_losses_at_known_logits():
    real, fake = torch.full((5,), logit(0.8)), torch.full((5,), logit(0.3))
    assert float(cgan.d_loss_from_logits(real, fake)) == pytest.approx(-math.log(0.8) - math.log(0.7), rel=1e-5)
    assert float(cgan.g_loss_from_logits(fake)) == pytest.approx(-math.log(0.3), rel=1e-5)
    zero = torch.zeros(3)
    assert float(cgan.d_loss_from_logits(zero, zero)) == pytest.approx(math.log(4))


def test_dcgan_latent_arithmetic_slerp_and_ema():
    """mean(A) − mean(B) + mean(C); slerp of orthogonal unit vectors at ½ is (z₀ + z₁)/√2 (norm kept);
    G_ema ← decay·G_ema + (1 − decay)·G with the warm-up min(decay, (1 + age)/(10 + age))."""
    A, B, C = torch.tensor([[1.0, 0.0], [3.0, 2.0]]), torch.tensor([[1.0, 1.0]]), torch.tensor([[0.0, 4.0], [2.0, 0.0]])
    assert torch.allclose(dcgan.arithmetic(A, B, C), torch.tensor([2.0 - 1 + 1, 1.0 - 1 + 2]))
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert torch.allclose(dcgan.slerp(z0, z1, 0.5), torch.tensor([1.0, 1.0]) / math.sqrt(2))
    assert torch.allclose(dcgan.slerp(z0, z1, 1 / 3), torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)]))
    path = dcgan.interpolate(z0, 3 * z1, 4, "linear")
    assert torch.allclose(path[1], (2 * z0 + 3 * z1) / 3) and torch.equal(path[0], z0) and torch.equal(path[-1], 3 * z1)
    G, G_ema = dcgan.Generator(4, 4), dcgan.Generator(4, 4)
    with torch.no_grad():
        for p in G.parameters():
            p.fill_(1.0)
        for p in G_ema.parameters():
            p.fill_(0.0)
    dcgan.update_ema(G_ema, G, 0.9)
    assert all(torch.allclose(p, torch.full_like(p, 0.1)) for p in G_ema.parameters())
    assert dcgan.ema_decay(0.999, 0) == pytest.approx(0.1) and dcgan.ema_decay(0.999, 10 ** 6) == 0.999


# ===========================================================================
# CycleGAN
# ===========================================================================
class Shift(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return x + self.c


class Const(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return torch.full_like(x, self.c)


def _cyclegan(G, F, D_X, D_Y, lam=10.0, lam_id=0.5):
    m = cyclegan.CycleGAN(cyclegan.Config(ngf=4, ndf=4, n_blocks=0, lambda_cycle=lam, lambda_identity=lam_id))
    m.G, m.F, m.D_X, m.D_Y = G, F, D_X, D_Y
    return m


@pytest.fixture(scope="module")
def xy():
    g = seeded(0)
    return torch.rand(4, 1, 28, 28, generator=g) * 2 - 1, torch.rand(4, 1, 28, 28, generator=g) * 2 - 1


def test_cyclegan_identity_networks_have_zero_cycle_and_identity_terms(xy):
    x, y = xy
    m = _cyclegan(nn.Identity(), nn.Identity(), Const(1.0), Const(1.0))
    total, terms, _ = cyclegan.generator_losses(m, x, y)
    for k in ("cycle_X", "cycle_Y", "identity_X", "identity_Y", "GAN_G", "GAN_F"):
        assert float(terms[k]) == 0.0, k
    assert float(total) == 0.0


def test_cyclegan_constant_g_cycle_term_is_lambda_mean_abs(xy):
    x, y = xy
    c, lam = 0.25, 10.0
    m = _cyclegan(Const(c), nn.Identity(), Const(0.0), Const(0.0), lam=lam)
    _, terms, _ = cyclegan.generator_losses(m, x, y)
    assert float(terms["cycle_X"]) == pytest.approx(lam * float((c - x).abs().mean()), rel=1e-6)   # F(G(x)) = c
    assert float(terms["cycle_Y"]) == pytest.approx(lam * float((c - y).abs().mean()), rel=1e-6)   # G(F(y)) = c
    assert float(terms["identity_Y"]) == pytest.approx(0.5 * lam * float((c - y).abs().mean()), rel=1e-6)
    assert float(terms["identity_X"]) == 0.0
    assert float(terms["GAN_G"]) == pytest.approx(1.0) and float(terms["GAN_F"]) == pytest.approx(1.0)


def test_cyclegan_every_term_uses_its_own_networks(xy):
    """G = +0.3, F = −0.1: F(G(x)) − x = 0.2, F(x) − x = −0.1, G(y) − y = 0.3; D reads its input, so
    L_GAN(G, D_Y) = mean (G(x) − 1)², L_GAN(F, D_X) = mean (F(y) − 1)²."""
    x, y = xy
    lam, lam_id = 10.0, 0.5
    m = _cyclegan(Shift(0.3), Shift(-0.1), nn.Identity(), Shift(0.05), lam=lam, lam_id=lam_id)
    total, t, (fake_x, fake_y) = cyclegan.generator_losses(m, x, y)
    assert float(t["cycle_X"]) == pytest.approx(lam * 0.2, rel=1e-5)
    assert float(t["cycle_Y"]) == pytest.approx(lam * 0.2, rel=1e-5)
    assert float(t["identity_X"]) == pytest.approx(lam_id * lam * 0.1, rel=1e-5)
    assert float(t["identity_Y"]) == pytest.approx(lam_id * lam * 0.3, rel=1e-5)
    assert float(t["GAN_G"]) == pytest.approx(float(((x + 0.3 + 0.05 - 1) ** 2).mean()), rel=1e-5)   # D_Y(G(x))
    assert float(t["GAN_F"]) == pytest.approx(float(((y - 0.1 - 1) ** 2).mean()), rel=1e-5)         # D_X(F(y))
    assert float(total) == pytest.approx(sum(float(v) for v in t.values()), rel=1e-6)
    assert torch.allclose(fake_y, x + 0.3) and torch.allclose(fake_x, y - 0.1)


def test_lsgan_and_discriminator_loss_values():
    p = torch.tensor([0.0, 0.5, 1.0, 2.0])
    assert float(cyclegan.lsgan(p, True)) == pytest.approx((1 + 0.25 + 0 + 1) / 4)
    assert float(cyclegan.lsgan(p, False)) == pytest.approx((0 + 0.25 + 1 + 4) / 4)
    real = torch.full((2, 1, 4, 4), 0.8, requires_grad=True)
    fake = torch.full((2, 1, 4, 4), 0.3, requires_grad=True)
    loss = cyclegan.discriminator_loss(nn.Identity(), real, fake)
    assert float(loss) == pytest.approx(0.5 * (0.2 ** 2 + 0.3 ** 2), rel=1e-5)           # ½[(D(y) − 1)² + D(G(x))²]
    loss.backward()
    assert fake.grad is None and real.grad is not None                                # D's loss does not train G


# ===========================================================================
# PixelCNN: the exact likelihood and its masks
# ===========================================================================
class LogitMap(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits)

    def forward(self, x):
        return self.logits.expand(len(x), 28, 28)


def test_pixelcnn_nll_is_the_bernoulli_sum(binary_digits):
    logits = torch.linspace(-3, 3, 784).reshape(28, 28)
    x = binary_digits[:10]
    want = _bernoulli_nll(logits.expand(10, 28, 28), x)
    assert torch.allclose(pixelcnn.nll(LogitMap(logits), x).double(), want, atol=1e-3)
    assert torch.allclose(pixelcnn.nll_per_image(logits.expand(10, 28, 28), x).double(), want, atol=1e-3)
    half = pixelcnn.nll(LogitMap(torch.zeros(28, 28)), x)
    assert half.tolist() == pytest.approx([784 * LOG2] * 10, rel=1e-6)             # a fair coin per pixel
    assert pixelcnn.bits_per_dim(784 * LOG2) == pytest.approx(1.0)


def test_masks_a_and_b():
    a, b = pixelcnn.MaskedConv2d("A", 1, 1, 5).mask[0, 0], pixelcnn.MaskedConv2d("B", 1, 1, 5).mask[0, 0]
    want_a = torch.zeros(5, 5)
    want_a[:2] = 1
    want_a[2, :2] = 1                                                                # rows above, left of centre
    assert torch.equal(a, want_a) and a[2, 2] == 0
    want_b = want_a.clone()
    want_b[2, 2] = 1                                                                 # B keeps the centre
    assert torch.equal(b, want_b)


@pytest.mark.parametrize("arch", ["plain", "gated"])
def test_pixelcnn_output_depends_only_on_earlier_pixels(arch):
    """Change every pixel at or after (r, c) in the raster ordering: logits up to (r, c) must not move."""
    cfg = pixelcnn.Config(arch=arch, channels=8, layers=3, head=16)
    net = pixelcnn.build(cfg, seeded(0)).eval()
    x = (torch.rand(1, 28, 28, generator=seeded(1)) < 0.5).float()
    r, c = 13, 9
    later = ~pixelcnn.ordering_before(r, c)
    x2 = torch.where(later, 1 - x, x)
    with torch.no_grad():
        d = (net(x) - net(x2))[0].abs()
    k = torch.arange(784).reshape(28, 28)
    assert float(d[k <= r * 28 + c].max()) == 0.0                                   # ℓ_k sees only x_<k
    assert float(d[k > r * 28 + c].max()) > 0                                        # and later logits do see them


def test_receptive_fields_and_the_blind_spot():
    r, c = 14, 10
    before = pixelcnn.ordering_before(r, c)
    plain = pixelcnn.receptive_field(pixelcnn.Config(arch="plain", channels=4, layers=6, head=4), r, c)
    gated = pixelcnn.receptive_field(pixelcnn.Config(arch="gated", channels=4, layers=6, head=4), r, c)
    for field in (plain, gated):
        assert not field[r, c] and not (field & ~before).any()                     # mask A: never x_k itself
        assert field[r, c - 1] and field[r - 1, c]
    assert not plain[r - 1, c + 4] and gated[r - 1, c + 4]                          # the plain stack's blind spot


# ===========================================================================
# Metrics on features with known answers
# ===========================================================================
class ProbitFeatures(nn.Module):
    """A stand-in classifier: features are Φ⁻¹ of the first d pixels (standard normal when the pixels
    are uniform), logits one-hot on the class k = ⌊10·first pixel⌋."""

    def __init__(self, d=3):
        super().__init__()
        self.num_features = d
        self.head = nn.Sequential(nn.Linear(1, 10))

    def features(self, x):
        u = x.reshape(len(x), -1)[:, :self.num_features].double().clamp(1e-7, 1 - 1e-7)
        return math.sqrt(2) * torch.special.erfinv(2 * u - 1)

    def forward(self, x):
        k = (x.reshape(len(x), -1)[:, 0] * 10).long().clamp(0, 9)
        return 50.0 * nn.functional.one_hot(k, 10).float()


def _images_with_features(f: torch.Tensor) -> torch.Tensor:
    """Images whose first pixels are Φ(f): ProbitFeatures reads f back."""
    x = torch.zeros(len(f), 28, 28, dtype=torch.float64)
    x.view(len(f), -1)[:, :f.shape[1]] = 0.5 * (1 + torch.special.erf(f / math.sqrt(2)))
    return x.float()


def test_fld_is_the_frechet_distance_of_gaussians():
    """N(0, I) vs N(m, s² I) in d dims: FD = d (m² + (1 − s)²)."""
    net, d, n = ProbitFeatures(3), 3, 20_000
    g = seeded(0)
    a, b, c = (torch.randn(n, d, generator=g, dtype=torch.float64) for _ in range(3))
    real = _images_with_features(a)
    assert metrics.fld(real, _images_with_features(b * 0.5 + 1.0), net) == pytest.approx(3 * (1 + 0.25), rel=0.05)
    assert metrics.fld(real, _images_with_features(c + 0.5), net) == pytest.approx(3 * 0.25, rel=0.1)
    assert metrics.fld(real, _images_with_features(c), net) < 0.01
    assert metrics.fld(real, real, net) == pytest.approx(0.0, abs=1e-6)


def test_kid_is_the_unbiased_polynomial_mmd():
    """k(a, b) = (a·b/d + 1)³; with subset = n KID is the full unbiased MMD²: checked against the sum
    written out, and, for 1-d N(0, 1) vs N(1, 1), against its expectation 4 + 32 − 2·7 = 22."""
    net = ProbitFeatures(1)
    g = seeded(1)
    f_r, f_f = torch.randn(200, 1, generator=g, dtype=torch.float64), torch.randn(200, 1, generator=g, dtype=torch.float64) + 1
    got, std = metrics.kid(_images_with_features(f_r), _images_with_features(f_f), net, subset_size=200)
    a, b = net.features(_images_with_features(f_r)), net.features(_images_with_features(f_f))
    k = lambda u, v: (u @ v.T + 1) ** 3  # noqa: E731
    m = len(a)
    want = ((k(a, a).sum() - k(a, a).diag().sum()) / (m * (m - 1)) + (k(b, b).sum() - k(b, b).diag().sum()) / (m * (m - 1))
            - 2 * k(a, b).mean())
    assert got == pytest.approx(float(want), rel=1e-6) and std == pytest.approx(0.0, abs=1e-6)
    assert got == pytest.approx(22.0, rel=0.25)
    same, _ = metrics.kid(_images_with_features(f_r[:100]), _images_with_features(f_r[100:]), net, subset_size=100)
    assert abs(same) < 1.0


def test_inception_score_and_class_histogram_known_answers():
    net = ProbitFeatures(1)
    ten = torch.zeros(1000, 28, 28)
    ten.view(1000, -1)[:, 0] = (torch.arange(1000) % 10).float() / 10 + 0.05      # 100 of each class, certain
    is_mean, _ = metrics.inception_score(ten, net, splits=1)
    assert is_mean == pytest.approx(10.0, rel=1e-3)                                 # exp KL(one-hot ‖ uniform) = 10
    one = torch.full((1000, 28, 28), 0.35)
    assert metrics.inception_score(one, net, splits=1)[0] == pytest.approx(1.0, rel=1e-3)
    counts, kl = metrics.class_histogram(ten, net)
    assert counts == [100] * 10 and kl == pytest.approx(0.0, abs=1e-9)
    counts, kl = metrics.class_histogram(one, net)
    assert counts[3] == 1000 and kl == pytest.approx(math.log(10))
    half = torch.cat([ten[:500][ten[:500].view(500, -1)[:, 0] < 0.5], ten[:500][ten[:500].view(500, -1)[:, 0] < 0.5]])
    _, kl_half = metrics.class_histogram(half, net)                                # five equal classes: log 2
    assert kl_half == pytest.approx(math.log(2))
    assert metrics.nats_to_bits_per_dim(784 * LOG2) == pytest.approx(1.0)
