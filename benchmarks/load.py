"""Load: simulated users mixing every tab against a running app, through gradio_client.

    python benchmarks/load.py [--users 16] [--seconds 60] [--url http://127.0.0.1:7860/]

Without --url it launches the app in this process on a free local port. Each user has its own
client (its own session) and loops over a random mix of light calls (a slider decode, a forward
noising, a translation, a pick, ...) and heavy ones (short training runs, DDIM sampling). Reports
calls served, errors, and p50 / p95 latency of the light calls, which run while heavy ones do.
"""
from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def run_load(url: str, users: int, seconds: float, heavy_share: float = 0.25, seed: int = 0) -> dict:
    from gradio_client import Client

    results: list[tuple[str, str, float, bool]] = []      # (kind, endpoint, seconds, ok)
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def user(i: int) -> None:
        r = random.Random(seed * 1000 + i)
        c = Client(url, verbose=False)
        while time.time() < deadline:
            kind, (name, args) = ("heavy", r.choice(HEAVY)) if r.random() < heavy_share else ("light", r.choice(LIGHT))
            t0 = time.perf_counter()
            try:
                if kind == "heavy":
                    list(c.submit(*args(r), api_name=name))
                else:
                    c.predict(*args(r), api_name=name)
                ok = True
            except Exception as e:  # noqa: BLE001 - counted and reported
                ok = False
                with lock:
                    errors.append(f"{name}: {str(e)[:200]}")
            with lock:
                results.append((kind, name, time.perf_counter() - t0, ok))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    light = sorted(s for k, _, s, ok in results if k == "light" and ok)
    q = lambda p: light[min(len(light) - 1, int(p * len(light)))] if light else float("nan")  # noqa: E731
    return {"calls": len(results), "light_calls": len(light), "heavy_calls": sum(k == "heavy" for k, *_ in results),
            "errors": errors, "light_p50": q(0.5), "light_p95": q(0.95),
            "light_median": statistics.median(light) if light else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--url", default=None)
    a = ap.parse_args()
    url = a.url
    if url is None:
        import app
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app.launch(server_port=port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}/"
    r = run_load(url, a.users, a.seconds)
    print(f"{a.users} users for {a.seconds:.0f} s: {r['calls']} calls served ({r['light_calls']} light, "
          f"{r['heavy_calls']} heavy), {len(r['errors'])} errors")
    print(f"light calls while heavy ones run: p50 {r['light_p50'] * 1000:.0f} ms, p95 {r['light_p95'] * 1000:.0f} ms")
    for e in r["errors"][:10]:
        print("  error:", e)


if __name__ == "__main__":
    main()
