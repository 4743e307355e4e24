"""hselcz:district_summary: polygons (districts, blocks, a municipality) with the LCZ shares, dominant class, mean
HSE, HSE-weighted built-up area and mean uncertainty of the maps inside them, as a layer and a CSV.

The numbers are core.zonal's; this module reads the polygons (QGIS transforms them into the LCZ map's CRS, so any
CRS works and memory layers or a model's temporary outputs too), repairs invalid ones (core.input_kinds), writes
the layer and the CSV only once everything is computed, and styles the layer by its dominant class.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterLayer,
    QgsRendererCategory,
    QgsSymbol,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant
from qgis.PyQt.QtGui import QColor

from .assessing import _FIELD_TYPES  # the table kinds of core.assessment_report as QGIS field types
from .base import _POST_PROCESSORS, HseLczAlgorithm


class StyleByDominantClass(QgsProcessingLayerPostProcessorInterface):
    """Colours the loaded summary layer by its dominant LCZ, with the palette of core.lcz."""

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 (QGIS API)
        from ..core.lcz import LCZ_CLASSES

        categories = []
        for lcz in LCZ_CLASSES:
            symbol = QgsSymbol.defaultSymbol(layer.geometryType())
            symbol.setColor(QColor(lcz.color))
            categories.append(QgsRendererCategory(lcz.label, symbol, lcz.legend_text))
        layer.setRenderer(QgsCategorizedSymbolRenderer("dominant", categories))
        layer.triggerRepaint()


class DistrictSummaryAlgorithm(HseLczAlgorithm):
    """The maps summarised per polygon (core.zonal): the polygons with new fields, and a CSV."""

    INPUT = "INPUT"
    LCZ = "LCZ"
    HSE = "HSE"
    UNCERTAINTY = "UNCERTAINTY"
    OUTPUT = "OUTPUT"
    OUTPUT_CSV = "OUTPUT_CSV"
    GDAL_INPUTS = (LCZ, HSE, UNCERTAINTY)

    def name(self) -> str:
        return "district_summary"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Summarise the maps by district")

    def group(self) -> str:
        return self.tr("Planning")

    def groupId(self) -> str:  # noqa: N802
        return "planning"

    def tags(self) -> list[str]:
        return self.tr("district,zonal,statistics,polygons,lcz,hse,built-up,planning,csv").split(",")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Per polygon: LCZ shares, dominant class, mean HSE, built-up area and mean uncertainty.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Summarises the LCZ map (and the settlement density and uncertainty maps, when given) inside each "
            "polygon of a layer: districts, blocks, a municipality. The polygons may be in any CRS.</p>"
            "<p>A map cell counts for a polygon when its centre lies in the polygon. Overlapping polygons are each "
            "counted in full (the log says which overlap).</p>"
            "<p><b>Fields added</b> (names fit a shapefile): <code>area_km2</code> the polygon's area; "
            "<code>valid_frac</code> the share of that area covered by LCZ cells with data (below 1 for a polygon "
            "partly outside the map: the log names them); <code>lcz_cells</code> those cells; <code>lcz_1</code> "
            "to <code>lcz_10</code> and <code>lcz_A</code> to <code>lcz_G</code> the share of each class among "
            "them; <code>dominant</code> the most frequent class; <code>hse_mean</code> the mean settlement "
            "density; <code>built_km2</code> the HSE-weighted built-up area (density x cell area, summed); "
            "<code>unc_mean</code> the mean LCZ uncertainty. Polygons without data keep empty fields.</p>"
            "<p>Invalid polygons (e.g. self-intersecting) are repaired for the computation and keep their own "
            "geometry in the output; the log counts them. The output also goes to a CSV table.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Districts (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterRasterLayer(self.LCZ, self.tr("LCZ map")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.HSE, self.tr("Settlement density (HSE) map"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.UNCERTAINTY, self.tr("LCZ uncertainty map"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("District summaries"), QgsProcessing.SourceType.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_CSV, self.tr("District summaries (CSV)"), self.tr("CSV files (*.csv)"), optional=True,
            createByDefault=True))

    def _optional_raster(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> str:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            return ""
        self.check_gdal_layer(layer)
        return layer.source()

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.assessment_report import write_text_atomic
        from ..core.zonal import summarise_zones, zones_csv
        from .destinations import Destinations

        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        lcz_layer = self.gdal_layer(parameters, self.LCZ, context)
        lcz_path = lcz_layer.source()
        hse_path = self._optional_raster(parameters, self.HSE, context)
        unc_path = self._optional_raster(parameters, self.UNCERTAINTY, context)
        name = source.sourceName() if hasattr(source, "sourceName") else "polygon layer"
        self._check_layer(source, name)
        destinations = Destinations([p for p in (lcz_path, hse_path, unc_path) if p])
        csv_path = self.parameterAsFileOutput(parameters, self.OUTPUT_CSV, context)
        destinations.file(csv_path, "the CSV table")
        destinations.file(self.parameterAsOutputLayer(parameters, self.OUTPUT, context), "the summary layer")
        with destinations.all_or_nothing():
            features, wkbs = self._read(source, lcz_layer.crs(), context, feedback, name)
            crs_wkt = lcz_layer.crs().toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED_GDAL)
            summaries, notes = self.run_engine(
                summarise_zones, wkbs, crs_wkt, lcz_path, hse=hse_path or None, uncertainty=unc_path or None,
                layer=name, feedback=feedback)
            for note in notes:
                feedback.pushWarning(note)
            kept = self._kept_fields(source, feedback)
            results = self._write(parameters, context, source, kept, features, summaries)
            if csv_path:
                names = [source.fields().at(i).name() for i in kept]
                rows = [[_plain(feature.attributes()[i]) for i in kept] for feature in features]
                write_text_atomic(csv_path, zones_csv(names, rows, summaries))
                results[self.OUTPUT_CSV] = csv_path
        return results

    def _check_layer(self, source, name: str) -> None:
        """An empty layer or one without polygons is refused before anything is written."""
        if source.featureCount() == 0:
            raise QgsProcessingException(self.tr("The layer {name} has no features: nothing to summarise.").format(
                name=name))
        kind = QgsWkbTypes.geometryType(source.wkbType())
        if kind not in (QgsWkbTypes.GeometryType.PolygonGeometry, QgsWkbTypes.GeometryType.UnknownGeometry):
            raise QgsProcessingException(self.tr(
                "The layer {name} holds {kind}, not polygons: districts must be polygons (areas).").format(
                name=name, kind=QgsWkbTypes.geometryDisplayString(kind)))

    def _read(self, source, crs, context: QgsProcessingContext, feedback: QgsProcessingFeedback, name: str):
        """(features as they are, their polygons in the map's CRS as WKB, repaired where invalid)."""
        from ..core.input_kinds import check_polygons

        transform = QgsCoordinateTransform(source.sourceCrs(), crs, context.transformContext())
        features, wkbs, failed = [], [], 0
        # invalid geometries are counted and repaired by check_polygons: QGIS must not drop (or stop at) them
        skip_checks = QgsProcessingFeatureSource.Flag.FlagSkipGeometryValidityChecks
        for feature in source.getFeatures(QgsFeatureRequest(), skip_checks):
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr("Cancelled."))
            features.append(QgsFeature(feature))
            geometry = feature.geometry()
            if geometry.isNull() or geometry.isEmpty():
                wkbs.append((b"", None))
                continue
            try:
                geometry.transform(transform)
            except QgsCsException:
                failed += 1
                wkbs.append((b"", None))
                continue
            wkbs.append((bytes(geometry.asWkb()), None))
        if failed:
            feedback.pushWarning(self.tr(
                "{count} polygon(s) of {name} cannot be expressed in the LCZ map's CRS (far outside it): their "
                "fields are empty.").format(count=failed, name=name))
        with self.engine_errors():
            checked, notes = check_polygons(wkbs, name, "districts")
        for note in notes:
            feedback.pushWarning(note)
        return features, [wkb for wkb, _value in checked]

    def _kept_fields(self, source, feedback: QgsProcessingFeedback) -> list[int]:
        """Indices of the input's fields to keep: those named like a summary field (a summary of a summary, or a
        CSV's `feature` column) make way for the new values."""
        from ..core.zonal import FIELDS

        added = {field_name for field_name, _kind in FIELDS} | {"feature"}
        kept, replaced = [], []
        for index, field in enumerate(source.fields()):
            if field.name().lower() in added:
                replaced.append(field.name())
            else:
                kept.append(index)
        if replaced:
            feedback.pushWarning(self.tr("The input's fields {names} are replaced by the new values.").format(
                names=", ".join(replaced)))
        return kept

    def _write(self, parameters, context, source, kept, features, summaries) -> dict[str, Any]:
        from ..core.zonal import FIELDS

        fields = QgsFields()
        for index in kept:
            fields.append(source.fields().at(index))
        for field_name, kind in FIELDS:
            fields.append(QgsField(field_name, _FIELD_TYPES[kind]))
        sink, dest_id = self.parameterAsSink(parameters, self.OUTPUT, context, fields, source.wkbType(),
                                             source.sourceCrs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for feature, summary in zip(features, summaries, strict=True):
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            values = summary.values() if summary is not None else [None] * len(FIELDS)
            out.setAttributes([feature.attributes()[i] for i in kept] + values)
            if not sink.addFeature(out, QgsFeatureSink.Flag.FastInsert):
                raise QgsProcessingException(self.writeFeatureError(sink, parameters, self.OUTPUT))
        if context.willLoadLayerOnCompletion(dest_id):
            post_processor = StyleByDominantClass()
            _POST_PROCESSORS.append(post_processor)
            context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(post_processor)
        return {self.OUTPUT: dest_id}


def _plain(value: object) -> object:
    """A QGIS attribute as a CSV value: NULL -> None, dates and other Qt values as text."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return value.toString() if hasattr(value, "toString") else str(value)
