"""What the plugin's algorithms translate, collected from a live QGIS (test/qgis/test_qgis_i18n.py checks it,
scripts/update_translations.py writes the .ts from it). Imports qgis: only for tests under qgis/ and that script."""

from __future__ import annotations

import ast
import inspect
import subprocess
import textwrap
from pathlib import Path

from qgis.core import QgsProcessingParameterEnum, QgsProcessingParameterFileDestination
from qgis.PyQt.QtCore import QCoreApplication, QTranslator

from support.translations import GERMAN_TS


def german_translator(folder: Path) -> QTranslator:
    """The plugin's German translation, compiled by lrelease into `folder` and loaded (not installed)."""
    qm = folder / "hselcz_de.qm"
    subprocess.run(["lrelease", str(GERMAN_TS), "-qm", str(qm)], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(qm)), qm
    return translator


class RecordingTranslator(QTranslator):
    """Translates nothing; records every (context, source) that QGIS or the plugin looks up while installed."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: set[tuple[str, str]] = set()

    def isEmpty(self) -> bool:  # noqa: N802 (Qt API)
        return False

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D102 (Qt API)
        self.lookups.add((context, source))
        return None  # no translation: Qt keeps the source


def user_visible(algorithm) -> list[str]:
    """What the dialog, the toolbox and qgis_process show of an algorithm."""
    texts = [algorithm.displayName(), algorithm.group(), algorithm.shortDescription(), algorithm.shortHelpString(),
             ",".join(algorithm.tags())]
    for parameter in algorithm.parameterDefinitions():
        texts += [parameter.description(), parameter.help()]
        if isinstance(parameter, QgsProcessingParameterEnum):
            texts += parameter.options()
        if isinstance(parameter, QgsProcessingParameterFileDestination):
            texts.append(parameter.fileFilter())
    texts += [output.description() for output in algorithm.outputDefinitions()]
    return [text for text in texts if text]


def tr_literals(cls: type) -> set[str]:
    """The literal texts passed to tr() in the methods of a class (its messages, not only its interface)."""
    literals = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls)))):
        function = node.func if isinstance(node, ast.Call) else None
        name = getattr(function, "attr", getattr(function, "id", None))
        first = node.args[0] if name == "tr" and node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            literals.add(first.value)
    return literals


def plugin_classes(algorithm) -> list[type]:
    """The algorithm's class and the plugin's classes it inherits from (base.py, mapping.py, ...)."""
    package = type(algorithm).__module__.split(".")[0]
    return [cls for cls in type(algorithm).__mro__ if cls.__module__.split(".")[0] == package]


def strings_to_translate(provider) -> set[tuple[str, str]]:
    """(context, source) of every string the provider's algorithms translate."""
    recorder = RecordingTranslator()
    QCoreApplication.installTranslator(recorder)
    try:
        provider.name(), provider.longName()
        for registered in provider.algorithms():
            user_visible(registered.create())  # create() builds the parameters, as the dialog does
    finally:
        QCoreApplication.removeTranslator(recorder)
    wanted = {(context, source) for context, source in recorder.lookups
              if context in {type(a).__name__ for a in provider.algorithms()} | {type(provider).__name__}}
    for registered in provider.algorithms():
        context = type(registered).__name__
        wanted |= {(context, text) for cls in plugin_classes(registered) for text in tr_literals(cls)}
    return wanted
