"""hselcz:map: one Processing algorithm around core.engine.map_scene.

The algorithm holds no numerics: it turns parameters into map_scene arguments, forwards progress,
cancellation and log lines, turns EngineError into QgsProcessingException in one place, and styles
the layers QGIS loads when the run completes.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core.errors import EngineError
from ..core.model import BUNDLED_MODEL_FILES, DEFAULT_MODEL_INDEX, DEFAULT_MODEL_PATH, bundled_model_path
from ..core.paths import ICON_PATH, STYLES_DIR, user_guide_url
from ..core.products import HSE, LCZ, PROBABILITIES, PRODUCTS, output_extension_problem
from ..core.runtime import DEVICES, DeviceError, onnxruntime_import_error

if TYPE_CHECKING:
    from ..core.engine import MappingResult


#: QGIS keeps only a C++ pointer to a layer post-processor; if Python dropped the object, QGIS would
#: call into a deleted object when it loads the layers. The most recent ones are kept alive here.
_POST_PROCESSORS: deque[QgsProcessingLayerPostProcessorInterface] = deque(maxlen=64)


class StyleOutputLayer(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML style and a readable name to an output layer once QGIS has loaded it."""

    def __init__(self, name: str, qml: Path | None) -> None:
        super().__init__()
        self.name = name
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 (QGIS API)
        layer.setName(self.name)
        if self.qml is not None:
            message, ok = layer.loadNamedStyle(str(self.qml))
            if not ok:
                feedback.reportError(
                    QCoreApplication.translate("MapAlgorithm", "Could not apply the style {qml}: {message}").format(
                        qml=self.qml, message=message
                    )
                )
        layer.triggerRepaint()


class MapAlgorithm(QgsProcessingAlgorithm):
    """Map settlement density (HSE) and local climate zones (LCZ) from one Sentinel-2 raster."""

    INPUT = "INPUT"
    MORE_DATES = "MORE_DATES"
    MODEL = "MODEL"
    BUNDLED_MODEL = "BUNDLED_MODEL"
    BANDS = "BANDS"
    DEVICE = "DEVICE"
    OUTPUT_LCZ = LCZ.parameter
    OUTPUT_HSE = HSE.parameter
    OUTPUT_PROBABILITIES = PROBABILITIES.parameter

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("MapAlgorithm", text)

    def createInstance(self) -> MapAlgorithm:  # noqa: N802
        return MapAlgorithm()

    def name(self) -> str:
        return "map"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Map settlement density and local climate zones")

    def group(self) -> str:
        return self.tr("Sentinel-2")

    def groupId(self) -> str:  # noqa: N802
        return "sentinel2"

    def tags(self) -> list[str]:
        return self.tr(
            "sentinel-2,settlement,built-up,hse,lcz,local climate zones,urban,land cover,classification,"
            "deep learning,onnx"
        ).split(",")

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:  # noqa: N802
        return str(ICON_PATH)

    def helpUrl(self) -> str:  # noqa: N802
        """The user guide that ships in the plugin folder, as HTML: the dialog's Help button opens it, offline too."""
        return user_guide_url()

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Maps local climate zones (100 m) and settlement density (20 m) from a Sentinel-2 raster.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Runs a convolutional neural network (an ONNX model, through onnxruntime) over a Sentinel-2 "
            "scene and writes the 17 local climate zones (LCZ) of Stewart and Oke on a 100 m grid and, when "
            "the model predicts it, the density of human settlement (HSE: with the bundled model, the share of each "
            "20 m pixel covered by buildings, 0 to 1) on a 20 m grid. Outputs are GeoTIFF files; loaded layers get the LCZ and HSE styles of the plugin.</p>"
            "<h3>Parameters</h3>"
            "<p><b>Sentinel-2 raster</b>: a band-stacked GeoTIFF or VRT, or a Sentinel-2 L1C/L2A product "
            "opened through GDAL. It must hold the bands the model needs (usually the ten 10 m and 20 m "
            "bands B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12) as reflectance x 10000.</p>"
            "<p><b>Bundled model</b>: used when no model file is given. The default, {default}, is the multi-task "
            "model v3: its local climate zones are those of the So2Sat LCZ42 ResNet20 classifier (the same network, "
            "unchanged), and a branch on the same network maps the settlement density as building cover, trained on "
            "real building footprints of Pisa. The So2Sat ResNet20 alone ({lcz_only}) maps local climate zones "
            "only. Both have a model card in the plugin's models folder.</p>"
            "<p><b>Model file</b>: an ONNX file that follows the plugin's model contract; it replaces the "
            "bundled model.</p>"
            "<p><b>Band names</b>: how to find the bands. Leave it empty when the raster's bands are named "
            "(band descriptions or metadata such as B2, B02 or a wavelength), which is how GDAL reads "
            "Sentinel-2 products. Otherwise either list the band names in raster band order, using - for a "
            "band to skip, e.g. <code>B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12</code> or "
            "<code>-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12</code> for a 13-band stack, or give pairs of name "
            "and band number, e.g. <code>B2=1,B3=2,B4=3,B8=7</code>.</p>"
            "<p><b>Device</b>: where onnxruntime runs the model. auto uses the first available accelerator "
            "(CUDA, DirectML, CoreML) and otherwise the CPU; naming a device that is not available is an "
            "error, never a silent fallback. The log reports the execution provider really used.</p>"
            "<h3>Outputs</h3>"
            "<p><b>Local climate zones</b>: Byte GeoTIFF on a 100 m grid, values 1 to 17 (1-10 built types, "
            "A-G as 11-17) with a colour table and class names; 0 is nodata.</p>"
            "<p><b>Settlement density (HSE)</b>: Float32 GeoTIFF, 0 to 1 (the bundled model: the share of the "
            "pixel covered by buildings), on a 20 m grid; only written when "
            "the model has an HSE output (the log says so otherwise).</p>"
            "<p><b>LCZ class probabilities</b> (optional): 17-band Float32 GeoTIFF on the 100 m grid, one band "
            "per class.</p>"
            "<p>The model runs through onnxruntime, which must be installed in the Python that QGIS uses; "
            "without it the algorithm stops and explains how to install it.</p>"
        ).format(default=DEFAULT_MODEL_PATH.name, lcz_only=BUNDLED_MODEL_FILES[0]) + self.tr(
            "<h3>Several dates</h3><p><b>More dates</b>: other scenes of the same place (any footprint, CRS or date). "
            "Each is read on the first scene's grid and run through the model; the LCZ comes from the mean of the "
            "dates' class probabilities in each 100 m cell, the settlement density from the median of the dates in "
            "each 20 m pixel (a single hazy date cannot drag it). <b>Dates per LCZ cell</b> (optional output): how "
            "many dates had data in each cell.</p>"
        ) + self.tr(
            "<p><b>Band names with several dates</b>: the band names describe the first scene. A later date with the "
            "same number of bands is read with them too; one with another number of bands is read by its own band "
            "names, and refused if it has none. For dates of different layouts, give one list per date separated by "
            "|, e.g. <code>B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12 | -,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12</code>.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Sentinel-2 raster")))
        more = QgsProcessingParameterMultipleLayers(
            self.MORE_DATES, self.tr("More dates of the same place (fused with the first)"),
            QgsProcessing.TypeRaster, optional=True,
        )
        more.setHelp(self.tr("Other Sentinel-2 scenes of the same place; read on the first scene's grid. LCZ from the "
                             "mean of the dates' class probabilities, HSE from their median."))
        self.addParameter(more)
        self.addParameter(
            QgsProcessingParameterEnum(
                self.BUNDLED_MODEL,
                self.tr("Bundled model"),
                options=[self._bundled_model_label(name) for name in BUNDLED_MODEL_FILES],
                defaultValue=DEFAULT_MODEL_INDEX,
            )
        )
        model = QgsProcessingParameterFile(
            self.MODEL,
            self.tr("Model file (ONNX; replaces the bundled model)"),
            behavior=QgsProcessingParameterFile.File,
            extension="onnx",
            optional=True,
        )
        model.setHelp(self.tr("An ONNX model that follows the plugin's model contract."))
        self.addParameter(model)
        bands = QgsProcessingParameterString(
            self.BANDS,
            self.tr("Band names (empty = read from the raster)"),
            optional=True,
        )
        bands.setHelp(
            self.tr(
                "Names in raster band order with - to skip a band, e.g. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, "
                "or name=band number pairs, e.g. B2=1,B3=2,B4=3"
            )
        )
        self.addParameter(bands)
        self.addParameter(
            QgsProcessingParameterEnum(
                self.DEVICE,
                self.tr("Device"),
                options=[self._device_label(device) for device in DEVICES],
                defaultValue=0,
            )
        )
        for spec in PRODUCTS:
            self.addParameter(
                QgsProcessingParameterRasterDestination(
                    spec.parameter,
                    self.tr(spec.layer_name),
                    optional=not spec.required,
                    createByDefault=spec.create_by_default,
                )
            )

    def _bundled_model_label(self, file_name: str) -> str:
        labels = {
            "so2sat_resnet20_lcz.onnx": self.tr("So2Sat LCZ42 ResNet20: LCZ only"),
            "mtl_resnet20_v3.onnx": self.tr("Multi-task HSE + LCZ v3 on the So2Sat ResNet20 (default)"),
        }
        return labels.get(file_name, file_name)

    def _device_label(self, device: str) -> str:
        labels = {
            "auto": self.tr("auto (first available accelerator, else CPU)"),
            "CPU": self.tr("CPU"),
            "CUDA": self.tr("CUDA (NVIDIA GPU)"),
            "DirectML": self.tr("DirectML (Windows GPU)"),
            "CoreML": self.tr("CoreML (Apple)"),
        }
        return labels.get(device, device)

    def checkParameterValues(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """Refuse an output that is not .tif/.tiff before anything runs (QGIS 3.22 does not check this itself), and
        explain an input file QGIS cannot load."""
        for name in (spec.parameter for spec in PRODUCTS):
            value = parameters.get(name)
            if isinstance(value, QgsProcessingOutputLayerDefinition):
                value = value.sink.staticValue()
            # Only a file name the user gave; a temporary output gets the provider's default extension.
            if not isinstance(value, str) or not value or value == QgsProcessing.TEMPORARY_OUTPUT:
                continue
            problem = output_extension_problem(value)
            if problem:
                return False, f"{self.parameterDefinition(name).description()} ({name}): {problem}"
        ok, message = super().checkParameterValues(parameters, context)
        source = parameters.get(self.INPUT)
        if not ok and isinstance(source, str) and Path(source).is_file():
            # QGIS says "not found" for a file it cannot load; say why, as the engine would.
            from ..core.reader import open_problem

            problem = open_problem(source)
            if problem:
                return False, f"{self.parameterDefinition(self.INPUT).description()} (INPUT): {problem}"
        return ok, message

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        layer, model_path, bands, device, paths = self._mapping_inputs(parameters, context)
        sources = [layer.source()] + self._more_dates(parameters, context)
        result = self._run_engine(sources, model_path, bands, device, self._producible(parameters, paths, model_path,
                                                                                        feedback), feedback)
        return self._publish(result.outputs, paths, context, self._made_by(sources, model_path, result.contract))

    @staticmethod
    def _asked_for(parameters: dict[str, Any], name: str) -> bool:
        """Whether the user named a file for an output (not the temporary layer the dialog offers by default)."""
        value = parameters.get(name)
        if isinstance(value, QgsProcessingOutputLayerDefinition):
            value = value.sink.staticValue()
        return isinstance(value, str) and value.strip() not in ("", QgsProcessing.TEMPORARY_OUTPUT)

    def _producible(self, parameters: dict[str, Any], paths: dict[str, str | None], model_path: str,
                    feedback: QgsProcessingFeedback) -> dict[str, str | None]:
        """The outputs to hand to the engine: a temporary layer the user did not ask for (the dialog's default for
        HSE) that the model cannot produce is left out with a line in the log. Before: a default run with the default
        model showed an orange warning about an HSE layer nobody had asked for. A file the user named for it is
        still passed, and the engine warns."""
        implicit = [spec for spec in PRODUCTS if paths.get(spec.key) and not spec.derived
                    and not self._asked_for(parameters, spec.parameter)]
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

    def _model_label(self, model_path: str, contract) -> str:
        """A bundled model by a short name, another by its contract's name."""
        labels = {"so2sat_resnet20_lcz.onnx": self.tr("So2Sat ResNet20"),
                  "mtl_resnet20_v3.onnx": self.tr("multi-task v3")}
        model_file = Path(model_path)
        bundled = model_file.name in labels and model_file.resolve().parent == DEFAULT_MODEL_PATH.resolve().parent
        return labels[model_file.name] if bundled else contract.name

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

    def _more_dates(self, parameters: dict[str, Any], context: QgsProcessingContext) -> list[str]:
        """The file sources of the other dates (GDAL rasters only, like the input)."""
        sources = []
        for other in self.parameterAsLayerList(parameters, self.MORE_DATES, context):
            if other.providerType() != "gdal":
                raise QgsProcessingException(
                    self.tr("The input layer {name} is not a file raster read by GDAL (provider {provider}).").format(
                        name=other.name(), provider=other.providerType()
                    )
                )
            sources.append(other.source())
        return sources

    def _mapping_inputs(self, parameters: dict[str, Any], context: QgsProcessingContext
                        ) -> tuple[QgsRasterLayer, str, str | None, str, dict[str, str | None]]:
        """The input layer, model file, band names, device and output paths every mapping algorithm reads."""
        missing_runtime = onnxruntime_import_error()
        if missing_runtime:
            raise QgsProcessingException(missing_runtime)

        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException(self.invalidRasterError(parameters, self.INPUT))
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                self.tr("The input layer {name} is not a file raster read by GDAL (provider {provider}).").format(
                    name=layer.name(), provider=layer.providerType()
                )
            )
        model_path = self.parameterAsFile(parameters, self.MODEL, context) or None
        bundled = bundled_model_path(self.parameterAsEnum(parameters, self.BUNDLED_MODEL, context))
        bands = self.parameterAsString(parameters, self.BANDS, context).strip() or None
        device = DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)]
        paths = {spec.key: self.parameterAsOutputLayer(parameters, spec.parameter, context) or None for spec in PRODUCTS}
        return layer, model_path or str(bundled), bands, device, paths

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

    def _run_engine(self, sources: list[str], model_path: str, bands: str | None, device: str,
                    paths: dict[str, str | None], feedback: QgsProcessingFeedback) -> MappingResult:
        """The one place where engine errors become QgsProcessingException."""
        # Imported when run, not with the provider: the provider and its help stay available even where
        # the engine's dependencies are broken, and QGIS starts faster.
        from ..core.engine import OutputPaths
        from ..core.multidate import map_dates

        try:
            return map_dates(
                sources,
                OutputPaths(**paths),
                model_path=model_path,
                bands=bands,
                device=device,
                progress=lambda fraction: feedback.setProgress(100.0 * fraction),
                is_cancelled=feedback.isCanceled,
                log=feedback.pushInfo,
                warn=feedback.pushWarning,
            )
        except DeviceError as exc:
            raise QgsProcessingException(self._device_message(exc)) from exc
        except EngineError as exc:
            raise QgsProcessingException(str(exc)) from exc

    def _device_message(self, error: DeviceError) -> str:
        """The engine names devices as Python callers type them; here they are dialog options and enum numbers."""
        options = self.tr(" or ").join(f'"{self._device_label(device)}"' for device in error.usable)
        numbers = self.tr(" or ").join(f"DEVICE={DEVICES.index(device)} ({device})" for device in error.usable)
        return self.tr(
            "{reason} Choose the Device {options} in the algorithm dialog; with qgis_process or processing.run, "
            "{numbers}."
        ).format(reason=error.reason, options=options, numbers=numbers)

    @staticmethod
    def _style_on_load(context: QgsProcessingContext, path: str | None, name: str, qml: Path | None) -> None:
        if not path or not context.willLoadLayerOnCompletion(path):
            return
        post_processor = StyleOutputLayer(name, qml)
        _POST_PROCESSORS.append(post_processor)
        details = context.layerToLoadOnCompletionDetails(path)
        details.name = name
        details.setPostProcessor(post_processor)

    @staticmethod
    def _do_not_load(context: QgsProcessingContext, path: str) -> None:
        """QGIS would report an output it cannot load as an error; this one was never written."""
        layers = context.layersToLoadOnCompletion()
        if path in layers:
            del layers[path]
            context.setLayersToLoadOnCompletion(layers)
