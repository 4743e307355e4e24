"""hselcz:map_growth: settlement growth between an earlier and a later scene (core.growth).

The Sentinel-2 layer of parameters (base.Sentinel2Algorithm: model, band names, device) with the two scenes, the
two density thresholds and its own outputs, the change and new built-up rasters (core.products.GROWTH_PRODUCTS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingUtils,
    QgsRasterLayer,
)

from ..core.paths import STYLES_DIR
from ..core.products import GROWTH_PRODUCTS
from .base import Sentinel2Algorithm


class MapGrowthAlgorithm(Sentinel2Algorithm):
    """Map the change of settlement density between two dates of the same place."""

    EARLIER = "EARLIER"
    LATER = "LATER"
    NOT_BUILT = "NOT_BUILT"
    BUILT = "BUILT"
    SAMPLE = "NEW_BUILT_SAMPLE"
    SAMPLE_FIELD = "NEW_BUILT_SAMPLE_FIELD"
    NUMBERS = (
        ("GROWTH_KM2", "New built-up area (km2)"),
        ("LOSS_KM2", "Built-up area lost (km2)"),
        ("COMPARED_KM2", "Area compared (km2)"),
        ("GROWTH_ADJ_KM2", "New built-up area, error-adjusted with the sample (km2)"),
        ("GROWTH_ADJ_CI_KM2", "Its 95 % confidence interval, +- (km2)"),
    )
    GEOTIFF_OUTPUTS = tuple(spec.parameter for spec in GROWTH_PRODUCTS)
    GDAL_INPUTS = (EARLIER, LATER)
    PRODUCT_INPUTS = (EARLIER, LATER)

    def name(self) -> str:
        return "map_growth"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Map settlement growth between two dates")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Settlement density of an earlier and a later scene, their difference and new built-up areas.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Runs a model with a settlement density (HSE) output on an <b>earlier</b> and a <b>later</b> scene of "
            "the same place (the later one read on the earlier one's grid) and writes their difference per 20 m "
            "pixel (later minus earlier, -1 to 1; blue loss, red growth) and, optionally, a layer of <b>new "
            "built-up</b> pixels: density below <i>not built</i> (0.2) before and at least <i>built</i> (0.5) after "
            "(and built-up lost the other way round). Two thresholds with a gap, so that a density wobbling between "
            "seasons does not read as growth. The results give the areas in km2.</p>"
            "<p>The default model is the bundled multi-task model v3 (the So2Sat model alone has no HSE); its "
            "density is building cover. Where nothing was built between the dates it still moves a little (its "
            "model card gives how much): read small changes as noise, and check growth against the images.</p>"
        ) + self.tr(
            "<p><b>Reference sample of new built-up</b> (optional, with its field): points (or polygons) whose field "
            "says whether the place really became built-up (1/0, yes/no, true/false). The results then give the "
            "error-adjusted area of new built-up with its 95 % confidence interval (Olofsson et al. 2014), beside the "
            "pixel count. Draw the sample at random within each stratum (new built-up, and the rest), then label each "
            "point from the images: a sample that is not random (e.g. places you chose) gives a biased estimate.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.EARLIER, self.tr("Earlier Sentinel-2 scene")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.LATER, self.tr("Later Sentinel-2 scene")))
        self.add_model_parameters()
        self.add_cloud_parameter(self.tr(
            "Clouds and cloud shadows are no data in both scenes, from the product's own masks where it has them, "
            "otherwise from a spectral test (user guide): they count neither as growth nor as loss."))
        for key, label, default in ((self.NOT_BUILT, self.tr("Not built below (earlier density)"), 0.2),
                                    (self.BUILT, self.tr("Built from (later density)"), 0.5)):
            parameter = QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Type.Double,
                                                     defaultValue=default, minValue=0.0, maxValue=1.0)
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(parameter)
        sample = QgsProcessingParameterFeatureSource(
            self.SAMPLE, self.tr("Reference sample of new built-up (points or polygons)"),
            [QgsProcessing.SourceType.TypeVectorPoint, QgsProcessing.SourceType.TypeVectorPolygon], optional=True)
        sample.setFlags(sample.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(sample)
        field = QgsProcessingParameterField(self.SAMPLE_FIELD, self.tr("Field: really new built-up (1/0)"),
                                            parentLayerParameterName=self.SAMPLE, optional=True)
        field.setFlags(field.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(field)
        for spec in GROWTH_PRODUCTS:
            self.addParameter(QgsProcessingParameterRasterDestination(
                spec.parameter, self.tr(spec.layer_name), optional=not spec.required,
                createByDefault=spec.create_by_default))
        for key, description in self.NUMBERS:
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(description)))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.growth import map_growth

        parameters = self.products_as_layers(parameters, context)
        model = self.model_inputs(parameters, context)
        earlier, later = (self.gdal_layer(parameters, name, context).source() for name in (self.EARLIER, self.LATER))
        paths = {spec.key: self.parameterAsOutputLayer(parameters, spec.parameter, context) or None
                 for spec in GROWTH_PRODUCTS}
        sample_source = self.parameterAsSource(parameters, self.SAMPLE, context)
        sample_field = self.parameterAsString(parameters, self.SAMPLE_FIELD, context)
        if sample_source is not None and (not sample_field or sample_source.fields().indexOf(sample_field) < 0):
            raise QgsProcessingException(self.tr(  # before anything is computed
                "Give the field of the reference sample that says whether each place really became built-up "
                "(NEW_BUILT_SAMPLE_FIELD)."))
        new_built = paths["new_built"]
        if sample_source is not None and not new_built:  # the estimate needs the map, asked for or not
            new_built = str(Path(QgsProcessingUtils.tempFolder()) / "new_built_for_the_sample.tif")
        result = self.run_engine(
            map_growth, earlier, later, paths["change"], model, new_built=new_built,
            not_built=self.parameterAsDouble(parameters, self.NOT_BUILT, context),
            built=self.parameterAsDouble(parameters, self.BUILT, context),
            clouds=self.parameterAsBoolean(parameters, self.MASK_CLOUDS, context), feedback=feedback,
        )
        outputs: dict[str, Any] = {}
        for spec in GROWTH_PRODUCTS:
            if result.outputs.get(spec.key):
                outputs[spec.parameter] = result.outputs[spec.key]
                name = self.tr("{layer}: {earlier} to {later} ({how})").format(  # what made it (issue 19)
                    layer=self.tr(spec.layer_name), earlier=Path(earlier.split("|")[0]).stem,
                    later=Path(later.split("|")[0]).stem,
                    how=self._model_label(model.model_path, result.earlier.contract))
                self._style_on_load(context, paths[spec.key], name, STYLES_DIR / spec.style)
        outputs.update(GROWTH_KM2=result.growth_km2, LOSS_KM2=result.loss_km2, COMPARED_KM2=result.compared_km2)
        if sample_source is not None:
            outputs.update(self._adjusted_area(context, feedback, sample_source, sample_field,
                                               result.outputs.get("new_built") or new_built))
        return outputs

    def _adjusted_area(self, context: QgsProcessingContext, feedback: QgsProcessingFeedback, source, field: str,
                       new_built: str) -> dict[str, float]:
        """The error-adjusted new built-up area and its 95 % interval from the reference sample (core.growth)."""
        from ..core.growth import estimate_new_built_area, new_built_area_text
        from ..core.reference_grid import PolygonReference

        crs = QgsRasterLayer(new_built, "new built-up", "gdal").crs()
        request = QgsFeatureRequest().setSubsetOfAttributes([field], source.fields())
        request.setDestinationCrs(crs, context.transformContext())
        features = [(bytes(f.geometry().asWkb()) if not f.geometry().isNull() else b"", f[field])
                    for f in source.getFeatures(request)]
        sample = PolygonReference(features, crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED_GDAL),
                                  source.sourceName(), field)
        with self.engine_errors():
            estimate, notes = estimate_new_built_area(new_built, sample)
        feedback.pushInfo(new_built_area_text(estimate))
        for note in notes:
            feedback.pushWarning(note)
        return {"GROWTH_ADJ_KM2": float(estimate.area_km2[1]), "GROWTH_ADJ_CI_KM2": float(estimate.area_ci_km2[1])}
