"""Accuracy measures for LCZ maps and HSE density maps, numpy only: the one definition of each score.

Why here and numpy only: the plugin's assessment algorithms (core/assessment.py) and the training code
(training.mtl.metrics re-exports this module; evaluate.py, validation batches, published tables) must
compute the same numbers, and the LCZ-specific scores (WA, OAu, OAbu) exist in no common library.

Conventions: LCZ codes 1..17 (1..10 built, 11..17 = A..G natural); 0 is "no label" and is ignored.
A confusion matrix ``cm`` has the reference in rows and the prediction in columns, ``cm[r-1, p-1]``.
Undefined scores (e.g. a recall of a class absent from the reference) are NaN, never 0.
"""

from __future__ import annotations

import math

import numpy as np

N_CLASSES = 17
BUILT = slice(0, 10)  # rows/columns of LCZ 1..10 in a confusion matrix
NATURAL = slice(10, 17)  # rows/columns of LCZ A..G (codes 11..17)

#: Default threshold on HSE density (fraction 0..1) for the binary settlement mask. Qiu et al. (2022) do
#: not state theirs; 0.5 ("at least half of the cell is built-up") is our choice, always reported with
#: the scores and overridable.
HSE_BINARY_THRESHOLD = 0.5

# LCZ similarity weights of Bechtel et al. (2017), as used for the weighted accuracy (WA, "OAw") by
# Demuzere et al.; source file matthiasdemuzere/multitemporal-lcz-mapping tables/LCZ_metric.csv,
# transcribed in /work/shared/LCZ_FACTS.md. Order 1..10, A..G. Kept as text so it reads like the table.
_BECHTEL_WEIGHTS_TEXT = """
1.00 0.92 0.83 0.67 0.58 0.50 0.58 0.75 0.42 0.75 0.33 0.25 0.08 0.00 0.25 0.00 0.00
0.92 1.00 0.92 0.58 0.67 0.58 0.67 0.83 0.42 0.83 0.42 0.33 0.25 0.08 0.33 0.08 0.08
0.83 0.92 1.00 0.50 0.58 0.67 0.75 0.92 0.58 0.92 0.50 0.42 0.33 0.17 0.42 0.17 0.17
0.67 0.58 0.50 1.00 0.92 0.83 0.75 0.50 0.75 0.58 0.50 0.58 0.50 0.33 0.08 0.33 0.33
0.58 0.67 0.58 0.92 1.00 0.92 0.83 0.67 0.83 0.67 0.58 0.67 0.50 0.42 0.17 0.42 0.42
0.50 0.58 0.67 0.83 0.92 1.00 0.92 0.75 0.92 0.75 0.67 0.75 0.67 0.58 0.25 0.50 0.50
0.58 0.67 0.75 0.75 0.83 0.92 1.00 0.67 0.83 0.67 0.75 0.67 0.58 0.42 0.17 0.42 0.42
0.75 0.83 0.92 0.50 0.67 0.75 0.67 1.00 0.75 0.92 0.42 0.50 0.42 0.25 0.50 0.33 0.33
0.42 0.42 0.58 0.75 0.83 0.92 0.83 0.75 1.00 0.67 0.58 0.67 0.75 0.58 0.33 0.58 0.58
0.75 0.83 0.92 0.58 0.67 0.75 0.67 0.92 0.67 1.00 0.42 0.50 0.42 0.25 0.50 0.33 0.33
0.33 0.42 0.50 0.50 0.58 0.67 0.75 0.42 0.58 0.42 1.00 0.92 0.83 0.67 0.42 0.67 0.67
0.25 0.33 0.42 0.58 0.67 0.75 0.67 0.50 0.67 0.50 0.92 1.00 0.92 0.75 0.50 0.75 0.75
0.08 0.25 0.33 0.50 0.50 0.67 0.58 0.42 0.75 0.42 0.83 0.92 1.00 0.83 0.58 0.83 0.83
0.00 0.08 0.17 0.33 0.42 0.58 0.42 0.25 0.58 0.25 0.67 0.75 0.83 1.00 0.75 0.92 0.92
0.25 0.33 0.42 0.08 0.17 0.25 0.17 0.50 0.33 0.50 0.42 0.50 0.58 0.75 1.00 0.75 0.75
0.00 0.08 0.17 0.33 0.42 0.50 0.42 0.33 0.58 0.33 0.67 0.75 0.83 0.92 0.75 1.00 0.92
0.00 0.08 0.17 0.33 0.42 0.50 0.42 0.33 0.58 0.33 0.67 0.75 0.83 0.92 0.75 0.92 1.00
"""
LCZ_SIMILARITY_WEIGHTS: np.ndarray = np.array(
    [[float(v) for v in line.split()] for line in _BECHTEL_WEIGHTS_TEXT.strip().splitlines()]
)
LCZ_SIMILARITY_WEIGHTS.setflags(write=False)


# ------------------------------------------------------------------------------------------- building
def confusion_matrix(reference: np.ndarray, prediction: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """Counts of (reference, prediction) pairs of class codes 1..n; pairs where either is 0 are skipped.

    A prediction of 0 (nodata) where the reference has a label is skipped too: it is not a class
    confusion; the callers report how many labelled cells had no prediction.
    """
    ref = np.asarray(reference).ravel().astype(np.int64)
    pred = np.asarray(prediction).ravel().astype(np.int64)
    if ref.shape != pred.shape:
        raise ValueError(f"reference and prediction differ in size: {ref.size} vs {pred.size}")
    bad = ((ref < 0) | (ref > n_classes)) | ((pred < 0) | (pred > n_classes))
    if bad.any():
        raise ValueError(f"class codes must be 0..{n_classes}; found {sorted(set(ref[bad]) | set(pred[bad]))[:5]}")
    keep = (ref > 0) & (pred > 0)
    index = (ref[keep] - 1) * n_classes + (pred[keep] - 1)
    return np.bincount(index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _safe_div(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


# ------------------------------------------------------------------------- scores of a confusion matrix
def overall_accuracy(cm: np.ndarray) -> float:
    """Share of counted cells on the diagonal."""
    cm = np.asarray(cm, dtype=np.float64)
    return _safe_div(np.trace(cm), cm.sum())


def kappa(cm: np.ndarray) -> float:
    """Cohen's Kappa: (po - pe) / (1 - pe), pe from the row and column marginals; NaN when pe == 1."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    if not total:
        return math.nan
    po = np.trace(cm) / total
    pe = float((cm.sum(axis=1) * cm.sum(axis=0)).sum()) / total**2
    return _safe_div(po - pe, 1.0 - pe) if not math.isclose(pe, 1.0) else math.nan


def recalls(cm: np.ndarray) -> np.ndarray:
    """Per-class recall (producer's accuracy); NaN for classes absent from the reference."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(cm) / rows, np.nan)


def precisions(cm: np.ndarray) -> np.ndarray:
    """Per-class precision (user's accuracy); NaN for classes never predicted."""
    cm = np.asarray(cm, dtype=np.float64)
    cols = cm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cols > 0, np.diag(cm) / cols, np.nan)


def f1_scores(cm: np.ndarray) -> np.ndarray:
    """Per-class F1 = 2PR/(P+R); 0 when the class is in reference or prediction but never right, NaN in neither."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    den = cm.sum(axis=0) + cm.sum(axis=1)  # 2TP + FP + FN
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / den, np.nan)


def average_accuracy(cm: np.ndarray) -> float:
    """AA: mean recall over the classes present in the reference (absent classes would be 0/0)."""
    r = recalls(cm)
    return float(np.nanmean(r)) if np.isfinite(r).any() else math.nan


def weighted_accuracy(cm: np.ndarray, weights: np.ndarray = LCZ_SIMILARITY_WEIGHTS) -> float:
    """WA = sum(cm * W) / sum(cm): confusions between similar zones count partly (Bechtel et al. 2017)."""
    cm = np.asarray(cm, dtype=np.float64)
    return _safe_div((cm * weights).sum(), cm.sum())


def urban_accuracy(cm: np.ndarray) -> float:
    """OAu: OA of the sub-matrix of the built classes 1..10 (reference and prediction both built).

    This follows the LCZ Generator (Demuzere et al. 2021): built cells predicted as natural are left
    out here; they are what OAbu scores.
    """
    return overall_accuracy(np.asarray(cm)[BUILT, BUILT])


def built_natural_accuracy(cm: np.ndarray) -> float:
    """OAbu: accuracy of the 2 x 2 matrix built (1..10) vs natural (A..G)."""
    return overall_accuracy(collapse_built_natural(cm))


def collapse_built_natural(cm: np.ndarray) -> np.ndarray:
    """[[built->built, built->natural], [natural->built, natural->natural]]."""
    cm = np.asarray(cm)
    return np.array(
        [
            [cm[BUILT, BUILT].sum(), cm[BUILT, NATURAL].sum()],
            [cm[NATURAL, BUILT].sum(), cm[NATURAL, NATURAL].sum()],
        ]
    )


def lcz_scores(cm: np.ndarray) -> dict[str, float]:
    """All summary scores of an LCZ confusion matrix, by the names used in the papers."""
    cm = np.asarray(cm)
    if cm.shape != (N_CLASSES, N_CLASSES):
        raise ValueError(f"an LCZ confusion matrix is {N_CLASSES} x {N_CLASSES}, not {cm.shape}")
    scores = class_scores(cm)
    macro_f1 = scores.pop("macro_f1")
    return {**scores, "wa": weighted_accuracy(cm), "oa_urban": urban_accuracy(cm),
            "oa_built_natural": built_natural_accuracy(cm), "macro_f1": macro_f1}


def class_scores(cm: np.ndarray) -> dict[str, float]:
    """The scores defined for any class scheme (n, OA, Kappa, AA, macro F1), e.g. a 5-class reference.

    WA, OAu and OAbu need the 17 LCZ classes: lcz_scores adds them.
    """
    cm = np.asarray(cm)
    f1 = f1_scores(cm)
    return {
        "n": int(cm.sum()),
        "oa": overall_accuracy(cm),
        "kappa": kappa(cm),
        "aa": average_accuracy(cm),
        "macro_f1": float(np.nanmean(f1)) if np.isfinite(f1).any() else math.nan,
    }


def per_class_table(cm: np.ndarray) -> list[dict[str, float | int]]:
    """One row per class: code, reference count (support), predicted count, precision, recall, F1."""
    cm = np.asarray(cm)
    p, r, f = precisions(cm), recalls(cm), f1_scores(cm)
    return [
        {
            "code": i + 1,
            "support": int(cm[i].sum()),
            "predicted": int(cm[:, i].sum()),
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
        }
        for i in range(cm.shape[0])
    ]


# ------------------------------------------------------------------------------------------------ HSE
def density_errors(prediction: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and bias (mean of prediction - reference) of densities, in their units, over cells finite in both.

    Why bias too: an MAE alone does not say whether a map over- or underestimates settlement.
    """
    pred = np.asarray(prediction, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if pred.shape != ref.shape:
        raise ValueError(f"prediction {pred.shape} and reference {ref.shape} differ in shape")
    ok = np.isfinite(pred) & np.isfinite(ref)
    if not ok.any():
        return {"n": 0, "mae": math.nan, "rmse": math.nan, "bias": math.nan}
    diff = pred[ok] - ref[ok]
    return {
        "n": int(ok.sum()),
        "mae": float(np.abs(diff).mean()),
        "rmse": float(np.sqrt(np.square(diff).mean())),
        "bias": float(diff.mean()),
    }


def hse_mae_percent(prediction: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute error of HSE density in percentage points, over cells finite in both."""
    pred = np.asarray(prediction, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    ok = np.isfinite(pred) & np.isfinite(ref)
    return float(np.abs(pred[ok] - ref[ok]).mean() * 100.0) if ok.any() else math.nan


def aggregate_mean(density: np.ndarray, factor: int) -> np.ndarray:
    """Block mean over factor x factor cells (NaN-aware; a block with no finite cell stays NaN).

    Why: a settlement mask is often scored on a coarser grid than the density; edge rows/columns
    that do not fill a block are dropped.
    """
    a = np.asarray(density, dtype=np.float64)
    if factor == 1:
        return a
    h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
    blocks = a[:h, :w].reshape(h // factor, factor, w // factor, factor)
    finite = np.isfinite(blocks)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, blocks, 0.0).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def binary_confusion(prediction: np.ndarray, reference: np.ndarray, threshold: float) -> np.ndarray:
    """2 x 2 counts [[non->non, non->settl.], [settl.->non, settl.->settl.]], settlement = density >= threshold."""
    pred = np.asarray(prediction, dtype=np.float64).ravel()
    ref = np.asarray(reference, dtype=np.float64).ravel()
    ok = np.isfinite(pred) & np.isfinite(ref)
    r = (ref[ok] >= threshold).astype(np.int64)
    p = (pred[ok] >= threshold).astype(np.int64)
    return np.bincount(r * 2 + p, minlength=4).reshape(2, 2)


def hse_scores(
    prediction: np.ndarray,
    reference: np.ndarray,
    threshold: float = HSE_BINARY_THRESHOLD,
    aggregate: int = 1,
) -> dict[str, float]:
    """HSE MAE (%) on the density, then Kappa, AA, OA, recall, precision and F-score of the settlement mask.

    The mask is taken after an optional block mean (``aggregate`` cells a side), as in Qiu et al. (2022),
    who score the density and a binary settlement map derived from it.
    """
    pred = np.asarray(prediction, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if pred.shape != ref.shape:
        raise ValueError(f"HSE prediction {pred.shape} and reference {ref.shape} differ in shape")
    cm = binary_confusion(aggregate_mean(pred, aggregate), aggregate_mean(ref, aggregate), threshold)
    tp, fn, fp = cm[1, 1], cm[1, 0], cm[0, 1]
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    return {
        "n": int(np.sum(np.isfinite(pred) & np.isfinite(ref))),
        "mae_percent": hse_mae_percent(pred, ref),
        "threshold": float(threshold),
        "aggregate": int(aggregate),
        "binary_n": int(cm.sum()),
        "binary_oa": overall_accuracy(cm),
        "binary_kappa": kappa(cm),
        "binary_aa": average_accuracy(cm),
        "binary_recall": recall,
        "binary_precision": precision,
        "binary_f1": _safe_div(2 * tp, 2 * tp + fp + fn),
    }
