"""Benchmark: DCGAN training steps/s at batch 64 and sampling 64 images, ours vs a plain reference.

    python benchmarks/dcgan.py [--steps 60] [--repeats 3]
    python benchmarks/dcgan.py --live 16 32 [--live-steps 400] [--out DIR]
    python benchmarks/dcgan.py --step-cost 16 64 [--steps 60] [--repeats 3]

``--live B ...``: the tab's live run from scratch at each batch size B, as the tab streams it
(a record every 0.25 s, the fixed-noise grid every few records): seconds to each grid, steps/s,
and how recognisable the 64 fixed-noise samples are (mean top-class probability of the MNIST
classifier, real test digits: 0.99; number of classes among them), the diversity ratio and the
losses, with the grids saved as PNGs in DIR. Batch sizes alternate every round.

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

from _common import interleaved_medians, round_robin  # noqa: E402


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
    for _ in dcgan.train(cfg, seconds=0, log_every=10**9, preview_every=10**9):
        pass
    return n / (time.perf_counter() - t0)


def step_cost(batch_sizes: list[int], steps: int, repeats: int) -> None:
    """Seconds per training step (wall and CPU of this process) at each batch size, set-up excluded
    (timed from the first record to the last), rounds interleaved; medians."""
    import os
    wall = {b: [] for b in batch_sizes}
    cpu = {b: [] for b in batch_sizes}
    for _ in range(repeats):
        for b in batch_sizes:
            run = dcgan.train(dcgan.Config(steps=steps + 1, batch_size=b, device="cpu"), seconds=0, log_every=1,
                              preview_every=10**9)
            next(run)
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in run:
                pass
            wall[b].append((time.perf_counter() - t0) / steps)
            cpu[b].append((time.process_time() - c0) / steps)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()}")
    for b in batch_sizes:
        print(f"batch {b:3d}: {statistics.median(wall[b]) * 1000:.0f} ms per step (wall), "
              f"{statistics.median(cpu[b]) * 1000:.0f} ms CPU per step")


def live(batch_sizes: list[int], steps: int, out: Path, every: int = 25) -> None:
    """From scratch at each batch size, side by side: quality and seconds at every grid."""
    import os

    from PIL import Image

    from genmodels import metrics
    clf = metrics.load_classifier("mnist").eval()
    out.mkdir(parents=True, exist_ok=True)
    runs = {b: dcgan.train(dcgan.Config(steps=steps, batch_size=b, seed=0, device="cpu", ema_warmup=True), seconds=0,
                           log_every=every, preview_every=every) for b in batch_sizes}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()}")
    for b, r, clock, cpu in round_robin(runs):                  # alternate: each run gets the machine in turn
        print(f"batch {b:3d} step {r.step:4d} {clock:6.1f} s ({cpu:6.1f} CPU s)  {r.step / clock:5.1f} steps/s  "
              f"ratio {r.preview.ratio:.2f}  "
              f"loss_D {r.losses['loss_D']:.2f} loss_G {r.losses['loss_G']:.2f} "
              f"D(x) {r.metrics['D(x)']:.2f} D(G(z)) {r.metrics['D(G(z))']:.2f}  "
              f"{recognisable(dcgan.sample(r.model, 64, seed=1), clf)}", flush=True)
        if r.step % 50 == 0:
            Image.fromarray(r.preview.grid).save(out / f"dcgan-batch{b}-step{r.step}.png")


def recognisable(x: torch.Tensor, clf) -> str:
    with torch.no_grad():
        p = torch.softmax(clf(x), 1)
    return f"top-class p {float(p.max(1).values.mean()):.2f}, {len(set(p.argmax(1).tolist()))} classes"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--live", type=int, nargs="*", default=None)
    ap.add_argument("--live-steps", type=int, default=400)
    ap.add_argument("--out", type=Path, default=Path("/tmp/genmodels-dcgan-live"))
    ap.add_argument("--every", type=int, default=25, help="steps between two grids in --live")
    ap.add_argument("--step-cost", type=int, nargs="*", default=None, help="seconds per step at these batch sizes")
    a = ap.parse_args()
    if a.step_cost:
        return step_cost(a.step_cost, a.steps, a.repeats)
    if a.live:
        return live(a.live, a.live_steps, a.out, a.every)
    data.load("mnist", "train")
    train = {"ours": [], "reference": []}
    for _ in range(a.repeats):
        train["ours"].append(our_steps(a.steps))
        train["reference"].append(reference_steps(a.steps))
    model = dcgan.build(dcgan.Config())
    G = model.G_ema.eval()

    @torch.no_grad()
    def reference_sample():
        return (G(torch.randn(64, 100, 1, 1)) + 1) / 2

    s = interleaved_medians({"ours": lambda: dcgan.sample(model, 64, seed=0), "reference": reference_sample},
                            a.repeats * 10)
    m = {k: statistics.median(v) for k, v in train.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"training, batch 64: ours {m['ours']:.1f} steps/s, reference {m['reference']:.1f} steps/s, "
          f"ratio {m['ours'] / m['reference']:.2f}")
    print(f"sampling 64 images: ours {s['ours'] * 1000:.1f} ms, reference {s['reference'] * 1000:.1f} ms, "
          f"time ratio {s['ours'] / s['reference']:.2f}")


if __name__ == "__main__":
    main()
