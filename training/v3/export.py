"""Export model v3 (patch form) as one contract ONNX file: the teacher's LCZ and embedding, the trained HSE branch.

The graph is the teacher's own ONNX graph (training/so2sat_resnet20/convert.py), node for node, with the HSE
branch grafted onto its stage-1 and stage-2 activations and its pooled features: the LCZ and embedding outputs are
computed by the very same nodes as the teacher's, so they are bit for bit the teacher's
(test/training/v3/test_model.py).
The metadata is the teacher's (bands, level, patch size, classes, its uncertainty calibration, which holds
unchanged because the LCZ probabilities and the embedding are the teacher's own) with the v3 name, description,
training text and the HSE output added (stride 2: a 5 x 5 block of 20 m pixels per 100 m cell).

    python -m training.v3.export --branch runs/v3/final_seed0/hse_branch.pt --out models/mtl_resnet20_v3.onnx
"""

from __future__ import annotations

import argparse
import io
import json
import warnings
from pathlib import Path

import onnx
import onnxruntime as ort
import torch

from core import contract
from training.so2sat_resnet20.convert import DEFAULT_OUTPUT as TEACHER_ONNX
from training.so2sat_resnet20.convert import EMBEDDING_NAME, OPSET, build_model
from training.v3.network import (
    EMBEDDING_CHANNELS,
    HSE_PIXEL,
    HSE_SIDE,
    PATCH,
    STAGE1_CHANNELS,
    STAGE2_CHANNELS,
    MultiTaskResNet20,
    cell_neighbourhood,
)
from training.v3.train_hse import load_branch

NAME = "Multi-task HSE + LCZ on the So2Sat ResNet20 (v3)"
VERSION = "3.0.0"
HSE_OUTPUT = "hse"
DESCRIPTION = (
    "Multi-task network on the So2Sat LCZ42 ResNet20 backbone: one 32 x 32 Sentinel-2 window (10 m, 10 bands) per "
    "100 m cell. LCZ: the So2Sat ResNet20's own probabilities of the 17 classes (its stage 3 and head, unchanged). "
    "HSE: the building-cover fraction (0..1, share of each 20 m pixel covered by buildings, the quantity of GHSL's "
    "built-up surface) of the cell's 5 x 5 pixels of 20 m, from a CBAM branch on the shared stage-1/2 features."
)
TRAINING = (
    "LCZ: trained by the So2Sat authors on So2Sat LCZ42 (expert labels, 42 cities); not retrained. HSE branch "
    "(backbone frozen): the real building-cover fraction of official footprints of Pisa and San Giuliano Terme "
    "(Dipartimento della Protezione Civile; Regione Toscana, CC BY 4.0) on the training blocks of the OSCD Pisa scene "
    "(2015, 2018), plus derived targets (the teacher's LCZ probabilities times Stewart & Oke building surface "
    "fractions: a model's output, not ground truth) on 13 other OSCD areas. Held out: Hong Kong, Milan, Montpellier, "
    "Las Vegas and a third of Pisa's 1 km blocks. See models/mtl_resnet20_v3.md."
)


#: The teacher graph's tensors the branch reads: the pre-activations of blocks 3 and 5 (stage-1 and stage-2
#: features, as training.v3.resnet20.So2SatResNet20.stages gives them) and the pooled features.
TEACHER_STAGE1, TEACHER_STAGE2 = "batch_normalization_7.relu", "batch_normalization_13.relu"


class _Branch(torch.nn.Module):
    """The HSE branch as a graph of the teacher's tensors: (stage 1, stage 2, embedding) -> (N, 1, 5, 5)."""

    def __init__(self, model: MultiTaskResNet20):
        super().__init__()
        self.hse = model.hse

    def forward(self, stage1: torch.Tensor, stage2: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return self.hse(cell_neighbourhood(stage1, stage2), embedding)


def _branch_graph(model: MultiTaskResNet20) -> onnx.ModelProto:
    buffer = io.BytesIO()
    inputs = (torch.zeros(1, STAGE1_CHANNELS, PATCH, PATCH), torch.zeros(1, STAGE2_CHANNELS, PATCH // 2, PATCH // 2),
              torch.zeros(1, EMBEDDING_CHANNELS))
    names = ["branch_stage1", "branch_stage2", "branch_embedding"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Branch(model).eval(), inputs, buffer, input_names=names, output_names=[HSE_OUTPUT],
                          dynamic_axes={n: {0: "batch"} for n in [*names, HSE_OUTPUT]}, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    branch = onnx.load_from_string(buffer.getvalue())
    branch.ir_version = 8
    return onnx.compose.add_prefix(branch, "hse_branch/")


def graft(teacher: onnx.ModelProto, branch: onnx.ModelProto) -> onnx.ModelProto:
    """The teacher's graph with the branch's nodes appended, reading the teacher's tensors; outputs lcz, features,
    hse."""
    graph = onnx.GraphProto()
    graph.CopyFrom(teacher.graph)
    rename = {"hse_branch/branch_stage1": TEACHER_STAGE1, "hse_branch/branch_stage2": TEACHER_STAGE2,
              "hse_branch/branch_embedding": EMBEDDING_NAME, f"hse_branch/{HSE_OUTPUT}": HSE_OUTPUT}
    produced = {o for n in graph.node for o in n.output}
    missing = [t for t in (TEACHER_STAGE1, TEACHER_STAGE2, EMBEDDING_NAME) if t not in produced]
    if missing:
        raise ValueError(f"the teacher graph has no tensor(s) {missing}: was the converter changed?")
    for node in branch.graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        for i, name in enumerate(copy.input):
            copy.input[i] = rename.get(name, name)
        for i, name in enumerate(copy.output):
            copy.output[i] = rename.get(name, name)
        graph.node.append(copy)
    graph.initializer.extend(branch.graph.initializer)
    hse = onnx.helper.make_tensor_value_info(HSE_OUTPUT, onnx.TensorProto.FLOAT, ["batch", 1, HSE_SIDE, HSE_SIDE])
    graph.output.append(hse)
    graph.name = "mtl_resnet20_v3"
    merged = onnx.helper.make_model(graph, opset_imports=list(teacher.opset_import), producer_name="hselcz v3 export",
                                    producer_version="1")
    merged.ir_version = teacher.ir_version
    return merged


def teacher_metadata(path: Path = TEACHER_ONNX) -> dict[str, str]:
    return dict(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map)


def export(branch_path: Path, out: Path, training: str = TRAINING, **extra: str) -> Path:
    model = MultiTaskResNet20(load_branch(branch_path)).eval()
    onnx_model = graft(build_model(), _branch_graph(model))
    teacher = teacher_metadata()
    values = {k: v for k, v in teacher.items() if k not in ("format",)}
    outputs = json.loads(values["outputs"]) + [{"name": HSE_OUTPUT, "product": contract.PRODUCT_HSE,
                                                 "stride": HSE_PIXEL}]
    values.update(name=NAME, version=VERSION, description=DESCRIPTION, training=training,
                  license="MIT (So2Sat project team: the ResNet20 weights; this project: the HSE branch)",
                  outputs=json.dumps(outputs), hse_quantity="building-cover fraction 0..1 (GHSL built-up surface)",
                  teacher_source_sha256=teacher.get("source_sha256", ""), **extra)
    for key in ("source", "source_file", "source_sha256"):
        values.pop(key, None)
    metadata = contract.build_metadata(**values)
    onnx_model.doc_string = DESCRIPTION
    del onnx_model.metadata_props[:]
    onnx.helper.set_model_props(onnx_model, metadata)
    onnx.checker.check_model(onnx_model, full_check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(onnx_model.SerializeToString())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branch", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("models/mtl_resnet20_v3.onnx"))
    args = parser.parse_args(argv)
    print(export(args.branch, args.out))


if __name__ == "__main__":
    main()
