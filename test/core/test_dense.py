"""Dense models: the blended, streamed, cell-averaged products equal a pointwise numpy computation.

The dense test model is pointwise (LCZ) or a 2x2 average (HSE), so any seam, misplaced window, lost row of
windows or misaligned output grid shows up as a difference from the numpy expectation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from core.bands import MODEL_BANDS
from core.engine import MappingResult, OutputPaths, map_scene
from core.options import NO_FEEDBACK, ModelChoice, RunFeedback
from core.products import HSE_NODATA, PROBABILITY_NODATA
from support.engine_fixtures import (
    CELL_LCZ,
    HSE_BAND,
    ORIGIN,
    blur_lcz_expected,
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

TOLERANCE = 2e-6  # float32 blending and averaging of values <= 1.5


def run_dense(source: Path, model: Path, out: Path, feedback: RunFeedback = NO_FEEDBACK) -> MappingResult:
    out.mkdir(exist_ok=True)
    outputs = OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif"), probabilities=str(out / "prob.tif"))
    return map_scene(str(source), outputs, ModelChoice(model_path=str(model)), feedback)


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
    assert read(result.lcz)[1] == read(result.probabilities)[1] == (ORIGIN[0], 100.0, 0.0, ORIGIN[1], 0.0, -100.0)
    assert read(result.hse)[1] == (ORIGIN[0], 20.0, 0.0, ORIGIN[1], 0.0, -20.0)

    # The comparison is sensitive to a one-pixel shift of the grid (so alignment is really tested).
    shifted, _, _ = dense_lcz_expected(dn[:, 1:, 1:])
    expected, _, _ = dense_lcz_expected(dn)
    assert np.abs(shifted[:10, :-1, :-1] - expected[:10, :-1, :-1]).max() > 1000 * TOLERANCE


def test_output_grids_are_aligned_to_the_input(tmp_path: Path, dense_model: Path) -> None:
    dn = synthetic_dn(57, 83, seed=2)
    source = write_raster(tmp_path / "scene.tif", dn)
    result = run_dense(source, dense_model, tmp_path / "out")
    _, _, input_wkt = read(source)
    expected = ((result.lcz, 100.0, [9, 6]), (result.probabilities, 100.0, [9, 6]), (result.hse, 20.0, [42, 29]))
    for path, pixel, size in expected:
        facts = info(path)
        assert facts["geoTransform"] == [ORIGIN[0], pixel, 0.0, ORIGIN[1], 0.0, -pixel]
        assert facts["size"] == size
        srs, expected = osr.SpatialReference(), osr.SpatialReference()
        srs.ImportFromWkt(facts["coordinateSystem"]["wkt"])
        expected.ImportFromWkt(input_wkt)
        assert srs.IsSame(expected) and epsg_of(facts["coordinateSystem"]["wkt"]) == 32632


def test_model_with_context_is_blended_away_from_window_edges(tmp_path: Path) -> None:
    """A 3 x 3 blur is wrong at each window's own border; the raised-cosine weights and the margin of mirrored
    context beyond the scene edge must hide that (measured: at most 4.2e-5 off, at cells on window seams)."""
    model = write_dense_model(tmp_path / "blur.onnx", blur=True)
    dn = synthetic_dn(227, 303, seed=1)
    result = run_dense(write_raster(tmp_path / "scene.tif", dn), model, tmp_path / "out")
    expected = blur_lcz_expected(dn)
    prob = read(result.probabilities)[0]
    np.testing.assert_allclose(prob, expected, rtol=0, atol=1e-4)
    # Cells on the scene's edges get the full mirrored context: no seam error at all there.
    edges = np.zeros(prob.shape[1:], dtype=bool)
    edges[0, :4] = edges[:4, 0] = True
    np.testing.assert_allclose(prob[:, edges], expected[:, edges], rtol=0, atol=TOLERANCE)
    # Without context (the plain 3 x 3 mean of a window's own pixels) the edges would be far off.
    unblurred = dense_lcz_expected(dn)[0]
    assert np.abs(unblurred[:10] - expected[:10]).max() > 0.01


@pytest.mark.parametrize(("stride", "tile"), [(5, 60), (10, 60), (10, 100)])
def test_coarser_lcz_output_strides(tmp_path: Path, stride: int, tile: int) -> None:
    """LCZ at stride 5 or 10 (one value per 50 m or 100 m) lands on the same cells (sizes multiples of 10)."""
    model = write_dense_model(tmp_path / "coarse.onnx", lcz_stride=stride, tile_size=tile, tile_overlap=20)
    dn = synthetic_dn(230, 190, seed=7)
    assert_matches(run_dense(write_raster(tmp_path / "scene.tif", dn), model, tmp_path / "out"), dn)


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
    result = run_dense(source, dense_model, tmp_path / "out", feedback=RunFeedback(log=logs.append))
    assert any("float reflectance 0..1" in line for line in logs)
    assert_matches(result, dn)


def test_processing_baseline_04_offset_is_removed(tmp_path: Path, dense_model: Path) -> None:
    """Baseline 04.00 products store DN + 1000; the same scene without offset must give the same products."""
    dn = synthetic_dn(60, 70, seed=7)
    source = write_raster(tmp_path / "pb0400.tif", dn + np.uint16(1000), metadata={"PROCESSING_BASELINE": "04.00"})
    logs: list[str] = []
    result = run_dense(source, dense_model, tmp_path / "out", feedback=RunFeedback(log=logs.append))
    assert any("baseline offset -1000" in line for line in logs)
    assert_matches(result, dn)


def test_gdal_scale_and_offset_give_reflectance(tmp_path: Path, dense_model: Path) -> None:
    """Bands storing (DN + 1000) with scale 1e-4 and offset -0.1 (reflectance = raw * scale + offset)."""
    dn = synthetic_dn(50, 60, seed=15)
    source = write_raster(tmp_path / "scaled.tif", dn + np.uint16(1000), scale_offset=(1e-4, -0.1))
    logs: list[str] = []
    result = run_dense(source, dense_model, tmp_path / "out", feedback=RunFeedback(log=logs.append))
    assert "Radiometry: band scale 0.0001 / offset -0.1 to reflectance" in logs
    assert_matches(result, dn)


def test_product_metadata_add_offset_per_band(tmp_path: Path, dense_model: Path) -> None:
    """An L2A-style BOA_ADD_OFFSET_Bxx per band in the product metadata is applied to that band."""
    dn = synthetic_dn(50, 60, seed=16)
    keys = {f"BOA_ADD_OFFSET_B{band[1:]:0>2}": "-1000" for band in MODEL_BANDS if band != "B8A"}
    keys["BOA_ADD_OFFSET_B8A"] = "-1000"
    source = write_raster(tmp_path / "l2a.tif", dn + np.uint16(1000), metadata=keys)
    logs: list[str] = []
    result = run_dense(source, dense_model, tmp_path / "out", feedback=RunFeedback(log=logs.append))
    assert "Radiometry: baseline offset -1000 (product metadata BOA_ADD_OFFSET_B8A=-1000)" in logs
    assert_matches(result, dn)


def test_nan_in_float_reflectance_is_nodata(tmp_path: Path, dense_model: Path) -> None:
    dn = synthetic_dn(50, 60, seed=17)
    reflectance = (dn / 10000.0).astype(np.float32)
    reflectance[:, 10:30, 14:36] = np.nan  # even borders: 20 m cells are all in or all out
    source = write_raster(tmp_path / "nan.tif", reflectance, data_type=gdal.GDT_Float32, nodata=float("nan"))
    dn[:, 10:30, 14:36] = 0
    assert_matches(run_dense(source, dense_model, tmp_path / "out"), dn)


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


def test_stride_that_does_not_divide_the_cell(tmp_path: Path) -> None:
    """LCZ at stride 4 (the So2Sat ResNet20 trunk's stage 3) on 10 px cells: each 4 x 4 value is repeated onto the
    stride gcd(4, 10) = 2 and the cell averages its 5 x 5 pixels of 20 m (numpy oracle, 120 x 80 px); a cell
    boundary cuts through blocks, so averaging the blocks whole would differ."""
    from support.engine_fixtures import CONSTANTS

    model = write_dense_model(tmp_path / "stride4.onnx", lcz_stride=4, tile_size=64, tile_overlap=16)
    dn = synthetic_dn(80, 120, seed=9)
    result = run_dense(write_raster(tmp_path / "scene.tif", dn), model, tmp_path / "out")
    refl = dn.astype(np.float64) * 1e-4
    blocks = refl.reshape(10, 20, 4, 30, 4).mean(axis=(2, 4))
    at_2 = np.repeat(np.repeat(blocks, 2, axis=1), 2, axis=2)
    expected = at_2.reshape(10, 8, 5, 12, 5).mean(axis=(2, 4))
    prob, _, _ = read(result.probabilities)
    np.testing.assert_allclose(prob[:10], expected, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(prob[10:], np.broadcast_to(np.array(CONSTANTS)[:, None, None], prob[10:].shape),
                               rtol=0, atol=TOLERANCE)
    whole_blocks = refl.reshape(10, 8, 10, 12, 10).mean(axis=(2, 4))
    assert np.abs(whole_blocks - expected).max() > 100 * TOLERANCE
