"""hselcz:assess_lcz and hselcz:assess_hse inside a real QGIS (Processing, a model, qgis_process) on the real
Hong Kong and Malta references: results, table, report, polygons from a memory layer, and bad inputs that leave
nothing behind."""

from __future__ import annotations

import csv
import json
import math
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
    QgsRasterLayer,
    QgsVectorLayer,
)

from support.data import HK_MAPPING, MALTA, MILAN_5, PRD, SHARED_DATA, TEST_SAMPLES, TRAIN_SAMPLES
from support.qgis_helpers import qgis_process_env, run_qgis_process, scene_copy
from support.raster_fixtures import copy_raster, polygons_of

LCZ_ID, HSE_ID = "hselcz:assess_lcz", "hselcz:assess_hse"
pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"the shared real data ({SHARED_DATA}) is not here")


@pytest.fixture(scope="module")
def shifted_malta(tmp_path_factory) -> Path:
    """Malta imperviousness + 10 percentage points (Float32, sea stays nodata 255)."""
    values = gdal.Open(MALTA).ReadAsArray().astype(np.float32)
    target = tmp_path_factory.mktemp("malta") / "shifted.tif"
    return copy_raster(MALTA, target, np.where(values == 255, 255, values + 10), 255, gdal.GDT_Float32)


@pytest.fixture()
def malta_layer(qgis_processing) -> QgsRasterLayer:
    """The reference as a loaded layer: Processing reads a /vsizip/ path only from a layer, not as a string."""
    layer = QgsRasterLayer(MALTA, "IMD 2015 Malta", "gdal")
    assert layer.isValid()
    return layer


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.lines.append(warning)
        super().pushWarning(warning)


def test_algorithms_are_registered_with_their_interface(plugin):
    provider = QgsApplication.processingRegistry().providerById("hselcz")
    ids = [a.id() for a in provider.algorithms()]
    assert LCZ_ID in ids and HSE_ID in ids
    lcz = QgsApplication.processingRegistry().algorithmById(LCZ_ID)
    assert [p.name() for p in lcz.parameterDefinitions()] == [
        "PREDICTION", "REFERENCE", "REFERENCE_POLYGONS", "CLASS_FIELD", "REFERENCE_MAPPING", "CLASS_GROUPS",
        "OUTPUT_TABLE", "OUTPUT_HTML"]
    outputs = {o.name(): o.type() for o in lcz.outputDefinitions()}
    assert outputs["OUTPUT_HTML"] == "outputHtml"
    assert outputs["OA"] == "outputNumber" and outputs["WA"] == "outputNumber"
    assert lcz.group() == "Assessment" and "9-&gt;2" in lcz.shortHelpString()
    hse = QgsApplication.processingRegistry().algorithmById(HSE_ID)
    assert [p.name() for p in hse.parameterDefinitions()] == [
        "PREDICTION", "REFERENCE", "PREDICTION_UNITS", "REFERENCE_UNITS", "THRESHOLD", "AGGREGATE", "OUTPUT_TABLE",
        "OUTPUT_HTML"]
    assert hse.parameterDefinition("THRESHOLD").defaultValue() == 0.5
    assert {"MAE", "RMSE", "BIAS", "BINARY_KAPPA", "BINARY_AA", "BINARY_RECALL", "BINARY_F1"} <= {
        o.name() for o in hse.outputDefinitions()}


def test_lcz_against_a_reference_raster(plugin, tmp_path):
    table, report = tmp_path / "per_class.csv", tmp_path / "report.html"
    feedback = Feedback()
    results = processing.run(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE": str(TEST_SAMPLES),
                                      "REFERENCE_MAPPING": HK_MAPPING, "OUTPUT_TABLE": str(table),
                                      "OUTPUT_HTML": str(report)}, feedback=feedback)
    assert results["N"] == 869 and results["OA"] == pytest.approx(608 / 869)
    assert results["KAPPA"] == pytest.approx(0.533, abs=5e-4) and results["OA_BUILT_NATURAL"] == 1.0
    assert Path(results["OUTPUT_TABLE"]) == table and Path(results["OUTPUT_HTML"]) == report
    rows = _read_csv(table)
    assert len(rows) == 17 and rows[1]["name"] == "Compact mid-rise" and rows[1]["support"] == "356"
    assert sum(int(rows[1][f"pred_{label}"]) for label in [*map(str, range(1, 11)), *"ABCDEFG"]) == 356
    assert "0.700" in report.read_text(encoding="utf-8")
    assert any("Reference mapping applied" in line for line in feedback.lines)


def test_lcz_against_polygons_of_a_memory_layer(plugin, tmp_path):
    """Polygons from a memory layer (what a model step hands on), reprojected to UTM 50N by QGIS: no file for GDAL."""
    gpkg = QgsVectorLayer(str(polygons_of(TEST_SAMPLES, tmp_path / "samples.gpkg")), "samples", "ogr")
    assert gpkg.isValid() and gpkg.featureCount() >= 2
    reprojected = processing.run("native:reprojectlayer", {"INPUT": gpkg, "TARGET_CRS": "EPSG:32650",
                                                            "OUTPUT": "memory:"})["OUTPUT"]
    assert reprojected.providerType() == "memory" and reprojected.crs().authid() == "EPSG:32650"
    results = processing.run(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE_POLYGONS": reprojected, "CLASS_FIELD": "lcz",
                                      "REFERENCE_MAPPING": HK_MAPPING, "OUTPUT_TABLE": "TEMPORARY_OUTPUT",
                                      "OUTPUT_HTML": str(tmp_path / "r.html")})
    assert abs(results["N"] - 869) <= 9 and results["OA"] == pytest.approx(608 / 869, abs=0.01)
    table = results["OUTPUT_TABLE"]  # processing.run hands temporary layers over as layer objects
    assert isinstance(table, QgsVectorLayer) and table.featureCount() == 17 and not table.isSpatial()
    # the polygons in the map's CRS score exactly as the raster they were made from
    same = processing.run(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE_POLYGONS": gpkg, "CLASS_FIELD": "lcz",
                                   "REFERENCE_MAPPING": HK_MAPPING, "OUTPUT_TABLE": "TEMPORARY_OUTPUT"})
    assert same["N"] == 869 and same["OA"] == pytest.approx(608 / 869)


def test_hse_against_the_malta_imperviousness(plugin, shifted_malta, malta_layer, tmp_path):
    table, report = tmp_path / "scores.gpkg", tmp_path / "report.html"
    results = processing.run(HSE_ID, {"PREDICTION": str(shifted_malta), "REFERENCE": malta_layer, "THRESHOLD": 0.3,
                                      "OUTPUT_TABLE": str(table), "OUTPUT_HTML": str(report)})
    assert results["MAE"] == pytest.approx(0.10, abs=1e-6) and results["BIAS"] == pytest.approx(0.10, abs=1e-6)
    assert results["N"] == 839027 and results["BINARY_RECALL"] == 1.0 and results["BINARY_PRECISION"] < 1
    layer = QgsVectorLayer(str(table), "scores", "ogr")
    values = {f["score"]: f["value"] for f in layer.getFeatures()}
    assert values["MAE"] == pytest.approx(0.10, abs=1e-6) and values["threshold"] == pytest.approx(0.3)
    del layer
    assert "density &gt;= 0.3" in report.read_text(encoding="utf-8")


def _fails(algorithm: str, parameters: dict, match: str, folder: Path) -> None:
    with pytest.raises(QgsProcessingException, match=match):
        processing.run(algorithm, parameters)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(("out", ".out"))], "something was left behind"


def test_bad_inputs_are_clear_errors_and_leave_nothing_behind(plugin, malta_layer, tmp_path):
    outputs = {"OUTPUT_TABLE": str(tmp_path / "out.csv"), "OUTPUT_HTML": str(tmp_path / "out.html")}
    # a reference code the mapping does not list (the train samples also hold 17)
    _fails(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE": str(TRAIN_SAMPLES), "REFERENCE_MAPPING": "9->2; 11->4",
                    **outputs}, r"does not list: 17 \(3142 cells\)", tmp_path)
    _fails(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE": str(MILAN_5), **outputs}, "do not overlap", tmp_path)
    _fails(LCZ_ID, {"PREDICTION": str(PRD), **outputs}, "either a reference raster or reference polygons", tmp_path)
    _fails(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE": str(TEST_SAMPLES), "REFERENCE_MAPPING": "9 to 2", **outputs},
           "not of the form", tmp_path)
    empty = QgsVectorLayer("Polygon?crs=EPSG:4326&field=lcz:integer", "empty", "memory")
    _fails(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE_POLYGONS": empty, "CLASS_FIELD": "lcz", **outputs},
           "has no features", tmp_path)
    labelled = QgsVectorLayer("Polygon?crs=EPSG:4326&field=lcz:string", "labelled", "memory")
    feature = QgsFeature(labelled.fields())
    feature.setAttributes(["urban"])
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON ((114.23 22.30, 114.24 22.30, 114.24 22.31, 114.23 22.30))"))
    labelled.dataProvider().addFeatures([feature])
    _fails(LCZ_ID, {"PREDICTION": str(PRD), "REFERENCE_POLYGONS": labelled, "CLASS_FIELD": "lcz", **outputs},
           r"not class codes: 'urban' \(1 features\)", tmp_path)
    no_nodata = copy_raster(MALTA, tmp_path / "malta_no_nodata.tif", nodata=None)
    _fails(HSE_ID, {"PREDICTION": str(no_nodata), "REFERENCE": malta_layer, **outputs}, "set the raster's nodata value",
           tmp_path)
    _fails(HSE_ID, {"PREDICTION": str(PRD), "REFERENCE": malta_layer, **outputs}, "do not overlap", tmp_path)
    (tmp_path / "a_file").write_text("x")  # a report folder that cannot be created (a missing one is created)
    _fails(HSE_ID, {"PREDICTION": malta_layer, "REFERENCE": malta_layer,
                    "OUTPUT_HTML": str(tmp_path / "a_file" / "out.html")},
           "Cannot create the folder for the report", tmp_path)


def test_mapping_then_assessing_in_a_model(plugin, tmp_path):
    """A graphical model: map the bundled scene, then assess its LCZ against the PRD map; the report is an output."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterRasterLayer,
    )

    model = QgsProcessingModelAlgorithm("Map and assess", "tests")
    model.addModelParameter(QgsProcessingParameterRasterLayer("scene", "Scene"), QgsProcessingModelParameter("scene"))
    model.addModelParameter(QgsProcessingParameterRasterLayer("reference", "Reference"),
                            QgsProcessingModelParameter("reference"))
    mapping = QgsProcessingModelChildAlgorithm("hselcz:map")
    mapping.setChildId("map")
    mapping.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("scene")])
    model.addChildAlgorithm(mapping)
    assess = QgsProcessingModelChildAlgorithm(LCZ_ID)
    assess.setChildId("assess")
    assess.addParameterSources("PREDICTION", [QgsProcessingModelChildParameterSource.fromChildOutput("map",
                                                                                                     "OUTPUT_LCZ")])
    assess.addParameterSources("REFERENCE", [QgsProcessingModelChildParameterSource.fromModelParameter("reference")])
    output = QgsProcessingModelOutput("report", "Report")
    output.setChildId("assess")
    output.setChildOutputName("OUTPUT_HTML")
    assess.setModelOutputs({"report": output})
    model.addChildAlgorithm(assess)
    report = tmp_path / "model_report.html"
    results = processing.run(model, {"scene": str(scene_copy()), "reference": str(PRD), "assess:report": str(report)})
    assert Path(results["assess:report"]) == report
    text = report.read_text(encoding="utf-8")
    assert "LCZ map assessment" in text and "hongkong_LCZ_PRD" in text


def test_qgis_process_route(tmp_path):
    """As a script would run it: qgis_process --json, the results as JSON numbers (undefined scores null)."""
    env = qgis_process_env(tmp_path / "qgis_process")
    table, report = tmp_path / "t.csv", tmp_path / "r.html"
    completed = run_qgis_process(
        ["--json", "run", LCZ_ID, "--", f"PREDICTION={PRD}", f"REFERENCE={TEST_SAMPLES}",
         f"REFERENCE_MAPPING={HK_MAPPING}", f"OUTPUT_TABLE={table}", f"OUTPUT_HTML={report}"], env)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)["results"]
    assert results["N"] == 869 and results["OA"] == pytest.approx(608 / 869) and math.isfinite(results["WA"])
    assert len(_read_csv(table)) == 17 and report.is_file()
    # 5 classes: WA is undefined and comes back as null, not NaN (which is not JSON)
    completed = run_qgis_process(
        ["--json", "run", LCZ_ID, "--", f"PREDICTION={PRD}", f"REFERENCE={TEST_SAMPLES}",
         "REFERENCE_MAPPING=9->1; 11->2", "CLASS_GROUPS=1,2,3->1; 4,5,6->2", f"OUTPUT_HTML={tmp_path / 'g.html'}"],
        env)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)["results"]
    assert results["WA"] is None and 0 < results["OA"] <= 1
    # a failure: exit code 1, empty stdout, the message on stderr, no file
    completed = run_qgis_process(
        ["--json", "run", LCZ_ID, "--", f"PREDICTION={PRD}", f"REFERENCE={TRAIN_SAMPLES}",
         "REFERENCE_MAPPING=9->2; 11->4", f"OUTPUT_HTML={tmp_path / 'bad.html'}"], env)
    assert completed.returncode == 1 and completed.stdout == ""
    assert "does not list: 17" in completed.stderr
    assert not (tmp_path / "bad.html").exists()
