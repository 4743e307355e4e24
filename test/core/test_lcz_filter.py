"""The filtered LCZ (core.lcz_filter): a hand-written 2-D oracle, its edges and no data, streaming, a real run.

The oracle is the definition written the slow way (every cell, every neighbour in the 5 x 5 window, weights
exp(-d^2 / 2 sigma^2) of the cells with data, divided by their sum), so the separable, streamed code is checked
against something it does not share.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core import lcz_filter
from core.engine import OutputPaths, map_scene
from core.input_kinds import raster_kind
from core.lcz import LCZ_NODATA
from core.options import RunFeedback
from core.products import LCZ_FILTERED, META_LCZ_FILTER, PROBABILITY_NODATA
from support.engine_fixtures import read


def _oracle(probabilities: np.ndarray, valid: np.ndarray, sigma: float = 1.0, radius: int = 2) -> np.ndarray:
    classes, height, width = probabilities.shape
    codes = np.zeros((height, width), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            if not valid[y, x]:
                continue
            total = [0.0] * classes
            weight_sum = 0.0
            for dy in range(-radius, radius + 1):
                for dx in range(-radius, radius + 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < height and 0 <= xx < width and valid[yy, xx]:
                        weight = math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma))
                        weight_sum += weight
                        for c in range(classes):
                            total[c] += weight * float(probabilities[c, yy, xx])
            best = max(range(classes), key=lambda c: total[c] / weight_sum)
            codes[y, x] = best + 1
    return codes


def _random_field(seed: int, height: int = 23, width: int = 19) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(17, height, width)) * 2.0
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    valid = rng.random((height, width)) > 0.2
    valid[5:9, 3:12] = False  # a cloud
    return probabilities.astype(np.float32), valid


def test_kernel_is_the_cited_gaussian() -> None:
    weights = lcz_filter.gaussian_weights()
    assert weights.shape == (5,) and math.isclose(weights.sum(), 1.0)
    assert math.isclose(weights[1] / weights[2], math.exp(-0.5)) and math.isclose(weights[0] / weights[2], math.exp(-2))
    assert "sigma 1 cell (100 m), radius 2 cells (5 x 5)" in lcz_filter.kernel_description()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_filter_equals_the_two_dimensional_oracle(seed: int) -> None:
    probabilities, valid = _random_field(seed)
    expected = _oracle(probabilities, valid)
    assert np.array_equal(lcz_filter.filtered_codes(probabilities, valid), expected)
    assert (expected != (np.argmax(probabilities, axis=0) + 1) * valid).sum() > 20  # the filter changes something


@pytest.mark.parametrize("block_rows", [1, 2, 3, 7, 100])
def test_streamed_blocks_equal_the_whole_raster(block_rows: int) -> None:
    probabilities, valid = _random_field(5, height=31)
    whole = lcz_filter.filtered_codes(probabilities, valid)
    out = np.full(valid.shape, 99, dtype=np.uint8)
    reads: list[int] = []

    def read(first: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
        reads.append(rows)
        return probabilities[:, first : first + rows], valid[first : first + rows]

    def write(first: int, codes: np.ndarray, _valid: np.ndarray) -> None:
        out[first : first + len(codes)] = codes

    count = lcz_filter.filter_rows(read, valid.shape[0], write, block_rows=block_rows)
    assert np.array_equal(out, whole) and count == int(valid.sum())
    assert max(reads) <= block_rows + 2 * lcz_filter.RADIUS_CELLS  # memory: one block and its halo


def test_no_data_stays_no_data_and_does_not_vote() -> None:
    """A cell without data stays 0; the cells beside a gap or at the edge keep the class their valid neighbours give
    (an un-normalised filter would see them as less certain and a zero-padded one would lose to the interior)."""
    height, width = 12, 12
    probabilities = np.full((17, height, width), 0.01, dtype=np.float32)
    probabilities[5] = 0.6  # class 6 everywhere ...
    probabilities[:, 6, 6] = 0.01
    probabilities[1, 6, 6] = 0.9  # ... but one lone cell of class 2: smoothed away
    probabilities[:, :, 9:] = 0.01
    probabilities[13, :, 9:] = 0.55  # a band of class 14 on the right: kept, edge included
    probabilities /= probabilities.sum(axis=0, keepdims=True)
    valid = np.ones((height, width), dtype=bool)
    valid[2:4, 2:4] = False
    raw = np.argmax(probabilities, axis=0) + 1
    codes = lcz_filter.filtered_codes(probabilities, valid)
    assert raw[6, 6] == 2 and codes[6, 6] == 6
    assert np.all(codes[~valid] == LCZ_NODATA)
    assert np.all(codes[:, 9:] == 14) and np.all(codes[valid & (np.arange(width) < 8)[None]] == 6)
    smoothed, _ = lcz_filter.smooth(probabilities, valid)
    totals = smoothed.sum(axis=0)[valid]
    assert np.allclose(totals, 1.0, atol=1e-5)  # a weighted mean of the valid neighbours: still sums to 1


def test_real_run_writes_the_filter_of_its_own_probabilities(sample_scene: Path, tmp_path: Path) -> None:
    """The bundled sample through map_scene: the filtered map is the filter of the run's probabilities, written
    with the kernel in its metadata and the log; without a probabilities output, no scratch file is left."""
    with_probs = tmp_path / "a"
    logs: list[str] = []
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(with_probs / "lcz.tif"),
                                                     probabilities=str(with_probs / "prob.tif"),
                                                     lcz_filtered=str(with_probs / "lcz_filtered.tif")),
                       feedback=RunFeedback(log=logs.append))
    assert any("Filtered LCZ: Gaussian kernel, sigma 1 cell (100 m)" in line for line in logs)
    raw, raw_gt, raw_wkt = read(result.lcz)
    filtered, gt, wkt = read(result.lcz_filtered)
    probabilities = gdal.Open(result.probabilities).ReadAsArray()
    valid = probabilities[0] != PROBABILITY_NODATA
    assert (gt, wkt) == (raw_gt, raw_wkt) and np.array_equal(filtered == LCZ_NODATA, raw == LCZ_NODATA)
    assert np.array_equal(filtered, _oracle(probabilities, valid))
    changed = int((filtered != raw).sum())
    assert 0 < changed < 0.5 * valid.sum()  # it smooths; it does not repaint the map
    dataset = gdal.Open(result.lcz_filtered)
    assert "sigma 1 cell" in dataset.GetMetadataItem(META_LCZ_FILTER)
    assert dataset.GetMetadataItem("HSELCZ_PRODUCT") == LCZ_FILTERED.title
    assert dataset.GetRasterBand(1).GetColorTable().GetColorEntry(2)[:3] != (0, 0, 0)  # the LCZ palette
    assert raster_kind(result.lcz_filtered)[0] == "lcz"  # the assessments accept it as an LCZ map

    alone = tmp_path / "b"
    second = map_scene(str(sample_scene), OutputPaths(lcz=str(alone / "lcz.tif"),
                                                    lcz_filtered=str(alone / "lcz_filtered.tif")))
    assert np.array_equal(read(second.lcz_filtered)[0], filtered)
    assert sorted(p.name for p in alone.iterdir()) == ["lcz.tif", "lcz.tif.aux.xml", "lcz_filtered.tif",
                                                        "lcz_filtered.tif.aux.xml"]


def test_failed_run_leaves_nothing(sample_scene: Path, tmp_path: Path) -> None:
    """A cancelled run: neither the maps nor the scratch probabilities appear."""
    calls = {"n": 0}

    def cancel_late() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Exception, match="cancelled"):
        map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif"),
                                                 lcz_filtered=str(tmp_path / "lcz_filtered.tif")),
                  feedback=RunFeedback(is_cancelled=cancel_late))
    assert list(tmp_path.iterdir()) == []


def test_fused_dates_are_filtered_after_the_fusion(sample_scene: Path, tmp_path: Path) -> None:
    """Several dates: the filter runs on the fused (mean) probabilities, and the log says the kernel once."""
    from core.multidate import map_dates

    logs: list[str] = []
    result = map_dates([str(sample_scene), str(sample_scene)],
                       OutputPaths(lcz=str(tmp_path / "lcz.tif"), probabilities=str(tmp_path / "prob.tif"),
                                   lcz_filtered=str(tmp_path / "lcz_filtered.tif")),
                                   feedback=RunFeedback(log=logs.append))
    probabilities = gdal.Open(result.probabilities).ReadAsArray()
    assert np.array_equal(read(result.lcz_filtered)[0], _oracle(probabilities, probabilities[0] != PROBABILITY_NODATA))
    assert sum("Filtered LCZ: Gaussian kernel" in line for line in logs) == 1


def test_a_block_of_rows_is_refused_for_the_filtered_map(sample_scene: Path, tmp_path: Path) -> None:
    """A block of cell rows (core.batch's unit of work) has no neighbours above and below: a filtered map of it would
    differ from the whole scene's at its edges, so it is refused before anything is written."""
    from core.errors import EngineError

    with pytest.raises(EngineError, match="cannot be made for a block of rows"):
        map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif"),
                                                 lcz_filtered=str(tmp_path / "filtered.tif")), cell_rows=(0, 5))
    assert list(tmp_path.iterdir()) == []

