#!/usr/bin/env bash
# `make demo`: map the bundled real Sentinel-2 sample (Tseung Kwan O, Hong Kong, 23 March 2018, L1C)
# with the bundled default model through qgis_process, exactly as a user would run the plugin, then
# render demo_output/map.png (styled layers side by side, legend, title) with scripts/render_map.py.
#
# qgis_process runs headless in a throw-away profile with the plugin installed by a symlink and enabled
# (docs: /work/shared/QGIS_HEADLESS.md traps 1-6); onnxruntime comes from the project's venv via PYTHONPATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
QGIS_PROCESS=/usr/bin/qgis_process.bin  # the Debian wrapper passes an option 3.22 rejects (trap 1)
SAMPLE="$ROOT/resources/sample/hongkong_tko_S2L1C_20180323.tif"
OUT="$ROOT/demo_output"

[ -x "$PY" ] || { echo "demo: $PY is missing; run 'make setup' (scripts/bootstrap.sh) first" >&2; exit 1; }
[ -x "$QGIS_PROCESS" ] || { echo "demo: $QGIS_PROCESS is missing; install Debian's qgis package" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plugins" "$work/profile/profiles/default/QGIS" "$work/xdg"
chmod 700 "$work/xdg"
ln -s "$ROOT" "$work/plugins/hselcz"                     # the plugin id is the folder name (trap 5)
printf '[PythonPlugins]\nhselcz=true\n' > "$work/profile/profiles/default/QGIS/QGIS3.ini"   # enabled (trap 4)
# QGIS writes a .aux.xml (a histogram) beside every raster it opens as a layer: work on a copy of the sample
# so that nothing is added to the repository.
SCENE="$work/$(basename "$SAMPLE")"
cp "$SAMPLE" "$SCENE"

export QGIS_PLUGINPATH="$work/plugins"
export QGIS_CUSTOM_CONFIG_PATH="$work/profile"           # a writable, clean profile (trap 3)
export QT_QPA_PLATFORM=offscreen                         # no display (trap 2)
export XDG_RUNTIME_DIR="$work/xdg"
PYTHONPATH="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
export PYTHONPATH                                        # onnxruntime for QGIS's embedded Python

mkdir -p "$OUT"
rm -f "$OUT/lcz.tif" "$OUT/hse.tif" "$OUT/map.png" "$OUT"/*.aux.xml

echo ">> qgis_process run hselcz:map on $(basename "$SCENE") with the bundled default model"
if ! "$QGIS_PROCESS" --json run hselcz:map -- \
    "INPUT=$SCENE" "OUTPUT_LCZ=$OUT/lcz.tif" "OUTPUT_HSE=$OUT/hse.tif" \
    > "$work/result.json" 2> "$work/stderr.txt"; then
  echo "demo: qgis_process failed:" >&2
  cat "$work/stderr.txt" >&2
  exit 1
fi

# Show the algorithm's log and say which outputs exist (stdout of --json is pure JSON, trap 6).
"$PY" - "$work/result.json" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
for line in result["log"].get("info", []):
    print("   ", line)
for line in result["log"].get("warning", []):
    print("    warning:", line)
for key, path in sorted(result["results"].items()):
    print(f"   {key} = {path}")
EOF

render_args=(--lcz "$OUT/lcz.tif" --scene "$SCENE" --out "$OUT/map.png")
if [ -f "$OUT/hse.tif" ]; then
  render_args+=(--hse "$OUT/hse.tif")
else
  echo ">> note: the model has no settlement density (HSE) output, so demo_output/hse.tif was not written and the"
  echo "   map shows LCZ only (see the warning above). The bundled default (model v3) writes both layers."
fi

echo ">> rendering demo_output/map.png"
"$PY" scripts/render_map.py "${render_args[@]}"
echo ">> done:"
ls -l "$OUT"
