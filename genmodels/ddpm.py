"""DDPM on MNIST: learn to reverse a noising process (Ho et al. 2020; seed decks 000, 001).

Forward (fixed):   q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I)
                   q(x_t | x_0)     = N(√ᾱ_t x_0, (1-ᾱ_t) I),   ᾱ_t = Π_{s≤t} (1-β_s)
Training:          ∇_θ ‖ε − ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖²,  t ~ U{1..T}, ε ~ N(0, I)
Sampling (DDPM):   x_{t-1} = 1/√α_t (x_t − β_t/√(1-ᾱ_t) ε_θ(x_t, t)) + σ_t z

Classifier-free guidance (Ho & Salimans 2022), one form everywhere in this package:

                   ε̃ = ε_θ(x_t, t, ∅) + w · (ε_θ(x_t, t, y) − ε_θ(x_t, t, ∅))

w = 0 is the unconditional model, w = 1 the plain conditional model (no guidance),
w > 1 guides (Ho & Salimans' weight is w − 1). One network gives both ε_θ(·, y) and
ε_θ(·, ∅): in training the label y is replaced by the learned null token ∅ with
probability p_uncond.

Kept apart as in diffusers: the *model* ε_θ (a small UNet), the *schedulers*
(:class:`DDPMScheduler`, :class:`DDIMScheduler`, :class:`DPMSolverScheduler`, each
with ``step()``) and the *pipeline* (:func:`denoise`, a generator that yields every
step's x_t and x̂_0). Timesteps are 0-based in code (t = 0 … T-1), as in diffusers.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, cosine, device, device_description, init_default, seeded, to_model, to_unit
from .family import Option
from .progress import Cadence, Record

FAMILY = "ddpm"


# ===========================================================================
# Schedules
# ===========================================================================
def betas_for(schedule: str, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """β_1..β_T (float64). 'linear' (Ho et al.) or 'cosine' (Nichol & Dhariwal)."""
    if schedule == "linear":
        return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    if schedule == "cosine":
        s = 0.008
        f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        return torch.tensor([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)], dtype=torch.float64)
    raise ValueError(f"schedule must be 'linear' or 'cosine', got '{schedule}'")


class DDPMScheduler:
    """Ancestral sampling with the 'fixed_small' variance σ_t² = β̃_t, x̂_0 clipped to [-1, 1] (clip_sample)."""

    def __init__(self, T: int = 1000, schedule: str = "linear", beta_start: float = 1e-4, beta_end: float = 0.02,
                 clip_sample: bool = True):
        self.T, self.schedule, self.clip_sample = T, schedule, clip_sample
        self.betas = betas_for(schedule, T, beta_start, beta_end)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, 0)                          # ᾱ_t
        prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])
        self.alphas_cumprod_prev = prev                                               # ᾱ_{t-1}
        self.posterior_variance = self.betas * (1 - prev) / (1 - self.alphas_cumprod)  # β̃_t
        self.timesteps = torch.arange(T - 1, -1, -1)
        self._ab_device = None

    def set_timesteps(self, n: int | None = None) -> None:
        """DDPM visits every t; ``n`` other than T is refused (use DDIM for fewer steps)."""
        if n not in (None, self.T):
            raise ValueError(f"DDPM samples with all T = {self.T} steps; choose DDIM for {n} steps")

    def add_noise(self, x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε   (the closed form q(x_t | x_0))."""
        if self._ab_device is None or self._ab_device.device != x0.device:        # copied once per device
            self._ab_device = self.alphas_cumprod.float().to(x0.device)
        ab = self._ab_device[t].view(-1, 1, 1, 1)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * eps

    def pred_x0(self, x_t, eps, t: int) -> torch.Tensor:
        """x̂_0 = (x_t − √(1-ᾱ_t) ε) / √ᾱ_t, clipped to the data range [-1, 1] when clip_sample."""
        ab = float(self.alphas_cumprod[t])
        x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
        return x0.clamp(-1, 1) if self.clip_sample else x0

    def step(self, eps: torch.Tensor, t: int, x_t: torch.Tensor, generator: torch.Generator | None = None):
        """One reverse step t -> t-1. Returns (x_{t-1}, x̂_0)."""
        x0 = self.pred_x0(x_t, eps, t)
        ab, ab_prev = float(self.alphas_cumprod[t]), float(self.alphas_cumprod_prev[t])
        beta, alpha = float(self.betas[t]), float(self.alphas[t])
        # posterior mean μ̃_t(x_t, x̂_0)
        mean = (math.sqrt(ab_prev) * beta / (1 - ab)) * x0 + (math.sqrt(alpha) * (1 - ab_prev) / (1 - ab)) * x_t
        if t > 0:
            z = torch.randn(x_t.shape, generator=generator, device=generator.device if generator else "cpu")
            mean = mean + math.sqrt(float(self.posterior_variance[t])) * z.to(x_t.device)
        return mean, x0


def spaced_timesteps(T: int, n: int, spacing: str = "trailing") -> torch.Tensor:
    """n of the T training timesteps, descending, as diffusers' ``timestep_spacing``.

    'trailing' (Lin et al. 2023): round(T, T − T/n, …) − 1, so sampling always starts at
    t = T (code: T-1), from pure noise, whatever n: e.g. n = 1 → [999], n = 2 → [999, 499].
    'leading' (the old DDIM spacing): arange(n)·(T//n) reversed; it starts at t = (n−1)·(T//n),
    which is t = 0 for n = 1 (the sampler returns its input noise) and t = 500 for n = 2.
    """
    if not 1 <= n <= T:
        raise ValueError(f"steps must be in 1..{T}, got {n}")
    if spacing == "trailing":
        return torch.from_numpy((np.arange(T, 0, -T / n).round() - 1).astype(np.int64))
    if spacing == "leading":
        return (torch.arange(0, n) * (T // n)).flip(0)
    raise ValueError(f"spacing must be 'trailing' or 'leading', got '{spacing}'")


class DDIMScheduler(DDPMScheduler):
    """DDIM (Song et al. 2021): same betas, any number of steps; η = 0 is deterministic.

    Each step goes from t to the next timestep s of the spaced list (s = −1 after the last, ᾱ_{−1} = 1):
    x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε̂ + σ z,  σ = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s),
    with ε̂ re-derived from the clipped x̂_0.
    """

    def __init__(self, *args, eta: float = 0.0, spacing: str = "trailing", **kw):
        super().__init__(*args, **kw)
        self.eta, self.spacing = eta, spacing
        self.set_timesteps()

    def set_timesteps(self, n: int | None = None) -> None:
        self.timesteps = spaced_timesteps(self.T, n or min(50, self.T), self.spacing)
        ts = self.timesteps.tolist()
        self.prev_timestep = dict(zip(ts, ts[1:] + [-1]))   # t -> the next t visited (−1: the clean image)

    def alpha_bar(self, t: int) -> float:
        return float(self.alphas_cumprod[t]) if t >= 0 else 1.0

    def step(self, eps, t: int, x_t, generator=None):
        prev_t = self.prev_timestep[t]
        ab, ab_prev = self.alpha_bar(t), self.alpha_bar(prev_t)
        x0 = self.pred_x0(x_t, eps, t)
        eps = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)       # ε re-derived from the clipped x̂_0
        sigma = self.eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
        x_prev = math.sqrt(ab_prev) * x0 + math.sqrt(max(0.0, 1 - ab_prev - sigma ** 2)) * eps
        if sigma > 0:
            z = torch.randn(x_t.shape, generator=generator, device=generator.device if generator else "cpu")
            x_prev = x_prev + sigma * z.to(x_t.device)
        return x_prev, x0


class DPMSolverScheduler(DDIMScheduler):
    """DPM-Solver++ (2M) (Lu et al. 2022): a second-order multistep solver of the probability-flow ODE.

    Written with α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t) and the half log-SNR λ_t = log(α_t / σ_t). It steps on
    the data prediction x̂_0 (clipped to [-1, 1] like the other samplers), from s to t (h = λ_t − λ_s):
        first order (the first and the last step):   x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x̂_0(s)
        second order (midpoint), r = h_prev / h:      x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) (D_0 + ½ D_1),
                                                       D_0 = x̂_0(s),  D_1 = (x̂_0(s) − x̂_0(s_prev)) / r
    The last step goes to σ = 0 and returns x̂_0 (diffusers' final_sigmas_type="zero"). The same
    trailing spacing as DDIM, so ten steps are ten network evaluations. Deterministic.
    Matches diffusers' DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2,
    timestep_spacing="trailing", thresholding=True, sample_max_value=1.0) (tests/test_ddpm_solvers.py).
    """

    def set_timesteps(self, n: int | None = None) -> None:
        super().set_timesteps(n or min(20, self.T))
        self.reset()

    def reset(self) -> None:
        """Forget the previous x̂_0 (call before a new sampling loop; denoise() does)."""
        self._prev = None   # (λ_s, x̂_0(s)) of the step before

    def _alpha_sigma_lambda(self, t: int) -> tuple[float, float, float]:
        ab = self.alpha_bar(t)
        if ab >= 1.0:
            return 1.0, 0.0, math.inf
        a, s = math.sqrt(ab), math.sqrt(1 - ab)
        return a, s, math.log(a) - math.log(s)

    def step(self, eps, t: int, x_t, generator=None):
        prev_t = self.prev_timestep[t]
        x0 = self.pred_x0(x_t, eps, t)
        a_s, s_s, lam_s = self._alpha_sigma_lambda(t)
        a_t, s_t, lam_t = self._alpha_sigma_lambda(prev_t)
        decay = -math.expm1(-(lam_t - lam_s)) if prev_t >= 0 else 1.0     # −(e^{−h} − 1); h = ∞ at σ_t = 0
        d = x0
        if self._prev is not None and prev_t >= 0:                        # second order except at the ends
            lam_prev, x0_prev = self._prev
            r = (lam_s - lam_prev) / (lam_t - lam_s)
            d = x0 + 0.5 * (x0 - x0_prev) / r
        x_prev = (s_t / s_s) * x_t + (a_t * decay) * d
        self._prev = (lam_s, x0)
        return x_prev, x0


SAMPLERS = ("ddim", "ddpm", "dpmpp")


def scheduler(sampler: str, T: int, schedule: str, eta: float = 0.0, steps: int | None = None,
              spacing: str = "trailing") -> DDPMScheduler:
    """'ddpm' (all T steps), 'ddim' (any steps, η) or 'dpmpp' (DPM-Solver++ 2M, any steps)."""
    if sampler == "ddpm":
        s = DDPMScheduler(T, schedule)
    elif sampler == "ddim":
        s = DDIMScheduler(T, schedule, eta=eta, spacing=spacing)
    elif sampler == "dpmpp":
        s = DPMSolverScheduler(T, schedule, spacing=spacing)
    else:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got '{sampler}'")
    s.set_timesteps(steps)
    return s


# ===========================================================================
# The model ε_θ(x_t, t): a small UNet with a time embedding
# ===========================================================================
def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the (integer) timestep, as in the Transformer."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, t_dim: int, groups: int = 8):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.t_proj = nn.Linear(t_dim, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.t_proj(temb)[:, :, None, None]
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return h + self.skip(x)


class Attention(nn.Module):
    def __init__(self, c: int, groups: int = 8):
        super().__init__()
        self.norm, self.qkv, self.out = nn.GroupNorm(groups, c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        a = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.out(a.transpose(1, 2).reshape(b, c, h, w))


class UNet(nn.Module):
    """28 -> 14 -> 7 (attention) -> 14 -> 28, skip connections across, t (and y) added in every block.

    ``res_blocks`` ResBlocks per resolution, channels ch·mults; ``attn_low`` adds self-attention
    after every block at the lowest resolution (7×7), besides the one in the middle.
    ``num_classes`` > 0 adds a class embedding to the time embedding, with one more row, the
    learned null token ∅ (index ``num_classes``), used when no label is given.
    Defaults are the first checkpoint's network (state-dict names unchanged).
    """

    def __init__(self, ch: int = 32, mults: tuple[int, ...] = (1, 2, 2), res_blocks: int = 1,
                 attn_low: bool = False, num_classes: int = 0):
        super().__init__()
        t_dim = ch * 4
        self.ch, self.num_classes = ch, num_classes
        self.t_mlp = nn.Sequential(nn.Linear(ch, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        if num_classes:
            self.class_emb = nn.Embedding(num_classes + 1, t_dim)      # row num_classes = ∅
        self.conv_in = nn.Conv2d(1, ch, 3, padding=1)
        chans = [ch * m for m in mults]
        low = len(chans) - 1
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        self.down_attn, self.up_attn = nn.ModuleList(), nn.ModuleList()
        c = ch
        skips = [c]
        for i, co in enumerate(chans):
            for _ in range(res_blocks):
                self.down.append(ResBlock(c, co, t_dim))
                if attn_low and i == low:
                    self.down_attn.append(Attention(co))
                c = co
                skips.append(c)
            if i < low:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.res_blocks, self.attn_low = res_blocks, attn_low
        self.mid1, self.mid_attn, self.mid2 = ResBlock(c, c, t_dim), Attention(c), ResBlock(c, c, t_dim)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i, co in reversed(list(enumerate(chans))):
            for _ in range(res_blocks):
                self.up.append(ResBlock(c + skips.pop(), co, t_dim))
                if attn_low and i == low:
                    self.up_attn.append(Attention(co))
                c = co
            if i > 0:
                self.upsample.append(nn.ConvTranspose2d(c, c, 4, stride=2, padding=1))
        self.out = nn.Sequential(nn.GroupNorm(8, c + skips.pop()), nn.SiLU(), nn.Conv2d(c + ch, 1, 3, padding=1))
        self.n_levels = len(chans)

    def null_labels(self, n: int, device) -> torch.Tensor:
        return torch.full((n,), self.num_classes, device=device, dtype=torch.long)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """ε_θ(x_t, t) or, for a class-conditional net, ε_θ(x_t, t, y); y = None or ``num_classes`` is ∅."""
        temb = self.t_mlp(timestep_embedding(t, self.ch))
        if self.num_classes:
            temb = temb + self.class_emb(self.null_labels(len(x), x.device) if y is None else y)
        elif y is not None:
            raise ValueError("this model is unconditional: it takes no label")
        h = self.conv_in(x)
        hs = [h]
        k, r = 0, self.res_blocks
        for level in range(self.n_levels):
            for _ in range(r):
                h = self.down[k](h, temb)
                if self.attn_low and level == self.n_levels - 1:
                    h = self.down_attn[k - level * r](h)
                hs.append(h)
                k += 1
            if level < len(self.downsample):
                h = self.downsample[level](h)
        h = self.mid2(self.mid_attn(self.mid1(h, temb)), temb)
        k = 0
        for j in range(self.n_levels):                                     # j = 0 is the lowest level
            for i in range(r):
                h = self.up[k](torch.cat([h, hs.pop()], 1), temb)
                if self.attn_low and j == 0:
                    h = self.up_attn[i](h)
                k += 1
            if j < len(self.upsample):
                h = self.upsample[j](h)
        return self.out(torch.cat([h, hs.pop()], 1))


def guided_eps(model: UNet, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor | None = None,
               guidance: float | torch.Tensor = 1.0) -> torch.Tensor:
    """ε̃ = ε_θ(x_t, t, ∅) + w · (ε_θ(x_t, t, y) − ε_θ(x_t, t, ∅)), w = ``guidance`` (a number, or one
    per image: a (n,) tensor).

    No label: ε_θ(x_t, t, ∅) (or the unconditional net's ε_θ(x_t, t)). w = 1: ε_θ(x_t, t, y),
    one network evaluation; otherwise both in one batch of 2n.
    """
    if label is None:
        return model(x, t)
    if not getattr(model, "num_classes", 0):
        raise ValueError("this checkpoint is unconditional: it cannot be asked for a digit (no --label)")
    per_image = torch.is_tensor(guidance)
    if not per_image and guidance == 1.0:
        return model(x, t, label)
    both = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([label, model.null_labels(len(x), x.device)]))
    eps_y, eps_null = both.chunk(2)
    w = guidance.to(eps_y.device, eps_y.dtype).view(-1, 1, 1, 1) if per_image else guidance
    return eps_null + w * (eps_y - eps_null)


# ===========================================================================
# Pipeline: the reverse process as a generator of frames
# ===========================================================================
@torch.no_grad()
def denoise(model: UNet, sched: DDPMScheduler, x_T: torch.Tensor, seed: int = 0, every: int = 1,
            t_start: int | None = None, bf16: bool = False, label=None, guidance: float = 1.0):
    """Run the reverse process from x_T, yielding (t, x_t, x̂_0) after each shown step.

    ``every``: yield every k-th step (always the last). ``t_start``: begin at
    this t instead of T-1 (SDEdit: x_T is then a noised image at t_start).
    ``bf16``: run ε_θ under bfloat16 autocast (about 2× faster on a CPU); the
    scheduler arithmetic stays float32. Images stay in model space [-1, 1].
    ``label`` (a digit, or one per image) and ``guidance`` w: classifier-free guidance,
    ε̃ = ε_θ(x_t, t, ∅) + w · (ε_θ(x_t, t, y) − ε_θ(x_t, t, ∅)) (see :func:`guided_eps`).
    """
    model.eval()
    dev = next(model.parameters()).device
    g = seeded(seed)
    x = x_T.to(dev)
    y = as_labels(model, label, len(x), dev)
    if hasattr(sched, "reset"):
        sched.reset()
    ts = [int(t) for t in sched.timesteps if t_start is None or int(t) <= t_start]
    for i, t in enumerate(ts):
        t_batch = torch.full((len(x),), t, device=dev, dtype=torch.long)
        if bf16:
            with torch.autocast(dev.type, dtype=torch.bfloat16):
                eps = guided_eps(model, x, t_batch, y, guidance).float()
        else:
            eps = guided_eps(model, x, t_batch, y, guidance)
        x, x0 = sched.step(eps, t, x, generator=g)
        if (i + 1) % every == 0 or i == len(ts) - 1:
            yield t, x, x0


def as_labels(model: UNet, label, n: int, dev) -> torch.Tensor | None:
    """None (unconditional), one digit for all n images, or n digits (a sequence or a 1-D tensor, one per
    image) -> a (n,) long tensor; anything else is a ValueError that says what is wrong."""
    if label is None:
        return None
    k = getattr(model, "num_classes", 0)
    if not k:
        raise ValueError("this checkpoint is unconditional: it cannot be asked for a digit (no --label)")
    try:
        y = torch.as_tensor(label)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"label must be a digit 0..{k - 1} or a list of {n} digits, got {label!r}") from None
    if y.numel() == 0:
        raise ValueError("an empty label list: give one digit, or one per image")
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex() or y.dim() > 1:
        raise ValueError(f"label must be a digit 0..{k - 1} or a list of {n} digits (integers), got {label!r}")
    y = y.long().reshape(-1)
    if len(y) == 1:
        y = y.expand(n)
    if len(y) != n:
        raise ValueError(f"got {len(y)} labels for {n} images: give one digit, or one per image")
    if n and (int(y.min()) < 0 or int(y.max()) >= k):
        raise ValueError(f"label must be a digit 0..{k - 1}, got {y.unique().tolist()}")
    return y.to(dev)


def parse_labels(text: str) -> int | list[int]:
    """``--label`` on the command line: one digit ("7") or one per image, comma-separated ("0,1,2,3")."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        digits = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"--label takes a digit or comma-separated digits (e.g. 7 or 0,1,2,3), got '{text}'") from None
    return digits[0] if len(digits) == 1 else digits


DEFAULT_STEPS = {"ddim": 50, "dpmpp": 20, "ddpm": None}
DEFAULT_GUIDANCE = 2.0      # w: 1 = no guidance; used when a label is given and no w
GUIDANCE_SWEEP = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)   # the w of the card's sweep (evaluate_conditional)


def eps_network(model) -> nn.Module:
    """The ε_θ that sampling uses: a :class:`DDPM`'s EMA copy, or a bare ε network as given."""
    return model.ema if isinstance(model, DDPM) else model


def config_of(model) -> "Config":
    """A :class:`DDPM`'s Config; a bare ε network samples with the default schedule (T = 1000, linear)."""
    return model.cfg if isinstance(model, DDPM) else Config()


def sample_scheduler(model, sampler: str = "ddim", steps: int | None = None, eta: float = 0.0,
                     spacing: str = "trailing") -> DDPMScheduler:
    """The scheduler ``sample`` runs for these options (steps: the sampler's default when None)."""
    cfg = config_of(model)
    steps = steps or DEFAULT_STEPS.get(sampler)
    return scheduler(sampler, cfg.T, cfg.schedule, eta, steps if sampler != "ddpm" else None, spacing=spacing)


def sample(model, n: int, *, seed: int = 0, sampler: str = "ddim", steps: int | None = None, eta: float = 0.0,
           label=None, guidance: float | None = None, bf16: bool = False, spacing: str = "trailing",
           batch: int = 1000) -> torch.Tensor:
    """n images (n, 1, 28, 28) in [0, 1] from the EMA network. x_T ~ N(0, I) drawn on the CPU from ``seed``.

    ``sampler`` 'ddim' (``steps``, default 50; ``eta``), 'ddpm' (all T) or 'dpmpp' (default 20).
    ``label``: a digit, or n digits (class-conditional models), sampled with guidance w
    (default :data:`DEFAULT_GUIDANCE`). ``spacing``: 'trailing' (default) or the old 'leading'.
    Out-of-range options raise ValueError (:func:`check_sampling`).
    """
    net = eps_network(model)
    check_sampling(model, sampler, steps, eta, label, guidance)
    sched = sample_scheduler(model, sampler, steps, eta, spacing)
    w = DEFAULT_GUIDANCE if guidance is None else float(guidance)
    y = as_labels(net, label, n, "cpu")
    out = []
    for i in range(0, n, batch):
        m = min(batch, n - i)
        x_T = torch.randn(m, 1, 28, 28, generator=seeded(seed * 7919 + i))
        *_, (t, x, x0) = denoise(net, sched, x_T, seed=seed * 7919 + i + 1, every=10**9, bf16=bf16,
                                 label=None if y is None else y[i:i + m], guidance=w)
        out.append(to_unit(x).cpu())
    return torch.cat(out)


# ===========================================================================
# Training
# ===========================================================================
@dataclass
class Config:
    dataset: str = "mnist"
    T: int = 1000
    schedule: str = "linear"
    ch: int = 32                      # base channels; the levels have ch·mults
    mults: tuple = (1, 2, 2)          # 28, 14, 7
    res_blocks: int = 1               # ResBlocks per level
    attn_low: bool = False            # self-attention after every block at 7×7 (the middle always has one)
    num_classes: int = 0              # 0 = unconditional; 10 = class-conditional (classifier-free guidance)
    p_uncond: float = 0.1             # P(label replaced by ∅) in training (Ho & Salimans 2022)
    steps: int = 30_000
    batch_size: int = 128
    lr: float = 2e-4
    warmup: int = 500
    cosine_decay: bool = False        # lr → 0 along a cosine over the run (steps, or max_seconds if sooner)
    ema: float = 0.999
    bf16: bool = True                 # bfloat16 autocast in training, on CUDA only
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        betas_for(self.schedule, 2)
        if not (10 <= self.T <= 4000 and 8 <= self.ch <= 256 and 1 <= self.steps <= 10_000_000):
            raise ValueError("T must be in 10..4000, ch in 8..256, steps ≥ 1")
        if not (1 <= len(self.mults) <= 3 and all(1 <= int(m) == m <= 8 for m in self.mults)):
            raise ValueError(f"mults must be 1 to 3 whole numbers in 1..8 (28, 14, 7), got {self.mults}")
        if not (1 <= self.res_blocks <= 4 and 0 <= self.num_classes <= 100 and 0 <= self.p_uncond < 1):
            raise ValueError("res_blocks must be in 1..4, num_classes in 0..100, p_uncond in [0, 1)")
        return self

    def arch(self) -> dict:
        """The UNet's constructor arguments."""
        return dict(ch=self.ch, mults=tuple(int(m) for m in self.mults), res_blocks=self.res_blocks,
                    attn_low=self.attn_low, num_classes=self.num_classes)


def loss_fn(model: UNet, sched: DDPMScheduler, x0: torch.Tensor, g: torch.Generator, y: torch.Tensor | None = None,
            p_uncond: float = 0.0, bf16: bool = False) -> torch.Tensor:
    """‖ε − ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t[, y])‖²  (the 'simple' loss, averaged).

    ``g`` draws t, ε (and which labels become ∅, with probability ``p_uncond``) on its own device.
    """
    dev = g.device
    t = torch.randint(0, sched.T, (len(x0),), generator=g, device=dev).to(x0.device)
    eps = torch.randn(x0.shape, generator=g, device=dev).to(x0.device)
    x_t = sched.add_noise(x0, eps, t)
    if y is not None and p_uncond > 0:
        drop = torch.rand(len(y), generator=g, device=dev).to(y.device) < p_uncond
        y = torch.where(drop, model.null_labels(len(y), y.device), y)
    with torch.autocast(x0.device.type, dtype=torch.bfloat16, enabled=bf16):
        pred = model(x_t, t, y) if y is not None else model(x_t, t)
    return nn.functional.mse_loss(pred.float(), eps)



class DDPM(nn.Module):
    """The family's Model: ``eps_model`` ε_θ (trained by gradient descent) and ``ema``, its exponential
    moving average (what sampling uses), with ``cfg``, ``steps`` (optimizer steps so far) and ``card``."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.eps_model, self.ema = UNet(**cfg.arch()), UNet(**cfg.arch())
        self.ema.requires_grad_(False)
        self.cfg, self.steps, self.card = cfg, 0, None

    @property
    def num_classes(self) -> int:
        return self.eps_model.num_classes


def build(cfg: Config) -> DDPM:
    """Fresh networks from ``cfg.seed`` (drawn on the CPU, so every device starts alike); ema = a copy."""
    cfg.validate()
    model = DDPM(cfg)
    init_default(model.eps_model, seeded(cfg.seed))
    model.ema.load_state_dict(model.eps_model.state_dict())
    return model


@dataclass
class Preview:
    """What a training record shows: 16 samples of the EMA network (DDIM, 20 steps, seed 0), in [0, 1]."""
    samples: torch.Tensor          # (16, 1, 28, 28); a class-conditional model draws digits 0, 1, …, 9, 0, …


def preview(model: DDPM) -> Preview:
    k = model.num_classes
    return Preview(sample(model, 16, seed=0, steps=20, label=torch.arange(16) % k if k else None))


def train(cfg: Config, model: DDPM | None = None, *, seconds: float = 1.0, every: int = 100,
          preview_every: int = 1000) -> Iterator[Record]:
    """Train ε_θ with the simple loss, yielding a Record every ``every`` steps and at least every
    ``seconds`` of wall time, the last with done=True; each record's ``.model`` is the live DDPM.
    Records carry ``losses['loss']`` (this step) and ``metrics['loss_avg']`` (a running mean); every
    ``preview_every`` steps and on the last record a :class:`Preview`. ``model`` continues a run
    (same architecture); ``cfg.steps`` more steps are taken.

    The data, t, ε and labels live on the training device (drawn from a generator there), and
    the loss is read back only when a record is due, so a GPU is not held up by the CPU.
    """
    cfg.validate()
    dev = device(cfg.device)
    if model is None:
        model = build(cfg)
    elif cfg.arch() != model.cfg.arch():
        raise ValueError(f"cannot continue a {model.cfg.arch()} model with the architecture {cfg.arch()}")
    model.cfg = cfg
    g_dev = seeded(cfg.seed + 1 + model.steps, dev)          # batches, t, ε, dropped labels
    net, ema = model.eps_model, model.ema
    model.to(dev)
    net.train()
    ema.eval().requires_grad_(False)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True          # fixed shapes: let cuDNN pick the fastest convolutions
    sched = DDPMScheduler(cfg.T, cfg.schedule)
    x_all, y_all = data.load(cfg.dataset, "train")
    x_all, y_all = to_model(x_all).to(dev), y_all.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, **({"fused": True} if cuda else {}))
    deadline = Deadline(cfg.max_seconds)

    def lr_factor(s: int) -> float:
        f = min(1.0, (s + 1) / max(1, cfg.warmup))
        if cfg.cosine_decay:
            f *= cosine(deadline.used(s, cfg.steps))
        return f

    sched_lr = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    params, ema_params = list(net.parameters()), list(ema.parameters())
    n, B = len(x_all), cfg.batch_size
    perm, pos = None, n
    running = None
    cadence = Cadence(every, seconds)
    for step in range(1, cfg.steps + 1):
        if pos + B > n:
            perm, pos = torch.randperm(n, generator=g_dev, device=dev), 0
        idx = perm[pos:pos + B]
        pos += B
        loss = loss_fn(net, sched, x_all[idx], g_dev, y_all[idx] if cfg.num_classes else None,
                       cfg.p_uncond, bf16=cfg.bf16 and cuda)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched_lr.step()
        model.steps += 1
        with torch.no_grad():
            torch._foreach_lerp_(ema_params, params, 1 - cfg.ema)
            running = loss.detach() if running is None else running.mul(0.98).add_(loss.detach(), alpha=0.02)
        last = step == cfg.steps or deadline.passed()
        if cadence.due(step) or last:
            pv = preview(model) if step % preview_every == 0 or last else None
            yield Record(model.steps, {"loss": loss.item()}, {"loss_avg": running.item()}, pv, done=last, model=model)
        if last:
            return


# ===========================================================================
# Checkpoints
# ===========================================================================
def save(model: DDPM, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    """``eps_model`` = the EMA weights (used for sampling), ``eps_model_raw`` = the raw ones (to continue)."""
    cfg = model.cfg
    card = checkpoints.card(
        FAMILY, cfg, f"{cfg.dataset} train (60k)", model.steps,
        device_description(next(model.parameters()).device), metrics, command, seconds,
        params=sum(p.numel() for p in model.eps_model.parameters()),
        note="eps_model = EMA weights (used for sampling); eps_model_raw = raw weights (to continue training)")
    card = checkpoints.save(path, {"eps_model": model.ema, "eps_model_raw": model.eps_model}, card)
    model.card = card
    return card


def load(path) -> DDPM:
    """The DDPM of checkpoint ``path`` on the CPU, in eval mode, ``.card`` set. Cards written before
    the newer Config fields existed load as the first network (those fields' defaults)."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    cfg.mults = tuple(int(m) for m in cfg.mults)
    model = DDPM(cfg)
    model.ema.load_state_dict(checkpoints.unflatten(tensors, "eps_model"))
    model.eps_model.load_state_dict(checkpoints.unflatten(tensors, "eps_model_raw"))
    model.steps, model.card = int(card.get("steps") or 0), card
    return model.eval()


# ===========================================================================
# Evaluation
# ===========================================================================
CARD_EVAL: dict = {}       # the card's metrics after `train`: evaluate's defaults (10,000 samples, DDIM-50)


def evaluate(model: DDPM, *, n: int | None = None, seed: int = 0, sampler: str = "ddim", steps: int | None = None,
             guidance: float | None = None) -> dict:
    """The card's metrics (FLD / KID / IS against the test set, on ``n`` samples, default 10,000), on the
    device the model is on (bfloat16 on a GPU). A class-conditional model is asked for n/10 images of each digit, at guidance w."""
    from .metrics import image_metrics

    n = n or 10_000
    check_sampling(model, sampler, steps, 0.0, 0 if guidance is not None and model.num_classes else None, guidance)
    steps = steps or DEFAULT_STEPS.get(sampler)
    info = {"sampler": sampler, "sampler_steps": model.cfg.T if sampler == "ddpm" else steps}
    dataset = model.cfg.dataset
    bf16 = next(model.parameters()).device.type == "cuda"       # on a GPU (where the caller put it): bfloat16
    if model.num_classes:
        return {**evaluate_conditional(model, dataset, n, seed, sampler, steps, guidance, bf16=bf16), **info}
    fake = sample(model, n, seed=seed, sampler=sampler, steps=steps, bf16=bf16)
    m = image_metrics(fake, data.load(dataset, "test")[0], data.load(dataset, "train")[0], task=dataset)
    return {**m, **info}



def evaluate_conditional(model: DDPM, dataset: str = "mnist", n: int = 10_000, seed: int = 0, sampler: str = "ddim",
                         steps: int | None = 50, guidance: float | None = None,
                         sweep=GUIDANCE_SWEEP, sweep_n: int = 1000, bf16: bool = False) -> dict:
    """Per-digit accuracy (our MNIST classifier), FLD of all samples against all test digits and of
    each digit's samples against that digit's test images (with its floor: test vs train of that
    digit, same count), and a guidance sweep (accuracy, FLD, IS against w at ``sweep_n`` samples)."""
    from .metrics import fld, image_metrics, inception_score, load_classifier

    k, w = model.num_classes, DEFAULT_GUIDANCE if guidance is None else float(guidance)
    sweep_n = min(sweep_n, n)
    x_test, y_test = data.load(dataset, "test")
    x_train, y_train = data.load(dataset, "train")
    net = load_classifier(dataset)
    labels = torch.arange(n) % k
    fake = sample(model, n, seed=seed, sampler=sampler, steps=steps, bf16=bf16, label=labels, guidance=w)
    metrics = image_metrics(fake, x_test, x_train, task=dataset, net=net)
    pred = predict(net, fake)
    per_class = []
    for c in range(k):
        mine, real = fake[labels == c], x_test[y_test == c][: int((labels == c).sum())]
        per_class.append({"label": c, "accuracy": float((pred[labels == c] == c).float().mean()),
                          "fld": fld(real, mine, net),
                          "fld_floor": fld(real, x_train[y_train == c][: len(real)], net), "n": len(mine)})
    rows = []
    for ws in sweep:
        lab = torch.arange(sweep_n) % k
        xs = sample(model, sweep_n, seed=seed + 1, sampler=sampler, steps=steps, bf16=bf16, label=lab, guidance=ws)
        rows.append({"guidance": ws, "accuracy": float((predict(net, xs) == lab).float().mean()),
                     "fld": fld(x_test[:sweep_n], xs, net), "inception_score": inception_score(xs, net)[0]})
    unconditional = sample(model, sweep_n, seed=seed + 2, sampler=sampler, steps=steps, bf16=bf16)
    return {**metrics, "guidance": w, "accuracy": float((pred == labels).float().mean()),
            "min_class_accuracy": min(r["accuracy"] for r in per_class), "per_class": per_class,
            "guidance_sweep": {"n": sweep_n, "fld_floor": fld(x_test[:sweep_n], x_train[:sweep_n], net), "rows": rows},
            "unconditional_fld": fld(x_test[:sweep_n], unconditional, net)}


def quality_table(model: DDPM, n: int = 2000, seed: int = 0, evaluations=(5, 10, 20, 50),
                  samplers=("ddpm", "ddim", "dpmpp"), spacing: str = "trailing", bf16: bool = False,
                  dataset: str = "mnist", echo=None) -> dict:
    """Sample quality against network evaluations: FLD and classifier IS of n samples per cell.

    'ddpm' at k < T evaluations is ancestral sampling on the k spaced timesteps (DDIM with η = 1,
    the same posterior variance), at k = T exactly :class:`DDPMScheduler`; 'ddim' is η = 0;
    'dpmpp' DPM-Solver++ (2M). One evaluation = one call of ε_θ. ``fld_floor``: real test vs
    real train images at the same n (a perfect sampler's expected FLD).
    """
    from .metrics import fld, inception_score, load_classifier

    net = load_classifier(dataset)
    x_test, x_train = data.load(dataset, "test")[0][:n], data.load(dataset, "train")[0][:n]
    table = {"n": n, "seed": seed, "spacing": spacing, "fld_floor": fld(x_test, x_train, net), "rows": []}
    for k in evaluations:
        for name in samplers:
            sampler, eta = ("ddim", 1.0) if name == "ddpm" and k != model.cfg.T else (name, 0.0)
            t0 = time.perf_counter()
            x = sample(model, n, seed=seed, sampler=sampler, steps=None if sampler == "ddpm" else k, eta=eta,
                       bf16=bf16, spacing=spacing)
            row = {"sampler": name, "evaluations": k, "fld": fld(x_test, x, net),
                   # one split: with 10 splits of a few hundred, a digit absent from a split gives 0·log 0 = NaN
                   "inception_score": inception_score(x, net, splits=1)[0], "seconds": round(time.perf_counter() - t0, 2)}
            table["rows"].append(row)
            if echo:
                echo(row)
    return table


@torch.no_grad()
def predict(net, x: torch.Tensor) -> torch.Tensor:
    """The MNIST classifier's digit for each image (N, 28, 28) or (N, 1, 28, 28) in [0, 1]."""
    dev = next(net.parameters()).device
    x = x.reshape(-1, 1, 28, 28)
    return torch.cat([net(x[i:i + 2000].to(dev)).argmax(1).cpu() for i in range(0, len(x), 2000)])


# ===========================================================================
# Options of `sample` / `eval` on the command line
# ===========================================================================
SAMPLE_OPTIONS = (
    Option("sampler", str, "ddim", "ddim | ddpm | dpmpp (DPM-Solver++ 2M)"),
    Option("steps", int, None, "network evaluations: ddim 50, dpmpp 20 when not given; ddpm always uses all T"),
    Option("eta", float, 0.0, "DDIM's η: 0 deterministic, 1 as noisy as DDPM"),
    Option("label", parse_labels, None, "the digit to draw, or one per image comma-separated (0,1,2,…: as many as "
                                        "--n) (class-conditional checkpoints); not given = unconditional"),
    Option("guidance", float, None, f"w in ε̃ = ε_θ(x_t,t,∅) + w·(ε_θ(x_t,t,y) − ε_θ(x_t,t,∅)); 1 = no guidance; "
                                     f"{DEFAULT_GUIDANCE} when a label is given"),
)
EVAL_OPTIONS = (
    Option("sampler", str, "ddim", "ddim | ddpm | dpmpp"),
    Option("steps", int, None, "network evaluations (ddim 50, dpmpp 20)"),
    Option("guidance", float, None, f"class-conditional checkpoints: w (default {DEFAULT_GUIDANCE})"),
)
GUIDANCE_MAX = 20.0


def check_sampling(model, sampler: str, steps: int | None, eta: float = 0.0, label=None,
                   guidance: float | None = None) -> None:
    """A clear ValueError for any option out of range (the CLI prints it)."""
    T = config_of(model).T
    if sampler not in SAMPLERS:
        raise ValueError(f"--sampler must be one of {', '.join(SAMPLERS)}, got '{sampler}'")
    if steps is not None and sampler == "ddpm" and steps != T:
        raise ValueError(f"ddpm samples with all T = {T} steps; use --sampler ddim or dpmpp for {steps} steps")
    if steps is not None and not 1 <= steps <= T:
        raise ValueError(f"--steps must be in 1..{T}, got {steps}")
    if not (math.isfinite(eta) and 0 <= eta <= 1):
        raise ValueError(f"--eta must be in [0, 1], got {eta}")
    if eta and sampler != "ddim":
        raise ValueError("--eta applies to the ddim sampler only")
    if label is not None:
        try:
            count = torch.as_tensor(label).numel()
        except (TypeError, ValueError, RuntimeError):
            count = 1                                # as_labels says what is wrong with it
        as_labels(eps_network(model), label, count, "cpu")
    if guidance is not None:
        if label is None:
            raise ValueError("--guidance needs --label (the digit to guide towards)")
        if not (math.isfinite(guidance) and 0 <= guidance <= GUIDANCE_MAX):
            raise ValueError(f"--guidance must be in [0, {GUIDANCE_MAX:g}], got {guidance}")
