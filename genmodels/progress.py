"""The record every training loop yields, and helpers for streaming them.

A family's ``train(...)`` is a generator: each ``yield`` hands the caller one
:class:`Record`. Closing the generator (``gen.close()``, or simply stopping
iteration) stops training at once; nothing runs in the background.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    step: int                                     # optimizer steps done so far
    losses: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    preview: Any = None                           # family-specific, e.g. images or histograms
    done: bool = False                            # True on the last record of a run

    def as_row(self) -> dict[str, float]:
        """Flat {'step', loss..., metric...} row for a table or CSV."""
        return {"step": self.step, **self.losses, **self.metrics}
