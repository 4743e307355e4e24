"""hselcz:install_dependencies: install onnxruntime into the Python that runs QGIS (core.dependencies).

Headless too: `qgis_process run hselcz:install_dependencies -- DRY_RUN=true` prints the command it would run.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
)

from ..core import dependencies
from ..core.runtime import onnxruntime_import_error
from .base import SetupAlgorithm


class InstallDependenciesAlgorithm(SetupAlgorithm):
    """Pick the onnxruntime package for this computer's platform and GPU and install it with pip."""

    PACKAGE = "PACKAGE"
    DRY_RUN = "DRY_RUN"
    REPLACE = "REPLACE"

    def name(self) -> str:
        return "install_dependencies"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Install onnxruntime")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Installs onnxruntime, which runs the plugin's models, into the Python that runs QGIS, with pip.</p>"
            "<p><b>Package</b>: auto picks it from this computer: onnxruntime-gpu (CUDA) with an NVIDIA GPU on Linux, "
            "or on Windows when the CUDA libraries are installed; onnxruntime-directml on Windows with any other GPU; "
            "onnxruntime otherwise (on macOS it brings CoreML). Every package also runs on the CPU.</p>"
            "<p>numpy stays at the version QGIS was built with. Where the system Python is locked (Linux "
            "distributions, a QGIS installed for all users) it installs for your user only (--user). The log shows "
            "pip's output; when pip fails, the error gives the command to run by hand.</p>"
            "<p><b>Only print the command</b>: installs nothing; the log shows the package, why, and the command. "
            "The log says when QGIS must be restarted.</p>"
            "<p><b>Uninstall other onnxruntime packages first</b>: onnxruntime, onnxruntime-gpu and "
            "onnxruntime-directml overwrite each other; to change from one to another, tick this. QGIS must then be "
            "restarted.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterEnum(
            self.PACKAGE, self.tr("Package"),
            options=[self.tr("auto (for this computer's GPU)"), self.tr("CPU (onnxruntime)"),
                     self.tr("CUDA, NVIDIA (onnxruntime-gpu)"), self.tr("DirectML, Windows (onnxruntime-directml)")],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.DRY_RUN, self.tr("Only print the command"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            self.REPLACE, self.tr("Uninstall other onnxruntime packages first"), defaultValue=False))
        self.addOutput(QgsProcessingOutputString("COMMAND", self.tr("pip command")))
        self.addOutput(QgsProcessingOutputString("PACKAGE", self.tr("Package")))
        self.addOutput(QgsProcessingOutputBoolean("INSTALLED", self.tr("Installed")))
        self.addOutput(QgsProcessingOutputBoolean("RESTART_NEEDED", self.tr("QGIS must be restarted")))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        wanted = dependencies.PACKAGE_CHOICES[self.parameterAsEnum(parameters, self.PACKAGE, context)]
        plan = dependencies.plan_for_this_computer(wanted)
        command = plan.manual_command()
        results = {"COMMAND": command, "PACKAGE": plan.package, "INSTALLED": False, "RESTART_NEEDED": False}
        feedback.pushInfo(self.tr("Package: {package}. {why}").format(package=plan.package, why=plan.why))
        feedback.pushInfo(self.tr("Command: {command}").format(command=command))
        for note in plan.notes:
            feedback.pushWarning(note)
        if self.parameterAsBoolean(parameters, self.DRY_RUN, context):
            return results
        working = onnxruntime_import_error() is None
        if working and any(name == plan.package for name, _ in dependencies.installed_onnxruntime()):
            feedback.pushInfo(self.tr("{package} is already installed and works: nothing to do.").format(
                package=plan.package))
            return {**results, "INSTALLED": True}
        replace = self.parameterAsBoolean(parameters, self.REPLACE, context)
        if plan.conflicts and not replace:
            raise QgsProcessingException(self.tr(
                "Another onnxruntime package is installed ({packages}); the packages overwrite each other. Tick "
                "\"Uninstall other onnxruntime packages first\" (REPLACE=true), or uninstall it yourself, then run "
                "this algorithm again.").format(packages=", ".join(plan.conflicts)))
        result = dependencies.install(plan, log=feedback.pushInfo, is_cancelled=feedback.isCanceled, replace=replace)
        if not result.ok:
            raise QgsProcessingException(result.message)
        (feedback.pushWarning if result.restart_needed else feedback.pushInfo)(result.message)
        return {**results, "INSTALLED": True, "RESTART_NEEDED": result.restart_needed}
