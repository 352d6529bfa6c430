"""Variational autoencoder on 28×28 images (Kingma & Welling 2014; seed decks 001, 002).

Encoder q_φ(z|x) = N(μ_φ(x), diag σ_φ²(x)); decoder p_θ(x|z) = Bernoulli(x̂_θ(z)); prior p(z) = N(0, I).

    L(θ, φ | x) = −E_{z~q_φ(z|x)}[log p_θ(x|z)]  +  β · KL(q_φ(z|x) ‖ p(z))
                    reconstruction loss              regularization
    KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²)
    reparameterization trick: z = μ + σ ⊙ ε,  ε ~ N(0, I)

With ``kl=False`` the same network is a plain autoencoder: z = μ(x), no KL, so
nothing pulls the codes towards N(0, I) ("without regularization (AE)").
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, batches, device, device_description, init_default, seeded
from .progress import Cadence, Record

FAMILY = "vae"


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

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        if not (1 <= self.latent <= 256 and 0 <= self.beta <= 100 and 1 <= self.steps <= 10_000_000):
            raise ValueError("latent must be in 1..256, beta in 0..100, steps ≥ 1")
        return self


class VAE(nn.Module):
    def __init__(self, latent: int = 16, hidden: int = 256):
        super().__init__()
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
    eps = torch.randn(mu.shape, generator=g).to(mu.device) if g is not None else torch.randn_like(mu)
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


def build(cfg: Config, g: torch.Generator) -> VAE:
    m = VAE(cfg.latent, cfg.hidden)
    init_default(m, g)
    return m


def train(cfg: Config, model: VAE | None = None, log_every: int = 50, preview_every: int = 500,
          log_seconds: float = 0.0):
    """Yields Records with reconstruction and KL (nats per image) and, every ``preview_every``
    steps and at the end, test −ELBO and preview['model']."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    model = model if model is not None else build(cfg, g)
    model.to(dev).train()
    x_train, _ = data.load(cfg.dataset, "train")
    x_test, _ = data.load(cfg.dataset, "test")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, log_seconds)      # records every log_every steps, or log_seconds
    for step in range(1, cfg.steps + 1):
        x = next(stream).to(dev, non_blocking=True)
        rec, kld = loss_terms(model, x, cfg.kl, g)
        loss = (rec + cfg.beta * kld).mean() if cfg.kl else rec.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            metrics = {}
            pv = None
            if step % preview_every == 0 or last:
                metrics["test_neg_elbo"] = float(neg_elbo(model, x_test[:2000]).mean())
                model.train()
                pv = {"model": model}  # a live reference: the caller may decode with it between steps
            yield Record(step, {"reconstruction": rec.mean().item(), "KL": kld.mean().item(), "loss": loss.item()},
                         metrics, pv, done=last)
        if last:
            return


def save(path, model: VAE, cfg: Config, steps: int, metrics: dict, command: str = "", seconds=None) -> dict:
    card = checkpoints.card(FAMILY, cfg, f"{cfg.dataset} train (60k)", steps,
                            device_description(next(model.parameters()).device), metrics, command, seconds,
                            kind="VAE" if cfg.kl else "plain autoencoder (no KL term)")
    return checkpoints.save(path, {"vae": model}, card)


def load(path) -> tuple[VAE, dict]:
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    m = VAE(cfg.latent, cfg.hidden)
    m.load_state_dict(checkpoints.unflatten(tensors, "vae"))
    m.config = cfg
    return m.eval(), card


@torch.no_grad()
def sample(model: VAE, n: int, seed: int = 0) -> torch.Tensor:
    """Decode z ~ N(0, I): images (n, 28, 28) in [0, 1]."""
    model.eval()
    z = torch.randn(n, model.latent, generator=seeded(seed))
    return model.decode(z.to(next(model.parameters()).device)).cpu()


def evaluate(model: VAE, cfg: Config, n: int = 10_000, seed: int = 0) -> dict:
    x_test, _ = data.load(cfg.dataset, "test")
    nelbo = neg_elbo(model, x_test, seed=seed)
    out = {"test_neg_elbo": float(nelbo.mean()), "test_images": len(x_test)}
    if cfg.dataset in ("mnist", "fashion"):
        from .metrics import image_metrics, default_classifier_available
        if default_classifier_available(cfg.dataset):
            out |= image_metrics(sample(model, n, seed), x_test, data.load(cfg.dataset, "train")[0], task=cfg.dataset)
    return out


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    for r in train(cfg, log_every=max(1, min(1000, cfg.steps // 20)), preview_every=max(1, min(1000, cfg.steps // 20))):
        echo(f"step {r.step:6d}  rec {r.losses['reconstruction']:.2f}  KL {r.losses['KL']:.2f}  "
             f"test -ELBO {r.metrics.get('test_neg_elbo', float('nan')):.2f}")
    model = r.preview["model"]
    return save(out, model, cfg, r.step, {}, command, round(time.perf_counter() - t0, 1))


def cli_sample(path, n: int, seed: int):
    model, _ = load(path)
    return sample(model, n, seed).numpy()


def cli_eval(path, n=None, seed=0) -> dict:
    model, card = load(path)
    return evaluate(model.to(device("auto")), model.config, n or 10_000, seed)


# -- exploring the latent space (used by the VAE tab) --------------------------
@torch.no_grad()
def encode_mean(model: VAE, x: torch.Tensor, batch: int = 2000) -> torch.Tensor:
    """μ_φ(x) for images (N, 28, 28): where each image lands in latent space."""
    model.eval()
    dev = next(model.parameters()).device
    return torch.cat([model.encode(x[i:i + batch].to(dev))[0].cpu() for i in range(0, len(x), batch)])


@torch.no_grad()
def decode(model: VAE, z: torch.Tensor) -> torch.Tensor:
    """x̂_θ(z) for latent vectors (N, latent): images (N, 28, 28) in [0, 1]."""
    model.eval()
    return model.decode(torch.as_tensor(z, dtype=torch.float32).reshape(-1, model.latent)).cpu()


def latent_grid(extent: tuple[float, float, float, float], n: int = 15) -> torch.Tensor:
    """n×n points over (x0, x1, y0, y1), row-major from the top (y1) down: shape (n*n, 2)."""
    x0, x1, y0, y1 = extent
    xs = torch.linspace(x0, x1, n)
    ys = torch.linspace(y1, y0, n)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def traversal(model: VAE, z: torch.Tensor, dim: int, values: torch.Tensor) -> torch.Tensor:
    """Decode z with dimension ``dim`` swept over ``values``, the others fixed: (len(values), 28, 28)."""
    zs = torch.as_tensor(z, dtype=torch.float32).reshape(1, -1).repeat(len(values), 1)
    zs[:, dim] = values
    return decode(model, zs)
