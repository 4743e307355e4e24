"""Embedding-based sample uncertainty and training-subset selection (Koller, Shahzad, Zhu).

A sample's uncertainty is the Euclidean distance of its penultimate-layer embedding to the geometric
median of its class's embeddings: the median, unlike the mean, is not dragged by mislabelled or
atypical samples, which are exactly the ones to find. Subsets keep the most certain samples globally
(UT), within each class (UTS), or at random (R) as the baseline.

numpy only: embeddings come from any framework as an (N, D) array.
"""

from __future__ import annotations

import numpy as np

SELECTIONS = ("UT", "UTS", "R")


def geometric_median(
    points: np.ndarray,
    weights: np.ndarray | None = None,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> np.ndarray:
    """The point minimising the (weighted) sum of Euclidean distances to ``points`` (N, D), by Weiszfeld.

    Plain Weiszfeld divides by the distance to each point and breaks when the estimate lands on a data
    point; the Vardi & Zhang (2000) step handles that case: the estimate stays on the data point when it
    is optimal there, and moves off it otherwise. Stops when a step is below ``tol`` times the spread.
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"points must be a non-empty (N, D) array, not shape {x.shape}")
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(x),) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be N non-negative numbers, not all zero")
    keep = w > 0
    x, w = x[keep], w[keep]
    if len(x) == 1:
        return x[0].copy()
    scale = float(np.max(x.max(axis=0) - x.min(axis=0))) or 1.0
    eps = 1e-12 * scale
    y = (w[:, None] * x).sum(axis=0) / w.sum()  # start at the weighted mean
    for _ in range(max_iter):
        d = np.linalg.norm(x - y, axis=1)
        at = d <= eps
        others = ~at
        if not others.any():  # all points coincide with y
            return y
        inv = w[others] / d[others]
        t = (inv[:, None] * x[others]).sum(axis=0) / inv.sum()
        eta = float(w[at].sum())
        if eta > 0:
            r = float(np.linalg.norm((inv[:, None] * (x[others] - y)).sum(axis=0)))
            gamma = eta / r if r > 0 else np.inf
            if gamma >= 1.0:  # the pull of the other points does not exceed the weight sitting at y
                return y
            y_new = (1.0 - gamma) * t + gamma * y
        else:
            y_new = t
        step = float(np.linalg.norm(y_new - y))
        y = y_new
        if step <= tol * scale:
            break
    return y


def class_medians(embeddings: np.ndarray, labels: np.ndarray, n_classes: int = 17) -> np.ndarray:
    """(n_classes, D) geometric median of each class's embeddings; NaN rows for classes with no sample.

    ``labels`` are 0-based class indices (e.g. argmax of the label distribution).
    """
    emb = np.asarray(embeddings, dtype=np.float64)
    lab = np.asarray(labels).astype(np.int64)
    if emb.ndim != 2 or lab.shape != (len(emb),):
        raise ValueError(f"embeddings (N, D) and labels (N,) expected, got {emb.shape} and {lab.shape}")
    out = np.full((n_classes, emb.shape[1]), np.nan)
    for c in np.unique(lab):
        if not 0 <= c < n_classes:
            raise ValueError(f"label {c} outside 0..{n_classes - 1}")
        out[c] = geometric_median(emb[lab == c])
    return out


def uncertainty(embeddings: np.ndarray, labels: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance of each sample's embedding to the median of its class: larger = less certain."""
    emb = np.asarray(embeddings, dtype=np.float64)
    lab = np.asarray(labels).astype(np.int64)
    centre = np.asarray(medians, dtype=np.float64)[lab]
    if np.isnan(centre).any():
        raise ValueError("a sample's class has no median (class_medians was computed without it)")
    return np.linalg.norm(emb - centre, axis=1)


def _count(fraction: float, n: int) -> int:
    """round(fraction * n), halves rounded up, so a fraction's count is the same on every platform."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in 0..1, not {fraction}")
    return min(n, int(np.floor(fraction * n + 0.5)))


def select_ut(uncert: np.ndarray, fraction: float) -> np.ndarray:
    """UT: indices (sorted) of the round(fraction * N) most certain samples overall (one global threshold)."""
    u = np.asarray(uncert, dtype=np.float64)
    order = np.argsort(u, kind="stable")
    return np.sort(order[: _count(fraction, len(u))])


def select_uts(uncert: np.ndarray, labels: np.ndarray, fraction: float) -> np.ndarray:
    """UTS: the round(fraction * N_c) most certain samples within each class c (sorted indices).

    Stratifying keeps the class proportions of the full set, where UT would drop most of the
    intrinsically ambiguous classes.
    """
    u = np.asarray(uncert, dtype=np.float64)
    lab = np.asarray(labels)
    if lab.shape != u.shape:
        raise ValueError("uncertainty and labels differ in length")
    chosen = []
    for c in np.unique(lab):
        idx = np.flatnonzero(lab == c)
        order = idx[np.argsort(u[idx], kind="stable")]
        chosen.append(order[: _count(fraction, len(idx))])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def select_random(n: int, fraction: float, seed: int = 0) -> np.ndarray:
    """R: round(fraction * n) indices drawn without replacement, reproducible by ``seed`` (sorted)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=_count(fraction, n), replace=False))


def select(
    method: str,
    fraction: float,
    uncert: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    n: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """One entry point for the three subset strategies, by their names in the paper."""
    method = method.upper()
    if method == "UT":
        if uncert is None:
            raise ValueError("UT needs the uncertainties")
        return select_ut(uncert, fraction)
    if method == "UTS":
        if uncert is None or labels is None:
            raise ValueError("UTS needs the uncertainties and the labels")
        return select_uts(uncert, labels, fraction)
    if method == "R":
        size = n if n is not None else (len(uncert) if uncert is not None else None)
        if size is None:
            raise ValueError("R needs the number of samples")
        return select_random(size, fraction, seed)
    raise ValueError(f"unknown selection {method!r}; one of {', '.join(SELECTIONS)}")


def main(argv: list[str] | None = None) -> int:
    """CLI: embeddings + labels (.npy) -> the selected sample indices (.npy), for a subset training run."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m training.mtl.uncertainty", description=main.__doc__)
    p.add_argument("--embeddings", required=True, help=".npy (N, D) penultimate-layer embeddings")
    p.add_argument("--labels", required=True, help=".npy (N,) 0-based classes or (N, 17) label distributions")
    p.add_argument("--method", required=True, choices=SELECTIONS)
    p.add_argument("--fraction", type=float, required=True, help="share of the samples to keep, 0..1")
    p.add_argument("--seed", type=int, default=0, help="for R")
    p.add_argument("--out", required=True, help=".npy of the kept sample indices (sorted)")
    p.add_argument("--uncertainty-out", help="optional .npy of every sample's uncertainty")
    a = p.parse_args(argv)
    emb = np.load(a.embeddings)
    labels = np.load(a.labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    unc = uncertainty(emb, labels, class_medians(emb, labels)) if a.method != "R" or a.uncertainty_out else None
    if a.uncertainty_out and unc is not None:
        np.save(a.uncertainty_out, unc)
    kept = select(a.method, a.fraction, unc, labels, n=len(emb), seed=a.seed)
    np.save(a.out, kept)
    print(f"{a.method}: kept {len(kept)} of {len(emb)} samples -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
