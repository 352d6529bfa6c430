"""Small UI helpers shared by the tabs: input checks, metric cards, and how long jobs run
next to quick ones when many people use the app at once."""
from __future__ import annotations

import functools
import math
import os
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
from gradio import processing_utils

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


# Every long job (live training, diffusion sampling) of every tab shares one queue of
# GENMODELS_HEAVY_WORKERS workers (default 2), so that a class of users cannot pile up more long
# jobs than the machine has cores.
HEAVY_WORKERS = int(os.environ.get("GENMODELS_HEAVY_WORKERS", "2"))
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": HEAVY_WORKERS}
# Long jobs also run at a lower CPU priority (Linux nice value): quick calls (a slider, a
# translation) preempt them instead of waiting for a core; an idle machine still gives them all.
HEAVY_NICE = int(os.environ.get("GENMODELS_HEAVY_NICE", "10"))


def _lower_priority() -> None:
    if sys.platform == "linux" and HEAVY_NICE > 0:      # only Linux sets a nice value per thread
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HEAVY_NICE)
        except OSError:
            pass                                         # not allowed here: run at normal priority


_heavy_threads = ThreadPoolExecutor(HEAVY_WORKERS + 1, "heavy", initializer=_lower_priority)


def heavy(stream):
    """Run a long streaming handler's steps on the low-priority threads.

    Gradio moves each step of a generator to one of its worker threads; here that worker
    hands the step to ``_heavy_threads`` and waits. Stop still acts between two steps.
    """
    @functools.wraps(stream)
    def run(*args, **kwargs):
        steps = stream(*args, **kwargs)
        done = object()
        while (item := _heavy_threads.submit(next, steps, done).result()) is not done:
            yield item
    return run


def long_job(button: gr.Button, fn, inputs, outputs, api_name: str):
    """``button.click`` for a long streaming job: the shared HEAVY queue, steps run by ``heavy``."""
    return button.click(heavy(fn), inputs, outputs, api_name=api_name, **HEAVY)


# A live run hands the UI a record at least this often (seconds): Stop can only act between two
# records, so this bounds how long a stopped run keeps its worker.
RECORD_SECONDS = 0.25
# Live plots redraw at most this often: more is wasted work for the server and the browser.
FRAMES_PER_SECOND = 15


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


def _save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``processing_utils.save_pil_to_cache``, made safe for many users at once.

    Gradio names a cached image after the hash of its bytes and rewrites that file in place every
    time. Two sessions that produce the same picture (a class on the same default seed) then
    truncate the file while it is being sent to a third browser, which gets a broken image
    ("Too little data for declared Content-Length", seen in benchmarks/load.py). Here an
    existing file is reused (same hash, same bytes) and a new one is renamed into place whole,
    as Gradio's own ``save_file_to_cache`` already does.
    """
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if not path.exists():
        fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(staging, path)
    return str(path)


processing_utils.save_pil_to_cache = _save_pil_to_cache


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
