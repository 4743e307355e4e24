"""A pytest plugin for `make test-engine`: any import of QGIS or Qt fails, so the engine suite proves it needs neither.

Loaded with `-p support.no_qgis` (PYTHONPATH=test) together with `-p no:pytest_qgis`, which would start QGIS.
"""

from __future__ import annotations

import importlib.abc
import sys

REFUSED = ("qgis", "processing", "PyQt5", "PyQt6", "sip")


class RefuseQgis(importlib.abc.MetaPathFinder):
    """Refuses the top-level packages of QGIS and Qt."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in REFUSED:
            raise ImportError(f"{fullname} imported in an engine-only run (make test-engine): this test needs QGIS, "
                              "so it belongs under test/qgis/")
        return None


def pytest_addoption(parser) -> None:
    """pytest.ini's option for pytest-qgis, which is off in this run: declared so pytest does not warn about it."""
    parser.addini("qgis_gui_enabled", "pytest-qgis's option (pytest-qgis is off in an engine-only run)")


def pytest_configure(config) -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in REFUSED:
            raise RuntimeError(f"{name} was imported before the engine-only run started")
    sys.meta_path.insert(0, RefuseQgis())
