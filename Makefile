# Two entry points (README): `make demo` maps the bundled real Sentinel-2 sample, `make test` runs every test.
# Both install what they need first (scripts/bootstrap.sh: apt packages, venv, pip).
PY := .venv/bin/python
export QT_QPA_PLATFORM := offscreen

.PHONY: setup demo test test-engine lint bench styles guide package clean

setup:
	bash scripts/bootstrap.sh

demo: setup
	bash scripts/demo.sh

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q test

# Everything but test/qgis/, with QGIS's pytest plugin off and any qgis/Qt import refused (test/support/no_qgis.py).
test-engine: setup
	PYTHONPATH=test $(PY) -m pytest -q -p no:pytest_qgis -p support.no_qgis \
		test/core test/training test/bench test/scripts

lint: setup
	$(PY) -m ruff check .

package:
	bash scripts/package.sh

guide:  # docs/USER_GUIDE.html for the Help button in a source checkout (the zip gets it from package.sh)
	python3 scripts/markdown_html.py docs/USER_GUIDE.md docs/USER_GUIDE.html

bench: setup
	$(PY) bench/bench_engine.py $(ARGS)

styles: setup
	$(PY) -m core.styles

clean:
	rm -rf demo_output .pytest_cache .qgis-settings
