"""hselcz:district_summary inside a real QGIS: blocks over the mapped Hong Kong sample (a memory layer in WGS 84,
one block partly outside, one outside, a bow tie, overlapping blocks) against numpy, a shapefile and a CSV, the
style, a graphical model after hselcz:map, qgis_process, and bad inputs that leave nothing behind."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from core.options import ModelChoice
from core.zonal import FIELDS, SHARE_FIELDS
from support.data import scene_copy
from support.district_fixtures import bowtie, cell_box
from support.qgis_helpers import qgis_process_env, run_qgis_process
from support.qgis_i18n import german_translator

ALG_ID = "hselcz:district_summary"


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[str, Path]:
    from core.engine import OutputPaths, map_scene

    folder = tmp_path_factory.mktemp("district_maps")
    result = map_scene(str(scene_copy()), OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"),
                                                      uncertainty=str(folder / "unc.tif")),
                                                      model=ModelChoice(device="CPU"))
    return {key: Path(path) for key, path in result.outputs.items()}


def _lcz(maps) -> np.ndarray:
    dataset = gdal.Open(str(maps["lcz"]))
    return dataset.ReadAsArray()


def _districts(maps, crs: str = "EPSG:4326") -> QgsVectorLayer:
    """Four blocks, one half outside the map, one outside, a bow tie (WGS 84 memory layer, a name field)."""
    height, width = _lcz(maps).shape
    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=name:string&field=area_km2:double", "districts", "memory")
    lcz = maps["lcz"]
    shapes = {"north-west": cell_box(lcz, 0, 0, 8, 8), "north-east": cell_box(lcz, 8, 0, 16, 8),
              "south": cell_box(lcz, 0, 8, width, height), "edge": cell_box(lcz, width - 4, 0, width + 4, 8),
              "elsewhere": cell_box(lcz, width + 10, 0, width + 20, 8), "bowtie": bowtie(lcz)}
    features = []
    for name, geometry in shapes.items():
        feature = QgsFeature(layer.fields())
        feature.setAttributes([name, -1.0])  # a stale area_km2 from an earlier run: replaced
        feature.setGeometry(QgsGeometry.fromWkt(geometry.ExportToWkt()))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)


def test_registered_with_its_interface(plugin):
    algorithm = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    assert [p.name() for p in algorithm.parameterDefinitions()] == [
        "INPUT", "LCZ", "HSE", "UNCERTAINTY", "OUTPUT", "OUTPUT_CSV"]
    assert algorithm.group() == "Planning" and "valid_frac" in algorithm.shortHelpString()


def test_districts_to_a_shapefile_and_a_csv(plugin, maps, tmp_path):
    lcz = _lcz(maps)
    feedback = Feedback()
    results = processing.run(ALG_ID, {
        "INPUT": _districts(maps), "LCZ": str(maps["lcz"]), "HSE": str(maps["hse"]),
        "UNCERTAINTY": str(maps["uncertainty"]), "OUTPUT": str(tmp_path / "districts.shp"),
        "OUTPUT_CSV": str(tmp_path / "districts.csv")}, feedback=feedback)
    layer = QgsVectorLayer(results["OUTPUT"], "out", "ogr")
    names = [f.name() for f in layer.fields()]
    assert names == ["name", *(name for name, _ in FIELDS)]  # the stale area_km2 replaced, no name cut short
    assert any("area_km2 are replaced" in w for w in feedback.warnings)
    assert layer.crs().authid() == "EPSG:4326" and layer.featureCount() == 6
    rows = {f["name"]: f for f in layer.getFeatures()}
    cells = lcz[0:8, 8:16]
    shares = np.bincount(cells[cells > 0].astype(int) - 1, minlength=17) / (cells > 0).sum()
    assert [rows["north-east"][name] for name in SHARE_FIELDS] == pytest.approx(shares.tolist(), abs=1e-6)
    assert rows["north-east"]["area_km2"] == pytest.approx(0.64, rel=3e-3)
    assert rows["edge"]["valid_frac"] == pytest.approx(0.5, abs=0.02)
    assert rows["elsewhere"]["lcz_cells"] == 0 and rows["elsewhere"]["dominant"] in (None, "")
    assert rows["bowtie"]["lcz_cells"] > 0 and rows["south"]["built_km2"] > 0 and rows["south"]["unc_mean"] > 0
    warnings = " ".join(feedback.warnings)
    assert "1 repaired" in warnings and "partly outside the map" in warnings and "overlap others" in warnings
    with (tmp_path / "districts.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0])[:2] == ["feature", "name"] and "area_km2" in table[0]
    assert [row["name"] for row in table] == list(rows) and float(table[1]["lcz_cells"]) == rows["north-east"][
        "lcz_cells"]
    assert float(table[1]["hse_mean"]) == pytest.approx(rows["north-east"]["hse_mean"], rel=1e-5)


def test_loaded_layer_is_styled_by_dominant_class(plugin, maps):
    results = processing.runAndLoadResults(ALG_ID, {"INPUT": _districts(maps), "LCZ": str(maps["lcz"]),
                                                    "OUTPUT": "TEMPORARY_OUTPUT"})
    layer = QgsProject.instance().mapLayer(results["OUTPUT"]) or QgsProject.instance().mapLayersByName(
        "District summaries")[0]
    renderer = layer.renderer()
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "dominant"
    assert [c.value() for c in renderer.categories()][:3] == ["1", "2", "3"]
    QgsProject.instance().removeMapLayer(layer.id())


def _fails(parameters: dict, match: str, folder: Path) -> None:
    with pytest.raises(QgsProcessingException, match=match):
        processing.run(ALG_ID, parameters)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(("out", ".out"))], "something was left behind"


def test_bad_inputs_are_clear_errors_and_leave_nothing_behind(plugin, maps, tmp_path):
    outputs = {"OUTPUT": str(tmp_path / "out.gpkg"), "OUTPUT_CSV": str(tmp_path / "out.csv")}
    empty = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "empty", "memory")
    _fails({"INPUT": empty, "LCZ": str(maps["lcz"]), **outputs}, "has no features", tmp_path)
    points = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    feature = QgsFeature(points.fields())
    feature.setGeometry(QgsGeometry.fromWkt("POINT (114.26 22.31)"))
    points.dataProvider().addFeatures([feature])
    _fails({"INPUT": points, "LCZ": str(maps["lcz"]), **outputs}, "not polygons", tmp_path)
    _fails({"INPUT": _districts(maps), "LCZ": str(maps["hse"]), **outputs}, "not an LCZ map", tmp_path)
    _fails({"INPUT": _districts(maps), "LCZ": str(maps["lcz"]), "HSE": str(maps["lcz"]), **outputs},
           "not a settlement density map", tmp_path)
    (tmp_path / "a_file").write_text("x")
    _fails({"INPUT": _districts(maps), "LCZ": str(maps["lcz"]), "OUTPUT": str(tmp_path / "out.gpkg"),
            "OUTPUT_CSV": str(tmp_path / "a_file" / "out.csv")}, "Cannot create the folder", tmp_path)


def test_after_mapping_in_a_model(plugin, tmp_path):
    """A graphical model: hselcz:map on the bundled scene, then hselcz:district_summary of its LCZ and HSE."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("Map and summarise", "tests")
    model.addModelParameter(QgsProcessingParameterRasterLayer("scene", "Scene"), QgsProcessingModelParameter("scene"))
    model.addModelParameter(QgsProcessingParameterFeatureSource("districts", "Districts",
                                                                [QgsProcessing.TypeVectorPolygon]),
                            QgsProcessingModelParameter("districts"))
    mapping = QgsProcessingModelChildAlgorithm("hselcz:map")
    mapping.setChildId("map")
    mapping.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("scene")])
    mapping.addParameterSources("OUTPUT_HSE", [QgsProcessingModelChildParameterSource.fromStaticValue(
        "TEMPORARY_OUTPUT")])
    model.addChildAlgorithm(mapping)
    summary = QgsProcessingModelChildAlgorithm(ALG_ID)
    summary.setChildId("summary")
    summary.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("districts")])
    summary.addParameterSources("LCZ", [QgsProcessingModelChildParameterSource.fromChildOutput("map", "OUTPUT_LCZ")])
    summary.addParameterSources("HSE", [QgsProcessingModelChildParameterSource.fromChildOutput("map", "OUTPUT_HSE")])
    outputs = {}
    for name, child_output in (("table", "OUTPUT_CSV"), ("layer", "OUTPUT")):
        output = QgsProcessingModelOutput(name, name)
        output.setChildId("summary")
        output.setChildOutputName(child_output)
        outputs[name] = output
    summary.setModelOutputs(outputs)
    model.addChildAlgorithm(summary)
    districts = tmp_path / "districts.gpkg"
    maps = {"lcz": Path(tmp_path / "probe_lcz.tif")}
    from core.engine import OutputPaths, map_scene

    map_scene(str(scene_copy()), OutputPaths(lcz=str(maps["lcz"])),
              model=ModelChoice(device="CPU"))  # only to place the blocks
    processing.run("native:savefeatures", {"INPUT": _districts(maps), "OUTPUT": str(districts)})
    table = tmp_path / "model.csv"
    results = processing.run(model, {"scene": str(scene_copy()), "districts": str(districts),
                                     "summary:table": str(table), "summary:layer": str(tmp_path / "model.gpkg")})
    assert Path(results["summary:table"]) == table
    with table.open(encoding="utf-8") as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert len(rows) == 6 and float(rows["south"]["built_km2"]) > 0 and rows["north-west"]["dominant"]


def test_qgis_process_route(maps, tmp_path):
    districts = tmp_path / "districts.gpkg"
    processing.run("native:savefeatures", {"INPUT": _districts(maps), "OUTPUT": str(districts)})
    env = qgis_process_env(tmp_path / "qgis_process")
    completed = run_qgis_process(["--json", "run", ALG_ID, "--", f"INPUT={districts}", f"LCZ={maps['lcz']}",
                                  f"OUTPUT={tmp_path / 'out.gpkg'}", f"OUTPUT_CSV={tmp_path / 'out.csv'}"], env)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)["results"]
    assert Path(results["OUTPUT_CSV"]).is_file() and "out.gpkg" in results["OUTPUT"]


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (qttools5-dev-tools) is not installed")
def test_german(plugin, repo_root, tmp_path):
    """The algorithm's strings and the engine's district notes have German translations that Qt loads."""
    from qgis.PyQt.QtCore import QCoreApplication

    from core import i18n

    translator = german_translator(tmp_path)
    QCoreApplication.installTranslator(translator)
    i18n.install(lambda template: QCoreApplication.translate(i18n.ENGINE_CONTEXT, template))
    try:
        algorithm = QgsApplication.processingRegistry().algorithmById(ALG_ID).create()
        assert algorithm.displayName() == "Karten nach Bezirken zusammenfassen" and algorithm.group() == "Planung"
        assert "Hinzugefügte Felder" in algorithm.shortHelpString()
        assert i18n.tr("The layer {layer} holds no polygon to summarise.", layer="x") == (
            "Die Ebene x enthält kein Polygon zum Zusammenfassen.")
    finally:
        i18n.install(None)
        QCoreApplication.removeTranslator(translator)
