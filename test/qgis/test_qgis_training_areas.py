"""hselcz:map_training_areas inside a real QGIS (Processing and qgis_process) on the real Hong Kong scene and the
expert training samples of Liu & Shi as a GeoPackage of training areas (issue 14 allows ../shared/data here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import QgsPalettedRasterRenderer, QgsProcessingException, QgsProject

from support.qgis_helpers import qgis_process_env, run_json
from support.raster_fixtures import HK_2018, HK_BANDS, HK_DATA, HK_SAMPLE_TO_LCZ, polygonise_classes, write_polygons

DATA, SCENE, BANDS = HK_DATA, HK_2018, HK_BANDS
ALG_ID = "hselcz:map_training_areas"
pytestmark = pytest.mark.skipif(not SCENE.is_file(), reason=f"the shared real data ({DATA}) is not here")


@pytest.fixture(scope="module")
def areas_file(tmp_path_factory) -> Path:
    reference = polygonise_classes(DATA / "hongkong_LCZ_trainsamples_sjliu_on_oscd_grid.tif", "HK samples",
                                   HK_SAMPLE_TO_LCZ)
    return write_polygons(tmp_path_factory.mktemp("areas") / "training_areas.gpkg", reference)


def test_training_areas_map_report_and_adapter_in_qgis(plugin, areas_file, tmp_path) -> None:
    project = QgsProject.instance()
    project.removeAllMapLayers()
    params = {"INPUT": str(SCENE), "BANDS": BANDS, "TRAINING_AREAS": str(areas_file), "CLASS_FIELD": "lcz",
              "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), "OUTPUT_HSE": "TEMPORARY_OUTPUT",
              "OUTPUT_ADAPTER": str(tmp_path / "adapter.json"), "OUTPUT_HTML": str(tmp_path / "cv.html")}
    try:
        results = processing.runAndLoadResults(ALG_ID, params)
        layers = list(project.mapLayers().values())
        names = {layer.name(): layer for layer in layers}
        lcz_name = f"Local climate zones: {SCENE.stem} (multi-task v3, adapted to {areas_file.stem})"
        assert set(names) == {lcz_name, f"Settlement density (HSE): {SCENE.stem} (multi-task v3, adapted to "
                                        f"{areas_file.stem})"}  # the default model v3 writes both layers
        assert isinstance(names[lcz_name].renderer(), QgsPalettedRasterRenderer)
    finally:
        project.removeAllMapLayers()
    assert Path(results["OUTPUT_LCZ"]) == tmp_path / "lcz.tif" and results["OUTPUT_HSE"]
    assert Path(results["OUTPUT_ADAPTER"]).is_file()
    assert 0 <= results["CV_OA"] <= 1 and 0 <= results["MODEL_OA"] <= 1 and -1 <= results["CV_KAPPA"] <= 1
    report = (tmp_path / "cv.html").read_text(encoding="utf-8")
    assert "Cross-validated by polygon" in report and "fewer than 3 training areas" in report

    # The saved adapter through qgis_process, headless: the same map.
    again = tmp_path / "again.tif"
    run_json(["run", ALG_ID, "--", f"INPUT={SCENE}", f"BANDS={BANDS}", f"ADAPTER={results['OUTPUT_ADAPTER']}",
              f"OUTPUT_LCZ={again}"], qgis_process_env(tmp_path / "work"))
    np.testing.assert_array_equal(gdal.Open(str(again)).ReadAsArray(), gdal.Open(results["OUTPUT_LCZ"]).ReadAsArray())


def test_training_areas_without_a_class_field_are_refused(plugin, areas_file, tmp_path) -> None:
    with pytest.raises(QgsProcessingException):
        processing.run(ALG_ID, {"INPUT": str(SCENE), "BANDS": BANDS, "TRAINING_AREAS": str(areas_file),
                                "OUTPUT_LCZ": str(tmp_path / "lcz.tif")})
    assert not (tmp_path / "lcz.tif").exists()
