"""Small UI helpers shared by the tabs: input checks, metric cards, and how long jobs run
next to quick ones when many people use the app at once."""
from __future__ import annotations

import base64
import functools
import inspect
import io
import math
import os
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
from gradio import processing_utils
from PIL import Image

from genmodels import checkpoints
from genmodels.plotting import CLASS_COLOURS


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


def png_data_url(picture) -> str:
    """A uint8 picture (H×W or H×W×3 array) as a PNG data URL, for an <img> inside HTML."""
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# Every long job (live training, diffusion sampling) of every tab shares one queue of
# GENMODELS_HEAVY_WORKERS workers (default 2), so that a class of users cannot pile up more long
# jobs than the machine has cores.
HEAVY_WORKERS = int(os.environ.get("GENMODELS_HEAVY_WORKERS", "2"))
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": HEAVY_WORKERS}
# At most this many long jobs wait behind the running ones (one per session, see `long_job`); a
# further one is refused with "the class is busy". With 2 workers and the tabs' default runs
# (10-60 s each), the last of 8 waiting starts within about 4 minutes.
HEAVY_QUEUE = int(os.environ.get("GENMODELS_HEAVY_QUEUE", "8"))
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
        try:
            while (item := _heavy_threads.submit(next, steps, done).result()) is not done:
                yield item
        finally:
            steps.close()
    return run


# Who runs what. A session (one browser tab, or one API client) has at most one long job waiting
# or running. Stop does not use Gradio's cancel: Gradio 6's front end, when a streaming event is
# cancelled, receives an empty completion message and fails on it (handle_data(outputs,
# undefined)); depending on which of two messages lands first, that marks every output of the
# run with a red "Error" badge and wipes it. Instead Stop sets the run's flag, the run ends
# between two steps like a finished one, and its last update says "stopped at step k".
class _Run:
    def __init__(self, name: str):
        self.name = name
        self.stop = threading.Event()


_lock = threading.Lock()
_running: dict[str, _Run] = {}             # session -> its running long job
_admitted: dict[str, float] = {}           # session -> its long job, on its way into Gradio's queue
_stop_on_start: dict[str, tuple[str, float, bool]] = {}  # session -> (job, when Stop was pressed, early)
_finished: dict[str, tuple[str, float]] = {}        # session -> (its last long job, when it ended)
# A Stop pressed right after Go can reach the server before the run does: the browser first
# uploads the run's images (the SDEdit sketch), then joins the queue. Such an "early" Stop is kept
# for EARLY_STOP_S and stops that run as it starts, unless the session's run of that name has
# just ended (then it was a late Stop for the old run, not one for the next).
EARLY_STOP_S = 3.0


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "no-session"


_queue = None                              # the app's Gradio queue, set by limit_long_jobs


def _waiting() -> list:
    """Gradio's queued (not yet started) long-job events, oldest first."""
    try:
        return list(_queue.event_queue_per_concurrency_id[HEAVY["concurrency_id"]].queue)
    except (AttributeError, KeyError):
        return []


def _active() -> list:
    """Gradio's long-job events being processed (also before our handler has started)."""
    jobs = list(getattr(_queue, "active_jobs", None) or [])
    return [e for job in jobs if job for e in job if e.concurrency_id == HEAVY["concurrency_id"]]


def busy_message(name: str, session: str, waiting: list, active: list = ()) -> str | None:
    """Why a new long job from ``session`` may not join the queue now, or None if it may.

    ``waiting`` / ``active``: Gradio's queued / running long-job events (each has a session_hash)."""
    waiting_sessions = {e.session_hash for e in waiting}
    if session in _running or session in _admitted or session in waiting_sessions \
            or any(e.session_hash == session for e in active):
        what = _running[session].name if session in _running else "one"
        return (f"You already have a long job running or waiting ({what.replace('_', ' ')}): one at a time "
                "per visitor, so that everyone gets a turn. Press its Stop, or wait for it to finish.")
    if len(waiting_sessions | set(_admitted)) >= HEAVY_QUEUE:
        return (f"The class is busy: {len(active)} long jobs are running and {HEAVY_QUEUE} are waiting. "
                "Try again in a minute.")
    return None


def limit_long_jobs(blocks: gr.Blocks) -> None:
    """Check ``busy_message`` before a long job joins ``blocks``' queue (call after ``blocks.queue()``).

    It runs in Gradio's own ``queue.push``, for browsers and API callers alike, before anything
    is queued or preprocessed; a refusal is answered like a failed Gradio validator: HTTP 422,
    shown in the browser under the job's first control (the outputs keep what they show), raised
    by gradio_client as a ValidationError with the message.
    """
    global _queue
    _queue = queue = blocks._queue
    push = queue.push

    async def admit_then_push(body, request, username):
        fn = blocks.fns.get(body.fn_index) if body.fn_index is not None else None
        if fn is not None and fn.concurrency_id == HEAVY["concurrency_id"]:
            session = body.session_hash or "no-session"
            with _lock:                       # no await in here: one push at a time gets past it
                message = busy_message(fn.api_name or "", session, _waiting(), _active())
                if message is None:
                    _admitted[session] = time.monotonic()     # until the event is in the queue
            if message is not None:
                verdicts = [{"__type__": "validate", "is_valid": False, "message": message,
                             "parameter_name": "job"}]
                verdicts += [{"is_valid": True, "message": ""}] * (len(fn.inputs) - 1)
                return False, verdicts, "validator_error"
            try:
                return await push(body=body, request=request, username=username)
            finally:
                with _lock:
                    _admitted.pop(session, None)
        return await push(body=body, request=request, username=username)

    queue.push = admit_then_push


_STEP = re.compile(r"\b(step|frame) (\d+)")


def stopped_status(text) -> str:
    """The status a stopped run leaves: its last status with "stopped at step k" in it."""
    text = text if isinstance(text, str) else ""
    m = _STEP.search(text)
    if m and not text[:m.start()].endswith("at "):
        return f"{text[:m.start()]}stopped at {text[m.start():]}"
    if m:                                     # "... collapse at step 40 ..."
        return f"<p>stopped at {m.group(1)} {m.group(2)}</p>{text}"
    if ">step</div>" in text:                 # a card titled "step"
        return text.replace(">step</div>", ">stopped at step</div>", 1)
    return "stopped at step 0: the run had not started, so what is shown is from before"


def _with_stop(fn, name: str, n_outputs: int, status_index: int):
    """``fn``'s stream on the low-priority threads, ending cleanly when its session presses Stop."""
    def run(*args):
        *args, request = args
        session = _session(request)
        job = _Run(name)
        with _lock:
            stop = _stop_on_start.pop(session, None)
            _running[session] = job
        if stop is not None and stop[0] == name and (not stop[2] or time.monotonic() - stop[1] <= EARLY_STOP_S):
            job.stop.set()                    # Stop was pressed while this run waited or was on its way
        status = None
        try:
            if not job.stop.is_set():
                steps = heavy(fn)(*args)
                for item in steps:
                    if isinstance(item, (tuple, list)) and isinstance(item[status_index], str):
                        status = item[status_index]
                    yield item
                    if job.stop.is_set():
                        steps.close()             # the training generator ends here
                        break
                else:
                    return
            update = [gr.skip()] * n_outputs
            update[status_index] = stopped_status(status)
            yield tuple(update) if n_outputs > 1 else update[0]
        finally:
            with _lock:
                if _running.get(session) is job:
                    del _running[session]
                _finished[session] = (name, time.monotonic())
                if _stop_on_start.get(session, ("",))[0] == name:
                    del _stop_on_start[session]    # a Stop for this run, not for the next one
    params = [p.replace(annotation=inspect.Parameter.empty) if p.annotation is gr.Request else p
              for p in inspect.signature(fn).parameters.values()]
    run.__signature__ = inspect.Signature(
        params + [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                    annotation=gr.Request)])
    run.__annotations__ = {"request": gr.Request}
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def _stopper(name: str):
    def stop(request: gr.Request):
        session = _session(request)
        with _lock:
            job = _running.get(session)
            if job is not None and job.name == name:
                job.stop.set()
            elif any(e.session_hash == session and e.fn.api_name == name for e in _waiting() + _active()):
                # waiting in the queue, or taken off it but not yet started (on a busy machine that
                # gap can last seconds): the run stops as it starts
                _stop_on_start[session] = (name, time.monotonic(), False)
            elif not (session in _finished and _finished[session][0] == name
                      and time.monotonic() - _finished[session][1] < EARLY_STOP_S):
                # nothing of it yet: its Go may still be on its way (EARLY_STOP_S above)
                _stop_on_start[session] = (name, time.monotonic(), True)
    return stop


def long_job(button: gr.Button, fn, inputs, outputs, api_name: str, stop: gr.Button, status):
    """``button.click`` for a long streaming job, and its Stop button.

    The job runs in the shared HEAVY queue, its steps on the low-priority threads (``heavy``);
    one job per session may wait or run and at most HEAVY_QUEUE wait (``busy_message``, checked
    by ``limit_long_jobs`` before the job joins the queue, for browsers and API callers alike). ``stop`` ends the
    session's run between two steps; the outputs keep the last frame and ``status`` (one of
    ``outputs``) then says "stopped at step k".
    """
    job = button.click(_with_stop(fn, api_name, len(outputs), outputs.index(status)), inputs, outputs,
                       api_name=api_name, **HEAVY)
    stop.click(_stopper(api_name), None, None, queue=False, api_name=False, show_progress="hidden")
    return job


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
/* display formulas never clip: they scroll sideways, and on a phone they are set smaller */
.katex-display {overflow-x: auto; overflow-y: hidden;}
@media (max-width: 640px) {.katex-display > .katex {font-size: 0.78em;}}
.gm-strip {font-family: monospace; font-size: 1.2em; letter-spacing: 0.15em; word-break: break-all;}
/* Contrast at WCAG AA (4.5:1; tests/test_browser_a11y.py): Gradio's default light theme draws the selected
   tab, the primary and Stop buttons and its subdued text (slider ends, footer) at 1.9-3.8:1 */
:root:root {--color-accent: #c2410c; --body-text-color-subdued: #52525b;
  --button-primary-background-fill: #c2410c; --button-primary-background-fill-hover: #9a3412;
  --button-primary-border-color: #c2410c; --button-primary-border-color-hover: #9a3412;
  --button-cancel-background-fill: #b91c1c; --button-cancel-background-fill-hover: #991b1b;
  --button-cancel-border-color: #b91c1c; --button-cancel-border-color-hover: #991b1b;}
.dark.dark {--button-primary-background-fill: #c2410c; --button-primary-background-fill-hover: #9a3412;
  --button-cancel-background-fill: #b91c1c; --button-cancel-background-fill-hover: #991b1b;}
.dark .gm-card.good .gm-card-value {color: #4ade80;}
.dark .gm-card.bad .gm-card-value {color: #f87171;}
/* galleries fit a phone's width: Gradio's grid keeps `columns` columns of at least 100 px, so the last ones
   slid out of view behind a sideways scroll; here the columns share the width */
@media (max-width: 640px) {.gallery-container .grid-container {
  grid-template-columns: repeat(var(--grid-cols), minmax(0, 1fr));}}
/* the DCGAN slots' pictures shrink to their column on a phone instead of losing their right edge */
[id^="dc-slot-"] .image-container {min-width: 0;}
[id^="dc-slot-"] img {max-width: 100%; object-fit: contain;}
"""


@functools.lru_cache(maxsize=8)
def _resolved(cache_dir: str) -> Path:
    """The cache folder's real path, found once (resolving it per image cost more than its PNG)."""
    return Path(cache_dir).resolve()


# The tabs' digit pictures (passed to the VAE, DCGAN, DDPM and CycleGAN image helpers) are pixel art
# a few hundred pixels wide: lossless PNG keeps their pixels exact, and encodes about 5× faster than
# Gradio's default WebP (2.1 → 0.4 ms for a 196×196 digit), which was the largest cost of a slider's
# answer under class load (docs/figures.md, "Load, stress").
PIXELS = {"format": "png"}
# zlib level 1 instead of PIL's 6: the 420×420 VAE map encodes in 3.7 ms instead of 6.7 (a digit in
# 0.10 instead of 0.26 ms), for files about 1.4× larger (25 vs 18 kB); a class's network carries that
# more easily than the server's one busy core carries the encoding
PNG_LEVEL = 1


def encode_image(img, format: str) -> bytes:
    """A PIL image's bytes as Gradio would write them, PNG at zlib level PNG_LEVEL."""
    if format.lower() != "png":
        return processing_utils.encode_pil_to_bytes(img, format)
    with io.BytesIO() as out:
        img.save(out, "png", compress_level=PNG_LEVEL, pnginfo=processing_utils.get_pil_metadata(img))
        return out.getvalue()


def _save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``processing_utils.save_pil_to_cache``, made safe for many users at once.

    Gradio names a cached image after the hash of its bytes and rewrites that file in place every
    time. Two sessions that produce the same picture (a class on the same default seed) then
    truncate the file while it is being sent to a third browser, which gets a broken image
    ("Too little data for declared Content-Length", seen in benchmarks/load.py). Here an
    existing file is reused (same hash, same bytes) and a new one is renamed into place whole,
    as Gradio's own ``save_file_to_cache`` already does.
    """
    data = encode_image(img, format)
    folder = _resolved(cache_dir) / processing_utils.hash_bytes(data)
    path = folder / f"{name}.{format}"
    try:
        os.utime(path)                        # in use again: the cache sweep counts age from here
    except FileNotFoundError:
        folder.mkdir(exist_ok=True, parents=True)
        fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(staging, path)
    return str(path)


processing_utils.save_pil_to_cache = _save_pil_to_cache


# Disk: every output image, grid, GIF and upload is a file in Gradio's cache, and Gradio's own
# expiry (Blocks(delete_cache=...)) only knows some of them (not uploads, nor the images written
# above), nor the GIFs the tabs write first into genmodels-* temporary folders. The sweep below
# removes whatever was not used for CACHE_SECONDS, every SWEEP_SECONDS, so that disk use stays
# flat under hours of use. An hour covers a lecture: an image still on screen was fetched long ago.
CACHE_SECONDS = float(os.environ.get("GENMODELS_CACHE_SECONDS", "3600"))
SWEEP_SECONDS = float(os.environ.get("GENMODELS_SWEEP_SECONDS", "600"))
OUR_TEMP_PREFIX = "genmodels-"


def gradio_cache_dir() -> Path:
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")


def sweep(age: float = CACHE_SECONDS, keep: set[str] = frozenset(), cache: Path | None = None,
          temp: Path | None = None) -> tuple[int, int]:
    """Remove files unused (not modified) for ``age`` seconds from Gradio's cache (except ``keep``,
    the files components hold from start-up) and our genmodels-* folders; then empty folders.
    Returns (files removed, bytes freed)."""
    cache = gradio_cache_dir() if cache is None else Path(cache)
    temp = Path(tempfile.gettempdir()) if temp is None else Path(temp)
    cutoff = time.time() - age
    files = bytes_ = 0
    roots = [cache] + sorted(temp.glob(OUR_TEMP_PREFIX + "*"))
    for root in roots:
        if not root.is_dir():
            continue
        for folder, dirs, names in os.walk(root, topdown=False):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                    if st.st_mtime < cutoff and path not in keep:
                        os.remove(path)
                        files, bytes_ = files + 1, bytes_ + st.st_size
                except FileNotFoundError:
                    pass
            if folder != str(cache):
                try:
                    if os.stat(folder).st_mtime < cutoff:
                        os.rmdir(folder)          # only succeeds when empty
                except OSError:
                    pass
    with _lock:                               # forget Stops of queued runs that never started
        for k in [k for k, (_, t, _early) in _stop_on_start.items() if time.monotonic() - t > age]:
            del _stop_on_start[k]
        for k in [k for k, (_, t) in _finished.items() if time.monotonic() - t > EARLY_STOP_S]:
            del _finished[k]
    return files, bytes_


def start_sweeping(blocks: gr.Blocks) -> threading.Thread:
    """Run ``sweep`` every SWEEP_SECONDS in a daemon thread, keeping what ``blocks`` holds."""
    def loop():
        while True:
            time.sleep(SWEEP_SECONDS)
            keep = set()
            for block in list(blocks.blocks.values()):
                keep |= {str(f) for f in getattr(block, "keep_in_cache", ())}
            try:
                sweep(CACHE_SECONDS, keep)
            except Exception as e:  # noqa: BLE001 - a failed sweep must not end the sweeping
                print(f"cache sweep failed: {e!r}", file=sys.stderr)
    thread = threading.Thread(target=loop, name="cache-sweep", daemon=True)
    thread.start()
    return thread


# Uploads: a 28×28 model needs a picture, not a file; a phone photo (2-6 MB as JPEG) still fits.
# Gradio refuses a larger upload while it streams in (HTTP 413, the partial file deleted) and the
# browser checks the size before sending.
MAX_UPLOAD_MB = float(os.environ.get("GENMODELS_MAX_UPLOAD_MB", "8"))


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


# ---------------------------------------------------------------------------------------------
# Pieces every tab builds the same way: LaTeX delimiters, the seed control, the sketchpad, and
# the "train live" panel (start mode, steps, seed, Train / Stop, status, plots).
# ---------------------------------------------------------------------------------------------
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
SEED_MAX = 2**31 - 1


def seed_input(label: str = "Seed", value: int = 0, **kw) -> gr.Number:
    """The seed control: a whole number in 0 … 2³¹ − 1 (checked again by ``check_seed``)."""
    return gr.Number(value=value, precision=0, minimum=0, maximum=SEED_MAX, label=label, **kw)


def check_seed(value, name: str = "Seed") -> int:
    """A seed that arrived from a widget or the API, as an int, or a clear gr.Error."""
    return number(name, value, 0, SEED_MAX, integer=True)


def sketchpad(elem_id: str, label: str = "Draw a digit", height: int = 260, brush_size: int = 16, **kw) -> gr.Sketchpad:
    """A 280×280 black-on-white drawing pad (one layer, a fixed black brush); its value goes through
    ``demos.sketch`` (``sketch_to_mnist`` / ``sketch_to_domain``) to ``genmodels.imaging``'s framing. ``PICK_BRUSH_JS`` (run once per page by app.py) selects
    the brush on every pad, so that drawing works without a click on the brush icon first."""
    return gr.Sketchpad(label=label, type="numpy", height=height, canvas_size=(280, 280), layers=False,
                        brush=gr.Brush(default_size=brush_size, colors=["#000000"], color_mode="fixed"),
                        elem_id=elem_id, elem_classes=["gm-sketch"], **kw)


PICK_BRUSH_JS = """() => {
  const pick = () => {
    for (const b of document.querySelectorAll('.gm-sketch button[aria-label="Brush"]')) {
      if (!b.dataset.gmPicked) { b.dataset.gmPicked = '1'; b.click(); }
    }
  };
  new MutationObserver(pick).observe(document.body, {childList: true, subtree: true});
  pick();
}"""


# ---------------------------------------------------------------------------------------------
# Text alternatives (issue 18 item 5): every picture and plot says what it shows to a screen reader.
# gr.Image takes ``alt_text`` (the <img alt>); a plot is a Vega chart whose only label would be
# "Vega visualization", and an image's alt cannot follow a caption that changes. DESCRIBE_JS (run
# once per page by app.py) keeps them up to date in the browser:
# - an <img> of a component registered with ``describe`` gets "its description — its caption's
#   current text" (e.g. "x_t, the sample being denoised — DDIM-50 ... step 50 of 50");
# - an unregistered <img> with no alt gets its component's label, or the caption just above it
#   (a gallery's pictures also their own caption or number);
# - a plot gets "Plot: <description>", Vega's own title, axes and legend (with their current
#   ranges), its caption and, where registered, the caption's text; so does its block (role figure),
#   whose label Vega does not reset when it draws again.
# ---------------------------------------------------------------------------------------------
DESCRIPTIONS: dict[str, tuple[str, str | None]] = {}     # elem_id -> (description, caption's elem_id)


def describe(component, text: str, state=None):
    """Give ``component`` (an image, plot, gallery or HTML with pictures) the text alternative ``text``;
    with ``state`` (a Markdown / HTML caption component) its current text is added in the browser,
    so that the alternative names what is shown now. Returns ``component``."""
    if not getattr(component, "elem_id", None):
        raise ValueError(f"describe() needs a component with an elem_id: {text!r}")
    if state is not None and not getattr(state, "elem_id", None):
        raise ValueError(f"describe() needs a caption component with an elem_id: {text!r}")
    if isinstance(component, gr.Image) and not component.alt_text:
        component.alt_text = text
    DESCRIPTIONS[component.elem_id] = (text, state.elem_id if state is not None else None)
    return component


DESCRIBE_JS = r"""() => {
  const REG = __REGISTRY__;
  const clean = s => (s || '').replace(/[\s\u200b]+/g, ' ').trim();
  const cut = (s, n) => s.length > n ? s.slice(0, n - 1) + '…' : s;
  // a formula as its TeX source, lightly cleaned (G_{\text{ema}} -> G_ema), not KaTeX's two renderings
  const tex = t => t.replace(/\\(?:text|mathrm|operatorname|mathbf|boldsymbol|left|right)\b\s*/g, '')
    .replace(/\\[,;:! ]/g, ' ').replace(/\\sim\b/g, '∼').replace(/\\([a-zA-Z]+)/g, '$1').replace(/[{}]/g, '');
  const textOf = e => {
    const c = e.cloneNode(true);
    c.querySelectorAll('.katex').forEach(k => {
      const a = k.querySelector('annotation');
      k.replaceWith(a ? tex(a.textContent) : k.textContent);
    });
    c.querySelectorAll('p, li, br, div, h1, h2, h3, h4').forEach(b => b.append(' '));
    return clean(c.textContent);
  };
  const above = block => {           // a caption just above the block, in the same column
    const prev = block.previousElementSibling;
    return prev && prev.querySelector('.prose, .md') ? textOf(prev) : '';
  };
  const label = block => (REG[block.id] || [])[0] || clean(block.querySelector('[data-testid=block-label]')?.textContent);
  const state = block => {
    const id = (REG[block.id] || [])[1];
    const e = id && document.getElementById(id);
    return e ? cut(textOf(e), 400) : '';
  };
  const set = (e, attr, text) => {
    if (text && e.getAttribute(attr) !== text) { e.setAttribute(attr, text); e.dataset.gmAlt = '1'; }
  };
  const update = () => {
    for (const block of document.querySelectorAll('.gradio-container .block')) {
      try { describeBlock(block); } catch (err) { console.warn('text alternative of', block.id, err); }
    }
  };
  const describeBlock = block => {
      const mine = e => e.closest('.block') === block;
      const imgs = [...block.querySelectorAll('img')].filter(mine);
      const plots = [...block.querySelectorAll('.vega-embed')].filter(mine);
      if (!imgs.length && !plots.length) return;
      const what = label(block), now = state(block), many = imgs.length > 1;
      imgs.forEach((img, k) => {
        if (img.getAttribute('alt') && !img.dataset.gmAlt && !REG[block.id]) return;  // its own alt
        if (img.dataset.gmOwn === undefined) img.dataset.gmOwn = img.dataset.gmAlt ? '' : clean(img.getAttribute('alt'));
        const own = clean(img.getAttribute('title')) || (img.dataset.gmOwn !== what && img.dataset.gmOwn)
          || (many ? `picture ${k + 1} of ${imgs.length}` : '');
        set(img, 'alt', [what || cut(above(block), 200) || 'Picture', own, now].filter(Boolean).join(' — '));
      });
      for (const v of plots) {
        let parts = [...v.querySelectorAll('[aria-roledescription=title], [aria-roledescription=axis], '
                                             + '[aria-roledescription=legend]')]
          .map(g => clean(g.getAttribute('aria-label')).replace(/^Title text '(.*)'$/, '$1'));
        if (/Infinity/.test(parts.join(' '))) parts = [...parts.filter(t => !/Infinity/.test(t)), 'no data yet'];
        const caption = clean(block.querySelector('p.caption')?.textContent);
        const text = cut(['Plot' + (what ? ': ' + what : ''), ...parts, caption, now].filter(Boolean).join('. '), 1000);
        set(v, 'aria-label', text);
        // Vega resets its own label whenever it draws again (a resize): the block, a figure, keeps it
        if (block.getAttribute('role') !== 'figure') block.setAttribute('role', 'figure');
        set(block, 'aria-label', text);
      }
  };
  if (window.gmDescribing) return;        // once per page
  window.gmDescribing = true;
  let pending = null;
  const soon = () => { if (!pending) pending = setTimeout(() => { pending = null; update(); }, 150); };
  new MutationObserver(soon).observe(document.body, {childList: true, subtree: true, characterData: true,
                                                     attributes: true, attributeFilter: ['src', 'alt', 'aria-label']});
  setInterval(soon, 2000);                 // and a pass every 2 s (about 1 ms each) for what a change hid
  update();
}"""


def describe_js() -> str:
    """DESCRIBE_JS with the registry of ``describe`` (call after the tabs are built)."""
    import json
    return DESCRIBE_JS.replace("__REGISTRY__", json.dumps(DESCRIPTIONS, ensure_ascii=False))


def legend_html(colours=CLASS_COLOURS) -> str:
    """A row of coloured dots labelled 0-9: the class colours of ``genmodels.plotting``'s maps."""
    chips = "".join(f'<span style="display:inline-block;margin-right:10px"><span style="display:inline-block;'
                    f'width:10px;height:10px;border-radius:5px;background:{c}"></span> {i}</span>'
                    for i, c in enumerate(colours))
    return f"<div>{chips}</div>"


class TrainingPanel:
    """The "train live" panel of a tab, built by ``training_panel``.

    ``controls`` and ``plots`` are columns to fill with the family's own widgets; ``mode``
    (None without modes), ``steps``, ``seed``, ``button``, ``stop`` and ``status`` are the shared
    ones. ``wire(fn, inputs, outputs, api_name)`` connects Train and Stop through ``long_job``
    (``status`` is added to the outputs if it is not there).
    """

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.mode = self.steps = self.seed = self.button = self.stop = self.status = None
        self.controls = self.plots = None

    def wire(self, fn, inputs, outputs, api_name: str):
        outputs = list(outputs) if self.status in outputs else [*outputs, self.status]
        return long_job(self.button, fn, inputs, outputs, api_name, stop=self.stop, status=self.status)


def training_panel(prefix: str, title: str, steps: tuple[int, int, int, int], *, modes: list[str] | None = None,
                   steps_label: str = "Steps", button: str = "Train", open: bool = False,
                   plots_scale: int = 2) -> tuple[gr.Accordion, TrainingPanel]:
    """An accordion ``title`` holding the shared controls of a live run; ``steps`` = (lo, hi, default, step).

    Use it as::

        acc, panel = training_panel("vae", "Train a VAE live", (10, 3000, 600, 10), modes=[...])
        with panel.controls:                    # Gradio lets a layout block be filled later
            latent = gr.Radio(...)              # the family's own settings, above the shared ones
        with panel.plots:
            curves = gr.LinePlot(...)
        panel.wire(train_stream, [latent, panel.steps, panel.seed, panel.mode], [curves, panel.status], "vae_train")

    Elements get ids ``{prefix}-train`` (Train), ``{prefix}-stop``, ``{prefix}-t-status``,
    ``{prefix}-t-steps``, ``{prefix}-t-seed`` and ``{prefix}-t-mode``.
    """
    panel = TrainingPanel(prefix)
    lo, hi, default, step = steps
    with gr.Accordion(title, open=open, elem_id=f"{prefix}-train-acc") as acc:
        with gr.Row():
            with gr.Column(min_width=260) as left:
                if modes:
                    panel.mode = gr.Radio(modes, value=modes[0], label="Start", elem_id=f"{prefix}-t-mode")
                panel.controls = gr.Column()
                panel.steps = gr.Slider(lo, hi, value=default, step=step, label=steps_label, elem_id=f"{prefix}-t-steps")
                panel.seed = seed_input("Seed (same seed, same run)", elem_id=f"{prefix}-t-seed")
                with gr.Row():
                    panel.button = gr.Button(button, variant="primary", elem_id=f"{prefix}-train")
                    panel.stop = gr.Button("Stop", variant="stop", elem_id=f"{prefix}-stop")
                panel.status = gr.Markdown("", elem_id=f"{prefix}-t-status")
            panel.plots = gr.Column(scale=plots_scale)
    del left
    return acc, panel
