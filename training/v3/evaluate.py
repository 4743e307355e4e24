"""The issue-18 gates of one model, through core.engine.map_scene on held-out data only.

- LCZ: Kappa / WA against the Hong Kong PRD map (a model's output, Liu & Shi 2020) on both dates, Kappa against
  Milan's 5-class map on both dates, EuroSAT patch accuracy (training.distill.gates.eurosat_check); and, for a
  model that must equal the teacher, the largest difference of its probabilities from the teacher's.
- HSE: on the `test` (and `validation`) blocks of the Pisa split (training/v3/pisa_split.json), on 100 m cells:
  Spearman, AUC cover >= 0.3 vs empty, MAE, means; both dates. On the Hong Kong PRD cells: AUC built vs natural and
  the mean over water. Mean |dHSE| between the two dates over spectrally unchanged 20 m pixels (< 5 % mean relative
  band change) of every held-out area and Pisa.

    python -m training.v3.evaluate --model models/mtl_resnet20_v3.onnx --out runs/v3/eval_seed0 [--teacher]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.engine import OutputPaths, map_scene
from core.options import ModelChoice
from core.products import HSE_NODATA, PROBABILITY_NODATA
from core.reader import open_scene
from training.distill.evaluate_heldout import agreement, references, score_reference
from training.distill.gates import eurosat_check, hse_on_reference_cells
from training.distill.rasters import OSCD_BANDS, find_areas
from training.measurements.growth_stability import spectral_change
from training.v3.features import PISA_REFERENCE, reference_on_grid
from training.v3.pisa_split import cell_roles
from training.v3.train_hse import cell_means, pisa_scores

gdal.UseExceptions()
REPO = Path(__file__).resolve().parents[2]
EUROSAT = REPO.parent / "shared/data/eurosat_sample"
LCZ_AREAS = ("hongkong", "milano")
STABILITY_AREAS = ("hongkong", "milano", "montpellier", "lasvegas", "pisa")
UNCHANGED = 0.05
#: The So2Sat ResNet20 (LCZ only), named explicitly: the bundled default changes, the teacher does not.
TEACHER = REPO / "models" / "so2sat_resnet20_lcz.onnx"


def _read(path: str | Path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()


def _map(image: str, model: str | None, out: Path, stem: str, hse: bool) -> dict[str, str]:
    paths = OutputPaths(lcz=str(out / f"{stem}_lcz.tif"), probabilities=str(out / f"{stem}_prob.tif"),
                        hse=str(out / f"{stem}_hse.tif") if hse else None)
    if all(Path(p).exists() for p in paths.requested().values()):
        return paths.requested()
    result = map_scene(image, paths, model=ModelChoice(model_path=model, bands=OSCD_BANDS, device="CPU"))
    return result.outputs


def pisa_hse(hse: str, roles_wanted: tuple[str, ...] = ("test", "validation")) -> dict[str, Any]:
    """The Pisa gates of one HSE map on the engine's grid of the Pisa scene, per block role."""
    ds = gdal.Open(hse)
    h = ds.ReadAsArray().astype(np.float64)
    gt = ds.GetGeoTransform()
    width10, height10 = ds.RasterXSize * 2, ds.RasterYSize * 2
    ref = reference_on_grid(PISA_REFERENCE, (gt[0], gt[1] / 2, 0, gt[3], 0, gt[5] / 2), ds.GetProjection(), width10,
                            height10).astype(np.float64)
    hc, wc = math.ceil(h.shape[0] / 5), math.ceil(h.shape[1] / 5)
    pad = lambda a: np.pad(a, ((0, hc * 5 - a.shape[0]), (0, wc * 5 - a.shape[1])), constant_values=np.nan)  # noqa: E731
    ok = (h != HSE_NODATA)
    blocks = lambda a: pad(a).reshape(hc, 5, wc, 5).transpose(0, 2, 1, 3).reshape(hc * wc, 5, 5)  # noqa: E731
    cells = np.array([(r, c) for r in range(hc) for c in range(wc)])
    predicted = cell_means(blocks(np.where(ok, h, np.nan)), blocks(ok.astype(float)) > 0)
    reference = cell_means(blocks(ref), blocks(ok.astype(float)) > 0)
    roles = cell_roles(cells)
    out = {role: pisa_scores(predicted[roles == role], reference[roles == role]) for role in roles_wanted}
    return out


def stability(model: str, scenes: Path, out: Path) -> dict[str, float]:
    """Mean |dHSE| between the two dates over 20 m pixels whose spectrum changed less than UNCHANGED."""
    result = {}
    for area in find_areas(scenes, STABILITY_AREAS):
        maps = [_map(img, model, out, f"{area.city}_{d}", True) for img, d in zip(area.images, area.dates,
                                                                                           strict=True)]
        first, second = (_read(m["hse"]).astype(np.float64) for m in maps)
        scene = open_scene(area.images[0], MODEL_BANDS, band_mapping=OSCD_BANDS)  # both dates share this grid
        grid = scene.grid
        scene.close()
        spectral = spectral_change(area.images[0], area.images[1], grid)
        h = min(first.shape[0], second.shape[0], spectral.shape[0])
        w = min(first.shape[1], second.shape[1], spectral.shape[1])
        a, b, s = first[:h, :w], second[:h, :w], spectral[:h, :w]
        calm = (a != HSE_NODATA) & (b != HSE_NODATA) & np.isfinite(s) & (s < UNCHANGED)
        result[area.city] = float(np.abs(a - b)[calm].mean())
    return result


def evaluate(model: str, out: Path, scenes: Path = REPO / "runs/scenes", with_hse: bool = True,
             eurosat: bool = True) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    teacher_out = out.parent / "teacher_maps"
    teacher_out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"model": model, "lcz": {}, "hse": {}}
    for area in find_areas(scenes, LCZ_AREAS):
        refs = references(area.city, Path(area.images[0]).resolve().parent)
        for image, date in zip(area.images, area.dates, strict=True):
            maps = _map(image, model, out, f"{area.city}_{date}", with_hse)
            teacher = _map(image, str(TEACHER), teacher_out, f"{area.city}_{date}", False)
            row: dict[str, Any] = {kind: score_reference(Path(maps["lcz"]), ref, kind) for kind, ref in refs.items()}
            row["agreement_with_teacher"] = agreement(Path(maps["lcz"]), Path(teacher["lcz"]))
            p, t = _read(maps["probabilities"]), _read(teacher["probabilities"])
            both = (p != PROBABILITY_NODATA).all(0) & (t != PROBABILITY_NODATA).all(0)
            row["max_abs_dp_vs_teacher"] = float(np.abs(p - t)[:, both].max())
            row["lcz_identical_to_teacher"] = bool((_read(maps["lcz"]) == _read(teacher["lcz"])).all())
            if with_hse and "hk_prd_map" in refs:
                row["hse_prd_cells"] = hse_on_reference_cells(Path(maps["hse"]), Path(maps["lcz"]), refs["hk_prd_map"])
            results["lcz"][f"{area.city}_{date}"] = row
            print(f"{area.city} {date}: done", flush=True)
    if with_hse:
        pisa = find_areas(scenes, ("pisa",))[0]
        for image, date in zip(pisa.images, pisa.dates, strict=True):
            maps = _map(image, model, out, f"pisa_{date}", True)
            results["hse"][f"pisa_{date}"] = pisa_hse(maps["hse"])
        results["hse"]["mean_abs_dhse_unchanged"] = stability(model, scenes, out)
    if eurosat:
        results["eurosat"] = eurosat_check(EUROSAT, model, out / "eurosat", with_hse)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=float) + "\n")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="ONNX file (default: the teacher, LCZ only)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-eurosat", action="store_true")
    args = parser.parse_args(argv)
    evaluate(args.model or str(TEACHER), args.out, with_hse=args.model is not None, eurosat=not args.no_eurosat)


if __name__ == "__main__":
    main()
