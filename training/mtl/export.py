"""ONNX export of a trained multi-task network with the plugin's model contract (docs/MODEL_CONTRACT.md).

The graph takes Sentinel-2 digital numbers (the scaling is inside the network), dynamic N/H/W, and
returns `lcz` (N, 17, H/2, W/2) probabilities, for multi-task models `hse` (N, 1, H/2, W/2), and the
contract's `embedding` (N, 4f, H/2, W/2): block L4 of the LCZ branch, upsampled.
A single-task HSE model cannot be exported for the plugin: the contract requires an LCZ output.

Command line:
  python -m training.mtl.export runs/a/best.pt models/mtl.onnx --training "what the weights saw" ...
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import warnings
from dataclasses import asdict
from pathlib import Path

import onnx
import torch
from torch import nn
from torch.nn import functional as F

from core import contract
from core.bands import MODEL_BANDS
from core.lcz import LCZ_CLASSES

from .network import HSE_STRIDE, LCZ_STRIDE, SIZE_MULTIPLE, MultiTaskNet

OPSET = 17
#: Block L4 of the LCZ branch is at 80 m (stride 8); the LCZ output at stride LCZ_STRIDE.
EMBEDDING_UPSAMPLING = 8 // LCZ_STRIDE
DEFAULT_TILE_SIZE = 128
DEFAULT_TILE_OVERLAP = 32


class _OnnxGraph(nn.Module):
    """The network as the engine sees it: image in, (lcz[, hse], embedding) out, P2F fed by the predicted HSE.

    The embedding is block L4 of the LCZ branch (the features of its final head, 4f channels at 80 m), upsampled
    bilinearly to the LCZ output's stride: the engine averages it per 100 m cell for training-area adaptation.
    """

    def __init__(self, model: MultiTaskNet):
        super().__init__()
        self.model = model
        self.with_hse = model.config.has_hse

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        model = self.model
        x = model.backbone(image)
        hse = model.hse_branch(x) if self.with_hse else None
        features = model.lcz_branch.features(x)
        lcz = model.lcz_branch(x, hse if model.config.use_p2f else None, features=features)
        embedding = F.interpolate(features[-1], scale_factor=float(EMBEDDING_UPSAMPLING), mode="bilinear",
                                  align_corners=False)
        return (lcz, hse, embedding) if self.with_hse else (lcz, embedding)


def contract_metadata(model: MultiTaskNet, *, name: str, version: str, description: str, license: str,
                      training: str, processing_level: str = "L1C", tile_size: int = DEFAULT_TILE_SIZE,
                      tile_overlap: int = DEFAULT_TILE_OVERLAP, **extra: object) -> dict[str, str]:
    """The contract keys for this network, validated by core.contract.build_metadata."""
    if not model.config.has_lcz:
        raise ValueError("A single-task HSE model cannot be exported for the plugin: the model contract "
                         "requires an LCZ output. Export a multi-task or LCZ model instead.")
    if not training.strip():
        raise ValueError("'training' must say what data the weights were trained on")
    if tile_size % SIZE_MULTIPLE:
        raise ValueError(f"tile_size must be a multiple of {SIZE_MULTIPLE}")
    outputs = [{"name": "lcz", "product": contract.PRODUCT_LCZ, "stride": LCZ_STRIDE}]
    if model.config.has_hse:
        outputs.append({"name": "hse", "product": contract.PRODUCT_HSE, "stride": HSE_STRIDE})
    outputs.append({"name": "embedding", "product": contract.PRODUCT_EMBEDDING, "stride": LCZ_STRIDE})
    return contract.build_metadata(
        name=name, version=version, description=description, license=license, training=training,
        kind=contract.KIND_DENSE, bands=list(MODEL_BANDS), gsd=10, processing_level=processing_level,
        input_unit=contract.UNIT_REFLECTANCE_X10000, tile_size=tile_size, tile_overlap=tile_overlap,
        size_multiple=SIZE_MULTIPLE, outputs=outputs, lcz_classes=[c.as_dict() for c in LCZ_CLASSES],
        architecture="Qiu et al. 2022 multi-task HSE+LCZ CNN (training/mtl/network.py)",
        network=asdict(model.config), **extra,
    )


def export_onnx(model: MultiTaskNet, path: str | Path, *, name: str, version: str, description: str,
                license: str, training: str, processing_level: str = "L1C", tile_size: int = DEFAULT_TILE_SIZE,
                tile_overlap: int = DEFAULT_TILE_OVERLAP, **extra: object) -> Path:
    """Write `model` (evaluated in inference mode, on the CPU) as a contract ONNX file and return its path."""
    metadata = contract_metadata(model, name=name, version=version, description=description, license=license,
                                 training=training, processing_level=processing_level, tile_size=tile_size,
                                 tile_overlap=tile_overlap, **extra)
    graph = _OnnxGraph(copy.deepcopy(model).cpu().eval())
    output_names = ["lcz", "hse", "embedding"] if graph.with_hse else ["lcz", "embedding"]
    axes = {"image": {0: "batch", 2: "height", 3: "width"}}
    axes.update({o: {0: "batch", 2: f"{o}_height", 3: f"{o}_width"} for o in output_names})
    example = torch.zeros(1, len(MODEL_BANDS), tile_size, tile_size)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The torch.export-based exporter needs onnxscript; the TorchScript one is enough for this graph.
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (example,), buffer, input_names=[contract.INPUT_NAME], output_names=output_names,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    onnx_model = onnx.load_from_string(buffer.getvalue())
    onnx_model.doc_string = description
    onnx.helper.set_model_props(onnx_model, metadata)
    onnx.checker.check_model(onnx_model, full_check=True)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(onnx_model.SerializeToString())
    return out


def main(argv: list[str] | None = None) -> None:
    from .train import load_checkpoint

    parser = argparse.ArgumentParser(description="Export a training checkpoint as a plugin model (ONNX).")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--training", required=True, help="what data the weights were trained on, honestly")
    parser.add_argument("--name", default="HSE+LCZ multi-task CNN")
    parser.add_argument("--version", default="0.1")
    parser.add_argument("--description", default="Multi-task HSE density + LCZ network after Qiu et al. (GRSL 2022)")
    parser.add_argument("--license", default="unspecified")
    parser.add_argument("--processing-level", default="L1C", choices=contract.LEVELS)
    parser.add_argument("--tile-size", type=int, default=DEFAULT_TILE_SIZE)
    parser.add_argument("--tile-overlap", type=int, default=DEFAULT_TILE_OVERLAP)
    args = parser.parse_args(argv)
    model, checkpoint = load_checkpoint(args.checkpoint)
    path = export_onnx(model, args.output, name=args.name, version=args.version, description=args.description,
                       license=args.license, training=args.training, processing_level=args.processing_level,
                       tile_size=args.tile_size, tile_overlap=args.tile_overlap,
                       checkpoint_epoch=json.dumps(checkpoint.get("epoch")))
    print(f"{path} {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
