"""Layers named after what made them (issue 19, item 10): model alone or adapted, default or multi-task model, one
date or several. Before: every run's LCZ layer was "Local climate zones", so two runs side by side in a project
could not be told apart."""

from __future__ import annotations

import processing
from qgis.core import QgsProcessingFeedback, QgsProject

from support.qgis_helpers import scene_copy
from support.qgis_layers import training_areas

SCENE = scene_copy()


def loaded_names(algorithm: str, parameters: dict) -> list[str]:
    project = QgsProject.instance()
    project.removeAllMapLayers()
    try:
        processing.runAndLoadResults(algorithm, parameters)
        return sorted(layer.name() for layer in project.mapLayers().values())
    finally:
        project.removeAllMapLayers()


def test_layers_are_named_after_what_made_them(plugin, tmp_path):
    base = {"INPUT": str(SCENE), "OUTPUT_HSE": "TEMPORARY_OUTPUT"}
    default = loaded_names("hselcz:map", {**base, "OUTPUT_LCZ": str(tmp_path / "a.tif")})  # model v3
    lcz_only = loaded_names("hselcz:map", {**base, "BUNDLED_MODEL": 0, "OUTPUT_LCZ": str(tmp_path / "b.tif")})
    base = {**base, "BUNDLED_MODEL": 0}
    dates = loaded_names("hselcz:map", {**base, "MORE_DATES": [str(SCENE)], "OUTPUT_LCZ": str(tmp_path / "c.tif")})
    adapted = loaded_names("hselcz:map_training_areas", {
        **base, "TRAINING_AREAS": training_areas(), "CLASS_FIELD": "lcz", "FOLDS": 2,
        "OUTPUT_LCZ": str(tmp_path / "d.tif")})
    scene = SCENE.stem
    assert lcz_only == [f"Local climate zones: {scene} (So2Sat ResNet20)"]
    assert default == [f"Local climate zones: {scene} (multi-task v3)",
                       f"Settlement density (HSE): {scene} (multi-task v3)"]
    assert dates == [f"Local climate zones: {scene} + 1 more date(s) (So2Sat ResNet20)"]
    assert adapted == [f"Local climate zones: {scene} (So2Sat ResNet20, adapted to six squares)"]


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []
        self.infos: list[str] = []

    def pushWarning(self, warning: str) -> None:  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)

    def pushInfo(self, info: str) -> None:  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)


def test_a_default_run_does_not_warn_about_an_hse_layer_nobody_asked_for(plugin, tmp_path):
    """The dialog's defaults with the LCZ-only model: the HSE output a temporary layer the model cannot make. Before: an
    orange warning about the HSE layer. A file named for it is still warned about (test/qgis/test_qgis_plugin.py)."""
    feedback = Feedback()
    results = processing.run("hselcz:map", {"INPUT": str(SCENE), "BUNDLED_MODEL": 0,
                                            "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), "OUTPUT_HSE": "TEMPORARY_OUTPUT"},
                             feedback=feedback)
    assert results["OUTPUT_HSE"] is None and (tmp_path / "lcz.tif").is_file()
    assert feedback.warnings == []
    assert any("has no HSE output, so the layer 'Settlement density (HSE)' is not made" in line
               for line in feedback.infos), feedback.infos
