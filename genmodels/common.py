"""Small pieces every image family shares: devices, seeds, weight init, batching, grids."""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn


def device(name: str = "auto") -> torch.device:
    """'auto' -> cuda when available, else cpu."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but no CUDA GPU is available; use --device cpu")
    return torch.device(name)


def device_description(dev: torch.device) -> str:
    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    return "cpu"


def seeded(seed: int, dev: torch.device | str = "cpu") -> torch.Generator:
    return torch.Generator(device=dev).manual_seed(int(seed))


def init_default(module: nn.Module, g: torch.Generator) -> None:
    """PyTorch's default init for Linear / Conv layers, drawn from our own generator."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in = nn.init._calculate_fan_in_and_fan_out(m.weight)[1 if isinstance(m, nn.ConvTranspose2d) else 0]
            bound = 1.0 / max(1.0, fan_in) ** 0.5
            nn.init.uniform_(m.weight, -bound, bound, generator=g)
            if m.bias is not None:
                nn.init.uniform_(m.bias, -bound, bound, generator=g)


def init_normal(module: nn.Module, g: torch.Generator, std: float = 0.02) -> None:
    """The DCGAN / CycleGAN init: conv weights ~ N(0, std), norm scales ~ N(1, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std, generator=g)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std, generator=g)
            nn.init.zeros_(m.bias)


def batches(x: torch.Tensor, batch_size: int, g: torch.Generator, *others: torch.Tensor):
    """Endless shuffled minibatches (epoch after epoch) of x (and aligned tensors)."""
    n = len(x)
    while True:
        perm = torch.randperm(n, generator=g)
        for i in range(0, n - batch_size + 1, batch_size):
            idx = perm[i:i + batch_size]
            yield (x[idx], *(o[idx] for o in others)) if others else x[idx]


class Deadline:
    """Stop a training loop after max_seconds of wall time (0 = never)."""

    def __init__(self, max_seconds: float = 0.0):
        self.max_seconds, self.t0 = max_seconds, time.perf_counter()

    def passed(self) -> bool:
        return self.max_seconds > 0 and time.perf_counter() - self.t0 > self.max_seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def used(self, step: int, steps: int) -> float:
        """The share of the run's budget used so far, in [0, 1]: steps, or wall time if that runs out sooner."""
        share = step / steps
        if self.max_seconds > 0:
            share = max(share, self.elapsed() / self.max_seconds)
        return min(1.0, share)


def cosine(progress: float) -> float:
    """Cosine decay factor: 1 at the start of a run (progress 0), 0 at its end (progress 1)."""
    return 0.5 * (1 + math.cos(math.pi * progress))


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] model space -> [0, 1] pixels."""
    return (x.clamp(-1, 1) + 1) / 2


def to_model(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] pixels (N, 28, 28) -> [-1, 1] model space (N, 1, 28, 28)."""
    if x.dim() == 3:
        x = x.unsqueeze(1)
    return x * 2 - 1


def grid(images: torch.Tensor | np.ndarray, nrow: int = 8, pad: int = 2, value: float = 1.0,
         scale: int = 1) -> np.ndarray:
    """(N, H, W) or (N, 1, H, W) in [0, 1] -> one (rows*H, nrow*W) uint8 image, pixels × ``scale``.

    The layout of ``torchvision.utils.make_grid`` (tests/test_common.py compares them pixel for
    pixel), always ``nrow`` columns wide. Not make_grid itself: importing torchvision would add
    seconds to the app's cold start (the CycleGAN tab draws a grid at start-up; docs/figures.md)."""
    x = torch.as_tensor(images).detach().float().cpu()
    if x.dim() == 4:
        x = x[:, 0]
    n, h, w = x.shape
    rows = (n + nrow - 1) // nrow
    out = torch.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), value)
    for i in range(n):
        r, c = divmod(i, nrow)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    out = (out.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return out.repeat(scale, 0).repeat(scale, 1) if scale > 1 else out


def grid_cell(x: float, y: float, n: int, nrow: int = 8, pad: int = 2, scale: int = 1, size: int = 28) -> int:
    """The inverse of ``grid``: which of its ``n`` images is under pixel (x, y) (the nearest, so a
    click on a gap still picks one)."""
    pitch = (size + pad) * scale
    col = min(nrow - 1, max(0, int((x - pad * scale / 2) // pitch)))
    row = min((n + nrow - 1) // nrow - 1, max(0, int((y - pad * scale / 2) // pitch)))
    return min(n - 1, row * nrow + col)
