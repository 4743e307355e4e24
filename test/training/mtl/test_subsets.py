"""The Koller et al. subset experiment (training/mtl/subsets.py): classes, UT / UTS / R subsets, retraining.

Data: tiny So2Sat-layout HDF5 files built here from 32 x 32 crops of the bundled real Sentinel-2 sample,
each with a patch label that is the majority class of the SYNTHETIC TEST LABELS of support/training_data.py
(water -> LCZ G, NDVI > 0.4 -> LCZ A, else LCZ 2); a few training samples carry no label at all. Two
optimizer steps per run at width 4: the scores are meaningless, only the plumbing is tested.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
from pathlib import Path

import h5py
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from support.data import SAMPLE_SCENE  # noqa: E402
from support.training_data import read_sample, scene_datasets, synthetic_labels  # noqa: E402
from training.mtl import subsets  # noqa: E402
from training.mtl.data_h5 import So2SatTorchDataset  # noqa: E402
from training.mtl.train import TrainConfig  # noqa: E402

torch.set_num_threads(1)
SAMPLE = SAMPLE_SCENE
UNLABELLED = (5, 17, 30)  # training samples written without any label
FILES: dict[str, Path] = {}  # the HDF5 files of this module's run, for the --data factory


def write_so2sat(path: Path, image: np.ndarray, origins: list[tuple[int, int]],
                 unlabelled: tuple[int, ...] = ()) -> Path:
    """A So2Sat-layout file: sen2 reflectance crops (N, 32, 32, 10), label one-hot of the patch's majority class."""
    crops = np.stack([image[:, y : y + 32, x : x + 32] for y, x in origins])
    labels = np.zeros((len(origins), 17), dtype=np.float32)
    for i, crop in enumerate(crops):
        if i not in unlabelled:
            labels[i, synthetic_labels(crop)[0].sum(axis=(1, 2)).argmax()] = 1.0
    with h5py.File(path, "w") as f:
        f["sen1"] = np.zeros((len(origins), 32, 32, 8), dtype=np.float32)
        f["sen2"] = crops.transpose(0, 2, 3, 1) / 10000.0
        f["label"] = labels
    return path


@pytest.fixture(scope="module")
def so2sat_files(tmp_path_factory) -> dict[str, Path]:
    """40 training crops (rows 0..118 of the sample) and 12 validation crops (rows 150..)."""
    folder = tmp_path_factory.mktemp("so2sat")
    image = read_sample(SAMPLE)
    train = [(y, x) for y in range(0, 120, 24) for x in range(0, 188, 24)]
    val = [(y, x) for y in (150, 188) for x in range(0, 188, 32)]
    FILES["train"] = write_so2sat(folder / "train.h5", image, train, UNLABELLED)
    FILES["val"] = write_so2sat(folder / "val.h5", image, val)
    return dict(FILES)


def tiny_so2sat() -> tuple[So2SatTorchDataset, So2SatTorchDataset]:
    """--data factory: the files of so2sat_files."""
    return So2SatTorchDataset(FILES["train"]), So2SatTorchDataset(FILES["val"])


@pytest.fixture(scope="module")
def experiment(so2sat_files, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("subsets")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = subsets.main(["--data", "test_subsets:tiny_so2sat", "--out", str(out), "--preset", "stl_lcz",
                             "--width", "4", "--epochs", "1", "--max-steps", "2", "--batch-size", "8",
                             "--device", "cpu", "--seed", "1", "--quiet", "--fractions", "0.25", "0.5",
                             "--strategies", "UT", "UTS", "R"])
    assert code == 0
    return out, printed.getvalue()


# ------------------------------------------------------------------------------------------ classes
def test_sample_class_is_the_patch_label_or_the_majority_of_a_dense_label():
    lcz = torch.zeros(4, 17, 2, 2)
    lcz[0, 3, 0, 0] = 1.0  # patch-sized dense: three pixels of LCZ 9, one of LCZ 4 -> LCZ 9 (index 8)
    lcz[0, 8, 0, 1] = lcz[0, 8, 1, 0] = lcz[0, 8, 1, 1] = 1.0
    lcz[1, 3] = 1.0  # all LCZ 4, but the mask keeps only pixel (1, 1), which says LCZ 14 after this:
    lcz[1, :, 1, 1] = 0.0
    lcz[1, 13, 1, 1] = 1.0
    lcz[2, 5, 0, 0], lcz[2, 6, 0, 0] = 0.4, 0.6  # soft label on one pixel -> LCZ 7 (index 6)
    mask = torch.ones(4, 2, 2, dtype=torch.bool)
    mask[1] = False
    mask[1, 1, 1] = True
    mask[3] = False  # no label
    assert subsets.sample_class(lcz, mask).tolist() == [8, 13, 6, -1]
    patch = torch.zeros(2, 17, 1, 1)
    patch[0, 16] = 1.0
    assert subsets.sample_class(patch, torch.ones(2, 1, 1, dtype=torch.bool)).tolist() == [16, -1]


# ----------------------------------------------------------------------------------------- selection
def _toy(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = rng.choice([0, 3, 10, 16], size=n, p=[0.5, 0.25, 0.15, 0.1])
    classes[[2, 9]] = -1
    return rng.random(n), classes


def test_subset_sizes_stratification_and_unlabelled_samples():
    uncert, classes = _toy()
    labelled = np.flatnonzero(classes >= 0)
    chosen = subsets.select_subsets(uncert, classes, [0.25, 0.5], ["UT", "uts", "R"], seed=4)
    assert set(chosen) == {(s, f) for s in ("UT", "UTS", "R") for f in (0.25, 0.5)}
    for (strategy, fraction), idx in chosen.items():
        assert np.all(np.diff(idx) > 0)
        assert {2, 9} <= set(idx.tolist())  # samples without an LCZ label are in every subset
        picked = np.setdiff1d(idx, [2, 9])
        if strategy == "UTS":
            for c in np.unique(classes[labelled]):
                members = labelled[classes[labelled] == c]
                assert np.isin(picked, members).sum() == int(np.floor(fraction * len(members) + 0.5))
        else:
            assert len(picked) == int(np.floor(fraction * len(labelled) + 0.5))
    again = subsets.select_subsets(uncert, classes, [0.5], ["R"], seed=4)
    np.testing.assert_array_equal(again[("R", 0.5)], chosen[("R", 0.5)])
    other = subsets.select_subsets(uncert, classes, [0.5], ["R"], seed=5)
    assert not np.array_equal(other[("R", 0.5)], chosen[("R", 0.5)])
    with pytest.raises(ValueError):
        subsets.select_subsets(uncert, classes, [0.0], ["UT"])
    with pytest.raises(ValueError, match="selects none"):
        subsets.select_subsets(uncert[:3], np.array([0, 1, 1]), [0.1], ["UT"])


def test_ut_keeps_the_lowest_distances():
    uncert, classes = _toy()
    labelled = np.flatnonzero(classes >= 0)
    idx = subsets.select_subsets(uncert, classes, [0.25], ["UT"])[("UT", 0.25)]
    kept = np.setdiff1d(idx, [2, 9])
    dropped = np.setdiff1d(labelled, kept)
    assert uncert[kept].max() < uncert[dropped].min()


def test_equal_step_budget_draws_the_full_set_size_from_a_subset():
    full = torch.utils.data.TensorDataset(torch.arange(20))
    subset = torch.utils.data.Subset(full, [1, 4, 7, 8, 15])
    config = TrainConfig(batch_size=4, seed=2)
    steps = subsets.budget_loader(subset, config, samples_per_epoch=len(full))
    assert len(steps) == len(subsets.budget_loader(full, config)) == 5
    drawn = torch.cat([b[0] for b in steps]).tolist()
    assert len(drawn) == 20 and sorted(set(drawn)) == [1, 4, 7, 8, 15] and all(drawn.count(v) == 4 for v in set(drawn))
    assert len(subsets.budget_loader(subset, config)) == 2  # equal epochs: fewer steps


# ------------------------------------------------------------------------------------- whole runs
def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_experiment_writes_the_table_and_the_selections(experiment):
    out, printed = experiment
    rows = _csv(out / "subsets.csv")
    assert [(r["strategy"], r["fraction"]) for r in rows] == [("full", "1.0")] + [
        (s, f) for s in ("UT", "UTS", "R") for f in ("0.25", "0.5")]
    assert all(r["hse_mae_percent"] == "-" for r in rows)  # stl_lcz: no HSE task
    for r in rows:
        assert 0.0 <= float(r["lcz_oa"]) <= 1.0 and int(r["lcz_n"]) == 12
        assert r["epochs_run"] == "1"
    assert "| UTS | 0.5 |" in printed and (out / "subsets.md").read_text().count("\n| ") == 2 + 6  # header and 7 rows
    embeddings, classes, uncert = (np.load(out / f"{n}.npy") for n in ("embeddings", "classes", "uncertainty"))
    assert embeddings.shape == (40, 16) and classes.shape == (40,)  # 4f with f = 4
    assert sorted(np.flatnonzero(classes < 0).tolist()) == list(UNLABELLED)
    assert np.isnan(uncert[list(UNLABELLED)]).all() and np.isfinite(np.delete(uncert, UNLABELLED)).all()
    labelled = np.flatnonzero(classes >= 0)
    ut = np.load(out / "indices" / "UT_0.25.npy")
    kept = np.setdiff1d(ut, UNLABELLED)
    assert len(kept) == 9 and len(ut) == 9 + len(UNLABELLED)  # round(0.25 x 37)
    assert uncert[kept].max() <= uncert[np.setdiff1d(labelled, kept)].min()
    by_key = {(r["strategy"], r["fraction"]): r for r in rows}
    assert by_key[("UT", "0.25")]["n_train"] == str(len(ut)) and by_key[("full", "1.0")]["n_train"] == "40"
    for name in ("reference", "UT_0.25", "R_0.5"):
        assert (out / name / "best.pt").exists()


def test_a_reference_checkpoint_is_used_instead_of_training(experiment, so2sat_files, tmp_path):
    out, _ = experiment
    train, val = tiny_so2sat()
    rows = subsets.run_subsets(train, val, tmp_path, fractions=[0.5], strategies=["UTS"],
                               reference=out / "reference" / "best.pt",
                               config=TrainConfig(epochs=1, max_steps_per_epoch=1, batch_size=8, progress=False),
                               log=lambda message: None)
    assert [r["strategy"] for r in rows] == ["full (reference checkpoint)", "UTS"]
    assert not (tmp_path / "reference").exists()
    # the same reference weights give the same embeddings
    np.testing.assert_allclose(np.load(tmp_path / "embeddings.npy"), np.load(out / "embeddings.npy"), atol=1e-5)


@dataclasses.dataclass(frozen=True)
class _Where:
    index: int
    k: int = 0
    flip: bool = False


class _RandomPatches(torch.utils.data.Dataset):
    """Stand-in for a random-patch training dataset: mode "random" and a sampler with a fixed grid."""

    mode = "random"

    class sampler:  # noqa: N801 - mimics an attribute holding a sampler
        augment = True

        @staticmethod
        def grid(stride=None):
            return [_Where(i) for i in range(3)]

        @staticmethod
        def sample(where):
            image = np.zeros((10, 8, 8), dtype=np.float32)
            image[0, 0, 0] = where.index
            return {"image": np.rot90(image, where.k, axes=(1, 2)), "lcz": np.zeros((17, 1, 1), np.float32)}

    def __len__(self) -> int:
        return 99


def test_random_patch_datasets_become_their_fixed_grid():
    messages = []
    pool = subsets.fixed_pool(_RandomPatches(), messages.append)
    assert isinstance(pool, subsets.FixedPatchPool) and len(pool) == 3 and "3 fixed grid windows" in messages[0]
    assert pool.augment
    pool.augment = False
    assert [float(pool[i]["image"][0, 0, 0]) for i in range(3)] == [0.0, 1.0, 2.0]
    plain = torch.utils.data.TensorDataset(torch.zeros(2))
    assert subsets.fixed_pool(plain) is plain


def test_scene_patches_use_the_fixed_grid_and_the_majority_class(tmp_path):
    """data_scenes' random training patches: the pool becomes the sampler's grid; classes are patch majorities."""

    train, val = scene_datasets(tmp_path)
    assert train.mode == "random"
    messages: list[str] = []
    config = TrainConfig(epochs=1, max_steps_per_epoch=1, batch_size=4, progress=False)
    rows = subsets.run_subsets(train, val, tmp_path / "out", fractions=[0.5], strategies=["UTS"],
                               network="mtl_equal_cbam", config=config, log=messages.append)
    places = train.sampler.grid()
    assert any(f"{len(places)} fixed grid windows" in m for m in messages)
    classes = np.load(tmp_path / "out" / "classes.npy")
    expected = []
    for where in places:
        patch = train.sampler.sample(where)
        counts = (patch["lcz"] * patch["lcz_mask"]).sum(axis=(1, 2))
        expected.append(int(counts.argmax()) if counts.sum() else -1)
    assert classes.tolist() == expected and len(set(expected)) > 1
    assert [r["strategy"] for r in rows] == ["full", "UTS"]
    assert rows[1]["hse_n"] > 0 and rows[1]["lcz_n"] > 0
