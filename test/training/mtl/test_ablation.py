"""The Table I ablation command (training/mtl/ablation.py): every preset trained and scored the same way.

Data: 32 x 32 crops of the bundled real Sentinel-2 sample with SYNTHETIC TEST LABELS (the fixed rule of
support/training_data.py: water -> LCZ G, NDVI > 0.4 -> LCZ A, else LCZ 2 and HSE 1). Training crops come
from the western half of the scene and validation crops from the eastern half (a stand-in for a city
split). Two optimizer steps per preset at width 4: the scores are meaningless, only the plumbing is tested.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from support.data import SAMPLE_SCENE  # noqa: E402
from support.training_data import read_sample, scene_datasets, synthetic_labels  # noqa: E402
from training.mtl import ablation, metrics  # noqa: E402
from training.mtl.network import PRESETS, MultiTaskNet, preset  # noqa: E402
from training.mtl.train import TrainConfig, load_checkpoint  # noqa: E402

torch.set_num_threads(1)
CROP = 32


class SyntheticCrops(torch.utils.data.Dataset):
    """Fixed 32 x 32 crops of the sample at the given origins, with SYNTHETIC test labels.

    Every third crop has no HSE label and its top rows have no LCZ label, so the masks are exercised.
    """

    def __init__(self, image: np.ndarray, origins: list[tuple[int, int]]):
        self.image, self.origins = image, origins

    def __len__(self) -> int:
        return len(self.origins)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        y, x = self.origins[index]
        crop = np.ascontiguousarray(self.image[:, y : y + CROP, x : x + CROP])
        lcz, hse = synthetic_labels(crop)
        mask = np.ones(lcz.shape[1:], dtype=bool)
        if index % 3 == 2:
            hse[:] = np.nan
            mask[:8] = False
            lcz[:, :8] = 0
        return {"image": torch.from_numpy(crop), "hse": torch.from_numpy(hse), "lcz": torch.from_numpy(lcz),
                "lcz_mask": torch.from_numpy(mask)}


def tiny_datasets() -> tuple[SyntheticCrops, SyntheticCrops]:
    """--data factory: 12 training crops (west half) and 6 validation crops (east half) of the sample."""
    image = read_sample(SAMPLE_SCENE)
    west = [(y, x) for y in range(0, 188, 48) for x in (0, 40, 76)]
    east = [(y, x) for y in (20, 100, 180) for x in (120, 180)]
    return SyntheticCrops(image, west), SyntheticCrops(image, east)


@pytest.fixture(scope="module")
def all_presets(tmp_path_factory) -> tuple[Path, str]:
    """The command line over all seven presets at width 4, one epoch of two steps each."""
    out = tmp_path_factory.mktemp("ablation")
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = ablation.main(["--data", "test_ablation:tiny_datasets", "--out", str(out), "--width", "4",
                              "--epochs", "1", "--max-steps", "2", "--batch-size", "4", "--device", "cpu",
                              "--seed", "3", "--quiet"])
    assert code == 0
    return out, printed.getvalue()


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_table_has_one_row_per_preset_and_the_paper_columns(all_presets):
    out, printed = all_presets
    rows = _csv(out / "ablation.csv")
    assert [r["preset"] for r in rows] == list(PRESETS)
    expected = {"lcz_oa", "lcz_kappa", "lcz_aa", "lcz_wa", "lcz_oa_urban", "lcz_oa_built_natural", "hse_mae_percent",
                "hse_kappa", "hse_aa", "hse_recall", "hse_f1", "tasks", "cbam", "p2f", "weighting", "epochs_run"}
    assert expected <= set(rows[0])
    for name in PRESETS:
        assert (out / name / "best.pt").exists()
        assert f"| {name} |" in printed
    markdown = (out / "ablation.md").read_text()
    for header in ("LCZ OA %", "LCZ Kappa", "LCZ AA %", "LCZ WA %", "LCZ OAu %", "LCZ OAbu %", "HSE MAE %",
                   "HSE Kappa", "HSE AA %", "HSE recall %", "HSE F %"):
        assert header in markdown and header in printed
    assert len([line for line in markdown.splitlines() if line.startswith("| ")]) == 1 + len(PRESETS)
    by_name = {r["preset"]: r for r in rows}
    assert by_name["mtl_learned_p2f"]["cbam"] == "no" and by_name["mtl_learned_p2f"]["weighting"] == "learned"
    assert by_name["mtl_equal_cbam_p2f"]["p2f"] == "yes" and by_name["mtl_equal_cbam_p2f"]["weighting"] == "1:1"
    assert all(r["epochs_run"] == "1" for r in rows)


def test_single_task_rows_show_a_dash_for_the_other_task(all_presets):
    out, _ = all_presets
    by_name = {r["preset"]: r for r in _csv(out / "ablation.csv")}
    lcz_keys = [c.key for c in ablation.LCZ_COLUMNS] + ["lcz_n"]
    hse_keys = [c.key for c in ablation.HSE_COLUMNS] + ["hse_n"]
    assert all(by_name["stl_hse"][k] == "-" for k in lcz_keys)
    assert all(by_name["stl_lcz"][k] == "-" for k in hse_keys)
    assert all(by_name["stl_hse"][k] != "-" for k in hse_keys)
    assert all(by_name["stl_lcz"][k] != "-" for k in lcz_keys)
    md_rows = {line.split("|")[1].strip(): line for line in (out / "ablation.md").read_text().splitlines()
               if line.startswith("| stl_")}
    assert md_rows["stl_hse"].count("| - |") >= 1 and md_rows["stl_lcz"].count(" - |") >= len(hse_keys)


def test_scores_are_finite_and_in_range(all_presets):
    out, _ = all_presets
    # 6 validation crops: 2 of them without HSE (16 x 16 cells each) and with 8 unlabelled LCZ rows
    for row in _csv(out / "ablation.csv"):
        config = preset(row["preset"])
        if config.has_lcz:
            assert int(row["lcz_n"]) == 6 * CROP * CROP - 2 * 8 * CROP
            for key in ("lcz_oa", "lcz_aa", "lcz_wa", "lcz_oa_built_natural"):
                assert 0.0 <= float(row[key]) <= 1.0
            assert -1.0 <= float(row["lcz_kappa"]) <= 1.0
        if config.has_hse:
            assert int(row["hse_n"]) == 4 * (CROP // 2) ** 2
            assert 0.0 <= float(row["hse_mae_percent"]) <= 100.0
            for key in ("hse_aa", "hse_recall", "hse_f1"):
                assert 0.0 <= float(row[key]) <= 1.0
        assert math.isfinite(float(row["seconds"]))


def test_accumulated_scores_equal_metrics_on_the_whole_arrays():
    """Batch-wise sums give the scores metrics.py computes on all the pixels at once."""
    rng = np.random.default_rng(0)
    acc = ablation.ScoreAccumulator(hse_threshold=0.3)
    preds, refs, lcz_pred, lcz_ref = [], [], [], []
    for _ in range(3):
        p = rng.random((2, 1, 4, 4)).astype(np.float32)
        r = rng.random((2, 1, 4, 4)).astype(np.float32)
        r[0, 0, 0] = np.nan
        acc.add_hse(torch.from_numpy(p), torch.from_numpy(r), None)
        preds.append(p[np.isfinite(r)])
        refs.append(r[np.isfinite(r)])
        probs = rng.random((2, 17, 4, 4)).astype(np.float32)
        label = np.eye(17, dtype=np.float32)[rng.integers(0, 17, (2, 4, 4))].transpose(0, 3, 1, 2)
        mask = rng.random((2, 4, 4)) > 0.3
        acc.add_lcz(torch.from_numpy(probs), torch.from_numpy(label), torch.from_numpy(mask))
        lcz_pred.append(probs.argmax(1)[mask] + 1)
        lcz_ref.append(label.argmax(1)[mask] + 1)
    expected = metrics.hse_scores(np.concatenate(preds), np.concatenate(refs), threshold=0.3)
    got = acc.hse_scores()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, nan_ok=True), key
    cm = metrics.confusion_matrix(np.concatenate(lcz_ref), np.concatenate(lcz_pred))
    np.testing.assert_array_equal(acc.lcz_cm, cm)
    assert acc.lcz_scores()["oa"] == pytest.approx(metrics.overall_accuracy(cm))


def test_patch_labels_are_scored_against_the_pooled_prediction():
    """A (1, 1) patch label is compared with the argmax of the patch-mean probabilities."""
    probs = torch.zeros(1, 17, 2, 2)
    probs[0, 4, 0, 0] = 1.0  # one cell says LCZ 5 ...
    probs[0, 1, :, :] = 0.4  # ... but on average LCZ 2 wins (0.4 vs 0.25)
    label = torch.zeros(1, 17, 1, 1)
    label[0, 1] = 0.7
    label[0, 3] = 0.3
    acc = ablation.ScoreAccumulator()
    acc.add_lcz(probs, label, torch.ones(1, 1, 1, dtype=torch.bool))
    assert acc.lcz_cm[1, 1] == 1 and acc.lcz_cm.sum() == 1
    acc.add_lcz(probs, torch.zeros(1, 17, 1, 1), torch.ones(1, 1, 1, dtype=torch.bool))  # empty label: skipped
    assert acc.lcz_cm.sum() == 1



def test_dense_scene_labels_from_the_scene_reader(tmp_path):
    """Two presets on data_scenes patches: dense 10 m LCZ labels and 20 m HSE are scored on every labelled pixel."""
    train, val = scene_datasets(tmp_path)
    config = TrainConfig(epochs=1, max_steps_per_epoch=1, batch_size=4, progress=False, seed=0)
    rows = ablation.run_ablation(train, val, tmp_path / "out", presets=["stl_lcz", "mtl_learned_cbam_p2f"],
                                 config=config, width=4, log=lambda message: None)
    labelled_pixels = sum(int(val[i]["lcz_mask"].sum()) for i in range(len(val)))
    labelled_cells = sum(int(torch.isfinite(val[i]["hse"]).sum()) for i in range(len(val)))
    assert labelled_pixels > 0 and labelled_cells > 0
    assert rows[0]["lcz_n"] == rows[1]["lcz_n"] == labelled_pixels
    assert rows[0]["hse_n"] is None and rows[1]["hse_n"] == labelled_cells
    assert math.isfinite(rows[1]["lcz_oa"]) and math.isfinite(rows[1]["hse_mae_percent"])


def test_evaluate_model_reports_only_the_tasks_of_the_model():
    train, val = tiny_datasets()
    model = MultiTaskNet(preset("stl_lcz", width=4))
    scores = ablation.evaluate_model(model, val, batch_size=3)
    assert scores["hse"] is None and scores["lcz"]["n"] > 0
    with pytest.raises(ValueError, match="validation"):
        ablation.run_ablation(train, None, "unused")


def test_last_checkpoint_is_scored_when_asked(tmp_path):
    """checkpoint="last" (the distillation recipe's fixed budget) scores the final weights, not the best epoch."""
    train, val = tiny_datasets()
    config = TrainConfig(epochs=2, max_steps_per_epoch=2, batch_size=3, progress=False, seed=0, patience=2)
    (row,) = ablation.run_ablation(train, val, tmp_path / "out", presets=["stl_lcz"], config=config, width=4,
                                   checkpoint="last", log=lambda message: None)
    assert row["checkpoint"] == "last"
    model, saved = load_checkpoint(tmp_path / "out" / "stl_lcz" / "last.pt")
    assert saved["epoch"] == 2
    assert ablation.evaluate_model(model, val, batch_size=3)["lcz"]["oa"] == row["scores"]["lcz"]["oa"]
