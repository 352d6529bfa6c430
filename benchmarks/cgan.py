"""Benchmark: sampling 16 digits on the CPU (issue 17), the conditional GAN vs the unconditional DCGAN.

    python benchmarks/cgan.py [--repeats 20] [--n 16] [--checkpoint checkpoints/cgan-mnist]

The cGAN's G_ema (default config: nz 64 + 10 label inputs, ngf 48) against the DCGAN's default
generator (nz 100, ngf 64), both with fresh weights unless a cGAN checkpoint is given (weights
do not change the cost). Rounds interleaved; medians in ms and the ratio cGAN / DCGAN.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import cgan, dcgan  # noqa: E402

from _common import interleaved, medians  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--checkpoint", default="")
    a = ap.parse_args()
    model = cgan.load(a.checkpoint) if a.checkpoint else cgan.build(cgan.Config())
    uncond = dcgan.build(dcgan.Config())
    runs = {"cgan": lambda s: cgan.sample(model, a.n, seed=s, label=s % 10),
            "dcgan": lambda s: dcgan.sample(uncond, a.n, seed=s)}
    for fn in runs.values():                      # warm-up
        fn(0)
    times = {k: [t * 1000 for t in v] for k, v in interleaved(runs, a.repeats, pass_round=True).items()}
    med = medians(times)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.n} samples, {a.repeats} interleaved rounds")
    for k, v in med.items():
        print(f"  {k:6s} median {v:7.1f} ms   (min {min(times[k]):.1f}, max {max(times[k]):.1f})")
    print(f"  ratio cgan / dcgan: {med['cgan'] / med['dcgan']:.2f}")


if __name__ == "__main__":
    main()
