"""The LCZ uncertainty layer: core.uncertainty on synthetic arrays, the engine's refusal for models that cannot give
it, and the bundled So2Sat ResNet20's layer on the bundled real Sentinel-2 sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.model import DEFAULT_MODEL_PATH
from core.options import ModelChoice
from core.products import UNCERTAINTY_NODATA
from core.uncertainty import QUANTILES, UNCERTAINTY_KIND, UncertaintyCalibration, ratio_of_nearest_medians
from support.engine_fixtures import read

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


def calibration_text(medians: list[list[float] | None]) -> str:
    return json.dumps({"kind": UNCERTAINTY_KIND, "medians": medians, "quantiles": {
        "one_minus_max_probability": list(np.linspace(0.0, 0.8, len(QUANTILES))),
        "median_distance_ratio": list(np.linspace(0.2, 1.0, len(QUANTILES)))}})


def test_ratio_of_nearest_medians() -> None:
    distances = np.array([[1.0, 4.0, 2.0], [3.0, 3.0, 9.0]])
    np.testing.assert_allclose(ratio_of_nearest_medians(distances), [0.5, 1.0])


def test_score_is_calibrated_and_grows_with_hesitation_and_with_the_distance_ratio() -> None:
    calibration = UncertaintyCalibration.from_metadata(calibration_text([[0.0, 0.0], None, [10.0, 0.0]]))
    assert calibration.uses_embedding and calibration.medians.shape == (2, 2)
    p = np.full((3, 17), 0.01)
    p[:, 0] = [0.9, 0.5, 0.2]
    embedding = np.array([[0.5, 0.0], [5.0, 0.0], [5.0, 0.0]])  # near a median, then halfway between two
    score = calibration.score(p, embedding)
    assert ((score >= 0) & (score <= 1)).all() and score[0] < score[1] < score[2]
    np.testing.assert_allclose(score[2], (np.interp(0.8, [0.0, 0.8], [0, 1]) + np.interp(1.0, [0.2, 1.0], [0, 1])) / 2)
    plain = UncertaintyCalibration.from_metadata(None)  # no calibration: 1 - max probability as it is
    np.testing.assert_allclose(plain.score(p, None), 1 - p.max(axis=1), rtol=1e-6)


@pytest.mark.parametrize("text", ["{", json.dumps({"kind": "other"}), calibration_text([[1.0, 2.0]]),
                                  calibration_text([[0.0], [1.0]]).replace('"kind"', '"parts": ["x"], "kind"')])
def test_a_broken_calibration_is_refused(text: str) -> None:
    with pytest.raises(EngineError, match="uncertainty"):
        UncertaintyCalibration.from_metadata(text, "m.onnx")


def test_models_without_embedding_or_calibration_are_refused_before_computing(
        tmp_path: Path, sample_scene: Path, dense_model: Path, patch_model: Path) -> None:
    for model in (dense_model, patch_model):
        out = tmp_path / model.stem
        with pytest.raises(EngineError, match="cannot map the LCZ uncertainty"):
            map_scene(str(sample_scene), OutputPaths(lcz=str(out / "lcz.tif"), uncertainty=str(out / "u.tif")),
                      model=ModelChoice(model_path=str(model)))
        assert not out.exists()


def test_the_bundled_model_maps_its_uncertainty_on_the_real_sample(tmp_path: Path, sample_scene: Path) -> None:
    result = map_scene(str(sample_scene),
                       OutputPaths(lcz=str(tmp_path / "lcz.tif"), uncertainty=str(tmp_path / "u.tif"),
                                   probabilities=str(tmp_path / "p.tif")),
                       model=ModelChoice(model_path=str(DEFAULT_MODEL_PATH), device="CPU"))
    lcz, u, p = (read(path)[0] for path in (result.lcz, result.uncertainty, result.probabilities))
    valid = lcz > 0
    assert (u[~valid] == UNCERTAINTY_NODATA).all() and ((u[valid] >= 0) & (u[valid] <= 1)).all()
    assert u[valid].std() > 0.05  # it varies over the scene
    hesitation = 1 - p.max(axis=0)[valid]
    assert np.corrcoef(u[valid], hesitation)[0, 1] > 0.5  # half of the score is the calibrated 1 - max p


def test_the_lcz_only_model_maps_the_same_uncertainty_as_the_default(tmp_path: Path, sample_scene: Path) -> None:
    """Model v3 carries the So2Sat ResNet20's LCZ, embedding and calibration unchanged: its uncertainty layer is
    the LCZ-only model's, bit for bit."""
    from core.model import bundled_model_path

    layers = []
    for index in (0, 1):
        out = tmp_path / str(index)
        out.mkdir()
        result = map_scene(str(sample_scene), OutputPaths(lcz=str(out / "lcz.tif"), uncertainty=str(out / "u.tif")),
                           model=ModelChoice(model_path=str(bundled_model_path(index)), device="CPU"))
        layers.append(read(result.uncertainty)[0])
    np.testing.assert_array_equal(layers[0], layers[1])
    assert layers[0].std() > 0.05
