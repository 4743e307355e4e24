"""The issue-18 gate table over seeds from training.v3.evaluate results (mean, spread, verdict on the mean).

    python -m training.v3.gates_table runs/v3/seed_0/eval runs/v3/seed_1/eval ... --teacher runs/v3/teacher_eval
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

#: (gate, key path in results.json, comparison, threshold): "teacher" = the teacher's figure minus TOLERANCE.
TOLERANCE = 0.005
DATES = {"hongkong": ("20160927", "20180323"), "milano": ("20161228", "20180122"), "pisa": ("20150704", "20180211")}
GATES: tuple[tuple[str, tuple[str, ...], str, Any], ...] = (
    *((f"LCZ Kappa vs HK PRD map, {d}", ("lcz", f"hongkong_{d}", "hk_prd_map", "kappa"), ">=", "teacher")
      for d in DATES["hongkong"]),
    *((f"LCZ WA vs HK PRD map, {d}", ("lcz", f"hongkong_{d}", "hk_prd_map", "wa"), ">=", "teacher")
      for d in DATES["hongkong"]),
    *((f"Milan 5-class Kappa, {d}", ("lcz", f"milano_{d}", "milan_5class", "kappa"), ">=", "teacher")
      for d in DATES["milano"]),
    ("EuroSAT patch accuracy", ("eurosat", "patch_accuracy"), ">=", "teacher"),
    *((f"HSE Spearman, Pisa test blocks (100 m), {d}", ("hse", f"pisa_{d}", "test", "spearman"), ">=", 0.90)
      for d in DATES["pisa"]),
    *((f"HSE AUC cover >= 0.3 vs empty, Pisa test blocks, {d}", ("hse", f"pisa_{d}", "test", "auc"), ">=", 0.97)
      for d in DATES["pisa"]),
    *((f"HSE MAE (100 m), Pisa test blocks, {d}", ("hse", f"pisa_{d}", "test", "mae"), "<=", 0.04)
      for d in DATES["pisa"]),
    *((f"HSE over HK PRD water, {d}", ("lcz", f"hongkong_{d}", "hse_prd_cells", "mean_hse_water"), "<=", 0.05)
      for d in DATES["hongkong"]),
    *((f"HSE AUC built vs natural, HK PRD cells, {d}", ("lcz", f"hongkong_{d}", "hse_prd_cells",
                                                         "auc_built_vs_natural"), ">=", 0.93)
      for d in DATES["hongkong"]),
)
REPORTED: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((f"LCZ identical to the teacher's, {k}", ("lcz", k, "lcz_identical_to_teacher"))
      for k in ("hongkong_20160927", "hongkong_20180323", "milano_20161228", "milano_20180122")),
    *((f"HSE Spearman, Pisa validation blocks, {d}", ("hse", f"pisa_{d}", "validation", "spearman"))
      for d in DATES["pisa"]),
    *((f"HSE MAE, Pisa validation blocks, {d}", ("hse", f"pisa_{d}", "validation", "mae")) for d in DATES["pisa"]),
    *((f"HSE mean predicted, Pisa test blocks, {d}", ("hse", f"pisa_{d}", "test", "mean_predicted"))
      for d in DATES["pisa"]),
    *((f"building cover mean (reference), Pisa test blocks, {d}", ("hse", f"pisa_{d}", "test", "mean_reference"))
      for d in DATES["pisa"]),
    *((f"mean abs dHSE over unchanged pixels, {a}", ("hse", "mean_abs_dhse_unchanged", a))
      for a in ("hongkong", "milano", "montpellier", "lasvegas", "pisa")),
)


def _get(results: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return math.nan
        value = value[key]
    return float(value)


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def table(runs: list[Path], teacher: Path | None) -> str:
    results = [json.loads((r / "results.json").read_text()) for r in runs]
    teacher_results = json.loads((teacher / "results.json").read_text()) if teacher else {}
    head = ("| gate | teacher | " + " | ".join(r.parent.name for r in runs)
            + " | mean | min .. max | threshold | verdict |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for name, path, op, threshold in GATES:
        values = [_get(r, path) for r in results]
        t = _get(teacher_results, path)
        bound = t - TOLERANCE if threshold == "teacher" and op == ">=" else threshold
        mean = sum(values) / len(values)
        ok = (mean >= bound) if op == ">=" else (mean <= bound)
        verdict = "-" if math.isnan(mean) or (isinstance(bound, float) and math.isnan(bound)) else (
            "pass" if ok else f"fail (by {abs(mean - bound):.3f})")
        lines.append(f"| {name} | {_fmt(t)} | " + " | ".join(_fmt(v) for v in values)
                     + f" | {_fmt(mean)} | {_fmt(min(values))} .. {_fmt(max(values))} | {op} {_fmt(float(bound))} | "
                     f"{verdict} |")
    lines += ["", "| reported | " + " | ".join(r.parent.name for r in runs) + " |",
              "|---" * (len(runs) + 1) + "|"]
    for name, path in REPORTED:
        lines.append(f"| {name} | " + " | ".join(_fmt(_get(r, path)) for r in results) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--teacher", type=Path, default=None)
    args = parser.parse_args(argv)
    print(table(args.runs, args.teacher))


if __name__ == "__main__":
    main()
