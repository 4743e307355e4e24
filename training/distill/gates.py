"""The measures behind the v2 gates (issue 13) that evaluate_heldout did not have.

- ``hse_on_reference_cells``: a model's HSE at 100 m on the cells of a 17-class LCZ reference (the Hong Kong
  PRD map): AUC of built (LCZ 1-10) against natural (A-G) cells, the Spearman rank correlation between the
  class means of HSE and the Stewart & Oke built + impervious fraction (``label_rules.BUILT_UP_FRACTION``),
  and the mean HSE over water cells (G). The cells are those of the engine's 100 m LCZ output, so each
  reference cell is the mode of its 10 m pixels and each HSE value the mean of its 20 m pixels.
- ``eurosat_check``: the engine over the real EuroSAT-MS L1C patches of ``../shared/data/eurosat_sample``;
  a patch is right when the argmax of its mean LCZ probabilities falls in the LCZ set of its land-use class
  (Residential / Industrial -> built LCZ 1-10, Forest -> A or B, SeaLake -> G). Also the patch-mean HSE per
  class and the AUC of built (Residential, Industrial) against vegetated / water patches.

A measure with too few units says so (``MIN_CELLS``) instead of returning a number that looks solid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal

from core.engine import OutputPaths, map_scene
from core.lcz import BUILT_CODES, LCZ_CLASS_COUNT, WATER_CODE
from core.options import ModelChoice
from core.products import HSE_NODATA, PROBABILITY_NODATA
from core.reference_grid import read_on_grid

from .label_rules import BUILT_UP_FRACTION

gdal.UseExceptions()
Log = Callable[[str], None]

#: Fewest cells of a class for its mean HSE to enter the rank correlation.
MIN_CELLS = 10
#: The files' real band order: B8A is the LAST band, not the ninth as the sample's README says. Over the 200
#: patches band 13 correlates 0.998 with B8 (mean 2 630 DN), band 10 averages 12 DN (cirrus B10, not SWIR
#: B11) and band 9 762 DN (water vapour B09); read in the README's order, SWIR looks like water.
EUROSAT_BANDS = "B1,B2,B3,B4,B5,B6,B7,B8,B9,B10,B11,B12,B8A"
#: EuroSAT land-use class -> the LCZ codes that count as right for it.
EUROSAT_EXPECTED: dict[str, tuple[int, ...]] = {
    "Residential": BUILT_CODES, "Industrial": BUILT_CODES, "Forest": (11, 12), "SeaLake": (WATER_CODE,)}
EUROSAT_BUILT = ("Residential", "Industrial")
EUROSAT_NATURAL = ("Forest", "SeaLake", "Pasture", "AnnualCrop", "HerbaceousVegetation", "PermanentCrop")


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), np.float64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranks[order[start:stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    return ranks


def auc(positive: Iterable[float], negative: Iterable[float]) -> float:
    """Probability that a positive scores above a negative (ties count half); NaN without both."""
    pos, neg = np.asarray(list(positive), np.float64), np.asarray(list(negative), np.float64)
    if not len(pos) or not len(neg):
        return math.nan
    ranks = _ranks(np.concatenate([pos, neg]))
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def spearman(x: Iterable[float], y: Iterable[float]) -> float:
    """Rank correlation with average ranks for ties; NaN for fewer than three pairs or a constant side."""
    a, b = np.asarray(list(x), np.float64), np.asarray(list(y), np.float64)
    if len(a) < 3:
        return math.nan
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return math.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def hse_on_reference_cells(hse: Path, lcz_grid: Path, reference: Path) -> dict[str, Any]:
    """HSE against a 17-class LCZ reference on the 100 m cells of `lcz_grid` (an engine LCZ output)."""
    classes, _ = read_on_grid(reference, lcz_grid, "classes")
    density, _ = read_on_grid(hse, lcz_grid, "density")
    ok = np.isfinite(density) & (density >= 0) & (classes >= 1) & (classes <= LCZ_CLASS_COUNT)
    ref, h = classes[ok].astype(np.int64), density[ok].astype(np.float64)
    built = np.isin(ref, BUILT_CODES)
    counts = {int(c): int((ref == c).sum()) for c in np.unique(ref)}
    means = {c: float(h[ref == c].mean()) for c, n in counts.items() if n >= MIN_CELLS}
    codes = sorted(means)
    water = ref == WATER_CODE
    return {
        "cells": int(ok.sum()), "built_cells": int(built.sum()), "natural_cells": int((~built).sum()),
        "auc_built_vs_natural": auc(h[built], h[~built]) if built.sum() >= MIN_CELLS and (~built).sum() >= MIN_CELLS
        else math.nan,
        "class_mean_hse": {str(c): round(means[c], 4) for c in codes},
        "class_cells": {str(c): counts[c] for c in sorted(counts)},
        "rank_corr_with_built_fraction": spearman([means[c] for c in codes],
                                                  [BUILT_UP_FRACTION[c - 1] for c in codes]),
        "water_cells": int(water.sum()),
        "mean_hse_water": float(h[water].mean()) if water.sum() >= MIN_CELLS else math.nan,
    }


def _patch_outputs(path: Path, model: str | None, out: Path, with_hse: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(17,) mean LCZ probabilities over the valid cells and the patch's valid HSE pixels (or None)."""
    prob, hse = out / f"{path.stem}_prob.tif", out / f"{path.stem}_hse.tif"
    map_scene(str(path), OutputPaths(lcz=str(out / f"{path.stem}_lcz.tif"), probabilities=str(prob),
                                     hse=str(hse) if with_hse else None),
              model=ModelChoice(model_path=model, bands=EUROSAT_BANDS, device="CPU"))
    p = gdal.Open(str(prob)).ReadAsArray().astype(np.float64).reshape(LCZ_CLASS_COUNT, -1)
    mean_p = p[:, (p != PROBABILITY_NODATA).all(axis=0)].mean(axis=1)
    if not with_hse:
        return mean_p, None
    h = gdal.Open(str(hse)).ReadAsArray().astype(np.float64).ravel()
    return mean_p, h[h != HSE_NODATA]


def eurosat_check(folder: Path, model: str | None, out: Path, with_hse: bool, log: Log | None = None) -> dict[str, Any]:
    """LCZ patch accuracy on the classes of EUROSAT_EXPECTED and (with_hse) patch-mean HSE per class."""
    say = log or (lambda m: None)
    out.mkdir(parents=True, exist_ok=True)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not with_hse:
        classes = [c for c in classes if c in EUROSAT_EXPECTED]
    right: dict[str, list[bool]] = {}
    hse_means: dict[str, list[float]] = {}
    for name in classes:
        for patch in sorted((folder / name).glob("*.tif")):
            mean_p, hse = _patch_outputs(patch, model, out / name, with_hse)
            if name in EUROSAT_EXPECTED:
                right.setdefault(name, []).append(int(mean_p.argmax()) + 1 in EUROSAT_EXPECTED[name])
            if hse is not None and hse.size:
                hse_means.setdefault(name, []).append(float(hse.mean()))
        say(f"EuroSAT {name}: done")
    hits = [r for values in right.values() for r in values]
    result: dict[str, Any] = {
        "patches": len(hits), "patch_accuracy": float(np.mean(hits)),
        "class_accuracy": {c: float(np.mean(v)) for c, v in right.items()},
    }
    if with_hse:
        result["class_mean_hse"] = {c: float(np.mean(v)) for c, v in hse_means.items()}
        result["hse_auc_built_vs_natural"] = auc(
            [v for c in EUROSAT_BUILT for v in hse_means.get(c, [])],
            [v for c in EUROSAT_NATURAL for v in hse_means.get(c, [])])
    return result


# ------------------------------------------------------------------------------ the gates over seeds
#: (name, where in a run's results, comparison, threshold) of every gate of issue 13. "teacher" thresholds
#: compare with the teacher's figure on the same scene (minus the tolerance); numbers are absolute.
GATES: tuple[dict[str, Any], ...] = (
    {"gate": "LCZ Kappa vs HK PRD map", "city": "hongkong", "measure": ("hk_prd_map", "kappa"), "at_least": "teacher"},
    {"gate": "LCZ WA vs HK PRD map", "city": "hongkong", "measure": ("hk_prd_map", "wa"), "at_least": "teacher"},
    {"gate": "Milan 5-class Kappa", "city": "milano", "measure": ("milan_5class", "kappa"), "at_least": "teacher",
     "tolerance": 0.01},
    {"gate": "EuroSAT patch accuracy", "city": None, "measure": ("eurosat", "patch_accuracy"), "at_least": "teacher"},
    {"gate": "HSE AUC built vs natural (HK PRD cells)", "city": "hongkong",
     "measure": ("hse_prd_cells", "auc_built_vs_natural"), "at_least": 0.93},
    {"gate": "HSE rank corr. with S&O fraction (HK PRD cells)", "city": "hongkong",
     "measure": ("hse_prd_cells", "rank_corr_with_built_fraction"), "at_least": 0.85},
    {"gate": "HSE over water (HK PRD G cells)", "city": "hongkong", "measure": ("hse_prd_cells", "mean_hse_water"),
     "at_most": 0.05},
)
#: Reported beside the gates, never gated (issue 13: agreement with the fused teacher favours the teacher).
REPORTED: tuple[dict[str, Any], ...] = (
    {"gate": "agreement with the teacher (Kappa)", "city": "*", "measure": ("agreement_with_teacher", "kappa")},
    {"gate": "HK expert test samples Kappa", "city": "hongkong", "measure": ("hk_test_samples", "kappa")},
    {"gate": "mean abs dHSE over unchanged pixels", "city": "*", "per": "city",
     "measure": ("hse", "student_mean_abs_dhse_unchanged")},
)


def _run_results(run: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    results = json.loads((run / "eval" / "results.json").read_text())
    eurosat_path = run / "eval" / "eurosat.json"
    return results, json.loads(eurosat_path.read_text()) if eurosat_path.exists() else {}


def _value(results: dict[str, Any], eurosat: dict[str, Any], city: str | None, date: str | None, model: str,
           measure: tuple[str, str]) -> float:
    kind, key = measure
    if kind == "eurosat":
        value = eurosat.get(model, {}).get(key)
    elif kind == "hse":  # per area (both dates), from evaluate_heldout.hse_checks
        value = results["cities"].get(city, {}).get("hse", {}).get(model, {}).get(key)
    else:
        value = results["cities"].get(city, {}).get("dates", {}).get(date, {}).get(model, {}).get(kind, {}).get(key)
    return math.nan if value is None else float(value)


def gate_rows(runs: list[Path], model: str) -> list[dict[str, Any]]:
    """One row per gate (and reported measure) and scene: teacher, each run, mean, range and verdict.

    Verdict on the mean over the runs: "pass" / "fail"; "unresolved" where the threshold lies inside the
    runs' range (the seeds disagree about it), or "-" where a figure is missing.
    """
    loaded = [_run_results(r) for r in runs]
    first = loaded[0][0]
    rows = []
    for spec in GATES + REPORTED:
        if spec["city"] is None:
            places = [(None, None)]
        else:
            named = list(first["cities"]) if spec["city"] == "*" else [spec["city"]]
            cities = [c for c in named if c in first["cities"]]
            places = ([(c, None) for c in cities] if spec.get("per") == "city"
                      else [(c, d) for c in cities for d in first["cities"][c]["dates"]])
        for city, date in places:
            values = [_value(res, es, city, date, model, spec["measure"]) for res, es in loaded]
            teacher = _value(first, loaded[0][1], city, date, "teacher", spec["measure"])
            finite = [v for v in values if math.isfinite(v)]
            mean = float(np.mean(finite)) if finite else math.nan
            row = {"gate": spec["gate"], "city": city or "EuroSAT (200 patches)", "date": date or "-",
                   "teacher": teacher, "runs": values, "mean": mean,
                   "min": min(finite) if finite else math.nan, "max": max(finite) if finite else math.nan,
                   "threshold": math.nan, "verdict": "reported"}
            if "at_least" in spec or "at_most" in spec:
                bound = spec.get("at_least", spec.get("at_most"))
                threshold = teacher - spec.get("tolerance", 0.0) if bound == "teacher" else float(bound)
                higher = "at_least" in spec
                row["threshold"] = threshold
                if not finite or not math.isfinite(threshold):
                    row["verdict"] = "-"
                elif row["min"] < threshold < row["max"]:
                    row["verdict"] = "unresolved"
                else:
                    row["verdict"] = "pass" if (mean >= threshold if higher else mean <= threshold) else "fail"
            rows.append(row)
    return rows


def gate_table(runs: list[Path], model: str) -> str:
    """Markdown of gate_rows."""
    head = ["gate", "city", "date", "teacher", *[r.name for r in runs], "mean", "min .. max", "threshold", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in gate_rows(runs, model):
        lines.append("| " + " | ".join([row["gate"], row["city"], row["date"], _fmt(row["teacher"]),
                                        *[_fmt(v) for v in row["runs"]], _fmt(row["mean"]),
                                        f"{_fmt(row['min'])} .. {_fmt(row['max'])}", _fmt(row["threshold"]),
                                        row["verdict"]]) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from . import STUDENT

    parser = argparse.ArgumentParser(description="The issue-13 gates over several recipe runs (seeds).")
    parser.add_argument("runs", nargs="+", type=Path, help="recipe output folders (each with eval/results.json)")
    parser.add_argument("--model", default=STUDENT)
    args = parser.parse_args(argv)
    print(gate_table(args.runs, args.model), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
