"""The contract every model family follows.

A family is one module (``genmodels/vae.py``, ``genmodels/dcgan.py``, …) that a student can
read top to bottom, and that the command line, the app and the tests use through the same
seven names. ``genmodels.FAMILIES`` maps each CLI name to its module and ``genmodels.family(name)``
imports it (lazily: a family that fails to import breaks only itself). ``tests/test_contract.py``
checks every family in FAMILIES against this page; ``python -m genmodels`` uses nothing else.

    FAMILY                      the CLI name, e.g. "dcgan"
    Config                      a dataclass of everything that defines a run (sizes, steps,
                                learning rate, seed, device, max_seconds); ``cfg.validate()``
                                returns cfg or raises ValueError saying what is wrong
    build(cfg) -> Model         fresh networks, seeded from cfg.seed: ONE torch.nn.Module
                                holding all of the family's networks under their paper names
                                (G, D, G_ema; encoder, decoder; eps_model, ema; …), with
                                ``model.cfg`` (its Config) and ``model.steps`` (optimizer steps
                                done so far; ``model.card`` too once loaded)
    train(cfg, model=None, *, seconds=…) -> Iterator[Record]
                                a generator: one Record at least every ``seconds`` of wall time
                                (``progress.Cadence``) and a last one with ``done=True``; every
                                Record's ``.model`` is the live Model being trained (EMA copies
                                inside it), so a caller can sample from it at any point; closing
                                the generator stops training at once; ``model`` continues it
    sample(model, n, *, seed, **options) -> Tensor
                                images (n, 1, 28, 28) in [0, 1]; 2-D families (n, 2) points;
                                the coin GAN (n,) flips, 1.0 = heads.
                                The same seed gives the same samples on the CPU. ``options`` are
                                the family's SAMPLE_OPTIONS (e.g. sampler, steps, label, guidance)
    save(model, path, metrics, *, command="", seconds=None) -> card
                                ``checkpoints.save``: safetensors weights + JSON card
    load(path) -> Model         on the CPU, in eval mode, ``model.card`` set; no pickle
    evaluate(model, *, n=None, seed=0, **options) -> dict
                                the card's metrics (FLD / KID / IS, NLL in nats, …);
                                ``options`` are the family's EVAL_OPTIONS

and three declarations for the command line:

    SAMPLE_OPTIONS, EVAL_OPTIONS   tuples of ``Option(name, type, default, help)``; they become
                                   ``--name`` flags of ``sample`` / ``eval`` and arrive as keyword
                                   arguments (a default of None means "not given"). ``type`` is any
                                   callable from the flag's string (int, float, str, bool reads
                                   true/false, or a reader whose ValueError message is shown);
                                   range checks belong in ``sample`` / ``evaluate`` (ValueError)
    CARD_EVAL                      keyword arguments of ``evaluate`` that ``train`` uses to put
                                   metrics on the card it writes (``{}``: the family's defaults)

Optional: ``CLI_ALIASES`` ({"p": "p_heads"}: extra ``train`` flag names for Config fields), and the
special verbs' functions ``translate(model, images, direction)`` (cyclegan) and
``complete(model, x, known_rows, n, *, seed)`` (pixelcnn). Bad input anywhere is a ValueError with
a sentence saying what is allowed: the CLI prints it as ``error: …`` (exit 2), the app as a message.

Records (``progress.Record``) carry ``step``, ``losses`` (``loss`` or ``loss_<name>`` with the
paper's subscript: ``loss_D``, ``loss_G``, ``loss_kl``, ``loss_cycle_X``), ``metrics``, a typed
``preview`` (a small dataclass of the family's, never a dict of string keys), ``done`` and
``model``.
"""
from __future__ import annotations

import types
from typing import Any, Iterator, NamedTuple, Protocol

from .progress import Record


class Option(NamedTuple):
    """A family-specific flag of ``sample`` / ``eval``, e.g. ``Option("steps", int, None, "…")``."""
    name: str
    type: type
    default: Any
    help: str


class Family(Protocol):
    """What ``genmodels.family(name)`` returns (a module, typed here for readers and checkers)."""
    FAMILY: str
    Config: type
    SAMPLE_OPTIONS: tuple[Option, ...]
    EVAL_OPTIONS: tuple[Option, ...]
    CARD_EVAL: dict

    def build(self, cfg) -> Any: ...
    def train(self, cfg, model=None, **kw) -> Iterator[Record]: ...
    def sample(self, model, n: int, *, seed: int, **options) -> Any: ...
    def save(self, model, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict: ...
    def load(self, path) -> Any: ...
    def evaluate(self, model, *, n: int | None = None, seed: int = 0, **options) -> dict: ...


NAMES = ("FAMILY", "Config", "build", "train", "sample", "save", "load", "evaluate",
         "SAMPLE_OPTIONS", "EVAL_OPTIONS", "CARD_EVAL")


def missing(module: types.ModuleType) -> list[str]:
    """The contract's names that ``module`` lacks (empty: it follows the contract)."""
    return [name for name in NAMES if not hasattr(module, name)]
