"""Inputs of the wrong kind inside real QGIS (issue 19, item 7): points as training areas or reference polygons,
self-intersecting training areas, an HSE map assessed as LCZ and an LCZ map assessed as densities.

Before: all of them ran without a word (7 points became 7 training cells; both maps scored)."""

from __future__ import annotations

import processing
import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from support.qgis_helpers import scene_copy
from support.qgis_layers import training_areas

SCENE = scene_copy()


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)


def points() -> QgsVectorLayer:
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=lcz:integer", "seven points", "memory")
    features = []
    for index in range(7):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([2 if index < 4 else 11])
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(114.252 + 0.002 * index, 22.30)))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_points_as_training_areas_are_refused(plugin, tmp_path):
    with pytest.raises(QgsProcessingException, match="The layer seven points holds 7 points, not polygons: training "
                                                     "areas must be polygons"):
        processing.run("hselcz:map_training_areas", {
            "INPUT": str(SCENE), "TRAINING_AREAS": points(), "CLASS_FIELD": "lcz",
            "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), "OUTPUT_HTML": str(tmp_path / "cv.html")})
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def maps(plugin, tmp_path_factory):
    """The sample mapped with the multi-task model: an LCZ map and an HSE map."""
    folder = tmp_path_factory.mktemp("maps")
    return processing.run("hselcz:map", {"INPUT": str(SCENE), "BUNDLED_MODEL": 1, "OUTPUT_LCZ": str(folder / "lcz.tif"),
                                         "OUTPUT_HSE": str(folder / "hse.tif")})


def test_points_as_reference_polygons_are_refused(maps, tmp_path):
    with pytest.raises(QgsProcessingException, match="holds 7 points, not polygons: reference polygons must be"):
        processing.run("hselcz:assess_lcz", {"PREDICTION": maps["OUTPUT_LCZ"], "REFERENCE_POLYGONS": points(),
                                             "CLASS_FIELD": "lcz", "OUTPUT_HTML": str(tmp_path / "r.html")})
    assert list(tmp_path.iterdir()) == []


def test_self_intersecting_training_areas_are_repaired_and_counted(plugin, tmp_path):
    layer = training_areas()
    bow_tie = QgsFeature(layer.fields())
    bow_tie.setAttributes([2])
    x, y = 114.258, 22.293
    bow_tie.setGeometry(QgsGeometry.fromWkt(
        f"POLYGON (({x} {y}, {x + 0.003} {y + 0.003}, {x + 0.003} {y}, {x} {y + 0.003}, {x} {y}))"))
    layer.dataProvider().addFeatures([bow_tie])
    feedback = Feedback()
    results = processing.run("hselcz:map_training_areas", {
        "INPUT": str(SCENE), "TRAINING_AREAS": layer, "CLASS_FIELD": "lcz", "FOLDS": 2,
        "OUTPUT_LCZ": str(tmp_path / "lcz.tif")}, feedback=feedback)
    assert results["OUTPUT_LCZ"]
    assert any("1 polygon(s) of six squares were invalid" in w and "1 repaired" in w for w in feedback.warnings), (
        feedback.warnings)


def test_an_hse_map_assessed_as_lcz_is_refused(maps, tmp_path):
    with pytest.raises(QgsProcessingException, match=r"The map hse.tif is not an LCZ map of class codes 1-17: its "
                                                     r"metadata says .*Assess a settlement density map"):
        processing.run("hselcz:assess_lcz", {"PREDICTION": maps["OUTPUT_HSE"], "REFERENCE": maps["OUTPUT_LCZ"],
                                             "OUTPUT_HTML": str(tmp_path / "r.html")})
    with pytest.raises(QgsProcessingException, match="The reference hse.tif is not an LCZ map"):
        processing.run("hselcz:assess_lcz", {"PREDICTION": maps["OUTPUT_LCZ"], "REFERENCE": maps["OUTPUT_HSE"]})
    assert list(tmp_path.iterdir()) == []


def test_an_lcz_map_assessed_as_densities_is_refused(maps, tmp_path):
    with pytest.raises(QgsProcessingException, match=r"The map lcz.tif is not a settlement density map .*Assess a "
                                                     r"local climate zone map"):
        processing.run("hselcz:assess_hse", {"PREDICTION": maps["OUTPUT_LCZ"], "REFERENCE": maps["OUTPUT_HSE"],
                                             "OUTPUT_HTML": str(tmp_path / "r.html")})
    with pytest.raises(QgsProcessingException, match="The reference lcz.tif is not a settlement density map"):
        processing.run("hselcz:assess_hse", {"PREDICTION": maps["OUTPUT_HSE"], "REFERENCE": maps["OUTPUT_LCZ"]})
    assert list(tmp_path.iterdir()) == []
