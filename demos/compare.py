"""The same comparison on MNIST (issue 15): the image checkpoints side by side, at the end of the
"Map of models" tab. UI only: every number and picture comes from ``genmodels.compare``."""
from __future__ import annotations

import gradio as gr
import pandas as pd

from genmodels import compare

from .common import LATEX, long_job, number
from .common import png_data_url as _png

INTRO = r"""
#### 4. The same comparison on MNIST
The image models of the other tabs, side by side: 16 samples from each on **seed 0** (the family's own
`sample`), the numbers their cards hold (FLD and KID against test digits, lower is better; class KL: how far the
digits the MNIST classifier sees in 10k samples are from uniform, 0 = every digit equally often), the likelihood
each family can state in nats per image, and the **network evaluations per sample**. *Measure speed now* times
16 images of each on this machine (one thread, the median of a few repeats), and redraws the trilemma with the measured seconds.
No model wins all three corners of the **generative learning trilemma**: quality (FLD), coverage (class KL),
fast sampling (evaluations).
"""
COLUMNS = {"model": "model", "fld": "FLD ↓", "kid": "KID ↓", "class_kl": "class KL ↓", "likelihood": "log-likelihood",
           "evaluations": "evaluations / sample", "seconds": "s / 16 images"}


def table_frame(rows: list[dict], seconds: dict[str, float] | None = None) -> pd.DataFrame:
    """The comparison table as shown (a missing checkpoint shows its message in the likelihood column)."""
    seconds = seconds or {}
    out = []
    for r in rows:
        if "error" in r:
            out.append({"model": r["model"], "likelihood": r["error"]})
            continue
        s = seconds.get(r["checkpoint"])
        out.append({**{k: r.get(k, "") for k in COLUMNS if k != "seconds"},
                    "seconds": f"{s:.3f}" if s is not None else "press Measure"})
    return pd.DataFrame(out, columns=list(COLUMNS)).rename(columns=COLUMNS).fillna("")


def grids(seed: int = 0) -> list[tuple]:
    """(picture, caption) per model whose checkpoint is present (grids cached on disk)."""
    shown = []
    for e in compare.ENTRIES:
        try:
            g = compare.cached_grid(e.checkpoint, seed)
        except ValueError:
            continue                                         # the table row says what is missing
        shown.append((g, e.title + (f": {e.grid_caption}" if e.grid_caption else "")))
    return shown


def grids_html(shown: list[tuple]) -> str:
    """The grids side by side, wrapping on a narrow screen, each under its model's name."""
    figures = "".join(
        f'<figure style="margin: 0; flex: 0 1 180px; min-width: 110px;"><figcaption style="font-size: 0.9em; '
        f'min-height: 2.6em;">{caption}</figcaption><img src="{_png(g)}" alt="16 samples of {caption}, seed 0" '
        f'style="display: block; width: 100%; image-rendering: pixelated;"></figure>' for g, caption in shown)
    return f'<div style="display: flex; flex-wrap: wrap; gap: 10px;">{figures}</div>'


def speed_stream(repeats=3):
    """Time 16 images of every model in turn (median of ``repeats``); yields (table, trilemma, status)."""
    repeats = number("Repeats", repeats, 1, 5, integer=True)
    rows = compare.table()
    present = [r for r in rows if "error" not in r]
    seconds: dict[str, float] = {}
    for i, r in enumerate(present):
        yield (table_frame(rows, seconds), gr.skip(),
               f"timing {r['model']} ({i + 1} of {len(present)}): step {i} of {len(present)} …")
        seconds[r["checkpoint"]] = compare.time_per_16(r["checkpoint"], repeats=repeats)
    yield (table_frame(rows, seconds), compare.trilemma(rows, seconds),
           f"done: step {len(present)} of {len(present)}, every model timed (seconds per 16 images, one thread)")


def build() -> None:
    """The section, inside the current tab."""
    rows = compare.table()
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    gr.HTML(grids_html(grids(0)), elem_id="cmp-grids")
    table = gr.Dataframe(table_frame(rows), interactive=False, wrap=True, elem_id="cmp-table")
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            repeats = gr.Slider(1, 5, value=3, step=1, label="Repeats (the median is shown)", elem_id="cmp-repeats")
            measure = gr.Button("Measure speed now", variant="primary", elem_id="cmp-measure")
            stop = gr.Button("Stop", variant="stop", elem_id="cmp-stop")
            status = gr.Markdown("Seconds per 16 images: not measured yet on this machine.", elem_id="cmp-status")
        with gr.Column(scale=2):
            gr.Markdown("**The generative learning trilemma**: up is better quality (FLD), right is slower sampling "
                        "(network evaluations per sample until *Measure speed now*, then seconds per 16 images)")
            picture = gr.Image(compare.trilemma(rows), label="The generative learning trilemma", show_label=False,
                               interactive=False, elem_id="cmp-trilemma")
    long_job(measure, speed_stream, [repeats], [table, picture, status], "compare_speed", stop=stop, status=status)
