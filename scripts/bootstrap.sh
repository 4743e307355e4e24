#!/usr/bin/env bash
# Install everything `make demo` and `make test` need on a fresh Debian 12 / Ubuntu machine:
# Debian's QGIS (qgis, python3-qgis), a venv made from /usr/bin/python3 that sees the system's qgis and
# GDAL bindings, and the Python packages of requirements-dev.txt with numpy kept below 2 (Debian's GDAL
# bindings are built against numpy 1.x). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_apt=0
for pkg in qgis python3-qgis python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt=1
done
if [ "$need_apt" = "1" ]; then
  echo ">> installing Debian packages: qgis python3-qgis python3-venv"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qgis python3-qgis python3-venv >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import qgis.core" 2>/dev/null; then
  echo ">> creating .venv from /usr/bin/python3 with system site packages"
  rm -rf .venv
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

stamp=.venv/.requirements.sha
want="$(cat requirements-dev.txt constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo ">> installing Python packages into .venv"
  PIP_CONSTRAINT="$PWD/constraints.txt" .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
.venv/bin/python -c "import numpy, onnxruntime; from osgeo import gdal_array; import qgis.core" \
  || { echo "bootstrap: the environment is incomplete (see above)"; exit 1; }
