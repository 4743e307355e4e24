"""The result tables of docs/DISTILLATION.md and models/mtl_distilled.md, rendered from one recipe run.

    python -m training.distill.report runs/distill > runs/distill/report.md

Reads eval/results.json (evaluate_heldout) and train/ablation.csv, so every figure in the documents comes
from the files of that run, not from hand copying.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

LABELS = {"mtl_learned_cbam_p2f": "MTL learned weights, CBAM + P2F (exported)", "stl_lcz": "single-task LCZ (CBAM)",
          "mtl_equal_cbam": "MTL 1:1, CBAM"}


def _pair(score: dict[str, Any] | None, extra: str | None = None) -> str:
    if not score:
        return "-"
    text = f"{score['oa']:.3f} / {score['kappa']:.3f}"
    if extra == "wa":
        text += f" / {score['wa']:.3f}"
    elif extra == "excluded" and "excluded_share" in score:
        text += f" ({100 * score['excluded_share']:.1f}%)"
    return text


def _f(value: float | None, digits: int = 3) -> str:
    """A number, or '-' where results.json holds null (a measure undefined on that scene, e.g. no water)."""
    return "-" if value is None else f"{value:.{digits}f}"


def _number(row: dict[str, str], key: str, digits: int = 3) -> str:
    value = row.get(key, "-")
    return "-" if value in ("-", "", "nan", None) else f"{float(value):.{digits}f}"


def ablation_table(csv_path: Path) -> str:
    rows = list(csv.DictReader(csv_path.open()))
    lines = ["| configuration | LCZ OA | LCZ Kappa | LCZ WA | HSE MAE % (vs derived HSE) | HSE binary Kappa (0.5) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {LABELS.get(row['preset'], row['preset'])} | {_number(row, 'lcz_oa')} | "
                     f"{_number(row, 'lcz_kappa')} | {_number(row, 'lcz_wa')} | {_number(row, 'hse_mae_percent', 1)} | "
                     f"{_number(row, 'hse_kappa')} |")
    return "\n".join(lines)


def lcz_table(results: dict[str, Any]) -> str:
    lines = ["| city | date | model | vs teacher OA / κ | HK test samples OA / κ | HK PRD map OA / κ / WA | "
             "Milan 5-class OA / κ (excluded share) |", "|---|---|---|---|---|---|---|"]
    for city, city_result in results["cities"].items():
        for date, models in city_result["dates"].items():
            for model, row in models.items():
                lines.append(f"| {city} | {date} | {model} | {_pair(row.get('agreement_with_teacher'))} | "
                             f"{_pair(row.get('hk_test_samples'))} | {_pair(row.get('hk_prd_map'), 'wa')} | "
                             f"{_pair(row.get('milan_5class'), 'excluded')} |")
    return "\n".join(lines)


def hse_tables(results: dict[str, Any]) -> str:
    sanity = ["| city | model | date | HSE water | HSE dense (teacher LCZ 1-3) | corr. 100 m with derived F | "
              "MAE % vs pseudo-label | ref built / natural / water |", "|---|---|---|---|---|---|---|---|"]
    stability = ["| city | model | mean abs dHSE unchanged (student / pseudo-label) | changed (student / pseudo-label) "
                 "| unchanged share |", "|---|---|---|---|---|"]
    for city, city_result in results["cities"].items():
        for model, checks in city_result.get("hse", {}).items():
            for date, values in checks.items():
                if not isinstance(values, dict):
                    continue
                row = city_result["dates"][date][model]
                means = [f"{k.removeprefix('hse_means_')}: {_f(v['built'], 2)} / {_f(v['natural'], 2)} / "
                         f"{_f(v['water'], 2)}" for k, v in row.items() if k.startswith("hse_means_")]
                sanity.append(f"| {city} | {model} | {date} | {_f(values['mean_hse_water'])} "
                              f"({values['water_pixels']} px) | {_f(values['mean_hse_dense_lcz_1_3'])} "
                              f"| {_f(values['corr_100m_with_derived_fraction'])}"
                              f" | {_f(values['mae_percent_vs_pseudo_label'], 1)} | {'; '.join(means) or '-'} |")
            stability.append(f"| {city} | {model} | {_f(checks['student_mean_abs_dhse_unchanged'])} / "
                             f"{_f(checks['pseudo_label_mean_abs_dhse_unchanged'])} | "
                             f"{_f(checks['student_mean_abs_dhse_changed'])} / "
                             f"{_f(checks['pseudo_label_mean_abs_dhse_changed'])} | {_f(checks['unchanged_share'])} |")
    return "\n".join(sanity) + "\n\n" + "\n".join(stability)


def report(run_dir: Path) -> str:
    results = json.loads((run_dir / "eval" / "results.json").read_text())
    parts = ["### Validation patches (held-out areas, against the pseudo-labels)",
             ablation_table(run_dir / "train" / "ablation.csv"),
             "### Engine maps of the held-out scenes", lcz_table(results),
             "### HSE sanity and stability", hse_tables(results)]
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.stdout.write(report(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/distill")))
