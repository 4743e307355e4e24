"""Reader for the So2Sat LCZ42 HDF5 files, yielding samples in our batch convention.

So2Sat LCZ42 layout (Zhu et al. 2020): ``sen2`` (N, 32, 32, 10) float reflectance (about 0..1) with the
channels B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12 (= core.bands.MODEL_BANDS), ``label`` (N, 17) one-hot,
``sen1`` (ignored). A file may also carry expert vote distributions (Koller et al.): a dataset named in
``DISTRIBUTION_NAMES`` or given by name, (N, 17) votes or shares, used as y = votes / M.

Our batch convention (shared with network.py and losses.py), one sample:
``image`` (10, H, W) float32 DN = reflectance x 10000; ``lcz`` (17, 1, 1) float32 label distribution;
``lcz_mask`` (1, 1) bool; ``hse`` (1, H/2, W/2) float32, all NaN (So2Sat has no HSE labels).

Reads lazily with h5py (one sample or one sorted batch of indices at a time; the 50 GB training file is
never loaded). The file is opened on first use in the reading process, so a reader can be handed to
DataLoader worker processes. The numpy part has no torch dependency; ``So2SatTorchDataset`` exists when
torch is importable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from core.contract import DN_PER_REFLECTANCE

try:  # optional: the numpy reader works without torch
    import torch
    from torch.utils.data import Dataset as _TorchDataset
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    _TorchDataset = object

IMAGE_KEY = "sen2"
LABEL_KEY = "label"
#: Names tried, in order, for vote distributions when ``distribution="auto"``.
DISTRIBUTION_NAMES = ("label_distribution", "label_distributions", "distribution", "votes", "label_votes")
N_BANDS = 10
N_CLASSES = 17
REFLECTANCE_TO_DN = DN_PER_REFLECTANCE  # So2Sat stores reflectance; our models take Sentinel-2 DN


class So2SatH5:
    """Indexable, iterable view of one So2Sat-layout HDF5 file as numpy samples.

    distribution: "auto" (use a vote dataset if the file has one, else the one-hot ``label``), None (always
    ``label``), or the name of the dataset holding the (N, 17) votes. indices: a subset of sample numbers,
    e.g. a UT/UTS/R selection from uncertainty.py; the view then has len(indices) samples.
    """

    def __init__(
        self,
        path: str | Path,
        distribution: str | None = "auto",
        indices: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None
        with h5py.File(self.path, "r") as f:
            self.label_key = self._find_label_key(f, distribution)
            self._check_layout(f)
            total = f[IMAGE_KEY].shape[0]
            self.height, self.width = f[IMAGE_KEY].shape[1:3]
        idx = np.arange(total) if indices is None else np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= total)):
            raise ValueError(f"indices must be sample numbers 0..{total - 1}")
        self.indices = idx

    # ----------------------------------------------------------------------------------- the layout
    def _find_label_key(self, f: h5py.File, distribution: str | None) -> str:
        if distribution is None:
            return LABEL_KEY
        if distribution == "auto":
            return next((name for name in DISTRIBUTION_NAMES if name in f), LABEL_KEY)
        if distribution not in f:
            raise KeyError(f"{self.path}: no dataset {distribution!r}; it has {sorted(f.keys())}")
        return distribution

    def _check_layout(self, f: h5py.File) -> None:
        for key in {IMAGE_KEY, LABEL_KEY, self.label_key}:
            if key not in f:
                raise KeyError(f"{self.path}: no dataset {key!r} (So2Sat LCZ42 layout); it has {sorted(f.keys())}")
        image, label = f[IMAGE_KEY], f[self.label_key]
        if image.ndim != 4 or image.shape[3] != N_BANDS:
            raise ValueError(f"{self.path}: {IMAGE_KEY} must be (N, H, W, {N_BANDS}), not {image.shape}")
        if label.shape != (image.shape[0], N_CLASSES):
            raise ValueError(f"{self.path}: {self.label_key} must be ({image.shape[0]}, {N_CLASSES}), "
                             f"not {label.shape}")

    @property
    def file(self) -> h5py.File:
        """The open file, opened on first use in this process (h5py handles do not survive a fork)."""
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        return self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None  # each worker opens its own handle
        return state

    def __enter__(self) -> So2SatH5:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self.indices)

    def read(self, positions: Sequence[int] | np.ndarray) -> dict[str, np.ndarray]:
        """A batch (positions into this view) with a leading N axis; one h5py read per dataset."""
        wanted = self.indices[np.asarray(positions, dtype=np.int64)]
        rows, take = np.unique(wanted, return_inverse=True)  # h5py wants increasing, unique indices
        image = np.asarray(self.file[IMAGE_KEY][rows], dtype=np.float32)[take]
        votes = np.asarray(self.file[self.label_key][rows], dtype=np.float32)[take]
        total = votes.sum(axis=1, keepdims=True)
        labelled = total[:, 0] > 0
        dist = np.divide(votes, total, out=np.zeros_like(votes), where=total > 0)  # y = votes / M
        n = len(take)
        return {
            "image": np.ascontiguousarray((image * np.float32(REFLECTANCE_TO_DN)).transpose(0, 3, 1, 2)),
            "lcz": dist.reshape(n, N_CLASSES, 1, 1),
            "lcz_mask": labelled.reshape(n, 1, 1),
            "hse": np.full((n, 1, self.height // 2, self.width // 2), np.nan, dtype=np.float32),
        }

    def __getitem__(self, position: int) -> dict[str, np.ndarray]:
        """One sample in the batch convention (no leading N axis)."""
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        return {k: v[0] for k, v in self.read([position % len(self)]).items()}

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        for position in range(len(self)):
            yield self[position]

    def batches(self, batch_size: int) -> Iterator[dict[str, np.ndarray]]:
        """Consecutive batches in file order: one read per batch, for evaluation and embedding passes."""
        for start in range(0, len(self), batch_size):
            yield self.read(np.arange(start, min(start + batch_size, len(self))))

    def class_indices(self, chunk: int = 4096) -> np.ndarray:
        """(len,) 0-based argmax class of each sample's label (for class medians and UTS), read in chunks."""
        out = np.empty(len(self), dtype=np.int64)
        for start in range(0, len(self), chunk):
            stop = min(start + chunk, len(self))
            sel = self.indices[start:stop]
            rows, inverse = np.unique(sel, return_inverse=True)
            out[start:stop] = np.asarray(self.file[self.label_key][rows]).argmax(axis=1)[inverse]
        return out


if torch is not None:

    class So2SatTorchDataset(So2SatH5, _TorchDataset):
        """The same samples as torch tensors, for a DataLoader (default collate stacks the dicts)."""

        def __getitem__(self, position: int) -> dict[str, torch.Tensor]:  # type: ignore[override]
            return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in super().__getitem__(position).items()}
