"""Benchmark: server-side time to translate one uploaded picture in the CycleGAN tab.

    python benchmarks/cyclegan.py [--runs 50] [--threads 2]

Each run does what the tab's "Translate the upload" does: decode a 400×400 PNG,
convert it to the domain (grey, invert, crop, 28×28), run G, F(G(x)) and the
identity F(x), and upscale the four panels for display. Reports the median and
90th percentile, and the share spent in the networks.
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
from demos import cyclegan as tab  # noqa: E402
from genmodels import data  # noqa: E402
from genmodels.imaging import to_domain  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
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
        tab.cycle_panels(model, x, "horse2zebra")
        nets.append(time.perf_counter() - t1)
    q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))] * 1000  # noqa: E731
    print(f"{a.runs} runs, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    print(f"upload -> four panels: median {statistics.median(total) * 1000:.1f} ms, p90 {q(total, 0.9):.1f} ms "
          f"(networks G, F∘G, F: median {statistics.median(nets) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
