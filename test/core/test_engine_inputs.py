"""What the engine says about bad input: missing or unnamed bands, the BANDS parameter, empty rasters, bad models.

Every refusal is an EngineError whose message tells the user what to do; the happy paths of the BANDS
parameter are checked against the exact numpy expectation of the dense test model.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.contract import COMMON_KEYS, build_metadata
from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.options import NO_FEEDBACK, ModelChoice, RunFeedback
from core.products import HSE_NODATA, PROBABILITY_NODATA
from support.engine_fixtures import (
    HSE_BAND,
    ORIGIN,
    contract_values,
    dense_hse_expected,
    dense_lcz_expected,
    read,
    synthetic_dn,
    write_model_with_metadata,
    write_model_without_metadata,
    write_raster,
)

TOLERANCE = 2e-6
pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


@pytest.fixture(scope="module")
def dn() -> np.ndarray:
    return synthetic_dn(36, 48, seed=21)


def run(source: Path, model: Path, out: Path, bands: str | None = None, feedback: RunFeedback = NO_FEEDBACK):
    return map_scene(str(source), OutputPaths(lcz=str(out / "lcz.tif"), probabilities=str(out / "prob.tif")),
                     ModelChoice(model_path=str(model), bands=bands), feedback)


def assert_exact(result, dn: np.ndarray) -> None:
    probabilities, classes, ok = dense_lcz_expected(dn)
    prob = read(result.probabilities)[0]
    np.testing.assert_array_equal(read(result.lcz)[0], classes)
    np.testing.assert_allclose(prob[:, ok], probabilities[:, ok], rtol=0, atol=TOLERANCE)
    assert (prob[:, ~ok] == PROBABILITY_NODATA).all()


def test_too_few_bands_names_the_missing_ones_and_the_bands_parameter(tmp_path, dense_model, dn) -> None:
    source = write_raster(tmp_path / "eight.tif", dn[:8], descriptions=MODEL_BANDS[:8])
    with pytest.raises(EngineError) as error:
        run(source, dense_model, tmp_path)
    message = str(error.value)
    assert "lacks or does not name B11, B12." in message
    assert "BANDS parameter" in message and "eight.tif band 8 ('B8A'): B8A" in message
    assert list(tmp_path.iterdir()) == [source]


def test_unnamed_bands_are_listed_with_the_bands_parameter(tmp_path, dense_model, dn) -> None:
    source = write_raster(tmp_path / "plain.tif", dn, descriptions=None)
    with pytest.raises(EngineError) as error:
        run(source, dense_model, tmp_path)
    message = str(error.value)
    assert "lacks or does not name " + ", ".join(MODEL_BANDS) + "." in message
    assert "plain.tif band 10: not identified" in message
    assert "BANDS parameter" in message and "'B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12'" in message


def test_bands_parameter_in_band_order_with_skips(tmp_path, dense_model, dn) -> None:
    """An unnamed 12-band raster: an extra band first and one between B8 and B8A, skipped with '-'."""
    junk = np.full((1, *dn.shape[1:]), 4321, dtype=np.uint16)
    stack = np.concatenate([junk, dn[:7], junk, dn[7:]])
    source = write_raster(tmp_path / "twelve.tif", stack, descriptions=None)
    logs: list[str] = []
    result = run(source, dense_model, tmp_path, bands="-,B2,B3,B4,B5,B6,B7,B8,-,B8A,B11,B12",
                 feedback=RunFeedback(log=logs.append))
    assert_exact(result, dn)
    assert "B8A: twelve.tif band 10 (from its BANDS parameter)" in logs


def test_bands_parameter_as_pairs(tmp_path, dense_model, dn) -> None:
    """Bands stored in reverse order, named by NAME=index pairs (in any order)."""
    source = write_raster(tmp_path / "reversed.tif", dn[::-1].copy(), descriptions=None)
    pairs = ",".join(f"{name}={10 - i}" for i, name in reversed(list(enumerate(MODEL_BANDS))))
    assert_exact(run(source, dense_model, tmp_path, bands=pairs), dn)


def test_bands_parameter_overrides_wrong_descriptions(tmp_path, dense_model, dn) -> None:
    """Descriptions that lie (reversed) are ignored when BANDS is given."""
    source = write_raster(tmp_path / "lying.tif", dn[::-1].copy(), descriptions=MODEL_BANDS)
    assert_exact(run(source, dense_model, tmp_path, bands="B12 B11 B8A B8 B7 B6 B5 B4 B3 B2"), dn)


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ("B2,B3,XYZ", "BANDS: 'XYZ' is not a Sentinel-2 band name"),
        ("B2=99", "BANDS: band 99 for B2 does not exist; the raster has 10 bands."),
        ("B2=one", "BANDS: 'B2=one' must be NAME=band number"),
        ("B2=1,B3", "BANDS: use either a list of names in band order or NAME=number pairs, not both."),
        ("B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12,B1", "BANDS lists 11 names but the raster has only 10 bands."),
        ("B2,B2,B4,B5,B6,B7,B8,B8A,B11,B12", "BANDS names B2 twice."),
        ("B2,B3,B4,B5,B6,B7,B8,B8A,B11", "lacks or does not name B12."),
    ],
)
def test_wrong_bands_parameter(tmp_path, dense_model, dn, bands: str, expected: str) -> None:
    source = write_raster(tmp_path / "plain.tif", dn, descriptions=None)
    with pytest.raises(EngineError) as error:
        run(source, dense_model, tmp_path, bands=bands)
    assert expected in str(error.value)
    assert list(tmp_path.iterdir()) == [source]


def _band_files(folder: Path, dn: np.ndarray, west_extra_20m: int = 0) -> list[str]:
    """One file per band named after it: 10 m bands as given, 20 m bands as 2 x 2 means (optionally with
    extra 20 m columns west of the 10 m bands' extent)."""
    files = []
    for index, band in enumerate(MODEL_BANDS):
        if band in ("B2", "B3", "B4", "B8"):
            path = write_raster(folder / f"T32TMR_{band}_10m.tif", dn[index : index + 1], descriptions=None)
        else:
            h, w = dn.shape[1] // 2, dn.shape[2] // 2
            low = dn[index].astype(np.float64).reshape(h, 2, w, 2).mean(axis=(1, 3))
            low = np.concatenate([low[:, :west_extra_20m], low], axis=1) if west_extra_20m else low
            path = write_raster(folder / f"T32TMR_{band}_20m.tif", low.astype(np.uint16)[None], descriptions=None,
                                origin=(ORIGIN[0] - 20 * west_extra_20m, ORIGIN[1]), pixel=(20.0, 20.0))
        files.append(str(path))
    return files


def test_separate_band_files_named_by_file_name(tmp_path, dense_model, dn) -> None:
    """10 m and 20 m single-band files: identified by their names, stacked on the 10 m grid."""
    logs: list[str] = []
    outputs = OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif"),
                          probabilities=str(tmp_path / "p.tif"))
    result = map_scene(_band_files(tmp_path, dn)[::-1], outputs, model=ModelChoice(model_path=str(dense_model)),
                       feedback=RunFeedback(log=logs.append))
    assert "B8A: T32TMR_B8A_20m.tif band 1 (from its file name)" in logs
    assert "Working grid: 48 x 36 pixels at 10 m." in logs
    density, _ = dense_hse_expected(dn)
    hse, gt, _ = read(result.hse)
    assert gt == (ORIGIN[0], 20.0, 0.0, ORIGIN[1], 0.0, -20.0)
    np.testing.assert_allclose(hse, density, rtol=0, atol=TOLERANCE)
    probabilities, _, _ = dense_lcz_expected(dn)
    prob = read(result.probabilities)[0]
    ten_m = [MODEL_BANDS.index(b) for b in ("B2", "B3", "B4", "B8")]
    np.testing.assert_allclose(prob[ten_m], probabilities[ten_m], rtol=0, atol=TOLERANCE)


def test_pixels_outside_some_band_files_are_nodata(tmp_path, dense_model, dn) -> None:
    files = _band_files(tmp_path, dn, west_extra_20m=1)
    result = map_scene(files, OutputPaths(lcz=None, hse=str(tmp_path / "hse.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    hse, gt, _ = read(result.hse)
    assert gt[0] == ORIGIN[0] - 20  # the working grid is the union of the files' extents
    density, _ = dense_hse_expected(dn)
    np.testing.assert_allclose(hse[:, 1:], density, rtol=0, atol=TOLERANCE)  # B4 is intact where it exists
    assert (hse[:, 0] == HSE_NODATA).all()  # ...and missing west of its file


def test_vrt_of_separate_band_files_is_read_by_file_name(tmp_path, dense_model, dn) -> None:
    """QGIS 'Build virtual raster' (separate) over files named by band, here in reverse order."""
    files = [str(write_raster(tmp_path / f"S2_{band}.tif", dn[i : i + 1], descriptions=None))
             for i, band in enumerate(MODEL_BANDS)]
    gdal.BuildVRT(str(tmp_path / "stack.vrt"), files[::-1], separate=True).FlushCache()
    logs: list[str] = []
    result = run(tmp_path / "stack.vrt", dense_model, tmp_path, feedback=RunFeedback(log=logs.append))
    assert "B2: stack.vrt band 10 (from its file name)" in logs
    assert_exact(result, dn)


def test_bands_identified_by_wavelength_metadata(tmp_path, dense_model, dn) -> None:
    source = write_raster(tmp_path / "wavelengths.tif", dn, descriptions=None)
    wavelengths_um = (0.4924, 0.5598, 0.6646, 0.7041, 0.7405, 0.7828, 0.8328, 0.8647, 1.6137, 2.2024)
    dataset = gdal.Open(str(source), gdal.GA_Update)
    for index, wavelength in enumerate(wavelengths_um, start=1):
        dataset.GetRasterBand(index).SetMetadata({"WAVELENGTH": str(wavelength), "WAVELENGTH_UNIT": "micrometers"})
    dataset = None
    logs: list[str] = []
    result = run(source, dense_model, tmp_path, feedback=RunFeedback(log=logs.append))
    assert "B8A: wavelengths.tif band 8 (from its metadata)" in logs
    assert_exact(result, dn)


def test_zero_padded_descriptions(tmp_path, dense_model, dn) -> None:
    names = ("B02", "B03 (green)", "b04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12_20m")
    assert_exact(run(write_raster(tmp_path / "padded.tif", dn, descriptions=names), dense_model, tmp_path), dn)


def test_all_nodata_raster_is_refused(tmp_path, dense_model, dn) -> None:
    source = write_raster(tmp_path / "empty.tif", np.zeros_like(dn))
    calls: list[float] = []
    with pytest.raises(EngineError, match="holds no valid pixels"):
        run(source, dense_model, tmp_path, feedback=RunFeedback(progress=calls.append))
    assert calls == [] and list(tmp_path.iterdir()) == [source]


def test_declared_nodata_value_masks_pixels(tmp_path, dense_model, dn) -> None:
    """A band equal to its declared nodata marks the pixel invalid, like 0 in every band."""
    data = dn.copy()
    data[:, :, :20] = 65535
    source = write_raster(tmp_path / "nodata.tif", data, nodata=65535)
    result = run(source, dense_model, tmp_path)
    expected = dn.copy()
    expected[:, :, :20] = 0
    assert_exact(result, expected)
    assert (read(result.lcz)[0][:, :2] == 0).all()


def _b4_nodata_block(dn: np.ndarray) -> np.ndarray:
    """B4 alone set to the declared nodata 65535 over rows/columns 40..79 (the other bands are valid)."""
    data = dn.copy()
    data[HSE_BAND, 40:80, 40:80] = 65535
    return data


def test_declared_nodata_in_one_band_masks_the_pixel(tmp_path, dense_model) -> None:
    dn = synthetic_dn(120, 120, seed=22)
    source = write_raster(tmp_path / "b4_hole.tif", _b4_nodata_block(dn), nodata=65535)
    result = map_scene(str(source), OutputPaths(lcz=None, hse=str(tmp_path / "hse.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    expected = dn.copy()
    expected[:, 40:80, 40:80] = 0
    density, ok = dense_hse_expected(expected)
    hse = read(result.hse)[0]
    assert (hse == HSE_NODATA).sum() == 400 and (hse[~ok] == HSE_NODATA).all()
    np.testing.assert_allclose(hse[ok], density[ok], rtol=0, atol=TOLERANCE)


def test_declared_nodata_in_one_band_survives_the_utm_warp(tmp_path, dense_model) -> None:
    dn = synthetic_dn(120, 120, seed=22)
    source = write_raster(tmp_path / "b4_hole_geo.tif", _b4_nodata_block(dn), nodata=65535, epsg=4326,
                          origin=(9.05, 45.4), pixel=(1.27e-4, 0.9e-4))
    result = map_scene(str(source), OutputPaths(lcz=None, hse=str(tmp_path / "hse.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    hse = read(result.hse)[0]
    assert hse.shape == (60, 60) and (hse[:15, :15] != HSE_NODATA).all()  # ~10 m pixels: the same 60 x 60 cells
    centre = hse[25:35, 25:35]  # well inside the block of rows/columns 40..79 (20 m cells 20..39)
    assert (centre == HSE_NODATA).all(), f"B4 no data came out as density {np.unique(centre)}"


@pytest.mark.parametrize("content", [os.urandom(2048), b"this is a text file, not a model\n"], ids=["random", "text"])
def test_file_that_is_not_onnx(tmp_path, dn, content: bytes) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(content)
    source = write_raster(tmp_path / "s.tif", dn)
    with pytest.raises(EngineError, match="is not an ONNX model"):
        run(source, model, tmp_path)


def test_missing_model_file(tmp_path, dn) -> None:
    source = write_raster(tmp_path / "s.tif", dn)
    with pytest.raises(EngineError, match="does not exist or is not a file"):
        run(source, tmp_path / "absent.onnx", tmp_path)


def test_onnx_without_contract_metadata(tmp_path, dn) -> None:
    model = write_model_without_metadata(tmp_path / "plain.onnx")
    with pytest.raises(EngineError) as error:
        run(write_raster(tmp_path / "s.tif", dn), model, tmp_path)
    message = str(error.value)
    assert "not one made for this plugin" in message
    assert all(key in message for key in COMMON_KEYS)


def test_onnx_with_incomplete_contract_names_the_missing_keys(tmp_path, dn) -> None:
    metadata = build_metadata(**contract_values("dense"))
    for key in ("license", "tile_overlap"):
        del metadata[key]
    model = write_model_with_metadata(tmp_path / "partial.onnx", metadata)
    with pytest.raises(EngineError, match=r"lacks the model contract metadata key\(s\): license, tile_overlap\."):
        run(write_raster(tmp_path / "s.tif", dn), model, tmp_path)


def test_declared_outputs_must_exist_in_the_graph(tmp_path, dn) -> None:
    values = contract_values("dense")
    values["outputs"] = [{"name": "probs", "product": "lcz", "stride": 1}]
    model = write_model_with_metadata(tmp_path / "renamed.onnx", build_metadata(**values))
    with pytest.raises(EngineError, match=r"outputs \['probs'\] declared in the metadata do not exist"):
        run(write_raster(tmp_path / "s.tif", dn), model, tmp_path)


def test_processing_level_mismatch_is_a_warning(tmp_path, dn) -> None:
    values = contract_values("dense", processing_level="L2A")
    model = write_model_with_metadata(tmp_path / "l2a.onnx", build_metadata(**values))
    source = write_raster(tmp_path / "s.tif", dn, metadata={"PROCESSING_LEVEL": "Level-1C"})
    result = run(source, model, tmp_path)
    assert result.warnings == ["The input looks like L1C but the model expects L2A; expect degraded results."]
    assert_exact(result, dn)
