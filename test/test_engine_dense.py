"""Dense models: the blended, streamed, cell-averaged products equal a pointwise numpy computation.

The dense test model is pointwise (LCZ) or a 2x2 average (HSE), so any seam, misplaced window, lost row of
windows or misaligned output grid shows up as a difference from the numpy expectation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_fixtures import (
    CELL_LCZ,
    HSE_BAND,
    ORIGIN,
    dense_hse_expected,
    dense_lcz_expected,
    epsg_of,
    info,
    read,
    synthetic_dn,
    top_margin,
    write_dense_model,
    write_raster,
)
from osgeo import gdal, osr

from core.engine import MappingResult, OutputPaths, map_scene
from core.products import HSE_NODATA, PROBABILITY_NODATA

TOLERANCE = 2e-6  # float32 blending and averaging of values <= 1.5


def run_dense(source: Path, model: Path, out: Path, **kwargs: object) -> MappingResult:
    out.mkdir(exist_ok=True)
    outputs = OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif"), probabilities=str(out / "prob.tif"))
    return map_scene(str(source), outputs, model_path=str(model), **kwargs)


def assert_matches(result: MappingResult, dn: np.ndarray) -> None:
    """LCZ classes exactly, probabilities and HSE to float32 precision, nodata where expected."""
    probabilities, classes, lcz_ok = dense_lcz_expected(dn)
    density, hse_ok = dense_hse_expected(dn)
    lcz, _, _ = read(result.lcz)
    prob, _, _ = read(result.probabilities)
    hse, _, _ = read(result.hse)
    assert lcz.shape == classes.shape and hse.shape == density.shape
    assert top_margin(probabilities)[lcz_ok].min() > 100 * TOLERANCE  # the classes are a real test
    np.testing.assert_array_equal(lcz, classes)
    np.testing.assert_allclose(prob[:, lcz_ok], probabilities[:, lcz_ok], rtol=0, atol=TOLERANCE)
    assert (prob[:, ~lcz_ok] == PROBABILITY_NODATA).all()
    np.testing.assert_allclose(hse[hse_ok], density[hse_ok], rtol=0, atol=TOLERANCE)
    assert (hse[~hse_ok] == HSE_NODATA).all()


def test_seamless_exact_products_over_many_windows(tmp_path: Path, dense_model: Path) -> None:
    """303 x 227 px: 7 x 5 windows of 64 px, odd sizes, partial cells on the right and bottom edges."""
    dn = synthetic_dn(227, 303, seed=1)
    source = write_raster(tmp_path / "scene.tif", dn)
    result = run_dense(source, dense_model, tmp_path / "out")
    assert_matches(result, dn)
    assert result.warnings == []

    # The comparison is sensitive to a one-pixel shift of the grid (so alignment is really tested).
    shifted, _, _ = dense_lcz_expected(dn[:, 1:, 1:])
    expected, _, _ = dense_lcz_expected(dn)
    assert np.abs(shifted[:10, :-1, :-1] - expected[:10, :-1, :-1]).max() > 1000 * TOLERANCE


def test_output_grids_are_aligned_to_the_input(tmp_path: Path, dense_model: Path) -> None:
    dn = synthetic_dn(57, 83, seed=2)
    source = write_raster(tmp_path / "scene.tif", dn)
    result = run_dense(source, dense_model, tmp_path / "out")
    _, _, input_wkt = read(source)
    for path, pixel, size in ((result.lcz, 100.0, [9, 6]), (result.probabilities, 100.0, [9, 6]), (result.hse, 20.0, [42, 29])):
        facts = info(path)
        assert facts["geoTransform"] == [ORIGIN[0], pixel, 0.0, ORIGIN[1], 0.0, -pixel]
        assert facts["size"] == size
        srs, expected = osr.SpatialReference(), osr.SpatialReference()
        srs.ImportFromWkt(facts["coordinateSystem"]["wkt"])
        expected.ImportFromWkt(input_wkt)
        assert srs.IsSame(expected) and epsg_of(facts["coordinateSystem"]["wkt"]) == 32632


def test_raster_smaller_than_one_tile(tmp_path: Path, dense_model: Path) -> None:
    """25 x 17 px against 64 px tiles: mirrored padding on every side, still exact."""
    dn = synthetic_dn(17, 25, seed=3)
    result = run_dense(write_raster(tmp_path / "small.tif", dn), dense_model, tmp_path / "out")
    assert_matches(result, dn)
    assert read(result.lcz)[0].shape == (2, 3) and read(result.hse)[0].shape == (9, 13)


def test_tile_size_does_not_change_the_result(tmp_path: Path, dense_model: Path) -> None:
    """Another window layout (32 px tiles, 8 px overlap, size multiple 4) blends to the same products."""
    other = write_dense_model(tmp_path / "dense32.onnx", tile_size=32, tile_overlap=8, size_multiple=4)
    dn = synthetic_dn(101, 77, seed=4)
    source = write_raster(tmp_path / "scene.tif", dn)
    first = run_dense(source, dense_model, tmp_path / "a")
    second = run_dense(source, other, tmp_path / "b")
    assert_matches(second, dn)
    np.testing.assert_array_equal(read(first.lcz)[0], read(second.lcz)[0])
    np.testing.assert_allclose(read(first.hse)[0], read(second.hse)[0], rtol=0, atol=TOLERANCE)


def test_model_taking_reflectance_gets_scaled_input(tmp_path: Path) -> None:
    """input_unit 'reflectance': the engine divides by 10000 itself (the graph does not)."""
    model = write_dense_model(tmp_path / "refl.onnx", input_unit="reflectance")
    dn = synthetic_dn(44, 66, seed=5)
    assert_matches(run_dense(write_raster(tmp_path / "scene.tif", dn), model, tmp_path / "out"), dn)


def test_float_reflectance_input_equals_dn_input(tmp_path: Path, dense_model: Path) -> None:
    dn = synthetic_dn(60, 70, seed=6)
    reflectance = (dn.astype(np.float64) / 10000.0).astype(np.float32)
    source = write_raster(tmp_path / "reflectance.tif", reflectance, data_type=gdal.GDT_Float32)
    logs: list[str] = []
    result = run_dense(source, dense_model, tmp_path / "out", log=logs.append)
    assert any("float reflectance 0..1" in line for line in logs)
    assert_matches(result, dn)


def test_processing_baseline_04_offset_is_removed(tmp_path: Path, dense_model: Path) -> None:
    """Baseline 04.00 products store DN + 1000; the same scene without offset must give the same products."""
    dn = synthetic_dn(60, 70, seed=7)
    source = write_raster(tmp_path / "pb0400.tif", dn + np.uint16(1000), metadata={"PROCESSING_BASELINE": "04.00"})
    logs: list[str] = []
    result = run_dense(source, dense_model, tmp_path / "out", log=logs.append)
    assert any("baseline offset -1000" in line for line in logs)
    assert_matches(result, dn)


def test_nodata_hole(tmp_path: Path, dense_model: Path) -> None:
    """A hole of zeros (odd borders, containing a whole window): cells at least half valid keep a value
    computed from their valid pixels only; cells mostly inside the hole are no data."""
    dn = synthetic_dn(163, 171, seed=8)
    dn[:, 37:113, 37:113] = 0
    dn[:, 140:147, 3:9] = 0  # a small hole inside one 100 m cell (still valid: 42 of 100 px masked)
    result = run_dense(write_raster(tmp_path / "holes.tif", dn), dense_model, tmp_path / "out")

    probabilities, classes, lcz_ok = dense_lcz_expected(dn)
    density, hse_ok = dense_hse_expected(dn)
    lcz, _, _ = read(result.lcz)
    prob, _, _ = read(result.probabilities)
    hse, _, _ = read(result.hse)
    np.testing.assert_array_equal(lcz, classes)
    np.testing.assert_allclose(prob[:, lcz_ok], probabilities[:, lcz_ok], rtol=0, atol=TOLERANCE)
    # The hole's border cells: 100 m cells at rows/columns 3 and 11 are partly masked.
    assert lcz_ok[3, 3] and not lcz_ok[4, 4] and lcz_ok[11, 11] and lcz_ok[14, 0]
    partly = lcz_ok & (_masked_share(dn, CELL_LCZ) > 0)
    assert partly.sum() >= 20
    # ...and their values are the mean of their valid pixels only (zeros in the hole did not leak in).
    valid = ~np.all(dn == 0, axis=0)
    cell = dn[:, 30:40, 30:40].astype(np.float64) * 1e-4
    np.testing.assert_allclose(prob[:10, 3, 3], cell[:, valid[30:40, 30:40]].mean(axis=1), rtol=0, atol=TOLERANCE)

    assert (hse[~hse_ok] == HSE_NODATA).all() and (~hse_ok).sum() == 37 * 37 + 3 * 2
    clean = hse_ok & (_masked_share(dn, 2) == 0)
    np.testing.assert_allclose(hse[clean], density[clean], rtol=0, atol=TOLERANCE)
    mixed = hse_ok & ~clean  # 20 m cells with 1 or 2 of their 4 pixels masked: a value, not no data
    assert mixed.sum() > 0 and ((hse[mixed] >= 0) & (hse[mixed] <= 1)).all()


def _masked_share(dn: np.ndarray, cell: int) -> np.ndarray:
    masked = np.all(dn == 0, axis=0).astype(np.float64)
    h, w = masked.shape
    padded = np.zeros((-(-h // cell) * cell, -(-w // cell) * cell))
    padded[:h, :w] = masked
    return padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell).mean(axis=(1, 3))


@pytest.mark.parametrize(("lon", "lat", "epsg"), [(9.05, 45.4, 32632), (18.45, -33.9, 32734)])
def test_geographic_input_is_warped_to_its_utm_zone(tmp_path: Path, dense_model: Path, lon: float, lat: float,
                                                    epsg: int) -> None:
    dn = synthetic_dn(60, 60, seed=9)
    source = write_raster(tmp_path / "geo.tif", dn, epsg=4326, origin=(lon, lat), pixel=(1.2e-4, 0.9e-4))
    result = run_dense(source, dense_model, tmp_path / "out")
    for path, pixel in ((result.lcz, 100.0), (result.hse, 20.0), (result.probabilities, 100.0)):
        facts = info(path)
        assert epsg_of(facts["coordinateSystem"]["wkt"]) == epsg
        gt = facts["geoTransform"]
        assert (gt[1], gt[2], gt[4], gt[5]) == (pixel, 0.0, 0.0, -pixel)
    lcz = read(result.lcz)[0]
    assert (lcz > 0).mean() > 0.5


def test_hse_band_is_red_clip(tmp_path: Path, dense_model: Path) -> None:
    """The HSE expectation really depends on B4 and the clip: bright pixels would exceed 1 unclipped."""
    dn = synthetic_dn(40, 40, seed=10)
    assert (dn[HSE_BAND] > 10000).any()
    result = run_dense(write_raster(tmp_path / "scene.tif", dn), dense_model, tmp_path / "out")
    hse = read(result.hse)[0]
    unclipped = dn[HSE_BAND].astype(np.float64).reshape(20, 2, 20, 2).mean(axis=(1, 3)) * 1e-4
    clipped, _ = dense_hse_expected(dn)
    assert np.abs(unclipped - clipped).max() > 0.05
    np.testing.assert_allclose(hse, clipped, rtol=0, atol=TOLERANCE)
    assert hse.max() <= 1.0
