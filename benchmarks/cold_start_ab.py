"""Cold start of two checkouts, interleaved: `python3 app.py` -> first served page, wall time and the
app process's own CPU time (user + system; steadier than wall time on a shared machine).

    git archive BASE | tar -x -C /tmp/base
    python3 benchmarks/cold_start_ab.py /tmp/base . 3      # BASE_DIR OURS_DIR RUNS
"""
import os, socket, statistics, subprocess, sys, time, urllib.request
def once(root):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2); break
            except OSError:
                if proc.poll() is not None: raise SystemExit("exited")
                time.sleep(0.1)
        wall = time.perf_counter() - t0
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return wall, cpu
    finally:
        proc.terminate(); proc.wait(timeout=30)
base, ours, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = {"base": [], "ours": []}
for i in range(runs):
    for name, root in (("base", base), ("ours", ours)):
        res[name].append(once(root)); print(name, res[name][-1], flush=True)
for name, r in res.items():
    print(name, "wall median %.1f s, CPU median %.1f s" % (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)))
print("ratio ours/base: wall %.2f, CPU %.2f" % (statistics.median(w for w, _ in res["ours"]) / statistics.median(w for w, _ in res["base"]),
      statistics.median(c for _, c in res["ours"]) / statistics.median(c for _, c in res["base"])))
