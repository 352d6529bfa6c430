"""Load: simulated users mixing every tab against a running app, through gradio_client.

    python benchmarks/load.py [--users 16] [--seconds 60] [--url http://127.0.0.1:7860/] [--no-stop]
                              [--idle 0] [--cache-seconds S --sweep-seconds S]

Without --url it starts the app as its own process (`python app.py`) on a free local port, as a
server runs it. Each user has its own client (its own session) and loops over a random mix of
light calls (a slider decode, a forward noising, a translation, a pick, ...) and heavy ones (short
training runs, DDIM sampling). Reports calls served, errors, and p50 / p95 latency of the light
calls, which run while heavy ones do.

A long job refused because the class is busy (the bounded queue, demos/common.py) is counted
apart from errors: it is the answer the app is meant to give then.

When it starts the app itself, the app gets its own temporary folder, and the script reports disk
(files and bytes in the app's Gradio cache and genmodels-* folders) and memory (the app's resident
set) before the load, after it, and after ``--idle`` seconds without users; ``--cache-seconds`` /
``--sweep-seconds`` shorten the cache expiry (an hour, swept every 10 minutes) to see it act.

Then, for every long job, how long Stop takes to free its worker: two long jobs hold both heavy
workers, a short probe waits in the queue, one job is cancelled (what the Stop button sends) and
the clock runs until the probe gets the worker.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import disk_and_memory, quantile, start_app, stop_app  # noqa: E402

LIGHT = [
    ("/vae_decode", lambda r: ("VAE, 16-D latent", *[round(r.uniform(-2, 2), 2) for _ in range(16)])),
    ("/ddpm_forward", lambda r: (r.randrange(10000), r.randrange(1, 1000), "linear (T = 1000)", r.randrange(100))),
    ("/cyclegan_example", lambda r: (r.choice(["horse2zebra", "zebra2horse"]), r.randrange(12), False)),
    ("/dcgan_pick", lambda r: (r.choice(["A", "B", "C"]), r.randrange(50), r.randrange(32))),
    ("/vae_decode_point", lambda r: ("VAE, 2-D latent", r.uniform(-2, 2), r.uniform(-2, 2))),
]
HEAVY = [
    ("/coin_train", lambda r: (r.uniform(0.1, 0.9), 256, 200, 2e-3, 2e-3, 256, r.randrange(100), False, True)),
    ("/ddpm_generate", lambda r: ("DDIM", 10, 0.0, r.randrange(100), 4, True)),
    ("/vae_train", lambda r: (2, True, 1.0, 30, r.randrange(100), "from scratch", "mnist")),
]


def _client(url: str):
    """A gradio_client Client for one simulated user.

    gradio_client opens a new httpx connection for every request, and by default builds a TLS
    context for each (loading every CA certificate) even for a plain http:// URL, where TLS is
    never used: that alone cost the simulated users more CPU than the server spent answering
    them. For http:// we switch that unused verification setup off; https:// keeps it.
    """
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=not url.startswith("http://"))


def _refused(e: Exception) -> bool:
    """A long job the app turned away on purpose: the class is busy, or this user has one already."""
    return "class is busy" in str(e) or "one at a time" in str(e)


def run_load(url: str, users: int, seconds: float, heavy_share: float = 0.25, seed: int = 0) -> dict:
    """All users connect first (each its own session); then for ``seconds`` each loops over calls.

    Connecting is timed apart: 16 clients fetching the app's config in the same instant is a
    burst of its own, not the steady state of light calls next to heavy jobs.
    """
    results: list[tuple[str, str, float, bool]] = []      # (kind, endpoint, seconds, ok)
    errors: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()
    deadline = [0.0]
    connected = threading.Barrier(users + 1, action=lambda: deadline.__setitem__(0, time.time() + seconds))

    def user(i: int) -> None:
        r = random.Random(seed * 1000 + i)
        try:
            c = _client(url)
        except Exception as e:  # noqa: BLE001 - counted and reported
            c = None
            with lock:
                errors.append(f"connect: {str(e)[:200]}")
        connected.wait()
        while c is not None and time.time() < deadline[0]:
            kind, (name, args) = ("heavy", r.choice(HEAVY)) if r.random() < heavy_share else ("light", r.choice(LIGHT))
            t0 = time.perf_counter()
            try:
                if kind == "heavy":
                    # result(), not list(job): gradio_client's iterator waits for a FINISHED status
                    # that never comes when the app refuses the job at the door (class busy).
                    c.submit(*args(r), api_name=name).result(timeout=600)
                else:
                    c.predict(*args(r), api_name=name)
                ok = True
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    (refused if kind == "heavy" and _refused(e) else errors).append(f"{name}: {str(e)[:200]}")
                if kind == "heavy" and _refused(e):
                    time.sleep(1.0)                       # "try again in a minute": a short pause here
                    continue
                ok = False
            with lock:
                results.append((kind, name, time.perf_counter() - t0, ok))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    t_connect = time.perf_counter()
    for t in threads:
        t.start()
    connected.wait(timeout=120)                           # the last one in starts the clock
    t_connect = time.perf_counter() - t_connect
    for t in threads:
        t.join(timeout=seconds + 120)
    light = sorted(s for k, _, s, ok in results if k == "light" and ok)
    per_endpoint = {name: _quantiles(sorted(s for _, n, s, ok in results if n == name and ok))
                    for name in sorted({n for _, n, *_ in results})}
    return {"calls": len(results), "light_calls": len(light), "heavy_calls": sum(k == "heavy" for k, *_ in results),
            "errors": errors, "refused": refused, "connect_seconds": t_connect,
            **{f"light_{k}": v for k, v in _quantiles(light).items()}, "per_endpoint": per_endpoint}


def _quantiles(xs: list[float]) -> dict:
    return {"n": len(xs), "p50": quantile(xs, 0.5), "p95": quantile(xs, 0.95), "max": max(xs, default=float("nan"))}


# Long runs of every heavy endpoint, at the tabs' caps: each is stopped mid-run.
LONG = {
    "coin GAN training": ("/coin_train", (0.3, 1024, 5000, 2e-3, 2e-3, 4096, 1, False, True)),
    "VAE training": ("/vae_train", (16, True, 1.0, 5000, 1, "from scratch", "mnist")),
    "DCGAN training": ("/dcgan_train", ("from scratch", 3000, 128, 1)),
    "CycleGAN training": ("/cyclegan_train", ("from scratch", 2000, 16, 1)),
    "DDPM sampling (1000 steps)": ("/ddpm_generate", ("DDPM", 1000, 1.0, 1, 16, False)),
    "toy diffusion training": ("/ddpm_toy", (-2.0, 2.0, 0.3, "cosine (reaches noise)", 5000, 1)),
}
PROBE = ("/ddpm_generate", ("DDIM", 10, 0.0, 0, 1, True))      # a short heavy job, first frame at once
BLOCKER = ("/dcgan_train", ("from scratch", 3000, 8, 1))       # holds the other heavy worker, lightly


def _started(job) -> bool:
    from gradio_client.utils import Status

    return job.status().code in (Status.PROCESSING, Status.PROGRESS, Status.ITERATING, Status.FINISHED)


def _wait(pred, timeout: float, poll: float = 0.005) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if pred():
            return True
        time.sleep(poll)
    return False


def _submit(client, args, api_name: str, timeout: float = 30.0):
    """``client.submit``, again while the app says this session's previous long job is still
    ending (one long job per session)."""
    end = time.perf_counter() + timeout
    while True:
        job = client.submit(*args, api_name=api_name)
        _wait(lambda: job.done() or len(job.outputs()) > 0, 60)
        if not (job.done() and job.exception() is not None and _refused(job.exception())) \
                or time.perf_counter() > end:
            return job
        time.sleep(0.1)


def measure_stop(url: str, runs: int = 3, jobs=tuple(LONG)) -> dict[str, list[float]]:
    """Seconds from Stop (a cancel) to the queued probe getting the freed worker, per long job."""
    out: dict[str, list[float]] = {}
    blocker_client, job_client, probe_client = (_client(url) for _ in range(3))
    for label in jobs:
        name, args = LONG[label]
        out[label] = []
        for _ in range(runs):
            blocker = _submit(blocker_client, BLOCKER[1], BLOCKER[0])
            job = _submit(job_client, args, name)
            if not (_wait(lambda: len(blocker.outputs()) > 0, 60) and _wait(lambda: len(job.outputs()) > 0, 60)):
                raise RuntimeError(f"{label}: the long jobs did not start")
            time.sleep(1.0)                                    # mid-run
            probe = probe_client.submit(*PROBE[1], api_name=PROBE[0])      # it waits: no retry here
            time.sleep(0.5)
            if _started(probe):
                raise RuntimeError("the probe started while both heavy workers were busy")
            t0 = time.perf_counter()
            job.cancel()
            if not _wait(lambda: _started(probe), 60):
                raise RuntimeError(f"{label}: the probe never got a worker")
            out[label].append(time.perf_counter() - t0)
            blocker.cancel()
            probe.result(timeout=60)
            _wait(lambda: blocker.done() and job.done(), 30)
    return out


def _fmt(m: dict) -> str:
    return f"{m['files']} files, {m['bytes'] / 2**20:.1f} MB on disk; app resident memory {m['rss_mb']:.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--url", default=None)
    ap.add_argument("--no-stop", action="store_true", help="skip the Stop measurement")
    ap.add_argument("--stop-runs", type=int, default=3)
    ap.add_argument("--idle", type=float, default=0, help="seconds without users before the last disk/memory report")
    ap.add_argument("--cache-seconds", type=float, default=None, help="GENMODELS_CACHE_SECONDS for the app")
    ap.add_argument("--sweep-seconds", type=float, default=None, help="GENMODELS_SWEEP_SECONDS for the app")
    a = ap.parse_args()
    extra = {k: str(v) for k, v in (("GENMODELS_CACHE_SECONDS", a.cache_seconds),
                                    ("GENMODELS_SWEEP_SECONDS", a.sweep_seconds)) if v is not None}
    url, proc, temp = (a.url, None, None) if a.url else start_app(extra)
    pid = proc.pid if proc is not None else None
    try:
        if temp is not None:
            print("before the load:", _fmt(disk_and_memory(temp, pid)), flush=True)
        if a.users > 0 and a.seconds > 0:
            stop_sampling = threading.Event()

            def sample() -> None:                         # disk and memory every minute of the load
                t0 = time.time()
                while not stop_sampling.wait(60):
                    print(f"  {time.time() - t0:4.0f} s into the load:", _fmt(disk_and_memory(temp, pid)), flush=True)

            if temp is not None:
                threading.Thread(target=sample, daemon=True).start()
            r = run_load(url, a.users, a.seconds)
            stop_sampling.set()
            print(f"{a.users} users connected in {r['connect_seconds']:.1f} s", flush=True)
            print(f"{a.users} users for {a.seconds:.0f} s: {r['calls']} calls served ({r['light_calls']} light, "
                  f"{r['heavy_calls']} heavy), {len(r['errors'])} errors")
            print(f"light calls while heavy ones run: p50 {r['light_p50'] * 1000:.0f} ms, "
                  f"p95 {r['light_p95'] * 1000:.0f} ms")
            for name, v in r["per_endpoint"].items():
                print(f"  {name:20s} {v['n']:4d} calls  p50 {v['p50'] * 1000:6.0f} ms  p95 {v['p95'] * 1000:6.0f} ms  "
                      f"max {v['max'] * 1000:6.0f} ms")
            for e in r["errors"][:10]:
                print("  error:", e)
            print(f"long jobs refused (class busy / one per user): {len(r['refused'])}")
            if temp is not None:
                print("after the load:", _fmt(disk_and_memory(temp, pid)))
        if a.idle > 0:
            print(f"idle for {a.idle:.0f} s ...", flush=True)
            time.sleep(a.idle)
            if temp is not None:
                print(f"after {a.idle:.0f} s idle:", _fmt(disk_and_memory(temp, pid)))
        if not a.no_stop:
            print("Stop → the freed worker picks up the next queued job (median, max of "
                  f"{a.stop_runs} runs):")
            for label, secs in measure_stop(url, a.stop_runs).items():
                print(f"  {label:28s} {statistics.median(secs) * 1000:6.0f} ms   max {max(secs) * 1000:6.0f} ms")
    finally:
        stop_app(proc, temp)


if __name__ == "__main__":
    main()
