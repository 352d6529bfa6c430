"""Every toy2d estimator at its defaults on the thin rotated mixture, whose density is known.

For each estimator in ``genmodels.toy2d.ESTIMATORS`` that this build has (seeds 0, 1, … as asked):
train with ``Config(model=NAME, data="thin_mixture", seed=S)`` (2,000 training points, 2,000
held out, a 20 s budget), then report

- held-out NLL − true NLL, nats per point on the same held-out points (the −ELBO for a bound;
  "–" for an unnormalised or implicit model);
- the sample distance (energy distance, ``toy2d.metrics``) of 2,000 samples to the held-out points,
  beside that of 2,000 fresh points of p_data (the noise floor) and of a single fitted Gaussian's;
- train seconds (wall time to the last record), the optimizer steps (or EM / fitting iterations) it
  took in them (the budget is wall time, so a loaded machine gives fewer), ms per 1,000 samples (median of 5), network
  evaluations per sample.

Prints a Markdown table (medians over seeds, with the range) and, with ``--write``, puts it into
docs/toy2d.md between the BENCHMARK markers.

    python3 benchmarks/toy2d.py --seeds 0 1 2 [--models gmm flow] [--write]
    python3 benchmarks/toy2d.py --models gan --params steps=2000,max_seconds=100000 --seconds 600   # fixed steps
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from genmodels import toy2d  # noqa: E402
from genmodels.toy2d import data, metrics  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "toy2d.md"
START, END = "<!-- BENCHMARK START -->", "<!-- BENCHMARK END -->"


def run(name: str, seed: int, params: str = "", seconds: float | None = None) -> dict:
    cfg = toy2d.Config(model=name, data="thin_mixture", seed=seed, params=params,
                       **({} if seconds is None else {"seconds": seconds}))
    t0 = time.perf_counter()
    for rec in toy2d.train(cfg):
        pass
    seconds = time.perf_counter() - t0
    model = rec.model
    split = data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed)
    true_nll = metrics.nll(data.true_log_density("thin_mixture", split.test))
    nll = toy2d.heldout_nll(model, split.test)
    fresh = data.sample("thin_mixture", 2000, seed=10_000 + seed)
    return {
        "gap": None if nll is None else nll - true_nll,
        "distance": metrics.sample_distance(toy2d.sample(model, 2000, seed=seed).numpy(), split.test),
        "fresh": metrics.sample_distance(fresh, split.test),
        "gaussian": metrics.sample_distance(toy2d.gaussian_samples(model, 2000, seed), split.test),
        "seconds": seconds,
        "steps": rec.step,
        "ms": metrics.ms_per_1000(lambda k: toy2d.sample(model, k, seed=seed), repeats=5),
        "evals": model.evaluations_per_sample(),
        "kind": model.kind,
    }


def fmt(values, digits=3) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f}…{max(values):.{digits}f})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--models", nargs="+", default=list(toy2d.ESTIMATORS))
    p.add_argument("--write", action="store_true", help="put the table into docs/toy2d.md")
    p.add_argument("--params", default="", help="the estimators' own parameters, e.g. steps=2000,max_seconds=100000 "
                                                "(a fixed step count: the machine's load then does not decide)")
    p.add_argument("--seconds", type=float, default=None, help="the training budget (Config.seconds, default 20)")
    a = p.parse_args()
    rows = []
    for name in a.models:
        try:
            toy2d.estimator(name)
        except ValueError as e:
            print(f"skip {name}: {e}", file=sys.stderr)
            continue
        results = []
        for seed in a.seeds:
            results.append(run(name, seed, a.params, a.seconds))
            r = results[-1]
            print(f"{name} seed {seed}: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                                     for k, v in r.items()), file=sys.stderr, flush=True)
        col = lambda k: [r[k] for r in results]  # noqa: E731
        rows.append(f"| {name} | {results[0]['kind']} | {fmt(col('gap'))} | {fmt(col('distance'), 4)} | "
                    f"{fmt(col('fresh'), 4)} | {fmt(col('gaussian'), 4)} | {fmt(col('seconds'), 1)} | {fmt(col('steps'), 0)} | "
                    f"{fmt(col('ms'), 2)} | {results[0]['evals']} |")
    table = "\n".join([
        f"Seeds {', '.join(map(str, a.seeds))}: median (min…max). {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs visible, torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} at the end."
        + (f" --params {a.params}" if a.params else "") + (f" --seconds {a.seconds:g}" if a.seconds else ""),
        "",
        "| estimator | kind | NLL − true NLL (nats/point) | sample distance | fresh p_data | one Gaussian | "
        "train s | steps | ms / 1,000 samples | evaluations / sample |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ])
    print(table)
    if a.write:
        text = DOC.read_text()
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}")
        print(f"wrote the table into {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
