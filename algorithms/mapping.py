"""The mapping layer of parameters: a Sentinel-2 scene, more dates, the model and the mapping products.

Shared by hselcz:map (map.py) and hselcz:map_training_areas (map_training_areas.py), which add nothing to or
on top of this layer respectively; not registered itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsRasterLayer,
)

from ..core.errors import EngineError
from ..core.options import ModelChoice
from ..core.paths import STYLES_DIR
from ..core.products import HSE, LCZ, PROBABILITIES, PRODUCTS
from .base import Sentinel2Algorithm, file_value


class MappingInputs(NamedTuple):
    """What a mapping run reads from its parameters (MappingAlgorithm.mapping_inputs)."""

    layer: QgsRasterLayer
    more_dates: list[str]
    model: ModelChoice
    paths: dict[str, str | None]  # product key -> output path (None: not asked for)
    clouds: bool = True  # clouds and cloud shadows read as no data (core.clouds)

    @property
    def sources(self) -> list[str]:
        return [self.layer.source(), *self.more_dates]


class MappingAlgorithm(Sentinel2Algorithm):
    """A Sentinel-2 scene (and more dates of it) mapped into the products of core.products.PRODUCTS."""

    INPUT = "INPUT"
    MORE_DATES = "MORE_DATES"
    OUTPUT_LCZ = LCZ.parameter
    OUTPUT_HSE = HSE.parameter
    OUTPUT_PROBABILITIES = PROBABILITIES.parameter
    GEOTIFF_OUTPUTS = tuple(spec.parameter for spec in PRODUCTS)
    GDAL_INPUTS = (INPUT, MORE_DATES)

    #: Inputs that may be a Sentinel-2 product given as a path (Sentinel2Algorithm.products_as_layers).
    PRODUCT_INPUTS = (INPUT, MORE_DATES)

    def add_mapping_parameters(self) -> None:
        """The scene, more dates, the model parameters and one raster destination per product."""
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Sentinel-2 raster")))
        more = QgsProcessingParameterMultipleLayers(
            self.MORE_DATES, self.tr("More dates of the same place (fused with the first)"),
            QgsProcessing.SourceType.TypeRaster, optional=True,
        )
        more.setHelp(self.tr("Other Sentinel-2 scenes of the same place; read on the first scene's grid. LCZ from the "
                             "mean of the dates' class probabilities, HSE from their median."))
        self.addParameter(more)
        self.add_model_parameters()
        self.add_cloud_parameter(self.tr(
            "Clouds and cloud shadows are no data in every output, from the product's own masks where it has them, "
            "otherwise from a spectral test (user guide); with several dates they are filled from the other dates."))
        for spec in PRODUCTS:
            self.addParameter(QgsProcessingParameterRasterDestination(
                spec.parameter, self.tr(spec.layer_name), optional=not spec.required,
                createByDefault=spec.create_by_default))

    def mapping_inputs(self, parameters: dict[str, Any], context: QgsProcessingContext) -> MappingInputs:
        """The input layer, the other dates, model, band names, device and output paths of a mapping run."""
        parameters = self.products_as_layers(parameters, context)
        model = self.model_inputs(parameters, context)
        layer = self.gdal_layer(parameters, self.INPUT, context)
        more_dates = []
        for other in self.parameterAsLayerList(parameters, self.MORE_DATES, context):
            self.check_gdal_layer(other)
            more_dates.append(other.source())
        paths = {spec.key: self.parameterAsOutputLayer(parameters, spec.parameter, context) or None
                 for spec in PRODUCTS}
        clouds = self.parameterAsBoolean(parameters, self.MASK_CLOUDS, context)
        return MappingInputs(layer, more_dates, model, paths, clouds)

    def _producible(self, parameters: dict[str, Any], paths: dict[str, str | None], model_path: str,
                    feedback: QgsProcessingFeedback) -> dict[str, str | None]:
        """The outputs to hand to the engine: a temporary layer the user did not ask for (the dialog's default for
        HSE) that the model cannot produce is left out with a line in the log. Before: a default run with the default
        model showed an orange warning about an HSE layer nobody had asked for. A file the user named for it is
        still passed, and the engine warns."""
        implicit = [spec for spec in PRODUCTS if paths.get(spec.key) and not spec.derived
                    and not file_value(parameters, spec.parameter)]
        if not implicit:
            return paths
        from ..core.model import load_model

        try:
            contract = load_model(model_path, "CPU").contract
        except EngineError:
            return paths  # the engine says what is wrong with the model
        producible = dict(paths)
        for spec in implicit:
            if contract.output_for(spec.model_output) is None:
                producible[spec.key] = None
                feedback.pushInfo(self.tr(
                    "The model {name} has no {output} output, so the layer '{layer}' is not made (give it a file name "
                    "with a model that has one, e.g. the bundled multi-task model).").format(
                        name=contract.name, output=spec.model_output.upper(), layer=self.tr(spec.layer_name)))
        return producible

    def _made_by(self, sources: list[str], model_path: str, contract, adapted_to: str | None = None) -> str:
        """What made a run's layers, for their names: the scene (and how many more dates), the model, an adapter.
        Before: every run's layer was "Local climate zones", whatever model, adapter or dates made it."""
        how = self._model_label(model_path, contract)
        if adapted_to:
            how = self.tr("{model}, adapted to {areas}").format(model=how, areas=adapted_to)
        scene = Path(sources[0].split("|")[0]).stem
        if len(sources) > 1:
            scene = self.tr("{scene} + {count} more date(s)").format(scene=scene, count=len(sources) - 1)
        return self.tr("{scene} ({how})").format(scene=scene, how=how)

    def _publish(self, written_paths: dict[str, str], paths: dict[str, str | None],
                 context: QgsProcessingContext, made_by: str | None = None) -> dict[str, Any]:
        """The algorithm's results, and the loaded layers' names (after what made them: _made_by) and styles."""
        # QGIS knows the outputs it will load by the paths it handed out: style them under those keys. An output
        # the model could not produce (the engine warned once) is returned as None, so that a step of a graphical
        # model that uses it gets no value rather than the name of a file that does not exist.
        outputs: dict[str, Any] = {}
        for spec in PRODUCTS:
            written = written_paths.get(spec.key)
            if written:
                outputs[spec.parameter] = written
                name = self.tr(spec.layer_name)
                if made_by:
                    name = self.tr("{layer}: {made_by}").format(layer=name, made_by=made_by)
                self._style_on_load(context, paths[spec.key], name, STYLES_DIR / spec.style if spec.style else None)
            elif paths[spec.key]:
                outputs[spec.parameter] = None
                self._do_not_load(context, paths[spec.key])
        return outputs
