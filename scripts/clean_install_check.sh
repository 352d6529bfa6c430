#!/usr/bin/env bash
# The README's install, checked from nothing: a fresh clone of this repository's HEAD, a new
# virtual environment, `bash scripts/install.sh`, then `python3 app.py` must serve the page and
# answer one call on every tab. Downloads the pip packages (about 4 GB with torch's CUDA libs).
#   bash scripts/clean_install_check.sh [WORKDIR]      # WORKDIR defaults to a new temp folder
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
PORT=${PORT:-7869}
git clone -q "$SRC" "$WORK/genmodels"
python3 -m venv "$WORK/venv"
# shellcheck disable=SC1091
source "$WORK/venv/bin/activate"
cd "$WORK/genmodels"
t0=$(date +%s)
bash scripts/install.sh
echo "clean_install_check: install took $(( $(date +%s) - t0 )) s"
GRADIO_SERVER_PORT=$PORT python3 app.py > "$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
from gradio_client import Client
url = f"http://127.0.0.1:{sys.argv[1]}/"
t0 = time.time()
while True:
    try:
        urllib.request.urlopen(url, timeout=1)
        break
    except OSError:
        if time.time() - t0 > 120:
            sys.exit("clean_install_check: the app did not serve its page within 120 s (see app.log)")
        time.sleep(0.2)
print(f"clean_install_check: first page after {time.time() - t0:.1f} s")
c = Client(url, verbose=False)
calls = [("/coin_train", (0.3, 1024, 100, 2e-3, 2e-3, 256, 0, False, True)),
         ("/vae_decode", ("VAE, 16-D latent", *[0.0] * 16)), ("/dcgan_grid", (0,)),
         ("/ddpm_forward", (0, 500, "linear (T = 1000)", 0)), ("/cyclegan_example", ("horse2zebra", 0, False))]
for name, args in calls:
    t = time.time()
    job = c.submit(*args, api_name=name)
    job.result(timeout=120)
    print(f"clean_install_check: {name} answered in {time.time() - t:.2f} s")
print("clean_install_check: OK")
PY
