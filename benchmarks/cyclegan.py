"""Benchmark: server-side time to translate one uploaded picture in the CycleGAN tab.

    python benchmarks/cyclegan.py [--runs 50] [--threads 2]
    python benchmarks/cyclegan.py --live 4 8 [--live-steps 60]


Each run does what the tab's "Translate the upload" does: decode a 400×400 PNG,
convert it to the domain (grey, invert, crop, 28×28), run G, F(G(x)) and the
identity F(x), and upscale the four panels for display. Reports the median and
90th percentile, and the share spent in the networks.

``--live B ...``: the tab's default live run (fine-tuning the checkpoint, a record every 0.25 s,
held-out translations every third record) at each batch size B, alternating: seconds (wall and
CPU) to the first held-out translations and to the end, and the held-out target-class rate
(horse / zebra classifier) of the model at the end. Needs no gradio.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import cyclegan, data  # noqa: E402

from _common import round_robin  # noqa: E402


def live(batch_sizes: list[int], steps: int) -> None:
    import copy
    import os

    from genmodels import checkpoints, metrics
    base = cyclegan.load(checkpoints.CHECKPOINT_DIR / "cyclegan-horse2zebra")
    clf = metrics.load_classifier("horse_zebra").eval()
    horses, zebras = data.horses_and_zebras("test")
    every = max(2, steps // 50)
    runs, clock, cpu, first = {}, {}, {}, {}
    for b in batch_sizes:
        model = copy.deepcopy(base)
        cfg = cyclegan.Config(**{**model.cfg.__dict__, "steps": steps, "batch_size": b, "seed": 0, "device": "cpu",
                                 "max_seconds": 0.0})
        runs[b] = cyclegan.train(cfg, model=model, seconds=0.25, every=every, preview_every=every * 3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()}")
    last = {}
    for b, r, wall, cpu_s in round_robin(runs):          # alternate: each run gets the machine in turn
        last[b], clock[b], cpu[b] = r, wall, cpu_s
        if r.preview is not None and b not in first:
            first[b] = (r.step - base.steps, clock[b], cpu[b])
    for b, r in last.items():
        model = r.model
        with torch.no_grad():
            to_zebra = float((clf(cyclegan.translate(model, horses, "horse2zebra")).argmax(1) == 1).float().mean())
            to_horse = float((clf(cyclegan.translate(model, zebras, "zebra2horse")).argmax(1) == 0).float().mean())
        s, t, c = first[b]
        n = r.step - base.steps                            # this run's steps (records count the model's)
        print(f"batch {b:2d}: first held-out translations at step {s} after {t:.1f} s ({c:.1f} CPU s); "
              f"{n} steps in {clock[b]:.1f} s ({cpu[b]:.1f} CPU s), {n / clock[b]:.1f} steps/s; "
              f"held-out target class: horses → zebra {to_zebra:.0%}, zebras → horse {to_horse:.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--live", type=int, nargs="*", default=None)
    ap.add_argument("--live-steps", type=int, default=60)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.live:
        return live(a.live, a.live_steps)
    from demos import cyclegan as tab
    from genmodels.imaging import to_domain
    horse = data.horses_and_zebras("test")[0][0].numpy()
    buf = io.BytesIO()
    Image.fromarray(((1 - horse) * 255).astype(np.uint8)).resize((400, 400)).convert("RGB").save(buf, "PNG")
    png = Path("/tmp/genmodels-bench-upload.png")
    png.write_bytes(buf.getvalue())
    model = tab.pretrained()
    tab.translate_upload("horse2zebra", str(png))            # warm-up
    total, nets = [], []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        tab.translate_upload("horse2zebra", str(png))
        total.append(time.perf_counter() - t0)
        x = to_domain(str(png))
        t1 = time.perf_counter()
        cyclegan.cycle(model, x, "horse2zebra")
        nets.append(time.perf_counter() - t1)
    q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))] * 1000  # noqa: E731
    print(f"{a.runs} runs, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    print(f"upload -> four panels: median {statistics.median(total) * 1000:.1f} ms, p90 {q(total, 0.9):.1f} ms "
          f"(networks G, F∘G, F: median {statistics.median(nets) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
