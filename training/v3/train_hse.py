"""Train the v3 HSE branch on the cached backbone features (training.v3.features): real cover + derived targets.

Targets, honestly:
- **Pisa** (the only real reference): the building-cover fraction of official footprints on the 20 m pixels
  (../shared/data/references/pisa_buildings), cells of the `train` blocks of training/v3/pisa_split.json only.
  The 2018-02-11 scene lines up with the footprints: pixel and cell losses; the 2015-07-04 scene is ~1 px off:
  the cell loss only.
- **Derived** (other training areas, no reference): the teacher's LCZ probabilities times the Stewart & Oke
  building surface fraction (midpoint of the class's range; natural classes A..G 0), as a cell mean, with a weight
  below Pisa's; spectral open water 0 per pixel. A model's output, not ground truth (docs/MODEL_V3.md).

Loss per cell: |mean(pred) - mean(target)| over its valid 20 m pixels, plus (Pisa 2018) the paper's per-pixel
MAE weighted by exp(target). Adam, step decay, fixed epochs (no choice on scored data); a checkpoint per epoch
(--resume continues). Logs one JSON line per epoch with the validation-block scores.

    python -m training.v3.train_hse --features runs/v3/features --out runs/v3/hse_seed0 --seed 0
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from core.lcz import BUILT_CODES, LCZ_CLASS_COUNT
from training.distill.gates import auc, spearman
from training.distill.label_rules import SURFACE_FRACTIONS, range_midpoint
from training.v3.network import HseBranch, HseConfig
from training.v3.pisa_split import cell_roles

#: The derived building-cover fraction per LCZ class: S&O building surface fraction midpoint (built), 0 (natural).
DERIVED_BUILDING_FRACTION = np.array([range_midpoint(SURFACE_FRACTIONS[c][0]) / 100.0 if c in BUILT_CODES else 0.0
                                      for c in range(1, LCZ_CLASS_COUNT + 1)], dtype=np.float32)
PISA = "pisa"
PISA_ALIGNED_DATE = "20180211"
#: Areas whose features are never used by the HSE branch (the held-out references of the distillation).
HELD_OUT_AREAS = ("hongkong", "milano", "montpellier", "lasvegas")
KIND_PIXEL, KIND_CELL, KIND_DERIVED = 0, 1, 2
COVER_BUILT = 0.3  # the gates' "cells >= 0.3 cover vs empty"


@dataclass(frozen=True)
class HseRecipe:
    seed: int = 0
    epochs: int = 12
    batch: int = 128
    lr: float = 1e-3
    decay_every: int = 4
    decay: float = 0.3
    derived_weight: float = 0.1
    derived_cells_per_scene: int = 1000
    pixel_weight: float = 0.5
    hidden: int = 64
    use_cbam: bool = True
    floor: float = 0.15
    context: int = 32
    validation_areas: tuple[str, ...] = ("rio", "chongqing")


@dataclass
class CellSet:
    features: torch.Tensor  # (n, 192, 9, 9) float16
    embedding: torch.Tensor  # (n, 256) float16
    target: torch.Tensor  # (n, 5, 5), NaN where none
    ok: torch.Tensor  # (n, 5, 5) bool
    water: torch.Tensor  # (n, 5, 5) bool
    kind: torch.Tensor  # (n,) KIND_*

    def __len__(self) -> int:
        return len(self.kind)


def _scene_name(path: Path) -> tuple[str, str]:
    area, date = path.stem.rsplit("_", 1)
    return area, date


def cell_means(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """(n, 5, 5) values and validity -> (n,) means over the valid, finite pixels (NaN if none)."""
    good = ok & np.isfinite(values)
    total = np.where(good, values, 0.0).reshape(len(values), -1).sum(1)
    count = good.reshape(len(values), -1).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def pisa_scores(predicted: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """The gates' measures on 100 m cells: Spearman, AUC (cover >= 0.3 vs empty), MAE, means."""
    keep = np.isfinite(predicted) & np.isfinite(reference)
    p, r = predicted[keep], reference[keep]
    return {"cells": int(keep.sum()), "spearman": spearman(p, r), "auc": auc(p[r >= COVER_BUILT], p[r == 0]),
            "mae": float(np.abs(p - r).mean()), "mean_predicted": float(p.mean()), "mean_reference": float(r.mean())}


def load_sets(folder: Path, recipe: HseRecipe) -> dict[str, CellSet | dict]:
    """Training cells, the Pisa validation blocks (2018) and the validation areas (derived targets)."""
    rng = np.random.default_rng(recipe.seed)
    train: list[dict[str, np.ndarray]] = []
    validation: dict[str, dict[str, np.ndarray]] = {}
    for path in sorted(folder.glob("*.npz")):
        area, date = _scene_name(path)
        if area in HELD_OUT_AREAS:
            continue
        data = np.load(path)
        ok = data["pixel_ok"]
        if area == PISA:
            roles = cell_roles(data["cells"])
            target = np.where(ok, data["reference"], np.nan)
            kind = KIND_PIXEL if date == PISA_ALIGNED_DATE else KIND_CELL
            for role, wanted in (("train", True), ("validation", date == PISA_ALIGNED_DATE)):
                m = roles == role
                if not wanted or not m.any():
                    continue
                part = {"features": data["features"][m], "embedding": data["embedding"][m], "target": target[m],
                        "ok": ok[m], "water": data["water"][m], "kind": np.full(m.sum(), kind)}
                if role == "train":
                    train.append(part)
                else:
                    validation["pisa"] = part
            continue
        derived = (data["lcz"] @ DERIVED_BUILDING_FRACTION).astype(np.float32)
        target = np.repeat(derived[:, None, None], 5, 1).repeat(5, 2)
        target = np.where(data["water"], 0.0, target).astype(np.float32)
        usable = np.flatnonzero(ok.mean(axis=(1, 2)) >= 0.5)
        if area in recipe.validation_areas:
            validation.setdefault(area, {"features": [], "lcz": [], "embedding": []})
            validation[area]["features"].append(data["features"][usable])
            validation[area]["embedding"].append(data["embedding"][usable])
            validation[area]["lcz"].append(data["lcz"][usable])
            validation[area].setdefault("water", []).append(data["water"][usable])
            continue
        if recipe.derived_weight <= 0:
            continue
        pick = rng.choice(usable, size=min(len(usable), recipe.derived_cells_per_scene), replace=False)
        train.append({"features": data["features"][pick], "embedding": data["embedding"][pick],
                      "target": target[pick], "ok": ok[pick], "water": data["water"][pick],
                      "kind": np.full(len(pick), KIND_DERIVED)})
    joined = {k: np.concatenate([p[k] for p in train]) for k in train[0]}
    cells = CellSet(torch.from_numpy(joined["features"]), torch.from_numpy(joined["embedding"]),
                    torch.from_numpy(joined["target"].astype(np.float32)), torch.from_numpy(joined["ok"]),
                    torch.from_numpy(joined["water"]), torch.from_numpy(joined["kind"]))
    for area, parts in validation.items():
        if area != "pisa":
            validation[area] = {k: np.concatenate(v) for k, v in parts.items()}
    return {"train": cells, "validation": validation}


def loss_of(pred: torch.Tensor, batch: CellSet, recipe: HseRecipe) -> torch.Tensor:
    """Cell-mean L1 for every cell, per-pixel exp(y)-weighted L1 for Pisa 2018, water pixels 0 for derived cells."""
    p = pred[:, 0]
    good = batch.ok & torch.isfinite(batch.target)
    y = torch.where(good, batch.target, torch.zeros_like(batch.target))
    count = good.flatten(1).sum(1).clamp(min=1)
    cell = ((p * good).flatten(1).sum(1) / count - y.flatten(1).sum(1) / count).abs()
    weight = torch.where(batch.kind == KIND_DERIVED, recipe.derived_weight, 1.0)
    loss = (cell * weight).sum()
    pixel = batch.kind == KIND_PIXEL
    if pixel.any():
        per_pixel = (torch.exp(y) * (p - y).abs() * good).flatten(1).sum(1) / count
        loss = loss + recipe.pixel_weight * (per_pixel * pixel).sum()
    derived = batch.kind == KIND_DERIVED
    if derived.any():
        water = batch.water & batch.ok & derived[:, None, None]
        loss = loss + recipe.derived_weight * (p * water).flatten(1).sum(1).div(count).sum()
    return loss / len(p)


def _subset(cells: CellSet, index: torch.Tensor) -> CellSet:
    return CellSet(cells.features[index].float(), cells.embedding[index].float(), cells.target[index],
                   cells.ok[index], cells.water[index], cells.kind[index])


@torch.no_grad()
def predict(branch: HseBranch, features: np.ndarray, embedding: np.ndarray, batch: int = 1024) -> np.ndarray:
    """(n, 5, 5) densities of cached cells."""
    branch.eval()
    x, e = torch.as_tensor(features), torch.as_tensor(embedding)
    return np.concatenate([branch(x[i : i + batch].float(), e[i : i + batch].float())[:, 0].numpy()
                           for i in range(0, len(x), batch)])


def validate(branch: HseBranch, validation: dict) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if "pisa" in validation:
        v = validation["pisa"]
        out["pisa_validation_blocks"] = pisa_scores(cell_means(predict(branch, v["features"], v["embedding"]), v["ok"]),
                                                    cell_means(v["target"], v["ok"]))
    for area, v in validation.items():
        if area == "pisa":
            continue
        h = predict(branch, v["features"], v["embedding"]).reshape(len(v["features"]), -1).mean(1)
        teacher = v["lcz"].argmax(1) + 1
        built = np.isin(teacher, BUILT_CODES)
        water = v["water"].reshape(len(h), -1).mean(1) > 0.9
        out[area] = {"auc_built_vs_natural_teacher": auc(h[built], h[~built]),
                     "mean_hse_water": float(h[water].mean()) if water.any() else math.nan,
                     "mean_hse": float(h.mean())}
    return out


def train(features: Path, out: Path, recipe: HseRecipe, resume: bool = False) -> Path:
    """Train (or resume) and return the path of the final branch weights."""
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(recipe.seed)
    np.random.seed(recipe.seed)
    sets = load_sets(features, recipe)
    cells: CellSet = sets["train"]
    branch = HseBranch(HseConfig(hidden=recipe.hidden, use_cbam=recipe.use_cbam, floor=recipe.floor,
                                 context=recipe.context))
    optimiser = torch.optim.Adam(branch.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, recipe.decay_every, recipe.decay)
    start, checkpoint, log = 0, out / "last.pt", out / "log.jsonl"
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        branch.load_state_dict(state["branch"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        start = state["epoch"] + 1
    else:
        log.write_text("")
    (out / "recipe.json").write_text(json.dumps(asdict(recipe), indent=1) + "\n")
    generator = torch.Generator().manual_seed(recipe.seed)
    for epoch in range(start, recipe.epochs):
        began = time.time()
        generator.manual_seed(recipe.seed * 1000 + epoch)
        order = torch.randperm(len(cells), generator=generator)
        branch.train()
        total = 0.0
        for i in range(0, len(order), recipe.batch):
            batch = _subset(cells, order[i : i + recipe.batch])
            loss = loss_of(branch(batch.features, batch.embedding), batch, recipe)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        schedule.step()
        scores = validate(branch, sets["validation"])
        line = {"epoch": epoch, "loss": total / len(cells), "seconds": round(time.time() - began, 1), **scores}
        with log.open("a") as f:
            f.write(json.dumps(line) + "\n")
        print(json.dumps(line), flush=True)
        torch.save({"branch": branch.state_dict(), "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(), "epoch": epoch, "recipe": asdict(recipe)}, checkpoint)
    final = out / "hse_branch.pt"
    torch.save({"branch": branch.state_dict(), "config": asdict(branch.config), "recipe": asdict(recipe)}, final)
    return final


def load_branch(path: Path) -> HseBranch:
    state = torch.load(path, weights_only=False)
    branch = HseBranch(HseConfig(**state["config"]))
    branch.load_state_dict(state["branch"])
    return branch.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("runs/v3/features"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    for field, value in asdict(HseRecipe()).items():
        if isinstance(value, bool):
            parser.add_argument(f"--{field.replace('_', '-')}", type=lambda s: s.lower() in ("1", "true", "yes"),
                                default=value)
        elif isinstance(value, tuple):
            parser.add_argument(f"--{field.replace('_', '-')}", nargs="*", default=list(value))
        else:
            parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    values = {k: getattr(args, k) for k in asdict(HseRecipe())}
    values["validation_areas"] = tuple(values["validation_areas"])
    print(train(args.features, args.out, HseRecipe(**values), args.resume))


if __name__ == "__main__":
    main()
