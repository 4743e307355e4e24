"""Model v3, dense form: the So2Sat ResNet20 trunk run fully convolutionally, fine-tuned to the patch teacher.

Converted without training (the founders' measurement), the trunk with a 7 x 7 average pool on its stride-4 stage-3
features in place of the global pool and the dense layer as a 1 x 1 convolution agrees with the patch model at
Kappa 0.5-0.7 only: the network learned from the zero padding of each 32 x 32 window. Here the trunk is fine-tuned
so that, run over whole crops, each 100 m cell's probabilities (stride-4 output repeated onto stride 2, averaged
over the cell: what the engine does) match the patch teacher's **two-date fused** probabilities of that cell (KL
divergence). Crops of 200 x 200 px on the engine's working grid; only the inner 10 x 10 cells (50 px from the
crop's edge) are scored. BatchNorm statistics stay the teacher's. Areas: the same 15 training areas as the HSE
branch (held out: hongkong, milano, montpellier, lasvegas).

    python -m training.v3.dense --features runs/v3/features --scenes runs/scenes --out runs/v3/dense_seed0 --seed 0
    python -m training.v3.dense ... --export-only      # export runs/v3/dense_seed0/dense.onnx from the last epoch
"""

from __future__ import annotations

import argparse
import io
import json
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from core import contract
from core.bands import MODEL_BANDS
from core.reader import open_scene
from training.distill.rasters import OSCD_BANDS, find_areas
from training.so2sat_resnet20.convert import OPSET
from training.v3.export import teacher_metadata
from training.v3.resnet20 import So2SatResNet20
from training.v3.train_hse import HELD_OUT_AREAS

CROP, INNER_MARGIN_CELLS, CELL, POOL = 200, 5, 10, 7
TILE, OVERLAP = 320, 120


class DenseResNet20(nn.Module):
    """image (N, 10, H, W), H and W multiples of 4 -> LCZ (N, 17, H/4, W/4) and embedding (N, 256, H/4, W/4)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = So2SatResNet20()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        stream = self.backbone.stages(image)[2]
        features = F.avg_pool2d(F.relu(self.backbone.final_bn(stream)), POOL, stride=1, padding=POOL // 2,
                                count_include_pad=False)
        logits = F.conv2d(features, self.backbone.dense.weight[:, :, None, None], self.backbone.dense.bias)
        return torch.softmax(logits, dim=1), features


def cell_probabilities(lcz: torch.Tensor) -> torch.Tensor:
    """(N, 17, h4, w4) at stride 4 -> (N, 17, h/10, w/10) per 100 m cell, as the engine computes it."""
    fine = lcz.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # stride 2 = gcd(4, 10)
    return F.avg_pool2d(fine, CELL // 2)


def _fused_cells(folder: Path, area: str, dates: tuple[str, str], shape: tuple[int, int]) -> np.ndarray:
    """(17, rows, cols) mean of the two dates' teacher probabilities per cell (NaN where a date has none)."""
    grids = []
    for date in dates:
        data = np.load(folder / f"{area}_{date}.npz")
        grid = np.full((17, *shape), np.nan, np.float32)
        r, c = data["cells"].T
        grid[:, r, c] = data["lcz"].T
        grids.append(grid)
    return (grids[0] + grids[1]) / 2


def load_scenes(features: Path, scenes: Path) -> list[dict[str, np.ndarray]]:
    loaded = []
    for area in find_areas(scenes):
        if area.city in HELD_OUT_AREAS:
            continue
        for image in area.images:
            scene = open_scene(image, MODEL_BANDS, band_mapping=OSCD_BANDS)
            try:
                data, valid = scene.read(0, 0, scene.width, scene.height)
            finally:
                scene.close()
            shape = (-(-data.shape[1] // CELL), -(-data.shape[2] // CELL))
            labels = _fused_cells(features, area.city, area.dates, shape)
            loaded.append({"image": np.where(valid, data, 0).astype(np.float32), "labels": labels, "name": area.city})
    return loaded


def draw_crop(scene: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 200 x 200 px crop at a cell corner (reflected beyond the scene) and its inner cells' fused labels."""
    image, labels = scene["image"], scene["labels"]
    rows, cols = labels.shape[1:]
    cells = CROP // CELL
    r0 = int(rng.integers(-INNER_MARGIN_CELLS, max(1, rows - cells + INNER_MARGIN_CELLS)))
    c0 = int(rng.integers(-INNER_MARGIN_CELLS, max(1, cols - cells + INNER_MARGIN_CELLS)))
    pad = CROP
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)), mode="reflect")
    y, x = r0 * CELL + pad, c0 * CELL + pad
    crop = padded[:, y : y + CROP, x : x + CROP]
    target = np.full((17, cells, cells), np.nan, np.float32)
    rs, cs = slice(max(r0, 0), min(r0 + cells, rows)), slice(max(c0, 0), min(c0 + cells, cols))
    target[:, rs.start - r0 : rs.stop - r0, cs.start - c0 : cs.stop - c0] = labels[:, rs, cs]
    inner = np.full_like(target, np.nan)
    m = INNER_MARGIN_CELLS
    inner[:, m:-m, m:-m] = target[:, m:-m, m:-m]
    return crop, inner


def train(features: Path, scenes: Path, out: Path, seed: int, epochs: int, crops_per_epoch: int, batch: int,
          lr: float) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = load_scenes(features, scenes)
    model = DenseResNet20()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    checkpoint, log = out / "last.pt", out / "log.jsonl"
    start = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        start, rng = state["epoch"] + 1, np.random.default_rng([seed, state["epoch"] + 1])
    for epoch in range(start, epochs):
        began, total = time.time(), 0.0
        model.train()
        for module in model.modules():  # keep the teacher's BatchNorm statistics
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        for _ in range(crops_per_epoch // batch):
            pairs = [draw_crop(data[int(rng.integers(len(data)))], rng) for _ in range(batch)]
            image = torch.from_numpy(np.stack([p[0] for p in pairs]))
            target = torch.from_numpy(np.stack([p[1] for p in pairs]))
            predicted = cell_probabilities(model(image)[0])
            ok = torch.isfinite(target).all(dim=1)
            t = torch.nan_to_num(target).clamp(min=1e-6)
            kl = (t * (t.log() - predicted.clamp(min=1e-6).log())).sum(dim=1)
            loss = kl[ok].mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
        line = {"epoch": epoch, "kl": total / (crops_per_epoch // batch), "seconds": round(time.time() - began, 1)}
        with log.open("a") as f:
            f.write(json.dumps(line) + "\n")
        print(json.dumps(line), flush=True)
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "epoch": epoch}, checkpoint)
    return checkpoint


def export(checkpoint: Path | None, path: Path) -> Path:
    """The dense form as a contract ONNX file (LCZ and embedding at stride 4); checkpoint None = untrained."""
    model = DenseResNet20().eval()
    if checkpoint is not None:
        model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 10, TILE, TILE),), buffer, input_names=[contract.INPUT_NAME],
                          output_names=["lcz", "embedding"], opset_version=OPSET, do_constant_folding=True,
                          dynamic_axes={n: {0: "batch", 2: "h", 3: "w"} for n in (contract.INPUT_NAME, "lcz",
                                                                                    "embedding")}, dynamo=False)
    onnx_model = onnx.load_from_string(buffer.getvalue())
    teacher = teacher_metadata()
    trained = "untrained conversion" if checkpoint is None else f"fine-tuned ({checkpoint})"
    metadata = contract.build_metadata(
        name="So2Sat ResNet20, dense form (v3 experiment)", version="3.0.0-dense", kind=contract.KIND_DENSE,
        description=f"The So2Sat ResNet20 trunk run fully convolutionally, {trained}; LCZ only.",
        license=teacher["license"], training=f"{trained} to the patch teacher's fused probabilities on 15 OSCD areas",
        bands=json.loads(teacher["bands"]), gsd=10, processing_level=teacher["processing_level"],
        input_unit=teacher["input_unit"], lcz_classes=json.loads(teacher["lcz_classes"]),
        outputs=[{"name": "lcz", "product": "lcz", "stride": 4}, {"name": "embedding", "product": "embedding",
                                                                  "stride": 4}],
        tile_size=TILE, tile_overlap=OVERLAP, size_multiple=4)
    onnx.helper.set_model_props(onnx_model, metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx_model.SerializeToString())
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("runs/v3/features"))
    parser.add_argument("--scenes", type=Path, default=Path("runs/scenes"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--crops-per-epoch", type=int, default=1600)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--untrained", action="store_true", help="export the conversion without training")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.untrained:
        print(export(None, args.out / "dense_untrained.onnx"))
        return
    checkpoint = args.out / "last.pt" if args.export_only else train(
        args.features, args.scenes, args.out, args.seed, args.epochs, args.crops_per_epoch, args.batch, args.lr)
    print(export(checkpoint, args.out / "dense.onnx"))


if __name__ == "__main__":
    main()
