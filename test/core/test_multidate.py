"""Several dates fused (core.multidate) on the two real OSCD dates of Hong Kong (2016-09-27, 2018-03-23), with the
exact dense test model (oracle: each date mapped alone on the first date's grid) and the bundled So2Sat model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.model import bundled_model_path
from core.multidate import map_dates
from core.options import ModelChoice, RunFeedback
from core.products import HSE_NODATA, PROBABILITY_NODATA
from support.engine_fixtures import read
from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS, HK_DATA

DATA, DATE_2016, DATE_2018, BANDS = HK_DATA, HK_2016, HK_2018, HK_BANDS

pytestmark = [pytest.mark.usefixtures("collect_gdal_garbage"),
              pytest.mark.skipif(not DATE_2018.is_file(), reason=f"the shared real data ({DATA}) is not here")]


def everything(folder: Path) -> OutputPaths:
    return OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"), probabilities=str(folder / "p.tif"),
                       dates=str(folder / "dates.tif"))


def crop_to_utm(source: Path, target: Path, grid) -> Path:
    """The 2016 scene as another user would hand it over: a smaller footprint, in UTM instead of EPSG:4326, on
    pixels shifted by 3 m against the first date's grid."""
    x0, y0 = grid.geotransform[0] + 1003, grid.geotransform[3] - 1503
    gdal.Warp(str(target), str(source), dstSRS=grid.projection, xRes=10, yRes=10,
              outputBounds=(x0, y0 - 3000, x0 + 2500, y0), srcNodata=0, dstNodata=0)
    return target


def test_fused_probabilities_are_the_mean_of_the_dates_and_hse_their_median(tmp_path: Path, dense_model: Path) -> None:
    first = map_scene(str(DATE_2018), everything(tmp_path / "first"),
                      model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    other = crop_to_utm(DATE_2016, tmp_path / "2016_utm_crop.tif", first.grid)
    fused = map_dates([str(DATE_2018), str(other)], everything(tmp_path / "fused"),
                      model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    second = map_scene(str(other), everything(tmp_path / "second"),
                       model=ModelChoice(model_path=str(dense_model), bands=BANDS),
                       grid=first.grid)
    assert fused.grid == first.grid == second.grid
    p1, p2, p = (read(r.probabilities)[0] for r in (first, second, fused))
    ok1, ok2 = (p1 != PROBABILITY_NODATA).all(axis=0), (p2 != PROBABILITY_NODATA).all(axis=0)
    both, only_first = ok1 & ok2, ok1 & ~ok2
    assert both.sum() > 100 and only_first.sum() > 100  # the crop covers part of the first date
    np.testing.assert_allclose(p[:, both], (p1[:, both] + p2[:, both]) / 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(p[:, only_first], p1[:, only_first])
    dates = read(fused.dates)[0]
    assert (dates[both] == 2).all() and (dates[only_first] == 1).all() and (dates[~(ok1 | ok2)] == 0).all()
    np.testing.assert_array_equal(read(fused.lcz)[0][ok1], np.argmax(p[:, ok1], axis=0) + 1)
    h1, h2, h = (read(r.hse)[0] for r in (first, second, fused))
    both_hse = (h1 != HSE_NODATA) & (h2 != HSE_NODATA)
    np.testing.assert_allclose(h[both_hse], (h1[both_hse] + h2[both_hse]) / 2, rtol=1e-6)  # the median of two
    assert len(fused.warnings) == len(set(fused.warnings))


def test_the_bundled_model_fuses_two_real_dates(tmp_path: Path) -> None:
    lines: list[str] = []
    result = map_dates([str(DATE_2018), str(DATE_2016)], OutputPaths(lcz=str(tmp_path / "lcz.tif"),
                       hse=str(tmp_path / "hse.tif")),
                       model=ModelChoice(model_path=str(bundled_model_path(0)), bands=BANDS, device="CPU"),
                       feedback=RunFeedback(log=lines.append))  # LCZ only: the HSE warning, said once
    assert result.lcz and result.hse is None and not (tmp_path / "hse.tif").exists()
    assert [w for w in result.warnings if "has no HSE output" in w] == [result.warnings[0]]
    assert sum("has no HSE output" in line for line in lines) == 1  # said once, not once per date
    lcz = read(result.lcz)[0]
    assert (lcz == 17).sum() > 300 and len(np.unique(lcz)) > 5  # the harbour, and a city
    assert any(line.startswith("2 dates fused") for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lcz.tif", "lcz.tif.aux.xml"]


def test_bad_dates_are_refused_and_leave_nothing(tmp_path: Path, dense_model: Path) -> None:
    out = tmp_path / "out"
    far = tmp_path / "far.tif"
    gdal.Translate(str(far), str(DATE_2016), outputSRS="EPSG:4326", outputBounds=(10.0, 46.0, 10.05, 45.95))
    with pytest.raises(EngineError, match=r"Date 2 \(.*far.tif\): .*does not overlap the first date"):
        map_dates([str(DATE_2018), str(far)], everything(out),
                  model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    nine = tmp_path / "nine_bands.tif"
    gdal.Translate(str(nine), str(DATE_2016), bandList=list(range(1, 10)))
    with pytest.raises(EngineError,
                       match=r"Date 2 \(.*nine_bands.tif\): it has 9 raster bands, the first date 10, so the BANDS"):
        map_dates([str(DATE_2018), str(nine)], everything(out),
                  model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    empty = tmp_path / "empty.tif"
    source = gdal.Open(str(DATE_2016))
    blank = gdal.GetDriverByName("GTiff").Create(str(empty), source.RasterXSize, source.RasterYSize, 10,
                                                 gdal.GDT_UInt16)
    blank.SetGeoTransform(source.GetGeoTransform())
    blank.SetProjection(source.GetProjection())
    blank = source = None
    with pytest.raises(EngineError, match=r"Date 2 \(.*empty.tif\): The input holds no valid pixels"):
        map_dates([str(DATE_2018), str(empty)], everything(out),
                  model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    assert not out.exists()  # the folder the run created is gone again


def test_one_date_is_a_plain_single_date_run(tmp_path: Path, dense_model: Path) -> None:
    one = map_dates([str(DATE_2018)], everything(tmp_path / "one"),
                    model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    assert (read(one.dates)[0] <= 1).all() and (read(one.dates)[0] == 1).sum() > 1000
