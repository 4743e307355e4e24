#!/usr/bin/env bash
# Build the installable plugin zip (dist/hselcz.zip) with the folder name `hselcz`, the plugin id.
# It carries the plugin only: metadata.txt, the Python package, algorithms, core, models, resources, i18n
# (with .qm files compiled by lrelease when available), docs (the help button and error messages point there)
# and the licences; never training/, test/, bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/hselcz" dist
cp metadata.txt __init__.py plugin.py dependency_prompt.py LICENSE README.md "$stage/hselcz/"
for folder in algorithms core models resources i18n docs; do
  cp -r "$folder" "$stage/hselcz/"
done
# The Help button opens the guide as HTML (core.paths.user_guide_url); converted here, no dependency at run time.
python3 scripts/markdown_html.py docs/USER_GUIDE.md "$stage/hselcz/docs/USER_GUIDE.html"
if command -v lrelease >/dev/null 2>&1; then
  for ts in "$stage"/hselcz/i18n/*.ts; do lrelease -silent "$ts" -qm "${ts%.ts}.qm"; done
else
  echo "package: lrelease not found (apt install qttools5-dev-tools); translations are shipped as .ts only" >&2
fi
find "$stage" -name '__pycache__' -type d -prune -exec rm -rf {} +
find "$stage" \( -name '*.pyc' -o -name '*.aux.xml' \) -delete
rm -f "$ROOT/dist/hselcz.zip"
(cd "$stage" && python3 -m zipfile -c "$ROOT/dist/hselcz.zip" hselcz)
echo "dist/hselcz.zip: $(du -h dist/hselcz.zip | cut -f1)"
