"""hselcz:diagnostics: the report of core.diagnostics in the log, and optionally in a .txt or .html file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qgis.core import (
    Qgis,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputString,
    QgsProcessingParameterFileDestination,
)

from ..core.diagnostics import collect
from .base import SetupAlgorithm


class DiagnosticsAlgorithm(SetupAlgorithm):
    """Report versions, devices, bundled models and paths, for the user and for bug reports."""

    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "diagnostics"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Diagnose the installation")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Reports what the plugin finds on this computer: the versions of QGIS, Python, GDAL, numpy and "
            "onnxruntime, the execution providers onnxruntime offers and the one each bundled model really starts "
            "on (is the GPU used?), the GPUs in sight, each bundled model's contract (name, version, bands, "
            "processing level, outputs), the plugin's data paths, and what the installer would install.</p>"
            "<p>The report is in the log (copy it from there) and, when you give a file, in a .txt or .html file. "
            "It is in English, to be pasted into a bug report.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Report file"), fileFilter=self.tr("Text (*.txt);;HTML (*.html)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputString("REPORT", self.tr("Report")))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        report = collect(Qgis.QGIS_VERSION)
        text = report.as_text()
        feedback.pushInfo(text)
        results: dict[str, Any] = {"REPORT": text}
        destination = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        if destination:
            path = Path(destination)
            content = report.as_html() if path.suffix.lower() in (".html", ".htm") else text
            partial = path.with_name(path.name + ".partial")  # complete or absent, never half written
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial.write_text(content, encoding="utf-8")
                os.replace(partial, path)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise QgsProcessingException(self.tr("Could not write the report {path}: {error}").format(
                    path=path, error=exc)) from exc
            results[self.OUTPUT] = str(path)
        return results
