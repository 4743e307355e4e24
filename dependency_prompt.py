"""The desktop's offer to install onnxruntime (issue 21, item 2): a message bar at start when it is missing, and a
dialog that shows what would be installed and why, then runs hselcz:install_dependencies in its Processing dialog
(progress, log, cancel). The decisions are core.dependencies'; this module only shows them (Qt5 and Qt6 alike)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from qgis.core import Qgis, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtWidgets import QMessageBox, QPushButton, QWidget

from .core.dependencies import InstallPlan, plan_for_this_computer

DONT_ASK_KEY = "hselcz/dont_offer_onnxruntime"
INSTALL_ALGORITHM = "hselcz:install_dependencies"
DIAGNOSTICS_ALGORITHM = "hselcz:diagnostics"


def tr(text: str) -> str:
    return QCoreApplication.translate("DependencyPrompt", text)


def onnxruntime_missing() -> bool:
    """Whether onnxruntime is absent, without importing it (which would slow QGIS's start)."""
    return importlib.util.find_spec("onnxruntime") is None


def run_algorithm_dialog(algorithm_id: str) -> None:
    """The algorithm's own Processing dialog: it shows pip's output and can be cancelled."""
    import processing

    processing.execAlgorithmDialog(algorithm_id, {})


def offer_install(iface, missing: Callable[[], bool] = onnxruntime_missing) -> QWidget | None:
    """A message bar item with Install, Diagnostics and Don't ask again, when onnxruntime is missing (else None)."""
    if iface is None or QgsSettings().value(DONT_ASK_KEY, False, type=bool) or not missing():
        return None
    bar = iface.messageBar()
    item = bar.createMessage(tr("HSE & LCZ Mapper"), tr(
        "onnxruntime, which runs the plugin's models, is not installed in the Python that runs QGIS."))
    actions = ((tr("Install onnxruntime…"), lambda: install_dialog(plan_for_this_computer(), iface.mainWindow())),
               (tr("Diagnostics"), lambda: run_algorithm_dialog(DIAGNOSTICS_ALGORITHM)),
               (tr("Don't ask again"), lambda: QgsSettings().setValue(DONT_ASK_KEY, True)))
    for label, action in actions:
        button = QPushButton(label, item)
        button.clicked.connect(action)
        button.clicked.connect(lambda _checked=False: bar.popWidget(item))
        item.layout().addWidget(button)
    bar.pushWidget(item, Qgis.MessageLevel.Warning)
    return item


def build_install_dialog(plan: InstallPlan, parent: QWidget | None = None) -> QMessageBox:
    """The dialog that says what will be installed, why, and the command (selectable, to run it by hand)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(tr("Install onnxruntime"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(tr("Install {package} into the Python that runs QGIS?").format(package=plan.package))
    notes = "\n".join(plan.notes)
    box.setInformativeText(tr("{why}\nnumpy stays at version {numpy}. The command, to run it by hand instead (on "
                              "Windows in the OSGeo4W Shell):\n{command}").format(
        why=plan.why, numpy=plan.numpy_version or "?", command=plan.manual_command()) + (f"\n{notes}" if notes else ""))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.addButton(tr("Install"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(tr("Diagnostics"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    return box


def install_dialog(plan: InstallPlan, parent: QWidget | None = None) -> None:
    box = build_install_dialog(plan, parent)
    box.exec()
    role = box.buttonRole(box.clickedButton()) if box.clickedButton() else None
    if role == QMessageBox.ButtonRole.AcceptRole:
        run_algorithm_dialog(INSTALL_ALGORITHM)
    elif role == QMessageBox.ButtonRole.ActionRole:
        run_algorithm_dialog(DIAGNOSTICS_ALGORITHM)
