"""PixelCNN on binarized MNIST: an explicit, exact likelihood (van den Oord et al. 2016; seed decks 002, 003).

A fully visible belief network writes the likelihood of an image x with the chain rule, one
pixel at a time, in a fixed ordering of the n = 28 · 28 = 784 pixels:

    p_θ(x) = ∏_{i=1}^{n} p_θ(x_i | x_1, …, x_{i−1})

The ordering is the raster scan: row by row from the top, left to right within a row,

    x_1 = (0, 0), x_2 = (0, 1), …, x_28 = (0, 27), x_29 = (1, 0), …, x_784 = (27, 27);
    pixel (r, c) is x_k with k = 28·r + c + 1, and x_<k are the rows above plus the pixels to its left.

Every pixel is binary (binarized MNIST), so each factor is a Bernoulli whose mean is
σ(logit_θ(x_<k)), and the likelihood is exact, not a bound (the VAE's −ELBO is a bound):

    −log p_θ(x) = −Σ_k [x_k log σ(ℓ_k) + (1 − x_k) log(1 − σ(ℓ_k))]     nats per image
    bits/dim    = −log p_θ(x) / (784 · ln 2)

A convolutional network computes all 784 logits ℓ_k in one pass over x, provided the output at
pixel k never sees x_k, x_{k+1}, …: its convolutions are *masked*.

- **Mask A** (first layer) zeroes the kernel's centre and everything after it in the ordering:
  output k sees only x_<k.  **Mask B** (every later layer) keeps the centre: a feature at k may
  use the features at k, which themselves saw only x_<k.

The plain stack (a mask-A conv, then mask-B convs) has a **blind spot**. A mask-B kernel reaches
up-right only by also going up a row, and on the current row only to the left, so the field grows
as a cone that leans left: with a 7×7 mask-A layer and 3×3 mask-B layers the output at (r, c)
never sees (r − 1, c + 4), however many layers are stacked, though that pixel comes earlier in
the ordering. ``receptive_field`` draws it.

The **gated PixelCNN** removes it with two stacks:

- the *vertical stack* sees whole rows above the current one (a k-wide window on each of them,
  growing by k//2 columns per layer, so no corner is left out);
- the *horizontal stack* sees the pixels to the left on the current row, and at every layer adds
  the vertical stack's features of the same position (which saw only rows above: no leak).

Each layer is gated, y = tanh(W_f ∗ h) ⊙ σ(W_g ∗ h), with a residual connection on the horizontal
stack. Here both stacks are written as *shifted* convolutions (pad above / left, crop), the same
masks without computing the zeroed half of each kernel.

Sampling runs the chain rule forwards: for k = 1…784, x_k ~ Bernoulli(σ(ℓ_k(x_<k))). The vertical
stack at row r depends only on rows < r, so its row r is computed once, when row r is reached;
each pixel then needs only one column of the horizontal stack per layer, the earlier columns of
its row being cached too (``benchmarks/pixelcnn.py`` measures what the cache saves).
Completion is the same loop started after the known pixels: the chain rule conditions directly
only on a *prefix* of the ordering (the rows above), not on an arbitrary set of pixels.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import arrival, checkpoints, data
from . import data as _data                # ``evaluate`` has an argument named data
from .common import Deadline, cosine, batches, device, device_description, init_default, seeded
from .family import Option
from .progress import Cadence, Record

FAMILY = "pixelcnn"
H = W = 28
D = H * W                                  # pixels per image (dimensions of x)

@dataclass
class Config:
    arch: str = "gated"          # "gated" (vertical + horizontal stacks) or "plain" (masked convs, blind spot)
    channels: int = 64           # feature maps per layer (per stack)
    layers: int = 10             # layers after the first
    kernel: int = 3              # kernel size of the later layers (odd)
    first_kernel: int = 7        # kernel size of the first (mask A) layer (odd)
    head: int = 256              # hidden units of the 1×1 output head
    steps: int = 20_000
    batch_size: int = 128
    lr: float = 1e-3             # Adam
    lr_min: float = 0.05         # cosine decay to lr · lr_min over the run (steps or max_seconds)
    bf16: bool = True            # bfloat16 autocast for training on CUDA (never on the CPU)
    eval_images: int = 1000      # fixed test images for the test NLL shown during training
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0     # wall-time cap on training (0 = none)

    def validate(self) -> "Config":
        if self.arch not in ("gated", "plain"):
            raise ValueError(f"arch must be 'gated' or 'plain', got '{self.arch}'")
        if not (1 <= self.channels <= 512 and 0 <= self.layers <= 64 and 1 <= self.head <= 4096):
            raise ValueError("channels must be in 1..512, layers in 0..64, head in 1..4096")
        for name in ("kernel", "first_kernel"):
            k = getattr(self, name)
            if not (3 <= k <= 15 and k % 2 == 1):
                raise ValueError(f"{name} must be odd and in 3..15, got {k}")
        if not (1 <= self.steps <= 10_000_000 and 1 <= self.batch_size <= 4096 and 1 <= self.eval_images <= 10_000):
            raise ValueError("steps must be ≥ 1, batch_size in 1..4096, eval_images in 1..10000")
        if not (0 < self.lr <= 1 and 0 <= self.lr_min <= 1 and self.max_seconds >= 0):
            raise ValueError("lr must be in (0, 1], lr_min in [0, 1], max_seconds ≥ 0")
        return self


# -- the plain PixelCNN: masked convolutions ---------------------------------------------------
class MaskedConv2d(nn.Conv2d):
    """A k×k convolution whose kernel is zero at and after its centre in the raster ordering
    (mask 'A'), or only after its centre (mask 'B')."""

    def __init__(self, mask: str, c_in: int, c_out: int, k: int):
        super().__init__(c_in, c_out, k, padding=k // 2)
        m = torch.ones(k, k)
        m[k // 2, k // 2 + (mask == "B"):] = 0     # the centre row: the centre (A) and what follows it
        m[k // 2 + 1:] = 0                          # every row below the centre
        self.register_buffer("mask", m[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PlainPixelCNN(nn.Module):
    """Mask-A conv, then ``layers`` residual mask-B convs (ReLU), then a 1×1 head: one logit per pixel."""

    def __init__(self, cfg: Config):
        super().__init__()
        C = cfg.channels
        self.first = MaskedConv2d("A", 1, C, cfg.first_kernel)
        self.convs = nn.ModuleList(MaskedConv2d("B", C, C, cfg.kernel) for _ in range(cfg.layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(C, cfg.head, 1), nn.ReLU(), nn.Conv2d(cfg.head, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, 28, 28) of 0/1 -> logits ℓ (N, 28, 28) of p(x_k = 1 | x_<k)."""
        h = self.first(x.unsqueeze(1))
        for conv in self.convs:
            h = h + conv(F.relu(h))
        return self.head(h)[:, 0]


# -- the gated PixelCNN: vertical and horizontal stacks ----------------------------------------
def gate(a: torch.Tensor) -> torch.Tensor:
    """y = tanh(f) ⊙ σ(g), f and g the two halves of the channels."""
    f, g = a.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


class VerticalConv(nn.Conv2d):
    """Sees a k-wide window on the rows above: rows r − k//2 … r − 1 (first layer, like mask A),
    or r − k//2 … r (later layers, whose input at row r already saw only rows < r)."""

    def __init__(self, c_in: int, c_out: int, k: int, first: bool):
        rows = k // 2 if first else k // 2 + 1
        super().__init__(c_in, c_out, (rows, k))
        self.first = first
        self.pad = (k // 2, k // 2, k // 2, 0)   # left, right, top, bottom

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # first layer: pad k//2 rows on top and drop the last output row = shift down by one
        y = super().forward(F.pad(x, self.pad))
        return y[:, :, :-1] if self.first else y


class HorizontalConv(nn.Conv2d):
    """Sees the current row to the left: columns c − k//2 … c − 1 (first layer) or c − k//2 … c."""

    def __init__(self, c_in: int, c_out: int, k: int, first: bool):
        cols = k // 2 if first else k // 2 + 1
        super().__init__(c_in, c_out, (1, cols))
        self.first = first
        self.pad = (k // 2, 0, 0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(F.pad(x, self.pad))
        return y[:, :, :, :-1] if self.first else y


class GatedLayer(nn.Module):
    """One gated layer (van den Oord et al. 2016, fig. 2): v' = gate(V ∗ v);
    h' = h + 1×1(gate(Hz ∗ h + 1×1(V ∗ v))). The first layer takes the image for both stacks
    and has no residual (its input has one channel)."""

    def __init__(self, c_in: int, C: int, k: int, first: bool):
        super().__init__()
        self.first = first
        self.v = VerticalConv(c_in, 2 * C, k, first)
        self.v_to_h = nn.Conv2d(2 * C, 2 * C, 1)
        self.h = HorizontalConv(c_in, 2 * C, k, first)
        self.h_out = nn.Conv2d(C, C, 1)

    def vertical(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(next vertical features, their contribution to the horizontal stack)."""
        a = self.v(v)
        return gate(a), self.v_to_h(a)

    def horizontal(self, h: torch.Tensor, from_v: torch.Tensor) -> torch.Tensor:
        y = self.h_out(gate(self.h(h) + from_v))
        return y if self.first else h + y


class GatedPixelCNN(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        C = cfg.channels
        self.layers = nn.ModuleList(
            [GatedLayer(1, C, cfg.first_kernel, first=True)]
            + [GatedLayer(C, C, cfg.kernel, first=False) for _ in range(cfg.layers)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(C, cfg.head, 1), nn.ReLU(), nn.Conv2d(cfg.head, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, 28, 28) of 0/1 -> logits ℓ (N, 28, 28) of p(x_k = 1 | x_<k)."""
        v = h = x.unsqueeze(1)
        for layer in self.layers:
            v, from_v = layer.vertical(v)
            h = layer.horizontal(h, from_v)
        return self.head(h)[:, 0]

    def reach(self) -> int:
        """How far the output at (r, c) reaches up (rows above r) and left (columns before c):
        k//2 per layer (the first layer's kernel counts with its own size)."""
        return sum(layer.v.kernel_size[1] // 2 for layer in self.layers)

    # Sampling cache. The vertical stack at row r depends only on rows < r: row r of every
    # layer's vertical features is computed once, when row r is reached, from the rows just
    # above it (already in the cache). The horizontal stack at (r, c) depends only on row r
    # left of c: each layer's output at (r, c) is computed once, from that layer's input at the
    # few columns its kernel reads, and kept for the pixels to its right.
    def start_cache(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        """Per layer [vertical features, their contribution to the horizontal stack, the horizontal
        stack's output on the current row] for x (N, 28, 28); the vertical entries are correct
        for the rows whose rows above are final in x, later rows are refreshed by update_cache."""
        v, cache = x.unsqueeze(1), []
        for layer in self.layers:
            v, from_v = layer.vertical(v)
            h_row = torch.zeros(len(x), layer.h_out.out_channels, 1, W, dtype=v.dtype, device=v.device)
            cache.append([v, from_v, h_row])
        return cache

    def update_cache(self, cache: list[list[torch.Tensor]], x: torch.Tensor, r: int) -> None:
        """Recompute row r of every layer's vertical features (rows < r of x are final)."""
        v_in = x.unsqueeze(1)
        for layer, entry in zip(self.layers, cache):
            rows = layer.v.kernel_size[0] - (0 if layer.first else 1)     # rows above r it reads
            top = max(0, r - rows)
            v, from_v = layer.vertical(v_in[:, :, top:r + 1])
            entry[0][:, :, r] = v[:, :, -1]
            entry[1][:, :, r] = from_v[:, :, -1]
            v_in = entry[0]

    def pixel_logit(self, x: torch.Tensor, cache: list[list[torch.Tensor]], r: int, c: int) -> torch.Tensor:
        """The logit at (r, c), (N,). Call it for c = 0, 1, … 27 in turn after update_cache(…, r):
        it stores each layer's horizontal output at (r, c) for the columns to its right."""
        h_in = x[:, None, r:r + 1]
        for layer, (_, from_v, h_row) in zip(self.layers, cache):
            left = max(0, c - layer.h.kernel_size[1] + (0 if layer.first else 1))   # columns it reads
            y = layer.horizontal(h_in[:, :, :, left:c + 1], from_v[:, :, r:r + 1, left:c + 1])
            h_row[:, :, :, c] = y[:, :, :, -1]
            h_in = h_row
        return self.head(h_in[:, :, :, c:c + 1])[:, 0, 0, 0]


def build(cfg: Config, g: torch.Generator | None = None) -> nn.Module:
    """The Model of ``cfg``: the network itself (GatedPixelCNN or PlainPixelCNN, PyTorch's default
    init drawn from ``g``, else from cfg.seed), with ``.cfg`` and ``.steps`` (0)."""
    cfg.validate()
    model = GatedPixelCNN(cfg) if cfg.arch == "gated" else PlainPixelCNN(cfg)
    init_default(model, g if g is not None else seeded(cfg.seed))
    model.cfg, model.steps = cfg, 0
    return model


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


# -- the likelihood ----------------------------------------------------------------------------
def nll_per_image(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p(x) = −Σ_k log Bernoulli(x_k; σ(ℓ_k)), nats, one value per image."""
    return F.binary_cross_entropy_with_logits(logits.float(), x, reduction="none").flatten(1).sum(1)


@torch.no_grad()
def nll(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Exact −log p_θ(x) in nats for each binary image of x (N, 28, 28): one network pass each."""
    x = check_binary(x)
    was_training = model.training
    model.eval()
    dev = _device_of(model)
    out = [nll_per_image(model(xb.to(dev)), xb.to(dev)).cpu() for xb in x.split(batch)]
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0)


def bits_per_dim(nats_per_image: float) -> float:
    return nats_per_image / (D * math.log(2))


def check_binary(x) -> torch.Tensor:
    """x as a float tensor (N, 28, 28) of 0/1; a clear ValueError otherwise."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3 or tuple(x.shape[1:]) != (H, W):
        raise ValueError(f"images must have shape (N, 28, 28), got {tuple(x.shape)}")
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError("a Bernoulli likelihood needs binary images: every pixel must be 0 or 1 "
                         "(binarize first, e.g. x > 0.5)")
    return x


# -- training ----------------------------------------------------------------------------------
@dataclass
class Preview:
    """What a training record shows besides its numbers: on evaluation records, how many fixed
    binarized test images the test NLL was computed on (0 on the others)."""
    test_images: int = 0


def train(cfg: Config, model: nn.Module | None = None, *, seconds: float = 0.25, log_every: int = 50,
          eval_every: int = 500):
    """Maximum likelihood on dynamically binarized MNIST (a fresh Bernoulli draw of every grey
    level each time an image is used). Yields Records with ``loss`` = the batch's mean −log p_θ(x)
    (nats per image) every ``log_every`` steps and at least every ``seconds`` of wall time, the test
    NLL on ``cfg.eval_images`` fixed binarized test images every ``eval_every`` steps and at the end;
    every Record's ``model`` is the live Model (``model.steps`` counts its optimizer steps). Closing
    the generator stops at once; ``model`` continues training it."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    model = model if model is not None else build(cfg, g)
    model.to(dev).train()
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    x_train = data.load("mnist", "train")[0].to(dev)          # grey levels, binarized per batch
    x_test = data.binarized_mnist_test()[0][:cfg.eval_images]
    g_bin = seeded(cfg.seed + 1, dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, seconds)
    autocast = cfg.bf16 and dev.type == "cuda"
    for step in range(1, cfg.steps + 1):
        for group in opt.param_groups:   # cosine decay from lr to lr · lr_min over the budget used
            group["lr"] = cfg.lr * (cfg.lr_min + (1 - cfg.lr_min) * cosine(deadline.used(step, cfg.steps)))
        x = data.binarize(next(stream), g_bin)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast):
            logits = model(x)
        loss = nll_per_image(logits, x).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        model.steps += 1
        last = step == cfg.steps or deadline.passed()
        evaluated = step % eval_every == 0 or last
        if log.due(step) or evaluated:
            metrics = {"bits_per_dim": bits_per_dim(loss.item())}
            if evaluated:
                test = float(nll(model, x_test).mean())
                metrics.update(test_nll=test, test_bits_per_dim=bits_per_dim(test))
            yield Record(step, {"loss": loss.item()}, metrics, Preview(len(x_test) if evaluated else 0),
                         done=last, model=model)
        if last:
            return


# -- sampling: the chain rule run forwards -----------------------------------------------------
@dataclass
class SampleStep:
    """The state after pixel ``k`` (0-based raster index) was drawn: the images so far (N, 28, 28;
    pixels after k are 0 or the given ones) and p (N, 28, 28): p(x_i = 1 | x_<i) for every pixel
    drawn so far (NaN where nothing was drawn: known pixels and those not reached yet)."""
    k: int
    x: torch.Tensor
    p: torch.Tensor

    @property
    def row(self) -> int:
        return self.k // W

    @property
    def col(self) -> int:
        return self.k % W


@torch.inference_mode()          # no autograd bookkeeping at all: 784 small steps, each op counts
def sample_steps(model: nn.Module, n: int, *, seed: int, x: torch.Tensor | None = None, known_rows: int = 0,
                 every: int = 1):
    """Draw x_k ~ Bernoulli(σ(ℓ_k(x_<k))) for k in raster order, from row ``known_rows`` on
    (earlier rows are taken from ``x``), yielding a SampleStep every ``every`` pixels and after the
    last one. The uniforms are drawn up front from ``seed``: the same seed, the same images."""
    if not 0 <= known_rows <= H:
        raise ValueError(f"known_rows must be in 0..28, got {known_rows}")
    model.eval()
    dev = _device_of(model)
    u = torch.rand(n, H, W, generator=seeded(seed))
    images = torch.zeros(n, H, W) if x is None else check_binary(x).clone()
    if len(images) != n:
        raise ValueError(f"x holds {len(images)} images, n is {n}")
    images[:, known_rows:] = 0
    p = torch.full((n, H, W), float("nan"))
    xd, ud = images.to(dev), u.to(dev)
    gated = isinstance(model, GatedPixelCNN)
    cache = model.start_cache(xd) if gated else None
    for r in range(known_rows, H):
        if gated:
            model.update_cache(cache, xd, r)
        for c in range(W):
            logit = model.pixel_logit(xd, cache, r, c) if gated else _plain_logit(model, xd, r, c)
            prob = torch.sigmoid(logit.float())
            xd[:, r, c] = (ud[:, r, c] < prob).float()
            p[:, r, c] = prob.cpu()
            k = r * W + c
            if (k + 1) % every == 0 or k == D - 1:
                yield SampleStep(k, xd.cpu().clone(), p.clone())
    if known_rows == H:
        yield SampleStep(D - 1, xd.cpu().clone(), p)


def _plain_logit(model: PlainPixelCNN, x: torch.Tensor, r: int, c: int) -> torch.Tensor:
    """The plain stack has no row cache: one pass over the rows and columns that can reach (r, c)."""
    reach = model.first.kernel_size[0] // 2 + sum(conv.kernel_size[0] // 2 for conv in model.convs)
    top, left, right = max(0, r - reach), max(0, c - reach), min(W, c + reach + 1)
    return model(x[:, top:r + 1, left:right])[:, -1, c - left]     # rows below r never reach it


SAMPLE_OPTIONS: tuple[Option, ...] = ()


def sample(model: nn.Module, n: int, *, seed: int = 0) -> torch.Tensor:
    """n images (n, 1, 28, 28) of 0/1 from p_θ(x), pixel by pixel (the same seed, the same images)."""
    if not 1 <= n <= 100_000:
        raise ValueError(f"n must be in 1..100000, got {n}")
    for s in sample_steps(model, n, seed=seed, every=D):
        pass
    return s.x[:, None]


def complete(model: nn.Module, x, known_rows: int, n: int = 1, *, seed: int = 0) -> torch.Tensor:
    """Keep rows < known_rows of each image of x (N, 28, 28) and sample rows ≥ known_rows from
    p_θ(rows below | rows above), n times per image: (N·n, 28, 28) of 0/1, image i's completions at
    rows i·n … i·n + n − 1. x in [0, 1] is binarized at ½ (binary images pass unchanged): this is
    the ``complete`` verb of the command line."""
    if not 0 <= known_rows <= H:
        raise ValueError(f"known_rows must be in 0..28, got {known_rows}")
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3 or tuple(x.shape[1:]) != (H, W) or len(x) == 0:
        raise ValueError(f"images must have shape (N, 28, 28), got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()) or x.min() < 0 or x.max() > 1:
        raise ValueError(f"pixels must be in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    x = (x > 0.5).float()
    if not 1 <= n <= 10_000:
        raise ValueError(f"n must be in 1..10000, got {n}")
    for s in sample_steps(model, len(x) * n, seed=seed, x=x.repeat_interleave(n, 0), known_rows=known_rows, every=D):
        pass
    return s.x


# -- which pixels the output at (i, j) may depend on -------------------------------------------
def receptive_field(model_or_cfg, i: int, j: int) -> torch.Tensor:
    """A (28, 28) bool map: True where the logit at (i, j) depends on the input pixel, computed
    through the network by a gradient. The network is a copy in float64 with every weight set to
    1 / fan-in and every bias to 0, fed x = ½ everywhere, so every allowed path carries a
    positive gradient and nothing can cancel (with trained weights a path could happen to be
    zero); a masked connection carries none, whatever the weights."""
    if not (0 <= i < H and 0 <= j < W):
        raise ValueError(f"pixel (i, j) must be inside 28×28, got ({i}, {j})")
    net = build(model_or_cfg) if isinstance(model_or_cfg, Config) else copy.deepcopy(model_or_cfg)
    net = net.double().cpu().eval()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.fill_(0.0 if name.endswith("bias") else 1.0 / (p[0].numel()))
    x = torch.full((1, H, W), 0.5, dtype=torch.float64, requires_grad=True)
    net(x)[0, i, j].backward()
    return x.grad[0] != 0


def ordering_before(i: int, j: int) -> torch.Tensor:
    """(28, 28) bool: the pixels before (i, j) in the raster ordering, x_<k."""
    k = torch.arange(D).reshape(H, W)
    return k < i * W + j


# -- checkpoints and evaluation ----------------------------------------------------------------
def save(model: nn.Module, path, metrics: dict, *, command: str = "", seconds=None) -> dict:
    """Weights (tensor keys ``pixelcnn.*``) and card of ``model``."""
    cfg = model.cfg
    card = checkpoints.card(FAMILY, cfg, "MNIST train (60k), dynamically binarized", model.steps,
                            device_description(_device_of(model)), metrics, command, seconds,
                            kind=f"{cfg.arch} PixelCNN", parameters=sum(p.numel() for p in model.parameters()),
                            test_set=f"MNIST test, binarized once with seed {data.BINARIZE_TEST_SEED}")
    return checkpoints.save(path, {"pixelcnn": model}, card)


def load(path) -> nn.Module:
    """The Model of a checkpoint (on the CPU, eval mode), with ``.cfg``, ``.steps`` and ``.card``."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    model = build(Config(**card["config"]))
    model.load_state_dict(checkpoints.unflatten(tensors, "pixelcnn"))
    model.steps = int(card.get("steps", 0))
    model.card = card
    return model.eval()


EVAL_OPTIONS: tuple[Option, ...] = (
    Option("data", str, None, "a .npy of binary images (N, 28, 28) to score instead of the fixed binarized test set"),)
# After `train`, the card gets the test NLL on the first 1,000 fixed binarized test images (a CPU
# computes it in seconds); `eval CHECKPOINT` replaces it with all 10,000 (the shipped card's figure).
CARD_EVAL: dict = {"n": 1000}


def evaluate(model: nn.Module, *, n: int | None = None, seed: int = 0, data=None) -> dict:
    """Exact NLL −log p_θ(x) (nats per image, its mean as ``test_nll``) and bits/dim on the first
    n (default all 10,000) images of the fixed binarized MNIST test set, or on ``data``: binary
    images (N, 28, 28), as an array or the path of a .npy. NLL is deterministic: ``seed`` is unused."""
    if data is None:
        x = _data.binarized_mnist_test()[0]
    else:
        x = check_binary(load_npy_images(data) if isinstance(data, (str, Path)) else data)
    if n is not None:
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        x = x[:n]
    if len(x) == 0:
        raise ValueError("no images to evaluate on")
    was = _device_of(model)
    v = nll(model.to(device("auto")), x)
    model.to(was)
    return {"test_nll": float(v.mean()), "bits_per_dim": bits_per_dim(float(v.mean())),
            "test_nll_std": float(v.std()) if len(v) > 1 else 0.0, "test_images": len(x)}


def load_npy_images(path) -> torch.Tensor:
    """A .npy of images (N, 28, 28) or (28, 28); a clear ValueError otherwise (never a traceback)."""
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read {path} as a .npy array ({e})") from None
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1:] != (H, W) or len(a) == 0:
        raise ValueError(f"{path} must hold images of shape (N, 28, 28), got {a.shape}")
    if not np.issubdtype(a.dtype, np.number) or not np.isfinite(a).all():
        raise ValueError(f"{path} must hold finite numbers")
    return torch.from_numpy(a.astype(np.float32))


# -- what the tab shows: plain functions returning numpy images, numbers and dataclasses --------
# Colours of the receptive-field pictures (RGB).
FIELD_COLOURS = {
    "pixel": (220, 38, 38),        # the pixel x_k whose probability is computed (red)
    "field": (37, 99, 235),        # earlier pixels its logit depends on (blue)
    "blind": (249, 115, 22),       # earlier pixels within reach that it never sees: the blind spot (orange)
    "before": (203, 213, 225),     # earlier pixels out of the kernels' reach (light grey)
    "after": (255, 255, 255),      # x_k itself and later pixels: masked out (white)
}
PANEL_SCALE = 12                   # screen pixels per image pixel in the pictures where one clicks a pixel
# Anchors of the heat-map's colour scale (viridis): p = 0 dark purple … p = 1 yellow.
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float32)
UNDRAWN = (235, 235, 235)          # heat-map colour of pixels not drawn (given, or not reached yet)


def heat_colours(p: np.ndarray) -> np.ndarray:
    """p in [0, 1] (any shape, NaN = not drawn) -> uint8 RGB (…, 3) on the viridis scale."""
    p = np.asarray(p, dtype=np.float32)
    t = np.clip(np.nan_to_num(p, nan=0.0), 0, 1) * (len(_VIRIDIS) - 1)
    lo = np.minimum(t.astype(int), len(_VIRIDIS) - 2)
    f = (t - lo)[..., None]
    rgb = _VIRIDIS[lo] * (1 - f) + _VIRIDIS[lo + 1] * f
    rgb[np.isnan(p)] = UNDRAWN
    return rgb.round().astype(np.uint8)


def heat_scale(width: int = 280, height: int = 14) -> np.ndarray:
    """The heat-map's colour bar: p = 0 on the left … p = 1 on the right, uint8 (height, width, 3)."""
    return np.repeat(heat_colours(np.linspace(0, 1, width))[None], height, axis=0)


def _tile(images: np.ndarray, nrow: int, pad: int, scale: int, value: int = 255) -> np.ndarray:
    """(N, 28, 28, 3) uint8 -> one grid image, pixels × scale (RGB version of common.grid)."""
    n = len(images)
    rows = (n + nrow - 1) // nrow
    out = np.full((rows * (H + pad) + pad, nrow * (W + pad) + pad, 3), value, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, nrow)
        out[pad + r * (H + pad): pad + r * (H + pad) + H, pad + c * (W + pad): pad + c * (W + pad) + W] = im
    return out.repeat(scale, 0).repeat(scale, 1)


def _grey_rgb(x) -> np.ndarray:
    """(N, 28, 28) in [0, 1] -> (N, 28, 28, 3) uint8, ink white on black as MNIST."""
    a = (np.clip(np.asarray(x, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)
    return np.repeat(a[..., None], 3, axis=-1)


@dataclass
class ChainFrame:
    """One frame of pixel-by-pixel sampling: the state after pixel x_k was drawn in every image.

    ``images``: the images so far (drawn pixels white/black, pixels not reached yet dark blue-grey,
    the next pixel x_{k+1} red); ``heat``: p_θ(x_i = 1 | x_<i) of every pixel drawn so far on the
    viridis scale (light grey: not drawn yet); ``p_last``: that probability for pixel x_k in each
    image; ``seconds``: wall time since sampling started."""
    k: int
    row: int
    col: int
    images: np.ndarray
    heat: np.ndarray
    p_last: np.ndarray
    seconds: float
    done: bool


NOT_REACHED = (51, 65, 85)         # pixels the sampler has not reached yet (slate)


def chain_frames(model: nn.Module, n: int = 16, *, seed: int = 0, every: int = 56, nrow: int = 4,
                 scale: int = 3):
    """Sample n images pixel by pixel (``sample_steps``), yielding a ChainFrame every ``every``
    pixels and after the last: the chain rule p(x) = ∏ p(x_k | x_<k) run forwards, watched."""
    import time
    if not 1 <= n <= 64:
        raise ValueError(f"n must be in 1..64, got {n}")
    if not 1 <= every <= D:
        raise ValueError(f"every must be in 1..784, got {every}")
    t0 = time.perf_counter()
    for s in sample_steps(model, n, seed=seed, every=every):
        drawn = ordering_before(s.row, s.col).numpy() | (np.arange(D).reshape(H, W) == s.k)
        images = _grey_rgb(s.x.numpy())
        images[:, ~drawn] = NOT_REACHED
        if s.k + 1 < D:
            images[:, (s.k + 1) // W, (s.k + 1) % W] = FIELD_COLOURS["pixel"]
        p_last = s.p[:, s.row, s.col].numpy()
        yield ChainFrame(s.k, s.row, s.col, _tile(images, nrow, 2, scale), _tile(heat_colours(s.p.numpy()), nrow, 2, scale),
                         p_last, time.perf_counter() - t0, s.k == D - 1)


def pixel_at(x: float, y: float, scale: int = PANEL_SCALE) -> tuple[int, int]:
    """The image pixel (row, column) under screen point (x, y) of a picture drawn ``scale``× (clamped)."""
    return min(H - 1, max(0, int(y // scale))), min(W - 1, max(0, int(x // scale)))


@dataclass
class FieldStats:
    """Counts of input pixels for the output at (row, col): ``before`` = k − 1 earlier pixels in the
    ordering, ``reach`` = those within the kernels' reach, ``seen`` = those the logit depends on,
    ``blind`` = reach − seen (the blind spot)."""
    row: int
    col: int
    before: int
    reach: int
    seen: int
    blind: int


def field_shape(cfg: Config, arch: str) -> Config:
    """The same stack as cfg (layers, kernels) in architecture ``arch``, with 2 channels: the
    receptive field depends only on the masks and kernel sizes, so a tiny copy computes it fast."""
    return Config(arch=arch, channels=2, layers=cfg.layers, kernel=cfg.kernel, first_kernel=cfg.first_kernel, head=2)


def reach_window(cfg: Config, i: int, j: int) -> torch.Tensor:
    """(28, 28) bool: pixels at most first_kernel//2 + layers · kernel//2 rows above and columns
    left or right of (i, j), i.e. within the kernels' reach if no mask cut a path."""
    reach = cfg.first_kernel // 2 + cfg.layers * (cfg.kernel // 2)
    rows, cols = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    return (rows >= i - reach) & (rows <= i) & ((cols - j).abs() <= reach)


def field_panel(cfg: Config, arch: str, i: int, j: int, scale: int = PANEL_SCALE) -> tuple[np.ndarray, FieldStats]:
    """The receptive field of the logit at pixel (i, j) through the masked layers of cfg's stack in
    ``arch`` ("plain" or "gated"): an RGB picture (28·scale square, FIELD_COLOURS, a grid line
    between pixels) and the counts."""
    if not (isinstance(i, int) and isinstance(j, int) and 0 <= i < H and 0 <= j < W):
        raise ValueError(f"the pixel must have row and column in 0..27, got ({i}, {j})")
    seen = receptive_field(field_shape(cfg, arch), i, j)
    before = ordering_before(i, j)
    window = reach_window(cfg, i, j) & before
    blind = window & ~seen
    img = np.empty((H, W, 3), np.uint8)
    img[:] = FIELD_COLOURS["after"]
    img[before.numpy()] = FIELD_COLOURS["before"]
    img[blind.numpy()] = FIELD_COLOURS["blind"]
    img[seen.numpy()] = FIELD_COLOURS["field"]
    img[i, j] = FIELD_COLOURS["pixel"]
    big = img.repeat(scale, 0).repeat(scale, 1)
    big[::scale] = (big[::scale] * 0.85).astype(np.uint8)          # faint lines between pixels
    big[:, ::scale] = (big[:, ::scale] * 0.85).astype(np.uint8)
    return big, FieldStats(i, j, int(before.sum()), int(window.sum()), int(seen.sum()), int(blind.sum()))


@dataclass
class Completion:
    """Completions of one image: ``given`` (the binarized input, rows ≥ R dimmed and a red line at
    row R), ``grid`` (the n completions, a red line at row R), ``nll_known`` = −log p_θ(rows < R)
    in nats (exact: the first 28·R factors of the chain rule), ``nll`` = −log p_θ(x) of each
    completion (n,), and ``original_nll`` = −log p_θ(x) of the whole input."""
    given: np.ndarray
    grid: np.ndarray
    nll_known: float
    nll: np.ndarray
    original_nll: float


def prefix_nll(model: nn.Module, x: torch.Tensor, rows: int) -> torch.Tensor:
    """−log p_θ(x_1 … x_{28·rows}) per image: the sum of the first 28·rows factors of the chain rule
    (a prefix of the ordering is exactly what an autoregressive model can score on its own)."""
    x = check_binary(x)
    if not 0 <= rows <= H:
        raise ValueError(f"rows must be in 0..28, got {rows}")
    model.eval()
    with torch.no_grad():
        logits = model(x.to(_device_of(model))).float().cpu()
    per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel[:, :rows].flatten(1).sum(1)


def _mark_row(img: np.ndarray, row: int, scale: int, pad: int = 0, nrow: int = 1, n: int = 1) -> None:
    """Draw a red line above image row ``row`` in every tile of a grid made by ``_tile``."""
    if not 0 < row < H:
        return
    for t in range(n):
        r, c = divmod(t, nrow)
        y = (pad + r * (H + pad) + row) * scale
        x0, x1 = (pad + c * (W + pad)) * scale, (pad + c * (W + pad) + W) * scale
        img[max(0, y - 1): y + 1, x0:x1] = FIELD_COLOURS["pixel"]


def completion_panel(model: nn.Module, x, known_rows: int, n: int = 8, *, seed: int = 0, nrow: int = 4,
                     scale: int = 4) -> Completion:
    """Keep rows < known_rows of one image x (28, 28) of 0/1 and sample the rest n times."""
    x = check_binary(x)
    if len(x) != 1:
        raise ValueError(f"completion_panel takes one image, got {len(x)}")
    if not 1 <= n <= 16:
        raise ValueError(f"n must be in 1..16, got {n}")
    y = complete(model, x, known_rows, n, seed=seed)
    given = _grey_rgb(x.numpy())[0].astype(np.float32)
    given[known_rows:] = given[known_rows:] * 0.25 + np.array(NOT_REACHED, np.float32) * 0.75
    given = _tile(given.round().astype(np.uint8)[None], 1, 0, 2 * scale)
    _mark_row(given, known_rows, 2 * scale)
    grid_img = _tile(_grey_rgb(y.numpy()), nrow, 2, scale)
    _mark_row(grid_img, known_rows, scale, pad=2, nrow=nrow, n=n)
    both = nll(model, torch.cat([x, y]))
    return Completion(given, grid_img, float(prefix_nll(model, x, known_rows)[0]), both[1:].numpy(), float(both[0]))


# The likelihood views. Drawings and uploads arrive as grey levels in [0, 1] (MNIST framing,
# genmodels.imaging); a Bernoulli model is a density over binary images, so they are binarized
# as the test set was: each pixel 1 with probability its grey level, one draw with a fixed seed.
INPUT_BINARIZE_SEED = 0


def binarize_input(x, seed: int = INPUT_BINARIZE_SEED) -> torch.Tensor:
    """Grey levels (28, 28) or (N, 28, 28) in [0, 1] -> 0/1, each pixel 1 with probability its grey
    level, drawn with ``seed`` (the same picture always gets the same score)."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3 or tuple(x.shape[1:]) != (H, W) or not bool(torch.isfinite(x).all()):
        raise ValueError(f"images must be finite, of shape (N, 28, 28), got {tuple(x.shape)}")
    return data.binarize(x, seeded(seed))


def simple_images() -> dict[str, torch.Tensor]:
    """Low-detail binary images that are not digits, for the likelihood's known failure: an exact
    likelihood rewards predictability, so these score likelier than most real digits."""
    blank = torch.zeros(H, W)
    bar = torch.zeros(H, W)
    bar[4:24, 13:15] = 1
    box = torch.zeros(H, W)
    box[6:22, 6:22] = 1
    return {"blank (all black)": blank, "a vertical bar": bar, "a filled square": box}


REFERENCE_SETS = ("MNIST test digits", "Fashion-MNIST", "Animal-MNIST")
IWAE_KS = (1, 10, 100)


def reference_images(n: int = 1000) -> dict[str, torch.Tensor]:
    """Binary test images per set: the fixed binarized MNIST test set, and Fashion-MNIST and
    Animal-MNIST test images (where installed) binarized the same way (``binarize_input``)."""
    sets = {REFERENCE_SETS[0]: data.binarized_mnist_test()[0][:n]}
    for name, key in ((REFERENCE_SETS[1], "fashion"), (REFERENCE_SETS[2], "animal")):
        if data.available(key):
            sets[name] = binarize_input(data.load(key, "test")[0][:n])
    return sets


def vae_bounds(vae_model, x: torch.Tensor, ks=IWAE_KS, seed: int = 0) -> dict[str, np.ndarray]:
    """A binarized VAE's upper bounds on its own −log p(x), nats per image: −ELBO and −L_k
    (importance-weighted, Burda et al.) for each k; −L_1 is −ELBO's estimate with one fresh z."""
    from . import vae
    x = check_binary(x)
    out = {"−ELBO": vae.neg_elbo(vae_model, x, seed=seed).numpy()}
    for k in ks:
        out[f"−L_{k}"] = (-vae.iwae_bound(vae_model, x, k, seed=seed)).numpy()
    return out


def reference(model: nn.Module, vae_model=None, *, n: int = 1000, n_bounds: int = 100) -> dict:
    """What the likelihood views compare against, computed once (minutes on a CPU: cache it with
    ``cached_reference``): exact NLL of ``n`` images of each reference set and of the simple
    images, and on the first ``n_bounds`` test digits the exact NLL beside the VAE's bounds."""
    out = {"nll": {name: nll(model, x).numpy().round(3).tolist() for name, x in reference_images(n).items()},
           "simple": {name: round(float(nll(model, x)[0]), 3) for name, x in simple_images().items()}}
    if vae_model is not None:
        x = data.binarized_mnist_test()[0][:n_bounds]
        rows = {"PixelCNN −log p(x)": nll(model, x).numpy(), **vae_bounds(vae_model, x)}
        out["bounds"] = {k: v.round(3).tolist() for k, v in rows.items()}
    return out


def cached_reference(model: nn.Module, vae_model, path) -> dict:
    """``reference`` read from the JSON file ``path`` when it was made from these very checkpoints
    (their sha256 on the cards), else computed and written there."""
    import json
    key = {"pixelcnn": (getattr(model, "card", None) or {}).get("sha256"),
           "vae": (getattr(vae_model, "card", None) or {}).get("sha256") if vae_model is not None else None}
    path = Path(path)
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            if stored.get("checkpoints") == key:
                return stored
        except (OSError, ValueError):
            pass
    out = {"checkpoints": key, **reference(model, vae_model)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out) + "\n")
    return out


NLL_MAX = 700.0                    # the histograms' range in nats (larger values are drawn at the edge)


def histogram_rows(values: dict[str, list[float]], lo: float = 0.0, hi: float = NLL_MAX, bins: int = 70,
                   x_name: str = "−log p(x) (nats)") -> list[dict]:
    """Long-format rows {x_name, "share", "images"} of one histogram per set (shares sum to 1)."""
    edges = np.linspace(lo, hi, bins + 1)
    rows = []
    for name, v in values.items():
        v = np.clip(np.asarray(v, dtype=np.float64), lo, hi - 1e-6)
        counts, _ = np.histogram(v, edges)
        rows += [{x_name: float(c), "share": float(k) / max(len(v), 1), "images": name}
                 for c, k in zip((edges[:-1] + edges[1:]) / 2, counts)]
    return rows


def share_below(values, v: float) -> float:
    """The share of ``values`` strictly below v (0 … 1)."""
    a = np.asarray(values, dtype=np.float64)
    return float((a < v).mean()) if len(a) else 0.0


def load_vae(path):
    """The binarized VAE of a checkpoint as a Model (``vae.load`` returned (model, card) before
    the family contract and returns the Model after it: both are accepted)."""
    from . import vae
    m = vae.load(path)
    if isinstance(m, tuple):
        m, card = m
        m.card = card
    return m


# -- train live: a small PixelCNN on the CPU -------------------------------------------------------
LIVE_CONFIG = Config(channels=24, layers=4, head=64, steps=400, batch_size=32, lr=3e-3, eval_images=200,
                     device="cpu")


@dataclass
class LiveFrame:
    """One update of a live run: the step, the batch NLL (nats per image) and the test NLL on
    ``test_images`` fixed binarized test images so far as (step, value) lists, samples from the
    live model (an image, redrawn after each test evaluation; None before the first), done."""
    step: int
    loss: list
    test_nll: list
    test_images: int
    samples: np.ndarray | None
    done: bool
    model: nn.Module


def live_run(cfg: Config, model: nn.Module | None = None, *, seconds: float = 0.25, eval_every: int = 50,
             n_samples: int = 8, sample_seed: int = 0):
    """``train`` for the tab: a LiveFrame per record, the samples redrawn from the live model with
    the same seed after each test evaluation (so the change is the model's, not the noise's)."""
    loss, test, samples = [], [], None
    for r in train(cfg, model, seconds=seconds, log_every=10, eval_every=eval_every):
        loss.append((r.step, r.losses["loss"]))
        if "test_nll" in r.metrics:
            test.append((r.step, r.metrics["test_nll"]))
            samples = _tile(_grey_rgb(sample(r.model, n_samples, seed=sample_seed)[:, 0].numpy()), n_samples, 2, 3)
            r.model.train()
        yield LiveFrame(r.step, list(loss), list(test), r.preview.test_images or cfg.eval_images, samples, r.done, r.model)


INPUT_KINDS = ("test digit", "drawing", "upload", "simple image")


def binary_input(kind: str, *, index: int = 0, grey=None, simple: str | None = None) -> np.ndarray:
    """The binary image (28, 28) float32 a likelihood view scores: test digit ``index`` of the
    fixed binarized test set (exactly as in the reference histogram), a drawing or upload as grey
    levels ``grey`` (MNIST-framed by genmodels.imaging) binarized by ``binarize_input``, or one of
    ``simple_images``. A clear ValueError for anything else."""
    if kind == "test digit":
        if not (isinstance(index, int) and 0 <= index < 10_000):
            raise ValueError(f"the test digit index must be a whole number in 0..9999, got {index!r}")
        return data.binarized_mnist_test()[0][index].numpy()
    if kind in ("drawing", "upload"):
        if grey is None:
            raise ValueError(f"no {kind} given")
        return binarize_input(grey)[0].numpy()
    if kind == "simple image":
        images = simple_images()
        if not isinstance(simple, str) or simple not in images:
            raise ValueError(f"the simple image must be one of {', '.join(images)}; got {simple!r}")
        return images[simple].numpy()
    raise ValueError(f"the input must be one of {', '.join(INPUT_KINDS)}; got {kind!r}")


# What the tab opens on: a finished sample grid, a completion and the input's scores, computed once
# (about 15 s on two busy cores) and kept on disk, so that start-up only reads a small file.
ARRIVAL = {"seed": 0, "n": 16, "index": 0, "known_rows": 14, "completions": 8, "bound_seed": 0}


def recorded_arrival(model: nn.Module, vae_model, path, **settings) -> dict:
    """The tab's default results, read from the compressed .npz ``path`` when it holds them for
    these ``settings`` (ARRIVAL's keys; the caller keys ``path`` by the checkpoints' sha256), else
    computed and written there. Returns arrays and numbers: ``chain_images``, ``chain_heat``,
    ``chain_p_last`` (the last ``chain_frames`` frame of ``n`` samples from ``seed``); ``x`` (test
    digit ``index`` of the binarized test set), ``nll_x`` (its −log p_θ(x)), ``given``, ``grid``,
    ``nll_known``, ``nll``, ``original_nll`` (``completion_panel`` of x with ``known_rows`` rows and
    ``completions`` samples from ``seed``); ``bounds`` {name: nats} of x under ``vae_model``
    (``vae_bounds`` with ``bound_seed``; empty without a VAE); and ``settings``."""
    import json
    s = {**ARRIVAL, **settings}
    if set(s) != set(ARRIVAL):
        raise ValueError(f"unknown arrival settings: {sorted(set(s) - set(ARRIVAL))}")

    def make() -> dict:
        last = None
        for last in chain_frames(model, s["n"], seed=s["seed"], every=D):
            pass
        x = binary_input("test digit", index=s["index"])
        c = completion_panel(model, x, s["known_rows"], s["completions"], seed=s["seed"])
        bounds = ({k: float(v[0]) for k, v in vae_bounds(vae_model, torch.as_tensor(x)[None], seed=s["bound_seed"]).items()}
                  if vae_model is not None else {})
        return {"chain_images": last.images, "chain_heat": last.heat, "chain_p_last": last.p_last, "x": x,
                "nll_x": c.original_nll, "given": c.given, "grid": c.grid, "nll_known": c.nll_known, "nll": c.nll,
                "original_nll": c.original_nll, "settings": json.dumps(s), "has_vae": vae_model is not None,
                "bound_names": np.array(list(bounds), dtype=str), "bound_values": np.array(list(bounds.values()))}

    def made_with_these_settings(z) -> bool:
        return json.loads(str(z["settings"])) == s and bool(z["has_vae"]) == (vae_model is not None)

    z = arrival.cached(path, make, valid=made_with_these_settings)
    out = {k: (float(v) if v.ndim == 0 else v) for k, v in z.items()
           if k not in ("settings", "bound_names", "bound_values", "has_vae")}
    out["bounds"] = {str(k): float(v) for k, v in zip(z["bound_names"], z["bound_values"])}
    out["settings"] = s
    return out
