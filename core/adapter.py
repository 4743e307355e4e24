"""Adapting a model's LCZ map to a city's training areas: a small classifier on the model's own cell features.

Why this classifier: the founders measured (issue 14; So2Sat ResNet20 features, a European city region, ten
training areas per class) a Kappa of 0.43 for the model alone, 0.56 for a per-class bias correction, 0.65 for a
class-balanced multinomial logistic regression on [log-probabilities, penultimate features], 0.60 for the
nearest class geometric median and 0.52 for the random forest on spectral features the LCZ Generator uses.
The regression is numpy only, fits in well under a second, and needs no new dependency.

Classes without training areas: the adapter can only predict the classes it was shown, which would wipe out a
city's other classes. So a cell keeps the model's own label when the model predicts a class without training
areas AND the cell lies outside the 95 % feature-space radius of every trained class (the rule that kept both
the European case and Hong Kong's three-class case good in the founders' measurements).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT
from .scores import confusion_matrix, lcz_scores, per_class_table

#: Version 2 carries a checksum of its content; version 1 files (saved before) are read, checked for their shapes,
#: classes and numbers only.
ADAPTER_FORMAT = "hselcz-lcz-adapter-2"
_FORMATS = ("hselcz-lcz-adapter-1", ADAPTER_FORMAT)
_ARRAYS = ("mean", "scale", "weights", "bias", "centroids", "radii")
#: L2 penalty on the standardised features' weights (per training cell, so it does not fade with more cells).
L2 = 1e-2
ITERATIONS = 400
LEARNING_RATE = 0.05
RADIUS_QUANTILE = 0.95
#: Probabilities are floored before the log, so a class the model rules out stays a finite feature.
PROBABILITY_FLOOR = 1e-6


def cell_features(probabilities: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
    """(n, 17) probabilities and (n, D) embedding or None -> (n, 17 [+ D]) features: log-probabilities first."""
    log_p = np.log(np.maximum(probabilities.astype(np.float64), PROBABILITY_FLOOR))
    return log_p if embedding is None else np.concatenate([log_p, embedding.astype(np.float64)], axis=1)


@dataclass
class LczAdapter:
    """A fitted adapter: standardisation, softmax weights over the trained classes, and their radii."""

    classes: np.ndarray  # LCZ codes it predicts, ascending
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (F, K)
    bias: np.ndarray  # (K,)
    centroids: np.ndarray  # (K, F), standardised
    radii: np.ndarray  # (K,): the RADIUS_QUANTILE of the training cells' distances to their class centroid
    model: str = ""  # name and version of the model whose features it was fitted on
    features: str = "log-probabilities"

    # ---------------------------------------------------------------------------------------------- fitting
    @classmethod
    def fit(cls, features: np.ndarray, codes: np.ndarray, *, model: str = "", kind: str = "log-probabilities",
            seed: int = 0) -> LczAdapter:
        """Class-balanced multinomial logistic regression with L2, by full-batch Adam (deterministic)."""
        features = np.asarray(features, dtype=np.float64)
        codes = np.asarray(codes, dtype=np.int64)
        classes = np.unique(codes)
        if classes.size < 2:
            raise EngineError("The training areas hold only one class; an adapted map needs at least two classes.")
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale < 1e-9] = 1.0
        x = (features - mean) / scale
        target = np.searchsorted(classes, codes)
        n, k = len(x), classes.size
        counts = np.bincount(target, minlength=k)
        sample_weight = (n / (k * counts))[target] / n  # each class weighs the same in the loss
        onehot = np.eye(k)[target]
        rng = np.random.default_rng(seed)
        weights = rng.normal(0.0, 1e-3, (x.shape[1], k))
        bias = np.zeros(k)
        moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(bias)]
        beta1, beta2 = 0.9, 0.999
        for step in range(1, ITERATIONS + 1):
            probabilities = _softmax(x @ weights + bias)
            error = (probabilities - onehot) * sample_weight[:, None]
            grad_w = x.T @ error + L2 * weights
            grad_b = error.sum(axis=0)
            for index, (param, grad) in enumerate(((weights, grad_w), (bias, grad_b))):
                m, v = moments[2 * index], moments[2 * index + 1]
                m *= beta1
                m += (1 - beta1) * grad
                v *= beta2
                v += (1 - beta2) * grad * grad
                param -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
        centroids = np.stack([x[target == j].mean(axis=0) for j in range(k)])
        radii = np.array([np.quantile(np.linalg.norm(x[target == j] - centroids[j], axis=1), RADIUS_QUANTILE)
                          for j in range(k)])
        return cls(classes, mean, scale, weights, bias, centroids, np.maximum(radii, 1e-9), model, kind)

    # --------------------------------------------------------------------------------------------- applying
    def adapt(self, probabilities: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
        """(n, 17) model probabilities (+ embedding) -> (n, 17) adapted probabilities (argmax = adapted class)."""
        features = cell_features(probabilities, embedding)
        if features.shape[1] != self.mean.size:
            raise EngineError(
                f"The adapter was fitted on {self.mean.size} features per cell ({self.features} of {self.model}); "
                f"this model gives {features.shape[1]}. Apply an adapter with the model it was fitted with."
            )
        x = (features - self.mean) / self.scale
        adapted = np.zeros_like(probabilities, dtype=np.float32)
        adapted[:, self.classes - 1] = _softmax(x @ self.weights + self.bias)
        model_label = probabilities.argmax(axis=1) + 1
        untrained = ~np.isin(model_label, self.classes)
        if untrained.any():
            distance = np.linalg.norm(x[untrained, None, :] - self.centroids[None], axis=2) / self.radii[None]
            keep = distance.min(axis=1) > 1.0
            rows = np.flatnonzero(untrained)[keep]
            adapted[rows] = probabilities[rows]
        return adapted

    # ------------------------------------------------------------------------------------------------- files
    def save(self, path: str | Path) -> Path:
        target = Path(path)
        data = {
            "format": ADAPTER_FORMAT, "model": self.model, "features": self.features,
            "classes": self.classes.tolist(), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "weights": self.weights.tolist(), "bias": self.bias.tolist(), "centroids": self.centroids.tolist(),
            "radii": self.radii.tolist(),
        }
        data["sha256"] = _checksum(data)
        temporary = target.with_name(f".{target.name}.partial")
        try:
            temporary.write_text(json.dumps(data), encoding="utf-8")
            temporary.replace(target)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise EngineError(f"Cannot write the adapter {target}: {exc.strerror or exc}.") from exc
        return target

    @classmethod
    def load(cls, path: str | Path) -> LczAdapter:
        """Read a saved adapter and check it whole (shapes, classes, finite numbers, checksum) before any use.

        Why: an edited file with short weights or an unknown class gave a traceback deep in the mapping, and one
        with NaN weights mapped every cell to LCZ 2 without a word.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EngineError(f"Cannot read the adapter {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") not in _FORMATS:
            raise EngineError(f"{path} is not an LCZ adapter saved by this plugin (format {ADAPTER_FORMAT}).")
        try:
            adapter = cls._checked(data)
        except _Damaged as fault:
            raise EngineError(
                f"The adapter {path} is damaged: {fault}. It was edited or corrupted after it was saved; use the file "
                "as the plugin saved it, or fit the adapter again from the training areas."
            ) from None
        return adapter

    @classmethod
    def _checked(cls, data: dict) -> LczAdapter:
        """The adapter of a parsed file, or _Damaged naming the first fault found."""
        missing = [key for key in ("model", "features", "classes", *_ARRAYS) if key not in data]
        if missing:
            raise _Damaged(f"it lacks {', '.join(missing)}")
        for key in ("model", "features"):
            if not isinstance(data[key], str):
                raise _Damaged(f"'{key}' is not a text")
        classes = _checked_classes(data["classes"])
        arrays = _checked_arrays(data, len(classes))
        if data["format"] == ADAPTER_FORMAT and data.get("sha256") != _checksum(data):  # an edit that looks valid
            raise _Damaged("its checksum (sha256) is missing" if "sha256" not in data
                           else "its content does not match its checksum (sha256)")
        return cls(classes=np.asarray(classes, dtype=np.int64), model=data["model"], features=data["features"],
                   **arrays)


def _checked_classes(classes: object) -> list[int]:
    """The adapter's LCZ codes: at least two, ascending, each once; _Damaged otherwise."""
    if not isinstance(classes, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in classes):
        raise _Damaged("'classes' is not a list of LCZ codes")
    unknown = [c for c in classes if not 1 <= c <= LCZ_CLASS_COUNT]
    if unknown:
        raise _Damaged(f"'classes' holds {', '.join(map(str, unknown))}, which are not LCZ codes "
                       f"1..{LCZ_CLASS_COUNT}")
    if len(classes) < 2 or classes != sorted(set(classes)):
        raise _Damaged("'classes' must list at least two different LCZ codes in ascending order, each once")
    return classes


def _checked_arrays(data: dict, k: int) -> dict[str, np.ndarray]:
    """The adapter's arrays, of the shapes its k classes and its features need, finite, scales and radii positive."""
    arrays = {}
    for key in _ARRAYS:
        try:
            arrays[key] = np.asarray(data[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise _Damaged(f"'{key}' is not an array of numbers (rows of different lengths, or text)") from None
    f = arrays["mean"].size
    expected = {"mean": (f,), "scale": (f,), "weights": (f, k), "bias": (k,), "centroids": (k, f), "radii": (k,)}
    if arrays["mean"].ndim != 1 or f < 1:
        raise _Damaged("'mean' is not a list of numbers")
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise _Damaged(f"'{key}' has the shape {_shape(arrays[key])} where {k} classes and {f} "
                           f"features per cell need {_shape(shape)}")
    for key in _ARRAYS:
        bad = int((~np.isfinite(arrays[key])).sum())
        if bad:
            raise _Damaged(f"'{key}' holds {bad} value(s) that are not finite numbers (NaN or infinity)")
    for key in ("scale", "radii"):
        if (arrays[key] <= 0).any():
            raise _Damaged(f"'{key}' holds values that are not positive")
    return arrays


class _Damaged(Exception):
    """A fault of a saved adapter's content, in words."""


def _shape(value: np.ndarray | tuple[int, ...]) -> str:
    shape = value.shape if isinstance(value, np.ndarray) else value
    return " x ".join(map(str, shape)) if shape else "a single number"


def _checksum(data: dict) -> str:
    """sha256 of the content without the checksum, in one canonical JSON spelling (keys sorted, no spaces)."""
    content = {key: value for key, value in data.items() if key != "sha256"}
    try:
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        return ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------------ honest self-assessment
@dataclass
class CrossValidation:
    """Cross-validated scores on the training areas, folds made of whole polygons."""

    folds: int
    confusion: np.ndarray  # 17 x 17, reference rows
    scores: dict[str, float]
    per_class: list[dict[str, float | int]]
    model_alone: dict[str, float]  # the model's own labels on the same cells
    #: (n, 17) each cell's adapted probabilities from the fold that held its polygon out (core.suspicious reads them)
    out_of_fold: np.ndarray | None = None


def polygon_folds(groups: np.ndarray, codes: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """A fold number per cell such that all cells of a polygon share it; each class's polygons dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold_of_group: dict[int, int] = {}
    for code in np.unique(codes):
        polygons = np.unique(groups[codes == code])
        rng.shuffle(polygons)
        start = int(rng.integers(folds))
        for offset, polygon in enumerate(polygons):
            fold_of_group.setdefault(int(polygon), (start + offset) % folds)
    return np.array([fold_of_group[int(g)] for g in groups], dtype=np.int64)


def cross_validate(features: np.ndarray, codes: np.ndarray, groups: np.ndarray, probabilities: np.ndarray,
                   embedding: np.ndarray | None, *, folds: int = 5, seed: int = 0, kind: str = "") -> CrossValidation:
    """Fit on the polygons of all folds but one, predict the held-out polygons' cells, and score all predictions.

    Cells of one polygon are never split between fitting and testing: they are near-copies of each other, and
    a per-cell split reports the fit (about 0.99), not the map's accuracy.
    """
    n_groups = np.unique(groups).size
    folds = max(2, min(folds, n_groups))
    fold = polygon_folds(groups, codes, folds, seed)
    out_of_fold = np.zeros((len(codes), LCZ_CLASS_COUNT), dtype=np.float32)
    for held_out in range(folds):
        test = fold == held_out
        train = ~test
        if not test.any():
            continue
        if np.unique(codes[train]).size < 2:
            out_of_fold[test] = probabilities[test]  # nothing to fit: the model's own
            continue
        adapter = LczAdapter.fit(features[train], codes[train], kind=kind, seed=seed)
        emb = None if embedding is None else embedding[test]
        out_of_fold[test] = adapter.adapt(probabilities[test], emb)
    predicted = out_of_fold.argmax(axis=1) + 1
    confusion = confusion_matrix(codes, predicted, LCZ_CLASS_COUNT)
    model_alone = lcz_scores(confusion_matrix(codes, probabilities.argmax(axis=1) + 1, LCZ_CLASS_COUNT))
    return CrossValidation(folds, confusion, lcz_scores(confusion), per_class_table(confusion), model_alone,
                           out_of_fold)
