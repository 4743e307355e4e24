"""The plugin inside a real QGIS: loading, the algorithm's interface, and runs on the bundled real scene."""

from __future__ import annotations

import importlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import processing
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsPalettedRasterRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QTranslator, QUrl

from core.lcz import LCZ_CLASSES
from support.qgis_helpers import plugin_package, scene_copy
from support.qgis_i18n import german_translator
from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS

ALG_ID = "hselcz:map"
SCENE = scene_copy()  # not the file in the repository: QGIS writes a .aux.xml beside its inputs
PARAMETERS = ["INPUT", "MORE_DATES", "BUNDLED_MODEL", "MODEL", "BANDS", "DEVICE", "MASK_CLOUDS", "OUTPUT_LCZ",
              "OUTPUT_HSE", "OUTPUT_PROBABILITIES", "OUTPUT_DATES", "OUTPUT_UNCERTAINTY", "OUTPUT_LCZ_FILTERED"]


def test_plugin_lifecycle_registers_and_removes_provider(qgis_iface, qgis_processing):
    """QGIS desktop path: classFactory(iface) -> initGui -> unload."""
    registry = QgsApplication.processingRegistry()
    assert registry.providerById("hselcz") is None
    plugin = plugin_package().classFactory(qgis_iface)
    plugin.initGui()
    assert registry.providerById("hselcz") is plugin.provider
    plugin.initProcessing()  # a second call must not register a second provider
    assert [p.id() for p in registry.providers()].count("hselcz") == 1
    plugin.unload()
    assert registry.providerById("hselcz") is None


@pytest.fixture
def algorithm(plugin):
    alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    assert alg is not None
    return alg


def test_provider(plugin):
    provider = QgsApplication.processingRegistry().providerById("hselcz")
    assert provider is plugin.provider
    assert provider.name() and provider.longName()
    assert not provider.icon().isNull()
    assert provider.supportedOutputRasterLayerExtensions() == ["tif", "tiff"]
    assert sorted(a.id() for a in provider.algorithms()) == [
        "hselcz:assess_hse", "hselcz:assess_lcz", "hselcz:diagnostics", "hselcz:district_summary", "hselcz:export_lcz",
        "hselcz:install_dependencies", ALG_ID, "hselcz:map_growth", "hselcz:map_training_areas"]


def test_algorithm_interface(algorithm):
    assert algorithm.displayName() == "Map settlement density and local climate zones"
    assert algorithm.group() and algorithm.groupId()
    assert {"sentinel-2", "lcz", "settlement"} <= set(algorithm.tags())
    assert not algorithm.icon().isNull()
    assert [p.name() for p in algorithm.parameterDefinitions()] == PARAMETERS
    assert {o.name() for o in algorithm.outputDefinitions()} == {"OUTPUT_LCZ", "OUTPUT_HSE", "OUTPUT_PROBABILITIES",
                                                                  "OUTPUT_DATES", "OUTPUT_UNCERTAINTY",
                                                                  "OUTPUT_LCZ_FILTERED"}
    assert algorithm.flags() & algorithm.FlagCanCancel
    assert not algorithm.flags() & algorithm.FlagHideFromModeler
    assert not algorithm.flags() & algorithm.FlagNoThreading

    def optional(name: str) -> bool:
        return bool(algorithm.parameterDefinition(name).flags() & QgsProcessingParameterDefinition.FlagOptional)

    assert [name for name in PARAMETERS if optional(name)] == ["MORE_DATES", "MODEL", "BANDS", "OUTPUT_HSE",
                                                               "OUTPUT_PROBABILITIES", "OUTPUT_DATES",
                                                               "OUTPUT_UNCERTAINTY", "OUTPUT_LCZ_FILTERED"]
    assert algorithm.parameterDefinition("MORE_DATES").type() == "multilayer"
    assert not algorithm.parameterDefinition("OUTPUT_DATES").createByDefault()
    assert algorithm.parameterDefinition("INPUT").type() == "raster"
    model = algorithm.parameterDefinition("MODEL")
    assert model.type() == "file" and model.extension() == "onnx"
    assert not model.checkValueIsAcceptable("/tmp/model.txt")
    assert model.checkValueIsAcceptable("/tmp/model.onnx")
    bundled = algorithm.parameterDefinition("BUNDLED_MODEL")
    assert bundled.type() == "enum" and bundled.defaultValue() == 1 and len(bundled.options()) == 2
    assert "LCZ only" in bundled.options()[0] and "HSE" in bundled.options()[1]
    device = algorithm.parameterDefinition("DEVICE")
    assert device.type() == "enum" and len(device.options()) == 5 and device.defaultValue() == 0
    assert device.options()[0].startswith("auto") and device.options()[1] == "CPU"
    assert algorithm.parameterDefinition("OUTPUT_LCZ").createByDefault()
    assert algorithm.parameterDefinition("OUTPUT_HSE").createByDefault()
    assert not algorithm.parameterDefinition("OUTPUT_PROBABILITIES").createByDefault()
    assert "B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12" in algorithm.parameterDefinition("BANDS").help()
    help_file = Path(QUrl(algorithm.helpUrl()).toLocalFile())
    # The HTML guide where it was made (the zip, `make guide`), else the Markdown
    # (test/scripts/test_markdown_html.py, test/qgis/test_package.py)
    assert help_file.name in ("USER_GUIDE.html", "USER_GUIDE.md") and help_file.is_file()

    text = algorithm.shortHelpString()
    for expected in ("B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12", "B2=1", "so2sat_resnet20_lcz.onnx", "mtl_resnet20_v3.onnx",
                     "onnxruntime",
                     "100 m", "20 m", "Device", "Model", "Band names"):
        assert expected in text, expected


def test_input_defaults_to_the_active_layer(algorithm):
    """In the algorithm dialog a raster layer parameter without default shows the active layer."""
    from qgis.gui import QgsGui, QgsProcessingGui, QgsProcessingParameterWidgetContext

    project = QgsProject.instance()
    # the combo box sorts layers by name: the active layer must not be the one it would pick anyway
    first = QgsRasterLayer(str(SCENE), "a first layer")
    active = QgsRasterLayer(str(SCENE), "z active layer")
    project.addMapLayers([first, active])

    def value_shown(active_layer):
        widget_context = QgsProcessingParameterWidgetContext()
        widget_context.setProject(project)
        widget_context.setActiveLayer(active_layer)
        wrapper = QgsGui.processingGuiRegistry().createParameterWidgetWrapper(
            algorithm.parameterDefinition("INPUT"), QgsProcessingGui.Standard
        )
        wrapper.setWidgetContext(widget_context)
        widget = wrapper.createWrappedWidget(QgsProcessingContext())  # keep it: Python owns the widget
        assert widget is not None
        return wrapper.parameterValue()

    try:
        assert value_shown(None) == first.id()
        assert value_shown(active) == active.id()
    finally:
        project.removeAllMapLayers()


# --- runs on the real Sentinel-2 sample -------------------------------------------------------------


@pytest.fixture(scope="module")
def default_run(plugin, tmp_path_factory):
    """One run with the LCZ-only bundled model (0), shared by the tests that only read its outputs."""
    out = tmp_path_factory.mktemp("default_run")
    feedback = RecordingFeedback()
    results = processing.run(
        ALG_ID,
        {"INPUT": str(SCENE), "BUNDLED_MODEL": 0, "OUTPUT_LCZ": str(out / "lcz.tif"),
         "OUTPUT_HSE": str(out / "hse.tif")},
        feedback=feedback,
    )
    return out, results, feedback


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps the log and progress so tests can check what the user would see."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.warnings: list[str] = []
        self.progress_values: list[float] = []
        self.progressChanged.connect(self.progress_values.append)

    def pushInfo(self, info: str) -> None:  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.lines.append(warning)
        self.warnings.append(warning)
        super().pushWarning(warning)

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803
        self.lines.append(error)
        super().reportError(error, fatalError)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


def test_run_writes_lcz_geotiff(default_run):
    out, results, feedback = default_run
    lcz_path = out / "lcz.tif"
    assert Path(results["OUTPUT_LCZ"]) == lcz_path and lcz_path.is_file()
    dataset = gdal.Open(str(lcz_path))
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Byte and band.GetNoDataValue() == 0
    values = band.ReadAsArray()
    valid = values[values != 0]
    assert valid.size > 0 and valid.min() >= 1 and valid.max() <= 17
    assert len(np.unique(valid)) >= 2  # a real coastal scene is not one class
    table = band.GetColorTable()
    assert table is not None
    for lcz in LCZ_CLASSES:
        assert table.GetColorEntry(lcz.code)[:3] == lcz.rgb
    assert abs(dataset.GetGeoTransform()[1]) > 0
    dataset = None
    assert feedback.progress_values and max(feedback.progress_values) == pytest.approx(100)


def test_run_reports_model_and_provider(default_run):
    _, _, feedback = default_run
    assert "So2Sat LCZ42 ResNet20" in feedback.log
    assert "ExecutionProvider" in feedback.log


def test_model_without_hse_output_reports_and_skips_it(default_run):
    """One warning, one model line, and OUTPUT_HSE returned as None (not the name of a file never written)."""
    out, results, feedback = default_run
    assert "OUTPUT_HSE" in results and results["OUTPUT_HSE"] is None
    assert not (out / "hse.tif").exists()
    assert len(feedback.warnings) == 1 and "has no HSE output" in feedback.warnings[0], feedback.warnings
    assert [line for line in feedback.lines if line.startswith("Model")] == [
        next(line for line in feedback.lines if line.startswith("Model: So2Sat LCZ42 ResNet20"))
    ]


def test_loaded_layers_are_styled(plugin, tmp_path):
    project = QgsProject.instance()
    project.removeAllMapLayers()
    lcz_path = tmp_path / "lcz.tif"
    params = {
        "INPUT": str(SCENE),
        "OUTPUT_LCZ": str(lcz_path),
        "BUNDLED_MODEL": 0,
        "OUTPUT_HSE": "TEMPORARY_OUTPUT",  # the LCZ-only model has no HSE output: nothing to load
    }
    feedback = RecordingFeedback()
    processing.runAndLoadResults(ALG_ID, params, feedback=feedback)
    try:
        layers = list(project.mapLayers().values())
        # named after what made it (issue 19, item 10), and no warning about the HSE layer nobody asked for
        assert [layer.name() for layer in layers] == [f"Local climate zones: {SCENE.stem} (So2Sat ResNet20)"], (
            feedback.log)
        assert not feedback.warnings, feedback.warnings
        assert any("has no HSE output, so the layer 'Settlement density (HSE)' is not made" in line
                   for line in feedback.lines), feedback.log
        layer = layers[0]
        assert Path(layer.source()) == lcz_path
        renderer = layer.renderer()
        assert renderer.type() == "paletted"
        assert isinstance(renderer, QgsPalettedRasterRenderer)
        classes = renderer.classes()
        assert [c.value for c in classes] == list(range(1, 18))
        assert [c.label for c in classes] == [f"{c.label} {c.name}" for c in LCZ_CLASSES]
        assert [c.color.name() for c in classes] == [c.color for c in LCZ_CLASSES]
        legend = [text for text, _color in renderer.legendSymbologyItems()]
        assert legend == [c.legend_text for c in LCZ_CLASSES]
        assert "not correctly generated" not in feedback.log
    finally:
        project.removeAllMapLayers()


def test_output_definition_with_destination_project_is_styled_too(plugin, tmp_path):
    """The same through a context the caller builds, as a model or another plugin would."""
    project = QgsProject.instance()
    project.removeAllMapLayers()
    context = QgsProcessingContext()
    context.setProject(project)
    feedback = RecordingFeedback()
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG_ID)
    destination = QgsProcessingOutputLayerDefinition(str(tmp_path / "lcz.tif"), project)
    results, ok = alg.run({"INPUT": str(SCENE), "OUTPUT_LCZ": destination}, context, feedback)
    assert ok, feedback.log
    details = context.layerToLoadOnCompletionDetails(results["OUTPUT_LCZ"])
    assert details.name == f"Local climate zones: {SCENE.stem} (multi-task v3)"  # the default model
    assert details.postProcessor() is not None
    assert list(context.layersToLoadOnCompletion()) == [results["OUTPUT_LCZ"]]


class CancelAfterFirstProgress(RecordingFeedback):
    def setProgress(self, progress: float) -> None:  # noqa: N802
        super().setProgress(progress)
        if progress > 0:
            self.cancel()


def test_cancel_stops_and_leaves_no_output(plugin, tmp_path):
    feedback = CancelAfterFirstProgress()
    lcz_path = tmp_path / "lcz.tif"
    with pytest.raises(QgsProcessingException):
        processing.run(ALG_ID, {"INPUT": str(SCENE), "OUTPUT_LCZ": str(lcz_path)}, feedback=feedback)
    assert feedback.isCanceled()
    assert not lcz_path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either


def test_unwritable_output_path_is_reported(plugin, tmp_path):
    if os.geteuid() == 0:
        # root ignores permission bits; a path below a regular file is unwritable for everyone
        (tmp_path / "not_a_folder").write_text("x")
        target = tmp_path / "not_a_folder" / "lcz.tif"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=stat.S_IRUSR | stat.S_IXUSR)
        target = locked / "lcz.tif"
    feedback = RecordingFeedback()
    with pytest.raises(QgsProcessingException) as error:
        processing.run(ALG_ID, {"INPUT": str(SCENE), "OUTPUT_LCZ": str(target)}, feedback=feedback)
    assert str(target.parent) in str(error.value), str(error.value)
    assert not feedback.progress_values or max(feedback.progress_values) == 0  # refused before computing


def test_bad_bands_value_is_reported(plugin, tmp_path):
    with pytest.raises(QgsProcessingException) as error:
        processing.run(
            ALG_ID, {"INPUT": str(SCENE), "BANDS": "B2,B3,Q7", "OUTPUT_LCZ": str(tmp_path / "lcz.tif")}
        )
    assert "BANDS" in str(error.value)
    assert not (tmp_path / "lcz.tif").exists()


def test_model_parameter_rejects_other_files(plugin, tmp_path):
    not_a_model = tmp_path / "model.txt"
    not_a_model.write_text("not a model")
    with pytest.raises(QgsProcessingException):
        processing.run(
            ALG_ID, {"INPUT": str(SCENE), "MODEL": str(not_a_model), "OUTPUT_LCZ": str(tmp_path / "l.tif")}
        )


def test_broken_model_file_is_reported(plugin, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an ONNX model")
    with pytest.raises(QgsProcessingException) as error:
        processing.run(
            ALG_ID, {"INPUT": str(SCENE), "MODEL": str(broken), "OUTPUT_LCZ": str(tmp_path / "l.tif")}
        )
    assert str(broken) in str(error.value)
    assert not (tmp_path / "l.tif").exists()


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (qttools5-dev-tools) is not installed")
def test_german_translation_compiles_and_translates(algorithm, tmp_path, repo_root):
    """i18n/hselcz_de.ts is a complete, valid Qt translation of the algorithm's strings."""
    qm = tmp_path / "hselcz_de.qm"
    completed = subprocess.run(["lrelease", str(repo_root / "i18n" / "hselcz_de.ts"), "-qm", str(qm)],
                               capture_output=True, text=True)
    assert completed.returncode == 0 and "0 unfinished" in completed.stdout, completed.stdout + completed.stderr
    translator = QTranslator()
    assert translator.load(str(qm))
    QCoreApplication.installTranslator(translator)
    try:
        assert algorithm.displayName() == "Siedlungsdichte und lokale Klimazonen kartieren"
        assert algorithm.create().shortHelpString().startswith("<p>Wendet ein faltendes neuronales Netz")
        assert "so2sat_resnet20_lcz.onnx" in algorithm.create().shortHelpString()
        assert "<h3>Mehrere Aufnahmen</h3>" in algorithm.create().shortHelpString()
        registry = QgsApplication.processingRegistry()
        assert registry.algorithmById("hselcz:map_training_areas").displayName() == (
            "Lokale Klimazonen mit lokalen Trainingsgebieten kartieren")
        assert registry.algorithmById("hselcz:map_growth").displayName() == (
            "Siedlungswachstum zwischen zwei Aufnahmen kartieren")
    finally:
        QCoreApplication.removeTranslator(translator)
    assert algorithm.displayName() == "Map settlement density and local climate zones"


def test_runs_inside_a_processing_model(plugin, tmp_path):
    """The algorithm works as a step of a graphical model (HSE output skipped, LCZ as model output)."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("LCZ of a scene", "tests")
    model.addModelParameter(QgsProcessingParameterRasterLayer("scene", "Scene"), QgsProcessingModelParameter("scene"))
    child = QgsProcessingModelChildAlgorithm(ALG_ID)
    child.setChildId("map")
    child.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("scene")])
    output = QgsProcessingModelOutput("lcz", "LCZ")
    output.setChildId("map")
    output.setChildOutputName("OUTPUT_LCZ")
    child.setModelOutputs({"lcz": output})
    model.addChildAlgorithm(child)
    assert model.childAlgorithm("map").algorithm() is not None

    lcz_path = tmp_path / "model_lcz.tif"
    results = processing.run(model, {"scene": str(SCENE), "map:lcz": str(lcz_path)})
    assert Path(results["map:lcz"]) == lcz_path and lcz_path.is_file()


def test_unproduced_hse_in_a_processing_model_is_warned_once_before_the_step_that_needs_it(plugin, tmp_path):
    """A model step that uses OUTPUT_HSE of a model without HSE: the map step warns once and returns no value."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelParameter,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("HSE statistics", "tests")
    model.addModelParameter(QgsProcessingParameterRasterLayer("scene", "Scene"), QgsProcessingModelParameter("scene"))
    mapping = QgsProcessingModelChildAlgorithm(ALG_ID)
    mapping.setChildId("map")
    mapping.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("scene")])
    only_lcz = QgsProcessingModelChildParameterSource.fromStaticValue(0)  # the LCZ-only bundled model
    mapping.addParameterSources("BUNDLED_MODEL", [only_lcz])
    model.addChildAlgorithm(mapping)
    statistics = QgsProcessingModelChildAlgorithm("native:rasterlayerstatistics")
    statistics.setChildId("stats")
    statistics.addParameterSources("INPUT",
                                   [QgsProcessingModelChildParameterSource.fromChildOutput("map", "OUTPUT_HSE")])
    model.addChildAlgorithm(statistics)
    feedback = RecordingFeedback()
    with pytest.raises(QgsProcessingException):
        processing.run(model, {"scene": str(SCENE)}, feedback=feedback)
    hse_warnings = [line for line in feedback.warnings if "has no HSE output" in line]
    assert len(hse_warnings) == 1, feedback.log
    assert feedback.lines.index(hse_warnings[0]) < len(feedback.lines) - 1  # said before the step that fails


def test_model_with_hse_output_returns_and_styles_it(plugin, tmp_path):
    """With a multi-task (dense) model the HSE output is written, returned, loaded, named and styled.

    A model file replaces the bundled choice: BUNDLED_MODEL=1 is set and the test model must still run."""
    from support.engine_fixtures import write_dense_model  # a tiny exact dense model with lcz + hse outputs

    model = write_dense_model(tmp_path / "dense_test_model.onnx")
    project = QgsProject.instance()
    project.removeAllMapLayers()
    lcz_path, hse_path = tmp_path / "lcz.tif", tmp_path / "hse.tif"
    feedback = RecordingFeedback()
    results = processing.runAndLoadResults(
        ALG_ID,
        {"INPUT": str(SCENE), "BUNDLED_MODEL": 1, "MODEL": str(model), "OUTPUT_LCZ": str(lcz_path),
         "OUTPUT_HSE": str(hse_path)},
        feedback=feedback,
    )
    try:
        assert Path(results["OUTPUT_HSE"]) == hse_path and hse_path.is_file()
        assert "has no HSE output" not in feedback.log and not feedback.warnings
        assert "test-dense" in feedback.log
        dataset = gdal.Open(str(hse_path))
        band = dataset.GetRasterBand(1)
        assert band.DataType == gdal.GDT_Float32
        values = band.ReadAsArray()
        valid = values[values != band.GetNoDataValue()]
        assert valid.size and valid.min() >= 0 and valid.max() <= 1
        dataset = None
        layers = {layer.name(): layer for layer in project.mapLayers().values()}
        made_by = f"{SCENE.stem} (test-dense)"  # a model file: its contract's name
        assert set(layers) == {f"Local climate zones: {made_by}", f"Settlement density (HSE): {made_by}"}
        hse_layer = layers[f"Settlement density (HSE): {made_by}"]
        assert Path(hse_layer.source()) == hse_path
        assert hse_layer.renderer().type() == "singlebandpseudocolor"
        assert (hse_layer.renderer().classificationMin(), hse_layer.renderer().classificationMax()) == (0.0, 1.0)
        assert layers[f"Local climate zones: {made_by}"].renderer().type() == "paletted"
    finally:
        project.removeAllMapLayers()


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (qttools5-dev-tools) is not installed")
def test_a_german_run_logs_the_engine_in_german(plugin, tmp_path, repo_root):
    """With the German translation loaded, the engine's lines and warnings are German too (core.i18n), not a mixed
    log."""
    translator = german_translator(tmp_path)
    QCoreApplication.installTranslator(translator)
    feedback = RecordingFeedback()
    try:
        processing.run(ALG_ID, {"INPUT": str(SCENE), "BUNDLED_MODEL": 0, "OUTPUT_LCZ": str(tmp_path / "lcz.tif"),
                                "OUTPUT_HSE": str(tmp_path / "hse.tif")}, feedback=feedback)  # LCZ only: a warning
    finally:
        QCoreApplication.removeTranslator(translator)
    assert any(line.startswith("Modell: So2Sat LCZ42 ResNet20") for line in feedback.lines), feedback.log
    assert any(line.startswith("Arbeitsraster: ") for line in feedback.lines)
    assert any("(aus: Beschreibung)" in line for line in feedback.lines)
    assert any("wird nach UTM (EPSG:32650) mit 10 m umprojiziert" in line for line in feedback.lines)
    assert len(feedback.warnings) == 1 and "hat keine HSE-Ausgabe" in feedback.warnings[0]
    assert "Siedlungsdichte (HSE)" in feedback.warnings[0]


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (qttools5-dev-tools) is not installed")
def test_plugin_installs_the_translation_of_the_user_locale(tmp_path, repo_root, monkeypatch):
    """plugin.py loads i18n/hselcz_<language>.qm for QGIS's locale and removes it again on unload."""
    from qgis.core import QgsSettings

    package = plugin_package()
    plugin_module = importlib.import_module(f"{package.__name__}.plugin")
    subprocess.run(["lrelease", str(repo_root / "i18n" / "hselcz_de.ts"), "-qm", str(tmp_path / "hselcz_de.qm")],
                   check=True, capture_output=True)
    monkeypatch.setattr(plugin_module, "I18N_DIR", tmp_path)  # where the packaged plugin has its .qm files
    settings = QgsSettings()
    saved = {key: settings.value(key) for key in ("locale/overrideFlag", "locale/userLocale")}
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", "de_DE")
    english = "Map settlement density and local climate zones"
    try:
        instance = package.classFactory(None)
        assert instance.translator is not None
        assert QCoreApplication.translate("MapAlgorithm", english) == "Siedlungsdichte und lokale Klimazonen kartieren"
        instance.unload()
        assert QCoreApplication.translate("MapAlgorithm", english) == english
    finally:
        for key, value in saved.items():
            if value is None:
                settings.remove(key)
            else:
                settings.setValue(key, value)


# ------------------------------------------------------------------ bad inputs (issue 9, docs/ROBUSTNESS.md)

def test_output_that_is_not_a_geotiff_name_is_refused(algorithm, tmp_path):
    """The dialog and processing.run check the parameters first: a .png output never reaches the engine."""
    context = QgsProcessingContext()
    ok, message = algorithm.checkParameterValues({"INPUT": str(SCENE), "OUTPUT_LCZ": str(tmp_path / "l.png")}, context)
    assert not ok and "Local climate zones (OUTPUT_LCZ)" in message and "GeoTIFF files only" in message
    ok, _ = algorithm.checkParameterValues({"INPUT": str(SCENE), "OUTPUT_LCZ": str(tmp_path / "l.tif"),
                                            "OUTPUT_HSE": "TEMPORARY_OUTPUT"}, context)
    assert ok
    with pytest.raises(QgsProcessingException, match="GeoTIFF files only"):
        processing.run(ALG_ID, {"INPUT": str(SCENE), "OUTPUT_LCZ": str(tmp_path / "l.png")})
    assert list(tmp_path.iterdir()) == []


def test_input_qgis_cannot_load_is_explained(algorithm, tmp_path):
    """QGIS alone says 'not found' for a file that exists but is cut in half."""
    source = tmp_path / "t.tif"
    source.write_bytes(SCENE.read_bytes()[: SCENE.stat().st_size // 2])
    ok, message = algorithm.checkParameterValues({"INPUT": str(source), "OUTPUT_LCZ": str(tmp_path / "l.tif")},
                                                 QgsProcessingContext())
    assert not ok and "Sentinel-2 raster (INPUT)" in message and "corrupt or truncated" in message


@pytest.mark.skipif("CoreMLExecutionProvider" in ort.get_available_providers(), reason="this onnxruntime has CoreML")
def test_missing_device_names_the_dialog_options(plugin, tmp_path):
    """The engine's message names devices as Python callers type them; the algorithm names dialog options and
    the numbers processing.run and qgis_process take."""
    with pytest.raises(QgsProcessingException) as error:
        processing.run(ALG_ID, {"INPUT": str(SCENE), "DEVICE": 4, "OUTPUT_LCZ": str(tmp_path / "l.tif")})
    message = str(error.value)
    assert '"auto (first available accelerator, else CPU)" or "CPU" in the algorithm dialog' in message
    assert "DEVICE=0 (auto) or DEVICE=1 (CPU)" in message and 'device="' not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not HK_2016.is_file(), reason="the shared real data is not here")
def test_two_dates_are_fused_in_qgis(plugin, tmp_path):
    """MORE_DATES: the 2016 scene fused with the 2018 one; the date count says where both had data."""
    first, second = HK_2018, HK_2016
    feedback = RecordingFeedback()
    results = processing.run(ALG_ID, {
        "INPUT": str(first), "MORE_DATES": [str(second)], "BANDS": HK_BANDS,
        "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), "OUTPUT_DATES": str(tmp_path / "dates.tif"),
    }, feedback=feedback)
    dates = gdal.Open(results["OUTPUT_DATES"]).ReadAsArray()
    assert set(np.unique(dates)) <= {0, 1, 2} and (dates == 2).mean() > 0.9
    assert "2 dates fused" in feedback.log and "Date 2 of 2" in feedback.log
