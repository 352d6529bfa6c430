"""Benchmark: time for the coin GAN to reach |P(H) - p| <= 0.02, ours vs the seed notebook.

    python benchmarks/coin_gan.py [--p 0.3] [--seeds 5] [--threads 1]
    python benchmarks/coin_gan.py --quality      # max |P(H) - p| over p in 0.1..0.9 x 5 seeds, 100k flips
    python benchmarks/coin_gan.py --g-loss       # steps to |P(H) - p| <= 0.02, saturating vs non-saturating G loss
    python benchmarks/coin_gan.py --collapse     # runs ending collapsed, batch feature x G's midpoint start

Runs are interleaved (ours, notebook, ours, notebook, ...) so both see the same
machine load. P(H) is measured on 10k generated flips every log interval (25
steps for ours, one 32-step epoch for the notebook); the clock stops at the
first interval within tolerance ("first"), and at the start of the final
stretch that stays within it to the end of the run ("settled"). A run that
never settles counts with its full run time (a lower bound, marked ">").
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels.coin_gan import G_LOSSES, Config, evaluate, run, train  # noqa: E402


def notebook_recipe(p: float, seed: int) -> Config:
    """simpleGAN.ipynb: 1024 fixed flips, batch 32, Adam 1e-3, 500 epochs, plain D."""
    return Config(p_heads=p, seed=seed, dataset_size=1024, real_flips=32, batch_size=32, steps=500 * 32,
                  lr_d=1e-3, lr_g=1e-3, betas=(0.9, 0.999), lr_decay=False, g_init_midpoint=False,
                  batch_feature=False)


def timings(cfg: Config, log_every: int, tol: float = 0.02) -> tuple[float | None, float | None, float]:
    """(first time within tol, time from which it stays within tol to the end, total), seconds."""
    t0 = time.perf_counter()
    first = settled = None
    for r in train(cfg, log_every=log_every, seconds=0, preview_every=10**9, eval_flips=10_000):
        t = time.perf_counter() - t0
        inside = r.metrics["gap"] <= tol
        if inside and first is None:
            first = t
        if inside and settled is None:
            settled = t
        elif not inside:
            settled = None
    return first, settled, time.perf_counter() - t0


def steps_to(cfg: Config, tol: float = 0.02, log_every: int = 10) -> tuple[int | None, int | None, float]:
    """(first step within tol, step from which it stays within tol to the end, final P(H)), on 10k flips."""
    first = settled = None
    for r in train(cfg, log_every=log_every, seconds=0, preview_every=10**9, eval_flips=10_000):
        inside = r.metrics["gap"] <= tol
        if inside and first is None:
            first = r.step
        if inside and settled is None:
            settled = r.step
        elif not inside:
            settled = None
    return first, settled, r.metrics["generated_p_heads"]


def g_loss_table(p: float, seeds: int) -> None:
    for midpoint in (True, False):
        for kind in G_LOSSES:
            res = [steps_to(Config(p_heads=p, seed=s, g_loss=kind, g_init_midpoint=midpoint)) for s in range(seeds)]
            firsts = [f if f is not None else float("inf") for f, _, _ in res]
            settles = [s if s is not None else float("inf") for _, s, _ in res]
            print(f"G starts at the midpoint: {midpoint!s:5s}  {kind:15s} steps to first within 0.02: {firsts}, "
                  f"median {statistics.median(firsts)}; stays within from: {settles}, "
                  f"median {statistics.median(settles)}", flush=True)


def collapse_table(p: float, seeds: int) -> None:
    for feature in (True, False):
        for midpoint in (True, False):
            ends = [evaluate(run(Config(p_heads=p, seed=s, batch_feature=feature, g_init_midpoint=midpoint),
                                 log_every=250)[0], n=100_000) for s in range(seeds)]
            print(f"batch feature {feature!s:5s} G at the midpoint {midpoint!s:5s}: ended collapsed in "
                  f"{sum(m['collapsed'] for m in ends)} of {seeds}; final P(H) "
                  f"{[round(m['generated_p_heads'], 3) for m in ends]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--p", type=float, default=0.3)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (tiny MLPs: 1 is fastest)")
    ap.add_argument("--quality", action="store_true", help="the quality sweep instead of the timing")
    ap.add_argument("--g-loss", action="store_true", help="steps to within 0.02, saturating vs non-saturating")
    ap.add_argument("--collapse", action="store_true", help="collapsed runs, batch feature x midpoint start")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.g_loss:
        return g_loss_table(a.p, a.seeds)
    if a.collapse:
        return collapse_table(a.p, a.seeds)
    if a.quality:
        gaps = {}
        for p in (0.1, 0.3, 0.5, 0.7, 0.9):
            for seed in range(a.seeds):
                m = evaluate(run(Config(p_heads=p, seed=seed), log_every=250)[0], n=100_000)
                gaps[(p, seed)] = (m["gap"], m["collapsed"])
        worst = max(gaps, key=lambda k: gaps[k][0])
        print(f"defaults, {len(gaps)} runs: max |P(H) - p| = {gaps[worst][0]:.4f} (p = {worst[0]}, seed {worst[1]}), "
              f"collapsed: {sum(c for _, c in gaps.values())}")
        return
    rows = {"ours": [], "notebook": []}
    for seed in range(a.seeds):
        for name, cfg, every in (("ours", Config(p_heads=a.p, seed=seed), 25),
                                 ("notebook", notebook_recipe(a.p, seed), 32)):
            first, settled, total = timings(cfg, every)
            rows[name].append((first, settled, total))
            fmt = lambda v: "never" if v is None else f"{v:.2f} s"  # noqa: E731
            print(f"seed {seed}  {name:8s} first {fmt(first):>8s}  settled {fmt(settled):>8s}  run {total:6.2f} s",
                  flush=True)

    def median(name: str, i: int) -> tuple[float, str]:
        vals = [r[i] if r[i] is not None else r[2] for r in rows[name]]  # never: count the whole run
        never = sum(r[i] is None for r in rows[name])
        return statistics.median(vals), (">" if never * 2 >= len(vals) else "")

    print(f"\np = {a.p}, {a.seeds} seeds, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    for i, what in ((0, "first reaches"), (1, "stays within (to the end of its run)")):
        (mo, lo), (mn, ln) = median("ours", i), median("notebook", i)
        print(f"median time until |P(H) - p| <= 0.02 {what}: ours {lo}{mo:.2f} s, "
              f"notebook {ln}{mn:.2f} s, speed-up {ln}{mn / mo:.1f}x")


if __name__ == "__main__":
    main()
