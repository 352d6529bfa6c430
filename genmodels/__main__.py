"""Command line: train, sample and evaluate any family, through the contract (``genmodels.family``).

    python -m genmodels train FAMILY [--<Config field> value ...] --out checkpoints/NAME
    python -m genmodels sample CHECKPOINT --n N --seed S [family options] --out FILE.npy
    python -m genmodels eval CHECKPOINT [--n N] [--seed S] [family options]
    python -m genmodels translate CHECKPOINT --direction horse2zebra|zebra2horse --input IN.npy --out OUT.npy
    python -m genmodels complete CHECKPOINT --input X.npy --known-rows R --n K --seed S --out Y.npy

One code path for every family in ``genmodels.FAMILIES``: ``train`` iterates ``train(cfg)``
and writes ``save(last.model, out, evaluate(last.model, **CARD_EVAL))``; ``sample`` and
``eval`` call ``sample`` / ``evaluate`` of ``load(CHECKPOINT)`` with the family's declared
SAMPLE_OPTIONS / EVAL_OPTIONS (``sample CHECKPOINT --help`` lists them). Options of ``train``
are the fields of the family's ``Config`` (``train FAMILY --help``). Results are printed to
stdout as JSON (train, eval) or one line (sample); progress goes to stderr. Bad input gives
"error: ..." and exit status 2.

Families: {families}.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shlex
import sys
import time
import types
import typing
from pathlib import Path

import numpy as np

from . import FAMILIES, checkpoints, family
from .family import Option

PRINT_SECONDS = 5.0          # a progress line at most this often (and a record at least this often)
N_MAX = 1_000_000            # --n of sample
SIZE = 28                    # image side of every image family


class CLIError(ValueError):
    """Bad input on the command line: printed as ``error: …``, exit status 2."""


def _doc() -> str:
    return __doc__.format(families=", ".join(FAMILIES))


# -- reading values -----------------------------------------------------------------------------
def _bool(s: str) -> bool:
    v = s.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{s}'")


def _converter(typ, optional: bool = False):
    """argparse ``type=`` for ``typ``: bool reads true/false, an optional value reads "none" as None,
    and a ValueError raised by ``typ`` (e.g. a family's file reader) shows its own message."""
    def convert(s: str):
        if optional and s.strip().lower() == "none":
            return None
        if typ is bool:
            return _bool(s)
        if typ is dict:
            try:
                v = json.loads(s)
            except json.JSONDecodeError as e:
                raise argparse.ArgumentTypeError(f"expected a JSON object, e.g. '{{\"k\": 1}}' ({e})") from None
            if not isinstance(v, dict):
                raise argparse.ArgumentTypeError(f"expected a JSON object, got '{s}'")
            return v
        try:
            v = typ(s)
        except (TypeError, ValueError) as e:
            name = getattr(typ, "__name__", "value")
            detail = str(e) if typ not in (int, float) else f"expected {'an integer' if typ is int else 'a number'}"
            raise argparse.ArgumentTypeError(f"{detail}, got '{s}'" if typ in (int, float) else
                                             (detail or f"invalid {name} '{s}'")) from None
        if isinstance(v, float) and not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"expected a finite number, got '{s}'")
        return v
    convert.__name__ = getattr(typ, "__name__", "value")
    return convert


def _field_spec(hint, default) -> tuple[typing.Any, bool, typing.Any]:
    """(element type, optional, nargs) of a Config field from its annotation (and default)."""
    optional = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        optional = True
        rest = [a for a in args if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else str
        args = typing.get_args(hint)
    origin = typing.get_origin(hint) or hint
    if origin is tuple:
        if args and args[-1] is not Ellipsis:
            return args[0], optional, len(args)
        if args:
            return args[0], optional, "+"
        elem = type(default[0]) if isinstance(default, tuple) and default else float
        return elem, optional, "+"
    if origin is dict:
        return dict, optional, None
    if origin in (bool, int, float, str):
        return origin, optional, None
    if default is not None and not isinstance(default, (list, tuple, dict)):
        return type(default), optional, None
    return str, optional, None


def _config_parser(mod) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m genmodels train {mod.FAMILY}",
                                description=(mod.Config.__doc__ or "").strip() or None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="checkpoint path without extension, e.g. checkpoints/NAME")
    aliases: dict[str, list[str]] = {}
    for alias, field in getattr(mod, "CLI_ALIASES", {}).items():
        aliases.setdefault(field, []).append(alias)
    hints = typing.get_type_hints(mod.Config)
    for f in dataclasses.fields(mod.Config):
        if not f.init:
            continue
        default = (f.default if f.default is not dataclasses.MISSING else
                   f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        typ, optional, nargs = _field_spec(hints.get(f.name, str), default)
        names = [f"--{f.name}"] + [f"--{a}" for a in aliases.get(f.name, [])]
        kw = dict(dest=f.name, type=_converter(typ, optional), help=f"default {default}")
        if nargs is not None:
            kw["nargs"] = nargs
        if typ is bool:
            kw["metavar"] = "BOOL"
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kw["required"] = True
        else:
            kw["default"] = default
        p.add_argument(*names, **kw)
    return p


def _add_options(p: argparse.ArgumentParser, options) -> None:
    """A family's own ``sample`` / ``eval`` flags (``SAMPLE_OPTIONS`` / ``EVAL_OPTIONS``: each an
    ``Option(name, type, default, help)``); each arrives as a keyword argument of that name.
    ``type`` is any callable from the string (a ValueError it raises is shown as the message)."""
    for name, typ, default, help_ in (Option(*o) for o in options):
        flags = dict.fromkeys([f"--{name.replace('_', '-')}", f"--{name}"])   # --known-rows, --known_rows
        p.add_argument(*flags, dest=name, type=_converter(typ, optional=default is None), default=default,
                       help=f"{help_} (default {default})")


def _parser(prog: str, description: str | None = None) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def _family_of(target: str):
    """The family module and card of a checkpoint (its card names the family)."""
    card = checkpoints.read_card(target)
    if "family" not in card:
        raise CLIError(f"{target}.json names no family; is it a genmodels checkpoint card?")
    return family(card["family"]), card


def _read_images(path: str, what: str = "--input") -> np.ndarray:
    """A .npy of images (N, 28, 28) or (28, 28) of finite numbers: float32 (N, 28, 28)."""
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise CLIError(f"cannot read {path} as a .npy array ({e})") from None
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1:] != (SIZE, SIZE) or len(a) == 0:
        raise CLIError(f"{what} must hold images of shape (N, 28, 28), got {a.shape}")
    if not np.issubdtype(a.dtype, np.number) or not np.isfinite(a).all():
        raise CLIError(f"{what} must hold finite numbers")
    return a.astype(np.float32)


def _as_array(x) -> np.ndarray:
    """A family's output (tensor or array) as float32 numpy; images (N, 1, 28, 28) become (N, 28, 28)."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    return x


def _save_npy(out: str, x: np.ndarray) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.save(out, x)


def _json_default(o):
    if hasattr(o, "tolist"):          # numpy / torch scalars and arrays
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def _progress_line(r, t0: float) -> str:
    nums = {**r.losses, **r.metrics}
    parts = [f"{k} {v:.4g}" for k, v in nums.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return f"step {r.step:7d}  " + "  ".join(parts) + f"  {time.perf_counter() - t0:.0f} s" + ("  done" if r.done else "")


def _device(name: str):
    from .common import device
    return device(name)


# -- the verbs ------------------------------------------------------------------------------------
def train(target: str, rest: list[str], argv: list[str]) -> None:
    mod = family(target)
    args = vars(_config_parser(mod).parse_args(rest))
    out = args.pop("out")
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
    cfg = mod.Config(**args).validate()
    command = "python -m genmodels " + " ".join(shlex.quote(a) for a in argv)
    t0 = printed = time.perf_counter()
    last = None
    gen = mod.train(cfg, seconds=PRINT_SECONDS)
    try:
        for last in gen:
            now = time.perf_counter()
            if last.done or now - printed >= PRINT_SECONDS:
                print(_progress_line(last, t0), file=sys.stderr, flush=True)
                printed = now
    finally:
        gen.close()
    if last is None or last.model is None:
        raise RuntimeError(f"{mod.FAMILY}.train yielded no record carrying the model")
    seconds = round(time.perf_counter() - t0, 1)
    metrics = mod.evaluate(last.model, **mod.CARD_EVAL)
    card = mod.save(last.model, out, metrics, command=command, seconds=seconds)
    print(json.dumps({"checkpoint": str(out), "metrics": card.get("metrics", metrics)}, indent=2,
                     default=_json_default))


def sample(target: str, rest: list[str]) -> None:
    mod, _ = _family_of(target)
    p = _parser("python -m genmodels sample CHECKPOINT", f"Draw samples from a '{mod.FAMILY}' checkpoint.")
    p.add_argument("--n", type=_converter(int), default=16, help=f"how many (1..{N_MAX}; default 16)")
    p.add_argument("--seed", type=_converter(int), default=0, help="same seed, same samples on the CPU (default 0)")
    p.add_argument("--device", default="auto", help="auto (a GPU when there is one) | cpu | cuda (default auto)")
    p.add_argument("--out", required=True, help=".npy: images (N, 28, 28) float32 in [0, 1]; points (N, 2)")
    _add_options(p, mod.SAMPLE_OPTIONS)
    a = vars(p.parse_args(rest))
    n, seed, out, dev = a.pop("n"), a.pop("seed"), a.pop("out"), a.pop("device")
    if not 1 <= n <= N_MAX:
        raise CLIError(f"--n must be in 1..{N_MAX}, got {n}")
    model = mod.load(target).to(_device(dev))
    x = _as_array(mod.sample(model, n, seed=seed, **a))
    _save_npy(out, x)
    print(f"wrote {out}: {x.shape} float32 in [{x.min():.3f}, {x.max():.3f}]")


def evaluate(target: str, rest: list[str]) -> None:
    mod, card = _family_of(target)
    p = _parser("python -m genmodels eval CHECKPOINT",
                f"Recompute a '{mod.FAMILY}' checkpoint's metrics, write them into its card and print them.")
    p.add_argument("--n", type=_converter(int, optional=True), default=None,
                   help="samples / images to evaluate on (default: the family's)")
    p.add_argument("--seed", type=_converter(int), default=0, help="default 0")
    p.add_argument("--device", default="auto", help="auto (a GPU when there is one) | cpu | cuda (default auto)")
    _add_options(p, mod.EVAL_OPTIONS)
    a = vars(p.parse_args(rest))
    n, seed, dev = a.pop("n"), a.pop("seed"), a.pop("device")
    if n is not None and n < 1:
        raise CLIError(f"--n must be at least 1, got {n}")
    model = mod.load(target).to(_device(dev))
    metrics = mod.evaluate(model, n=n, seed=seed, **a)
    metrics = json.loads(json.dumps(metrics, default=_json_default))
    card["metrics"] = {**card.get("metrics", {}), **metrics}   # keep tables it does not recompute
    checkpoints.write_card(target, card)
    print(json.dumps(metrics, indent=2))


def translate(target: str, rest: list[str]) -> None:
    mod, _ = _family_of(target)
    if not hasattr(mod, "translate"):
        raise CLIError(f"'{mod.FAMILY}' checkpoints do not translate images; only cyclegan does")
    p = _parser("python -m genmodels translate CHECKPOINT")
    p.add_argument("--direction", required=True, choices=["horse2zebra", "zebra2horse"])
    p.add_argument("--input", required=True, help=".npy of (N, 28, 28) float32 in [0, 1]")
    p.add_argument("--out", required=True, help=".npy of (N, 28, 28) float32 in [0, 1]")
    a = p.parse_args(rest)
    import torch
    x = np.clip(_read_images(a.input), 0, 1)
    y = _as_array(mod.translate(mod.load(target), torch.from_numpy(x), a.direction)).reshape(-1, SIZE, SIZE)
    _save_npy(a.out, y)
    print(f"wrote {a.out}: {y.shape} float32 ({a.direction})")


def complete(target: str, rest: list[str]) -> None:
    """Autoregressive families: keep rows < R of each image, sample the rest K times."""
    mod, _ = _family_of(target)
    if not hasattr(mod, "complete"):
        raise CLIError(f"'{mod.FAMILY}' checkpoints cannot complete images; only autoregressive families (pixelcnn) can")
    p = _parser("python -m genmodels complete CHECKPOINT")
    p.add_argument("--input", required=True, help=".npy of (N, 28, 28) in [0, 1], binarized at 0.5")
    p.add_argument("--known-rows", "--known_rows", dest="known_rows", type=_converter(int), required=True,
                   help="rows 0 … R−1 are kept, rows ≥ R resampled (0..28)")
    p.add_argument("--n", type=_converter(int), default=1, help="completions per image (1..10000)")
    p.add_argument("--seed", type=_converter(int), default=0)
    p.add_argument("--out", required=True, help=".npy of (N·K, 28, 28) float32 0/1")
    a = p.parse_args(rest)
    import torch
    if not 0 <= a.known_rows <= SIZE:
        raise CLIError(f"--known-rows must be in 0..{SIZE}, got {a.known_rows}")
    if not 1 <= a.n <= 10_000:
        raise CLIError(f"--n must be in 1..10000, got {a.n}")
    x = _read_images(a.input)
    if x.min() < 0 or x.max() > 1:
        raise CLIError(f"--input pixels must be in [0, 1], got [{x.min():.3g}, {x.max():.3g}]")
    x = torch.from_numpy((x > 0.5).astype(np.float32))
    y = _as_array(mod.complete(mod.load(target), x, a.known_rows, a.n, seed=a.seed)).reshape(-1, SIZE, SIZE)
    _save_npy(a.out, y)
    print(f"wrote {a.out}: {y.shape} float32 0/1 (rows ≥ {a.known_rows} sampled, {a.n} per image)")


VERBS = ("train", "sample", "eval", "translate", "complete")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = _parser("python -m genmodels", _doc())
    top.add_argument("verb", choices=VERBS)
    top.add_argument("target", help="FAMILY for train; CHECKPOINT path (without extension) otherwise")
    if not argv or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0 if argv else 2
    if argv[0] not in VERBS:
        print(f"error: unknown command '{argv[0]}'; one of: {', '.join(VERBS)}", file=sys.stderr)
        return 2
    if len(argv) < 2 or argv[1].startswith("-"):
        if any(a in ("-h", "--help") for a in argv[1:]):
            what = "FAMILY" if argv[0] == "train" else "CHECKPOINT"
            print(f"usage: python -m genmodels {argv[0]} {what} [options]\n\n"
                  f"{what} is one of: {', '.join(FAMILIES)}" if argv[0] == "train" else
                  f"usage: python -m genmodels {argv[0]} CHECKPOINT [options]\n\n"
                  f"`python -m genmodels {argv[0]} CHECKPOINT --help` lists the options of that checkpoint's family.")
            return 0
        what = "a FAMILY" if argv[0] == "train" else "a CHECKPOINT path"
        print(f"error: {argv[0]} needs {what} first", file=sys.stderr)
        return 2
    verb, target, rest = argv[0], argv[1], argv[2:]
    try:
        if verb == "train":
            train(target, rest, argv)
        elif verb == "sample":
            sample(target, rest)
        elif verb == "eval":
            evaluate(target, rest)
        elif verb == "translate":
            translate(target, rest)
        else:
            complete(target, rest)
    except (checkpoints.CheckpointError, KeyError, ValueError, ImportError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except SystemExit as e:          # argparse: --help (0) or a usage error (2), already printed
        return e.code if isinstance(e.code, int) else 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
