"""Pseudo-labels for distillation: the derived HSE recipe on synthetic arrays and the fusion on the sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from training.distill import label_rules as rules
from training.distill import pseudo_labels as pl
from training.distill import rasters

_B = {name: i for i, name in enumerate(rules.MODEL_BANDS)}


def test_range_midpoints_and_fraction_table():
    assert rules.range_midpoint("40-60") == 50
    assert rules.range_midpoint("<10") == 5
    assert rules.range_midpoint(">90") == 95
    assert rules.range_midpoint("<20") == 10
    f = rules.BUILT_UP_FRACTION
    assert f.shape == (17,)
    expected = {1: 1.0, 2: 0.95, 3: 0.90, 4: 0.65, 5: 0.70, 6: 0.65, 7: 0.85, 8: 0.85, 9: 0.25, 10: 0.55,
                11: 0.10, 14: 0.10, 15: 1.0, 17: 0.10}
    for code, value in expected.items():
        assert f[code - 1] == pytest.approx(value)
    p = np.zeros((17, 1, 2))
    p[1, 0, 0] = 1.0
    p[16, 0, 1], p[8, 0, 1] = 0.5, 0.5
    assert rules.cell_fraction(p)[0].tolist() == pytest.approx([0.95, 0.175])


def _cell_sums(a: np.ndarray) -> np.ndarray:
    h, w = a.shape
    return a.reshape(h // 5, 5, w // 5, 5).sum(axis=(1, 3))


def test_distribute_conserves_mass_per_cell_and_keeps_water_at_zero():
    rng = np.random.default_rng(0)
    fraction = rng.uniform(0, 0.8, (3, 4))
    weights = rng.uniform(0, 1, (15, 20))
    weights[:5, :5] = 0.0  # one cell of water: takes nothing
    weights[5:10, 5:10][:2] = 0.0  # part water
    hse = rules.distribute(fraction, weights, np.ones((15, 20), bool))
    assert np.all((hse >= 0) & (hse <= 1))
    assert np.all(hse[weights == 0] == 0)
    sums = _cell_sums(hse)
    land = np.ones((3, 4), bool)
    land[0, 0] = land[1, 1] = False
    np.testing.assert_allclose(sums[land], 25 * fraction[land], rtol=1e-5)
    assert sums[0, 0] == 0  # no land pixel: the cell's mass cannot be placed
    assert sums[1, 1] == pytest.approx(min(25 * fraction[1, 1], 15.0), rel=1e-5)  # 15 land pixels at most 1 each
    # saturation: a cell needing more than its land pixels can hold fills them to 1
    full = rules.distribute(np.array([[0.9]]), np.pad(np.ones((2, 5)), ((0, 3), (0, 0))), np.ones((5, 5), bool))
    assert full[:2].tolist() == [[1.0] * 5] * 2 and full[2:].sum() == 0


def test_distribute_follows_weights_and_marks_invalid():
    weights = np.full((5, 5), 0.1)
    weights[2, 2] = 1.0
    valid = np.ones((5, 5), bool)
    valid[0, 0] = False
    hse = rules.distribute(np.array([[0.1]]), weights, valid)
    assert np.isnan(hse[0, 0])
    assert hse[2, 2] == pytest.approx(0.1 * 24 / (23 * 0.1 + 1.0))
    assert np.nansum(hse) == pytest.approx(0.1 * 24)


def _synthetic_image(rng: np.random.Generator, h: int = 20, w: int = 20) -> np.ndarray:
    """Vegetation everywhere (high NIR), a built block (NDBI high), a water strip (NDWI high)."""
    img = np.zeros((10, h, w), np.float32)
    img[:] = rng.uniform(300, 400, (10, h, w))
    img[_B["B8"]] = 3000
    img[_B["B11"]] = 1500
    img[:, :10, :10] = 1500  # built: flat spectrum, NDVI ~ 0
    img[_B["B11"], :10, :10] = 1900
    img[:, 15:] = 200  # water: dark NIR / SWIR, green brighter
    img[_B["B3"], 15:] = 800
    return img


def _teacher(h: int = 4, w: int = 4) -> np.ndarray:
    p = np.zeros((17, h, w))
    p[13] = 0.7  # D low plants
    p[5] = 0.3  # 6 open low-rise
    p[:, :2, :2] = 0
    p[1, :2, :2] = 1.0  # compact mid-rise over the built block
    p[:, 3] = 0
    p[16, 3] = 1.0  # water
    return p


def test_identical_dates_give_identical_labels_and_water_zero():
    img = _synthetic_image(np.random.default_rng(1))
    valid = np.ones((20, 20), bool)
    labels = rules.derive_labels([img, img.copy()], [valid, valid], [_teacher(), _teacher()])
    np.testing.assert_array_equal(labels.hse[0], labels.hse[1])
    assert not labels.changed.any()
    assert np.all(labels.hse[0][15:] == 0)
    assert labels.hse[0][:10, :10].mean() > 0.9 > labels.hse[0][10:15].mean()
    np.testing.assert_allclose(labels.soft[0], _teacher())


def test_construction_raises_hse_and_seasons_do_not_move_it():
    rng = np.random.default_rng(2)
    before = _synthetic_image(rng)
    after = before.copy()
    site = (slice(11, 14), slice(12, 15))  # vegetation -> concrete in date 2
    after[:, site[0], site[1]] = 1500
    after[_B["B11"], site[0], site[1]] = 1900
    seasonal = after.copy()
    seasonal[_B["B8"]] *= 1.05  # a small phenological change everywhere: no "change"
    valid = np.ones((20, 20), bool)
    labels = rules.derive_labels([before, seasonal], [valid, valid], [_teacher(), _teacher()])
    assert labels.changed[site].all()
    assert labels.changed.sum() == 9
    assert np.all(labels.hse[1][site] > labels.hse[0][site] + 0.05)
    unchanged = ~labels.changed
    unchanged[10:15] = False  # the cells that hold the site redistribute their mass
    np.testing.assert_allclose(labels.hse[1][unchanged], labels.hse[0][unchanged], atol=1e-6)


def test_fuse_probabilities_averages_and_fills_gaps():
    a = np.full((17, 1, 2), 1 / 17)
    b = np.zeros((17, 1, 2))
    b[0] = 1.0
    b[:, 0, 1] = np.nan
    fused = rules.fuse_probabilities(a, b)
    assert fused[0, 0, 0] == pytest.approx((1 / 17 + 1) / 2)
    np.testing.assert_allclose(fused[:, 0, 1], a[:, 0, 1])


def test_pseudo_labels_on_the_sample(sample_scene: Path, tmp_path: Path):
    """Two dates: the sample and a copy 3 % brighter; aligned grids, fused soft labels, stable HSE."""
    city = tmp_path / "scenes" / "tko"
    city.mkdir(parents=True)
    first = city / "tko_S2L1C_20180323_10band_10m.tif"
    shutil.copy(sample_scene, first)
    second = city / "tko_S2L1C_20180402_10band_10m.tif"
    gdal.Translate(str(second), str(first), scaleParams=[[0, 10000, 0, 10300]], outputType=gdal.GDT_UInt16)
    areas = rasters.find_areas(tmp_path / "scenes")
    assert [(a.city, a.dates) for a in areas] == [("tko", ("20180323", "20180402"))]
    manifest = pl.make_labels(tmp_path / "scenes", tmp_path / "labels")
    import json

    entries = json.loads(manifest.read_text())["scenes"]
    assert [e["date"] for e in entries] == ["20180323", "20180402"]
    grids = {gdal.Open(e["image"]).GetGeoTransform() for e in entries}
    assert len(grids) == 1
    soft = [gdal.Open(e["lcz_soft"]).ReadAsArray() for e in entries]
    ok = soft[0][0] >= 0
    np.testing.assert_allclose(soft[0][:, ok].sum(axis=0), 1.0, atol=1e-5)
    teacher = [rasters.read_probabilities(e["teacher_probabilities"])[0] for e in entries]
    np.testing.assert_allclose(soft[0][:, ok], ((teacher[0] + teacher[1]) / 2)[:, ok], atol=1e-5)
    hse = [gdal.Open(e["hse"]).ReadAsArray() for e in entries]
    both = (hse[0] >= 0) & (hse[1] >= 0)
    assert both.mean() > 0.9
    assert np.abs(hse[1] - hse[0])[both].mean() < 0.02
    image, valid, _, _ = rasters.read_image(entries[0]["image"], None)
    water = rules.water_mask(rules.indices(rules.to_20m(image, valid)[0]))
    assert water.sum() > 500  # Junk Bay
    assert np.all(hse[0][water & both] == 0)
    assert hse[0][both & ~water].mean() > 0.2


# ------------------------------------------------------------------------------ Dynamic World
def _dynamic_world(h: int, w: int, top: list[tuple[slice, slice, int]], built: float = 0.7) -> np.ndarray:
    """(9, h, w) probabilities at 20 m: 'trees' everywhere, the given class on top in the given places."""
    dw = np.full((9, h, w), 0.02)
    dw[rules.DW_TREES] = 0.6
    for rows, cols, k in top:
        dw[:, rows, cols] = 0.02
        dw[k, rows, cols] = built if k == rules.DW_BUILT else 0.7
    return dw


def test_dynamic_world_moves_only_unsure_cells_by_its_share():
    p = np.zeros((17, 1, 4))
    p[13, :, 0], p[16, :, 0], p[12, :, 0] = 0.45, 0.40, 0.15  # unsure: D vs G
    p[13, :, 1], p[12, :, 1] = 0.9, 0.1  # sure D: never moved
    p[13, :, 2], p[11, :, 2], p[10, :, 2], p[12, :, 2] = 0.45, 0.30, 0.10, 0.15  # unsure, trees mostly B
    p[13, :, 3], p[5, :, 3], p[7, :, 3], p[12, :, 3] = 0.45, 0.25, 0.05, 0.25  # unsure, built mass 0.3
    shares = np.zeros((3, 1, 4))  # water, trees, built
    shares[0, 0, :2] = 1.0
    shares[1, 0, 2] = 0.8
    shares[2, 0, 3] = 0.6
    out, moved = rules.adjust_with_dynamic_world(p, shares)
    assert moved == {"water": 1, "trees": 1, "built": 1}
    assert out[16, 0, 0] == pytest.approx(1.0)  # share 1: all water
    np.testing.assert_allclose(out[:, 0, 1], p[:, 0, 1])
    assert out[11, 0, 2] / out[10, 0, 2] == pytest.approx((0.2 * 0.30 + 0.8 * 0.75) / (0.2 * 0.10 + 0.8 * 0.25))
    assert out[5, 0, 3] / out[7, 0, 3] == pytest.approx(5.0)  # the teacher's own built classes, renormalised
    assert out[:10, 0, 3].sum() == pytest.approx(0.4 * 0.3 + 0.6)
    np.testing.assert_allclose(out.sum(axis=0), p.sum(axis=0))


def test_dynamic_world_water_takes_no_hse_and_low_built_cells_get_less():
    img = _synthetic_image(np.random.default_rng(3))
    valid = np.ones((20, 20), bool)
    # DW: built over the built block, water over a land strip that the spectral mask calls land
    dw = _dynamic_world(20, 20, [(slice(0, 10), slice(0, 10), rules.DW_BUILT),
                                 (slice(10, 12), slice(0, 20), rules.DW_WATER)])
    without = rules.derive_labels([img, img.copy()], [valid, valid], [_teacher(), _teacher()])
    labels = rules.derive_labels([img, img.copy()], [valid, valid], [_teacher(), _teacher()], [dw, dw.copy()])
    assert np.all(labels.hse[0][10:12] == 0) and np.all(labels.water[0][10:12])
    assert not np.all(without.hse[0][10:12] == 0)
    # the built block: DW built 0.7 -> degree 0.93, so the cell fraction drops a little, not to DW's level
    assert 0.85 < labels.hse[0][:10, :10].mean() < without.hse[0][:10, :10].mean() + 1e-9
    # vegetation cells (teacher 0.3 x LCZ 6): DW built ~0 there, so their built-up mass shrinks
    assert labels.hse[0][10:15].mean() < 0.5 * without.hse[0][10:15].mean()
    np.testing.assert_array_equal(labels.hse[0], labels.hse[1])
    assert labels.dynamic_world is not None
