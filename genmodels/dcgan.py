"""DCGAN on 28×28 digits (Radford et al. 2016; seed deck 001).

    x = G(z; θ_G),  z ~ p_z = N(0, I) of size nz = 100;  p_model is the distribution of G(z)
    min_G max_D V(G, D) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 − D(G(z)))]
    train D:  min_θD  l(D(x), 1) + l(D(G(z)), 0) = −[log D(x) + log(1 − D(G(z)))]   (= −V on a batch)
    train G:  min_θG  l(D(G(z)), 1) = −log D(G(z))          (l = binary cross-entropy)

G's loss is the non-saturating one (Goodfellow et al. 2014), not min log(1 − D(G(z))):
early on D rejects G's samples with confidence, D(G(z)) ≈ 0, where log(1 − D(G(z)))
is flat and G would get almost no gradient; −log D(G(z)) is steep there.

The paper's recipe, sized for 28×28: strided (transposed) convolutions and no
pooling; BatchNorm everywhere except G's output and D's input; ReLU in G with a
tanh output; LeakyReLU(0.2) in D; weights ~ N(0, 0.02); Adam(2e-4, β1 = 0.5),
batch 128. One change: D ends in a dense layer (``Config.d_dense``, as InfoGAN's
MNIST D), which reached the quality bar where the all-convolutional D plateaued.
Images live in [-1, 1] inside the model, [0, 1] outside.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoints, data
from .common import (Deadline, batches, device, device_description, grid, init_normal, seeded, to_model,
                     to_unit)
from .family import Option
from .progress import Cadence, Record

FAMILY = "dcgan"


@dataclass
class Config:
    dataset: str = "mnist"      # mnist | fashion
    nz: int = 100               # size of z
    ngf: int = 64               # width of G
    ndf: int = 64               # width of D
    d_dense: int = 1024         # units of a dense layer before D's logit (0 = the paper's all-conv D)
    steps: int = 10_000
    batch_size: int = 128
    lr: float = 2e-4
    beta1: float = 0.5
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0    # stop early after this much wall time (0 = no limit)
    ema: float = 0.999          # G_ema = running average of G's weights, used for sampling (0 = copy of G)
    ema_warmup: bool = False    # warm G_ema's decay up with G's age (``ema_decay``; the tab's live runs)
    init: str = ""              # continue from this checkpoint (path without extension)

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        if not (0 < self.lr <= 1 and 0 <= self.beta1 < 1 and 0 <= self.ema < 1 and self.max_seconds >= 0):
            raise ValueError("lr must be in (0, 1], beta1 and ema in [0, 1), max_seconds ≥ 0")
        if not (1 <= self.nz <= 512 and 8 <= self.ngf <= 256 and 8 <= self.ndf <= 256 and 0 <= self.d_dense <= 4096):
            raise ValueError("nz must be in 1..512, ngf and ndf in 8..256, d_dense in 0..4096")
        if not (1 <= self.steps <= 1_000_000 and 2 <= self.batch_size <= 4096):
            raise ValueError("steps must be in 1..1000000 and batch_size in 2..4096")
        return self


class Generator(nn.Module):
    """z (nz) -> 4ngf×7×7 -> 2ngf×14×14 -> 1×28×28 in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64):
        super().__init__()
        self.nz = nz
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(len(z), self.nz, 1, 1))


class Discriminator(nn.Module):
    """1×28×28 -> ndf×14×14 -> 2ndf×7×7 -> (dense units) -> one logit (D(x) = sigmoid of it).

    ``dense`` > 0 adds a fully connected layer before the logit, as InfoGAN's MNIST D has: in a
    4,000-step CPU comparison it got the generator to a given sample quality in half the steps.
    """

    def __init__(self, ndf: int = 64, dense: int = 1024):
        super().__init__()
        features = [
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        ]
        if dense:
            head = [nn.Flatten(), nn.Linear(ndf * 2 * 7 * 7, dense, bias=False), nn.BatchNorm1d(dense),
                    nn.LeakyReLU(0.2, True), nn.Linear(dense, 1)]
        else:
            head = [nn.Conv2d(ndf * 2, 1, 7, 1, 0)]
        self.net = nn.Sequential(*features, *head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


class GAN(nn.Module):
    """A GAN's networks under their paper names: G, D and G_ema (the generator to sample from, a
    running average of G's weights). Subclasses name their ``Generator`` and ``Discriminator``
    (built as ``Generator(cfg.nz, cfg.ngf)`` and ``Discriminator(cfg.ndf, cfg.d_dense)``), their
    ``Config``, checkpoint ``FAMILY`` and the card's ``TRAINED_ON`` line; the checkpoint holds G, D
    and G_ema under those names. ``cfg``: its Config; ``steps``: G's optimizer steps so far (all
    runs together); ``card``: set by :meth:`from_checkpoint`."""

    Generator: type[nn.Module]
    Discriminator: type[nn.Module]
    Config: type
    FAMILY: str
    TRAINED_ON: str = "{dataset} train (60k)"     # the card's data line
    OLD_CARDS: dict = {}                          # config keys older cards lack: the values they meant

    def __init__(self, cfg):
        super().__init__()
        self.cfg, self.steps, self.card = cfg, 0, None
        self.G = self.Generator(cfg.nz, cfg.ngf)
        self.D = self.Discriminator(cfg.ndf, cfg.d_dense)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False)

    def networks(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema}

    def init_weights(self, g: torch.Generator) -> "GAN":
        """G's then D's weights ~ N(0, 0.02) drawn from ``g`` (the DCGAN init); G_ema = G."""
        init_normal(self.G, g)
        init_normal(self.D, g)
        self.G_ema.load_state_dict(self.G.state_dict())
        return self

    def load_weights(self, tensors: dict) -> "GAN":
        """G, D and G_ema from a checkpoint's flat tensors; one saved without G_ema samples from G."""
        self.G.load_state_dict(checkpoints.unflatten(tensors, "G"))
        self.D.load_state_dict(checkpoints.unflatten(tensors, "D"))
        self.G_ema.load_state_dict(checkpoints.unflatten(tensors, "G_ema") or checkpoints.unflatten(tensors, "G"))
        return self

    def save_checkpoint(self, path, metrics: dict, *, command: str = "", seconds=None) -> dict:
        """Weights of G, D and G_ema + a card. ``card['steps']``: this run's steps; ``steps_total``: all runs'."""
        cfg = self.cfg
        steps, extra = checkpoints.continuation(cfg.init, self.steps)
        card = checkpoints.card(self.FAMILY, cfg, self.TRAINED_ON.format(dataset=cfg.dataset), steps,
                                device_description(next(self.parameters()).device), metrics, command, seconds, **extra)
        return checkpoints.save(path, self.networks(), card)

    @classmethod
    def from_checkpoint(cls, path) -> "GAN":
        """The model on the CPU, in eval mode, ``model.card`` set. A checkpoint without G_ema samples from G."""
        tensors, card = checkpoints.load(path, family=cls.FAMILY)
        saved = {**cls.OLD_CARDS, **card["config"]}
        model = cls(cls.Config(**{k: v for k, v in saved.items() if k in cls.Config.__dataclass_fields__}))
        model.load_weights(tensors)
        model.steps = int(card.get("steps_total", card.get("steps", 0)))
        model.card = card
        return model.eval()


class DCGAN(GAN):
    """The DCGAN's G, D and G_ema (see :class:`GAN`)."""

    Generator, Discriminator, Config = Generator, Discriminator, Config
    FAMILY = FAMILY
    OLD_CARDS = {"d_dense": 0}                    # cards before d_dense: the all-conv D


def _build(cfg: Config, g: torch.Generator) -> DCGAN:
    return DCGAN(cfg).init_weights(g)


def build(cfg: Config) -> DCGAN:
    """Fresh networks, weights ~ N(0, 0.02) drawn from cfg.seed; G_ema starts as a copy of G."""
    return _build(cfg.validate(), seeded(cfg.seed))


# -- losses, as on the slide ------------------------------------------------
_bce = nn.functional.binary_cross_entropy_with_logits


def d_loss(D, x_real, x_fake):
    real, fake = D(x_real), D(x_fake)
    return _bce(real, torch.ones_like(real)) + _bce(fake, torch.zeros_like(fake))


def g_loss(D, x_fake):
    fake = D(x_fake)
    return _bce(fake, torch.ones_like(fake))


# -- sampling ----------------------------------------------------------------
def noise(n: int, nz: int, seed: int) -> torch.Tensor:
    """z ~ N(0, I), drawn on the CPU from ``seed`` so every device gets the same z."""
    return torch.randn(n, nz, generator=seeded(seed))


@torch.no_grad()
def generate(G: Generator, z: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Images in [0, 1], (N, 28, 28), for latent vectors z (N, nz)."""
    G.eval()
    dev = next(G.parameters()).device
    return torch.cat([to_unit(G(z[i:i + batch].to(dev))).cpu()[:, 0] for i in range(0, len(z), batch)])


def truncated_noise(n: int, nz: int, seed: int, psi: float) -> torch.Tensor:
    """z from N(0, I) truncated to |z_j| ≤ ψ in every coordinate (the truncation trick, BigGAN,
    Brock et al. 2019): each coordinate beyond ψ is redrawn from N(0, 1) until it falls inside,
    all from ``seed``'s generator, so the same seed gives the same z."""
    if not 0 < psi <= 10:
        raise ValueError(f"truncation ψ must be in (0, 10], got {psi}")
    g = seeded(seed)
    z = torch.randn(n, nz, generator=g)
    while (out := z.abs() > psi).any():
        z[out] = torch.randn(int(out.sum()), generator=g)
    return z


def sample(model: DCGAN, n: int, *, seed: int, truncation: float | None = None) -> torch.Tensor:
    """n images (n, 1, 28, 28) in [0, 1] from G_ema; z drawn on the CPU from ``seed``.

    ``truncation`` ψ draws z from the truncated normal (:func:`truncated_noise`) instead of N(0, I):
    less diversity for (in big GANs) cleaner images. Measured on dcgan-mnist it buys nothing: ψ ≤ 1
    lowers both judges' IS, every ψ ≤ 1.5 raises the FLD, ψ = 2 ties (docs/figures.md, "DCGAN and VAE
    samples under two judges"). G's BatchNorm layers keep the statistics of untruncated z, so a narrower z shrinks
    what they would have normalised; renormalised on the truncated batch it merely ties. Off by default."""
    nz = model.G_ema.nz
    z = noise(n, nz, seed) if truncation is None else truncated_noise(n, nz, seed, float(truncation))
    return generate(model.G_ema, z)[:, None]


SAMPLE_OPTIONS = (Option("truncation", float, None,
                         "draw z from N(0, I) truncated to |z_j| ≤ ψ (the truncation trick); off if not given"),)
EVAL_OPTIONS = ()
CARD_EVAL: dict = {}


def diversity(x: torch.Tensor) -> float:
    """Mean pairwise L2 distance between images (N, 28, 28): falls towards 0 under mode collapse."""
    f = x.reshape(len(x), -1)
    return float(torch.pdist(f).mean())


# The mode-collapse alarm. A fresh G draws nearly the same grey blur for every z, so the diversity
# ratio starts low (about 0.2) for a reason that is not collapse: G has not learnt anything yet.
# Collapse is a *trained* G whose samples look alike, so the alarm waits out a warm-up and then
# needs the ratio low at several checks in a row (one low check can be a bad moment).
COLLAPSE_RATIO = 0.5        # diversity of samples / diversity of real digits below this: "look alike"
COLLAPSE_WARMUP = 500       # optimizer steps of G before the alarm may fire
COLLAPSE_PATIENCE = 3       # that many checks in a row, all after the warm-up, must be low


def collapse_alarm(steps: list[int], ratios: list[float], warmup: int = COLLAPSE_WARMUP,
                   patience: int = COLLAPSE_PATIENCE, threshold: float = COLLAPSE_RATIO) -> bool:
    """True when G has collapsed: the last ``patience`` diversity ratios (samples / real digits),
    taken at ``steps`` (G's age in optimizer steps), are all under ``threshold`` and all come
    after ``warmup`` steps."""
    if len(steps) != len(ratios):
        raise ValueError("steps and ratios must have the same length")
    if len(ratios) < patience:
        return False
    return all(s >= warmup and r < threshold for s, r in zip(steps[-patience:], ratios[-patience:]))


# -- training ----------------------------------------------------------------
@torch.no_grad()
def update_ema(G_ema: Generator, G: Generator, decay: float) -> None:
    """G_ema ← decay·G_ema + (1 − decay)·G; BatchNorm statistics copied. A smoother generator to sample from."""
    ema_p, p = list(G_ema.parameters()), list(G.parameters())
    if decay > 0:
        torch._foreach_lerp_(ema_p, p, 1 - decay)      # one fused update for all tensors
    else:
        torch._foreach_copy_(ema_p, p)
    torch._foreach_copy_(list(G_ema.buffers()), list(G.buffers()))


def ema_decay(decay: float, age: int) -> float:
    """The EMA's decay after ``age`` updates, warmed up as TensorFlow's ExponentialMovingAverage with
    num_updates: min(decay, (1 + age) / (10 + age)). Without it G_ema = 0.999·G_ema + 0.001·G
    still shows G's random initial weights for the first thousand steps (the monitor's grid stays
    noise long after G draws strokes)."""
    return min(decay, (1 + age) / (10 + age))


@dataclass
class Preview:
    """The fixed-noise samples of G_ema at a record: ``grid`` (8 × 8 digits, pixels × 2, uint8) and
    their ``diversity`` beside that of 64 real digits (``real_diversity``)."""
    grid: np.ndarray
    diversity: float
    real_diversity: float

    @property
    def ratio(self) -> float:
        """diversity of the samples / of real digits: what ``collapse_alarm`` reads."""
        return self.diversity / self.real_diversity


def train(cfg: Config, model: DCGAN | None = None, *, seconds: float = 0.25, log_every: int = 50,
          preview_every: int = 200):
    """Yields Records: losses loss_D, loss_G; metrics D(x), D(G(z)); every ``preview_every`` steps
    (and at the end) a :class:`Preview` of the fixed-noise samples.

    Records come every ``log_every`` steps and at least every ``seconds`` of wall time; the last
    has ``done=True``. Every record's ``model`` is the live :class:`DCGAN` (G, D, G_ema), trained in
    place; ``model`` continues it (else ``cfg.init``, else fresh networks from cfg.seed). With
    ``cfg.ema_warmup`` G_ema's decay is ``ema_decay(cfg.ema, model.steps)``, else ``cfg.ema``
    throughout, as the checkpoints were trained. Closing the generator stops training at once.
    """
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    if model is None:
        model = load(cfg.init) if cfg.init else _build(cfg, g)
    arch = ("nz", "ngf", "ndf", "d_dense")
    if any(getattr(model.cfg, k) != getattr(cfg, k) for k in arch):
        raise ValueError(f"{', '.join(arch)} must match the model being continued: "
                         f"{[getattr(model.cfg, k) for k in arch]} vs {[getattr(cfg, k) for k in arch]}")
    model.cfg = cfg                                             # the card records this run's config
    G, D, G_ema = model.G.to(dev).train(), model.D.to(dev).train(), model.G_ema.to(dev).eval()
    x_train, _ = data.load(cfg.dataset, "train")
    real_div = diversity(x_train[:64])
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    fixed_z = noise(64, cfg.nz, cfg.seed + 1).to(dev)
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, seconds)
    for step in range(1, cfg.steps + 1):
        x_real = to_model(next(stream)).to(dev, non_blocking=True)
        z = torch.randn(cfg.batch_size, cfg.nz, generator=g).to(dev, non_blocking=True)

        x_fake = G(z)
        loss_d = d_loss(D, x_real, x_fake.detach())          # (1) update D
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        loss_g = g_loss(D, x_fake)                           # (2) update G
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        update_ema(G_ema, G, ema_decay(cfg.ema, model.steps) if cfg.ema_warmup else cfg.ema)
        model.steps += 1

        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            with torch.no_grad():
                d_x = float(torch.sigmoid(D(x_real)).mean())
                d_gz = float(torch.sigmoid(D(x_fake)).mean())
            preview = None
            if step % preview_every == 0 or last:
                imgs = generate(G_ema, fixed_z)
                preview = Preview(grid(imgs, scale=2), diversity(imgs), real_div)
            yield Record(step, {"loss_D": loss_d.item(), "loss_G": loss_g.item()},
                         {"D(x)": d_x, "D(G(z))": d_gz}, preview, done=last, model=model)
        if last:
            return


# -- checkpoints -------------------------------------------------------------
def save(model: DCGAN, path, metrics: dict, *, command: str = "", seconds=None) -> dict:
    """Weights of G, D and G_ema + a card. ``card['steps']``: this run's steps; ``steps_total``: all runs'."""
    return model.save_checkpoint(path, metrics, command=command, seconds=seconds)


def load(path) -> DCGAN:
    """The model on the CPU, in eval mode, ``model.card`` set. A checkpoint without G_ema samples from G."""
    return DCGAN.from_checkpoint(path)


def evaluate(model: DCGAN, *, n: int | None = None, seed: int = 0) -> dict:
    """FLD / KID / classifier IS / class histogram of n samples (default 10,000) of G_ema against the
    test set (on a GPU when there is one)."""
    from .metrics import image_metrics

    model.to(device("auto"))
    dataset = model.cfg.dataset
    fake = sample(model, n or 10_000, seed=seed)
    return image_metrics(fake, data.load(dataset, "test")[0], data.load(dataset, "train")[0], task=dataset)


# -- latent space tools --------------------------------------------------------
def arithmetic(A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """mean(A) − mean(B) + mean(C): each concept is the average z of its exemplars, as in the paper."""
    return A.reshape(-1, A.shape[-1]).mean(0) - B.reshape(-1, B.shape[-1]).mean(0) + C.reshape(-1, C.shape[-1]).mean(0)


def neighbours(z: torch.Tensor, k: int, sigma: float = 0.25, seed: int = 0) -> torch.Tensor:
    """z itself and k − 1 points of small Gaussian noise around it: (k, nz)."""
    noise = torch.randn(k - 1, z.numel(), generator=seeded(seed)) * sigma
    return torch.cat([z.reshape(1, -1), z.reshape(1, -1) + noise])


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: follows the shell where Gaussian z concentrate (|z| ≈ √nz)."""
    cos = torch.clamp((z0 / z0.norm()) @ (z1 / z1.norm()), -1.0, 1.0)
    omega = torch.arccos(cos)
    if float(omega) < 1e-6:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, n: int, mode: str = "linear") -> torch.Tensor:
    """n points from z0 to z1 (inclusive), 'linear' or 'spherical': (n, nz)."""
    ts = torch.linspace(0, 1, n)
    if mode == "linear":
        return torch.stack([(1 - t) * z0 + t * z1 for t in ts])
    if mode == "spherical":
        return torch.stack([slerp(z0, z1, float(t)) for t in ts])
    raise ValueError(f"mode must be 'linear' or 'spherical', got '{mode}'")



# -- what the DCGAN tab shows: uint8 pictures, z as lists, GIF files ---------------------------
def frozen(model: DCGAN) -> Generator:
    """A CPU copy of the model's G_ema in eval mode: safe to sample from while its run goes on."""
    return copy.deepcopy(model.G_ema).cpu().eval()


def sample_grid(G: Generator, seed: int, n: int = 32, nrow: int = 8, pad: int = 2, scale: int = 3) -> np.ndarray:
    """G(z) for the n z of ``seed`` as one picture (``latent(seed, i)`` is the z of picture i)."""
    return grid(generate(G, noise(n, G.nz, seed)), nrow=nrow, pad=pad, scale=scale)


def latent(seed: int, index: int, n: int = 32, nz: int = 100) -> list[float]:
    """The z of sample ``index`` of the n drawn from ``seed`` (as :func:`sample_grid` draws them)."""
    if not 0 <= index < n:
        raise ValueError(f"index must be in 0..{n - 1}, got {index}")
    return noise(n, nz, seed)[index].tolist()


def decode_grid(G: Generator, zs: list, nrow: int = 3, scale: int = 3) -> np.ndarray:
    """G(z) for a list of z (each nz numbers) as one picture of ``nrow`` per row."""
    return grid(generate(G, torch.tensor(zs, dtype=torch.float32)), nrow=nrow, pad=2, scale=scale)


def arithmetic_views(G: Generator, A: list, B: list, C: list, sigma: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(the decoded means z̄_A, z̄_B, z̄_C and z̄_A − z̄_B + z̄_C in a row;
    that result and seven neighbours of noise σ around it)."""
    A, B, C = (torch.tensor(v, dtype=torch.float32) for v in (A, B, C))
    z = arithmetic(A, B, C)
    means = generate(G, torch.stack([A.mean(0), B.mean(0), C.mean(0), z]))
    around = generate(G, neighbours(z, 8, sigma, seed))
    return grid(means, nrow=4, pad=2, scale=4), grid(around, nrow=8, pad=2, scale=3)


def interpolation_frames(G: Generator, z0: list, z1: list, frames: int, mode: str) -> np.ndarray:
    """G(z) along ``interpolate(z0, z1, frames, mode)``: (frames, 28, 28) floats in [0, 1]."""
    zs = interpolate(torch.tensor(z0, dtype=torch.float32), torch.tensor(z1, dtype=torch.float32), frames, mode)
    return generate(G, zs).numpy()


def decode_strip(frames: np.ndarray, scale: int = 2) -> np.ndarray:
    """Frames (n, 28, 28) in [0, 1] side by side as one uint8 picture."""
    return grid(frames, nrow=len(frames), pad=2, scale=scale)


def write_gif(frames: np.ndarray, path, size: int = 168, ms: int = 90) -> Path:
    """Frames (n, 28, 28) in [0, 1] as a looping GIF that plays there and back."""
    from PIL import Image

    pics = [Image.fromarray((f * 255).round().astype(np.uint8)).resize((size, size), Image.NEAREST) for f in frames]
    pics[0].save(path, save_all=True, append_images=pics[1:] + pics[::-1], duration=ms, loop=0)
    return Path(path)
