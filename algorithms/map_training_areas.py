"""hselcz:map_training_areas: the LCZ map adapted to the user's training areas (core.training_areas).

The mapping layer of parameters (mapping.py: the scene, more dates, model, outputs and styles, as hselcz:map) with
the training areas, the class field, a saved adapter to apply instead, the adapter file to save and the
cross-validated report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorLayer,
)

from .base import PolygonInputs
from .destinations import Destinations
from .mapping import MappingAlgorithm


class MapTrainingAreasAlgorithm(MappingAlgorithm, PolygonInputs):
    """Map LCZ (and HSE) with the model's map adapted to local training areas."""

    TRAINING_AREAS = "TRAINING_AREAS"
    CLASS_FIELD = "CLASS_FIELD"
    ADAPTER = "ADAPTER"
    FOLDS = "FOLDS"
    OUTPUT_ADAPTER = "OUTPUT_ADAPTER"
    OUTPUT_HTML = "OUTPUT_HTML"
    NUMBERS = (
        ("CV_OA", "oa", "Cross-validated OA of the adapted map on the training areas"),
        ("CV_KAPPA", "kappa", "Cross-validated Kappa of the adapted map on the training areas"),
        ("MODEL_OA", "oa", "OA of the model alone on the same cells"),
        ("MODEL_KAPPA", "kappa", "Kappa of the model alone on the same cells"),
    )

    def name(self) -> str:
        return "map_training_areas"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Map local climate zones with local training areas")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Adapts the model's LCZ map to training areas digitised over the city (WUDAPT-style).")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>The WUDAPT way of mapping a city's local climate zones, on top of the model: you digitise a few "
            "homogeneous <b>training areas</b> per LCZ class (polygons spanning several 100 m cells), and a small "
            "classifier is fitted on the model's own features of the 100 m cells inside them (its class "
            "log-probabilities and, for the So2Sat ResNet20, its 256 penultimate features). The map is then made "
            "with that classifier. Where the model sees a class you gave no training area for, and the cell does "
            "not resemble any of your classes, the model's own label is kept.</p>"
            "<p><b>Class field</b>: LCZ codes 1-17 (11-17 for A-G) or labels 1-10 and A-G, optionally written "
            "'LCZ 1' or 'LCZ A'. Other values are refused.</p>"
            "<p><b>Honest self-assessment</b>: the log and the report give the accuracy of the adapted map "
            "<i>cross-validated by polygon</i>: each fold leaves out whole training areas, never single cells "
            "(neighbouring cells of one polygon are near-copies). The model alone on the same cells is shown beside "
            "it. Warnings name classes with fewer than 3 areas, areas too small for a 100 m cell, and areas of "
            "different classes that overlap.</p>"
            "<p><b>Saved adapter</b>: save the fitted adapter (.json) and apply it to other scenes of the city "
            "with the same model, instead of training areas.</p>"
            "<p>Other parameters and the outputs are those of <i>Map settlement density and local climate "
            "zones</i>.</p>"
        ) + self.tr(
            "<p><b>More dates</b>: the training cells of every date fit one adapter (a polygon's cells of all dates "
            "stay in one cross-validation fold), and the adapted dates are fused as in the mapping algorithm.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.add_mapping_parameters()
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.TRAINING_AREAS, self.tr("Training areas (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.CLASS_FIELD, self.tr("LCZ class field of the training areas"),
            parentLayerParameterName=self.TRAINING_AREAS,
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.ADAPTER, self.tr("Saved adapter to apply instead (.json)"), extension="json", optional=True))
        folds = QgsProcessingParameterNumber(self.FOLDS, self.tr("Cross-validation folds (by polygon)"),
                                             QgsProcessingParameterNumber.Type.Integer, defaultValue=5, minValue=2,
                                             maxValue=20)
        folds.setFlags(folds.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(folds)
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_ADAPTER, self.tr("Fitted adapter"), self.tr("JSON files (*.json)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_HTML, self.tr("Cross-validation report"), self.tr("HTML files (*.html)"), optional=True,
            createByDefault=True))
        for key, _score, description in self.NUMBERS:
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(description)))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.assessment_report import lcz_report_html, write_text_atomic
        from ..core.engine import OutputPaths
        from ..core.signals import signals_stop_the_run
        from ..core.training_areas import cross_validation_assessment, map_with_training_areas

        inputs = self.mapping_inputs(parameters, context)
        model, paths = inputs.model, inputs.paths
        adapter_path = self.parameterAsFile(parameters, self.ADAPTER, context) or None
        areas = None
        if parameters.get(self.TRAINING_AREAS) not in (None, ""):
            if not self.parameterAsString(parameters, self.CLASS_FIELD, context):
                raise QgsProcessingException(
                    self.tr("Choose the field that holds the LCZ class of each training area."))
            areas = self.read_polygons(parameters, context, self.TRAINING_AREAS, self.CLASS_FIELD, inputs.layer.crs(),
                                       feedback, what="training areas")
        save_to = self.parameterAsFileOutput(parameters, self.OUTPUT_ADAPTER, context) or None
        html_path = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context) or None
        # Every destination before any computing (pass 1 computes before the engine would check the rasters).
        destinations = Destinations(inputs.sources)
        with self.engine_errors():
            for path in paths.values():
                destinations.raster(path)
            destinations.file(save_to, "the adapter", (".json",))
            destinations.file(html_path, "the report")
        with self.engine_errors(), destinations.all_or_nothing(), signals_stop_the_run():
            engine_paths = self._producible(parameters, paths, model.model_path, feedback)
            result = self.run_engine(
                map_with_training_areas, inputs.layer.source(), OutputPaths(**engine_paths), model,
                more_dates=inputs.more_dates, training_areas=areas, adapter_path=adapter_path, save_adapter=save_to,
                folds=self.parameterAsInt(parameters, self.FOLDS, context), clouds=inputs.clouds, feedback=feedback,
            )
            adapted_to = areas.name if areas is not None else Path(adapter_path).name
            outputs = self._publish(result.mapping.outputs, paths, context,
                                    self._made_by(inputs.sources, model.model_path, result.mapping.contract,
                                                  adapted_to))
            if result.adapter_path:
                outputs[self.OUTPUT_ADAPTER] = result.adapter_path
            if result.cross_validation is not None:
                assessment = cross_validation_assessment(result, areas.name)
                if html_path:
                    write_text_atomic(html_path, lcz_report_html(assessment))
                    outputs[self.OUTPUT_HTML] = html_path
                scores = {"CV": result.cross_validation.scores, "MODEL": result.cross_validation.model_alone}
                for key, score, _description in self.NUMBERS:
                    outputs[key] = scores[key.split("_")[0]][score]
        return outputs
