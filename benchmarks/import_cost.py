"""Benchmark: what importing torchvision adds to a fresh interpreter that imports torch.

    python benchmarks/import_cost.py [--runs 7]

Fresh interpreters, the two variants interleaved, medians. Why it matters: docs/figures.md
("Why common.grid is not torchvision's make_grid").
"""
import argparse
import statistics
import subprocess
import sys
import time

from _common import interleaved

BASE = "import torch, numpy, PIL.Image"
WITH = BASE + "; from torchvision.utils import make_grid"


def run(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    times = interleaved({"base": lambda: run(BASE), "with": lambda: run(WITH)}, runs)
    a, b = times["base"], times["with"]
    print(f"{BASE!r:60s} median {statistics.median(a):.2f} s  {[round(x, 2) for x in a]}")
    print(f"{'+ torchvision.utils':60s} median {statistics.median(b):.2f} s  {[round(x, 2) for x in b]}")
    print(f"torchvision adds {statistics.median(b) - statistics.median(a):.2f} s "
          f"({statistics.median(b) / statistics.median(a) - 1:+.0%})")


if __name__ == "__main__":
    main()
