"""Benchmark: cold start, from `python3 app.py` to the first served page.

    python benchmarks/cold_start.py [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import start_app, stop_app  # noqa: E402


def once() -> float:
    """Seconds from starting `python app.py` (the usual temporary folders) to its first served page."""
    t0 = time.perf_counter()
    _, proc, temp = start_app(own_temp=False)
    seconds = time.perf_counter() - t0
    stop_app(proc, temp)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    times = [once() for _ in range(a.runs)]
    print(f"cold start to first page: median {statistics.median(times):.1f} s "
          f"({', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    main()
