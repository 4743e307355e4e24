"""The So2Sat LCZ42 HDF5 reader on tiny files with that layout, built here."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest

from core.bands import MODEL_BANDS
from training.mtl import data_h5

N = 6
CLASSES = np.array([0, 3, 16, 9, 3, 11])  # 0-based class of each sample


def _sen2(n: int = N, size: int = 32) -> np.ndarray:
    """Reflectance with a known value per (sample, row, column, band): i/10 + band/100 + (y*size+x)*1e-6."""
    i, y, x, b = np.meshgrid(np.arange(n), np.arange(size), np.arange(size), np.arange(10), indexing="ij")
    return (i / 10 + b / 100 + (y * size + x) * 1e-6).astype(np.float64)


def _write(path: Path, votes: np.ndarray | None = None, votes_name: str = "label_distribution", **extra) -> Path:
    with h5py.File(path, "w") as f:
        f["sen1"] = np.zeros((N, 32, 32, 8), dtype=np.float32)
        f["sen2"] = _sen2()
        f["label"] = np.eye(17)[CLASSES]
        if votes is not None:
            f[votes_name] = votes
        for name, value in extra.items():
            f[name] = value
    return path


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    return _write(tmp_path / "plain.h5")


@pytest.fixture()
def voted(tmp_path: Path) -> Path:
    votes = np.eye(17)[CLASSES] * 10
    votes[1] = 0
    votes[1, [3, 4]] = [6, 4]  # 10 voters: 6 for class 3, 4 for class 4 -> (0.6, 0.4)
    votes[5] = 0  # no votes at all: unlabelled
    return _write(tmp_path / "voted.h5", votes=votes)


def test_so2sat_channels_are_our_model_bands() -> None:
    # So2Sat LCZ42 sen2 channel order (Zhu et al. 2020) is taken over unchanged
    assert MODEL_BANDS == ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
    assert data_h5.N_BANDS == len(MODEL_BANDS)


def test_a_sample_in_the_batch_convention(plain: Path) -> None:
    reader = data_h5.So2SatH5(plain)
    assert len(reader) == N and reader.label_key == "label"
    s = reader[2]
    assert set(s) == {"image", "lcz", "lcz_mask", "hse"}
    assert s["image"].shape == (10, 32, 32) and s["image"].dtype == np.float32
    # channel-first, channel order kept, reflectance x 10000 (= DN)
    expected = _sen2()[2].transpose(2, 0, 1) * 10000
    np.testing.assert_allclose(s["image"], expected, rtol=1e-6)
    assert s["image"][4, 3, 5] == pytest.approx((0.2 + 0.04 + (3 * 32 + 5) * 1e-6) * 10000, rel=1e-6)
    assert s["lcz"].shape == (17, 1, 1) and s["lcz"].dtype == np.float32
    np.testing.assert_array_equal(s["lcz"][:, 0, 0], np.eye(17)[16])
    assert s["lcz_mask"].shape == (1, 1) and s["lcz_mask"].dtype == np.bool_ and s["lcz_mask"].all()
    assert s["hse"].shape == (1, 16, 16) and s["hse"].dtype == np.float32 and np.isnan(s["hse"]).all()
    assert reader[-1]["lcz"][11, 0, 0] == 1.0
    with pytest.raises(IndexError):
        reader[N]


def test_iteration_subsets_and_batches(plain: Path) -> None:
    reader = data_h5.So2SatH5(plain, indices=[4, 0, 5])
    assert len(reader) == 3
    assert [int(s["lcz"][:, 0, 0].argmax()) for s in reader] == [3, 0, 11]
    # a batch in any order, with repeats, comes back in the order asked for
    batch = reader.read([2, 0, 2, 1])
    assert batch["image"].shape == (4, 10, 32, 32) and batch["hse"].shape == (4, 1, 16, 16)
    np.testing.assert_array_equal(batch["lcz"][:, :, 0, 0].argmax(axis=1), [11, 3, 11, 0])
    np.testing.assert_allclose(batch["image"][:, 0, 0, 0], [5000, 4000, 5000, 0], atol=1e-3)
    sizes = [len(b["image"]) for b in data_h5.So2SatH5(plain).batches(4)]
    assert sizes == [4, 2]
    np.testing.assert_array_equal(reader.class_indices(chunk=2), [3, 0, 11])
    np.testing.assert_array_equal(data_h5.So2SatH5(plain).class_indices(), CLASSES)
    with pytest.raises(ValueError, match="indices"):
        data_h5.So2SatH5(plain, indices=[0, N])


def test_vote_distributions_are_found_and_normalised(voted: Path) -> None:
    reader = data_h5.So2SatH5(voted)  # "auto" finds label_distribution
    assert reader.label_key == "label_distribution"
    np.testing.assert_allclose(reader[1]["lcz"][[3, 4], 0, 0], [0.6, 0.4])
    assert reader[1]["lcz"].sum() == pytest.approx(1.0) and reader[1]["lcz_mask"].all()
    np.testing.assert_array_equal(reader[0]["lcz"][:, 0, 0], np.eye(17)[0])
    # a sample without votes is unlabelled, its distribution zero (never NaN)
    assert not reader[5]["lcz_mask"].any() and (reader[5]["lcz"] == 0).all()
    # the one-hot labels on request
    onehot = data_h5.So2SatH5(voted, distribution=None)
    assert onehot.label_key == "label" and onehot[5]["lcz_mask"].all()


def test_distribution_by_name(tmp_path: Path) -> None:
    votes = np.eye(17)[(CLASSES + 1) % 17] * 3
    path = _write(tmp_path / "named.h5", votes=votes, votes_name="expert_votes")
    assert data_h5.So2SatH5(path).label_key == "label"  # an unknown name is not guessed
    named = data_h5.So2SatH5(path, distribution="expert_votes")
    np.testing.assert_array_equal(named.class_indices(), (CLASSES + 1) % 17)
    with pytest.raises(KeyError, match="no dataset 'nope'"):
        data_h5.So2SatH5(path, distribution="nope")


def test_bad_layouts_are_refused(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "no_sen2.h5", "w") as f:
        f["label"] = np.eye(17)[CLASSES]
    with pytest.raises(KeyError, match="sen2"):
        data_h5.So2SatH5(tmp_path / "no_sen2.h5")
    with h5py.File(tmp_path / "bands.h5", "w") as f:
        f["sen2"] = np.zeros((N, 32, 32, 13))
        f["label"] = np.eye(17)[CLASSES]
    with pytest.raises(ValueError, match="sen2 must be"):
        data_h5.So2SatH5(tmp_path / "bands.h5")


def test_reads_lazily_and_survives_pickling(plain: Path) -> None:
    reader = data_h5.So2SatH5(plain)
    assert reader._file is None  # nothing open, nothing read, until a sample is asked for
    reader[0]
    assert reader._file is not None
    clone = pickle.loads(pickle.dumps(reader))  # what a DataLoader worker receives
    assert clone._file is None
    np.testing.assert_array_equal(clone[3]["image"], reader[3]["image"])
    reader.close()
    clone.close()


def test_torch_dataset_batches(plain: Path) -> None:
    torch = pytest.importorskip("torch")
    dataset = data_h5.So2SatTorchDataset(plain)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False, num_workers=0)
    batch = next(iter(loader))
    assert batch["image"].shape == (4, 10, 32, 32) and batch["image"].dtype == torch.float32
    assert batch["lcz"].shape == (4, 17, 1, 1) and batch["lcz"].dtype == torch.float32
    assert batch["lcz_mask"].shape == (4, 1, 1) and batch["lcz_mask"].dtype == torch.bool
    assert batch["hse"].shape == (4, 1, 16, 16) and torch.isnan(batch["hse"]).all()
    assert batch["lcz"][:, :, 0, 0].argmax(dim=1).tolist() == CLASSES[:4].tolist()
    dataset.close()
