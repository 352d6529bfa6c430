"""Checkpoint I/O: safetensors weights + a JSON card, loaded without pickle.

A checkpoint named ``checkpoints/NAME`` is two files:

- ``NAME.safetensors``: every tensor, keys prefixed by network (``G.0.weight``);
- ``NAME.json``: the card, with ``family``, ``config``, ``dataset``, ``steps``,
  ``seed``, ``device``, ``torch``, ``metrics``, ``command`` and the ``sha256``
  of the weights file.

Loading checks the hash and maps everything to the CPU.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupted or of the wrong family."""


def paths(name: str | Path) -> tuple[Path, Path]:
    """(weights, card) paths for ``checkpoints/NAME`` (any extension is dropped)."""
    base = Path(name)
    if base.suffix in (".json", ".safetensors"):
        base = base.with_suffix("")
    return base.with_name(base.name + ".safetensors"), base.with_name(base.name + ".json")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def flatten(networks: dict[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    """{'G': netG, 'D': netD} -> {'G.0.weight': ..., 'D.0.weight': ...}."""
    return {
        f"{prefix}.{key}": t.detach().cpu().contiguous()
        for prefix, net in networks.items()
        for key, t in net.state_dict().items()
    }


def unflatten(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The state dict of one network out of a flattened checkpoint."""
    p = prefix + "."
    return {k[len(p):]: v for k, v in tensors.items() if k.startswith(p)}


def card(family: str, cfg, dataset: str, steps: int, device: str, metrics: dict, command: str = "",
         seconds: float | None = None, **extra) -> dict:
    """The fields every card carries; ``cfg`` is the family's Config dataclass (it holds the seed)."""
    return {"family": family, "config": dataclasses.asdict(cfg), "dataset": dataset, "steps": steps,
            "seed": cfg.seed, "device": device, "torch": torch.__version__, "train_seconds": seconds,
            "metrics": metrics, "command": command, "created": time.strftime("%Y-%m-%d"), **extra}


def continuation(init, steps_total: int) -> tuple[int, dict]:
    """For a run that continued the checkpoint ``init`` (or started fresh: ``init`` empty) and now
    stands at ``steps_total`` steps: (this run's steps, the card fields ``continued_from`` and
    ``steps_total``). ``card['steps']`` counts this run; ``steps_total`` all runs together."""
    if not init:
        return steps_total, {}
    prev = read_card(init)
    before = prev.get("steps_total", prev.get("steps", 0))
    return steps_total - before, {
        "continued_from": {"command": prev.get("command"), "steps": prev.get("steps"), "device": prev.get("device")},
        "steps_total": steps_total}


def save(name: str | Path, networks: dict[str, torch.nn.Module], card: dict) -> dict:
    """Write weights and card; returns the card with its sha256 filled in."""
    weights, card_path = paths(name)
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file(flatten(networks), str(weights), metadata={"family": str(card.get("family", ""))})
    card = {**card, "sha256": sha256(weights), "weights": weights.name}
    card_path.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return card


def read_card(name: str | Path) -> dict:
    _, card_path = paths(name)
    if not card_path.exists():
        raise CheckpointError(
            f"checkpoint card {card_path} not found. Train one with "
            f"`python -m genmodels train FAMILY --out {card_path.with_suffix('')}`"
        )
    try:
        return json.loads(card_path.read_text())
    except json.JSONDecodeError as e:
        raise CheckpointError(f"checkpoint card {card_path} is not valid JSON ({e}); retrain or restore it") from e


def write_card(name: str | Path, card: dict) -> None:
    _, card_path = paths(name)
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def load(name: str | Path, family: str | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors on CPU, card). Raises CheckpointError with a clear message."""
    weights, card_path = paths(name)
    card = read_card(name)
    if family is not None and card.get("family") != family:
        raise CheckpointError(f"{card_path} is a '{card.get('family')}' checkpoint, not '{family}'")
    if not weights.exists():
        raise CheckpointError(f"weights {weights} not found beside its card; restore it or retrain")
    digest = sha256(weights)
    if digest != card.get("sha256"):
        raise CheckpointError(
            f"{weights} is corrupted or was replaced: its sha256 is {digest[:12]}…, "
            f"the card says {str(card.get('sha256'))[:12]}…. Restore it (git checkout) or retrain "
            f"with the command on its card: {card.get('command', 'python -m genmodels train ...')}"
        )
    return load_file(str(weights), device="cpu"), card
