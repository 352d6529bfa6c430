"""Variational autoencoder on 28×28 images (Kingma & Welling 2014; seed decks 001, 002).

Encoder q_φ(z|x) = N(μ_φ(x), diag σ_φ²(x)); decoder p_θ(x|z) = Bernoulli(x̂_θ(z)); prior p(z) = N(0, I).

    L(θ, φ | x) = −E_{z~q_φ(z|x)}[log p_θ(x|z)]  +  β · KL(q_φ(z|x) ‖ p(z))
                    reconstruction loss              regularization
    KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²)
    reparameterization trick: z = μ + σ ⊙ ε,  ε ~ N(0, I)

With ``kl=False`` the same network is a plain autoencoder: z = μ(x), no KL, so
nothing pulls the codes towards N(0, I) ("without regularization (AE)"). An AE has no prior,
so it has no ELBO either: its cards report the reconstruction error at z = μ instead.

Likelihoods. A Bernoulli p_θ(x|z) is a normalised density only over *binary* pixels, so the
−ELBO of a grey-level image is not a bound on any −log p(x). ``binarized=True`` trains on
MNIST binarized afresh every time a batch is used (``data.binarize``) and reports, on the fixed
binarized test set (``data.binarized_mnist_test``), the −ELBO and the importance-weighted bound
(IWAE, Burda et al. 2016), for k samples z_i ~ q_φ(z|x):

    log p(x) ≥ L_k = log (1/k) Σ_i p_θ(x, z_i) / q_φ(z_i|x),    L_1 ≤ L_10 ≤ L_100 ≤ log p(x)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, cosine, batches, device, device_description, grid, init_default, seeded
from .family import Option
from .progress import Cadence, Record

FAMILY = "vae"
SAMPLE_OPTIONS = (Option("prior", str, "standard",
                         "where z comes from: 'standard' N(0, I), or 'gmm' the mixture fitted to the training codes"),)
EVAL_OPTIONS = (Option("iwae_images", int, None,
                       "binarized models: test images for the IWAE bounds (all 10,000 if not given)"),)
CARD_EVAL: dict = {}           # the defaults: every test image, 10,000 decodes of z ~ N(0, I)


@dataclass
class Config:
    dataset: str = "mnist"
    latent: int = 16
    kl: bool = True          # False: plain autoencoder
    beta: float = 1.0
    hidden: int = 256
    steps: int = 20_000
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0
    binarized: bool = False  # dynamic binarization of every batch; likelihoods on binarized MNIST
    lr_schedule: str = "constant"   # "cosine": lr decays to 0 over the run (steps or max_seconds)

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        if self.binarized and self.dataset != "mnist":
            raise ValueError("binarized training is defined for MNIST only (the fixed binarized test set)")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got '{self.lr_schedule}'")
        if not (1 <= self.latent <= 256 and 0 <= self.beta <= 100 and 1 <= self.steps <= 10_000_000):
            raise ValueError("latent must be in 1..256, beta in 0..100, steps ≥ 1")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be in 1..4096")
        return self


class VAE(nn.Module):
    """The Model: encoder q_φ(z|x) (``encoder`` → ``mu``, ``logvar``) and decoder p_θ(x|z)
    (``decoder``); ``cfg`` its Config, ``steps`` the optimizer steps done, ``card`` once loaded."""

    def __init__(self, latent: int = 16, hidden: int = 256, cfg: Config | None = None):
        super().__init__()
        self.cfg = cfg if cfg is not None else Config(latent=latent, hidden=hidden)
        self.steps = 0
        self.latent = latent
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),          # 14×14
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),         # 7×7
            nn.Flatten(), nn.Linear(64 * 7 * 7, hidden), nn.ReLU(),
        )
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64 * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),  # 14×14
            nn.ConvTranspose2d(32, 1, 4, 2, 1),              # 28×28 logits of x̂
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, 28, 28) in [0, 1] -> (μ, log σ²)."""
        h = self.encoder(x.reshape(-1, 1, 28, 28))
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)[:, 0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, latent) -> x̂ (N, 28, 28) in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ ⊙ ε, ε ~ N(0, I): sampling as a differentiable function of (μ, σ)."""
    eps = torch.randn(mu.shape, generator=g, device=g.device).to(mu.device) if g is not None else torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per image (summed over latent dims)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)


def reconstruction(model: VAE, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p_θ(x|z) per image: binary cross-entropy summed over the 784 pixels."""
    return nn.functional.binary_cross_entropy_with_logits(
        model.decode_logits(z), x.reshape(-1, 28, 28), reduction="none").sum(dim=(1, 2))


def loss_terms(model: VAE, x: torch.Tensor, kl: bool = True, g: torch.Generator | None = None):
    """(reconstruction, KL) per image. AE: z = μ and KL is reported but not used."""
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, g) if kl else mu
    return reconstruction(model, z, x), kl_divergence(mu, logvar)


def loss_fn(model: VAE, x: torch.Tensor, beta: float = 1.0, kl: bool = True, g=None) -> torch.Tensor:
    rec, kld = loss_terms(model, x, kl, g)
    return (rec + beta * kld).mean() if kl else rec.mean()


@torch.no_grad()
def neg_elbo(model: VAE, x: torch.Tensor, batch: int = 2000, seed: int = 0) -> torch.Tensor:
    """−ELBO per image in nats (reconstruction + KL, one z sample), the bound on −log p(x)."""
    model.eval()
    dev = next(model.parameters()).device
    g = seeded(seed)
    out = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].to(dev)
        rec, kld = loss_terms(model, xb, True, g)
        out.append((rec + kld).cpu())
    return torch.cat(out)


@torch.no_grad()
def reconstruction_at_mean(model: VAE, x: torch.Tensor, batch: int = 2000) -> torch.Tensor:
    """−log p_θ(x | z = μ_φ(x)) per image in nats: the plain autoencoder's reconstruction error."""
    model.eval()
    dev = next(model.parameters()).device
    out = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].to(dev)
        out.append(reconstruction(model, model.encode(xb)[0], xb).cpu())
    return torch.cat(out)


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; μ, diag σ²), summed over the last dimension."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


@torch.no_grad()
def iwae_bound(model: VAE, x: torch.Tensor, k: int, seed: int = 0, max_decodes: int = 20_000) -> torch.Tensor:
    """L_k = log (1/k) Σ_{i=1..k} p_θ(x|z_i) p(z_i) / q_φ(z_i|x), z_i ~ q_φ(z|x), per image in nats.

    A lower bound on log p(x) (so −L_k bounds −log p(x) from above) that tightens as k grows
    (Burda et al. 2016). L_1 is the ELBO estimated with one sample (KL sampled, not analytic).
    ``x`` should be binary: only then is p_θ(x|z) a normalised Bernoulli likelihood.
    """
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    model.eval()
    dev = next(model.parameters()).device
    g = seeded(seed)
    batch = max(1, max_decodes // k)
    out = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].to(dev).reshape(-1, 28, 28)
        mu, logvar = model.encode(xb)
        eps = torch.randn((k, *mu.shape), generator=g).to(dev)
        z = mu + torch.exp(0.5 * logvar) * eps                           # (k, B, latent)
        logits = model.decode_logits(z.reshape(-1, model.latent)).reshape(k, *xb.shape)
        log_px_z = -nn.functional.binary_cross_entropy_with_logits(
            logits, xb.expand_as(logits), reduction="none").sum(dim=(2, 3))
        log_pz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = _log_normal(z, mu, logvar)
        log_w = (log_px_z + log_pz - log_qz).float()                     # (k, B)
        out.append((torch.logsumexp(log_w, 0) - math.log(k)).cpu())
    return torch.cat(out)


def binarize_input(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """How a user's picture is binarized before a binarized model scores it: the same
    stochastic binarization as the test set (each pixel 1 with probability its grey level),
    drawn with a fixed seed so the same picture always gets the same score."""
    return data.binarize(x, seeded(seed))


def build(cfg: Config) -> VAE:
    """A fresh VAE (or AE, ``cfg.kl=False``) of ``cfg``'s sizes, initialised from ``cfg.seed``."""
    cfg.validate()
    m = VAE(cfg.latent, cfg.hidden, cfg)
    init_default(m, seeded(cfg.seed))
    return m


@dataclass
class Preview:
    """What a live run shows: test digits x and their reconstructions x̂ = decoder(μ_φ(x))."""
    step: int
    x: np.ndarray          # (8, 28, 28) in [0, 1]
    x_hat: np.ndarray      # (8, 28, 28) in [0, 1]

    def image(self, scale: int = 3) -> np.ndarray:
        """Digits (top row) above their reconstructions (bottom row), as one uint8 picture."""
        return grid(np.concatenate([self.x, self.x_hat]), nrow=len(self.x), pad=2, scale=scale)


def train(cfg: Config, model: VAE | None = None, *, seconds: float = 1.0, every: int = 50,
          preview_every: int = 500):
    """Yields Records at least every ``seconds`` of wall time and every ``every`` steps: losses
    ``loss_recon`` and ``loss_kl`` (nats per image; no KL for a plain AE) and ``loss`` (what is
    minimised); every ``preview_every`` steps and at the end, test −ELBO (AE: test reconstruction
    at z = μ) and a ``Preview`` of 8 test digits. Every record's ``model`` is the live model
    (``model`` given: training continues it)."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    if model is None:
        model = build(cfg)
    model.cfg = cfg
    model.steps = getattr(model, "steps", 0)
    model.to(dev).train()
    x_train, _ = data.load(cfg.dataset, "train")
    x_test = test_images(cfg)
    x_show = data.load(cfg.dataset, "test")[0][:8]
    g_dev = g                                   # on CPU one generator drives everything: repeatable runs
    if dev.type == "cuda":                      # on a GPU: data stays there, noise is drawn there
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        x_train, g_dev = x_train.to(dev), seeded(cfg.seed, dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(every, seconds)               # records every ``every`` steps, or ``seconds``
    for step in range(1, cfg.steps + 1):
        x = next(stream).to(dev, non_blocking=True)
        if cfg.binarized:
            x = data.binarize(x, g_dev)         # dynamic binarization: a fresh draw every time
        if cfg.lr_schedule == "cosine":         # over the share of the budget used: steps or seconds
            for group in opt.param_groups:
                group["lr"] = cfg.lr * cosine(deadline.used(step, cfg.steps))
        rec, kld = loss_terms(model, x, cfg.kl, g_dev)
        loss = (rec + cfg.beta * kld).mean() if cfg.kl else rec.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        model.steps += 1
        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            metrics = {}
            pv = None
            if step % preview_every == 0 or last:
                if cfg.kl:
                    metrics["test_neg_elbo"] = float(neg_elbo(model, x_test[:2000]).mean())
                else:                           # an AE has no prior, hence no ELBO
                    metrics["test_reconstruction"] = float(reconstruction_at_mean(model, x_test[:2000]).mean())
                pv = Preview(model.steps, x_show.numpy(), decode_points(model, encode_points(model, x_show)))
                model.train()
            losses = {"loss": loss.item(), "loss_recon": rec.mean().item()}
            if cfg.kl:                          # an AE's log σ² gets no gradient: its "KL" means nothing
                losses["loss_kl"] = kld.mean().item()
            yield Record(model.steps, losses, metrics, pv, done=last, model=model)
        if last:
            return


def test_images(cfg: Config) -> torch.Tensor:
    """The test images a model of this config is scored on: the fixed binarized MNIST test set
    for a binarized model, else the grey-level test images."""
    return data.binarized_mnist_test()[0] if cfg.binarized else data.load(cfg.dataset, "test")[0]


def dataset_name(cfg: Config) -> str:
    return f"{cfg.dataset} train (60k)" + (", dynamically binarized" if cfg.binarized else "")


def save(model: VAE, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    cfg = model.cfg
    card = checkpoints.card(FAMILY, cfg, dataset_name(cfg), model.steps,
                            device_description(next(model.parameters()).device), metrics, command, seconds,
                            kind="VAE" if cfg.kl else "plain autoencoder (no KL term)")
    return checkpoints.save(path, {"vae": model}, card)


def load(path) -> VAE:
    """The model of a checkpoint (tensors under ``vae.``), on the CPU in eval mode, with ``cfg``,
    ``steps`` and ``card``."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    m = VAE(cfg.latent, cfg.hidden, cfg)
    m.load_state_dict(checkpoints.unflatten(tensors, "vae"))
    m.steps, m.card = card.get("steps", 0), card
    m.prior_gmm = load_prior(path)          # the ex-post GMM prior, if one was fitted to these weights
    return m.eval()


@torch.no_grad()
def sample(model: VAE, n: int, *, seed: int = 0, prior: str = "standard") -> torch.Tensor:
    """Decode z ~ p(z): images (n, 1, 28, 28) in [0, 1] (Bernoulli means). ``prior`` "standard":
    z ~ N(0, I), the prior the VAE was trained with; "gmm": z from the Gaussian mixture fitted to
    the training codes after training (``model.prior_gmm``, see :func:`fit_prior`)."""
    model.eval()
    if prior == "standard":
        z = torch.randn(n, model.latent, generator=seeded(seed))
    elif prior == "gmm":
        if getattr(model, "prior_gmm", None) is None:
            raise ValueError("this VAE has no fitted GMM prior: fit one with "
                             "`python3 scripts/fit_vae_prior.py CHECKPOINT` (or use prior 'standard')")
        z = model.prior_gmm.sample(n, seed)
    else:
        raise ValueError(f"prior must be 'standard' or 'gmm', got '{prior}'")
    return model.decode(z.to(next(model.parameters()).device)).cpu()[:, None]


# -- an ex-post prior: a Gaussian mixture over the codes (two-stage sampling) -----------------------
# A VAE's codes of the training set (the aggregate posterior q(z) = E_x q_φ(z|x)) do not fill N(0, I):
# z ~ N(0, I) lands in "holes" between the digits' clusters and decodes to blurs. Ghosh et al. 2020
# ("From variational to deterministic autoencoders") fit a density to the codes after training and
# sample z from it instead. Here: K full-covariance Gaussians fitted by EM to codes of the training set,
#     p_GMM(z) = Σ_k π_k N(z; m_k, C_k),
# one code z ~ q_φ(z|x) per training image (a sample of the aggregate posterior, the prior that maximises
# the ELBO), not μ_φ(x): the 16-D VAE leaves three dimensions unused (σ ≈ 1, μ ≈ 0), where a mixture of
# the μ would be a needle, and KL(q ‖ p_GMM) would cost thousands of nats (docs/figures.md).
@dataclass
class GaussianMixture:
    """p(z) = Σ_k π_k N(z; m_k, C_k): ``weights`` π (K,), ``means`` m (K, d), ``covariances`` C
    (K, d, d), float64."""
    weights: torch.Tensor
    means: torch.Tensor
    covariances: torch.Tensor

    def component_log_probs(self, z: torch.Tensor) -> torch.Tensor:
        """log π_k + log N(z_i; m_k, C_k): (K, N)."""
        z = torch.as_tensor(z).double()
        d = z.shape[-1]
        chol = torch.linalg.cholesky(self.covariances)
        diff = (z[None] - self.means[:, None]).transpose(1, 2)                       # (K, d, N)
        maha = torch.linalg.solve_triangular(chol, diff, upper=False).pow(2).sum(1)   # (K, N)
        logdet = 2 * chol.diagonal(dim1=1, dim2=2).log().sum(1)
        return self.weights.log()[:, None] - 0.5 * (d * math.log(2 * math.pi) + logdet[:, None] + maha)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p_GMM(z) per point (N,), in nats."""
        return torch.logsumexp(self.component_log_probs(z), 0)

    def sample(self, n: int, seed: int) -> torch.Tensor:
        """n points (n, d) float32: component k ~ π, then z = m_k + L_k ε (C_k = L_k L_kᵀ), from ``seed``."""
        g = seeded(seed)
        k = torch.multinomial(self.weights, n, replacement=True, generator=g)
        eps = torch.randn(n, self.means.shape[1], generator=g, dtype=torch.float64)
        chol = torch.linalg.cholesky(self.covariances)
        return (self.means[k] + (chol[k] @ eps[:, :, None])[:, :, 0]).float()

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"weights": self.weights, "means": self.means, "covariances": self.covariances}


def fit_gmm(z: torch.Tensor, k: int, *, seed: int = 0, iters: int = 200, tol: float = 1e-6,
            reg: float = 1e-4) -> tuple[GaussianMixture, float]:
    """EM for a K-component full-covariance Gaussian mixture on points z (N, d): (the mixture, its
    mean log-likelihood per point in nats). Starts from K points drawn from ``seed`` as the means,
    the data's covariance for every component and equal weights; stops after ``iters`` rounds or
    when the mean log-likelihood gains under ``tol``. ``reg`` is added to every covariance's
    diagonal (keeps a component that shrinks onto few points invertible)."""
    z = torch.as_tensor(z).double()
    n, d = z.shape
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n} (the number of points), got {k}")
    g = seeded(seed)
    eye = reg * torch.eye(d, dtype=torch.float64)
    gmm = GaussianMixture(torch.full((k,), 1.0 / k, dtype=torch.float64), z[torch.randperm(n, generator=g)[:k]],
                          (torch.cov(z.T).reshape(d, d) + eye).expand(k, d, d).clone())
    last = -math.inf
    for _ in range(iters):
        logp = gmm.component_log_probs(z)                    # E step: responsibilities r_ik
        ll = torch.logsumexp(logp, 0)
        mean_ll = float(ll.mean())
        r = (logp - ll).exp()                                # (K, N)
        nk = r.sum(1) + 1e-12                                # M step
        means = (r @ z) / nk[:, None]
        diff = z[None] - means[:, None]                      # (K, N, d)
        cov = torch.einsum("kn,kni,knj->kij", r, diff, diff) / nk[:, None, None] + eye
        gmm = GaussianMixture(nk / nk.sum(), means, cov)
        if mean_ll - last < tol:
            break
        last = mean_ll
    return gmm, float(gmm.log_prob(z).mean())


PRIOR_K = 10        # components of the shipped GMM prior


@torch.no_grad()
def posterior_codes(model: VAE, x, seed: int = 0, batch: int = 2000) -> torch.Tensor:
    """One code z ~ q_φ(z|x) per image (N, latent), drawn from ``seed``: a sample of the aggregate posterior."""
    model.eval()
    x = torch.as_tensor(x, dtype=torch.float32).reshape(-1, 28, 28)
    dev = next(model.parameters()).device
    g = seeded(seed)
    out = []
    for i in range(0, len(x), batch):
        mu, logvar = model.encode(x[i:i + batch].to(dev))
        out.append(reparameterize(mu.cpu(), logvar.cpu(), g))
    return torch.cat(out)


def fit_prior(model: VAE, x: torch.Tensor, k: int = PRIOR_K, seed: int = 0) -> tuple[GaussianMixture, float]:
    """``fit_gmm`` on one code z ~ q_φ(z|x) per image of ``x`` (the training set): the ex-post prior."""
    return fit_gmm(posterior_codes(model, x, seed), k, seed=seed)


def prior_path(path) -> Path:
    """Where the GMM prior of checkpoint ``NAME`` lives: ``NAME-gmm.safetensors`` beside it."""
    weights, _ = checkpoints.paths(path)
    return weights.with_name(weights.name.replace(".safetensors", "-gmm.safetensors"))


def save_prior(gmm: GaussianMixture, path, command: str = "", mean_loglik: float | None = None) -> Path:
    """Write the mixture beside checkpoint ``path``, tied to its weights by their sha256 (no pickle)."""
    from safetensors.torch import save_file

    weights, _ = checkpoints.paths(path)
    out = prior_path(path)
    meta = {"vae_sha256": checkpoints.sha256(weights), "k": str(len(gmm.weights)), "command": command,
            "fit": "EM on one z ~ q(z|x) per training image, full covariances (vae.fit_prior)"}
    if mean_loglik is not None:
        meta["mean_loglik_nats"] = f"{mean_loglik:.4f}"
    save_file({k: v.contiguous() for k, v in gmm.tensors().items()}, str(out), metadata=meta)
    return out


def load_prior(path) -> GaussianMixture | None:
    """The GMM prior saved beside checkpoint ``path``, or None when there is none or it was fitted
    to other weights (its sha256 differs from the checkpoint's)."""
    from safetensors import safe_open

    out = prior_path(path)
    if not out.exists():
        return None
    with safe_open(str(out), "pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if meta.get("vae_sha256") != checkpoints.sha256(checkpoints.paths(path)[0]):
        return None
    return GaussianMixture(tensors["weights"], tensors["means"], tensors["covariances"])


@torch.no_grad()
def neg_elbo_under(model: VAE, x: torch.Tensor, log_prior, samples: int = 1, seed: int = 0,
                   batch: int = 2000) -> torch.Tensor:
    """−ELBO per image in nats with a prior of log density ``log_prior`` (z (M, d) -> (M,)):
    −E_{z~q}[log p_θ(x|z) + log p(z) − log q_φ(z|x)], the expectation by Monte Carlo over
    ``samples`` draws of z per image (the KL term sampled, not analytic: any prior works)."""
    model.eval()
    dev = next(model.parameters()).device
    g = seeded(seed)
    out = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].to(dev).reshape(-1, 28, 28)
        mu, logvar = model.encode(xb)
        total = torch.zeros(len(xb), dtype=torch.float64)
        for _ in range(samples):
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g).to(dev)
            log_w = (-reconstruction(model, z, xb).double().cpu() + log_prior(z).double().cpu()
                     - _log_normal(z, mu, logvar).double().cpu())
            total += log_w
        out.append((-total / samples).float())
    return torch.cat(out)


def standard_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) per point, in nats."""
    return _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))


NO_ELBO = "n/a (no prior)"
IWAE_KS = (1, 10, 100)


def evaluate(model: VAE, *, n: int | None = None, seed: int = 0, iwae_images: int | None = None) -> dict:
    """Test −ELBO (nats per image; for a binarized model on the fixed binarized test set, with the
    IWAE bounds −L_k for k = 1, 10, 100 on ``iwae_images`` of it), or, for a plain AE, "n/a" and
    its reconstruction error at z = μ; then sample metrics (FLD, KID, IS, classes) of ``n``
    (default 10,000) decodes of z ~ N(0, I)."""
    cfg = model.cfg
    n = n or 10_000
    x_test = test_images(cfg)
    out = {"test_set": ("mnist test, binarized (fixed draw, data.binarized_mnist_test)" if cfg.binarized
                        else f"{cfg.dataset} test, grey levels" + ("" if not cfg.kl else
                             " (a Bernoulli likelihood on grey levels is not a normalised density: "
                             "the −ELBO is a loss, not a bound on −log p(x))"))}
    if cfg.kl:
        out["test_neg_elbo"] = float(neg_elbo(model, x_test, seed=seed).mean())
    else:
        out["test_neg_elbo"] = NO_ELBO
        out["test_kl"] = NO_ELBO
        out["test_reconstruction_at_mu"] = float(reconstruction_at_mean(model, x_test).mean())
    out["test_images"] = len(x_test)
    if cfg.kl and cfg.binarized:
        xi = x_test[:iwae_images] if iwae_images else x_test
        for k in IWAE_KS:
            out[f"test_iwae_nll_k{k}"] = -float(iwae_bound(model, xi, k, seed=seed).mean())
        out["iwae_images"] = len(xi)
    if cfg.dataset in ("mnist", "fashion"):
        from .metrics import image_metrics, default_classifier_available
        if default_classifier_available(cfg.dataset):
            # decodes are Bernoulli means (grey levels): compare them with the grey-level images
            out |= image_metrics(sample(model, n, seed=seed), data.load(cfg.dataset, "test")[0],
                                 data.load(cfg.dataset, "train")[0], task=cfg.dataset)
    return out


# -- exploring the latent space (used by the VAE tab; numpy in, numpy out) -------
@torch.no_grad()
def encode_mean(model: VAE, x, batch: int = 2000) -> torch.Tensor:
    """μ_φ(x) for images (N, 28, 28): where each image lands in latent space."""
    model.eval()
    x = torch.as_tensor(x, dtype=torch.float32).reshape(-1, 28, 28)
    dev = next(model.parameters()).device
    return torch.cat([model.encode(x[i:i + batch].to(dev))[0].cpu() for i in range(0, len(x), batch)])


@torch.no_grad()
def decode(model: VAE, z) -> torch.Tensor:
    """x̂_θ(z) for latent vectors (N, latent): images (N, 28, 28) in [0, 1]."""
    model.eval()
    dev = next(model.parameters()).device
    return model.decode(torch.as_tensor(z, dtype=torch.float32).reshape(-1, model.latent).to(dev)).cpu()


def encode_points(model: VAE, x) -> np.ndarray:
    """``encode_mean`` for numpy images (N, 28, 28) or one (28, 28): codes μ (N, latent)."""
    return encode_mean(model, x).numpy()


def decode_points(model: VAE, z) -> np.ndarray:
    """``decode`` for a list / array of codes (N, latent) or one code: images (N, 28, 28) in [0, 1]."""
    return decode(model, np.asarray(z, dtype=np.float32)).numpy()


def latent_grid(extent: tuple[float, float, float, float], n: int = 15) -> torch.Tensor:
    """n×n points over (x0, x1, y0, y1), row-major from the top (y1) down: shape (n*n, 2)."""
    x0, x1, y0, y1 = extent
    xs = torch.linspace(x0, x1, n)
    ys = torch.linspace(y1, y0, n)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def decoded_grid(model: VAE, extent, n: int = 15) -> np.ndarray:
    """The decoder's picture of a 2-D latent area: x̂(z) on an n×n grid of z over ``extent``,
    as one uint8 image (top row: the largest z₂)."""
    return grid(decode(model, latent_grid(extent, n)), nrow=n, pad=0)


def traversal(model: VAE, z, dim: int, values) -> np.ndarray:
    """Decode z with dimension ``dim`` swept over ``values``, the others fixed: (len(values), 28, 28)."""
    values = torch.as_tensor(values, dtype=torch.float32)
    zs = torch.as_tensor(z, dtype=torch.float32).reshape(1, -1).repeat(len(values), 1)
    zs[:, dim] = values
    return decode(model, zs).numpy()


def code_span(mu: np.ndarray, percent: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Where the middle (100 − 2·percent)% of codes lie, per dimension: (low, high)."""
    return np.percentile(mu, percent, axis=0), np.percentile(mu, 100 - percent, axis=0)


def map_extent(mu: np.ndarray, prior: bool, pad: float = 0.08) -> tuple[float, float, float, float]:
    """The (z₁ min, z₁ max, z₂ min, z₂ max) a 2-D latent map shows for codes ``mu`` (N, 2): the
    1-99% span of the codes (a few outliers would squeeze the rest), widened to at least ±3 for a
    model with a prior (a VAE: where z ~ N(0, I) falls, so its decodes can be seen), then padded
    by ``pad`` of the width on each side."""
    lo, hi = code_span(mu)
    if prior:
        lo, hi = np.minimum(lo, -3.0), np.maximum(hi, 3.0)
    margin = pad * (hi - lo)
    return (float(lo[0] - margin[0]), float(hi[0] + margin[0]), float(lo[1] - margin[1]), float(hi[1] + margin[1]))


def latent_map(model: VAE, x) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Codes μ of images ``x`` under a 2-D model, and the extent to draw them in (``map_extent``)."""
    mu = encode_points(model, x)
    return mu, map_extent(mu, prior=model.cfg.kl)


@dataclass
class Reconstruction:
    """One image through the model: its code z = μ_φ(x), x̂ = decoder(z), and its score in nats:
    the −ELBO for a VAE (``neg_elbo``), the reconstruction error at z = μ for a plain AE
    (``reconstruction_at_mu``; it has no prior, so no ELBO)."""
    z: np.ndarray
    x_hat: np.ndarray
    neg_elbo: float | None
    reconstruction_at_mu: float | None


def reconstruct(model: VAE, x) -> Reconstruction:
    """x (28, 28) in [0, 1] -> its code, reconstruction and score (see ``Reconstruction``)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, 28, 28)
    z = encode_mean(model, x)
    if model.cfg.kl:
        return Reconstruction(z[0].numpy(), decode(model, z)[0].numpy(), float(neg_elbo(model, x)[0]), None)
    return Reconstruction(z[0].numpy(), decode(model, z)[0].numpy(), None, float(reconstruction_at_mean(model, x)[0]))


@dataclass
class PriorDecodes:
    """Decodes of z ~ N(0, I) judged by a classifier: how many of each digit, and KL(p̂(y) ‖ uniform)."""
    images: np.ndarray     # (n, 28, 28) in [0, 1]
    class_counts: list[int]
    class_kl: float


def prior_decodes(model: VAE, n: int, seed: int, net) -> PriorDecodes:
    """``n`` decodes of z ~ N(0, I) (seeded), classified by ``net`` (``metrics.class_histogram``)."""
    from .metrics import class_histogram

    x = sample(model, n, seed=seed)
    counts, kl = class_histogram(x, net)
    return PriorDecodes(x[:, 0].numpy(), counts, kl)


def likelihood_input(x, binarized: bool) -> np.ndarray:
    """The image a likelihood model scores: binarized with a fixed seed for a binarized model
    (``binarize_input``), as given otherwise."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 28, 28)
    return (binarize_input(x) if binarized else x).numpy()


def likelihood_scores(model: VAE, x, k: int = 100) -> tuple[float, float]:
    """(−ELBO, −L_k) of one image (28, 28), in nats (upper bounds on −log p(x) for a binary x)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, 28, 28)
    return float(neg_elbo(model, x)[0]), -float(iwae_bound(model, x, k)[0])


def neg_elbo_histogram(model: VAE, x, edges: np.ndarray) -> np.ndarray:
    """Share of images ``x`` whose −ELBO falls in each bin of ``edges`` (values beyond the last
    edge are counted in the last bin)."""
    v = neg_elbo(model, torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()
    counts, _ = np.histogram(np.clip(v, edges[0], np.nextafter(edges[-1], edges[0])), edges)
    return counts / len(v)
