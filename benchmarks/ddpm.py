"""Benchmarks for the DDPM tab (diffusers is a test/benchmark-only dependency).

    python benchmarks/ddpm.py [--repeats 5] [--ddpm-repeats 2] [--only all|solvers|unet] [--n 16]

1. --n (16) samples with DDIM-50: our loop in float32 and with bfloat16 autocast, and diffusers'
   DDIMScheduler driving the same UNet (float32), interleaved; medians and ratio ours/diffusers.
2. 4 samples with DDPM-1000 (skipped with --ddpm-repeats 0): ours vs diffusers' DDPMScheduler, interleaved; and the
   scheduler step alone, the only part where the two loops differ.
3. The tab's generate(): time to its first frame (x_T) and to its first denoised frame.
4. (--only solvers) 16 samples: DPM-Solver++ (2M) with 10 steps vs DDIM-50, bf16 and fp32, interleaved.
5. (--only unet) one ε_θ evaluation at batch 16: the first UNet (ch 32) vs the v2 size (ch 48) and
   fp32 and bf16, interleaved (random weights: cost only).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import checkpoints, ddpm  # noqa: E402
from genmodels.common import seeded  # noqa: E402

from _common import interleaved_medians  # noqa: E402


@torch.no_grad()
def diffusers_loop(model, scheduler, n: int, seed: int) -> torch.Tensor:
    x = torch.randn(n, 1, 28, 28, generator=seeded(seed))
    g = seeded(seed + 1)
    for t in scheduler.timesteps:
        eps = model(x, torch.full((n,), int(t), dtype=torch.long))
        x = scheduler.step(eps, t, x, generator=g).prev_sample
    return x


UNET_SIZES = {"v1 ch32": {}, "v2 ch48": {"ch": 48}}


def unet_cost(repeats: int) -> None:
    x, t = torch.randn(16, 1, 28, 28, generator=seeded(0)), torch.full((16,), 500)
    runs = {}
    for name, arch in UNET_SIZES.items():
        m = ddpm.UNet(**arch).eval()
        p = sum(q.numel() for q in m.parameters())
        print(f"{name:26s} {p / 1e6:.2f}M parameters, EMA + raw weights {2 * 4 * p / 2**20:.1f} MiB")

        def fp32(m=m):
            with torch.no_grad():
                for _ in range(5):
                    m(x, t)

        def bf16(m=m):
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                for _ in range(5):
                    m(x, t)
        runs[f"{name} fp32"], runs[f"{name} bf16"] = fp32, bf16
    for f in runs.values():
        f()
    med = interleaved_medians(runs, repeats)
    for k, v in med.items():
        base = med[("v1 ch32 " + k.rsplit(" ", 1)[1])]
        print(f"one evaluation at batch 16, {k:32s} median {v / 5 * 1000:6.1f} ms  ({v / base:.2f}x v1)")


def solvers(model, repeats: int) -> None:
    runs = {
        "DDIM-50 bf16": lambda: ddpm.sample(model, 16, seed=0, steps=50, bf16=True),
        "DPM-Solver++ 10 bf16": lambda: ddpm.sample(model, 16, seed=0, sampler="dpmpp", steps=10, bf16=True),
        "DDIM-50 fp32": lambda: ddpm.sample(model, 16, seed=0, steps=50),
        "DPM-Solver++ 10 fp32": lambda: ddpm.sample(model, 16, seed=0, sampler="dpmpp", steps=10),
    }
    for f in runs.values():
        f()
    med = interleaved_medians(runs, repeats)
    for k, v in med.items():
        print(f"16 samples, {k:22s} median {v:.3f} s")
    for kind in ("bf16", "fp32"):
        print(f"DPM-Solver++ 10 / DDIM-50 ({kind}): {med[f'DPM-Solver++ 10 {kind}'] / med[f'DDIM-50 {kind}']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--ddpm-repeats", type=int, default=2, help="0: skip the DDPM-1000 comparison")
    ap.add_argument("--n", type=int, default=16, help="images in the DDIM-50 comparison")
    ap.add_argument("--only", default="all", choices=["all", "solvers", "unet"])
    ap.add_argument("--checkpoint", default=str(checkpoints.CHECKPOINT_DIR / "ddpm-mnist"))
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    if a.only == "unet":
        return unet_cost(a.repeats)
    model = ddpm.load(a.checkpoint)
    print(f"{a.checkpoint}: {model.card['params']:,} parameters")
    if a.only == "solvers":
        return solvers(model, a.repeats)
    import diffusers

    T = model.cfg.T
    ddim = diffusers.DDIMScheduler(num_train_timesteps=T, beta_schedule="linear", timestep_spacing="trailing")
    ddim.set_timesteps(50)
    ref_ddpm = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="linear")
    ref_ddpm.set_timesteps(T)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), diffusers {diffusers.__version__}")

    runs = {
        "ours DDIM-50 fp32": lambda: ddpm.sample(model, a.n, seed=0, steps=50),
        "ours DDIM-50 bf16": lambda: ddpm.sample(model, a.n, seed=0, steps=50, bf16=True),
        "diffusers DDIM-50 fp32": lambda: diffusers_loop(model.ema, ddim, a.n, 0),
    }
    for f in runs.values():
        f()                                                     # warm-up
    med = interleaved_medians(runs, a.repeats)
    for k, v in med.items():
        print(f"{a.n} samples, {k:24s} median {v:.3f} s")
    print(f"ratio ours/diffusers (fp32): {med['ours DDIM-50 fp32'] / med['diffusers DDIM-50 fp32']:.3f}; "
          f"bf16/diffusers: {med['ours DDIM-50 bf16'] / med['diffusers DDIM-50 fp32']:.3f}")

    if a.ddpm_repeats > 0:
        sm = interleaved_medians({"ours DDPM-1000": lambda: ddpm.sample(model, 4, seed=0, sampler="ddpm"),
                                  "diffusers DDPM-1000": lambda: diffusers_loop(model.ema, ref_ddpm, 4, 0)},
                                 a.ddpm_repeats)
        for k, v in sm.items():
            print(f"4 samples, {k:21s} median {v:.2f} s")
        print(f"ratio ours/diffusers (DDPM-1000): {sm['ours DDPM-1000'] / sm['diffusers DDPM-1000']:.3f}")

    # the scheduler step alone (the only part that differs between the two loops)
    x, e = torch.randn(16, 1, 28, 28), torch.randn(16, 1, 28, 28)
    ours_s = ddpm.DDPMScheduler(T)
    step_t = {}
    for name, step in (("ours", lambda t: ours_s.step(e, t, x, generator=seeded(0))),
                       ("diffusers", lambda t: ref_ddpm.step(e, t, x, generator=seeded(0)))):
        t0 = time.perf_counter()
        for t in range(T - 1, -1, -1):
            step(t)
        step_t[name] = (time.perf_counter() - t0) / T
    print(f"DDPM scheduler step alone (16 images): ours {step_t['ours'] * 1e6:.0f} µs, diffusers "
          f"{step_t['diffusers'] * 1e6:.0f} µs, ratio {step_t['ours'] / step_t['diffusers']:.2f}")

    from demos import ddpm as tab
    first, second = [], []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        gen = tab.generate("DDIM", 50, 0.0, 0, 16, True)
        next(gen)
        first.append(time.perf_counter() - t0)
        next(gen)
        second.append(time.perf_counter() - t0)
        gen.close()
    print(f"tab generate(): first frame (x_T) after {statistics.median(first) * 1000:.0f} ms, first denoised frame "
          f"after {statistics.median(second) * 1000:.0f} ms (median of {a.repeats})")


if __name__ == "__main__":
    main()
