"""The desktop's offer to install onnxruntime (dependency_prompt.py): shown only when it is missing and not declined,
with a dialog that names the package, why, and the command to run by hand."""

from __future__ import annotations

import importlib
import shutil

import pytest
from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QMessageBox, QPushButton

from core.dependencies import GpuFacts, PythonFacts, make_plan
from support.qgis_helpers import plugin_package
from support.qgis_i18n import german_translator


@pytest.fixture()
def prompt(qgis_iface):
    module = importlib.import_module(f"{plugin_package().__name__}.dependency_prompt")
    QgsSettings().remove(module.DONT_ASK_KEY)
    qgis_iface.messageBar().clearWidgets()
    yield module
    QgsSettings().remove(module.DONT_ASK_KEY)
    qgis_iface.messageBar().clearWidgets()


def test_no_offer_when_onnxruntime_is_there_or_headless(prompt, qgis_iface):
    assert not prompt.onnxruntime_missing()  # this environment has it
    assert prompt.offer_install(qgis_iface) is None
    assert prompt.offer_install(None, missing=lambda: True) is None  # qgis_process: no iface, no bar


def test_the_offer_when_missing_and_dont_ask_again(prompt, qgis_iface):
    item = prompt.offer_install(qgis_iface, missing=lambda: True)
    assert item is not None and qgis_iface.messageBar().currentItem() is item
    buttons = {button.text(): button for button in item.findChildren(QPushButton)}
    assert {"Install onnxruntime…", "Diagnostics", "Don't ask again"} <= set(buttons)
    buttons["Don't ask again"].click()
    assert QgsSettings().value(prompt.DONT_ASK_KEY, False, type=bool)
    assert qgis_iface.messageBar().currentItem() is not item
    assert prompt.offer_install(qgis_iface, missing=lambda: True) is None  # declined: never again


def test_the_dialog_names_package_reason_and_command(prompt):
    facts = PythonFacts(platform="win32", executable=r"C:\OSGeo4W\bin\qgis-bin.exe",
                        exec_prefix=r"C:\OSGeo4W\apps\Python312", version=(3, 12), in_venv=False, site_writable=False,
                        externally_managed=False, numpy_version="1.26.4")
    plan = make_plan(facts, GpuFacts(display_adapters=("Intel(R) Iris(R) Xe Graphics",)), "AMD64")
    box = prompt.build_install_dialog(plan)
    assert box.text() == "Install onnxruntime-directml into the Python that runs QGIS?"
    details = box.informativeText()
    assert "Intel(R) Iris(R) Xe Graphics" in details and "numpy stays at version 1.26.4" in details
    assert plan.manual_command() in details and "--user" in details
    roles = sorted(box.buttonRole(button) for button in box.buttons())
    assert roles == sorted([QMessageBox.ButtonRole.AcceptRole, QMessageBox.ButtonRole.ActionRole,
                            QMessageBox.ButtonRole.RejectRole])


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (qttools5-dev-tools) is not installed")
def test_german_set_up(prompt, plugin, tmp_path, repo_root):
    translator = german_translator(tmp_path)
    QCoreApplication.installTranslator(translator)
    try:
        registry = QgsApplication.processingRegistry()
        assert registry.algorithmById("hselcz:install_dependencies").displayName() == "onnxruntime installieren"
        assert registry.algorithmById("hselcz:diagnostics").displayName() == "Installation diagnostizieren"
        assert prompt.tr("Don't ask again") == "Nicht mehr fragen"
    finally:
        QCoreApplication.removeTranslator(translator)
