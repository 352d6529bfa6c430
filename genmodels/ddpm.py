"""DDPM on MNIST: learn to reverse a noising process (Ho et al. 2020; seed decks 000, 001).

Forward (fixed):   q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I)
                   q(x_t | x_0)     = N(√ᾱ_t x_0, (1-ᾱ_t) I),   ᾱ_t = Π_{s≤t} (1-β_s)
Training:          ∇_θ ‖ε − ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖²,  t ~ U{1..T}, ε ~ N(0, I)
Sampling (DDPM):   x_{t-1} = 1/√α_t (x_t − β_t/√(1-ᾱ_t) ε_θ(x_t, t)) + σ_t z

Kept apart as in diffusers: the *model* ε_θ (a small UNet), the *schedulers*
(:class:`DDPMScheduler`, :class:`DDIMScheduler`, each with ``step()``) and the
*pipeline* (:func:`denoise`, a generator that yields every step's x_t and x̂_0).
Timesteps are 0-based in code (t = 0 … T-1), as in diffusers.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, batches, device, device_description, init_default, seeded, to_model, to_unit
from .progress import Record

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

    def set_timesteps(self, n: int | None = None) -> None:
        """DDPM visits every t; ``n`` other than T is refused (use DDIM for fewer steps)."""
        if n not in (None, self.T):
            raise ValueError(f"DDPM samples with all T = {self.T} steps; choose DDIM for {n} steps")

    def add_noise(self, x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε   (the closed form q(x_t | x_0))."""
        ab = self.alphas_cumprod.to(x0.device)[t].float().view(-1, 1, 1, 1)
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


class DDIMScheduler(DDPMScheduler):
    """DDIM (Song et al. 2021): same betas, any number of steps; η = 0 is deterministic."""

    def __init__(self, *args, eta: float = 0.0, **kw):
        super().__init__(*args, **kw)
        self.eta = eta
        self.set_timesteps(50)

    def set_timesteps(self, n: int | None = None) -> None:
        n = n or 50
        if not 1 <= n <= self.T:
            raise ValueError(f"DDIM steps must be in 1..{self.T}, got {n}")
        ratio = self.T // n
        self.timesteps = torch.arange(0, n) * ratio
        self.timesteps = self.timesteps.flip(0)  # e.g. 980, 960, ..., 0 (diffusers' "leading" spacing)
        self.step_ratio = ratio

    def step(self, eps, t: int, x_t, generator=None):
        prev_t = t - self.step_ratio
        ab = float(self.alphas_cumprod[t])
        ab_prev = float(self.alphas_cumprod[prev_t]) if prev_t >= 0 else 1.0
        x0 = self.pred_x0(x_t, eps, t)
        eps = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)       # ε re-derived from the clipped x̂_0
        sigma = self.eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
        x_prev = math.sqrt(ab_prev) * x0 + math.sqrt(max(0.0, 1 - ab_prev - sigma ** 2)) * eps
        if sigma > 0:
            z = torch.randn(x_t.shape, generator=generator, device=generator.device if generator else "cpu")
            x_prev = x_prev + sigma * z.to(x_t.device)
        return x_prev, x0


def scheduler(sampler: str, T: int, schedule: str, eta: float = 0.0, steps: int | None = None) -> DDPMScheduler:
    if sampler == "ddpm":
        s = DDPMScheduler(T, schedule)
    elif sampler == "ddim":
        s = DDIMScheduler(T, schedule, eta=eta)
    else:
        raise ValueError(f"sampler must be 'ddpm' or 'ddim', got '{sampler}'")
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
    """28 -> 14 -> 7 (attention) -> 14 -> 28, skip connections across, t added in every block."""

    def __init__(self, ch: int = 32, mults: tuple[int, ...] = (1, 2, 2)):
        super().__init__()
        t_dim = ch * 4
        self.ch = ch
        self.t_mlp = nn.Sequential(nn.Linear(ch, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.conv_in = nn.Conv2d(1, ch, 3, padding=1)
        chans = [ch * m for m in mults]
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c = ch
        skips = [c]
        for i, co in enumerate(chans):
            self.down.append(ResBlock(c, co, t_dim))
            c = co
            skips.append(c)
            if i < len(chans) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid1, self.mid_attn, self.mid2 = ResBlock(c, c, t_dim), Attention(c), ResBlock(c, c, t_dim)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, co in reversed(list(enumerate(chans))):
            self.up.append(ResBlock(c + skips.pop(), co, t_dim))
            c = co
            if i > 0:
                self.upsample.append(nn.ConvTranspose2d(c, c, 4, stride=2, padding=1))
        self.out = nn.Sequential(nn.GroupNorm(8, c + skips.pop()), nn.SiLU(), nn.Conv2d(c + ch, 1, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.t_mlp(timestep_embedding(t, self.ch))
        h = self.conv_in(x)
        hs = [h]
        for i, block in enumerate(self.down):
            h = block(h, temb)
            hs.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid2(self.mid_attn(self.mid1(h, temb)), temb)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, hs.pop()], 1), temb)
            if i < len(self.upsample):
                h = self.upsample[i](h)
        return self.out(torch.cat([h, hs.pop()], 1))


# ===========================================================================
# Pipeline: the reverse process as a generator of frames
# ===========================================================================
@torch.no_grad()
def denoise(model: UNet, sched: DDPMScheduler, x_T: torch.Tensor, seed: int = 0, every: int = 1,
            t_start: int | None = None, bf16: bool = False):
    """Run the reverse process from x_T, yielding (t, x_t, x̂_0) after each shown step.

    ``every``: yield every k-th step (always the last). ``t_start``: begin at
    this t instead of T-1 (SDEdit: x_T is then a noised image at t_start).
    ``bf16``: run ε_θ under bfloat16 autocast (about 2× faster on a CPU); the
    scheduler arithmetic stays float32. Images stay in model space [-1, 1].
    """
    model.eval()
    dev = next(model.parameters()).device
    g = seeded(seed)
    x = x_T.to(dev)
    ts = [int(t) for t in sched.timesteps if t_start is None or int(t) <= t_start]
    for i, t in enumerate(ts):
        t_batch = torch.full((len(x),), t, device=dev, dtype=torch.long)
        if bf16:
            with torch.autocast(dev.type, dtype=torch.bfloat16):
                eps = model(x, t_batch).float()
        else:
            eps = model(x, t_batch)
        x, x0 = sched.step(eps, t, x, generator=g)
        if (i + 1) % every == 0 or i == len(ts) - 1:
            yield t, x, x0


def sample(model: UNet, n: int, seed: int = 0, sampler: str = "ddim", steps: int = 50, eta: float = 0.0,
           schedule: str | None = None, T: int | None = None, batch: int = 1000, bf16: bool = False) -> torch.Tensor:
    """n images in [0, 1], (n, 28, 28). x_T ~ N(0, I) drawn on the CPU from ``seed``."""
    cfg = getattr(model, "config", None)
    sched = scheduler(sampler, T or (cfg.T if cfg else 1000), schedule or (cfg.schedule if cfg else "linear"),
                      eta, steps if sampler == "ddim" else None)
    out = []
    for i in range(0, n, batch):
        x_T = torch.randn(min(batch, n - i), 1, 28, 28, generator=seeded(seed * 7919 + i))
        *_, (t, x, x0) = denoise(model, sched, x_T, seed=seed * 7919 + i + 1, every=10**9, bf16=bf16)
        out.append(to_unit(x).cpu()[:, 0])
    return torch.cat(out)


# ===========================================================================
# Training
# ===========================================================================
@dataclass
class Config:
    dataset: str = "mnist"
    T: int = 1000
    schedule: str = "linear"
    ch: int = 32
    steps: int = 30_000
    batch_size: int = 128
    lr: float = 2e-4
    warmup: int = 500
    ema: float = 0.999
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0

    def validate(self) -> "Config":
        if self.dataset not in ("mnist", "fashion"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion', got '{self.dataset}'")
        betas_for(self.schedule, 2)
        if not (10 <= self.T <= 4000 and 8 <= self.ch <= 256 and 1 <= self.steps <= 10_000_000):
            raise ValueError("T must be in 10..4000, ch in 8..256, steps ≥ 1")
        return self


def loss_fn(model: UNet, sched: DDPMScheduler, x0: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """‖ε − ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖²  (the 'simple' loss, averaged)."""
    t = torch.randint(0, sched.T, (len(x0),), generator=g).to(x0.device)
    eps = torch.randn(x0.shape, generator=g).to(x0.device)
    x_t = sched.add_noise(x0, eps, t)
    return nn.functional.mse_loss(model(x_t, t), eps)


def build(cfg: Config, g: torch.Generator) -> UNet:
    m = UNet(cfg.ch)
    init_default(m, g)
    m.config = cfg
    return m


def train(cfg: Config, networks=None, log_every: int = 100, preview_every: int = 1000):
    """Yields Records (loss); ``networks`` = (model, ema) continues. Last: preview['networks']."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    model, ema = networks if networks is not None else (build(cfg, g), None)
    model.to(dev).train()
    ema = ema or copy.deepcopy(model)
    ema.to(dev).eval().requires_grad_(False)
    model.config = ema.config = cfg
    sched = DDPMScheduler(cfg.T, cfg.schedule)
    x_train, _ = data.load(cfg.dataset, "train")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup)))
    stream = batches(x_train, cfg.batch_size, g)
    deadline = Deadline(cfg.max_seconds)
    running = None
    for step in range(1, cfg.steps + 1):
        x0 = to_model(next(stream)).to(dev, non_blocking=True)
        loss = loss_fn(model, sched, x0, g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        warm.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - cfg.ema)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        last = step == cfg.steps or deadline.passed()
        if step % log_every == 0 or last:
            pv = None
            if step % preview_every == 0 or last:
                pv = {"samples": sample(ema, 16, seed=0, steps=20)}
                if last:
                    pv["networks"] = (model, ema)
            yield Record(step, {"loss": loss.item(), "loss_avg": running}, {}, pv, done=last)
        if last:
            return


# ===========================================================================
# Checkpoints and CLI
# ===========================================================================
def save(path, model: UNet, ema: UNet, cfg: Config, steps: int, metrics: dict, command: str = "", seconds=None):
    card = checkpoints.card(
        FAMILY, cfg, f"{cfg.dataset} train (60k)", steps, device_description(next(model.parameters()).device),
        metrics, command, seconds, params=sum(p.numel() for p in model.parameters()),
        note="eps_model = EMA weights (used for sampling); eps_model_raw = raw weights (to continue training)")
    return checkpoints.save(path, {"eps_model": ema, "eps_model_raw": model}, card)


def load(path, raw: bool = False):
    """(EMA model, raw model, card)."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    ema, model = UNet(cfg.ch), UNet(cfg.ch)
    ema.load_state_dict(checkpoints.unflatten(tensors, "eps_model"))
    model.load_state_dict(checkpoints.unflatten(tensors, "eps_model_raw"))
    ema.config = model.config = cfg
    return ema.eval(), model, card


def evaluate(model: UNet, dataset: str = "mnist", n: int = 10_000, seed: int = 0, sampler: str = "ddim",
             steps: int = 50) -> dict:
    from .metrics import image_metrics

    fake = sample(model, n, seed, sampler=sampler, steps=steps)
    m = image_metrics(fake, data.load(dataset, "test")[0], data.load(dataset, "train")[0], task=dataset)
    return {**m, "sampler": sampler, "sampler_steps": steps if sampler == "ddim" else model.config.T}


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    for r in train(cfg, log_every=max(1, min(1000, cfg.steps // 20)), preview_every=10**9):
        echo(f"step {r.step:7d}  loss {r.losses['loss']:.4f}  (avg {r.losses['loss_avg']:.4f})  {time.perf_counter() - t0:.0f} s")
    model, ema = r.preview["networks"]
    return save(out, model, ema, cfg, r.step, {}, command, round(time.perf_counter() - t0, 1))


def cli_sample(path, n: int, seed: int):
    ema, _, _ = load(path)
    ema.to(device("auto"))
    return sample(ema, n, seed).numpy()


def cli_eval(path, n=None, seed=0) -> dict:
    ema, _, card = load(path)
    ema.to(device("auto"))
    return evaluate(ema, card["config"]["dataset"], n or 10_000, seed)
