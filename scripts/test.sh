#!/usr/bin/env bash
# Install everything and run the whole test suite (extra arguments go to pytest,
# e.g. `bash scripts/test.sh -m "not slow"` to skip the slow checks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1
exec ${PYTHON:-python3} -m pytest "$@"
