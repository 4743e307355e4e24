"""The filtered LCZ output of hselcz:map and hselcz:export_lcz inside a real QGIS, on the bundled sample."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import QgsPalettedRasterRenderer, QgsProcessingException, QgsProject

from core.lcz import LCZ_CLASSES
from core.products import META_LCZ_FILTER
from support.data import scene_copy
from support.qgis_i18n import german_translator


@pytest.fixture(scope="module")
def maps(plugin, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("maps")
    project = QgsProject.instance()
    project.removeAllMapLayers()
    results = processing.runAndLoadResults("hselcz:map", {
        "INPUT": str(scene_copy()), "BUNDLED_MODEL": 0, "OUTPUT_LCZ": str(folder / "lcz.tif"),
        "OUTPUT_LCZ_FILTERED": str(folder / "lcz_filtered.tif")})
    layers = {layer.name(): isinstance(layer.renderer(), QgsPalettedRasterRenderer)  # styled as classes
              for layer in project.mapLayers().values()}
    project.removeAllMapLayers()
    return {"results": results, "layers": layers, "folder": folder}


def test_map_writes_and_styles_the_filtered_lcz(maps) -> None:
    filtered = maps["results"]["OUTPUT_LCZ_FILTERED"]
    assert Path(filtered) == maps["folder"] / "lcz_filtered.tif"
    names = [name for name in maps["layers"] if name.startswith("Local climate zones (filtered)")]
    assert len(names) == 1 and maps["layers"][names[0]]
    assert "sigma 1 cell (100 m)" in gdal.Open(filtered).GetMetadataItem(META_LCZ_FILTER)
    assert sorted(p.name for p in maps["folder"].glob("*.tif")) == ["lcz.tif", "lcz_filtered.tif"]


def test_export_writes_all_three_layouts(maps, tmp_path: Path) -> None:
    results = processing.run("hselcz:export_lcz", {
        "INPUT": maps["results"]["OUTPUT_LCZ"], "FILTERED": maps["results"]["OUTPUT_LCZ_FILTERED"],
        "OUTPUT_UMEP": str(tmp_path / "umep.tif"), "OUTPUT_W2W": str(tmp_path / "w2w.tif"),
        "OUTPUT_KMZ": str(tmp_path / "lcz.kmz")})
    umep = gdal.Open(results["OUTPUT_UMEP"]).ReadAsArray()
    assert set(np.unique(umep)) - {0} <= set(range(1, 11)) | set(range(101, 108)) and (umep > 100).any()
    w2w = gdal.Open(results["OUTPUT_W2W"])
    assert [w2w.GetRasterBand(i).GetDescription() for i in (1, 2)] == ["lcz", "lczFilter"]
    with zipfile.ZipFile(results["OUTPUT_KMZ"]) as archive:
        assert archive.namelist()[0] == "doc.kml" and "legend.png" in archive.namelist()
    legend = gdal.Open(f"/vsizip/{results['OUTPUT_KMZ']}/legend.png").ReadAsArray()  # drawn by Qt
    pixels = {tuple(int(v) for v in legend[:3, y, x]) for y in range(legend.shape[1]) for x in range(legend.shape[2])}
    assert {lcz.rgb for lcz in LCZ_CLASSES} <= pixels  # every swatch
    assert any(max(p) < 60 for p in pixels)  # and dark text


def test_export_refuses_a_map_that_is_not_lcz(plugin, tmp_path: Path) -> None:
    with pytest.raises(QgsProcessingException, match="not LCZ codes 1-17|not an LCZ map"):
        processing.run("hselcz:export_lcz", {"INPUT": str(scene_copy()), "OUTPUT_UMEP": str(tmp_path / "u.tif")})
    assert list(tmp_path.iterdir()) == []


def test_export_is_translated_to_german(plugin, tmp_path: Path, repo_root: Path) -> None:

    from qgis.core import QgsApplication
    from qgis.PyQt.QtCore import QCoreApplication

    translator = german_translator(tmp_path)
    QCoreApplication.installTranslator(translator)
    try:
        algorithm = QgsApplication.processingRegistry().algorithmById("hselcz:export_lcz").create()
        assert algorithm.displayName() == "LCZ-Karte für UMEP, w2w/WRF und Google Earth exportieren"
        assert algorithm.shortHelpString().startswith("<p>Schreibt eine LCZ-Karte")
        assert algorithm.parameterDefinition("OUTPUT_KMZ").description() == "LCZ-Karte als KMZ (Google Earth)"
    finally:
        QCoreApplication.removeTranslator(translator)
