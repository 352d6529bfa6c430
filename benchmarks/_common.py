"""What the benchmarks share: interleaved timing (A B, B A, …), medians and quantiles, and the app
started as its own process (a free port, its own temporary folder) with its disk and memory probe.
Imported by the scripts in benchmarks/ (their folder is on sys.path when run as a script)."""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- timing ------------------------------------------------------------------------------------
def interleaved(runs: dict, repeats: int, *, clock=time.perf_counter, pass_round: bool = False
                ) -> dict[str, list[float]]:
    """Each function of ``runs`` once per round, round after round, the order reversed every other
    round (A B, B A, …) so neither side always runs first; every time of each, in seconds of
    ``clock``. ``pass_round``: call each function with the round's index (e.g. as its seed)."""
    times = {k: [] for k in runs}
    for r in range(repeats):
        for k, f in (list(runs.items()) if r % 2 == 0 else list(runs.items())[::-1]):
            t0 = clock()
            f(r) if pass_round else f()
            times[k].append(clock() - t0)
    return times


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {k: statistics.median(v) for k, v in times.items()}


def interleaved_medians(runs: dict, repeats: int, **options) -> dict[str, float]:
    """:func:`interleaved`, then the median seconds of each."""
    return medians(interleaved(runs, repeats, **options))


def round_robin(runs: dict):
    """Advance the generators of ``runs`` one item each in turn (each gets the machine in turn) until
    all have ended; yields (key, item, wall seconds, CPU seconds of this process), the seconds being
    that run's own so far: the time spent inside its next() calls."""
    wall, cpu = {k: 0.0 for k in runs}, {k: 0.0 for k in runs}
    runs = dict(runs)
    while runs:
        for k in list(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            item = next(runs[k], None)
            wall[k] += time.perf_counter() - t0
            cpu[k] += time.process_time() - c0
            if item is None:
                del runs[k]
                continue
            yield k, item, wall[k], cpu[k]


def quantile(xs: list[float], p: float) -> float:
    """The p-quantile of ``xs`` (the element at rank ⌊p·n⌋ of the sorted values); nan when empty."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


# -- the app as its own process ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_extra: dict | None = None, *, own_temp: bool = True, root: Path | str = ROOT
              ) -> tuple[str, subprocess.Popen, Path | None]:
    """`python app.py` on a free local port, as its own process; returns (url, process, folder) once
    it serves its page (``root``: the checkout to run, this one by default). ``own_temp``: the app
    gets its own temporary folder (Gradio's cache and our GIFs land there, so disk use is the app's
    alone); else None and the usual folders."""
    port = free_port()
    temp = Path(tempfile.mkdtemp(prefix="genmodels-load-")) if own_temp else None
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_ANALYTICS_ENABLED": "False", **(env_extra or {})}
    if temp is not None:
        env.update(TMPDIR=str(temp), GRADIO_TEMP_DIR=str(temp / "gradio"))
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(1800):
        try:
            urllib.request.urlopen(url, timeout=1)
            return url, proc, temp
        except OSError:
            if proc.poll() is not None:
                stop_app(proc, temp)
                raise RuntimeError("the app exited during start-up; run `python app.py` to see why") from None
            time.sleep(0.1)
    stop_app(proc, temp)
    raise RuntimeError("the app did not answer within 3 minutes")


def stop_app(proc: subprocess.Popen | None, temp: Path | None) -> None:
    """End what :func:`start_app` started and remove its temporary folder."""
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)


def disk_and_memory(temp: Path | None, pid: int | None) -> dict:
    """Files and bytes under the app's temporary folder (Gradio's cache and ours); its resident memory."""
    out = {"files": 0, "bytes": 0, "rss_mb": float("nan")}
    if temp is not None:
        for folder, _, names in os.walk(temp):
            for n in names:
                try:
                    out["bytes"] += os.stat(os.path.join(folder, n)).st_size
                    out["files"] += 1
                except FileNotFoundError:
                    pass
    if pid is not None:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return out


def two_judges():
    """The two MNIST classifiers of issue 19 (LeNet `classifier-mnist`, MLP `classifier-mnist-b`) and the
    test digits, for the probes that print one table row per set of samples."""
    from genmodels import checkpoints, classifier, data
    nets = [classifier.load(checkpoints.CHECKPOINT_DIR / n) for n in ("classifier-mnist", "classifier-mnist-b")]
    return nets, data.load("mnist", "test")[0]


def judge_row(label: str, x, nets, test_digits) -> str:
    """| label | IS LeNet | IS MLP | FLD against as many test digits | classes min..max, KL |"""
    import torch
    from genmodels.metrics import class_histogram, fld, inception_score
    s = []
    for net in nets:
        torch.manual_seed(0)
        s.append(inception_score(x, net)[0])
    f = fld(test_digits[:len(x)], x, nets[0])
    c, kl = class_histogram(x, nets[0])
    return f"| {label} | {s[0]:.2f} | {s[1]:.2f} | {f:.2f} | {min(c)}..{max(c)} kl {kl:.3f} |"
