"""Sample quality against network evaluations, per sampler (FLD and classifier IS).

    python benchmarks/ddpm_fld_table.py checkpoints/ddpm-mnist [--n 2000] [--evaluations 5,10,20,50]
        [--samplers ddpm,ddim,dpmpp] [--spacing trailing|leading] [--bf16] [--write-card] [--json OUT]

"ddim" is η = 0 (deterministic); "ddpm" is η = 1 on the same spaced timesteps, which at
1000 steps is exactly ancestral DDPM sampling; "dpmpp" is DPM-Solver++ (2M). ``--spacing
leading`` reproduces the old DDIM timesteps (issue 13.1: before / after). Uses the GPU when
there is one. The table itself is ``genmodels.ddpm.quality_table``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genmodels import checkpoints, ddpm  # noqa: E402
from genmodels.common import device  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--evaluations", "--steps", default="5,10,20,50")
    ap.add_argument("--samplers", default="ddpm,ddim,dpmpp")
    ap.add_argument("--spacing", default="trailing", choices=["trailing", "leading"])
    ap.add_argument("--write-card", action="store_true", help="store the table in the card's metrics")
    ap.add_argument("--card-key", default="fld_by_evaluations")
    ap.add_argument("--json", help="also write the table to this file")
    ap.add_argument("--bf16", action="store_true", help="sample with bfloat16 autocast (as the tab does on a CPU)")
    a = ap.parse_args()
    model = ddpm.load(a.checkpoint)
    model.to(device("auto"))
    table = ddpm.quality_table(model, a.n, a.seed, [int(s) for s in a.evaluations.split(",")],
                               a.samplers.split(","), a.spacing, a.bf16,
                               echo=lambda row: print(json.dumps(row), flush=True))
    print(f"floor (test vs train, n={a.n}): {table['fld_floor']:.3f}")
    print(json.dumps({"checkpoint": a.checkpoint, **table}))
    if a.json:
        Path(a.json).write_text(json.dumps(table, indent=2))
    if a.write_card:
        card = checkpoints.read_card(a.checkpoint)
        card["metrics"][a.card_key] = table
        checkpoints.write_card(a.checkpoint, card)


if __name__ == "__main__":
    main()
