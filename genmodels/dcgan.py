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
import time
from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import (Deadline, batches, device, device_description, grid, init_normal, seeded, to_model,
                     to_unit)
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
    ema: float = 0.999          # G_ema = running average of G's weights, used for sampling (0 = off)
    init: str = ""              # continue from this checkpoint (path without extension)

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
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


def build(cfg: Config, g: torch.Generator) -> tuple[Generator, Discriminator]:
    G, D = Generator(cfg.nz, cfg.ngf), Discriminator(cfg.ndf, cfg.d_dense)
    init_normal(G, g)
    init_normal(D, g)
    return G, D


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


def sample(G: Generator, n: int, seed: int = 0) -> torch.Tensor:
    return generate(G, noise(n, G.nz, seed))


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


def train(cfg: Config, networks=None, log_every: int = 50, preview_every: int = 200, log_seconds: float = 0.0,
          ema_age: int | None = None):
    """Yields Records: Loss_D, Loss_G, D(x), D(G(z)); every ``preview_every`` steps a preview of
    the fixed-noise samples (``grid``, ``samples``) and their ``diversity`` beside that of 64 real
    digits (``real_diversity``; see ``collapse_alarm`` for what their ratio says).

    ``networks`` = (G, D[, G_ema]) continues training from them (trained in place). The last
    record has ``done=True`` and ``preview['networks'] = (G, D, G_ema)``. ``ema_age``: how many
    updates G_ema has already averaged, to warm its decay up (``ema_decay``; 0 for a new G);
    None keeps the decay at ``cfg.ema`` throughout, as the checkpoints were trained.
    """
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    G_ema = None
    if networks is None and cfg.init:
        G, D, G_ema, _ = load(cfg.init, with_ema=True)
    elif networks is not None:
        G, D, *rest = networks
        G_ema = rest[0] if rest else None
    else:
        G, D = build(cfg, g)
    G_ema = G_ema or copy.deepcopy(G)
    G_ema.to(dev).eval().requires_grad_(False)
    G.to(dev).train()
    D.to(dev).train()
    x_train, _ = data.load(cfg.dataset, "train")
    real_div = diversity(x_train[:64])
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    fixed_z = noise(64, cfg.nz, cfg.seed + 1).to(dev)
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, log_seconds)      # records every log_every steps, or log_seconds
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
        update_ema(G_ema, G, cfg.ema if ema_age is None else ema_decay(cfg.ema, ema_age + step - 1))

        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            with torch.no_grad():
                d_x = float(torch.sigmoid(D(x_real)).mean())
                d_gz = float(torch.sigmoid(D(x_fake)).mean())
            pv = None
            if step % preview_every == 0 or last:
                imgs = generate(G_ema, fixed_z)
                div = diversity(imgs)
                pv = {"grid": grid(imgs), "samples": imgs, "diversity": div, "real_diversity": real_div}
                if last:
                    pv["networks"] = (G, D, G_ema)
            yield Record(step, {"Loss_D": loss_d.item(), "Loss_G": loss_g.item()},
                         {"D(x)": d_x, "D(G(z))": d_gz}, pv, done=last)
        if last:
            return


# -- checkpoints and CLI -----------------------------------------------------
def save(path, G, D, G_ema, cfg: Config, steps: int, metrics: dict, command: str = "", seconds=None) -> dict:
    card = checkpoints.card(FAMILY, cfg, f"{cfg.dataset} train (60k)", steps,
                            device_description(next(G.parameters()).device), metrics, command, seconds)
    if cfg.init:
        prev = checkpoints.read_card(cfg.init)
        card["continued_from"] = {"command": prev.get("command"), "steps": prev.get("steps"), "device": prev.get("device")}
        card["steps_total"] = steps + prev.get("steps_total", prev.get("steps", 0))
    return checkpoints.save(path, {"G": G, "D": D, "G_ema": G_ema}, card)


def load(path, with_ema: bool = False):
    """(G_ema, D, card) for sampling; with_ema=True: (G, D, G_ema, card) to continue training.

    G_ema is the generator to sample from (a checkpoint without one uses G).
    """
    tensors, card = checkpoints.load(path, family=FAMILY)
    c = card["config"]
    D = Discriminator(c["ndf"], c.get("d_dense", 0))          # cards before d_dense: all-conv D
    G, G_ema = Generator(c["nz"], c["ngf"]), Generator(c["nz"], c["ngf"])
    G.load_state_dict(checkpoints.unflatten(tensors, "G"))
    D.load_state_dict(checkpoints.unflatten(tensors, "D"))
    G_ema.load_state_dict(checkpoints.unflatten(tensors, "G_ema") or checkpoints.unflatten(tensors, "G"))
    if with_ema:
        return G, D, G_ema.eval(), card
    return G_ema.eval(), D.eval(), card


def evaluate(G: Generator, dataset: str = "mnist", n: int = 10_000, seed: int = 0) -> dict:
    from .metrics import image_metrics

    fake = sample(G, n, seed)
    return image_metrics(fake, data.load(dataset, "test")[0], data.load(dataset, "train")[0], task=dataset)


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    for r in train(cfg, log_every=max(1, min(500, cfg.steps // 20)), preview_every=10**9):
        echo(f"step {r.step:6d}  Loss_D {r.losses['Loss_D']:.3f}  Loss_G {r.losses['Loss_G']:.3f}  "
             f"D(x) {r.metrics['D(x)']:.2f}  D(G(z)) {r.metrics['D(G(z))']:.2f}")
    G, D, G_ema = r.preview["networks"]
    return save(out, G, D, G_ema, cfg, r.step, {}, command, round(time.perf_counter() - t0, 1))


def cli_sample(path, n: int, seed: int):
    G, _, _ = load(path)
    return sample(G, n, seed).numpy()


def cli_eval(path, n=None, seed=0) -> dict:
    G, _, card = load(path)
    G.to(device("auto"))
    return evaluate(G, card["config"]["dataset"], n or 10_000, seed)


# -- latent space tools (used by the DCGAN tab) --------------------------------
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
