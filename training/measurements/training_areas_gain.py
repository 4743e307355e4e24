"""Measure what training areas add to a model's LCZ map (issue 14, item 4), on real references.

Simulated training areas, as the founders measured: K homogeneous 3 x 3-cell blocks per reference class, drawn
from the western half of the scene; scored on every reference cell of the eastern half; repeated over random
draws. The model runs once per scene (this script keeps every cell's features: a measurement on small scenes,
unlike the plugin, which never stores them); the adapter is core.adapter, as the plugin uses it.

Usage (from the repository root):
    .venv/bin/python -m training.measurements.training_areas_gain [--draws 10] [--k 3 5 10] [--out docs/...md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal

from core.adapter import LczAdapter, cell_features
from core.bands import MODEL_BANDS
from core.engine import CellGrid, OutputPaths, map_scene
from core.lcz import LCZ_CLASS_COUNT
from core.model import BUNDLED_MODEL_FILES, MODELS_DIR
from core.options import ModelChoice
from core.scores import class_scores, confusion_matrix
from training.distill.evaluate_heldout import MILAN_5CLASS

gdal.UseExceptions()

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "oscd"
BANDS = ",".join(MODEL_BANDS)  # the band order of the shared scenes (their .bands.txt)
BLOCK = 3


@dataclass(frozen=True)
class Case:
    """One scene and its reference: the reference's classes as LCZ codes (for the training areas), and the LCZ
    codes grouped into the reference's classes (for scoring)."""

    name: str
    scene: Path
    reference: Path
    to_lcz: dict[int, int]  # reference class -> LCZ code of its training areas
    groups: dict[int, int]  # LCZ code -> reference class (missing: not scored)


LCZ_IDENTITY = {code: code for code in range(1, LCZ_CLASS_COUNT + 1)}
CASES = (
    Case("Hong Kong (PRD map of Liu & Shi, 2018-19; scene 2018-03-23)",
         DATA / "hongkong" / "hongkong_S2L1C_20180323_10band_10m.tif",
         DATA / "hongkong" / "hongkong_LCZ_PRD_sjliu_2018-19_100m_on_oscd_grid.tif", LCZ_IDENTITY, LCZ_IDENTITY),
    Case("Milan (5-class map, Copernicus Academy; scene 2018-01-22)",
         DATA / "milano" / "milano_S2L1C_20180122_10band_10m.tif",
         DATA / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif",
         {1: 2, 2: 3, 3: 12, 4: 14, 5: 17}, MILAN_5CLASS),
)


class _KeepAll:
    """CellHook that keeps every cell's probabilities and embedding (measurement only)."""

    def start(self, grid: CellGrid) -> None:
        self.grid = grid
        self.probabilities = np.zeros((LCZ_CLASS_COUNT, grid.height, grid.width), np.float32)
        self.embedding: np.ndarray | None = None
        self.valid = np.zeros((grid.height, grid.width), bool)

    def needed(self, first_row: int, rows: int) -> None:
        return None

    def cells(self, first_row, probabilities, embedding, valid):
        rows = probabilities.shape[1]
        self.probabilities[:, first_row : first_row + rows] = probabilities
        self.valid[first_row : first_row + rows] = valid
        if embedding is not None and embedding.shape[0]:
            if self.embedding is None:
                self.embedding = np.zeros((embedding.shape[0], self.grid.height, self.grid.width), np.float32)
            self.embedding[:, first_row : first_row + rows] = embedding
        return probabilities


def reference_on_cells(reference: Path, grid: CellGrid) -> np.ndarray:
    """The reference's class per 100 m cell (majority), 0 where it has none."""
    source = gdal.Open(str(reference))
    gt = grid.geotransform
    bounds = (gt[0], gt[3] + gt[5] * grid.height, gt[0] + gt[1] * grid.width, gt[3])
    warped = gdal.Warp("", source, format="MEM", outputBounds=bounds, width=grid.width, height=grid.height,
                       dstSRS=grid.projection, resampleAlg="mode", dstNodata=0)
    values = warped.ReadAsArray().astype(np.int64)
    values[(values < 0) | (values > 255)] = 0
    return values


def model_features(scene: Path, model: Path) -> _KeepAll:
    keep = _KeepAll()
    with tempfile.TemporaryDirectory() as folder:
        map_scene(str(scene), OutputPaths(lcz=str(Path(folder) / "lcz.tif")),
                  model=ModelChoice(model_path=str(model), bands=BANDS, device="CPU"), cell_hook=keep)
    return keep


def simulated_areas(reference: np.ndarray, usable: np.ndarray, k: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cell mask and polygon id (0 = none) of K homogeneous BLOCK x BLOCK blocks per class inside `usable`."""
    height, width = reference.shape
    polygon = np.zeros_like(reference)
    next_id = 1
    for code in np.unique(reference[usable & (reference > 0)]):
        candidates = [(y, x) for y in range(height - BLOCK + 1) for x in range(width - BLOCK + 1)
                      if usable[y : y + BLOCK, x : x + BLOCK].all()
                      and (reference[y : y + BLOCK, x : x + BLOCK] == code).all()]
        if not candidates:
            continue
        for index in rng.permutation(len(candidates))[:k]:
            y, x = candidates[index]
            polygon[y : y + BLOCK, x : x + BLOCK] = next_id
            next_id += 1
    return polygon > 0, polygon


def group_lookup(groups: dict[int, int]) -> np.ndarray:
    """LCZ code -> reference class as an index array (0: not scored)."""
    lookup = np.zeros(LCZ_CLASS_COUNT + 1, np.int64)
    for code, group in groups.items():
        lookup[code] = group
    return lookup


def kappa_of(truth: np.ndarray, lcz: np.ndarray, groups: dict[int, int]) -> float:
    return class_scores(confusion_matrix(truth, group_lookup(groups)[lcz], max(groups.values())))["kappa"]


def measure(case: Case, model: Path, ks: list[int], draws: int) -> dict[str, object]:
    keep = model_features(case.scene, model)
    reference = reference_on_cells(case.reference, keep.grid)
    reference[~np.isin(reference, list(case.to_lcz))] = 0
    valid = keep.valid & (reference > 0)
    columns = np.arange(reference.shape[1])[None, :].repeat(reference.shape[0], axis=0)
    west, east = valid & (columns < reference.shape[1] // 2), valid & (columns >= reference.shape[1] // 2)
    p = keep.probabilities.reshape(LCZ_CLASS_COUNT, -1).T
    emb = None if keep.embedding is None else keep.embedding.reshape(keep.embedding.shape[0], -1).T
    features = cell_features(p, emb)
    truth = reference.ravel()
    test = east.ravel()
    alone = kappa_of(truth[test], p[test].argmax(axis=1) + 1, case.groups)
    rows = {}
    for k in ks:
        kappas = []
        for draw in range(draws):
            rng = np.random.default_rng(1000 * k + draw)
            mask, _polygon = simulated_areas(reference, west, k, rng)
            cells = mask.ravel()
            codes = np.array([case.to_lcz[c] for c in truth[cells]])
            if np.unique(codes).size < 2:
                continue
            adapter = LczAdapter.fit(features[cells], codes, seed=draw)
            adapted = adapter.adapt(p[test], None if emb is None else emb[test]).argmax(axis=1) + 1
            kappas.append(kappa_of(truth[test], adapted, case.groups))
        rows[k] = (float(np.mean(kappas)), float(np.std(kappas)), len(kappas))
    return {"case": case.name, "model": model.name, "test_cells": int(test.sum()), "alone": alone, "adapted": rows,
            "features": "log-probabilities" + (f" + {emb.shape[1]} embedding" if emb is not None else "")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--k", type=int, nargs="+", default=[3, 5, 10])
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here as well")
    args = parser.parse_args(argv)
    lines = ["| Reference (test: eastern half) | Model | Features | Test cells | Model alone | "
             + " | ".join(f"Adapted, K={k}" for k in args.k) + " |",
             "|---|---|---|---|---|" + "---|" * len(args.k)]
    for case in CASES:
        for file_name in BUNDLED_MODEL_FILES:
            result = measure(case, MODELS_DIR / file_name, args.k, args.draws)
            cells = " | ".join(f"{mean:.3f} ± {sd:.3f} ({n})" for mean, sd, n in result["adapted"].values())
            line = (f"| {case.name} | {file_name} | {result['features']} | {result['test_cells']} | "
                    f"{result['alone']:.3f} | {cells} |")
            print(line, flush=True)
            lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
