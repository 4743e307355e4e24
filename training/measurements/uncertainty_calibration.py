"""Which per-cell uncertainty flags wrong LCZ cells, and the calibration that ships it (issue 11, part 3).

1. Calibration cells: the bundled So2Sat ResNet20 maps the training areas of runs/scenes (both dates; the
   held-out cities Hong Kong, Milan, Montpellier and Las Vegas excluded), keeping each cell's probabilities and
   256 penultimate features (a random sample of cells per scene). The class geometric medians (Weiszfeld,
   training/mtl/uncertainty.py) are those of the cells the model *predicts* as each class: we have no So2Sat
   training labels, so the medians are of its predictions on these areas, as the issue allows (say so).
2. Candidate scores per cell: 1 - max probability, entropy, distance to the predicted class's median, the ratio
   of the distances to the nearest and the second-nearest median, and the mean of two of them after scaling.
3. AUC of each score for "this cell is wrong" on the real references (Hong Kong PRD map; Milan 5-class map,
   LCZ grouped), both dates each; the table goes to the output Markdown.
4. --write JSON: the medians and per-class quantile tables of the chosen score, which the So2Sat converter puts
   into the ONNX metadata (key `uncertainty`, docs/MODEL_CONTRACT.md).

Usage: .venv/bin/python -m training.measurements.uncertainty_calibration [--per-scene 1500]
       [--out training/measurements/uncertainty_auc.md] [--write training/so2sat_resnet20/uncertainty.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.engine import OutputPaths, map_scene
from core.lcz import LCZ_CLASS_COUNT
from core.model import MODELS_DIR
from core.options import ModelChoice
from core.uncertainty import PART_MAXP, PART_RATIO, QUANTILES, UNCERTAINTY_KIND, ratio_of_nearest_medians
from training.distill.evaluate_heldout import MILAN_5CLASS
from training.measurements.training_areas_gain import BANDS, DATA, _KeepAll, group_lookup, reference_on_cells
from training.mtl.uncertainty import class_medians

SCENES = Path(__file__).resolve().parents[1] / "runs" / "scenes"
HELD_OUT = ("hongkong", "milano", "montpellier", "lasvegas")
MODEL = MODELS_DIR / "so2sat_resnet20_lcz.onnx"
MIN_CELLS = 30  # a class predicted on fewer calibration cells gets no median
REFERENCES = (
    ("Hong Kong PRD", DATA / "hongkong",
     DATA / "hongkong" / "hongkong_LCZ_PRD_sjliu_2018-19_100m_on_oscd_grid.tif", None),
    ("Milan 5-class", DATA / "milano", DATA / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif",
     MILAN_5CLASS),
)


def cells_of(scene: Path, model: Path = MODEL) -> tuple[np.ndarray, np.ndarray, _KeepAll]:
    keep = _KeepAll()
    with tempfile.TemporaryDirectory() as folder:
        map_scene(str(scene), OutputPaths(lcz=str(Path(folder) / "lcz.tif")),
                  model=ModelChoice(model_path=str(model), bands=BANDS, device="CPU"), cell_hook=keep)
    valid = keep.valid.ravel()
    p = keep.probabilities.reshape(LCZ_CLASS_COUNT, -1).T[valid]
    e = keep.embedding.reshape(keep.embedding.shape[0], -1).T[valid]
    return p, e, keep


def scores(p: np.ndarray, e: np.ndarray, medians: np.ndarray) -> dict[str, np.ndarray]:
    predicted = p.argmax(axis=1)
    distances = np.linalg.norm(e[:, None, :] - np.nan_to_num(medians, nan=1e6)[None], axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(p * np.log(np.maximum(p, 1e-12))).sum(axis=1)
    out = {
        "1 - max probability": 1 - p.max(axis=1),
        "entropy": entropy,
        "distance to the predicted class median": distances[np.arange(len(p)), predicted],
        "nearest / second-nearest median distance": ratio_of_nearest_medians(distances),
    }
    ranks = {k: v.argsort().argsort() / max(len(v) - 1, 1) for k, v in out.items()}
    out["mean of the ranks of 1 - max p and the distance ratio"] = (
        ranks["1 - max probability"] + ranks["nearest / second-nearest median distance"]) / 2
    return out


def auc(score: np.ndarray, wrong: np.ndarray) -> float:
    """P(score of a wrong cell > score of a right cell), ties counted half (Mann-Whitney)."""
    order = score.argsort(kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    # average ranks for ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0
    ranks[order] = np.repeat(average, counts) + 1
    n_wrong, n_right = int(wrong.sum()), int((~wrong).sum())
    return float((ranks[wrong].sum() - n_wrong * (n_wrong + 1) / 2) / (n_wrong * n_right))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-scene", type=int, default=1500)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--model", type=Path, default=MODEL, help="a contract model with an embedding output")
    parser.add_argument("--parts", nargs="+", default=[PART_MAXP, PART_RATIO], choices=[PART_MAXP, PART_RATIO],
                        help="the parts the shipped score combines (choose from the AUC table)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    probabilities, embeddings, names = [], [], []
    for folder in sorted(SCENES.iterdir()):
        if folder.name in HELD_OUT:
            continue
        for scene in sorted(folder.glob("*_10band_10m.tif")):
            p, e, _ = cells_of(scene, args.model)
            take = rng.permutation(len(p))[: args.per_scene]
            probabilities.append(p[take])
            embeddings.append(e[take])
            names.append(scene.name)
            print(f"calibration: {scene.name} {len(take)} cells", flush=True)
    p_cal, e_cal = np.concatenate(probabilities), np.concatenate(embeddings)
    predicted = p_cal.argmax(axis=1)
    counts = np.bincount(predicted, minlength=LCZ_CLASS_COUNT)
    medians = class_medians(e_cal, predicted)
    medians[counts < MIN_CELLS] = np.nan
    print(f"calibration cells: {len(p_cal)} from {len(names)} scenes; classes with a median: "
          f"{int((counts >= MIN_CELLS).sum())}", flush=True)

    lines = ["| Reference | Date | Cells | Wrong | " + " | ".join(scores(p_cal[:2], e_cal[:2], medians)) + " |"]
    lines.append("|---|---|---|---|" + "---|" * (len(lines[0].split("|")) - 6))
    for name, folder, reference, groups in REFERENCES:
        for scene in sorted(folder.glob("*_10band_10m.tif")):
            _, _, keep = cells_of(scene, args.model)
            truth = reference_on_cells(reference, keep.grid).ravel()
            valid = keep.valid.ravel() & (truth > 0)
            p = keep.probabilities.reshape(LCZ_CLASS_COUNT, -1).T[valid]
            e = keep.embedding.reshape(keep.embedding.shape[0], -1).T[valid]
            label = p.argmax(axis=1) + 1
            if groups:
                label = group_lookup(groups)[label]
            wrong = label != truth[valid]
            row = [auc(s, wrong) for s in scores(p, e, medians).values()]
            line = (f"| {name} | {scene.name.split('_')[2]} | {valid.sum()} | {wrong.mean():.2f} | "
                    + " | ".join(f"{a:.3f}" for a in row) + " |")
            print(line, flush=True)
            lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.write:
        distances = np.linalg.norm(e_cal[:, None, :] - np.nan_to_num(medians, nan=1e6)[None], axis=2)
        ratio = ratio_of_nearest_medians(distances)
        maxp = 1 - p_cal.max(axis=1)
        table = {
            "kind": UNCERTAINTY_KIND,
            "parts": args.parts,
            "medians": [None if np.isnan(m).any() else [round(float(v), 5) for v in m] for m in medians],
            "quantiles": {
                "one_minus_max_probability": [round(float(q), 6) for q in np.quantile(maxp, QUANTILES)],
                "median_distance_ratio": [round(float(q), 6) for q in np.quantile(ratio, QUANTILES)],
            },
            "calibration": f"{len(p_cal)} cells of {len(names)} Sentinel-2 scenes "
                           f"(runs/scenes without {', '.join(HELD_OUT)}); "
                           "medians of the cells the model predicts as each class",
        }
        args.write.write_text(json.dumps(table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
