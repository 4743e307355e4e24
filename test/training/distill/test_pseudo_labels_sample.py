"""Pseudo-labels, first test set of issue 4 (beside test_pseudo_labels.py): surface fractions, likelihood,
downscaling, water, change gating, and the bundled sample. Synthetic spectra; no data from ../shared."""

from __future__ import annotations

import numpy as np
import pytest

from training.distill import label_rules as rules
from training.distill import pseudo_labels as pl

VEGETATION = {"B3": 500.0, "B4": 300.0, "B8": 3000.0, "B11": 1500.0}  # NDVI 0.82, NDBI -0.33
BUILT = {"B3": 1100.0, "B4": 1200.0, "B8": 1500.0, "B11": 2000.0}  # NDVI 0.11, NDBI 0.14
WATER = {"B3": 900.0, "B4": 500.0, "B8": 300.0, "B11": 100.0}  # NDWI 0.5, dark NIR


def image(height: int, width: int, fill: dict[str, float]) -> np.ndarray:
    out = np.full((10, height, width), 1000.0, dtype=np.float32)
    for band, value in fill.items():
        out[rules.BAND_INDEX[band]] = value
    return out


def paint(img: np.ndarray, rows: slice, cols: slice, spectrum: dict[str, float]) -> None:
    for band, value in spectrum.items():
        img[rules.BAND_INDEX[band], rows, cols] = value


def one_hot(code: int, cells: tuple[int, int]) -> np.ndarray:
    p = np.zeros((17, *cells), dtype=np.float32)
    p[code - 1] = 1.0
    return p


def test_surface_fraction_midpoints_follow_stewart_and_oke():
    assert rules.range_midpoint("40-60") == 50 and rules.range_midpoint("<10") == 5
    assert rules.range_midpoint(">90") == 95
    with pytest.raises(ValueError):
        rules.range_midpoint("about half")
    fractions = rules.BUILT_UP_FRACTION
    assert fractions.shape == (17,)
    assert fractions[0] == pytest.approx(1.0)  # LCZ 1: BSF 40-60 + ISF 40-60
    assert fractions[8] == pytest.approx(0.25)  # LCZ 9: BSF 10-20 + ISF <20
    assert fractions[14] == pytest.approx(1.0)  # LCZ E (paved): <10 + >90
    assert fractions[16] == pytest.approx(0.10)  # LCZ G: <10 + <10
    assert all(fractions[:10] > fractions[10:14].max())  # every built class above natural vegetation


def test_likelihood_ranks_built_over_vegetation_and_zeroes_water():
    img = image(3, 1, VEGETATION)
    paint(img, slice(1, 2), slice(None), BUILT)
    paint(img, slice(2, 3), slice(None), WATER)
    w = rules.builtup_likelihood(rules.indices(img))[:, 0]
    assert w[0] == pytest.approx(rules.LIKELIHOOD_FLOOR) and w[1] > 0.9 and w[2] == 0.0


def test_distribution_conserves_each_cells_mass_and_caps_pixels():
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.05, 1.0, size=(10, 15))
    valid = np.ones_like(weights, dtype=bool)
    fraction = np.array([[0.2, 0.5, 0.9], [0.0, 0.35, 0.7]])
    hse = rules.distribute(fraction, weights, valid)
    assert hse.shape == (10, 15) and 0.0 <= hse.min() and hse.max() <= 1.0
    cell_means = hse.reshape(2, 5, 3, 5).mean(axis=(1, 3))
    np.testing.assert_allclose(cell_means, fraction, atol=1e-5)
    # a cell whose fraction exceeds what its weighted pixels would give still keeps its mass, pixels capped at 1
    skewed = np.full((5, 5), 0.01)
    skewed[0, 0] = 100.0
    dense = rules.distribute(np.array([[0.8]]), skewed, np.ones((5, 5), bool))
    assert dense.max() == pytest.approx(1.0) and dense.mean() == pytest.approx(0.8, abs=1e-5)


def test_water_pixels_get_nothing_and_invalid_pixels_are_nan():
    weights = np.ones((5, 5))
    weights[:, :2] = 0.0  # water
    valid = np.ones((5, 5), bool)
    valid[4, 4] = False
    hse = rules.distribute(np.array([[0.3]]), weights, valid)
    assert np.all(hse[:, :2] == 0.0) and np.isnan(hse[4, 4])
    assert np.nansum(hse) == pytest.approx(0.3 * 24, abs=1e-4)  # the land pixels take the whole cell
    all_water = rules.distribute(np.array([[0.1]]), np.zeros((5, 5)), np.ones((5, 5), bool))
    assert np.all(all_water == 0.0)  # an open-water cell stays at 0, whatever its LCZ G fraction says


def test_identical_dates_give_identical_labels():
    img = image(10, 10, VEGETATION)
    paint(img, slice(0, 5), slice(0, 2), BUILT)  # two columns of built pixels inside the first 100 m cell
    probabilities = one_hot(9, (2, 2))  # sparsely built: 0.25 of the cell, which its built pixels can hold
    valid = np.ones((10, 10), bool)
    labels = rules.derive_labels([img, img.copy()], [valid, valid], [probabilities, probabilities.copy()])
    assert not labels.changed.any()
    np.testing.assert_array_equal(labels.hse[0], labels.hse[1])
    cell = labels.hse[0][:5, :5]
    assert cell[:, :2].mean() > 5 * cell[:, 2:].mean()  # within the cell, HSE follows the built pixels


def test_seasonal_change_of_vegetation_does_not_move_hse():
    summer = image(10, 10, VEGETATION)
    paint(summer, slice(0, 5), slice(None), BUILT)
    winter = summer.copy()
    winter[rules.BAND_INDEX["B8"], 5:, :] *= 0.9  # a little less green, below the change thresholds
    probabilities = one_hot(6, (2, 2))
    valid = np.ones((10, 10), bool)
    labels = rules.derive_labels([summer, winter], [valid, valid], [probabilities, probabilities])
    assert not labels.changed.any()
    np.testing.assert_allclose(labels.hse[0], labels.hse[1], atol=1e-6)


def test_construction_between_dates_raises_hse_where_it_happened():
    before = image(10, 10, VEGETATION)
    paint(before, slice(0, 5), slice(0, 5), BUILT)
    after = before.copy()
    paint(after, slice(5, 10), slice(5, 10), BUILT)  # a new block on former vegetation
    valid = np.ones((10, 10), bool)
    p_before = one_hot(14, (2, 2))  # the teacher saw low plants there ...
    p_before[:, 0, 0] = one_hot(6, (1, 1))[:, 0, 0]
    p_after = p_before.copy()
    p_after[:, 1, 1] = one_hot(6, (1, 1))[:, 0, 0]  # ... and open low-rise after the construction
    labels = rules.derive_labels([before, after], [valid, valid], [p_before, p_after])
    new_block = (slice(5, 10), slice(5, 10))
    assert labels.changed[new_block].all() and not labels.changed[:5, :5].any()
    assert labels.hse[1][new_block].mean() > labels.hse[0][new_block].mean() + 0.2
    np.testing.assert_allclose(labels.hse[0][:5, :5], labels.hse[1][:5, :5], atol=1e-6)  # the old block stays


def test_fusion_averages_dates_and_falls_back_to_the_date_that_has_data():
    p1 = one_hot(2, (1, 2))
    p2 = one_hot(4, (1, 2))
    p2[:, 0, 1] = np.nan
    fused = rules.fuse_probabilities(p1, p2)
    np.testing.assert_allclose(fused[:, 0, 0], 0.5 * (p1[:, 0, 0] + p2[:, 0, 0]))
    np.testing.assert_allclose(fused[:, 0, 1], p1[:, 0, 1])
    assert np.allclose(fused.sum(axis=0), 1.0)


def test_end_to_end_on_the_bundled_sample(tmp_path, sample_scene):
    """Two dates of one area: the real sample and a copy 2 % brighter (no land-cover change)."""
    from osgeo import gdal

    area = tmp_path / "scenes" / "tko"
    area.mkdir(parents=True)
    first = area / "tko_S2L1C_20180323_10band_10m.tif"
    gdal.Translate(str(first), str(sample_scene))
    second = gdal.Translate(str(area / "tko_S2L1C_20180402_10band_10m.tif"), str(sample_scene))
    for index in range(1, 11):
        band = second.GetRasterBand(index)
        values = band.ReadAsArray().astype(np.float64)
        band.WriteArray(np.where(values > 0, np.round(values * 1.02), 0).astype(np.uint16))
    second = None

    manifest = pl.make_labels(tmp_path / "scenes", tmp_path / "labels")
    import json

    entries = json.loads(manifest.read_text())["scenes"]
    assert [e["date"] for e in entries] == ["20180323", "20180402"]
    fused = gdal.Open(str(tmp_path / "labels" / "tko" / "tko_lcz_soft_fused.tif")).ReadAsArray()
    cells = (fused >= 0).all(axis=0)
    assert cells.sum() > 400 and np.allclose(fused[:, cells].sum(axis=0), 1.0, atol=1e-4)
    changed = gdal.Open(entries[0]["changed"]).ReadAsArray()
    assert changed.mean() < 0.02  # a 2 % brightening is no land-cover change
    hse = [gdal.Open(e["hse"]).ReadAsArray() for e in entries]
    valid = (hse[0] >= 0) & (hse[1] >= 0)
    assert np.abs(hse[0] - hse[1])[valid].mean() < 0.02  # stable between the two "dates"
    water = fused.argmax(axis=0) == 16  # cells the teacher fuses as LCZ G (the bay)
    water20 = np.kron(water, np.ones((5, 5), bool))[: hse[0].shape[0], : hse[0].shape[1]]
    # < 0.08: with the SWIR water test (B11 < 500 DN) a few shore pixels of the bay cells count as land
    assert water.sum() > 100 and hse[0][water20 & valid].mean() < 0.08
    built = np.isin(fused.argmax(axis=0), np.arange(10))
    built20 = np.kron(built, np.ones((5, 5), bool))[: hse[0].shape[0], : hse[0].shape[1]]
    assert hse[0][built20 & valid].mean() > 0.4  # Tseung Kwan O's blocks come out as settlement
