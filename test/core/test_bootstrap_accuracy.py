"""The LCZ Generator-style accuracy (core.bootstrap_accuracy): stratified 70/30 splits by polygon, on numpy oracles
and on the bundled sample scene with the WUDAPT-template training areas."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.bootstrap_accuracy import (
    SCORES,
    BootstrapAccuracy,
    bootstrap_accuracy,
    report_section_html,
    stratified_splits,
    with_section,
)
from core.engine import OutputPaths
from core.errors import CancelledError
from core.options import ModelChoice
from core.scores import lcz_scores
from core.training_areas import cross_validation_assessment, map_with_training_areas
from core.wudapt import read_training_kml
from support.data import TEST_DATA

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


@pytest.fixture(scope="module")
def tko(sample_scene, tmp_path_factory):
    areas = read_training_kml(TEST_DATA / "wudapt" / "tko_training_areas.kmz")[0]
    folder = tmp_path_factory.mktemp("tko")
    return map_with_training_areas(str(sample_scene), OutputPaths(lcz=str(folder / "lcz.tif")), training_areas=areas,
                                   model=ModelChoice(device="CPU")), areas


def _run(result, **options) -> BootstrapAccuracy:
    cells = result.cells
    return bootstrap_accuracy(cells.features, cells.codes, cells.groups, cells.probabilities, cells.embedding,
                              kind=result.adapter.features, **options)


def test_splits_hold_out_30_percent_of_each_class_by_polygon() -> None:
    # classes with 10, 4, 2 and 1 polygon(s); 3 cells per polygon
    polygon_codes = [2] * 10 + [4] * 4 + [11] * 2 + [17]
    groups = np.repeat(np.arange(1, len(polygon_codes) + 1), 3)
    codes = np.repeat(polygon_codes, 3)
    splits = stratified_splits(groups, codes, splits=25, seed=7)
    assert len(splits) == 25
    for held_out in splits:
        held = [polygon_codes[p - 1] for p in held_out]
        assert [held.count(code) for code in (2, 4, 11, 17)] == [3, 1, 1, 0]  # round(0.3 n) within 1..n-1
    assert len({tuple(s) for s in splits}) > 10  # random splits, not one repeated
    again = stratified_splits(groups, codes, splits=25, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(splits, again, strict=True))  # seeded


def test_the_summary_is_the_mean_and_the_2_5_and_97_5_percentiles() -> None:
    values = np.array([0.5, 0.9, 0.7, np.nan, 0.8, 0.6])
    result = BootstrapAccuracy(6, 0.3, {key: values for key, _ in SCORES}, np.full((6, 17), np.nan),
                               np.zeros((6, 17, 17)))
    finite = values[np.isfinite(values)]
    assert result.summary("oa") == pytest.approx((finite.mean(), *np.percentile(finite, [2.5, 97.5])))
    assert result.f1_summary() == {}


def test_the_sample_city_is_scored_as_the_lcz_generator_does(tko) -> None:
    result, _ = tko
    cells = result.cells
    boot = _run(result)
    assert boot.splits == 25 and boot.confusions.shape == (25, 17, 17)
    splits = stratified_splits(cells.groups, cells.codes)
    for index, held_out in enumerate(splits):
        tested = np.isin(cells.groups, held_out)
        assert boot.confusions[index].sum() == tested.sum()  # every cell of the test polygons, nothing else
        np.testing.assert_array_equal(boot.confusions[index].sum(axis=1), np.bincount(cells.codes[tested],
                                                                                      minlength=18)[1:])
        assert boot.scores["oa"][index] == pytest.approx(lcz_scores(boot.confusions[index])["oa"])
    np.testing.assert_allclose(boot.mean_confusion, boot.confusions.mean(axis=0))
    mean, low, high = boot.summary("oa")
    assert 0.5 < low <= mean <= high <= 1.0
    assert set(boot.f1_summary()) == {4, 11, 17}
    again = _run(result)
    np.testing.assert_array_equal(again.confusions, boot.confusions)  # deterministic
    line = boot.log_line()
    assert re.match(r"As the LCZ Generator reports it \(25 stratified 70/30 splits by polygon; mean \[95 % interval\]\)"
                    r": OA 0\.\d{3} \[0\.\d{3}-[01]\.\d{3}\], OAu ", line), line


def test_the_report_gets_the_boxplot_and_the_mean_confusion_beside_the_cross_validation(tko) -> None:
    from core.assessment_report import lcz_report_html

    result, areas = tko
    boot = _run(result, splits=5)
    page = with_section(lcz_report_html(cross_validation_assessment(result, areas.name)), report_section_html(boot))
    assert page.index("Cross-validated by polygon") < page.index("As the LCZ Generator reports it")
    assert page.rstrip().endswith("</body></html>") and page.count("<svg") == 1
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert svg.count("<rect") == len(SCORES) and svg.count("<circle") == len(SCORES)
    assert "Mean confusion matrix over the splits" in page and "5 random splits" in page


def test_cancelling_stops_between_splits(tko) -> None:
    result, _ = tko
    calls = []
    with pytest.raises(CancelledError):
        _run(result, is_cancelled=lambda: len(calls) >= 3, progress=calls.append)
    assert len(calls) == 3
