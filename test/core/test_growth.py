"""Settlement growth (core.growth) on the two real OSCD dates of Hong Kong, with the exact dense test model (oracle:
each date's HSE on the same grid) and with the bundled multi-task model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.growth import BUILT, NOT_BUILT, map_growth
from core.model import bundled_model_path
from core.options import ModelChoice, RunFeedback
from core.products import CHANGE_NODATA, HSE_NODATA, NEW_BUILT_NODATA
from support.engine_fixtures import read
from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS, HK_DATA

DATA, EARLIER, LATER, BANDS = HK_DATA, HK_2016, HK_2018, HK_BANDS

pytestmark = [pytest.mark.usefixtures("collect_gdal_garbage"),
              pytest.mark.skipif(not EARLIER.is_file(), reason=f"the shared real data ({DATA}) is not here")]


def test_change_and_new_built_follow_the_two_dates(tmp_path: Path, dense_model: Path) -> None:
    result = map_growth(str(EARLIER), str(LATER), str(tmp_path / "change.tif"), new_built=str(tmp_path / "new.tif"),
                        model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    first = map_scene(str(EARLIER), OutputPaths(lcz=None, hse=str(tmp_path / "a.tif")),
                      model=ModelChoice(model_path=str(dense_model), bands=BANDS))
    second = map_scene(str(LATER), OutputPaths(lcz=None, hse=str(tmp_path / "b.tif")),
                       model=ModelChoice(model_path=str(dense_model), bands=BANDS), grid=first.grid)
    a, b = read(first.hse)[0], read(second.hse)[0]
    valid = (a != HSE_NODATA) & (b != HSE_NODATA)
    change, state = read(result.outputs["change"])[0], read(result.outputs["new_built"])[0]
    np.testing.assert_allclose(change[valid], (b - a)[valid], atol=1e-6)
    assert (change[~valid] == CHANGE_NODATA).all() and (state[~valid] == NEW_BUILT_NODATA).all()
    grew = valid & (a < NOT_BUILT) & (b >= BUILT)
    lost = valid & (a >= BUILT) & (b < NOT_BUILT)
    np.testing.assert_array_equal(state[valid], np.where(grew, 1, np.where(lost, 2, 0))[valid])
    assert result.growth_km2 == pytest.approx(grew.sum() * 0.0004)
    assert result.loss_km2 == pytest.approx(lost.sum() * 0.0004)
    assert result.compared_km2 == pytest.approx(valid.sum() * 0.0004) and result.compared_km2 > 30


def test_the_bundled_multitask_model_maps_growth(tmp_path: Path) -> None:
    lines: list[str] = []
    result = map_growth(str(EARLIER), str(LATER), str(tmp_path / "change.tif"),
                        model=ModelChoice(model_path=str(bundled_model_path(1)), bands=BANDS, device="CPU"),
                        feedback=RunFeedback(log=lines.append))
    assert 0 <= result.growth_km2 < result.compared_km2 and 0 < result.mean_abs_change < 0.5
    assert any(line.startswith("Settlement growth: ") for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["change.tif"]


def test_bad_requests_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(EngineError, match="has no HSE output, so it cannot map settlement growth"):
        map_growth(str(EARLIER), str(LATER), str(out / "change.tif"),
                   model=ModelChoice(model_path=str(bundled_model_path(0)), bands=BANDS,
                                     device="CPU"))  # the LCZ-only bundled model
    with pytest.raises(EngineError, match="thresholds"):
        map_growth(str(EARLIER), str(LATER), str(out / "change.tif"), not_built=0.6, built=0.5)
    with pytest.raises(EngineError, match="The later scene: "):
        map_growth(str(EARLIER), str(tmp_path / "missing.tif"), str(out / "change.tif"),
                   model=ModelChoice(model_path=str(bundled_model_path(1)), bands=BANDS))
    assert not out.exists()


def test_two_scenes_that_do_not_overlap_are_told_so(tmp_path: Path, dense_model: Path, sample_scene: Path) -> None:
    """Issue 19: the later scene elsewhere (the sample moved 1 degree east) was reported as "holds no valid pixels"."""
    from osgeo import gdal

    elsewhere = tmp_path / "elsewhere.tif"
    moved = gdal.Translate(str(elsewhere), str(sample_scene))
    gt = list(moved.GetGeoTransform())
    gt[0] += 1.0
    moved.SetGeoTransform(gt)
    moved = None
    out = tmp_path / "out"
    with pytest.raises(EngineError, match=r"^The earlier and the later scene do not overlap: .* Give two scenes of the "
                                          r"same place\.$"):
        map_growth(str(sample_scene), str(elsewhere), str(out / "change.tif"),
                   model=ModelChoice(model_path=str(dense_model)))
    assert not out.exists()
    empty = tmp_path / "empty.tif"  # the same place, no data at all: said as such
    blank = gdal.Translate(str(empty), str(sample_scene))
    for index in range(1, blank.RasterCount + 1):
        blank.GetRasterBand(index).Fill(0)
    blank = None
    with pytest.raises(EngineError, match=r"^The later scene: The input holds no valid pixels .* it has no valid data "
                                          r"where they overlap\.$"):
        map_growth(str(sample_scene), str(empty), str(out / "change.tif"),
                   model=ModelChoice(model_path=str(dense_model)))
    assert not out.exists()
