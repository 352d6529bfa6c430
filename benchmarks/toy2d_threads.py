"""Seconds per 100 training steps of the 2-D GAN with torch on one intra-op thread (view.one_thread, what
the Map of models tab uses) and on torch's default count; median of repeats, the two interleaved.

    python3 benchmarks/toy2d_threads.py --repeats 3 --steps 100
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from genmodels.toy2d import gan, view  # noqa: E402

from _common import interleaved  # noqa: E402


def run(steps: int, one: bool) -> float:
    ds = view.named("moons")
    x = torch.from_numpy(ds.standardise(ds.train))
    stream = gan.fit(gan.Params(steps=steps, max_seconds=1e9), x, seed=0, seconds=0)
    stream = view.single_threaded(stream) if one else stream
    start = time.perf_counter()
    for _ in stream:
        pass
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=100)
    a = p.parse_args()
    times = interleaved({"default": lambda: run(a.steps, False), "one": lambda: run(a.steps, True)}, a.repeats)
    default, one = times["default"], times["one"]
    import os
    print(f"torch {torch.__version__}, default threads {torch.get_num_threads()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"default threads: {[round(t, 2) for t in default]} s, median {statistics.median(default):.2f} s per {a.steps} steps")
    print(f"one thread:      {[round(t, 2) for t in one]} s, median {statistics.median(one):.2f} s per {a.steps} steps")
    print(f"ratio default / one: {statistics.median(default) / statistics.median(one):.1f}")


if __name__ == "__main__":
    main()
