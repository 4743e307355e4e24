"""hselcz:map_growth: settlement growth between an earlier and a later scene (core.growth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core.errors import EngineError
from ..core.model import BUNDLED_MODEL_FILES, bundled_model_path
from ..core.paths import STYLES_DIR
from ..core.products import GROWTH_PRODUCTS
from ..core.runtime import DEVICES, DeviceError
from .map_algorithm import MapAlgorithm


class MapGrowthAlgorithm(MapAlgorithm):
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

    def createInstance(self) -> MapGrowthAlgorithm:  # noqa: N802
        return MapGrowthAlgorithm()

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
        self.addParameter(QgsProcessingParameterEnum(
            self.BUNDLED_MODEL, self.tr("Bundled model"),
            options=[self._bundled_model_label(name) for name in BUNDLED_MODEL_FILES], defaultValue=1))
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, self.tr("Model file (ONNX; replaces the bundled model)"),
            behavior=QgsProcessingParameterFile.File, extension="onnx", optional=True))
        self.addParameter(QgsProcessingParameterString(self.BANDS, self.tr("Band names (empty = read from the raster)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.DEVICE, self.tr("Device"),
                                                     options=[self._device_label(d) for d in DEVICES], defaultValue=0))
        for key, label, default in ((self.NOT_BUILT, "Not built below (earlier density)", 0.2),
                                    (self.BUILT, "Built from (later density)", 0.5)):
            parameter = QgsProcessingParameterNumber(key, self.tr(label), QgsProcessingParameterNumber.Double,
                                                     defaultValue=default, minValue=0.0, maxValue=1.0)
            parameter.setFlags(parameter.flags() | parameter.FlagAdvanced)
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

        sources = []
        for name in (self.EARLIER, self.LATER):
            layer = self.parameterAsRasterLayer(parameters, name, context)
            if layer is None:
                raise QgsProcessingException(self.invalidRasterError(parameters, name))
            sources.append(layer.source())
        model_path = self.parameterAsFile(parameters, self.MODEL, context) or str(
            bundled_model_path(self.parameterAsEnum(parameters, self.BUNDLED_MODEL, context)))
        paths = {spec.key: self.parameterAsOutputLayer(parameters, spec.parameter, context) or None
                 for spec in GROWTH_PRODUCTS}
        try:
            result = map_growth(
                sources[0], sources[1], paths["change"], new_built=paths["new_built"], model_path=model_path,
                bands=self.parameterAsString(parameters, self.BANDS, context).strip() or None,
                device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
                not_built=self.parameterAsDouble(parameters, self.NOT_BUILT, context),
                built=self.parameterAsDouble(parameters, self.BUILT, context),
                progress=lambda fraction: feedback.setProgress(100.0 * fraction), is_cancelled=feedback.isCanceled,
                log=feedback.pushInfo, warn=feedback.pushWarning,
            )
        except DeviceError as exc:
            raise QgsProcessingException(self._device_message(exc)) from exc
        except EngineError as exc:
            raise QgsProcessingException(str(exc)) from exc
        outputs: dict[str, Any] = {}
        for spec in GROWTH_PRODUCTS:
            if result.outputs.get(spec.key):
                outputs[spec.parameter] = result.outputs[spec.key]
                name = self.tr("{layer}: {earlier} to {later} ({how})").format(  # what made it (issue 19)
                    layer=self.tr(spec.layer_name), earlier=Path(sources[0].split("|")[0]).stem,
                    later=Path(sources[1].split("|")[0]).stem,
                    how=self._model_label(model_path, result.earlier.contract))
                self._style_on_load(context, paths[spec.key], name, STYLES_DIR / spec.style)
        outputs.update(GROWTH_KM2=result.growth_km2, LOSS_KM2=result.loss_km2, COMPARED_KM2=result.compared_km2)
        return outputs
