"""hselcz:assess_hse: score any settlement density map against a reference density raster (core.assessment)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from .assessing import AssessAlgorithm


class AssessHseAlgorithm(AssessAlgorithm):
    """A settlement density raster against a reference density raster."""

    PREDICTION_UNITS = "PREDICTION_UNITS"
    REFERENCE_UNITS = "REFERENCE_UNITS"
    THRESHOLD = "THRESHOLD"
    AGGREGATE = "AGGREGATE"
    NUMBERS = (
        ("MAE", "mae", "Mean absolute error (fraction)"),
        ("RMSE", "rmse", "Root mean square error (fraction)"),
        ("BIAS", "bias", "Bias, prediction minus reference (fraction)"),
        ("BINARY_KAPPA", "binary_kappa", "Kappa of the settlement mask"),
        ("BINARY_AA", "binary_aa", "Average accuracy of the settlement mask"),
        ("BINARY_OA", "binary_oa", "Overall accuracy of the settlement mask"),
        ("BINARY_RECALL", "binary_recall", "Recall of settlement"),
        ("BINARY_PRECISION", "binary_precision", "Precision of settlement"),
        ("BINARY_F1", "binary_f1", "F1 of settlement"),
        ("N", "n", "Scored cells"),
    )

    def name(self) -> str:
        return "assess_hse"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Assess a settlement density map")

    def tags(self) -> list[str]:
        return self.tr("hse,settlement,built-up,imperviousness,density,accuracy,assessment,validation,mae,rmse").split(
            ",")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Scores a settlement density (HSE) raster against a reference density raster.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Compares a settlement density map (built-up fraction) with a reference density raster, e.g. the "
            "Copernicus imperviousness layer, and reports the mean absolute error (MAE), root mean square error "
            "(RMSE) and bias (prediction minus reference) as fractions 0 to 1, and, for the settlement mask "
            "(density at or above the threshold), Kappa, average accuracy, overall accuracy, recall, precision "
            "and F1, as the seed paper (Qiu et al. 2022) reports them.</p>"
            "<p>The map is averaged onto the reference's grid, in the reference's CRS; only the part under the "
            "map is read; nodata of either raster is not scored.</p>"
            "<p><b>Units</b>: fraction 0..1 or percent 0..100; auto reads percent when a value exceeds 1. Values "
            "far outside the range (such as an undeclared nodata value 255) are an error: set the raster's "
            "nodata value.</p>"
            "<p><b>Settlement threshold</b>: a fraction (0.5 = half of the cell built up). <b>Block size</b>: "
            "cells a side averaged before thresholding (1 = none).</p>"
            "<p><b>Outputs</b>: a table of the scores, an HTML report, and the scores as numbers.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        from ..core.scores import HSE_BINARY_THRESHOLD

        self.addParameter(QgsProcessingParameterRasterLayer(self.PREDICTION,
                                                            self.tr("Settlement density map to assess")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.REFERENCE, self.tr("Reference density raster")))
        units = [self.tr("auto"), self.tr("fraction 0..1"), self.tr("percent 0..100")]
        self.addParameter(
            QgsProcessingParameterEnum(self.PREDICTION_UNITS, self.tr("Units of the map"), options=units,
                                       defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.REFERENCE_UNITS, self.tr("Units of the reference"), options=units,
                                       defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD, self.tr("Settlement threshold (fraction)"), QgsProcessingParameterNumber.Type.Double,
                defaultValue=HSE_BINARY_THRESHOLD, minValue=0.001, maxValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.AGGREGATE, self.tr("Block size before thresholding (cells)"),
                QgsProcessingParameterNumber.Type.Integer,
                defaultValue=1, minValue=1,
            )
        )
        self._add_outputs(self.tr("Scores"))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.assessment import UNITS, assess_hse
        from ..core.assessment_report import hse_report_html, hse_table
        from ..core.input_kinds import check_density_map

        prediction = self.gdal_layer(parameters, self.PREDICTION, context).source()
        reference = self.gdal_layer(parameters, self.REFERENCE, context).source()
        with self.engine_errors():
            destinations, html_path = self._destinations(parameters, context, [prediction, reference])
        with self.engine_errors(), destinations.all_or_nothing():
            # an LCZ map is not scored as densities
            check_density_map(prediction, "map")
            check_density_map(reference, "reference")
            result = assess_hse(
                prediction, reference,
                prediction_units=UNITS[self.parameterAsEnum(parameters, self.PREDICTION_UNITS, context)],
                reference_units=UNITS[self.parameterAsEnum(parameters, self.REFERENCE_UNITS, context)],
                threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
                aggregate=self.parameterAsInt(parameters, self.AGGREGATE, context), log=feedback.pushInfo,
            )
            for note in result.notes:
                feedback.pushWarning(note)
            return self._write_outputs(parameters, context, hse_table(result), hse_report_html(result), html_path,
                                       result.scores)
