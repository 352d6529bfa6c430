"""Small UI helpers shared by the tabs: input checks and metric cards."""
from __future__ import annotations

import math

import gradio as gr

from genmodels import checkpoints


def number(name: str, value, lo: float, hi: float, integer: bool = False):
    """Check a value that arrived from a widget or the API; raise a clear gr.Error otherwise."""
    if value is None or isinstance(value, bool) or isinstance(value, (list, dict)):
        raise gr.Error(f"{name} must be a number between {lo} and {hi}; got {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a number between {lo} and {hi}; got {value!r}.") from None
    if math.isnan(v) or not lo <= v <= hi:
        raise gr.Error(f"{name} must be between {lo} and {hi}; got {value!r}.")
    if integer:
        if v != int(v):
            raise gr.Error(f"{name} must be a whole number; got {value!r}.")
        return int(v)
    return v


# Every long job (live training, diffusion sampling) of every tab shares one queue of HEAVY_LIMIT
# workers, so that on a 2-core machine quick calls (a slider, a translation) still find a free core.
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": 2}


def load_checkpoint(load, name: str, hint: str):
    """``load(checkpoints/NAME)``, or a gr.Error saying what is wrong and what still works (``hint``)."""
    try:
        return load(checkpoints.CHECKPOINT_DIR / name)
    except checkpoints.CheckpointError as e:
        raise gr.Error(f"{e} {hint}") from None


def cards(items: list[tuple[str, str, str]]) -> str:
    """HTML cards: (title, value, css class) each; class '' / 'good' / 'bad'."""
    body = "".join(
        f'<div class="gm-card {cls}"><div class="gm-card-title">{title}</div>'
        f'<div class="gm-card-value">{value}</div></div>'
        for title, value, cls in items
    )
    return f'<div class="gm-cards">{body}</div>'


CSS = """
.gm-cards {display: flex; gap: 10px; flex-wrap: wrap;}
.gm-card {flex: 1 1 120px; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px;}
.gm-card-title {font-size: 0.85em; opacity: 0.75;}
.gm-card-value {font-size: 1.6em; font-weight: 600; font-variant-numeric: tabular-nums;}
.gm-card.good .gm-card-value {color: #15803d;}
.gm-card.bad .gm-card-value {color: #b91c1c;}
.gm-warning {background: #fef2f2; color: #991b1b; border: 1px solid #fca5a5; border-radius: 8px; padding: 8px 12px; font-weight: 600;}
.gm-ok {background: #f0fdf4; color: #166534; border: 1px solid #86efac; border-radius: 8px; padding: 8px 12px;}
.gm-strip {font-family: monospace; font-size: 1.2em; letter-spacing: 0.15em; word-break: break-all;}
"""


class UploadImage(gr.Image):
    """gr.Image that hands an unreadable upload to our own checks instead of failing in Gradio.

    gr.Image decodes uploads before the event handler runs, so a bad file would
    end in Gradio's generic "could not preprocess" error. Here the raw path gets
    through and ``genmodels.imaging`` explains what is wrong with it.
    """

    def get_block_name(self) -> str:
        return "image"

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception:  # noqa: BLE001 - any decoding failure: let imaging.open_image explain it
            return getattr(payload, "path", None) if payload is not None else None
