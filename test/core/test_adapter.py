"""core.adapter (fit, apply, save, grouped cross-validation) and core.training_areas (classes, warnings):
numpy and OGR only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.adapter import LczAdapter, cell_features, cross_validate, polygon_folds
from core.assessment import PolygonReference
from core.errors import EngineError
from core.options import ModelChoice
from core.training_areas import TrainingCells, parse_classes, training_area_warnings
from support.raster_fixtures import HONG_KONG_ORIGIN, square


def clusters(codes: list[int], per_class: int, features: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per code, well apart."""
    rng = np.random.default_rng(seed)
    centres = {code: rng.normal(0, 4, features) for code in codes}
    x = np.concatenate([centres[c] + rng.normal(0, 1, (per_class, features)) for c in codes])
    return x, np.repeat(codes, per_class)


def probabilities_for(labels: np.ndarray, confidence: float = 0.6) -> np.ndarray:
    p = np.full((len(labels), 17), (1 - confidence) / 16, dtype=np.float32)
    p[np.arange(len(labels)), labels - 1] = confidence
    return p


def test_fit_learns_the_classes_and_keeps_the_model_label_far_from_them() -> None:
    embedding, codes = clusters([2, 6, 11], per_class=40)
    model_says = np.full(len(codes), 8)  # the model is wrong everywhere (LCZ 8, a class without training areas)
    p = probabilities_for(model_says)
    adapter = LczAdapter.fit(cell_features(p, embedding), codes, model="m 1")
    adapted = adapter.adapt(p, embedding).argmax(axis=1) + 1
    # Cells beyond their class's 95 % radius keep the model's label (by design); all others get their class.
    assert (adapted == codes).mean() >= 0.9 and ((adapted == codes) | (adapted == 8)).all()
    far = embedding + 100.0  # nothing like any training area: the model's LCZ 8 is kept
    assert (adapter.adapt(p, far).argmax(axis=1) + 1 == 8).all()
    trained_label = probabilities_for(np.full(len(codes), 6))  # the model names a trained class: adapted anyway
    assert (adapter.adapt(trained_label, far).argmax(axis=1) + 1 != 8).all()


def test_saved_adapter_predicts_the_same_and_foreign_files_are_refused(tmp_path: Path) -> None:
    embedding, codes = clusters([1, 14, 17], per_class=20)
    p = probabilities_for(np.full(len(codes), 14))
    adapter = LczAdapter.fit(cell_features(p, embedding), codes, model="m 1", kind="log-probabilities + 20")
    loaded = LczAdapter.load(adapter.save(tmp_path / "adapter.json"))
    np.testing.assert_allclose(loaded.adapt(p, embedding), adapter.adapt(p, embedding), rtol=1e-6)
    assert loaded.model == "m 1" and list(loaded.classes) == [1, 14, 17]
    with pytest.raises(EngineError, match="fitted on 37 features"):
        loaded.adapt(p, None)
    (tmp_path / "other.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(EngineError, match="not an LCZ adapter"):
        LczAdapter.load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(EngineError, match="Cannot read the adapter"):
        LczAdapter.load(tmp_path / "broken.json")
    with pytest.raises(EngineError, match="only one class"):
        LczAdapter.fit(cell_features(p, embedding)[:5], np.full(5, 1))


def test_folds_keep_polygons_whole_and_classes_spread() -> None:
    groups = np.repeat(np.arange(1, 13), 5)
    codes = np.repeat([1, 1, 1, 1, 2, 2, 2, 2, 11, 11, 11, 11], 5)
    fold = polygon_folds(groups, codes, folds=4)
    for group in np.unique(groups):
        assert np.unique(fold[groups == group]).size == 1
    for code in (1, 2, 11):
        assert np.unique(fold[codes == code]).size == 4  # four polygons of each class in four different folds


def test_cross_validation_by_polygon_does_not_reward_memorised_polygons() -> None:
    """Each polygon has its own signature and a random class: per-cell folds would score ~1, by polygon ~chance."""
    rng = np.random.default_rng(3)
    polygons, cells = 30, 12
    signature = rng.normal(0, 5, (polygons, 40))  # more dimensions than polygons: linearly separable
    polygon_code = rng.choice([2, 5, 12], polygons)
    groups = np.repeat(np.arange(1, polygons + 1), cells)
    embedding = signature[groups - 1] + rng.normal(0, 0.1, (len(groups), 40))
    codes = polygon_code[groups - 1]
    p = probabilities_for(np.full(len(codes), 8))
    result = cross_validate(cell_features(p, embedding), codes, groups, p, embedding, folds=5)
    assert result.scores["oa"] < 0.6 and result.folds == 5
    assert result.model_alone["oa"] == 0.0
    per_cell = cross_validate(cell_features(p, embedding), codes, np.arange(len(codes)), p, embedding, folds=5)
    assert per_cell.scores["oa"] > 0.9  # what a per-cell split would have reported


def areas(values: list[object], squares: list[tuple[float, float, float]]) -> PolygonReference:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    return PolygonReference([(square(*s), v) for v, s in zip(values, squares, strict=True)], srs.ExportToWkt(),
                            "test areas", "lcz")


def test_class_values_accept_codes_and_labels_and_refuse_the_rest() -> None:
    x, y = HONG_KONG_ORIGIN
    ok = areas([3, "A", "LCZ 5", "lcz g", 17.0], [(x, y, 300)] * 5)
    assert parse_classes(ok) == [3, 11, 5, 17, 17]
    with pytest.raises(EngineError, match=r"not LCZ classes: '0' \(1\), '18' \(1\), 'X' \(2\)"):
        parse_classes(areas([0, 18, "X", "X", 2], [(x, y, 300)] * 5))


def test_warnings_name_few_polygons_tiny_areas_and_conflicting_overlaps() -> None:
    x, y = HONG_KONG_ORIGIN
    reference = areas([1, 1, 1, 11, 11], [(x, y, 500), (x + 1000, y, 500), (x + 2000, y, 500),
                                          (x + 200, y - 200, 500), (x + 5000, y, 40)])
    codes = parse_classes(reference)
    cells = TrainingCells(np.array([1, 1, 11]), np.array([1, 2, 4]), probabilities_for(np.array([1, 1, 11])), None)
    warnings = training_area_warnings(reference, codes, cells)
    assert len(warnings) == 3, warnings
    # Counted among the areas used (issue 19): polygons 3 and 5 gave no cell, so LCZ 1 has 2 areas, LCZ A 1.
    assert "fewer than 3 training areas: LCZ 1 (2), LCZ A (1) (counting the areas used; the 2 left out" in warnings[0]
    assert "cover no whole 100 m cell" in warnings[1] and "polygon number(s) 3, 5" in warnings[1]
    assert "different classes overlap: polygons 1 and 4" in warnings[2]
    # Polygon 5 outside the scene is said as such, apart from the one too small.
    warnings = training_area_warnings(reference, codes, cells, outside={5})
    assert "1 training area(s) lie outside the scene and were not used: polygon number(s) 5." in warnings[1]
    assert "1 training area(s) cover no whole 100 m cell" in warnings[2] and "polygon number(s) 3." in warnings[2]


# ------------------------------------------------------------------------------------------- issue 19, item 8
def _saved(tmp_path: Path) -> tuple[Path, dict, np.ndarray, np.ndarray]:
    embedding, codes = clusters([2, 6, 11], per_class=20, features=8)
    p = probabilities_for(np.full(len(codes), 6))
    path = LczAdapter.fit(cell_features(p, embedding), codes, model="m 1").save(tmp_path / "adapter.json")
    return path, json.loads(path.read_text()), p, embedding


@pytest.mark.parametrize(("edit", "fault"), [
    (lambda d: d["weights"].pop(), r"'weights' has the shape 24 x 3 where 3 classes and 25 features per cell need "
                                   r"25 x 3"),
    (lambda d: d["weights"][0].pop(), r"'weights' is not an array of numbers"),
    (lambda d: d["classes"].__setitem__(2, 18), r"'classes' holds 18, which are not LCZ codes 1\.\.17"),
    (lambda d: d["classes"].__setitem__(2, 6), r"'classes' must list at least two different LCZ codes in ascending"),
    (lambda d: d["classes"].__setitem__(0, "2"), r"'classes' is not a list of LCZ codes"),
    (lambda d: d["weights"][3].__setitem__(1, float("nan")), r"'weights' holds 1 value\(s\) that are not finite"),
    (lambda d: d["bias"].__setitem__(0, float("inf")), r"'bias' holds 1 value\(s\) that are not finite"),
    (lambda d: d["scale"].__setitem__(0, 0.0), r"'scale' holds values that are not positive"),
    (lambda d: d.pop("radii"), r"it lacks radii"),
    (lambda d: d["weights"][3].__setitem__(1, d["weights"][3][1] + 0.5), r"its content does not match its checksum"),
    (lambda d: d.pop("sha256"), r"its checksum \(sha256\) is missing"),
])
def test_a_damaged_adapter_file_is_refused_naming_the_file_and_the_fault(tmp_path: Path, edit, fault) -> None:
    """Before: short weights or an unknown class gave a traceback when applied; NaN weights mapped every cell to one
    class without a word; an edited number went unnoticed."""
    path, data, p, embedding = _saved(tmp_path)
    edit(data)
    damaged = tmp_path / "edited.json"
    damaged.write_text(json.dumps(data))  # json writes NaN/Infinity, and Python's json reads them back
    with pytest.raises(EngineError, match=rf"^The adapter {damaged} is damaged: {fault}.*fit the adapter again"):
        LczAdapter.load(damaged)
    assert list(LczAdapter.load(path).classes) == [2, 6, 11]  # the file as the plugin saved it is accepted


def test_an_adapter_saved_before_checksums_is_still_read_and_checked(tmp_path: Path) -> None:
    """Format 1 files (no checksum) stay usable; their shapes, classes and numbers are checked all the same."""
    path, data, p, embedding = _saved(tmp_path)
    del data["sha256"]
    data["format"] = "hselcz-lcz-adapter-1"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    np.testing.assert_array_equal(LczAdapter.load(old).adapt(p, embedding), LczAdapter.load(path).adapt(p, embedding))
    data["radii"][0] = float("nan")
    old.write_text(json.dumps(data))
    with pytest.raises(EngineError, match="is damaged: 'radii' holds 1 value"):
        LczAdapter.load(old)


def test_a_damaged_adapter_stops_the_run_before_anything_is_written(tmp_path: Path, sample_scene: Path) -> None:
    from core.engine import OutputPaths
    from core.training_areas import map_with_training_areas

    path, data, _, _ = _saved(tmp_path)
    data["weights"] = [[float("nan")] * 3 for _ in data["weights"]]
    path.write_text(json.dumps(data))
    out = tmp_path / "out"
    with pytest.raises(EngineError, match=r"is damaged: 'weights' holds 75 value\(s\) that are not finite"):
        map_with_training_areas(str(sample_scene), OutputPaths(lcz=str(out / "lcz.tif")), adapter_path=str(path),
                                model=ModelChoice(device="CPU"))
    assert not out.exists()
