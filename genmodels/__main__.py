"""Command line: train, sample and evaluate any family.

    python -m genmodels train FAMILY [--option value ...] --out checkpoints/NAME
    python -m genmodels sample CHECKPOINT --n N --seed S --out FILE.npy
    python -m genmodels eval CHECKPOINT [--n N] [--seed S]
    python -m genmodels translate CHECKPOINT --direction horse2zebra|zebra2horse --input IN.npy --out OUT.npy
    python -m genmodels complete CHECKPOINT --input X.npy --known-rows R --n K --seed S --out Y.npy

Options of ``train`` are the fields of the family's ``Config`` dataclass
(``python -m genmodels train FAMILY --help`` lists them).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from . import checkpoints, family


def _config_parser(mod) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m genmodels train {mod.FAMILY}")
    p.add_argument("--out", required=True, help="checkpoint path without extension, e.g. checkpoints/NAME")
    aliases = {v: k for k, v in getattr(mod, "CLI_ALIASES", {}).items()}
    for f in dataclasses.fields(mod.Config):
        names = [f"--{f.name}"] + ([f"--{aliases[f.name]}"] if f.name in aliases else [])
        default = f.default
        if isinstance(default, bool):
            p.add_argument(*names, dest=f.name, type=lambda s: s.lower() in ("1", "true", "yes", "on"),
                           default=default, metavar="BOOL", help=f"default {default}")
        elif isinstance(default, tuple):
            p.add_argument(*names, dest=f.name, type=float, nargs=len(default), default=default,
                           help=f"default {default}")
        else:
            p.add_argument(*names, dest=f.name, type=type(default), default=default, help=f"default {default}")
    return p


def _add_options(p: argparse.ArgumentParser, options) -> None:
    """A family's own ``sample`` / ``eval`` options, declared in the module as
    ``SAMPLE_OPTIONS`` / ``EVAL_OPTIONS``: a sequence of (name, type, default, help), e.g.
    ``("sampler", str, "ddim", "ddim | ddpm")``. Each arrives at ``cli_sample`` / ``cli_eval``
    as a keyword argument of that name (a default of None means "not given")."""
    for name, typ, default, help_ in options:
        flags = dict.fromkeys([f"--{name.replace('_', '-')}", f"--{name}"])   # --known-rows, --known_rows
        p.add_argument(*flags, dest=name, type=typ, default=default, help=f"{help_} (default {default})")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = argparse.ArgumentParser(prog="python -m genmodels", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("verb", choices=["train", "sample", "eval", "translate", "complete"])
    top.add_argument("target", help="FAMILY for train; CHECKPOINT path for sample / eval")
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    verb, target, rest = argv[0], argv[1], argv[2:]
    try:
        if verb == "train":
            mod = family(target)
            args = vars(_config_parser(mod).parse_args(rest))
            out = args.pop("out")
            args = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
            cfg = mod.Config(**args).validate()
            command = "python -m genmodels " + " ".join(shlex.quote(a) for a in argv)
            card = mod.cli_train(cfg, out, command=command)
            print(json.dumps({"checkpoint": str(out), "metrics": card["metrics"]}, indent=2))
        elif verb == "sample":
            mod = family(checkpoints.read_card(target).get("family", "?"))
            p = argparse.ArgumentParser(prog="python -m genmodels sample CHECKPOINT")
            p.add_argument("--n", type=int, default=16)
            p.add_argument("--seed", type=int, default=0)
            p.add_argument("--out", required=True)
            _add_options(p, getattr(mod, "SAMPLE_OPTIONS", ()))
            a = vars(p.parse_args(rest))
            n, seed, out = a.pop("n"), a.pop("seed"), a.pop("out")
            if not 1 <= n <= 1_000_000:
                raise ValueError(f"--n must be in 1..1000000, got {n}")
            x = np.asarray(mod.cli_sample(target, n, seed, **a), dtype=np.float32)
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            np.save(out, x)
            print(f"wrote {out}: {x.shape} float32 in [{x.min():.3f}, {x.max():.3f}]")
        elif verb == "eval":
            card = checkpoints.read_card(target)
            mod = family(card.get("family", "?"))
            p = argparse.ArgumentParser(prog="python -m genmodels eval CHECKPOINT")
            p.add_argument("--n", type=int, default=None, help="samples to evaluate on (family default)")
            p.add_argument("--seed", type=int, default=0)
            _add_options(p, getattr(mod, "EVAL_OPTIONS", ()))
            a = vars(p.parse_args(rest))
            metrics = mod.cli_eval(target, n=a.pop("n"), seed=a.pop("seed"), **a)
            card["metrics"] = {**card.get("metrics", {}), **metrics}  # keep extra tables (e.g. DDPM's FLD by steps)
            checkpoints.write_card(target, card)
            print(json.dumps(metrics, indent=2))
        elif verb == "translate":
            p = argparse.ArgumentParser(prog="python -m genmodels translate CHECKPOINT")
            p.add_argument("--direction", required=True, choices=["horse2zebra", "zebra2horse"])
            p.add_argument("--input", required=True, help=".npy of (N, 28, 28) float32 in [0, 1]")
            p.add_argument("--out", required=True)
            a = p.parse_args(rest)
            from . import cyclegan
            import torch
            try:
                x = np.load(a.input, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise ValueError(f"cannot read {a.input} as a .npy array ({e})") from None
            if x.ndim == 2:
                x = x[None]
            if x.ndim != 3 or x.shape[1:] != (28, 28) or not np.isfinite(x).all():
                raise ValueError(f"--input must hold finite images of shape (N, 28, 28), got {x.shape}")
            model, _ = cyclegan.load(target)
            y = cyclegan.translate(model, torch.from_numpy(np.clip(x, 0, 1).astype(np.float32)), a.direction)
            np.save(a.out, y.numpy().astype(np.float32))
            print(f"wrote {a.out}: {tuple(y.shape)} float32 ({a.direction})")
        elif verb == "complete":
            # autoregressive families: keep rows < R of each image, sample the rest K times
            mod = family(checkpoints.read_card(target).get("family", "?"))
            if not hasattr(mod, "cli_complete"):
                raise ValueError(f"'{mod.FAMILY}' checkpoints cannot complete images; "
                                 "only autoregressive families (pixelcnn) can")
            p = argparse.ArgumentParser(prog="python -m genmodels complete CHECKPOINT")
            p.add_argument("--input", required=True, help=".npy of (N, 28, 28) in [0, 1], binarized at 0.5")
            p.add_argument("--known-rows", "--known_rows", dest="known_rows", type=int, required=True,
                           help="rows 0 … R−1 are kept, rows ≥ R resampled (0..28)")
            p.add_argument("--n", type=int, default=1, help="completions per image (1..10000)")
            p.add_argument("--seed", type=int, default=0)
            p.add_argument("--out", required=True, help=".npy of (N·K, 28, 28) float32 0/1")
            a = p.parse_args(rest)
            x = mod.load_npy_images(a.input)
            y = np.asarray(mod.cli_complete(target, x, a.known_rows, a.n, a.seed), dtype=np.float32)
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            np.save(a.out, y)
            print(f"wrote {a.out}: {y.shape} float32 0/1 (rows ≥ {a.known_rows} sampled, {a.n} per image)")
        else:
            top.error(f"unknown verb '{verb}'")
    except (checkpoints.CheckpointError, KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
