"""The record every training loop yields, and helpers for streaming them.

A family's ``train(...)`` is a generator: each ``yield`` hands the caller one
:class:`Record`. Closing the generator (``gen.close()``, or simply stopping
iteration) stops training at once; nothing runs in the background.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    step: int                                     # optimizer steps done so far
    losses: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    preview: Any = None                           # family-specific, e.g. images or histograms
    done: bool = False                            # True on the last record of a run
    model: Any = None                             # the live Model being trained (all its networks)

    def as_row(self) -> dict[str, float]:
        """Flat {'step', loss..., metric...} row for a table or CSV."""
        return {"step": self.step, **self.losses, **self.metrics}


class Cadence:
    """When a training loop hands out a record: every ``every`` steps, and also as soon as
    ``seconds`` have passed since the last one (0 = steps only).

    A UI can stop a generator only between two records, so the time bound is what lets
    Stop free its worker within a fraction of a second, however slow a step is.
    """

    def __init__(self, every: int, seconds: float = 0.0):
        self.every, self.seconds = max(1, every), seconds
        self.last = time.perf_counter()

    def due(self, step: int) -> bool:
        now = time.perf_counter()
        if step % self.every == 0 or (self.seconds > 0 and now - self.last >= self.seconds):
            self.last = now
            return True
        return False
