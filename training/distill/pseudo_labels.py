"""Pseudo-labels for distillation: soft LCZ from the So2Sat ResNet20 teacher, derived 20 m HSE targets.

This module runs the recipe over the areas (teacher runs, label files, the manifest); the rules themselves are
training.distill.label_rules, the raster files training.distill.rasters.

For one area with two Sentinel-2 dates (docs/DISTILLATION.md gives the reasoning):

1. Both dates are warped onto one 10 m UTM grid: the engine's working grid of date 1 (``align_dates``),
   so the teacher's 100 m cells and the 20 m HSE cells of both dates coincide by construction.
2. The teacher (``core.engine.map_scene``) gives 17 probabilities per 100 m cell and date; their
   average is the fused distributional LCZ label (the So2Sat authors fuse seasons the same way).
3. Each cell's built-up fraction is derived from the LCZ probabilities and the Stewart & Oke (2012)
   building + impervious surface fractions (range midpoints, ``BUILT_UP_FRACTION``). Derived, not measured.
4. The fraction is spread over the cell's 25 pixels of 20 m in proportion to a spectral built-up
   likelihood (``builtup_likelihood``: low NDVI, high NDBI, water 0), mass-conserving per cell.
5. Change gating: where the two dates do not differ spectrally, both dates use the two-date average
   likelihood and the fused cell fraction (seasons do not move HSE); changed pixels keep their own date's
   likelihood, and a cell's fraction moves towards that date's own teacher fraction by its changed share.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.engine import OutputPaths, map_scene
from core.lcz import LCZ_CLASS_COUNT
from core.options import ModelChoice
from core.products import HSE_NODATA, PROBABILITY_NODATA
from training.dynamicworld.infer import DW_CLASSES, dynamic_world_probabilities

from .label_rules import BUILT_UP_FRACTION, LabelSettings, derive_labels, to_20m
from .rasters import OSCD_BANDS, Area, align_dates, find_areas, read_image, read_probabilities, write_raster

gdal.UseExceptions()

Log = Callable[[str], None]


def run_teacher(image: Path, out_dir: Path, model_path: str | None = None) -> tuple[Path, Path]:
    """(probabilities, LCZ) GeoTIFFs of the teacher (default: the bundled So2Sat ResNet20) on one scene.

    Outputs newer than the image are reused: relabelling with other settings does not rerun the teacher.
    """
    prob, lcz = out_dir / f"{image.stem}_teacher_prob.tif", out_dir / f"{image.stem}_teacher_lcz.tif"
    if all(p.exists() and p.stat().st_mtime >= image.stat().st_mtime for p in (prob, lcz)):
        return prob, lcz
    map_scene(str(image), OutputPaths(lcz=str(lcz), probabilities=str(prob)),
              model=ModelChoice(model_path=model_path, bands=OSCD_BANDS, device="CPU"))
    return prob, lcz


def run_dynamic_world(image: np.ndarray, valid: np.ndarray, session: object) -> tuple[np.ndarray, np.ndarray]:
    """Dynamic World on a (10, H, W) MODEL_BANDS DN image -> (9, H20, W20) probabilities at 20 m, validity."""
    dw = dynamic_world_probabilities(np.where(valid, image, 0), MODEL_BANDS, session)
    dw20, ok20 = to_20m(np.nan_to_num(dw), valid & np.isfinite(dw).all(axis=0))
    dw20[:, ~ok20] = np.nan
    return dw20, ok20


def dynamic_world_session(path: str | Path) -> object:
    """An onnxruntime session of the converted Dynamic World model, with a clear error when it is missing."""
    import onnxruntime as ort

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no converted Dynamic World model; build it with `python -m "
                                f"training.dynamicworld.convert` (training/dynamicworld/README.md) or label without it")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def make_area_labels(area: Area, out_dir: Path, model_path: str | None = None, log: Log | None = None,
                     dynamic_world: object | None = None) -> list[dict]:
    """Align, run the teacher (and Dynamic World, a session or None), derive and write the labels of one
    area; one manifest entry per date."""
    say = log or (lambda m: None)
    folder = out_dir / area.city
    aligned = align_dates(area, folder)
    teacher = [run_teacher(path, folder, model_path) for path in aligned]
    images20, valid20, probabilities, dw20 = [], [], [], []
    for path, (prob_path, _) in zip(aligned, teacher, strict=True):
        image, valid, gt, wkt = read_image(path, None)
        im20, ok20 = to_20m(image, valid)
        images20.append(im20)
        valid20.append(ok20)
        p, gt100, _ = read_probabilities(prob_path)
        probabilities.append(p)
        if dynamic_world is not None:
            dw20.append(run_dynamic_world(image, valid, dynamic_world)[0])
    labels = derive_labels(images20, valid20, probabilities, dw20 if dynamic_world is not None else None)
    gt20 = (gt[0], 2 * gt[1], 0.0, gt[3], 0.0, 2 * gt[5])
    names = [f"LCZ code {c}" for c in range(1, LCZ_CLASS_COUNT + 1)]
    if dynamic_world is not None:
        for date, dw in zip(area.dates, dw20, strict=True):
            write_raster(folder / f"{area.city}_{date}_dynamicworld_20m.tif", dw, gt20, wkt, gdal.GDT_Float32,
                         PROBABILITY_NODATA, list(DW_CLASSES))
    write_raster(folder / f"{area.city}_lcz_soft_fused.tif", labels.fused, gt100, wkt, gdal.GDT_Float32,
                 PROBABILITY_NODATA, names)
    write_raster(folder / f"{area.city}_changed_20m.tif", labels.changed.astype(np.uint8), gt20, wkt, gdal.GDT_Byte,
                 None)
    entries = []
    for t, date in enumerate(area.dates):
        soft = write_raster(folder / f"{area.city}_{date}_lcz_soft.tif", labels.soft[t], gt100, wkt, gdal.GDT_Float32,
                            PROBABILITY_NODATA, names)
        hse = write_raster(folder / f"{area.city}_{date}_hse_derived_20m.tif", labels.hse[t], gt20, wkt,
                           gdal.GDT_Float32, HSE_NODATA)
        entries.append({"city": area.city, "date": date, "original": area.images[t], "image": str(aligned[t]),
                        "lcz_soft": str(soft), "hse": str(hse), "teacher_probabilities": str(teacher[t][0]),
                        "teacher_lcz": str(teacher[t][1]), "changed": str(folder / f"{area.city}_changed_20m.tif")})
    say(f"{area.city}: changed 20 m pixels {labels.changed.mean():.1%}; mean derived HSE "
        f"{np.nanmean(labels.hse[0]):.3f} / {np.nanmean(labels.hse[1]):.3f}"
        + (f"; cells moved by Dynamic World {labels.dynamic_world}" if labels.dynamic_world is not None else ""))
    for entry in entries:
        entry["dynamic_world_cells_moved"] = labels.dynamic_world
    return entries


def make_labels(scenes: str | Path, out_dir: str | Path, cities: Sequence[str] | None = None,
                model_path: str | None = None, log: Log | None = None,
                dynamic_world: str | Path | None = None) -> Path:
    """Pseudo-labels of every area under `scenes`; returns out_dir/labels.json (the manifest).

    dynamic_world: the converted Dynamic World ONNX (training.dynamicworld.convert), or None for the
    teacher-only labels of the first recipe.
    """
    out = Path(out_dir)
    session = dynamic_world_session(dynamic_world) if dynamic_world is not None else None
    entries = []
    for area in find_areas(scenes, cities):
        entries += make_area_labels(area, out, model_path, log, session)
    manifest = out / "labels.json"
    manifest.write_text(json.dumps({
        "teacher": model_path or "bundled default (models/so2sat_resnet20_lcz.onnx)",
        "dynamic_world": str(dynamic_world) if dynamic_world is not None else None,
        "built_up_fraction": {str(c): round(float(v), 4) for c, v in enumerate(BUILT_UP_FRACTION, start=1)},
        "settings": asdict(LabelSettings()), "scenes": entries}, indent=2))
    return manifest


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Teacher pseudo-labels (soft LCZ, derived HSE) for OSCD areas.")
    parser.add_argument("--scenes", default="../shared/data/oscd", help="folder of <city>/ subfolders")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--teacher", default=None, help="teacher ONNX (default: the plugin's bundled model)")
    parser.add_argument("--cities", nargs="*", default=None)
    parser.add_argument("--dynamic-world", default=None, help="converted Dynamic World ONNX (optional second teacher)")
    args = parser.parse_args(argv)
    print(make_labels(args.scenes, args.out, args.cities, args.teacher, log=print, dynamic_world=args.dynamic_world))


if __name__ == "__main__":
    main()
