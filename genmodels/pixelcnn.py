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
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import checkpoints, data
from .common import Deadline, cosine, batches, device, device_description, init_default, seeded
from .progress import Cadence, Record

FAMILY = "pixelcnn"
H = W = 28
D = H * W                                  # pixels per image (dimensions of x)

EVAL_OPTIONS = [("data", str, None, "binary (N, 28, 28) .npy")]


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
    """The network of ``cfg`` (PyTorch's default init drawn from ``g``); it keeps its Config."""
    cfg.validate()
    model = GatedPixelCNN(cfg) if cfg.arch == "gated" else PlainPixelCNN(cfg)
    init_default(model, g if g is not None else seeded(cfg.seed))
    model.config = cfg
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
    """What every training record hands out: the live model (a reference; sample or score with it
    between records) and, on evaluation records, the test NLL's images count."""
    model: nn.Module
    test_images: int = 0


def train(cfg: Config, model: nn.Module | None = None, log_every: int = 50, eval_every: int = 500,
          log_seconds: float = 0.25):
    """Maximum likelihood on dynamically binarized MNIST (a fresh Bernoulli draw of every grey
    level each time an image is used). Yields Records with the batch NLL (nats per image) on a
    time cadence, and the test NLL on ``cfg.eval_images`` fixed binarized test images every
    ``eval_every`` steps and at the end. Closing the generator stops at once."""
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
    log = Cadence(log_every, log_seconds)
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
        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            metrics = {}
            if step % eval_every == 0 or last:
                test = float(nll(model, x_test).mean())
                metrics = {"test_nll": test, "test_bits_per_dim": bits_per_dim(test)}
            yield Record(step, {"nll": loss.item(), "bits_per_dim": bits_per_dim(loss.item())}, metrics,
                         Preview(model, len(x_test) if metrics else 0), done=last)
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


@torch.no_grad()
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


def sample(model: nn.Module, n: int, *, seed: int = 0) -> torch.Tensor:
    """n images (n, 28, 28) of 0/1 from p_θ(x), pixel by pixel."""
    for s in sample_steps(model, n, seed=seed, every=D):
        pass
    return s.x


def complete(model: nn.Module, x, known_rows: int, n: int = 1, *, seed: int = 0) -> torch.Tensor:
    """Keep rows < known_rows of each image of x (N, 28, 28 of 0/1) and sample rows ≥ known_rows
    from p_θ(rows below | rows above), n times per image: (N·n, 28, 28), image i's completions at
    rows i·n … i·n + n − 1."""
    x = check_binary(x)
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
def save(path, model: nn.Module, cfg: Config, steps: int, metrics: dict, command: str = "", seconds=None) -> dict:
    card = checkpoints.card(FAMILY, cfg, "MNIST train (60k), dynamically binarized", steps,
                            device_description(_device_of(model)), metrics, command, seconds,
                            kind=f"{cfg.arch} PixelCNN", parameters=sum(p.numel() for p in model.parameters()),
                            test_set=f"MNIST test, binarized once with seed {data.BINARIZE_TEST_SEED}")
    return checkpoints.save(path, {"pixelcnn": model}, card)


def load(path) -> nn.Module:
    """The model of a checkpoint (on the CPU, eval mode); its Config is ``model.config``, its card ``model.card``."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    model = build(cfg)
    model.load_state_dict(checkpoints.unflatten(tensors, "pixelcnn"))
    model.card = card
    return model.eval()


def evaluate(model: nn.Module, *, n: int = 10_000, seed: int = 0, x: torch.Tensor | None = None) -> dict:
    """Exact test NLL (nats per image) and bits/dim on the first n images of the fixed binarized
    MNIST test set, or on the given binary images x. NLL is deterministic: ``seed`` is unused."""
    x = data.binarized_mnist_test()[0][:n] if x is None else check_binary(x)
    if len(x) == 0:
        raise ValueError("no images to evaluate on")
    v = nll(model, x)
    return {"test_nll": float(v.mean()), "bits_per_dim": bits_per_dim(float(v.mean())),
            "test_nll_std": float(v.std()) if len(v) > 1 else 0.0, "test_images": len(x)}


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    every = max(1, min(1000, cfg.steps // 20))
    for r in train(cfg, log_every=every, eval_every=every, log_seconds=30.0):
        if r.metrics:
            echo(f"step {r.step:6d}  nll {r.losses['nll']:.2f}  test nll {r.metrics['test_nll']:.2f} nats "
                 f"({r.metrics['test_bits_per_dim']:.4f} bits/dim)  {time.perf_counter() - t0:.0f} s")
    model = r.preview.model
    seconds = round(time.perf_counter() - t0, 1)
    metrics = evaluate(model, n=cfg.eval_images)       # `eval CHECKPOINT` recomputes it on all 10,000
    echo(f"test nll {metrics['test_nll']:.2f} nats on {metrics['test_images']} images")
    return save(out, model, cfg, r.step, metrics, command, seconds)


def cli_sample(path, n: int, seed: int):
    return sample(load(path), n, seed=seed).numpy()


def load_npy_images(path: str) -> torch.Tensor:
    """A .npy of images (N, 28, 28) or (28, 28); a clear ValueError otherwise (never a traceback)."""
    import numpy as np
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


def cli_eval(path, n=None, seed=0, data=None) -> dict:
    model = load(path).to(device("auto"))
    x = None if data is None else load_npy_images(data)
    return evaluate(model, n=n or 10_000, seed=seed, x=x)


def cli_complete(path, x, known_rows: int, n: int, seed: int):
    """The CLI's ``complete`` verb: x (N, 28, 28) in [0, 1] is binarized at 0.5."""
    if not 0 <= known_rows <= H:
        raise ValueError(f"--known-rows must be in 0..28, got {known_rows}")
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"--input pixels must be in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return complete(load(path), (x > 0.5).float(), known_rows, n, seed=seed).numpy()
