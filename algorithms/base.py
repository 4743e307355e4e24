"""What every hselcz algorithm shares; none of these classes is registered itself.

Each algorithm is a small class in a file named after it (map.py for hselcz:map, ...) on one of two layers:
`Sentinel2Algorithm` (the model, band names and device; mapping.MappingAlgorithm adds the mapping products for
map and map_training_areas) or assessing.AssessAlgorithm. No algorithm inherits from a concrete sibling.

The root, `HseLczAlgorithm`, holds what is wired once for all of them:
- `tr` keyed on the concrete class, so each algorithm is its own translation context in i18n/hselcz_de.ts;
- `createInstance`, icon and help URL;
- `checkParameterValues`: every GeoTIFF output is named .tif/.tiff and every GDAL input can be opened, before
  anything runs (each algorithm lists its own in GEOTIFF_OUTPUTS and GDAL_INPUTS);
- `engine_errors`/`run_engine`: the one place where the engine's EngineError (DeviceError, CancelledError) becomes
  QgsProcessingException, and where the feedback's progress, cancellation, log and warnings reach the engine
  (`engine_feedback`, one core.options.RunFeedback).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QVariant
from qgis.PyQt.QtGui import QIcon

from ..core.errors import EngineError
from ..core.model import BUNDLED_MODEL_FILES, DEFAULT_MODEL_INDEX, DEFAULT_MODEL_PATH, bundled_model_path
from ..core.options import ModelChoice, RunFeedback
from ..core.paths import ICON_PATH, user_guide_url
from ..core.products import output_extension_problem
from ..core.runtime import DEVICES, DeviceError, onnxruntime_import_error

Result = TypeVar("Result")


def engine_feedback(feedback: QgsProcessingFeedback) -> RunFeedback:
    """QGIS's feedback as the engine takes it: progress (0..1 becomes percent), the Cancel button, log lines and
    warnings."""
    return RunFeedback(progress=lambda fraction: feedback.setProgress(100.0 * fraction),
                       is_cancelled=feedback.isCanceled, log=feedback.pushInfo, warn=feedback.pushWarning)


def file_value(parameters: dict[str, Any], name: str) -> str | None:
    """The file name the user gave for a parameter (an output definition's static value too), else None."""
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    if not isinstance(value, str) or not value.strip() or value.strip() == QgsProcessing.TEMPORARY_OUTPUT:
        return None
    return value


class HseLczAlgorithm(QgsProcessingAlgorithm):
    """The root of the plugin's algorithms: translation, instances, help, parameter checks, engine errors."""

    #: Raster destinations the engine writes as GeoTIFF: checked for a .tif/.tiff name before anything runs.
    GEOTIFF_OUTPUTS: tuple[str, ...] = ()
    #: Raster inputs the engine opens with GDAL: a file QGIS cannot load is explained in the engine's words.
    GDAL_INPUTS: tuple[str, ...] = ()

    def tr(self, text: str) -> str:
        """Translated in the context of the concrete algorithm (its class name), as QGIS's own algorithms do."""
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self) -> HseLczAlgorithm:  # noqa: N802 (QGIS API)
        return type(self)()

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:  # noqa: N802
        return str(ICON_PATH)

    def helpUrl(self) -> str:  # noqa: N802
        """The user guide that ships in the plugin folder, as HTML: the dialog's Help button opens it, offline too."""
        return user_guide_url()

    # ------------------------------------------------------------------ checks before anything runs

    def checkParameterValues(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Refuse an output that is not .tif/.tiff (QGIS 3.22 does not check this itself), and explain an input file
        QGIS cannot load (QGIS alone says "not found" for a file that exists but is cut in half)."""
        for name in self.GEOTIFF_OUTPUTS:
            value = file_value(parameters, name)
            problem = output_extension_problem(value) if value else None
            if problem:
                return False, f"{self.parameterDefinition(name).description()} ({name}): {problem}"
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            problem = self._input_problem(parameters)
            if problem:
                return False, problem
        return ok, message

    def _input_problem(self, parameters: dict[str, Any]) -> str | None:
        """Why GDAL cannot open an input file the user gave (the engine's words), or None."""
        from ..core.reader import open_problem  # GDAL only when a check needs it: the provider loads fast

        for name in self.GDAL_INPUTS:
            value = parameters.get(name)
            for source in value if isinstance(value, list | tuple) else [value]:
                if isinstance(source, str) and Path(source).is_file():
                    problem = open_problem(source)
                    if problem:
                        return f"{self.parameterDefinition(name).description()} ({name}): {problem}"
        return None

    # ------------------------------------------------------------------ inputs

    def gdal_layer(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> QgsRasterLayer:
        """A raster input the engine can open: a file raster read by GDAL (not a WMS or a PostGIS raster)."""
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(self.invalidRasterError(parameters, name))
        self.check_gdal_layer(layer)
        return layer

    def check_gdal_layer(self, layer: QgsRasterLayer) -> None:
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                self.tr("The input layer {name} is not a file raster read by GDAL (provider {provider}).").format(
                    name=layer.name(), provider=layer.providerType()
                )
            )

    def _style_on_load(self, context: QgsProcessingContext, path: str | None, name: str, qml: Path | None) -> None:
        if not path or not context.willLoadLayerOnCompletion(path):
            return
        post_processor = StyleOutputLayer(name, qml, self.tr("Could not apply the style {qml}: {message}"))
        _POST_PROCESSORS.append(post_processor)
        details = context.layerToLoadOnCompletionDetails(path)
        details.name = name
        details.setPostProcessor(post_processor)

    # ------------------------------------------------------------------ the engine

    @contextlib.contextmanager
    def engine_errors(self) -> Iterator[None]:
        """The one place where the engine's errors become QgsProcessingException (QGIS shows its message)."""
        try:
            yield
        except DeviceError as exc:
            raise QgsProcessingException(self._device_message(exc)) from exc
        except EngineError as exc:  # CancelledError too: the engine says the run was cancelled
            raise QgsProcessingException(str(exc)) from exc

    def run_engine(self, function: Callable[..., Result], *args: Any, feedback: QgsProcessingFeedback,
                   **kwargs: Any) -> Result:
        """Call an engine function that reports (the mapping functions, export_lcz, summarise_zones: each takes
        `feedback=RunFeedback`) with QGIS's feedback, its errors turned into QGIS errors."""
        with self.engine_errors():
            return function(*args, feedback=engine_feedback(feedback), **kwargs)

    def _device_message(self, error: DeviceError) -> str:
        """How a device error reads in this algorithm (Sentinel2Algorithm words it in its own parameters)."""
        return str(error)


class SetupAlgorithm(HseLczAlgorithm):
    """Group Set-up: the algorithms that install and check the plugin's dependencies (no model runs)."""

    def group(self) -> str:
        return self.tr("Set-up")

    def groupId(self) -> str:  # noqa: N802
        return "setup"


#: QGIS keeps only a C++ pointer to a layer post-processor; if Python dropped the object, QGIS would
#: call into a deleted object when it loads the layers. The most recent ones are kept alive here.
_POST_PROCESSORS: deque[QgsProcessingLayerPostProcessorInterface] = deque(maxlen=64)


class StyleOutputLayer(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML style and a readable name to an output layer once QGIS has loaded it."""

    def __init__(self, name: str, qml: Path | None, style_failed: str) -> None:
        super().__init__()
        self.name = name
        self.qml = qml
        self.style_failed = style_failed  # translated by the algorithm: "... {qml}: {message}"

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 (QGIS API)
        layer.setName(self.name)
        if self.qml is not None:
            message, ok = layer.loadNamedStyle(str(self.qml))
            if not ok:
                feedback.reportError(self.style_failed.format(qml=self.qml, message=message))
        layer.triggerRepaint()


class Sentinel2Algorithm(HseLczAlgorithm):
    """The algorithms that run a model over Sentinel-2 scenes: the model, band names and device parameters (added
    and read here only), and the styled, named layers they load."""

    MODEL = "MODEL"
    BUNDLED_MODEL = "BUNDLED_MODEL"
    BANDS = "BANDS"
    DEVICE = "DEVICE"

    def group(self) -> str:
        return self.tr("Sentinel-2")

    def groupId(self) -> str:  # noqa: N802
        return "sentinel2"

    def tags(self) -> list[str]:
        return self.tr(
            "sentinel-2,settlement,built-up,hse,lcz,local climate zones,urban,land cover,classification,"
            "deep learning,onnx"
        ).split(",")

    MASK_CLOUDS = "MASK_CLOUDS"
    #: Raster inputs that may be a Sentinel-2 product given as a path (products_as_layers).
    PRODUCT_INPUTS: tuple[str, ...] = ()

    def checkParameterValues(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """A Sentinel-2 product given as a path is checked as the layer QGIS can load of it (products_as_layers)."""
        try:
            resolved = self.products_as_layers(parameters, context)
        except EngineError as exc:
            return False, str(exc)
        return super().checkParameterValues(resolved, context)

    def products_as_layers(self, parameters: dict[str, Any], context: QgsProcessingContext) -> dict[str, Any]:
        """Parameters in which a Sentinel-2 product given as text (a .SAFE folder, its .zip, its MTD file, a
        sub-dataset string: core.safe) is the layer of its 10 m image, which QGIS can load; the engine finds the
        product's other bands from it. QGIS alone refuses such a path ("not found") before the plugin sees it."""
        from ..core.safe import find_product, layer_source

        resolved = dict(parameters)
        for name in self.PRODUCT_INPUTS:
            value = parameters.get(name)
            values = value if isinstance(value, list) else [value]
            changed = []
            for item in values:
                if isinstance(item, str) and item and find_product(item) is not None:
                    layer = QgsRasterLayer(layer_source(item) or item, Path(item.rstrip("/\\")).name, "gdal")
                    if layer.isValid():
                        context.temporaryLayerStore().addMapLayer(layer)
                        item = layer.id()
                changed.append(item)
            resolved[name] = changed if isinstance(value, list) else changed[0]
        return resolved

    def add_cloud_parameter(self, help_text: str) -> None:
        """MASK_CLOUDS (default on): clouds and cloud shadows read as no data (core.clouds)."""
        clouds = QgsProcessingParameterBoolean(self.MASK_CLOUDS, self.tr("Mask clouds and cloud shadows"),
                                               defaultValue=True)
        clouds.setHelp(help_text)
        self.addParameter(clouds)

    def add_model_parameters(self) -> None:
        """Bundled model, model file, band names and device, in this order (after the scene parameters)."""
        self.addParameter(QgsProcessingParameterEnum(
            self.BUNDLED_MODEL, self.tr("Bundled model"),
            options=[self._bundled_model_label(name) for name in BUNDLED_MODEL_FILES],
            defaultValue=DEFAULT_MODEL_INDEX))
        model = QgsProcessingParameterFile(
            self.MODEL, self.tr("Model file (ONNX; replaces the bundled model)"),
            behavior=QgsProcessingParameterFile.Behavior.File, extension="onnx", optional=True)
        model.setHelp(self.tr("An ONNX model that follows the plugin's model contract."))
        self.addParameter(model)
        bands = QgsProcessingParameterString(self.BANDS, self.tr("Band names (empty = read from the raster)"),
                                             optional=True)
        bands.setHelp(self.tr(
            "Names in raster band order with - to skip a band, e.g. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, "
            "or name=band number pairs, e.g. B2=1,B3=2,B4=3"))
        self.addParameter(bands)
        self.addParameter(QgsProcessingParameterEnum(
            self.DEVICE, self.tr("Device"), options=[self._device_label(device) for device in DEVICES], defaultValue=0))

    def _device_message(self, error: DeviceError) -> str:
        """The engine names devices as Python callers type them; here they are dialog options and enum numbers."""
        options = self.tr(" or ").join(f'"{self._device_label(device)}"' for device in error.usable)
        numbers = self.tr(" or ").join(f"DEVICE={DEVICES.index(device)} ({device})" for device in error.usable)
        return self.tr(
            "{reason} Choose the Device {options} in the algorithm dialog; with qgis_process or processing.run, "
            "{numbers}."
        ).format(reason=error.reason, options=options, numbers=numbers)

    def _device_label(self, device: str) -> str:
        labels = {
            "auto": self.tr("auto (first available accelerator, else CPU)"),
            "CPU": self.tr("CPU"),
            "CUDA": self.tr("CUDA (NVIDIA GPU)"),
            "DirectML": self.tr("DirectML (Windows GPU)"),
            "CoreML": self.tr("CoreML (Apple)"),
        }
        return labels.get(device, device)

    def model_inputs(self, parameters: dict[str, Any], context: QgsProcessingContext) -> ModelChoice:
        """The model file (a file given replaces the bundled choice), band names and device of a run."""
        missing_runtime = onnxruntime_import_error()
        if missing_runtime:
            raise QgsProcessingException(missing_runtime)
        model_path = self.parameterAsFile(parameters, self.MODEL, context) or str(
            bundled_model_path(self.parameterAsEnum(parameters, self.BUNDLED_MODEL, context)))
        bands = self.parameterAsString(parameters, self.BANDS, context).strip() or None
        device = DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)]
        return ModelChoice(model_path, bands, device)

    def _bundled_model_label(self, file_name: str) -> str:
        labels = {
            "so2sat_resnet20_lcz.onnx": self.tr("So2Sat LCZ42 ResNet20: LCZ only"),
            "mtl_resnet20_v3.onnx": self.tr("Multi-task HSE + LCZ v3 on the So2Sat ResNet20 (default)"),
        }
        return labels.get(file_name, file_name)

    def _model_label(self, model_path: str, contract) -> str:
        """A bundled model by a short name, another by its contract's name (in the loaded layers' names)."""
        labels = {"so2sat_resnet20_lcz.onnx": self.tr("So2Sat ResNet20"),
                  "mtl_resnet20_v3.onnx": self.tr("multi-task v3")}
        model_file = Path(model_path)
        bundled = model_file.name in labels and model_file.resolve().parent == DEFAULT_MODEL_PATH.resolve().parent
        return labels[model_file.name] if bundled else contract.name

    @staticmethod
    def _do_not_load(context: QgsProcessingContext, path: str) -> None:
        """QGIS would report an output it cannot load as an error; this one was never written."""
        layers = context.layersToLoadOnCompletion()
        if path in layers:
            del layers[path]
            context.setLayersToLoadOnCompletion(layers)


class PolygonInputs:
    """For an algorithm with a polygon layer input (reference polygons, training areas): read it for the engine."""

    def read_polygons(self: Any, parameters: dict[str, Any], context: QgsProcessingContext, source_parameter: str,
                      field_parameter: str, crs: QgsCoordinateReferenceSystem, feedback: QgsProcessingFeedback,
                      what: str = "reference polygons"):
        """A polygon layer's geometries (transformed by QGIS into `crs`) and class values, for the engine.

        Why geometries and not a path: the layer may be a memory layer or a model's temporary output, which GDAL
        cannot open. Points or lines are refused (or skipped among polygons), invalid polygons repaired or skipped,
        and the warnings say how many (core.input_kinds.check_polygons); `what` names the polygons' role in those
        messages.
        """
        from ..core.assessment import PolygonReference
        from ..core.input_kinds import check_polygons

        source = self.parameterAsSource(parameters, source_parameter, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, source_parameter))
        field = self.parameterAsString(parameters, field_parameter, context)
        if source.fields().indexOf(field) < 0:
            raise QgsProcessingException(self.tr("The polygon layer has no field {field}.").format(field=field))
        request = QgsFeatureRequest().setSubsetOfAttributes([field], source.fields())
        request.setDestinationCrs(crs, context.transformContext())
        features: list[tuple[bytes, Any]] = []
        # Invalid geometries are counted and repaired below: QGIS must not drop (or stop at) them on its own.
        for feature in source.getFeatures(request, QgsProcessingFeatureSource.Flag.FlagSkipGeometryValidityChecks):
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr("Cancelled."))
            geometry = feature.geometry()
            value = feature[field]
            if isinstance(value, QVariant) and value.isNull():  # Qt 5's NULL; Qt 6 gives None
                value = None
            features.append((b"" if geometry.isNull() else bytes(geometry.asWkb()), value))
        name = source.sourceName() if hasattr(source, "sourceName") else "polygon layer"
        with self.engine_errors():
            features, notes = check_polygons(features, name, what)
        for note in notes:
            feedback.pushWarning(note)
        return PolygonReference(features, crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED_GDAL), name,
                                field)
