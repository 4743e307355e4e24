"""No PyQt5-only API in the plugin (issue 21, item 1): it must run on QGIS 3 (Qt 5) and QGIS 4 (Qt 6).

The scan reads every .py file the plugin zip ships (scripts/package.sh builds it here) and reports each use of an API
that PyQt6 removed or renamed, following QGIS's migration rules (its scripts/pyqt5_to_pyqt6 and the "Plugin
migration to be compatible with Qt5 and Qt6" guide). The rules are in one place, RULES; each has a planted example
below that the scan must catch, and the forms that run on both Qt versions must pass.

Unscoped enums (Qt.AlignLeft, QgsProcessing.TypeRaster, QMessageBox.Yes) are found by asking the installed PyQt5 and
QGIS which enum a name belongs to: PyQt6 only knows the scoped form (Qt.AlignmentFlag.AlignLeft), which PyQt5 and
QGIS 3.22 accept too. QGIS 4 was not run here: this scan and QGIS 3.22 are what was checked.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import zipfile
from dataclasses import dataclass
from functools import cache

import pytest

from support.data import REPO_ROOT

#: Each rule: what PyQt6 did, and the form that works with PyQt5 and PyQt6 alike. The one list of the scan's patterns.
RULES = {
    "direct-pyqt-import": "PyQt5/PyQt6/sip imported directly: import them from qgis.PyQt (qgis.PyQt.sip), which "
                          "is PyQt5 in QGIS 3 and PyQt6 in QGIS 4.",
    "qvariant-type": "QVariant.Int/Double/String/...: PyQt6 has no QVariant types. Use QMetaType.Type (QGIS >= 3.38) "
                     "or pick the type at run time for older QGIS.",
    "qvariant-null": "QVariant() as a null value: removed in PyQt6; use NULL from qgis.core.",
    "exec-underscore": "exec_()/print_(): removed in PyQt6; call exec()/print(), which PyQt5 has too.",
    "qapp": "qApp: removed in PyQt6; use QApplication.instance() (or QgsApplication.instance()).",
    "removed-class": "A class Qt 6 removed (QRegExp, QRegExpValidator, QDesktopWidget, QGLWidget, QTextCodec, QMatrix, "
                     "QSound): use QRegularExpression, QRegularExpressionValidator, QScreen, QOpenGLWidget, ...",
    "removed-module": "A module Qt 6 removed (QtWebKit, QtWebKitWidgets, QtXmlPatterns, QtScript) or compiled "
                      "resources (resources_rc): load icons and .ui files by path.",
    "renamed-enum": "An enum value Qt 6 renamed (Qt.MidButton, Qt.TextColorRole, Qt.BackgroundColorRole, "
                    "QPainter.HighQualityAntialiasing).",
    "unscoped-enum": "An enum value without its enum's name: PyQt6 needs Class.Enum.Value (e.g. Qt.AlignmentFlag."
                     "AlignLeft), which PyQt5 and QGIS 3 accept too.",
    "font-metrics-width": "QFontMetrics.width(): removed in Qt 6; use horizontalAdvance().",
    "signal-overload": "signal[str] overloads (activated[str], currentIndexChanged[str]): removed in Qt 6; use "
                       "textActivated / currentTextChanged.",
    "desktop": "QApplication.desktop(): removed in Qt 6; use QScreen (QGuiApplication.primaryScreen()).",
}
_DIRECT_MODULES = {"PyQt5", "PyQt4", "PyQt6", "sip"}
_REMOVED_CLASSES = {"QRegExp", "QRegExpValidator", "QDesktopWidget", "QGLWidget", "QTextCodec", "QMatrix", "QSound"}
_REMOVED_MODULES = {"QtWebKit", "QtWebKitWidgets", "QtXmlPatterns", "QtScript", "QtScriptTools", "resources_rc"}
_RENAMED_METHODS = {"exec_", "print_"}
_RENAMED_ENUMS = {("Qt", "MidButton"), ("Qt", "TextColorRole"), ("Qt", "BackgroundColorRole"),
                  ("QPainter", "HighQualityAntialiasing")}
_OVERLOADED_SIGNALS = {"activated", "currentIndexChanged", "highlighted"}


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int
    code: str
    fix: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.code} [{self.rule}] {self.fix or RULES[self.rule]}"


def _enum_of(owner: object, name: str) -> str | None:
    """The enum that `owner.name` belongs to, when it is an enum value reached without its enum's name."""
    value = getattr(owner, name, None)
    enum_type = type(value)
    enum_name = getattr(enum_type, "__name__", "")
    if value is None or not isinstance(owner, type) or enum_name in ("", name) or enum_type in (int, float, str, bool):
        return None
    return enum_name if getattr(owner, enum_name, None) is enum_type else None


class _Scan(ast.NodeVisitor):
    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.findings: list[Finding] = []
        self.names: dict[str, object] = {}  # what a name imported from qgis.* is, resolved in this QGIS
        self.members: dict[str, tuple[str, str]] = {}  # enum value -> (class, enum), of the classes imported here

    def add(self, rule: str, node: ast.AST, fix: str = "") -> None:
        self.findings.append(Finding(rule, node.lineno, self.lines[node.lineno - 1].strip(), fix))

    # ------------------------------------------------------------------ imports
    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802 (ast API)
        for alias in node.names:
            self._module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        module = node.module or ""
        self._module(node, module)
        for alias in node.names:
            if alias.name in _REMOVED_CLASSES:
                self.add("removed-class", node)
            if alias.name in _REMOVED_MODULES:
                self.add("removed-module", node)
            if node.level == 0 and module.split(".")[0] == "qgis":
                self._learn(alias.asname or alias.name, module, alias.name)

    def _module(self, node: ast.AST, module: str) -> None:
        parts = module.split(".")
        if parts[0] in _DIRECT_MODULES:
            self.add("direct-pyqt-import", node)
        if any(part in _REMOVED_MODULES for part in parts):
            self.add("removed-module", node)

    def _learn(self, name: str, module: str, attribute: str) -> None:
        try:
            value = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            return
        self.names[name] = value
        if isinstance(value, type):
            for member in dir(value):
                enum = _enum_of(value, member) if member[:1].isupper() else None
                if enum:
                    self.members.setdefault(member, (name, enum))

    def _resolve(self, node: ast.AST) -> object | None:
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self._resolve(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    # ------------------------------------------------------------------ uses
    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802
        if node.id == "qApp":
            self.add("qapp", node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:  # noqa: N802
        if node.name in _RENAMED_METHODS:
            self.add("exec-underscore", node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        func = node.func
        if isinstance(func, ast.Name) and func.id == "QVariant" and not node.args:
            self.add("qvariant-null", node)
        if isinstance(func, ast.Attribute):
            if func.attr == "width" and isinstance(func.value, ast.Call) and (
                    getattr(func.value.func, "attr", None) == "fontMetrics"
                    or getattr(func.value.func, "id", None) in ("QFontMetrics", "QFontMetricsF")):
                self.add("font-metrics-width", node)
            if func.attr == "desktop" and not node.args:
                self.add("desktop", node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:  # noqa: N802
        if (isinstance(node.value, ast.Attribute) and node.value.attr in _OVERLOADED_SIGNALS
                and isinstance(node.slice, ast.Name) and node.slice.id == "str"):
            self.add("signal-overload", node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802
        base = node.value
        if node.attr in _RENAMED_METHODS:
            self.add("exec-underscore", node)
        elif isinstance(base, ast.Name) and base.id == "QVariant":
            self.add("qvariant-type", node)
        elif isinstance(base, ast.Name) and (base.id, node.attr) in _RENAMED_ENUMS:
            self.add("renamed-enum", node)
        else:
            self._unscoped_enum(node)
        self.generic_visit(node)

    def _unscoped_enum(self, node: ast.Attribute) -> None:
        owner = self._resolve(node.value)
        if owner is not None:
            enum = _enum_of(owner, node.attr)
            if enum:
                self.add("unscoped-enum", node, f"write {ast.unparse(node.value)}.{enum}.{node.attr}")
            return
        # Reached through an instance (self.FlagCanCancel, parameter.FlagAdvanced): known by the value's name.
        if node.attr in self.members:
            owner_name, enum = self.members[node.attr]
            if not (isinstance(node.value, ast.Attribute) and node.value.attr == enum):
                self.add("unscoped-enum", node, f"write {ast.unparse(node.value)}.{enum}.{node.attr} (as in "
                                                f"{owner_name}.{enum})")


def scan(source: str) -> list[Finding]:
    visitor = _Scan(source)
    visitor.visit(ast.parse(source))
    return sorted(set(visitor.findings), key=lambda finding: (finding.line, finding.rule))


@cache
def shipped_sources() -> dict[str, str]:
    """Every .py file of the plugin zip, as scripts/package.sh builds it: {path in the plugin: source}."""
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "package.sh")], check=True, capture_output=True, text=True)
    with zipfile.ZipFile(REPO_ROOT / "dist" / "hselcz.zip") as archive:
        return {name.split("/", 1)[1]: archive.read(name).decode("utf-8")
                for name in archive.namelist() if name.endswith(".py")}


@pytest.mark.parametrize("path", sorted(shipped_sources()))
def test_no_pyqt5_only_api_in_the_shipped_code(path):
    findings = scan(shipped_sources()[path])
    assert not findings, f"{path} is not Qt 6 ready:\n" + "\n".join(map(str, findings))


def test_the_scan_covers_the_whole_plugin():
    paths = set(shipped_sources())
    assert {"plugin.py", "__init__.py", "dependency_prompt.py", "algorithms/provider.py", "core/engine.py"} <= paths
    assert not any(path.startswith(("test/", "training/", "bench/", "scripts/")) for path in paths)


#: One planted example per rule: the scan must report exactly that rule on it.
PLANTED = {
    "direct-pyqt-import": "from PyQt5.QtCore import QCoreApplication\n",
    "qvariant-type": "from qgis.PyQt.QtCore import QVariant\nkinds = {'int': QVariant.Int, 'text': QVariant.String}\n",
    "qvariant-null": "from qgis.PyQt.QtCore import QVariant\nempty = QVariant()\n",
    "exec-underscore": "def show(dialog):\n    return dialog.exec_()\n",
    "qapp": "from qgis.PyQt.QtWidgets import qApp\nqApp.processEvents()\n",
    "removed-class": "from qgis.PyQt.QtCore import QRegExp\n",
    "removed-module": "from . import resources_rc\n",
    "renamed-enum": "from qgis.PyQt.QtCore import Qt\nbutton = Qt.MidButton\n",
    "unscoped-enum": "from qgis.core import QgsProcessing\nkinds = [QgsProcessing.TypeRaster]\n",
    "font-metrics-width": "def wide(label):\n    return label.fontMetrics().width('x')\n",
    "signal-overload": "def wire(box, slot):\n    box.activated[str].connect(slot)\n",
    "desktop": "from qgis.PyQt.QtWidgets import QApplication\nsize = QApplication.desktop().screenGeometry()\n",
}


def test_every_rule_has_a_planted_example():
    assert set(PLANTED) == set(RULES)


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_each_pattern_is_caught_on_a_planted_example(rule):
    assert {finding.rule for finding in scan(PLANTED[rule])} == {rule}


def test_unscoped_enums_are_found_in_every_form_with_the_scoped_fix():
    source = (
        "from qgis.core import Qgis, QgsProcessingAlgorithm, QgsProcessingParameterNumber\n"
        "from qgis.PyQt import QtCore\n"
        "from qgis.PyQt.QtWidgets import QMessageBox\n"
        "class A(QgsProcessingAlgorithm):\n"
        "    def flags(self):\n"
        "        return super().flags() | self.FlagNoThreading\n"  # through an instance
        "number = QgsProcessingParameterNumber('N', 'n', QgsProcessingParameterNumber.Double)\n"
        "number.setFlags(number.flags() | number.FlagAdvanced)\n"
        "align = QtCore.Qt.AlignLeft\n"  # through the module
        "answer = QMessageBox.Yes\n"
        "level = Qgis.Warning\n"
    )
    fixes = [finding.fix for finding in scan(source)]
    assert fixes == [
        "write self.Flag.FlagNoThreading (as in QgsProcessingAlgorithm.Flag)",
        "write QgsProcessingParameterNumber.Type.Double",
        "write number.Flag.FlagAdvanced (as in QgsProcessingParameterNumber.Flag)",
        "write QtCore.Qt.AlignmentFlag.AlignLeft",
        "write QMessageBox.StandardButton.Yes",
        "write Qgis.MessageLevel.Warning",
    ]


def test_the_forms_that_run_on_qt5_and_qt6_pass():
    """No false alarm on what the scan recommends (scoped enums, exec(), qgis.PyQt imports, NULL)."""
    source = (
        "from qgis.core import NULL, Qgis, QgsProcessing, QgsProcessingAlgorithm, QgsProcessingParameterNumber\n"
        "from qgis.PyQt import sip\n"
        "from qgis.PyQt.QtCore import QMetaType, Qt\n"
        "from qgis.PyQt.QtWidgets import QApplication, QMessageBox\n"
        "kinds = [QgsProcessing.SourceType.TypeRaster, QMetaType.Type.Int]\n"
        "number = QgsProcessingParameterNumber('N', 'n', QgsProcessingParameterNumber.Type.Double)\n"
        "number.setFlags(number.flags() | number.Flag.FlagAdvanced)\n"
        "flags = QgsProcessingAlgorithm.Flag.FlagCanCancel | QgsProcessingAlgorithm.Flag.FlagNoThreading\n"
        "align, level, empty = Qt.AlignmentFlag.AlignLeft, Qgis.MessageLevel.Warning, NULL\n"
        "answer = QMessageBox(QMessageBox.Icon.Question, 't', 'x').exec()\n"
        "app = QApplication.instance()\n"
        "output = QgsProcessing.TEMPORARY_OUTPUT\n"
    )
    assert scan(source) == []
