"""FLD of DDPM / DDIM samples at 10, 20, 50, 100 and 1000 sampling steps.

    python benchmarks/ddpm_fld_table.py checkpoints/ddpm-mnist [--n 2000] [--write-card]

"DDIM" is η = 0 (deterministic); "DDPM" is η = 1 on the same strided timesteps,
which at 1000 steps is exactly ancestral DDPM sampling (our DDPMScheduler; both
give the same posterior variance). Uses the GPU when there is one.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genmodels import checkpoints, data, ddpm  # noqa: E402
from genmodels.common import device  # noqa: E402
from genmodels.metrics import fld, load_classifier  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", default="10,20,50,100,1000")
    ap.add_argument("--write-card", action="store_true", help="store the table in the card's metrics")
    ap.add_argument("--bf16", action="store_true", help="sample with bfloat16 autocast (as the tab does on a CPU)")
    a = ap.parse_args()
    model, _, card = ddpm.load(a.checkpoint)
    model.to(device("auto"))
    clf = load_classifier("mnist")
    x_test = data.load("mnist", "test")[0][: a.n]
    floor = fld(x_test, data.load("mnist", "train")[0][: a.n], clf)
    table = {"n": a.n, "fld_floor": floor, "rows": []}
    for steps in [int(s) for s in a.steps.split(",")]:
        for name, sampler, eta in (("DDIM", "ddim", 0.0), ("DDPM", "ddpm" if steps == model.config.T else "ddim", 1.0)):
            t0 = time.perf_counter()
            x = ddpm.sample(model, a.n, a.seed, sampler=sampler, steps=steps, eta=eta, bf16=a.bf16)
            row = {"sampler": name, "steps": steps, "fld": fld(x_test, x, clf), "seconds": time.perf_counter() - t0}
            table["rows"].append(row)
            print(json.dumps(row), flush=True)
    print(f"floor (test vs train, n={a.n}): {floor:.3f}")
    if a.write_card:
        card = checkpoints.read_card(a.checkpoint)
        card["metrics"]["fld_by_sampler_steps"] = table
        checkpoints.write_card(a.checkpoint, card)


if __name__ == "__main__":
    main()
