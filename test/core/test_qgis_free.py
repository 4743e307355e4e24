"""The engine (core/) runs without QGIS or Qt, and imports onnxruntime only when a model is loaded."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from support.data import REPO_ROOT

FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "PyQt4", "sip", "PySide2", "PySide6")


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant):
            names.append(str(node.args[0].value))
    return names


def _engine_files() -> list[Path]:
    files = sorted((REPO_ROOT / "core").rglob("*.py"))
    assert len(files) >= 10, files
    return files


@pytest.mark.parametrize("path", _engine_files(), ids=lambda p: p.name)
def test_no_qgis_or_qt_import(path: Path) -> None:
    bad = [name for name in _imported_modules(path) if name.split(".")[0] in FORBIDDEN]
    assert bad == [], f"{path.relative_to(REPO_ROOT)} imports {bad}"


def test_the_scan_sees_imports_in_every_form(tmp_path: Path) -> None:
    """The scanner itself catches all ways of importing qgis (so the test above can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import qgis.core\nfrom qgis.PyQt import QtCore\nfrom PyQt5 import QtGui\n"
        "def f():\n    import PyQt6.QtCore\n    importlib.import_module('qgis.gui')\n"
    )
    assert [n for n in _imported_modules(probe) if n.split(".")[0] in FORBIDDEN] == [
        "qgis.core", "qgis.PyQt", "PyQt5", "PyQt6.QtCore", "qgis.gui"
    ]


def test_importing_the_engine_loads_neither_qt_nor_onnxruntime() -> None:
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "import core.engine, core.reader, core.model, core.runtime, core.writer, core.publish, core.styles\n"
        "import core.dense, core.run_state, core.assessment, core.reference_grid, core.class_codes\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('qgis', 'PyQt5', 'PyQt6', 'sip', 'onnxruntime', 'onnx'))\n"
        "print(','.join(loaded) or 'none')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert done.stdout.strip() == "none", done.stdout + done.stderr


def test_loading_a_model_imports_onnxruntime(dense_model: Path) -> None:
    """The counterpart: the lazy import really happens when needed (the test above is not vacuous)."""
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from core.model import load_model\n"
        f"model = load_model({str(dense_model)!r}, 'CPU')\n"
        "print(model.provider, 'onnxruntime' in sys.modules, 'qgis' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert done.stdout.split() == ["CPUExecutionProvider", "True", "False"], done.stdout + done.stderr
