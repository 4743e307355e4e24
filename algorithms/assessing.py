"""The assessment layer of parameters: a map to score against a reference, a table, an HTML report and numbers.

Shared by hselcz:assess_lcz (assess_lcz.py) and hselcz:assess_hse (assess_hse.py); not registered itself. Two
algorithms rather than one with a mode: their inputs differ (class codes, mappings and polygons against units and a
threshold), and in the modeler and qgis_process a parameter that only one mode reads would be a trap. The numerics
are core.assessment (shared with the training code through core.scores).
"""

from __future__ import annotations

import math
from typing import Any

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QMetaType

from .base import HseLczAlgorithm
from .destinations import Destinations

#: The table's column kinds (core.assessment_report) as field types. QGIS takes QMetaType types from 3.38 on (and
#: only those in Qt 6 builds); older versions refuse them but take the type's number, which QVariant.Type shares
#: (so no QVariant type, which PyQt6 removed, is named anywhere).
_META_TYPES = {"int": QMetaType.Type.Int, "double": QMetaType.Type.Double, "string": QMetaType.Type.QString}
_FIELD_TYPES = (_META_TYPES if Qgis.QGIS_VERSION_INT >= 33800
                else {kind: int(meta) for kind, meta in _META_TYPES.items()})


class AssessAlgorithm(HseLczAlgorithm):
    """What both assessments share: the group, the map and reference rasters, the table and report outputs."""

    PREDICTION = "PREDICTION"
    REFERENCE = "REFERENCE"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_HTML = "OUTPUT_HTML"
    GDAL_INPUTS = (PREDICTION, REFERENCE)
    #: (results key, core score key, description) of the numbers in the results dictionary.
    NUMBERS: tuple[tuple[str, str, str], ...] = ()

    def group(self) -> str:
        return self.tr("Assessment")

    def groupId(self) -> str:  # noqa: N802
        return "assessment"

    def _add_outputs(self, table_name: str) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_TABLE, table_name, QgsProcessing.SourceType.TypeVector, optional=True, createByDefault=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT_HTML, self.tr("Report"), self.tr("HTML files (*.html)"), optional=True,
                createByDefault=True,
            )
        )
        for key, _score, description in self.NUMBERS:
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(description)))

    def _destinations(self, parameters: dict[str, Any], context: QgsProcessingContext,
                      inputs: list[str]) -> tuple[Destinations, str]:
        """The report and the table, checked before anything is computed (missing folders created, as the raster
        outputs do); (their checker, the report path). A failed run leaves neither behind. Call it inside
        engine_errors()."""
        destinations = Destinations(inputs)
        html_path = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context)
        destinations.file(html_path, "the report")  # errors are English (core.errors)
        destinations.file(self.parameterAsOutputLayer(parameters, self.OUTPUT_TABLE, context), "the table")
        return destinations, html_path

    def _write_outputs(self, parameters, context, table, html: str, html_path: str, scores: dict[str, float]):
        from ..core.assessment_report import write_text_atomic

        fields = QgsFields()
        for name, kind in table[0]:
            fields.append(QgsField(name, _FIELD_TYPES[kind]))
        results: dict[str, Any] = {}
        sink, dest_id = self.parameterAsSink(
            parameters, self.OUTPUT_TABLE, context, fields, QgsWkbTypes.Type.NoGeometry, QgsCoordinateReferenceSystem()
        )
        if sink is not None:
            for row in table[1]:
                feature = QgsFeature(fields)
                feature.setAttributes(row)
                if not sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert):
                    raise QgsProcessingException(self.writeFeatureError(sink, parameters, self.OUTPUT_TABLE))
            results[self.OUTPUT_TABLE] = dest_id
        if html_path:
            write_text_atomic(html_path, html)
            results[self.OUTPUT_HTML] = html_path
        for key, score, _description in self.NUMBERS:
            value = scores.get(score, math.nan)
            results[key] = None if isinstance(value, float) and math.isnan(value) else value
        return results
