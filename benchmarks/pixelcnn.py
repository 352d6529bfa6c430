"""PixelCNN sampling speed on this CPU: what one pixel costs, and 16 samples end to end.

    python3 benchmarks/pixelcnn.py                      # candidate sizes, then the checkpoint (if present)
    python3 benchmarks/pixelcnn.py --sizes "" --repeats 5   # only the checkpoint's 16 samples

Per candidate (channels, layers after the first; kernel 3, first kernel 7, head 256), batch 16,
median of ``--repeats`` with the two samplers interleaved:

- *full pass*: the network over the whole 28×28 image, what a sampler without a cache runs 784 times;
- *cached pixel*: the horizontal stack on the pixel's row, cropped to the columns that can reach it,
  plus the head on one position (``GatedPixelCNN.pixel_logit``);
- *row update*: row r of every layer's vertical stack (``update_cache``), 28 times per image;
- the estimate for 16 samples: 784 · pixel + 28 · row (cached) against 784 · full pass.

Then 16 samples from the checkpoint, timed end to end (``pixelcnn.sample``), interleaved with the
tab's stream of the same (``pixelcnn.chain_frames``: pictures every 56 pixels), median of repeats.
Wall-clock times: the machine's other load counts (see ``os.getloadavg`` in the output).

    python3 benchmarks/pixelcnn.py --sizes "" --completion 200 --known-rows 14

also completes the top ``--known-rows`` rows of the first N binarized test digits (``--per`` times
each) and reports how often the MNIST classifier calls a completion the digit the full image was,
against the classifier on the top rows alone (bottom rows blank).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import checkpoints, pixelcnn as P  # noqa: E402


CLOCK = time.perf_counter      # --clock cpu: this process's CPU time instead (a loaded, shared machine)


def timed(fn) -> float:
    t = CLOCK()
    fn()
    return CLOCK() - t


@torch.no_grad()
def candidate(channels: int, layers: int, repeats: int, n: int = 16) -> dict:
    model = P.build(P.Config(channels=channels, layers=layers)).eval()
    x = torch.bernoulli(torch.full((n, 28, 28), 0.5), generator=torch.Generator().manual_seed(0))
    cache = model.start_cache(x)
    full, pixel, row = [], [], []
    for _ in range(repeats):                           # interleaved: full, cached, full, cached, ...
        full.append(timed(lambda: model(x)))
        pixel.append(timed(lambda: [model.pixel_logit(x, cache, 20, c) for c in range(28)]) / 28)
        row.append(timed(lambda: model.update_cache(cache, x, 20)))
    f, p, r = (statistics.median(v) for v in (full, pixel, row))
    return {"channels": channels, "layers": layers, "params": sum(q.numel() for q in model.parameters()),
            "full_ms": f * 1e3, "pixel_ms": p * 1e3, "row_ms": r * 1e3,
            "cached_16_s": 784 * p + 28 * r, "uncached_16_s": 784 * f}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="32x8,48x10,64x8,64x10,96x10,128x10",
                    help="channels x layers candidates, comma separated ('' for none)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--checkpoint", default="checkpoints/pixelcnn-mnist")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: process CPU time, for a machine shared with other jobs (use with --threads 1)")
    ap.add_argument("--completion", type=int, default=0, help="test digits to complete (0 = skip)")
    ap.add_argument("--known-rows", type=int, default=14)
    ap.add_argument("--per", type=int, default=4, help="completions per digit")
    a = ap.parse_args()
    global CLOCK
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.clock == "cpu":
        CLOCK = time.process_time
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.clock} clock, "
          f"load average {os.getloadavg()}")
    for size in filter(None, a.sizes.split(",")):
        c, l = (int(v) for v in size.split("x"))
        r = candidate(c, l, a.repeats)
        print(f"C {c:3d} L {l:2d} ({r['params'] / 1e6:.2f}M params): full pass {r['full_ms']:7.1f} ms, "
              f"cached pixel {r['pixel_ms']:5.2f} ms, row update {r['row_ms']:5.1f} ms  ->  16 samples "
              f"cached {r['cached_16_s']:5.2f} s, uncached {r['uncached_16_s']:6.1f} s", flush=True)
    if checkpoints.paths(a.checkpoint)[1].exists():
        model = P.load(a.checkpoint)
        times, tab = [], []
        for i in range(a.repeats):                     # interleaved: sample, the tab's stream, sample, ...
            times.append(timed(lambda: P.sample(model, a.n, seed=i)))
            tab.append(timed(lambda: list(P.chain_frames(model, a.n, seed=i))))
        print(f"{a.checkpoint}: {a.n} samples in {statistics.median(times):.2f} s "
              f"(median of {a.repeats}; min {min(times):.2f}, max {max(times):.2f}); the tab's stream "
              f"(pixelcnn.chain_frames, a frame every 56 pixels) {statistics.median(tab):.2f} s "
              f"(min {min(tab):.2f}, max {max(tab):.2f}); load average {os.getloadavg()}")
        if a.completion:
            completion_accuracy(model, a.completion, a.known_rows, a.per)


@torch.no_grad()
def completion_accuracy(model, n: int, known_rows: int, per: int) -> None:
    from genmodels import classifier, data
    net = classifier.load("checkpoints/classifier-mnist")
    x, y = (t[:n] for t in data.binarized_mnist_test())
    t = time.perf_counter()
    done = P.complete(model, x, known_rows, per, seed=0)
    seconds = time.perf_counter() - t
    hit = (net(done).argmax(1) == y.repeat_interleave(per)).float().mean()
    top = x.clone()
    top[:, known_rows:] = 0
    top_hit = (net(top).argmax(1) == y).float().mean()
    full_hit = (net(x).argmax(1) == y).float().mean()
    print(f"completion of rows ≥ {known_rows}, {n} test digits × {per} ({seconds:.1f} s): classifier agrees "
          f"with the label on {100 * hit:.1f}% of completions; on the top rows alone {100 * top_hit:.1f}%; "
          f"on the full binarized digits {100 * full_hit:.1f}%")


if __name__ == "__main__":
    main()
