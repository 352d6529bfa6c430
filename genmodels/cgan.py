"""Conditional GAN on 28×28 digits: choose the digit (Mirza & Osindero 2014; decks 000, 001).

An unconditional GAN learns p(x); a conditional one learns p(x | y), here y ∈ {0, …, 9}
the digit. Both players see the label:

    x = G(z, y; θ_G),  z ~ N(0, I) of size nz,  y ~ p_data(y)
    min_G max_D V(D, G) = E_{x,y ~ p_data} [log D(x | y)] + E_{z ~ p_z, y ~ p_data} [log(1 − D(G(z, y) | y))]

trained as in the DCGAN module, with binary cross-entropy l:

    train D:  min_θD  l(D(x | y), 1) + l(D(G(z, y) | y), 0)
    train G:  min_θG  l(D(G(z, y) | y), 1)          (the non-saturating G loss)

The fakes get the labels of the real batch, so y ~ p_data(y) on both sides.

How y enters:

- **G: y one-hot, concatenated to z** (Mirza & Osindero): G(z, y) = G_DCGAN([z, onehot(y)]).
  The label is just 10 more inputs of the DCGAN generator (``dcgan.Generator``, reused), so
  a *mix* of two one-hots is a valid input too: that is what label interpolation at a fixed z
  feeds it. z then carries what the label does not: the style (slant, stroke width).
- **D: a projection discriminator** (Miyato & Koyama 2018): with φ(x) the DCGAN
  discriminator's features (``dcgan.Discriminator``'s convolutions and dense layer, reused),

      logit D(x | y) = ψ(φ(x)) + ⟨e_y, φ(x)⟩,   D(x | y) = sigmoid(logit)

  ψ is the unconditional "is it a digit" head and e_y a learned vector per class. Why not
  concatenate y to D's input too? Then D must learn the image-label match from scratch
  through its first layer; the projection is the form the optimal D's log-ratio
  log p_data(x|y) / p_model(x|y) takes for a softmax-like class model, so "right digit, right
  class" is one inner product away and D punishes a 3 asked to be a 7 from the first steps.
  Miyato & Koyama measured better class fidelity than input concatenation at equal size.

Sampling uses an EMA copy of G (G_ema, as in ``dcgan``). Sizes (nz 64, ngf 48, ndf 48, a
256-unit dense layer) keep G + D + G_ema under 15 MiB in float32; the unconditional D's
1,024-unit dense layer alone has 6.4M parameters. Images are in [-1, 1] inside the model,
[0, 1] outside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import data, dcgan
from .common import Deadline, batches, device, grid, seeded, to_model, to_unit
from .family import Option
from .progress import Cadence, Record

FAMILY = "cgan"
N_CLASSES = 10
SAMPLE_OPTIONS = (Option("label", int, None, "the digit to draw, 0-9; absent: the labels cycle 0, 1, …, 9"),)
EVAL_OPTIONS = ()
CARD_EVAL: dict = {}


@dataclass
class Config:
    dataset: str = "mnist"      # mnist | fashion (both have 10 labelled classes)
    nz: int = 64                # size of z
    ngf: int = 48               # width of G
    ndf: int = 48               # width of D
    d_dense: int = 256          # units of D's dense layer: the features φ(x) the label is projected on
    steps: int = 10_000
    batch_size: int = 128
    lr: float = 2e-4
    beta1: float = 0.5
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0    # stop early after this much wall time (0 = no limit)
    ema: float = 0.999          # G_ema = running average of G's weights, used for sampling (0 = copy of G)
    init: str = ""              # continue from this checkpoint (path without extension)

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        if not (1 <= self.nz <= 512 and 4 <= self.ngf <= 256 and 4 <= self.ndf <= 256 and 8 <= self.d_dense <= 4096):
            raise ValueError("nz must be in 1..512, ngf and ndf in 4..256, d_dense in 8..4096")
        if not (1 <= self.steps <= 10_000_000 and 2 <= self.batch_size <= 4096):
            raise ValueError("steps must be in 1..10000000 and batch_size in 2..4096")
        if not (0 < self.lr <= 1 and 0 <= self.beta1 < 1 and 0 <= self.ema < 1 and self.max_seconds >= 0):
            raise ValueError("lr must be in (0, 1], beta1 and ema in [0, 1), max_seconds ≥ 0")
        return self


# -- the networks ---------------------------------------------------------------
def one_hot(y: torch.Tensor) -> torch.Tensor:
    """Labels (N,) int -> (N, 10) float; (N, 10) soft labels (rows of a label mix) pass through."""
    y = torch.as_tensor(y)
    if y.dim() == 2 and y.shape[1] == N_CLASSES:
        return y.float()
    if y.dim() != 1 or y.is_floating_point():
        raise ValueError(f"labels must be (N,) integers 0-9 or (N, 10) mixes, got shape {tuple(y.shape)}")
    return nn.functional.one_hot(y.long(), N_CLASSES).float()


class Generator(nn.Module):
    """G(z, y): the DCGAN generator fed [z, onehot(y)] (nz + 10 inputs) -> 1×28×28 in [-1, 1]."""

    def __init__(self, nz: int = 64, ngf: int = 48):
        super().__init__()
        self.nz = nz
        self.net = dcgan.Generator(nz + N_CLASSES, ngf)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, one_hot(y).to(z.device)], 1))


class Discriminator(nn.Module):
    """logit D(x | y) = ψ(φ(x)) + ⟨e_y, φ(x)⟩: the DCGAN discriminator's layers as φ and ψ, plus e."""

    def __init__(self, ndf: int = 48, dense: int = 256):
        super().__init__()
        layers = list(dcgan.Discriminator(ndf, dense).net)
        self.phi = nn.Sequential(*layers[:-1])           # convolutions, dense layer -> φ(x) ∈ R^dense
        self.psi = layers[-1]                            # Linear(dense, 1): the unconditional head
        self.embed = nn.Embedding(N_CLASSES, dense)      # e_y, the class vectors φ(x) is projected on

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.phi(x)
        return self.psi(h).view(-1) + (self.embed(y) * h).sum(1)


class CGAN(dcgan.GAN):
    """The conditional GAN's G(z, y), D(x | y) and G_ema (see ``dcgan.GAN``)."""

    Generator, Discriminator, Config = Generator, Discriminator, Config
    FAMILY = FAMILY
    TRAINED_ON = "{dataset} train (60k), with labels"


def build(cfg: Config) -> CGAN:
    """Fresh networks, weights ~ N(0, 0.02) (the DCGAN init) drawn from cfg.seed; G_ema = G."""
    cfg.validate()
    g = seeded(cfg.seed)
    model = CGAN(cfg).init_weights(g)
    nn.init.normal_(model.D.embed.weight, 0.0, 0.02, generator=g)
    return model


def weights_bytes(cfg: Config) -> int:
    """float32 bytes of G + D + G_ema (parameters and BatchNorm buffers): what the checkpoint holds."""
    model = CGAN(cfg)
    return sum(t.numel() * t.element_size() for net in model.networks().values() for t in net.state_dict().values())


# -- losses, as on the slide, from D's logits ----------------------------------------
_bce = nn.functional.binary_cross_entropy_with_logits


def d_loss_from_logits(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """l(D(x|y), 1) + l(D(G(z,y)|y), 0) = −mean log D(x|y) − mean log(1 − D(G(z,y)|y))."""
    return _bce(real, torch.ones_like(real)) + _bce(fake, torch.zeros_like(fake))


def g_loss_from_logits(fake: torch.Tensor) -> torch.Tensor:
    """l(D(G(z,y)|y), 1) = −mean log D(G(z,y)|y)."""
    return _bce(fake, torch.ones_like(fake))


def d_loss(D: Discriminator, x_real, y, x_fake) -> torch.Tensor:
    return d_loss_from_logits(D(x_real, y), D(x_fake, y))


def g_loss(D: Discriminator, x_fake, y) -> torch.Tensor:
    return g_loss_from_logits(D(x_fake, y))


# -- training ---------------------------------------------------------------------
@dataclass
class Preview:
    """The fixed-z samples of G_ema at a record: row k of ``grid`` (uint8) is digit k, column j the j-th z."""
    grid: np.ndarray


def train(cfg: Config, model: CGAN | None = None, *, seconds: float = 0.25, log_every: int = 50,
          preview_every: int = 200):
    """Yields Records: losses loss_D, loss_G; metrics D(x|y), D(G(z,y)|y); every ``preview_every``
    steps (and at the end) a :class:`Preview`.

    ``model`` continues training it (else ``cfg.init``, else fresh networks from cfg.seed); every
    record's ``model`` is that live :class:`CGAN`. Records come every ``log_every`` steps and at
    least every ``seconds``; the last has ``done=True``. Closing the generator stops training at once.
    """
    cfg.validate()
    dev = device(cfg.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True          # TF32 matmuls / convs: safe for a GAN
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    g = seeded(cfg.seed)
    if model is None:
        model = load(cfg.init) if cfg.init else build(cfg)
    arch = ("nz", "ngf", "ndf", "d_dense")
    if any(getattr(model.cfg, k) != getattr(cfg, k) for k in arch):
        raise ValueError(f"{', '.join(arch)} must match the model being continued: "
                         f"{[getattr(model.cfg, k) for k in arch]} vs {[getattr(cfg, k) for k in arch]}")
    model.cfg = cfg                                             # the card records this run's config
    G, D, G_ema = model.G.to(dev).train(), model.D.to(dev).train(), model.G_ema.to(dev).eval()
    x_train, y_train = data.load(cfg.dataset, "train")
    x_train, y_train = to_model(x_train).to(dev), y_train.long().to(dev)   # the data stays on the device
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    fixed_z, fixed_y = style_content_inputs(8, cfg.nz, seed=cfg.seed + 1)
    stream = batches(x_train, cfg.batch_size, g, y_train)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, seconds)
    for step in range(1, cfg.steps + 1):
        x_real, y = next(stream)
        z = torch.randn(cfg.batch_size, cfg.nz, generator=g).to(dev, non_blocking=True)

        x_fake = G(z, y)                                          # fakes get the real batch's labels
        loss_d = d_loss(D, x_real, y, x_fake.detach())            # (1) update D
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        loss_g = g_loss(D, x_fake, y)                             # (2) update G
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        dcgan.update_ema(G_ema, G, cfg.ema)
        model.steps += 1

        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            with torch.no_grad():
                d_x = float(torch.sigmoid(D(x_real, y)).mean())
                d_gz = float(torch.sigmoid(D(x_fake, y)).mean())
            preview = None
            if step % preview_every == 0 or last:
                preview = Preview(grid(generate(G_ema, fixed_z, fixed_y), nrow=8))
            yield Record(step, {"loss_D": loss_d.item(), "loss_G": loss_g.item()},
                         {"D(x|y)": d_x, "D(G(z,y)|y)": d_gz}, preview, done=last, model=model)
        if last:
            return


# -- sampling ---------------------------------------------------------------------
def cycle_labels(n: int) -> torch.Tensor:
    """0, 1, …, 9, 0, 1, … (n labels): the default when no digit is asked for."""
    return torch.arange(n) % N_CLASSES


def _labels(n: int, labels) -> torch.Tensor:
    if labels is None:
        return cycle_labels(n)
    y = torch.as_tensor(labels)
    if y.dim() == 0:
        if y.is_floating_point() or not 0 <= int(y) < N_CLASSES:
            raise ValueError(f"the label must be a digit 0-9, got {labels!r}")
        y = y.expand(n)
    if y.is_floating_point() or y.dim() != 1 or len(y) != n:
        raise ValueError(f"labels must be one digit or {n} digits (integers 0-9)")
    if len(y) and not (0 <= int(y.min()) and int(y.max()) < N_CLASSES):
        raise ValueError(f"digits must be in 0..9, got {int(y.min())}..{int(y.max())}")
    return y.long()


@torch.no_grad()
def generate(G: Generator, z: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Images in [0, 1], (N, 28, 28), for latent vectors z (N, nz) and labels y ((N,) or (N, 10) mixes)."""
    G.eval()
    dev = next(G.parameters()).device
    y = one_hot(y)
    return torch.cat([to_unit(G(z[i:i + batch].to(dev), y[i:i + batch].to(dev))).cpu()[:, 0]
                      for i in range(0, len(z), batch)])


def sample(model: CGAN, n: int, *, seed: int, label=None) -> torch.Tensor:
    """n images (n, 1, 28, 28) in [0, 1] from G_ema; ``label``: one digit, n digits, or None (0..9 cycling).

    z is drawn on the CPU from ``seed``, so the same seed gives the same z on every device.
    """
    return generate(model.G_ema, dcgan.noise(n, model.G_ema.nz, seed), _labels(n, label))[:, None]


def style_content_inputs(n_styles: int, nz: int, *, seed: int, digits=range(N_CLASSES)):
    """(z, y) for a grid with one row per digit and one column per z: row r repeats the same n_styles z."""
    digits = list(digits)
    z = dcgan.noise(n_styles, nz, seed)
    return z.repeat(len(digits), 1), torch.tensor(digits).repeat_interleave(n_styles)


def style_content_grid(model: CGAN, n_styles: int = 8, *, seed: int, digits=range(N_CLASSES)) -> torch.Tensor:
    """(len(digits), n_styles, 28, 28): the label sets the content (row), z the style (column)."""
    digits = list(digits)
    _labels(len(digits), digits)
    z, y = style_content_inputs(n_styles, model.G_ema.nz, seed=seed, digits=digits)
    return generate(model.G_ema, z, y).view(len(digits), n_styles, 28, 28)


def label_interpolation(model: CGAN, a: int, b: int, n: int = 8, *, seed: int, z_index: int = 0) -> torch.Tensor:
    """(n, 28, 28): G_ema(z, (1 − t)·onehot(a) + t·onehot(b)) for t from 0 to 1, one fixed z
    (the z_index-th z of ``seed``, as in :func:`sample`)."""
    _labels(2, [a, b])
    if not 2 <= n <= 256:
        raise ValueError(f"n must be in 2..256, got {n}")
    z = dcgan.noise(z_index + 1, model.G_ema.nz, seed)[z_index:].expand(n, -1)
    t = torch.linspace(0, 1, n)[:, None]
    y = (1 - t) * one_hot(torch.tensor([a])) + t * one_hot(torch.tensor([b]))
    return generate(model.G_ema, z, y)


# -- evaluation ---------------------------------------------------------------------
@torch.no_grad()
def class_accuracy(x: torch.Tensor, y: torch.Tensor, net) -> list[float]:
    """Per class k: the fraction of the samples asked to be k that the classifier calls k."""
    dev = next(net.parameters()).device
    pred = torch.cat([net.eval()(x[i:i + 2000, None].to(dev)).argmax(1).cpu() for i in range(0, len(x), 2000)])
    return [float((pred[y == k] == k).float().mean()) if (y == k).any() else float("nan") for k in range(N_CLASSES)]


def evaluate(model: CGAN, *, n: int | None = None, seed: int = 0) -> dict:
    """Class fidelity and sample quality of G_ema, labels cycling 0..9 (n / 10 samples per digit).

    class_accuracy[k]: fraction of samples asked to be k classified as k (the dataset's classifier);
    fld: all samples vs the first n test images (fld_floor: test vs train, same size);
    class_fld[k]: digit-k samples vs the test images of class k (class_fld_floor[k]: vs train class k);
    plus the family-wide image metrics (KID, classifier IS, class histogram).
    """
    from .metrics import fld, image_metrics, load_classifier

    n = n or 10_000
    if not 100 <= n <= 1_000_000:
        raise ValueError(f"n must be in 100..1000000 (at least 10 samples per digit for its FLD), got {n}")
    task = model.cfg.dataset
    net = load_classifier(task)
    net = net.to(device("auto"))
    model.to(device("auto"))
    y = cycle_labels(n)
    fake = sample(model, n, seed=seed, label=y)[:, 0]
    x_test, y_test = data.load(task, "test")
    x_train, y_train = data.load(task, "train")
    out = image_metrics(fake, x_test, x_train, task=task, net=net)
    acc = class_accuracy(fake, y, net)
    out["class_accuracy"] = acc
    out["min_class_accuracy"] = min(acc)
    out["accuracy"] = sum(acc) / len(acc)
    out["class_fld"] = [fld(x_test[y_test == k], fake[y == k], net) for k in range(N_CLASSES)]
    out["class_fld_floor"] = [fld(x_test[y_test == k], x_train[y_train == k][:int((y_test == k).sum())], net)
                              for k in range(N_CLASSES)]
    return out


# -- checkpoints -----------------------------------------------------------------------
def save(model: CGAN, path, metrics: dict, *, command: str = "", seconds=None) -> dict:
    """Weights of G, D and G_ema + a card. ``card['steps']``: this run's steps; ``steps_total``: all runs'."""
    return model.save_checkpoint(path, metrics, command=command, seconds=seconds)


def load(path) -> CGAN:
    """The model on the CPU, in eval mode, ``model.card`` set."""
    return CGAN.from_checkpoint(path)


# -- what the DCGAN tab's "choose the digit" section shows: uint8 pictures and the card's numbers ---------
def style_content_strips(model: CGAN, n_styles: int = 8, *, seed: int, scale: int = 2) -> list[np.ndarray]:
    """One picture per digit 0-9: G_ema(z_j, y = k) for the n_styles z_j of ``seed`` (the same z
    in every strip, so column j is one style across the digits)."""
    if not 1 <= n_styles <= 16:
        raise ValueError(f"the number of styles must be in 1..16, got {n_styles}")
    rows = style_content_grid(model, n_styles, seed=seed)
    return [grid(row, nrow=n_styles, pad=2, scale=scale) for row in rows]


def label_interpolation_strip(model: CGAN, a: int, b: int, n: int = 8, *, seed: int, z_index: int = 0,
                              scale: int = 2) -> np.ndarray:
    """:func:`label_interpolation` as one picture: the label mixed from digit a (left) to b (right)."""
    return grid(label_interpolation(model, a, b, n, seed=seed, z_index=z_index), nrow=n, pad=2, scale=scale)


def label_arithmetic(model: CGAN, a: int, b: int, c: int, digit: int, *, seed: int, n_styles: int = 8,
                     scale: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Arithmetic on the style with the label held fixed. z_a, z_b, z_c are columns a, b, c of the
    style grid of ``seed``; returns (G(z_a, k), G(z_b, k), G(z_c, k), G(z_a − z_b + z_c, k) for
    k = ``digit``, in a row; G(z_a − z_b + z_c, y) for every digit y = 0…9, in a row)."""
    for name, j in (("a", a), ("b", b), ("c", c)):
        if not 0 <= j < n_styles:
            raise ValueError(f"column {name} must be in 0..{n_styles - 1}, got {j}")
    _labels(1, digit)
    z = dcgan.noise(n_styles, model.G_ema.nz, seed)
    z_new = dcgan.arithmetic(z[a:a + 1], z[b:b + 1], z[c:c + 1])
    four = generate(model.G_ema, torch.stack([z[a], z[b], z[c], z_new]), torch.full((4,), int(digit)))
    every = generate(model.G_ema, z_new.expand(N_CLASSES, -1), torch.arange(N_CLASSES))
    return grid(four, nrow=4, pad=2, scale=scale), grid(every, nrow=N_CLASSES, pad=2, scale=2)


def card_scores(card: dict) -> tuple[dict, list[dict]]:
    """The card's measured quality: ({fld, fld_floor, accuracy, min_class_accuracy, eval_samples},
    one {digit, accuracy, fld, fld_floor} per digit); values None where the card lacks them."""
    m = card.get("metrics", {})
    overall = {k: m.get(k) for k in ("fld", "fld_floor", "accuracy", "min_class_accuracy", "eval_samples")}
    per = [{"digit": k,
            "accuracy": (m.get("class_accuracy") or [None] * N_CLASSES)[k],
            "fld": (m.get("class_fld") or [None] * N_CLASSES)[k],
            "fld_floor": (m.get("class_fld_floor") or [None] * N_CLASSES)[k]} for k in range(N_CLASSES)]
    return overall, per
