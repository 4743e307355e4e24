"""hselcz:assess_lcz and hselcz:assess_hse: score any LCZ or settlement density map against a reference.

Two algorithms rather than one with a mode: their inputs differ (class codes, mappings and polygons against
units and a threshold), and in the modeler and qgis_process a parameter that only one mode reads would be a
trap. The numerics are core.assessment (shared with the training code through core.scores); this module only
turns parameters into arguments, EngineError into QgsProcessingException, and results into a table, an HTML
report and numbers.
"""

from __future__ import annotations

import math
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, QVariant
from qgis.PyQt.QtGui import QIcon

from ..core.errors import EngineError
from ..core.paths import ICON_PATH, user_guide_url

_FIELD_TYPES = {"int": QVariant.Int, "double": QVariant.Double, "string": QVariant.String}


class _AssessAlgorithm(QgsProcessingAlgorithm):
    """What both assessments share: group, icon, the table and report outputs, error handling."""

    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_HTML = "OUTPUT_HTML"
    #: (results key, core score key, description) of the numbers in the results dictionary.
    NUMBERS: tuple[tuple[str, str, str], ...] = ()

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("AssessAlgorithm", text)

    def group(self) -> str:
        return self.tr("Assessment")

    def groupId(self) -> str:  # noqa: N802
        return "assessment"

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:  # noqa: N802
        return str(ICON_PATH)

    def helpUrl(self) -> str:  # noqa: N802
        """The user guide that ships in the plugin folder, as HTML: the dialog's Help button opens it, offline too."""
        return user_guide_url()

    def _add_outputs(self, table_name: str) -> None:
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT_TABLE, table_name, QgsProcessing.TypeVector, optional=True, createByDefault=True
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

    def _raster_path(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> tuple[str, Any]:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(self.invalidRasterError(parameters, name))
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                self.tr("The layer {name} is not a file raster read by GDAL (provider {provider}).").format(
                    name=layer.name(), provider=layer.providerType()
                )
            )
        return layer.source(), layer

    def _destinations(self, parameters: dict[str, Any], context: QgsProcessingContext, inputs: list[str]):
        """The report and the table, checked before anything is computed (missing folders created, as the raster
        outputs do); (their checker, the report path). A failed run leaves neither behind."""
        from .destinations import Destinations

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
            parameters, self.OUTPUT_TABLE, context, fields, QgsWkbTypes.NoGeometry, QgsCoordinateReferenceSystem()
        )
        if sink is not None:
            for row in table[1]:
                feature = QgsFeature(fields)
                feature.setAttributes(row)
                if not sink.addFeature(feature, QgsFeatureSink.FastInsert):
                    raise QgsProcessingException(self.writeFeatureError(sink, parameters, self.OUTPUT_TABLE))
            results[self.OUTPUT_TABLE] = dest_id
        if html_path:
            write_text_atomic(html_path, html)
            results[self.OUTPUT_HTML] = html_path
        for key, score, _description in self.NUMBERS:
            value = scores.get(score, math.nan)
            results[key] = None if isinstance(value, float) and math.isnan(value) else value
        return results

    @staticmethod
    def _assess(function, *args, **kwargs):
        """The one place where assessment errors become QgsProcessingException."""
        try:
            return function(*args, **kwargs)
        except EngineError as exc:
            raise QgsProcessingException(str(exc)) from exc


class AssessLczAlgorithm(_AssessAlgorithm):
    """An LCZ raster against a reference raster or polygons with a class field."""

    PREDICTION = "PREDICTION"
    REFERENCE = "REFERENCE"
    REFERENCE_POLYGONS = "REFERENCE_POLYGONS"
    CLASS_FIELD = "CLASS_FIELD"
    REFERENCE_MAPPING = "REFERENCE_MAPPING"
    CLASS_GROUPS = "CLASS_GROUPS"
    NUMBERS = (
        ("OA", "oa", "Overall accuracy (OA)"),
        ("KAPPA", "kappa", "Kappa"),
        ("AA", "aa", "Average accuracy (AA)"),
        ("WA", "wa", "Weighted accuracy (WA)"),
        ("OA_URBAN", "oa_urban", "OA of the built zones (OAu)"),
        ("OA_BUILT_NATURAL", "oa_built_natural", "OA built versus natural (OAbu)"),
        ("MACRO_F1", "macro_f1", "Mean F1 over the classes"),
        ("N", "n", "Scored cells"),
    )

    def createInstance(self) -> AssessLczAlgorithm:  # noqa: N802
        return AssessLczAlgorithm()

    def name(self) -> str:
        return "assess_lcz"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Assess a local climate zone map")

    def tags(self) -> list[str]:
        return self.tr("lcz,local climate zones,accuracy,assessment,validation,confusion matrix,kappa,f1").split(",")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Scores an LCZ raster against a reference raster or reference polygons.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Compares an LCZ map (codes 1 to 17: 1-10 built types, A-G as 11-17; its nodata is ignored) with a "
            "reference and reports overall accuracy (OA), Kappa, average accuracy (AA), weighted accuracy (WA, "
            "with the LCZ similarity weights of Bechtel et al. 2017), OA of the built zones (OAu), OA built "
            "versus natural (OAbu), per-class precision, recall and F1, and the confusion matrix.</p>"
            "<p><b>Reference raster</b>: scored on its own grid, in its own CRS: the map is warped onto it (the "
            "majority class when the map is finer, the nearest cell otherwise). Only the part under the map is "
            "read. Its nodata cells are not scored.</p>"
            "<p><b>Reference polygons</b> and <b>Class field</b> (instead of a reference raster): polygons are "
            "rasterised onto the map's grid; a cell counts when its centre lies in a polygon. The field holds "
            "LCZ codes 1-17 or labels 1-10, A-G.</p>"
            "<p><b>Reference mapping</b> (optional): for a reference whose codes are not LCZ codes, e.g. "
            "<code>9-&gt;2; 11-&gt;4; 17-&gt;16</code>. Once given, it must list every code of the reference, also "
            "codes that already are the right LCZ (<code>3-&gt;3</code>); a code it lacks is an error naming it: the "
            "algorithm never guesses what a code means. Without a mapping, the reference's codes are read as LCZ "
            "codes 1-17 (others are an error).</p>"
            "<p><b>Class groups</b> (optional): for a reference with fewer classes, group the LCZ into its "
            "classes, e.g. <code>1,2,4,5-&gt;1; 3,6,7,8,10-&gt;2; 11,12-&gt;3; 13,14,16-&gt;4; 17-&gt;5</code>. "
            "LCZ in no group are left out (the report counts them); WA, OAu and OAbu are then not defined.</p>"
            "<p><b>Outputs</b>: a table with one row per class (counts, precision, recall, F1 and its row of the "
            "confusion matrix, reference in rows, prediction in pred_ columns), an HTML report, and the scores "
            "as numbers for models and scripts.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.PREDICTION, self.tr("LCZ map to assess")))
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.REFERENCE, self.tr("Reference LCZ raster"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.REFERENCE_POLYGONS,
                self.tr("Reference polygons (instead of a reference raster)"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD, self.tr("Class field of the polygons"), parentLayerParameterName=self.REFERENCE_POLYGONS,
                optional=True,
            )
        )
        mapping = QgsProcessingParameterString(self.REFERENCE_MAPPING, self.tr("Reference mapping"), optional=True)
        mapping.setHelp(self.tr("Reference codes to LCZ codes, e.g. 9->2; 11->4; 17->16"))
        self.addParameter(mapping)
        groups = QgsProcessingParameterString(self.CLASS_GROUPS, self.tr("Class groups"), optional=True)
        groups.setHelp(self.tr("LCZ codes to the reference's classes, e.g. 1,2,4,5->1; 3,6,7,8,10->2; 11,12->3"))
        self.addParameter(groups)
        self._add_outputs(self.tr("Per-class scores and confusion matrix"))

    def checkParameterValues(self, parameters: dict[str, Any], context: QgsProcessingContext):  # noqa: N802
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        has_raster = self.parameterAsRasterLayer(parameters, self.REFERENCE, context) is not None
        has_polygons = bool(parameters.get(self.REFERENCE_POLYGONS))
        if has_raster == has_polygons:
            return False, self.tr("Give either a reference raster or reference polygons (with a class field).")
        if has_polygons and not self.parameterAsString(parameters, self.CLASS_FIELD, context):
            return False, self.tr("Reference polygons need a class field.")
        return True, ""

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.assessment import assess_lcz
        from ..core.assessment_report import lcz_report_html, lcz_table
        from ..core.input_kinds import check_lcz_map

        prediction, layer = self._raster_path(parameters, self.PREDICTION, context)
        if self.parameterAsRasterLayer(parameters, self.REFERENCE, context) is not None:
            reference, _ = self._raster_path(parameters, self.REFERENCE, context)
            sources = [prediction, reference]
        else:
            reference = read_polygons(self, parameters, context, self.REFERENCE_POLYGONS, self.CLASS_FIELD,
                                      layer.crs(), feedback)
            sources = [prediction]
        destinations, html_path = self._destinations(parameters, context, sources)
        with destinations.all_or_nothing():
            self._assess(check_lcz_map, prediction, "map")  # an HSE map is not scored as classes
            if len(sources) > 1:
                self._assess(check_lcz_map, sources[1], "reference")
            result = self._assess(
                assess_lcz,
                prediction,
                reference,
                reference_mapping=self.parameterAsString(parameters, self.REFERENCE_MAPPING, context),
                class_groups=self.parameterAsString(parameters, self.CLASS_GROUPS, context),
                log=feedback.pushInfo,
            )
            for note in result.notes:
                feedback.pushWarning(note)
            return self._write_outputs(parameters, context, lcz_table(result), lcz_report_html(result), html_path,
                                       result.scores)


class AssessHseAlgorithm(_AssessAlgorithm):
    """A settlement density raster against a reference density raster."""

    PREDICTION = "PREDICTION"
    REFERENCE = "REFERENCE"
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

    def createInstance(self) -> AssessHseAlgorithm:  # noqa: N802
        return AssessHseAlgorithm()

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

        self.addParameter(QgsProcessingParameterRasterLayer(self.PREDICTION, self.tr("Settlement density map to assess")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.REFERENCE, self.tr("Reference density raster")))
        units = [self.tr("auto"), self.tr("fraction 0..1"), self.tr("percent 0..100")]
        self.addParameter(
            QgsProcessingParameterEnum(self.PREDICTION_UNITS, self.tr("Units of the map"), options=units, defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.REFERENCE_UNITS, self.tr("Units of the reference"), options=units,
                                       defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD, self.tr("Settlement threshold (fraction)"), QgsProcessingParameterNumber.Double,
                defaultValue=HSE_BINARY_THRESHOLD, minValue=0.001, maxValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.AGGREGATE, self.tr("Block size before thresholding (cells)"), QgsProcessingParameterNumber.Integer,
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

        prediction, _ = self._raster_path(parameters, self.PREDICTION, context)
        reference, _ = self._raster_path(parameters, self.REFERENCE, context)
        destinations, html_path = self._destinations(parameters, context, [prediction, reference])
        with destinations.all_or_nothing():
            self._assess(check_density_map, prediction, "map")  # an LCZ map is not scored as densities
            self._assess(check_density_map, reference, "reference")
            result = self._assess(
                assess_hse,
                prediction,
                reference,
                prediction_units=UNITS[self.parameterAsEnum(parameters, self.PREDICTION_UNITS, context)],
                reference_units=UNITS[self.parameterAsEnum(parameters, self.REFERENCE_UNITS, context)],
                threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
                aggregate=self.parameterAsInt(parameters, self.AGGREGATE, context),
                log=feedback.pushInfo,
            )
            for note in result.notes:
                feedback.pushWarning(note)
            return self._write_outputs(parameters, context, hse_table(result), hse_report_html(result), html_path,
                                       result.scores)


def read_polygons(algorithm: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext,
                  source_parameter: str, field_parameter: str, crs: QgsCoordinateReferenceSystem,
                  feedback: QgsProcessingFeedback, what: str = "reference polygons"):
    """A polygon layer's geometries (transformed by QGIS into `crs`) and class values, for the engine.

    Why geometries and not a path: the layer may be a memory layer or a model's temporary output, which GDAL
    cannot open. Points or lines are refused (or skipped among polygons), invalid polygons repaired or skipped, and
    the warnings say how many (core.input_kinds.check_polygons); `what` names the polygons' role in those messages.
    """
    from ..core.assessment import PolygonReference
    from ..core.input_kinds import check_polygons

    tr = algorithm.tr
    source = algorithm.parameterAsSource(parameters, source_parameter, context)
    if source is None:
        raise QgsProcessingException(algorithm.invalidSourceError(parameters, source_parameter))
    field = algorithm.parameterAsString(parameters, field_parameter, context)
    if source.fields().indexOf(field) < 0:
        raise QgsProcessingException(tr("The polygon layer has no field {field}.").format(field=field))
    request = QgsFeatureRequest().setSubsetOfAttributes([field], source.fields())
    request.setDestinationCrs(crs, context.transformContext())
    features: list[tuple[bytes, Any]] = []
    # Invalid geometries are counted and repaired below: QGIS must not drop (or stop at) them on its own.
    for feature in source.getFeatures(request, QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks):
        if feedback.isCanceled():
            raise QgsProcessingException(tr("Cancelled."))
        geometry = feature.geometry()
        value = feature[field]
        if isinstance(value, QVariant) and value.isNull():
            value = None
        features.append((b"" if geometry.isNull() else bytes(geometry.asWkb()), value))
    name = source.sourceName() if hasattr(source, "sourceName") else "polygon layer"
    try:
        features, notes = check_polygons(features, name, what)
    except EngineError as exc:
        raise QgsProcessingException(str(exc)) from exc
    for note in notes:
        feedback.pushWarning(note)
    return PolygonReference(features, crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL), name, field)
