"""hselcz:map_growth inside a real QGIS on the two real Hong Kong dates: outputs, areas, styled layers."""

from __future__ import annotations

from pathlib import Path

import processing
import pytest
from qgis.core import (
    QgsApplication,
    QgsPalettedRasterRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
)

from support.qgis_helpers import scene_copy
from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS, HK_DATA

DATA, EARLIER, LATER, BANDS = HK_DATA, HK_2016, HK_2018, HK_BANDS
needs_data = pytest.mark.skipif(not EARLIER.is_file(), reason=f"the shared real data ({DATA}) is not here")


@needs_data
def test_growth_layers_and_areas(plugin, tmp_path) -> None:
    project = QgsProject.instance()
    project.removeAllMapLayers()
    try:
        results = processing.runAndLoadResults("hselcz:map_growth", {
            "EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS,
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"), "OUTPUT_NEW_BUILT": str(tmp_path / "new.tif")})
        layers = {layer.name(): layer for layer in project.mapLayers().values()}
        made_by = f"{EARLIER.stem} to {LATER.stem} (multi-task v3)"  # named after what made them
        assert set(layers) == {f"Settlement density change: {made_by}", f"New built-up: {made_by}"}
        assert layers[f"Settlement density change: {made_by}"].renderer().type() == "singlebandpseudocolor"
        assert isinstance(layers[f"New built-up: {made_by}"].renderer(), QgsPalettedRasterRenderer)
    finally:
        project.removeAllMapLayers()
    assert Path(results["OUTPUT_CHANGE"]) == tmp_path / "change.tif"
    assert 0 <= results["GROWTH_KM2"] < results["COMPARED_KM2"] and results["LOSS_KM2"] >= 0


@needs_data
def test_the_lcz_only_model_is_refused(plugin, tmp_path) -> None:
    with pytest.raises(QgsProcessingException):
        processing.run("hselcz:map_growth", {"EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS,
                                             "BUNDLED_MODEL": 0, "OUTPUT_CHANGE": str(tmp_path / "change.tif")})
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ checked before anything runs (issue 20)
# Before, growth inherited hselcz:map's checkParameterValues, which checked the mapping outputs and INPUT only.

def test_an_output_that_is_not_a_geotiff_name_is_refused(plugin, tmp_path) -> None:
    algorithm = QgsApplication.processingRegistry().algorithmById("hselcz:map_growth")
    scene = str(scene_copy())
    ok, message = algorithm.checkParameterValues(
        {"EARLIER": scene, "LATER": scene, "OUTPUT_CHANGE": str(tmp_path / "change.png")}, QgsProcessingContext())
    assert not ok and "(OUTPUT_CHANGE)" in message and "GeoTIFF files only" in message
    ok, message = algorithm.checkParameterValues(
        {"EARLIER": scene, "LATER": scene, "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
         "OUTPUT_NEW_BUILT": str(tmp_path / "new.vrt")}, QgsProcessingContext())
    assert not ok and "(OUTPUT_NEW_BUILT)" in message and "GeoTIFF files only" in message
    with pytest.raises(QgsProcessingException, match="GeoTIFF files only"):
        processing.run("hselcz:map_growth", {"EARLIER": scene, "LATER": scene,
                                             "OUTPUT_CHANGE": str(tmp_path / "change.png")})
    assert list(tmp_path.iterdir()) == []


def test_an_input_gdal_cannot_open_is_explained(plugin, tmp_path) -> None:
    """QGIS alone says 'not found' for a file that exists but is cut in half; the engine's words say why."""
    algorithm = QgsApplication.processingRegistry().algorithmById("hselcz:map_growth")
    scene = scene_copy()
    cut = tmp_path / "later.tif"
    cut.write_bytes(scene.read_bytes()[: scene.stat().st_size // 2])
    ok, message = algorithm.checkParameterValues(
        {"EARLIER": str(scene), "LATER": str(cut), "OUTPUT_CHANGE": str(tmp_path / "change.tif")},
        QgsProcessingContext())
    assert not ok and "Later Sentinel-2 scene (LATER)" in message and "corrupt or truncated" in message


@needs_data
def test_a_reference_sample_gives_the_error_adjusted_area(plugin, tmp_path) -> None:
    """With a sample (points in WGS 84, labels as text), the results give the Olofsson estimate beside the pixel
    count. Here every point says "no": whatever the map counts, the error-adjusted new built-up area is 0 +- 0, and
    the estimate is made although OUTPUT_NEW_BUILT was not asked for."""
    from osgeo import gdal
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    dataset = gdal.Open(str(EARLIER))
    gt, width, height = dataset.GetGeoTransform(), dataset.RasterXSize, dataset.RasterYSize
    dataset = None
    sample = QgsVectorLayer("Point?crs=EPSG:4326&field=new:string", "sample", "memory")
    features = []
    for i in range(1, 8):
        for j in range(1, 8):
            feature = QgsFeature(sample.fields())
            feature.setAttributes(["no"])
            feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(gt[0] + gt[1] * width * i / 8,
                                                                   gt[3] + gt[5] * height * j / 8)))
            features.append(feature)
    sample.dataProvider().addFeatures(features)
    feedback_lines: list[str] = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info):  # noqa: N802 (QGIS API)
            feedback_lines.append(info)

    results = processing.run("hselcz:map_growth", {
        "EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS, "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
        "NEW_BUILT_SAMPLE": sample, "NEW_BUILT_SAMPLE_FIELD": "new"}, feedback=Feedback())
    assert results["GROWTH_KM2"] > 0  # the map counts some new built-up ...
    assert results["GROWTH_ADJ_KM2"] == 0 and results["GROWTH_ADJ_CI_KM2"] == 0  # ... the sample says none
    assert any(line.startswith("New built-up: ") and "error-adjusted" in line for line in feedback_lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["change.tif"]


@needs_data
def test_a_sample_without_its_field_is_refused(plugin, tmp_path) -> None:
    from qgis.core import QgsVectorLayer

    sample = QgsVectorLayer("Point?crs=EPSG:4326&field=new:integer", "sample", "memory")
    with pytest.raises(QgsProcessingException, match="NEW_BUILT_SAMPLE_FIELD"):
        processing.run("hselcz:map_growth", {
            "EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS,
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"), "NEW_BUILT_SAMPLE": sample})
    assert list(tmp_path.iterdir()) == []  # refused before anything was computed
