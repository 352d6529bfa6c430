"""Benchmark: DCGAN training steps/s at batch 64 and sampling 64 images, ours vs a plain reference.

    python benchmarks/dcgan.py [--steps 60] [--repeats 3]

The reference is the textbook loop (pytorch/examples' dcgan, sized for 28×28: the same
networks, torch.randn noise, BCELoss on sigmoid outputs, no records, no EMA). Ours is
genmodels.dcgan.train (seeded batches, EMA generator, progress records) and dcgan.sample.
Interleaved rounds; medians and ratios (ours / reference; above 1 = ours faster for steps/s).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import data, dcgan  # noqa: E402
from genmodels.common import to_model  # noqa: E402


def reference_steps(n: int, batch: int = 64) -> float:
    G, D = dcgan.Generator(), dcgan.Discriminator()
    x_all = to_model(data.load("mnist", "train")[0])
    crit = nn.BCELoss()
    oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    t0 = time.perf_counter()
    for i in range(n):
        real = x_all[torch.randint(len(x_all), (batch,))]
        ones, zeros = torch.ones(batch), torch.zeros(batch)
        D.zero_grad()
        fake = G(torch.randn(batch, 100, 1, 1))
        (crit(torch.sigmoid(D(real)), ones) + crit(torch.sigmoid(D(fake.detach())), zeros)).backward()
        oD.step()
        G.zero_grad()
        crit(torch.sigmoid(D(fake)), ones).backward()
        oG.step()
    return n / (time.perf_counter() - t0)


def our_steps(n: int, batch: int = 64) -> float:
    cfg = dcgan.Config(steps=n, batch_size=batch, device="cpu")
    t0 = time.perf_counter()
    for _ in dcgan.train(cfg, log_every=10**9, preview_every=10**9):
        pass
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    data.load("mnist", "train")
    train = {"ours": [], "reference": []}
    for _ in range(a.repeats):
        train["ours"].append(our_steps(a.steps))
        train["reference"].append(reference_steps(a.steps))
    G = dcgan.Generator().eval()
    samp = {"ours": [], "reference": []}
    for _ in range(a.repeats * 10):
        t0 = time.perf_counter()
        dcgan.sample(G, 64, seed=0)
        samp["ours"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with torch.no_grad():
            ((G(torch.randn(64, 100, 1, 1)) + 1) / 2)
        samp["reference"].append(time.perf_counter() - t0)
    m = {k: statistics.median(v) for k, v in train.items()}
    s = {k: statistics.median(v) for k, v in samp.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"training, batch 64: ours {m['ours']:.1f} steps/s, reference {m['reference']:.1f} steps/s, "
          f"ratio {m['ours'] / m['reference']:.2f}")
    print(f"sampling 64 images: ours {s['ours'] * 1000:.1f} ms, reference {s['reference'] * 1000:.1f} ms, "
          f"time ratio {s['ours'] / s['reference']:.2f}")


if __name__ == "__main__":
    main()
