"""Time per 16 images for each MNIST comparison entry (median of 3, one torch thread).

    OMP_NUM_THREADS=1 python3 benchmarks/compare.py
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import compare  # noqa: E402

if __name__ == "__main__":
    print(f"load average before: {os.getloadavg()}")
    print(f"{'model':18s} {'evals/sample':>12s} {'s per 16 (median of 3)':>24s}")
    for r in compare.table():
        t = compare.time_per_16(r["checkpoint"], repeats=3)
        print(f"{r['model']:18s} {r['evaluations']:12d} {t:24.3f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
