"""hselcz:assess_lcz: score any LCZ map against a reference raster or reference polygons (core.assessment)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .assessing import AssessAlgorithm
from .base import PolygonInputs


class AssessLczAlgorithm(AssessAlgorithm, PolygonInputs):
    """An LCZ raster against a reference raster or polygons with a class field."""

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
                [QgsProcessing.SourceType.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD, self.tr("Class field of the polygons"),
                parentLayerParameterName=self.REFERENCE_POLYGONS,
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

        layer = self.gdal_layer(parameters, self.PREDICTION, context)
        prediction = layer.source()
        if self.parameterAsRasterLayer(parameters, self.REFERENCE, context) is not None:
            reference = self.gdal_layer(parameters, self.REFERENCE, context).source()
            sources = [prediction, reference]
        else:
            reference = self.read_polygons(parameters, context, self.REFERENCE_POLYGONS, self.CLASS_FIELD, layer.crs(),
                                           feedback)
            sources = [prediction]
        with self.engine_errors():
            destinations, html_path = self._destinations(parameters, context, sources)
        with self.engine_errors(), destinations.all_or_nothing():
            check_lcz_map(prediction, "map")  # an HSE map is not scored as classes
            if len(sources) > 1:
                check_lcz_map(sources[1], "reference")
            result = assess_lcz(
                prediction, reference,
                reference_mapping=self.parameterAsString(parameters, self.REFERENCE_MAPPING, context),
                class_groups=self.parameterAsString(parameters, self.CLASS_GROUPS, context), log=feedback.pushInfo,
            )
            for note in result.notes:
                feedback.pushWarning(note)
            return self._write_outputs(parameters, context, lcz_table(result), lcz_report_html(result), html_path,
                                       result.scores)
