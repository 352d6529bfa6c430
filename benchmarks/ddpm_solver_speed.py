"""Benchmark: 16 images with DPM-Solver++ (2M) in 10 steps against DDIM in 50, on two CPU threads.

    python benchmarks/ddpm_solver_speed.py [--checkpoint checkpoints/ddpm-mnist] [--repeats 7] [--threads 2]
        [--fp32]

Both sample the same checkpoint's EMA network through ``genmodels.ddpm.sample`` (as the tab and the
CLI do), bfloat16 autocast as the tab's default (``--fp32`` to switch it off). The two runs alternate,
the order reversed every other round (A B, B A, …), after one warm-up each; the medians and their
ratio are printed. Issue 19's goal: 16 DPM-Solver++ images in ≤ 0.35 s on two cores.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import checkpoints, ddpm  # noqa: E402

from _common import interleaved, medians  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=str(checkpoints.CHECKPOINT_DIR / "ddpm-mnist"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--fp32", action="store_true", help="no bfloat16 autocast")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = ddpm.load(a.checkpoint)
    bf16 = not a.fp32
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {a.checkpoint} "
          f"({model.card.get('params', 0):,} parameters), {a.n} images, {'bf16' if bf16 else 'fp32'}")
    runs = {"DDIM-50": lambda: ddpm.sample(model, a.n, seed=0, sampler="ddim", steps=50, bf16=bf16),
            "DPM-Solver++ 10": lambda: ddpm.sample(model, a.n, seed=0, sampler="dpmpp", steps=10, bf16=bf16)}
    for f in runs.values():
        f()                                                   # warm-up
    times = interleaved(runs, a.repeats)
    med = medians(times)
    for k, v in times.items():
        print(f"{k:16s} median {med[k]:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in v)})")
    print(f"ratio DPM-Solver++ 10 / DDIM-50: {med['DPM-Solver++ 10'] / med['DDIM-50']:.3f}")


if __name__ == "__main__":
    main()
