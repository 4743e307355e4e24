"""hselcz:map_training_areas: the LCZ map adapted to the user's training areas (core.training_areas).

The mapping layer of parameters (mapping.py: the scene, more dates, model, outputs and styles, as hselcz:map) with
the training areas, the class field, a saved adapter to apply instead, the adapter file to save and the
cross-validated report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsFillSymbol,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorLayer,
    QgsSingleSymbolRenderer,
)

from .assessing import _FIELD_TYPES
from .base import _POST_PROCESSORS, PolygonInputs
from .destinations import Destinations
from .mapping import MappingAlgorithm


class MapTrainingAreasAlgorithm(MappingAlgorithm, PolygonInputs):
    """Map LCZ (and HSE) with the model's map adapted to local training areas."""

    TRAINING_AREAS = "TRAINING_AREAS"
    TRAINING_AREAS_FILE = "TRAINING_AREAS_FILE"
    BOOTSTRAP_SPLITS = "BOOTSTRAP_SPLITS"
    OUTPUT_SUSPICIOUS = "OUTPUT_SUSPICIOUS"
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
    #: The means over the LCZ Generator-style splits (core.bootstrap_accuracy), by its names.
    SPLIT_NUMBERS = (
        ("SPLITS_OA", "oa", "Mean OA over the stratified 70/30 splits (as the LCZ Generator reports it)"),
        ("SPLITS_OAU", "oa_urban", "Mean OAu over the stratified 70/30 splits"),
        ("SPLITS_OABU", "oa_built_natural", "Mean OAbu over the stratified 70/30 splits"),
        ("SPLITS_OAW", "wa", "Mean OAw over the stratified 70/30 splits"),
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
            "<p><b>WUDAPT training-area file</b>: instead of a layer, give the KML or KMZ of the WUDAPT / LCZ "
            "Generator template (one folder per class, named e.g. 'LCZ 1', '1 Compact high-rise', 'A' or 'G Water'); "
            "the folder's name is the class. Give either a layer or a file.</p>"
            "<p><b>Suspicious training areas</b>: a layer of the polygons whose cells the cross-validated adapter "
            "puts, for the most part, in one other class with a mean probability of at least 0.6, and of the "
            "polygons that overlap a polygon of another class; check them before trusting the map.</p>"
            "<p><b>Splits as the LCZ Generator</b>: the accuracy is also computed as the LCZ Generator reports it "
            "(25 random stratified 70/30 splits of the polygons; mean, 95 % interval, boxplot and mean confusion "
            "matrix in the report), so the two tools can be compared; 0 switches it off.</p>"
        ) + self.tr(
            "<p><b>More dates</b>: the training cells of every date fit one adapter (a polygon's cells of all dates "
            "stay in one cross-validation fold), and the adapted dates are fused as in the mapping algorithm.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.add_mapping_parameters()
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.TRAINING_AREAS, self.tr("Training areas (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.TRAINING_AREAS_FILE, self.tr("Training areas as a WUDAPT KML/KMZ file (one folder per class)"),
            fileFilter=self.tr("WUDAPT training areas (*.kml *.kmz *.KML *.KMZ)"), optional=True))
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
        splits = QgsProcessingParameterNumber(
            self.BOOTSTRAP_SPLITS, self.tr("Splits as the LCZ Generator (stratified 70/30 by polygon; 0 = off)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=25, minValue=0, maxValue=200)
        splits.setFlags(splits.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(splits)
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_ADAPTER, self.tr("Fitted adapter"), self.tr("JSON files (*.json)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_HTML, self.tr("Cross-validation report"), self.tr("HTML files (*.html)"), optional=True,
            createByDefault=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_SUSPICIOUS, self.tr("Suspicious training areas"), QgsProcessing.SourceType.TypeVectorPolygon,
            optional=True, createByDefault=True))
        for key, _score, description in (*self.NUMBERS, *self.SPLIT_NUMBERS):
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(description)))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.engine import OutputPaths
        from ..core.signals import signals_stop_the_run
        from ..core.training_areas import map_with_training_areas

        inputs = self.mapping_inputs(parameters, context)
        model, paths = inputs.model, inputs.paths
        adapter_path = self.parameterAsFile(parameters, self.ADAPTER, context) or None
        areas = self._training_areas(parameters, context, inputs.layer.crs(), feedback)
        save_to = self.parameterAsFileOutput(parameters, self.OUTPUT_ADAPTER, context) or None
        html_path = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context) or None
        # Every destination before any computing (pass 1 computes before the engine would check the rasters).
        destinations = Destinations(inputs.sources)
        with self.engine_errors():
            for path in paths.values():
                destinations.raster(path)
            destinations.file(save_to, "the adapter", (".json",))
            destinations.file(html_path, "the report")
            destinations.file(self.parameterAsOutputLayer(parameters, self.OUTPUT_SUSPICIOUS, context),
                              "the suspicious training areas")
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
                outputs.update(self._quality(parameters, context, feedback, result, areas, html_path))
        return outputs

    def _training_areas(self, parameters: dict[str, Any], context: QgsProcessingContext, crs,
                        feedback: QgsProcessingFeedback):
        """The training areas of the layer (in the scene's CRS) or of the WUDAPT file (EPSG:4326), or None."""
        from ..core.wudapt import read_training_kml

        kml = self.parameterAsFile(parameters, self.TRAINING_AREAS_FILE, context)
        layer_given = parameters.get(self.TRAINING_AREAS) not in (None, "")
        if kml and layer_given:
            raise QgsProcessingException(self.tr(
                "Give the training areas either as a polygon layer or as a WUDAPT KML/KMZ file, not both."))
        if kml:
            with self.engine_errors():
                areas, notes = read_training_kml(kml)
            for note in notes:
                feedback.pushWarning(note)
            return areas
        if not layer_given:
            return None
        if not self.parameterAsString(parameters, self.CLASS_FIELD, context):
            raise QgsProcessingException(self.tr("Choose the field that holds the LCZ class of each training area."))
        return self.read_polygons(parameters, context, self.TRAINING_AREAS, self.CLASS_FIELD, crs, feedback,
                                  what="training areas")

    def _quality(self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback,
                 result, areas, html_path: str | None) -> dict[str, Any]:
        """The self-assessment of a fitted adapter: the numbers, the report (with the LCZ Generator-style splits)
        and the suspicious training areas."""
        from ..core.assessment_report import lcz_report_html, write_text_atomic
        from ..core.bootstrap_accuracy import bootstrap_accuracy, report_section_html, with_section
        from ..core.suspicious import suspicious_areas
        from ..core.training_areas import cross_validation_assessment, parse_classes

        outputs: dict[str, Any] = {}
        scores = {"CV": result.cross_validation.scores, "MODEL": result.cross_validation.model_alone}
        for key, score, _description in self.NUMBERS:
            outputs[key] = scores[key.split("_")[0]][score]
        report = lcz_report_html(cross_validation_assessment(result, areas.name))
        splits = self.parameterAsInt(parameters, self.BOOTSTRAP_SPLITS, context)
        if splits > 0:
            cells = result.cells
            split_scores = self.run_engine(
                lambda feedback: bootstrap_accuracy(
                    cells.features, cells.codes, cells.groups, cells.probabilities, cells.embedding, splits=splits,
                    kind=result.adapter.features, is_cancelled=feedback.is_cancelled), feedback=feedback)
            feedback.pushInfo(split_scores.log_line())
            report = with_section(report, report_section_html(split_scores))
            for key, score, _description in self.SPLIT_NUMBERS:
                mean = split_scores.summary(score)[0]
                outputs[key] = None if mean != mean else mean  # NaN: undefined (no built cell tested)
        if html_path:
            write_text_atomic(html_path, report)
            outputs[self.OUTPUT_HTML] = html_path
        flagged = suspicious_areas(areas, parse_classes(areas), result.cells.groups,
                                   result.cross_validation.out_of_fold)
        if flagged:
            feedback.pushWarning(self.tr(
                "{count} suspicious training area(s) (see the layer of suspicious training areas): polygon "
                "number(s) {numbers}.").format(count=len(flagged), numbers=", ".join(str(a.number) for a in flagged)))
        sink_id = self._write_suspicious(parameters, context, flagged, areas)
        if sink_id:
            outputs[self.OUTPUT_SUSPICIOUS] = sink_id
        return outputs

    def _write_suspicious(self, parameters: dict[str, Any], context: QgsProcessingContext, flagged, areas) -> str:
        """The suspicious areas as polygons (in the training areas' CRS) with why, styled with a red outline."""
        from qgis.core import QgsCoordinateReferenceSystem, QgsWkbTypes

        fields = QgsFields()
        for name, kind in (("polygon", "int"), ("lcz", "string"), ("reason", "string"), ("predicted", "string"),
                           ("confidence", "double"), ("overlaps", "string")):
            fields.append(QgsField(name, _FIELD_TYPES[kind]))
        sink, dest_id = self.parameterAsSink(parameters, self.OUTPUT_SUSPICIOUS, context, fields,
                                             QgsWkbTypes.Type.MultiPolygon,
                                             QgsCoordinateReferenceSystem.fromWkt(areas.crs_wkt))
        if sink is None:
            return ""
        for area in flagged:
            feature = QgsFeature(fields)
            geometry = QgsGeometry()
            geometry.fromWkb(area.wkb)
            geometry.convertToMultiType()
            feature.setGeometry(geometry)
            feature.setAttributes([area.number, area.label, area.reason, area.predicted_label, area.confidence,
                                   ", ".join(map(str, area.overlaps)) or None])
            if not sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert):
                raise QgsProcessingException(self.writeFeatureError(sink, parameters, self.OUTPUT_SUSPICIOUS))
        if context.willLoadLayerOnCompletion(dest_id):
            processor = _RedOutline(self.tr("Suspicious training areas: {areas}").format(areas=areas.name))
            _POST_PROCESSORS.append(processor)
            context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(processor)
        return dest_id


class _RedOutline(QgsProcessingLayerPostProcessorInterface):
    """Suspicious training areas drawn as a red outline without fill, so the map under them stays visible."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 (QGIS API)
        layer.setName(self.name)
        symbol = QgsFillSymbol.createSimple({"color": "0,0,0,0", "outline_color": "#e31a1c", "outline_width": "0.8",
                                             "outline_width_unit": "MM"})
        layer.setRenderer(QgsSingleSymbolRenderer(symbol))
        layer.triggerRepaint()
