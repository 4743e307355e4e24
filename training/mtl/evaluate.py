"""Score an LCZ map (and optionally an HSE density map) against reference rasters.

    python -m training.mtl.evaluate --lcz-pred pred.tif --lcz-ref ref.tif \
        [--hse-pred hse.tif --hse-ref hse_ref.tif] --out folder

The prediction is brought onto the reference grid (the reference is never resampled: its cells are the
sampling units the scores count): LCZ by the majority (mode) of the predicted cells inside each reference
cell when the prediction is finer (a cell less than half covered by prediction counts as unpredicted),
by nearest neighbour otherwise; HSE by the area average of the valid predicted cells. Different CRSs
are handled by the warp (core.reference_grid.read_on_grid, shared with the plugin's assessment algorithms).
Writes metrics.json, confusion_matrix.csv, per_class.csv and
confusion_matrix.png into --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal

from core.lcz import LCZ_CLASSES
from core.reference_grid import read_on_grid

from . import metrics

gdal.UseExceptions()


# ------------------------------------------------------------------------------------ evaluation
def evaluate_lcz(pred_path: str | Path, ref_path: str | Path) -> tuple[dict[str, Any], np.ndarray]:
    """Scores and the confusion matrix of an LCZ map against a reference LCZ raster."""
    pred, ref = read_on_grid(pred_path, ref_path, "classes")
    cm = metrics.confusion_matrix(ref, pred)
    labelled = int((ref > 0).sum())
    result: dict[str, Any] = {
        "prediction": str(pred_path),
        "reference": str(ref_path),
        "reference_cells": labelled,
        "unpredicted_reference_cells": int(((ref > 0) & (pred == 0)).sum()),
        **metrics.lcz_scores(cm),
        "per_class": per_class_rows(cm),
    }
    return result, cm


def evaluate_hse(
    pred_path: str | Path,
    ref_path: str | Path,
    threshold: float = metrics.HSE_BINARY_THRESHOLD,
    aggregate: int = 1,
    pred_scale: float = 1.0,
    ref_scale: float = 1.0,
) -> dict[str, Any]:
    """HSE MAE and binary settlement scores; both rasters as fractions 0..1 after the scales."""
    pred, ref = read_on_grid(pred_path, ref_path, "density")
    pred, ref = pred * pred_scale, ref * ref_scale
    for name, arr in (("prediction", pred), ("reference", ref)):
        if np.isfinite(arr).any() and (np.nanmax(arr) > 1.0 + 1e-6 or np.nanmin(arr) < -1e-6):
            raise ValueError(
                f"HSE {name} must be fractions 0..1 (found {np.nanmin(arr):g}..{np.nanmax(arr):g}); "
                "for percent, pass a scale of 0.01"
            )
    return {
        "prediction": str(pred_path),
        "reference": str(ref_path),
        **metrics.hse_scores(pred, ref, threshold=threshold, aggregate=aggregate),
    }


def per_class_rows(cm: np.ndarray) -> list[dict[str, Any]]:
    """metrics.per_class_table with each class's label and name."""
    rows = metrics.per_class_table(cm)
    for row, cls in zip(rows, LCZ_CLASSES, strict=True):
        row["label"], row["name"] = cls.label, cls.name
    return rows


# ---------------------------------------------------------------------------------------- files
def _json_safe(value: Any) -> Any:
    """NaN -> null: strict JSON has no NaN, and an undefined score is not a number."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_confusion_csv(cm: np.ndarray, path: Path) -> None:
    """Counts with class labels; reference in rows, prediction in columns (as in metrics)."""
    labels = [c.label for c in LCZ_CLASSES]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reference\\prediction", *labels])
        for label, row in zip(labels, cm, strict=True):
            w.writerow([label, *(int(v) for v in row)])


def write_per_class_csv(rows: list[dict[str, Any]], path: Path) -> None:
    fields = ["code", "label", "name", "support", "predicted", "precision", "recall", "f1"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})


def confusion_figure(cm: np.ndarray, title: str = "LCZ confusion matrix"):
    """A matplotlib Figure: cells shaded by row share (recall), counts written, class labels on both axes.

    Built on matplotlib's object API (no pyplot), so it sets no global backend state.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    cm = np.asarray(cm)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    fig = Figure(figsize=(11, 10), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, shrink=0.7, label="share of the reference class")
    names = [f"{c.label} {c.name}" for c in LCZ_CLASSES]
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.tick_params(length=0, pad=30)  # room for the colour swatches; labels stay black (yellow is unreadable)
    n = len(names)
    for i, cls in enumerate(LCZ_CLASSES):  # the map's colour of each class, just outside the matrix
        for xy in ((-1.1, i - 0.25), (i - 0.25, n - 0.4)):
            ax.add_patch(Rectangle(xy, 0.5, 0.5, facecolor=cls.color, edgecolor="0.3", lw=0.5, clip_on=False))
    for (i, j), count in np.ndenumerate(cm):
        if count:
            ax.text(j, i, str(int(count)), ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.5 else "black")
    ax.set_xlabel("prediction")
    ax.set_ylabel("reference")
    ax.set_title(title)
    return fig


def write_confusion_png(cm: np.ndarray, path: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = confusion_figure(cm, title)
    FigureCanvasAgg(fig)
    fig.savefig(path)


def run(
    out: str | Path,
    lcz_pred: str | Path | None = None,
    lcz_ref: str | Path | None = None,
    hse_pred: str | Path | None = None,
    hse_ref: str | Path | None = None,
    hse_threshold: float = metrics.HSE_BINARY_THRESHOLD,
    hse_aggregate: int = 1,
    hse_pred_scale: float = 1.0,
    hse_ref_scale: float = 1.0,
) -> dict[str, Any]:
    """Evaluate whichever pairs are given, write the files into ``out`` and return the metrics."""
    if (lcz_pred is None) != (lcz_ref is None) or (hse_pred is None) != (hse_ref is None):
        raise ValueError("give a prediction together with its reference")
    if lcz_pred is None and hse_pred is None:
        raise ValueError("nothing to evaluate: give an LCZ pair, an HSE pair or both")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    if lcz_pred is not None and lcz_ref is not None:
        result["lcz"], cm = evaluate_lcz(lcz_pred, lcz_ref)
        write_confusion_csv(cm, out / "confusion_matrix.csv")
        write_per_class_csv(result["lcz"]["per_class"], out / "per_class.csv")
        s = result["lcz"]
        title = f"LCZ: OA {s['oa']:.3f}  Kappa {s['kappa']:.3f}  AA {s['aa']:.3f}  WA {s['wa']:.3f}  (n = {s['n']})"
        write_confusion_png(cm, out / "confusion_matrix.png", title)
    if hse_pred is not None and hse_ref is not None:
        result["hse"] = evaluate_hse(hse_pred, hse_ref, hse_threshold, hse_aggregate, hse_pred_scale, hse_ref_scale)
    (out / "metrics.json").write_text(json.dumps(_json_safe(result), indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.mtl.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--lcz-pred", help="predicted LCZ raster (codes 1..17, 0 = nodata)")
    p.add_argument("--lcz-ref", help="reference LCZ raster; its grid is the one scored")
    p.add_argument("--hse-pred", help="predicted HSE density raster (0..1)")
    p.add_argument("--hse-ref", help="reference HSE density raster")
    p.add_argument("--hse-threshold", type=float, default=metrics.HSE_BINARY_THRESHOLD,
                   help="density at or above which a cell is settlement (default %(default)s)")
    p.add_argument("--hse-aggregate", type=int, default=1,
                   help="block size (reference cells a side) averaged before thresholding (default 1)")
    p.add_argument("--hse-pred-scale", type=float, default=1.0, help="factor to fractions (0.01 for percent)")
    p.add_argument("--hse-ref-scale", type=float, default=1.0, help="factor to fractions (0.01 for percent)")
    p.add_argument("--out", required=True, help="folder for metrics.json, the CSVs and the PNG")
    a = p.parse_args(argv)
    try:
        result = run(a.out, a.lcz_pred, a.lcz_ref, a.hse_pred, a.hse_ref, a.hse_threshold, a.hse_aggregate,
                     a.hse_pred_scale, a.hse_ref_scale)
    except (ValueError, FileNotFoundError) as exc:
        p.error(str(exc))
    for task, scores in result.items():
        shown = {k: v for k, v in scores.items() if isinstance(v, float | int) and not isinstance(v, bool)}
        print(task, " ".join(f"{k}={v:.4g}" for k, v in shown.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
