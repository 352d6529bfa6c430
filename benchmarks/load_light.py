"""A light load generator: N users in ONE process (asyncio + httpx), speaking the browser's protocol.

    python benchmarks/load_light.py [--users 40] [--seconds 60] [--no-pause] [--heavy-share 0.03]
                                    [--url http://127.0.0.1:7860/] [--seed 0]
    python benchmarks/load_light.py --base /tmp/base --rounds 3 [same options]     # A/B

With --base DIR, the app of checkout DIR (e.g. `git worktree add /tmp/base HEAD~1`) and this one
run side by side, idle in turn, and are loaded in interleaved rounds (base, ours, ours, base, ...),
each round --seconds long; it prints each round and the medians' ratio ours/base.

Without --url it starts `python app.py` on a free local port (benchmarks/_common.py's start_app).
Each simulated user has its own session hash and does what a browser tab does: an event whose
dependency is queued joins Gradio's queue (POST /gradio_api/queue/join) and reads its answer from
the session's event stream (GET /gradio_api/queue/data); an event registered with queue=False is
one POST /gradio_api/run/predict. Users pause 1-3 s between actions (--no-pause: none), and mix
the light calls of benchmarks/load.py (LIGHT), slider drags (the sliders' own change events: the
first value and then the last, which is what trigger_mode="always_last" sends for a drag) and,
with probability --heavy-share, a long job (HEAVY of load.py; a refusal because the class is busy
is counted apart from errors).

Reports light-call p50 / p95 / max per kind, errors, the machine's load average during the run,
the app's resident memory (when this script started it), and this process's own CPU share, so
one can see that the generator does not eat the server's cores.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import disk_and_memory, quantile as q, start_app, stop_app  # noqa: E402
from load import HEAVY, LIGHT  # noqa: E402


APP = None


class App:
    """The app's event table, read from /config: fn_index and queue flag per api_name, and the
    slider events (trigger_mode always_last, no api_name) that take the same inputs as a LIGHT endpoint."""

    def __init__(self, config: dict):
        deps = config["dependencies"]
        comps = {c["id"]: c for c in config["components"]}
        self.fn = {}          # api_name -> (fn_index, queued)
        # a gr.State input is sent as null (the server keeps its value per session), as the browser does
        # and an input the arguments leave out gets its component's default, as gradio_client does
        self.states = {d["id"]: [comps.get(i, {}).get("type") == "state" for i in d["inputs"]] for d in deps}
        self.defaults = {d["id"]: [comps.get(i, {}).get("props", {}).get("value") for i in d["inputs"]] for d in deps}
        for d in deps:
            if d.get("api_name"):
                self.fn["/" + d["api_name"]] = (d["id"], bool(d.get("queue", True)))
        self.drag = {}        # LIGHT api_name -> (fn_index, queued) of a slider's change event with its inputs
        for name, _ in LIGHT:
            if name not in self.fn:
                continue
            inputs = next(d["inputs"] for d in deps if d["id"] == self.fn[name][0])
            for d in deps:
                targets = [t[0] for t in d.get("targets", [])]
                if (d["inputs"] == inputs and d["id"] != self.fn[name][0] and d.get("backend_fn")
                        and any(comps.get(t, {}).get("type") == "slider" for t in targets)):
                    self.drag[name] = (d["id"], bool(d.get("queue", True)))
                    break


async def call(client: httpx.AsyncClient, fn_index: int, queued: bool, data, session: str) -> tuple[str, object]:
    """One event as the browser sends it; returns ("ok" | "refused" | "error", detail)."""
    values = iter(data)
    body = {"data": [None if st else next(values, default)
                     for st, default in zip(APP.states[fn_index], APP.defaults[fn_index])], "fn_index": fn_index, "session_hash": session, "event_data": None,
            "trigger_id": None}
    if not queued:
        r = await client.post("gradio_api/run/predict", json=body)
        if r.status_code == 200:
            return "ok", None
        return "error", r.text[:200]
    r = await client.post("gradio_api/queue/join", json=body)
    if r.status_code != 200:
        text = r.text[:300]
        return ("refused" if "class is busy" in text or "one at a time" in text else "error"), text
    event_id = r.json()["event_id"]
    async with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as s:
        async for line in s.aiter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg.get("event_id") != event_id:
                continue
            if msg.get("msg") == "process_completed":
                if msg.get("success"):
                    return "ok", None
                return "error", str(msg.get("output", {}).get("error"))[:200]
    return "error", "the event stream closed before the event completed"


async def user(i: int, app: App, url: str, deadline: float, pause: bool, heavy_share: float, seed: int,
               out: list) -> None:
    r = random.Random(seed * 1000 + i)
    session = uuid.uuid4().hex[:11]
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        await asyncio.sleep(r.uniform(0, 3 if pause else 0.2))           # users do not all arrive at once
        while time.monotonic() < deadline:
            x = r.random()
            if x < heavy_share:
                name, args = r.choice(HEAVY)
                kind, calls = "heavy", [(app.fn[name], args(r))]
            elif x < heavy_share + (1 - heavy_share) * 0.3 and app.drag:
                name = r.choice(sorted(app.drag))
                args = dict(LIGHT)[name]
                kind, calls = "drag", [(app.drag[name], args(r)), (app.drag[name], args(r))]   # first, then last value
            else:
                name, args = r.choice(LIGHT)
                kind, calls = "light", [(app.fn[name], args(r))]
            for (fn_index, queued), data in calls:
                t0 = time.perf_counter()
                status, detail = await call(client, fn_index, queued, data, session)
                out.append((kind, name, status, time.perf_counter() - t0, detail))
                if status == "refused":
                    await asyncio.sleep(1.0)
            if pause:
                await asyncio.sleep(r.uniform(1, 3))


async def run(url: str, users: int, seconds: float, pause: bool, heavy_share: float, seed: int, pid: int | None):
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        global APP
        app = APP = App((await c.get("config")).json())
    out: list = []
    loads, rss = [], []

    async def sample():
        while True:
            loads.append(os.getloadavg()[0])
            if pid is not None:
                rss.append(disk_and_memory(None, pid)["rss_mb"])
            await asyncio.sleep(5)

    sampler = asyncio.create_task(sample())
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(user(i, app, url, deadline, pause, heavy_share, seed, out) for i in range(users)))
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    sampler.cancel()
    own_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return app, out, wall, own_cpu, loads, rss


def light_seconds(out: list) -> list[float]:
    """The answered light calls' and slider drags' latencies, in seconds, of a run's records."""
    return [s for k, _, st, s, _ in out if k in ("light", "drag") and st == "ok"]


def _env(pairs: list[str]) -> dict[str, str]:
    """["KEY=VALUE", ...] -> {KEY: VALUE}."""
    return dict(kv.split("=", 1) for kv in pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--no-pause", action="store_true", help="stress: no pause between a user's actions")
    ap.add_argument("--heavy-share", type=float, default=0.03, help="share of actions that are long jobs")
    ap.add_argument("--url", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--base", default=None, help="A/B: the checkout to compare this one with")
    ap.add_argument("--rounds", type=int, default=3, help="A/B: rounds per app")
    ap.add_argument("--base-env", nargs="*", default=[], metavar="KEY=VALUE", help="A/B: environment for the base app only")
    ap.add_argument("--ours-env", nargs="*", default=[], metavar="KEY=VALUE",
                    help="A/B: environment for this checkout's app only (e.g. --base . --ours-env X=1)")
    a = ap.parse_args()
    if a.base:
        return compare(a)
    url, proc, temp = (a.url, None, None) if a.url else start_app()
    url = url if url.endswith("/") else url + "/"
    try:
        app, out, wall, own_cpu, loads, rss = asyncio.run(
            run(url, a.users, a.seconds, not a.no_pause, a.heavy_share, a.seed, proc.pid if proc else None))
    finally:
        stop_app(proc, temp)
    light = light_seconds(out)
    errors = [(n, d) for _, n, st, _, d in out if st == "error"]
    refused = sum(st == "refused" for _, _, st, _, _ in out)
    mode = "no pause (stress)" if a.no_pause else "pausing 1-3 s"
    print(f"{a.users} users, {mode}, {a.seconds:.0f} s: {len(out)} calls ({len(light)} light ok, "
          f"{sum(k == 'heavy' and st == 'ok' for k, _, st, _, _ in out)} long jobs done, {refused} refused), "
          f"{len(errors)} errors, {len(light) / wall:.1f} light calls/s")
    print(f"light calls: p50 {q(light, 0.5) * 1000:.0f} ms, p95 {q(light, 0.95) * 1000:.0f} ms, "
          f"max {max(light, default=float('nan')) * 1000:.0f} ms")
    for kind in ("light", "drag"):
        for name in sorted({n for k, n, *_ in out if k == kind}):
            xs = [s for k, n, st, s, _ in out if k == kind and n == name and st == "ok"]
            queued = (app.fn if kind == "light" else app.drag)[name][1]
            print(f"  {kind:5s} {name:18s} {'queued' if queued else 'queue=False':11s} {len(xs):5d} calls  "
                  f"p50 {q(xs, 0.5) * 1000:6.0f} ms  p95 {q(xs, 0.95) * 1000:6.0f} ms")
    for n, d in errors[:10]:
        print("  error:", n, d)
    if loads:
        print(f"machine load average (1 min) during the run: median {statistics.median(loads):.2f}, "
              f"max {max(loads):.2f} ({os.cpu_count()} cores)")
    if rss:
        print(f"app resident memory: start {rss[0]:.0f} MB, end {rss[-1]:.0f} MB, max {max(rss):.0f} MB")
        print("  per minute:", ", ".join(f"{m:.0f}" for m in rss[::12]), "MB")
    print(f"this generator's own CPU: {own_cpu:.1f} s in {wall:.0f} s = {100 * own_cpu / wall:.0f} % of one core")


def compare(a) -> None:
    """Interleaved A/B of two checkouts under the same load: base, ours, ours, base, ..."""
    apps = {"base": start_app(_env(a.base_env), root=a.base), "ours": start_app(_env(a.ours_env))}
    res: dict[str, list] = {"base": [], "ours": []}
    try:
        for r in range(a.rounds):
            for name in (("base", "ours") if r % 2 == 0 else ("ours", "base")):
                url, proc, _ = apps[name]
                _, out, wall, _, loads, _ = asyncio.run(
                    run(url, a.users, a.seconds, not a.no_pause, a.heavy_share, a.seed + r, proc.pid))
                light = light_seconds(out)
                errors = sum(st == "error" for _, _, st, _, _ in out)
                row = (q(light, 0.5), q(light, 0.95), len(light) / wall, errors)
                res[name].append(row)
                print(f"round {r + 1} {name}: light p50 {row[0] * 1000:.0f} ms, p95 {row[1] * 1000:.0f} ms, "
                      f"{row[2]:.1f} light calls/s, {errors} errors, load {statistics.median(loads):.2f}", flush=True)
    finally:
        for _, proc, temp in apps.values():
            stop_app(proc, temp)
    med = {n: [statistics.median(x[i] for x in rows) for i in range(3)] for n, rows in res.items()}
    for n in res:
        print(f"{n}: median of rounds p50 {med[n][0] * 1000:.0f} ms, p95 {med[n][1] * 1000:.0f} ms, "
              f"{med[n][2]:.1f} light calls/s")
    print(f"ratio ours/base: p50 {med['ours'][0] / med['base'][0]:.2f}, p95 {med['ours'][1] / med['base'][1]:.2f}, "
          f"throughput {med['ours'][2] / med['base'][2]:.2f}")


if __name__ == "__main__":
    main()
