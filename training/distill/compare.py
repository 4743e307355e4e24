"""Spread of the goal measures over several recipe runs (seeds, experiments) and their averaged ensemble.

    python -m training.distill.compare runs/distill runs/distill_s1 runs/distill_s2 [--ensemble-out runs/ensemble]

Why: the goal measures (Kappa against the Hong Kong expert test samples and the Milan 5-class map) rest on
a handful of 100 m cells (HK) and on a knife-edge split between two built classes (Milan); one run says
little. This prints, per held-out scene and measure, the teacher, every run's student, and their mean and
range; with --ensemble-out also the ensemble whose LCZ is the argmax of the runs' averaged probabilities
(scored with the same functions as evaluate_heldout). Reads each run's eval/ folder; trains nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal

from core.lcz import LCZ_NODATA
from core.products import PROBABILITY_NODATA

from . import STUDENT, evaluate_heldout
from .rasters import write_raster

gdal.UseExceptions()
MEASURES = ("agreement_with_teacher", "hk_test_samples", "milan_5class")


def student_kappas(run: Path, model: str = STUDENT) -> dict[tuple[str, str, str], float]:
    """(city, date, measure) -> Kappa of `model` (or "teacher") in one run's eval/results.json."""
    results = json.loads((run / "eval" / "results.json").read_text())
    return {(city, date, measure): float(row[model][measure]["kappa"])
            for city, c in results["cities"].items() for date, row in c["dates"].items()
            for measure in MEASURES if model in row and measure in row[model] and row[model][measure]}


def average_probabilities(paths: list[Path], out: Path) -> Path:
    """The LCZ map (codes 1..17, 0 = no data) of the averaged probability rasters; written to `out`."""
    datasets = [gdal.Open(str(p)) for p in paths]
    if len({(d.RasterCount, d.RasterYSize, d.RasterXSize) for d in datasets}) != 1:
        raise ValueError("the probability rasters are not on one grid")
    stack = np.stack([d.ReadAsArray().astype(np.float64) for d in datasets])
    valid = (stack != PROBABILITY_NODATA).all(axis=(0, 1))
    codes = np.where(valid, stack.mean(axis=0).argmax(axis=0) + 1, LCZ_NODATA).astype(np.uint8)
    write_raster(out, codes, datasets[0].GetGeoTransform(), datasets[0].GetProjection(), gdal.GDT_Byte, LCZ_NODATA)
    return out


def ensemble_kappas(runs: list[Path], out: Path, scenes: Path) -> dict[tuple[str, str, str], float]:
    """Score the ensemble of the runs' students on every held-out scene of the first run."""
    found: dict[tuple[str, str, str], float] = {}
    first = json.loads((runs[0] / "eval" / "results.json").read_text())
    for city, c in first["cities"].items():
        refs = evaluate_heldout.references(city, scenes / city)
        for date in c["dates"]:
            lcz = average_probabilities([r / "eval" / city / f"{STUDENT}_{date}_prob.tif" for r in runs],
                                        out / city / f"ensemble_{date}_lcz.tif")
            found[(city, date, "agreement_with_teacher")] = evaluate_heldout.agreement(
                lcz, runs[0] / "eval" / city / f"teacher_{date}_lcz.tif")["kappa"]
            for kind, ref in refs.items():
                if kind in MEASURES:
                    found[(city, date, kind)] = evaluate_heldout.score_reference(lcz, ref, kind)["kappa"]
    return found


def table(runs: list[Path], ensemble: dict[tuple[str, str, str], float] | None = None) -> str:
    """Markdown: one row per scene and measure; teacher, each run, mean and range, ensemble."""
    teacher = student_kappas(runs[0], "teacher")
    per_run = [student_kappas(r) for r in runs]
    head = ["city", "date", "Kappa against", "teacher", *[r.name for r in runs], "mean", "min .. max"]
    if ensemble is not None:
        head.append("ensemble")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(set().union(*per_run)):
        values = [k[key] for k in per_run if key in k]
        cells = [*key[:2], key[2].replace("_", " "), _fmt(teacher.get(key)), *[_fmt(k.get(key)) for k in per_run],
                 _fmt(statistics.fmean(values)), f"{min(values):.3f} .. {max(values):.3f}"]
        if ensemble is not None:
            cells.append(_fmt(ensemble.get(key)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="recipe output folders (each with eval/results.json)")
    parser.add_argument("--ensemble-out", type=Path, help="also score the runs' averaged students; maps go here")
    parser.add_argument("--scenes", type=Path, default=Path("../shared/data/oscd"), help="where the references are")
    args = parser.parse_args(argv)
    ensemble = ensemble_kappas(args.runs, args.ensemble_out, args.scenes) if args.ensemble_out else None
    print(table(args.runs, ensemble), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
