"""Cache what the v3 HSE branch learns from: per 100 m cell, the backbone's 9 x 9 neighbourhood and the targets.

The windows come from core.patch.patch_chunks, the engine's own reading of a scene (working grid, padding, no-data
filling), so the branch learns on exactly what it sees in the plugin. Per scene one .npz:
- `features` (n, 192, 9, 9) float16: training.v3.network.cell_neighbourhood of the frozen backbone;
- `lcz` (n, 17), `embedding` (n, 256): the teacher's probabilities and pooled features (the LCZ branch's);
- `cells` (n, 2): (row, column) of the cell on the scene's 100 m grid;
- `pixel_ok`, `water` (n, 5, 5): 20 m pixels with data; open water by the spectral test of the distillation labels;
- `reference` (n, 5, 5), only with a reference raster: its value on the 20 m pixels (NaN where it has none),
  warped onto the engine's 20 m grid by area-weighted averaging.

    python -m training.v3.features --scenes runs/scenes --out runs/v3/features [--areas pisa ...]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from osgeo import gdal

from core.aggregation import MIN_VALID_SHARE
from core.model import DEFAULT_MODEL_PATH, load_model
from core.patch import patch_chunks
from core.reader import open_scene
from core.tiling import block_sum
from training.distill.label_rules import indices, to_20m, water_mask
from training.distill.rasters import OSCD_BANDS, find_areas
from training.v3.network import CELL, HSE_PIXEL, HSE_SIDE, cell_neighbourhood
from training.v3.resnet20 import So2SatResNet20

gdal.UseExceptions()

BATCH = 256
#: The real building-cover reference of the Pisa scene (../shared/data/references/pisa_buildings/README.md).
PISA_REFERENCE = (Path(__file__).resolve().parents[3]
                  / "shared/data/references/pisa_buildings/pisa_building_fraction_20m.tif")


def reference_on_grid(reference: Path, geotransform: tuple[float, ...], projection: str, width: int,
                      height: int) -> np.ndarray:
    """The reference on the engine's 20 m grid (width x height pixels at 10 m -> ceil/2), area-weighted; NaN = none."""
    w20, h20 = math.ceil(width / HSE_PIXEL), math.ceil(height / HSE_PIXEL)
    x0, y0, px = geotransform[0], geotransform[3], geotransform[1] * HSE_PIXEL
    warped = gdal.Warp("", str(reference), format="MEM", dstSRS=projection, outputBounds=(x0, y0 - h20 * px,
                       x0 + w20 * px, y0), width=w20, height=h20, resampleAlg="average", srcNodata=float("nan"),
                       dstNodata=float("nan"), outputType=gdal.GDT_Float32)
    return warped.ReadAsArray().astype(np.float32)


@torch.no_grad()
def extract_scene(image: str, out: Path, reference: Path | None = None, bands: str | None = OSCD_BANDS,
                  backbone: So2SatResNet20 | None = None) -> Path:
    """Write one scene's cache (see the module docstring) and return its path."""
    torch.set_grad_enabled(False)
    backbone = (backbone or So2SatResNet20()).eval()
    contract = load_model(DEFAULT_MODEL_PATH, "CPU").contract
    scene = open_scene(image, contract.bands, band_mapping=bands, gsd=contract.gsd)
    try:
        ref20 = None
        if reference is not None:
            ref20 = reference_on_grid(reference, scene.geotransform, scene.projection, scene.width, scene.height)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("features", "lcz", "embedding", "cells", "pixel_ok",
                                                               "water", "reference")}
        offset = CELL // 2 - contract.patch_size // 2
        for chunk in patch_chunks(scene, contract):
            todo = chunk.cells()
            if not todo:
                continue
            inner = chunk.data[:, -offset : -offset + chunk.rows * CELL, -offset : -offset + chunk.cells_x * CELL]
            image20, _ = to_20m(inner, chunk.pixel_valid)
            water20 = water_mask(indices(image20))
            count = block_sum(chunk.pixel_valid.astype(np.float32), HSE_PIXEL)
            ok20 = (count >= MIN_VALID_SHARE * block_sum(chunk.inside.astype(np.float32), HSE_PIXEL)) & (count > 0)
            for start in range(0, len(todo), BATCH):
                batch_cells = todo[start : start + BATCH]
                windows = torch.from_numpy(np.stack([chunk.window(r, c) for r, c in batch_cells]))
                stage1, stage2, stream = backbone.stages(windows)
                lcz, embedding = backbone.head(stream)
                parts["features"].append(cell_neighbourhood(stage1, stage2).numpy().astype(np.float16))
                parts["lcz"].append(lcz.numpy())
                parts["embedding"].append(embedding.numpy().astype(np.float16))
                s = HSE_SIDE
                rows = [(r, c) for r, c in batch_cells]
                parts["cells"].append(np.array([(chunk.first + r, c) for r, c in rows], dtype=np.int32))
                parts["pixel_ok"].append(np.stack([ok20[r * s : (r + 1) * s, c * s : (c + 1) * s] for r, c in rows]))
                parts["water"].append(np.stack([water20[r * s : (r + 1) * s, c * s : (c + 1) * s] for r, c in rows]))
                if ref20 is not None:
                    padded = np.full(((chunk.first + chunk.rows) * s, chunk.cells_x * s), np.nan, np.float32)
                    h = min(padded.shape[0], ref20.shape[0])
                    padded[:h, : ref20.shape[1]] = ref20[:h]
                    parts["reference"].append(np.stack([
                        padded[(chunk.first + r) * s : (chunk.first + r + 1) * s, c * s : (c + 1) * s]
                        for r, c in rows]))
        arrays = {k: np.concatenate(v) for k, v in parts.items() if v}
        grid = {"geotransform": list(scene.geotransform), "projection": scene.projection, "width": scene.width,
                "height": scene.height, "source": str(image)}
    finally:
        scene.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, grid=json.dumps(grid), **arrays)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=Path, default=Path("runs/scenes"))
    parser.add_argument("--out", type=Path, default=Path("runs/v3/features"))
    parser.add_argument("--areas", nargs="*", default=None, help="only these areas (default: all)")
    parser.add_argument("--pisa-reference", type=Path, default=PISA_REFERENCE)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    backbone = So2SatResNet20().eval()
    for area in find_areas(args.scenes, args.areas):
        for image, date in zip(area.images, area.dates, strict=True):
            out = args.out / f"{area.city}_{date}.npz"
            if out.exists():
                print(f"{out}: exists, kept")
                continue
            reference = args.pisa_reference if area.city == "pisa" else None
            extract_scene(image, out, reference, backbone=backbone)
            print(f"{out}: written", flush=True)


if __name__ == "__main__":
    main()
