"""hselcz:map_growth: settlement growth between an earlier and a later scene (core.growth).

The Sentinel-2 layer of parameters (base.Sentinel2Algorithm: model, band names, device) with the two scenes, the
two density thresholds and its own outputs, the change and new built-up rasters (core.products.GROWTH_PRODUCTS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
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
    NUMBERS = (
        ("GROWTH_KM2", "New built-up area (km2)"),
        ("LOSS_KM2", "Built-up area lost (km2)"),
        ("COMPARED_KM2", "Area compared (km2)"),
    )
    GEOTIFF_OUTPUTS = tuple(spec.parameter for spec in GROWTH_PRODUCTS)
    GDAL_INPUTS = (EARLIER, LATER)

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
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.EARLIER, self.tr("Earlier Sentinel-2 scene")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.LATER, self.tr("Later Sentinel-2 scene")))
        self.add_model_parameters()
        for key, label, default in ((self.NOT_BUILT, self.tr("Not built below (earlier density)"), 0.2),
                                    (self.BUILT, self.tr("Built from (later density)"), 0.5)):
            parameter = QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Type.Double,
                                                     defaultValue=default, minValue=0.0, maxValue=1.0)
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(parameter)
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

        model = self.model_inputs(parameters, context)
        earlier, later = (self.gdal_layer(parameters, name, context).source() for name in (self.EARLIER, self.LATER))
        paths = {spec.key: self.parameterAsOutputLayer(parameters, spec.parameter, context) or None
                 for spec in GROWTH_PRODUCTS}
        result = self.run_engine(
            map_growth, earlier, later, paths["change"], model, new_built=paths["new_built"],
            not_built=self.parameterAsDouble(parameters, self.NOT_BUILT, context),
            built=self.parameterAsDouble(parameters, self.BUILT, context), feedback=feedback,
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
        return outputs
