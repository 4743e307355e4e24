"""Suspicious training areas (core.suspicious) on the bundled sample scene with the WUDAPT-template areas: a
planted mislabelled polygon and a planted overlap must be flagged; of the areas as drawn, only the one the model
itself doubts."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine import OutputPaths
from core.options import ModelChoice
from core.reference_grid import PolygonReference
from core.suspicious import CONFIDENCE, MISCLASSIFIED, OVERLAP, misclassified, suspicious_areas
from core.training_areas import map_with_training_areas, parse_classes
from core.wudapt import read_training_kml
from support.data import TEST_DATA
from support.wudapt_files import ring

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


@pytest.fixture(scope="module")
def tko_areas() -> PolygonReference:
    return read_training_kml(TEST_DATA / "wudapt" / "tko_training_areas.kml")[0]


def _flagged(areas: PolygonReference, sample_scene, folder):
    result = map_with_training_areas(str(sample_scene), OutputPaths(lcz=str(folder / "lcz.tif")), training_areas=areas,
                                     model=ModelChoice(device="CPU"))
    codes = parse_classes(areas)
    return suspicious_areas(areas, codes, result.cells.groups, result.cross_validation.out_of_fold), result


def test_of_the_areas_as_drawn_only_the_one_the_model_doubts_is_flagged(tko_areas, sample_scene, tmp_path) -> None:
    """Square 12 lies on a block the PRD map calls dense trees (A); the model alone calls its cells bush (C) and low
    plants (D), and the cross-validated adapter puts 3 of its 5 cells in C: the factsheet's kind of doubt."""
    flagged, result = _flagged(tko_areas, sample_scene, tmp_path)
    assert [(a.number, a.reasons, a.label, a.predicted_label) for a in flagged] == [(12, [MISCLASSIFIED], "A", "C")]
    assert result.cross_validation.out_of_fold.shape == (result.training_cells, 17)
    np.testing.assert_allclose(result.cross_validation.out_of_fold.sum(axis=1), 1.0, atol=1e-5)


def test_a_mislabelled_polygon_is_flagged_with_the_class_it_looks_like(tko_areas, sample_scene, tmp_path) -> None:
    """Polygon 1 lies on open high-rise (LCZ 4); filed under G (water), it must be flagged as looking like LCZ 4."""
    features = list(tko_areas.features)
    features[0] = (features[0][0], 17)
    planted = PolygonReference(features, tko_areas.crs_wkt, "planted", "folder")
    flagged, _ = _flagged(planted, sample_scene, tmp_path)
    assert [(a.number, a.reasons, a.label, a.predicted_label) for a in flagged] == [(1, [MISCLASSIFIED], "G", "4"),
                                                                                   (12, [MISCLASSIFIED], "A", "C")]
    assert CONFIDENCE <= flagged[0].confidence <= 1.0 and flagged[0].wkb == features[0][0]


def test_overlapping_polygons_of_two_classes_are_both_flagged(tko_areas) -> None:
    """A dense-trees square drawn half over polygon 2 (LCZ 4): both are flagged, each naming the other; a polygon of
    the same class overlapping is not a conflict."""
    from osgeo import ogr

    x, y = 114.26095 + 0.001, 22.3091
    square = ogr.CreateGeometryFromWkt("POLYGON ((" + ", ".join(
        " ".join(point.split(",")[:2]) for point in ring(x, y).split()) + "))")
    features = [*tko_areas.features, (bytes(square.ExportToWkb()), 11), (bytes(square.ExportToWkb()), 4)]
    areas = PolygonReference(features, tko_areas.crs_wkt, "overlaps", "folder")
    flagged = suspicious_areas(areas, parse_classes(areas), None, None)
    assert [(a.number, a.reason, a.overlaps) for a in flagged] == [(2, OVERLAP, [19]), (19, OVERLAP, [2, 20]),
                                                                   (20, OVERLAP, [19])]


def test_the_rule_at_its_edges() -> None:
    """Oracle on planted probabilities: most cells in another class AND their mean probability of it >= CONFIDENCE."""
    groups = np.array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    codes = [4, 4, 4]

    def cells(share_other: int, p_other: float) -> np.ndarray:
        rows = np.full((4, 17), (1 - p_other) / 16)
        rows[:, 16] = p_other  # G
        rows[share_other:, 16], rows[share_other:, 3] = 0.0, 1.0  # the rest: their own class 4
        rows[share_other:] /= rows[share_other:].sum(axis=1, keepdims=True)
        return rows

    out_of_fold = np.concatenate([cells(3, 0.61), cells(4, 0.59), cells(2, 0.99)])
    found = misclassified(codes, groups, out_of_fold)
    # polygon 1: 3 of 4 cells in G at 0.61 (its fourth cell, in class 4, does not lower the mean)
    assert list(found) == [1] and found[1][0] == 17 and found[1][1] == pytest.approx(0.61)
    # polygon 2: every cell in G but not confident enough; polygon 3: only half its cells elsewhere
    assert misclassified(codes, groups, out_of_fold, confidence=0.5).keys() == {1, 2}
