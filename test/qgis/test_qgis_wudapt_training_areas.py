"""hselcz:map_training_areas with a WUDAPT training-area KML/KMZ on the bundled sample scene, inside a real QGIS
(Processing and qgis_process): suspicious areas as a styled layer, the LCZ Generator-style splits in the report."""

from __future__ import annotations

from pathlib import Path

import processing
import pytest
from qgis.core import QgsProcessingException, QgsProject, QgsVectorLayer

from support.data import TEST_DATA
from support.qgis_helpers import qgis_process_env, run_json, scene_copy
from support.qgis_layers import training_areas
from support.wudapt_files import TKO_AREAS, polygon_placemark, ring, training_kml, write_training_kml

ALG_ID = "hselcz:map_training_areas"
KMZ = TEST_DATA / "wudapt" / "tko_training_areas.kmz"


@pytest.fixture(scope="module")
def planted_kml(tmp_path_factory) -> Path:
    """The template's areas with polygon 1 (open high-rise) filed under G, and a dense-trees square drawn half over
    polygon 2 (LCZ 4): three suspicious areas."""
    areas = [(x, y, 17 if index == 0 else code) for index, (x, y, code) in enumerate(TKO_AREAS)]
    text = training_kml(areas, extra={"LCZ A": [polygon_placemark("over 2", ring(114.26095 + 0.001, 22.3091))]})
    return write_training_kml(tmp_path_factory.mktemp("kml") / "planted.kml", text)


def test_a_wudapt_kml_gives_the_map_the_suspicious_areas_and_both_accuracies(plugin, planted_kml, tmp_path) -> None:
    project = QgsProject.instance()
    project.removeAllMapLayers()
    params = {"INPUT": str(scene_copy()), "TRAINING_AREAS_FILE": str(planted_kml), "DEVICE": 1,
              "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), "OUTPUT_HTML": str(tmp_path / "report.html"),
              "OUTPUT_SUSPICIOUS": str(tmp_path / "suspicious.gpkg")}
    try:
        results = processing.runAndLoadResults(ALG_ID, params)
        names = {layer.name(): layer for layer in project.mapLayers().values()}
        styled = names[f"Suspicious training areas: {planted_kml.name}"]
        symbol = styled.renderer().symbol()
        assert symbol.symbolLayer(0).strokeColor().name() == "#e31a1c" and symbol.color().alpha() == 0
    finally:
        project.removeAllMapLayers()
    layer = QgsVectorLayer(results["OUTPUT_SUSPICIOUS"], "s", "ogr")
    rows = sorted((f["polygon"], f["lcz"], f["reason"], f["predicted"], f["overlaps"]) for f in layer.getFeatures())
    # Numbered in the file's order (folder by folder): the second square of 4 is the first of its folder (1), the
    # square first filed under 4 is now the first of G (12), the extra square of A, on open high-rise, comes last.
    by_number = {row[0]: row for row in rows}
    assert by_number[1][1] == "4" and "overlap" in by_number[1][2] and by_number[1][4] == "19"
    assert by_number[19][1] == "A" and "overlap" in by_number[19][2] and by_number[19][4] == "1"
    assert by_number[12] == (12, "G", "misclassified", "4", None)
    assert layer.crs().authid() == "EPSG:4326" and layer.getFeature(1).geometry().area() > 0
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Cross-validated by polygon" in report and "As the LCZ Generator reports it" in report
    assert "<svg" in report and "25 random splits" in report
    assert 0 < results["SPLITS_OA"] <= 1 and 0 < results["CV_OA"] <= 1


def test_layer_and_file_together_are_refused_and_nothing_is_written(plugin, tmp_path) -> None:
    layer = training_areas()
    with pytest.raises(QgsProcessingException, match="either as a polygon layer or as a WUDAPT KML/KMZ file"):
        processing.run(ALG_ID, {"INPUT": str(scene_copy()), "TRAINING_AREAS": layer, "CLASS_FIELD": "lcz",
                                "TRAINING_AREAS_FILE": str(KMZ), "OUTPUT_LCZ": str(tmp_path / "lcz.tif"),
                                "OUTPUT_HTML": str(tmp_path / "r.html")})
    bad = write_training_kml(tmp_path / "odd.kml", training_kml(extra={"Roads": [polygon_placemark("r", ring(
        114.26, 22.30))]}))
    out = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match="folders whose name is no LCZ class: 'Roads'"):
        processing.run(ALG_ID, {"INPUT": str(scene_copy()), "TRAINING_AREAS_FILE": str(bad),
                                "OUTPUT_LCZ": str(out / "lcz.tif"), "OUTPUT_HTML": str(out / "r.html"),
                                "OUTPUT_SUSPICIOUS": str(out / "s.gpkg")})
    assert not out.exists() or list(out.iterdir()) == []


def test_qgis_process_takes_the_kmz_with_the_splits_off(plugin, tmp_path) -> None:
    result = run_json(["run", ALG_ID, "--", f"INPUT={scene_copy()}", f"TRAINING_AREAS_FILE={KMZ}", "DEVICE=1",
                       "BOOTSTRAP_SPLITS=0", f"OUTPUT_LCZ={tmp_path / 'lcz.tif'}",
                       f"OUTPUT_HTML={tmp_path / 'r.html'}", f"OUTPUT_SUSPICIOUS={tmp_path / 's.gpkg'}"],
                      qgis_process_env(tmp_path / "work"))
    results = result["results"]
    assert Path(results["OUTPUT_LCZ"]).is_file() and results["CV_OA"] > 0.5
    assert results.get("SPLITS_OA") is None
    report = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "As the LCZ Generator reports it" not in report
    layer = QgsVectorLayer(str(tmp_path / "s.gpkg"), "s", "ogr")
    assert [f["polygon"] for f in layer.getFeatures()] == [12]  # the square the model itself doubts (core test)


def test_areas_outside_the_scene_and_an_unwritable_layer_are_refused_leaving_nothing(plugin, tmp_path) -> None:
    far = write_training_kml(tmp_path / "far.kml", training_kml([(115.3, 22.0, 2), (115.4, 22.0, 11)]))
    out = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match="No training area of far.kml covers the centre"):
        processing.run(ALG_ID, {"INPUT": str(scene_copy()), "TRAINING_AREAS_FILE": str(far), "DEVICE": 1,
                                "OUTPUT_LCZ": str(out / "lcz.tif"), "OUTPUT_HTML": str(out / "r.html"),
                                "OUTPUT_SUSPICIOUS": str(out / "s.gpkg")})
    assert not out.exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(QgsProcessingException, match="suspicious training areas"):
        processing.run(ALG_ID, {"INPUT": str(scene_copy()), "TRAINING_AREAS_FILE": str(KMZ), "DEVICE": 1,
                                "OUTPUT_LCZ": str(out / "lcz.tif"), "OUTPUT_HTML": str(out / "r.html"),
                                "OUTPUT_SUSPICIOUS": str(blocker / "s.gpkg")})
    assert not out.exists()
