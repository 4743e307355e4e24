"""Per-cell uncertainty of the LCZ map, 0 (more certain) .. 1 (less certain), after Koller et al.

The score that ships (measured in training/measurements/uncertainty_calibration.py, docs/USER_GUIDE.md): the mean of two
calibrated parts, each the share of the model's calibration cells with a lower value (0..1):
- 1 - the highest class probability (how much the model hesitates), and
- the ratio of the cell's feature-space distances to the nearest and the second-nearest class geometric median
  (near 1: the cell sits between two classes), when the model has an embedding and calibration medians.
A model without calibration gets 1 - max probability as it is (already 0..1).

The calibration (medians, quantile tables) travels in the ONNX metadata under the key `uncertainty`
(docs/MODEL_CONTRACT.md); models without it stay valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .errors import EngineError

UNCERTAINTY_KIND = "hselcz-uncertainty-1"
METADATA_KEY = "uncertainty"
#: The calibration tables hold these quantiles of each part.
QUANTILES = np.linspace(0.0, 1.0, 101)


def ratio_of_nearest_medians(distances: np.ndarray) -> np.ndarray:
    """(n, K) distances to the class medians -> (n,) nearest / second-nearest (0..1; 1 = halfway between two)."""
    two = np.partition(distances, 1, axis=1)[:, :2]
    return two[:, 0] / np.maximum(two[:, 1], 1e-12)


#: The parts a calibration may combine; a model's calibration names those measured to help it.
PART_MAXP = "one_minus_max_probability"
PART_RATIO = "median_distance_ratio"


@dataclass(frozen=True)
class UncertaintyCalibration:
    medians: np.ndarray | None  # (K, D), rows of classes without a median removed
    maxp_quantiles: np.ndarray | None
    ratio_quantiles: np.ndarray | None
    parts: tuple[str, ...] = (PART_MAXP, PART_RATIO)

    @classmethod
    def from_metadata(cls, text: str | None, source: str = "model") -> UncertaintyCalibration:
        """From the `uncertainty` metadata value; no value: the uncalibrated 1 - max probability."""
        if not text:
            return cls(None, None, None)
        try:
            data = json.loads(text)
            if data.get("kind") != UNCERTAINTY_KIND:
                raise ValueError(f"kind {data.get('kind')!r}")
            medians = np.array([m for m in data["medians"] if m is not None], dtype=np.float64)
            quantiles = data["quantiles"]
            maxp = np.asarray(quantiles[PART_MAXP], dtype=np.float64)
            ratio = np.asarray(quantiles[PART_RATIO], dtype=np.float64)
            parts = tuple(data.get("parts", (PART_MAXP, PART_RATIO)))
            if not parts or set(parts) - {PART_MAXP, PART_RATIO}:
                raise ValueError(f"parts {parts!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineError(f"{source}: the metadata key '{METADATA_KEY}' is not a valid uncertainty calibration "
                              f"({exc}). See docs/MODEL_CONTRACT.md.") from exc
        if len(maxp) != len(QUANTILES) or len(ratio) != len(QUANTILES) or medians.ndim != 2 or len(medians) < 2:
            raise EngineError(f"{source}: the uncertainty calibration needs {len(QUANTILES)} quantiles per part and "
                              "at least two class medians.")
        return cls(medians, maxp, ratio, parts)

    @property
    def uses_embedding(self) -> bool:
        return self.medians is not None

    def score(self, probabilities: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
        """(n, 17) probabilities and (n, D) embedding -> (n,) uncertainty in 0..1."""
        hesitation = 1.0 - probabilities.max(axis=1).astype(np.float64)
        if self.maxp_quantiles is None:
            return hesitation.astype(np.float32)
        parts = [_calibrated(hesitation, self.maxp_quantiles)] if PART_MAXP in self.parts else []
        if (PART_RATIO in self.parts and self.medians is not None and embedding is not None
                and embedding.shape[1] == self.medians.shape[1]):
            distances = np.sqrt(((embedding[:, None, :].astype(np.float64) - self.medians[None]) ** 2).sum(axis=2))
            parts.append(_calibrated(ratio_of_nearest_medians(distances), self.ratio_quantiles))
        if not parts:  # the ratio alone, without an embedding to compute it: fall back on the hesitation
            parts = [_calibrated(hesitation, self.maxp_quantiles)]
        return np.mean(parts, axis=0).astype(np.float32)


def _calibrated(values: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """The share of calibration cells below each value (piecewise linear between the stored quantiles)."""
    unique, index = np.unique(quantiles, return_index=True)
    return np.interp(values, unique, QUANTILES[index], left=0.0, right=1.0)
