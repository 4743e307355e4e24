"""Each date's bands identified on its own (issue 19, item 6), with the exact dense test model on synthetic rasters.

Before: the first date's BANDS was applied to every date: a later 13-band stack read with a 10-band mapping took
B1 for B2, B2 for B3 and so on, and the fused map was wrong without a word; with B1 zero, its refusal said the
date "does not overlap the first one", which was false; warnings did not say which date they were about.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.multidate import map_dates
from core.options import ModelChoice, RunFeedback
from support.engine_fixtures import MODEL_BANDS, read, synthetic_dn, write_raster

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")

ALL_13 = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
TEN = ",".join(MODEL_BANDS)
THIRTEEN = "-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12"
SIZE = 60  # 600 m: 36 cells of 100 m


def thirteen_bands(dn: np.ndarray, first: float = 0) -> np.ndarray:
    """The 10 model bands of `dn` inside a 13-band Sentinel-2 stack (B1, B9 and B10 = `first`, 500, 500)."""
    stack = np.full((13, *dn.shape[1:]), 500, dtype=dn.dtype)
    stack[0] = first
    for index, name in enumerate(MODEL_BANDS):
        stack[ALL_13.index(name)] = dn[index]
    return stack


@pytest.fixture()
def dates(tmp_path: Path) -> dict[str, Path]:
    """Date 1: 10 unnamed bands. Later dates: the same place, other values, as a 13-band stack with and without
    band descriptions, and as 10 unnamed bands."""
    first, later = synthetic_dn(SIZE, SIZE, seed=1), synthetic_dn(SIZE, SIZE, seed=2)
    return {
        "first": write_raster(tmp_path / "first.tif", first, descriptions=None),
        "named13": write_raster(tmp_path / "named13.tif", thirteen_bands(later, first=700), descriptions=ALL_13),
        "unnamed13": write_raster(tmp_path / "unnamed13.tif", thirteen_bands(later), descriptions=None),
        "unnamed10": write_raster(tmp_path / "unnamed10.tif", later, descriptions=None),
    }


def outputs(folder: Path) -> OutputPaths:
    return OutputPaths(lcz=str(folder / "lcz.tif"), probabilities=str(folder / "p.tif"))


def right_fusion(tmp_path: Path, model: Path, first: Path, later_10: Path) -> np.ndarray:
    """The oracle: the mean of the two dates' probabilities, each read with its right bands."""
    one = map_scene(str(first), outputs(tmp_path / "one"), model=ModelChoice(model_path=str(model), bands=TEN))
    two = map_scene(str(later_10), outputs(tmp_path / "two"), model=ModelChoice(model_path=str(model), bands=TEN),
                    grid=one.grid)
    return (read(one.probabilities)[0] + read(two.probabilities)[0]) / 2


def test_a_later_date_with_its_own_band_names_is_read_by_them(tmp_path, dense_model, dates):
    """BANDS for the 10-band first date; the 13-band later date names its bands: read by its names, fused right."""
    fused = map_dates([str(dates["first"]), str(dates["named13"])], outputs(tmp_path / "fused"),
                      model=ModelChoice(model_path=str(dense_model), bands=TEN))
    expected = right_fusion(tmp_path, dense_model, dates["first"], dates["unnamed10"])
    np.testing.assert_allclose(read(fused.probabilities)[0], expected, rtol=1e-6, atol=1e-7)


def test_one_mapping_per_date(tmp_path, dense_model, dates):
    fused = map_dates([str(dates["first"]), str(dates["unnamed13"])], outputs(tmp_path / "fused"),
                      model=ModelChoice(model_path=str(dense_model), bands=f"{TEN} | {THIRTEEN}"))
    expected = right_fusion(tmp_path, dense_model, dates["first"], dates["unnamed10"])
    np.testing.assert_allclose(read(fused.probabilities)[0], expected, rtol=1e-6, atol=1e-7)


def test_a_later_date_whose_band_count_contradicts_the_mapping_is_refused(tmp_path, dense_model, dates):
    """13 unnamed bands and a 10-band BANDS: refused before computing, naming the date; nothing written."""
    lines: list[str] = []
    with pytest.raises(EngineError, match=r"Date 2 \(.*unnamed13.tif\): it has 13 raster bands, the first date 10"):
        map_dates([str(dates["first"]), str(dates["unnamed13"])], outputs(tmp_path / "fused"),
                  model=ModelChoice(model_path=str(dense_model), bands=TEN), feedback=RunFeedback(log=lines.append))
    assert not any(line.startswith("Working grid") for line in lines)  # refused before the first date was mapped
    assert not (tmp_path / "fused").exists()


def test_as_many_mappings_as_dates(tmp_path, dense_model, dates):
    with pytest.raises(EngineError, match="BANDS gives 2 band mappings separated by |, but there are 3 dates"):
        map_dates([str(dates["first"]), str(dates["named13"]), str(dates["unnamed10"])],
                  outputs(tmp_path / "fused"),
                  model=ModelChoice(model_path=str(dense_model), bands=f"{TEN} | {THIRTEEN}"))


def test_the_same_band_count_with_other_band_names_is_warned_naming_the_date(tmp_path, dense_model, dates):
    """A 10-band later date whose descriptions put B2 and B3 the other way round than BANDS does."""
    swapped = ["B3", "B2", *MODEL_BANDS[2:]]
    later = write_raster(tmp_path / "swapped.tif", synthetic_dn(SIZE, SIZE, seed=2), descriptions=swapped)
    warnings: list[str] = []
    map_dates([str(dates["first"]), str(later)], outputs(tmp_path / "fused"),
              model=ModelChoice(model_path=str(dense_model), bands=TEN), feedback=RunFeedback(warn=warnings.append))
    assert any(w.startswith("Date 2 (") and "swapped.tif" in w and "B2: BANDS says band 1, the raster band 2" in w
               for w in warnings), warnings


def test_warnings_about_a_later_date_name_it(tmp_path, dense_model, dates):
    """A later date of 30 m pixels (a plausibility warning about that input): the warning says which date."""
    coarse = write_raster(tmp_path / "coarse.tif", synthetic_dn(SIZE // 3, SIZE // 3, seed=3), descriptions=None,
                          pixel=(30.0, 30.0))
    warnings: list[str] = []
    map_dates([str(dates["first"]), str(coarse)], outputs(tmp_path / "fused"),
              model=ModelChoice(model_path=str(dense_model), bands=TEN), feedback=RunFeedback(warn=warnings.append))
    about = [w for w in warnings if "30 x 30 m" in w]
    assert about and all(w.startswith("Date 2 (") and "coarse.tif" in w for w in about), warnings


def test_a_date_with_a_zero_band_is_not_called_disjoint(tmp_path, dense_model, dates):
    """A later date over the same place whose B4 is all 0: "overlaps, but no data in a band", never "does not
    overlap"."""
    dn = synthetic_dn(SIZE, SIZE, seed=2)
    dn[MODEL_BANDS.index("B4")] = 0
    zero = write_raster(tmp_path / "zero_b4.tif", dn, descriptions=None)
    with pytest.raises(EngineError) as error:
        map_dates([str(dates["first"]), str(zero)], outputs(tmp_path / "fused"),
                  model=ModelChoice(model_path=str(dense_model), bands=TEN))
    assert "It overlaps the first date" in str(error.value) and "does not overlap" not in str(error.value)
    far = write_raster(tmp_path / "far.tif", dn, descriptions=None, origin=(700_000.0, 5_100_000.0))
    with pytest.raises(EngineError, match=r"Date 2 \(.*far.tif\): It does not overlap the first date"):
        map_dates([str(dates["first"]), str(far)], outputs(tmp_path / "fused"),
                  model=ModelChoice(model_path=str(dense_model), bands=TEN))
