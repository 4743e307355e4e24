"""Convert the So2Sat LCZ42 Sentinel-2 ResNet20 Keras weights into a contract-conforming ONNX patch model.

The Keras file holds weights only (no model config), so the graph is rebuilt here by hand with
onnx.helper, following the layer numbering Keras gave the authors' resnet v2 (depth 20). Only onnx,
h5py and numpy are needed; Keras/TensorFlow are not, so the conversion runs anywhere.

Usage (from the repository root):
    .venv/bin/python training/so2sat_resnet20/convert.py [--output models/so2sat_resnet20_lcz.onnx]

The output is byte-identical on every run (no timestamps, fixed node order and names).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from core import contract  # noqa: E402
from core.bands import MODEL_BANDS  # noqa: E402
from core.lcz import LCZ_CLASSES  # noqa: E402
from core.uncertainty import METADATA_KEY as UNCERTAINTY_KEY  # noqa: E402
from core.uncertainty import UncertaintyCalibration  # noqa: E402

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "S2_RESNET20_BS16_LR2e-4_IN32-32-10_PRO-52-0R12_2019-06-27.h5"
WEIGHTS_SHA256 = "a4348f55e21039b81aec6f57b1c943c851dc70c5b79e025fb9e93438cc1e730f"
DEFAULT_OUTPUT = REPO_ROOT / "models" / "so2sat_resnet20_lcz.onnx"
UNCERTAINTY_CALIBRATION = HERE / "uncertainty.json"

OPSET = 17
PATCH = 32
CLASSES = 17
EMBEDDING_NAME = "features"
EMBEDDING_SIZE = 256  # the pooled width of the last residual stage, input of the final dense layer
BN_EPSILON = 1e-3  # Keras BatchNormalization default, used by the authors
DN_SCALE = 1.0 / contract.DN_PER_REFLECTANCE  # the authors fed Sentinel-2 digital numbers / 10000

# (stage stride, [(main convs 1x1/3x3/1x1), shortcut conv or None, BNs before each main conv or None]) per block.
# Numbers follow Keras creation order: in a block with a projection shortcut the shortcut conv is created
# after the three main-branch convs, so it carries the highest number of the block.
Block = tuple[int, tuple[int, int, int], int | None, tuple[int | None, int, int]]
BLOCKS: tuple[Block, ...] = (
    (1, (2, 3, 4), 5, (None, 2, 3)),
    (1, (6, 7, 8), None, (4, 5, 6)),
    (2, (9, 10, 11), 12, (7, 8, 9)),
    (1, (13, 14, 15), None, (10, 11, 12)),
    (2, (16, 17, 18), 19, (13, 14, 15)),
    (1, (20, 21, 22), None, (16, 17, 18)),
)
INPUT_CONV, INPUT_BN, FINAL_BN = 1, 1, 19

DESCRIPTION = (
    "Local climate zone classifier of the So2Sat LCZ42 project: a 20-layer pre-activation bottleneck ResNet "
    "that labels one 32x32 Sentinel-2 patch (10 m, 10 bands) with probabilities of the 17 LCZ classes. "
    "Converted from the authors' Keras weights; LCZ only, no settlement-density (HSE) output."
)
TRAINING = (
    "Trained by the So2Sat authors (ERC starting grant So2Sat, TUM / DLR) on So2Sat LCZ42: real Sentinel-2 "
    "patches of 42 cities plus add-on areas, with LCZ labels from experts. Converted to ONNX, not retrained, "
    "by this project (training/so2sat_resnet20/convert.py)."
)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class GraphBuilder:
    """Collects nodes and initializers in a fixed order so the serialised model is deterministic."""

    weights: h5py.File
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)

    def array(self, layer: str, name: str) -> np.ndarray:
        return np.asarray(self.weights[layer][layer][f"{name}:0"], dtype=np.float32)

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv(self, x: str, number: int, stride: int) -> str:
        """Keras Conv2D with 'same' padding; the kernel goes from (kh, kw, in, out) to (out, in, kh, kw)."""
        layer = f"conv2d_{number}"
        kernel = self.array(layer, "kernel")
        kh, kw = kernel.shape[:2]
        if kh != kw or kh not in (1, 3) or (kh == 3 and stride != 1):
            raise ValueError(f"{layer}: unexpected kernel {kernel.shape} with stride {stride}")
        pad = kh // 2  # symmetric 'same' padding is exact for 3x3/stride 1 and 1x1/any stride
        w = self.constant(f"{layer}.weight", kernel.transpose(3, 2, 0, 1))
        b = self.constant(f"{layer}.bias", self.array(layer, "bias"))
        return self.node(
            "Conv", [x, w, b], layer, kernel_shape=[kh, kw], strides=[stride, stride], pads=[pad] * 4
        )

    def bn_relu(self, x: str, number: int) -> str:
        layer = f"batch_normalization_{number}"
        params = [
            self.constant(f"{layer}.{onnx_name}", self.array(layer, keras_name))
            for onnx_name, keras_name in (
                ("scale", "gamma"), ("bias", "beta"), ("mean", "moving_mean"), ("var", "moving_variance")
            )
        ]
        y = self.node("BatchNormalization", [x, *params], layer, epsilon=BN_EPSILON)
        return self.node("Relu", [y], f"{layer}.relu")


def build_graph(weights: h5py.File) -> onnx.GraphProto:
    g = GraphBuilder(weights)
    scale = g.constant("dn_scale", np.array(DN_SCALE, dtype=np.float32))
    x = g.node("Mul", [contract.INPUT_NAME, scale], "reflectance")
    x = g.bn_relu(g.conv(x, INPUT_CONV, 1), INPUT_BN)
    for block, (stride, (c1, c2, c3), shortcut, (b1, b2, b3)) in enumerate(BLOCKS, start=1):
        y = g.bn_relu(x, b1) if b1 is not None else x
        y = g.conv(y, c1, stride)
        y = g.conv(g.bn_relu(y, b2), c2, 1)
        y = g.conv(g.bn_relu(y, b3), c3, 1)
        skip = g.conv(x, shortcut, stride) if shortcut is not None else x
        x = g.node("Add", [skip, y], f"add_{block}")
    x = g.bn_relu(x, FINAL_BN)
    x = g.node("GlobalAveragePool", [x], "average_pooling2d_1")  # the 8x8 map pooled whole, as in Keras
    x = g.node("Flatten", [x], "flatten_1", axis=1)
    g.node("Identity", [x], EMBEDDING_NAME)  # the penultimate features: the contract's embedding output
    w = g.constant("dense_1.weight", g.array("dense_1", "kernel"))  # (256, 17): x @ W, no transpose
    b = g.constant("dense_1.bias", g.array("dense_1", "bias"))
    x = g.node("Gemm", [x, w, b], "dense_1")
    g.node("Softmax", [x], "lcz", axis=1)

    image = helper.make_tensor_value_info(
        contract.INPUT_NAME, TensorProto.FLOAT, ["batch", len(MODEL_BANDS), PATCH, PATCH]
    )
    lcz = helper.make_tensor_value_info("lcz", TensorProto.FLOAT, ["batch", CLASSES])
    features = helper.make_tensor_value_info(EMBEDDING_NAME, TensorProto.FLOAT, ["batch", EMBEDDING_SIZE])
    return helper.make_graph(g.nodes, "so2sat_resnet20_lcz", [image], [lcz, features], initializer=g.initializers)


def _uncertainty_metadata() -> dict[str, str]:
    """The uncertainty calibration (training/measurements/uncertainty_calibration.py) as the contract's
    `uncertainty` key."""
    if not UNCERTAINTY_CALIBRATION.is_file():
        return {}
    text = UNCERTAINTY_CALIBRATION.read_text(encoding="utf-8")
    UncertaintyCalibration.from_metadata(text, str(UNCERTAINTY_CALIBRATION))  # refuse a broken file here, not in QGIS
    return {UNCERTAINTY_KEY: text}


def build_model(weights_path: Path = WEIGHTS) -> onnx.ModelProto:
    digest = sha256_of(weights_path)
    if digest != WEIGHTS_SHA256:
        raise ValueError(f"{weights_path} has sha256 {digest}, expected {WEIGHTS_SHA256}")
    with h5py.File(weights_path, "r") as weights:
        graph = build_graph(weights)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="hselcz so2sat converter",
        producer_version="1",
        doc_string=DESCRIPTION,
    )
    model.ir_version = 8  # the IR of opset 17, readable by older onnxruntime builds too
    metadata = contract.build_metadata(
        name="So2Sat LCZ42 ResNet20 (Sentinel-2)",
        version="2019-06-27",
        description=DESCRIPTION,
        license="MIT (So2Sat project team; see models/so2sat_resnet20_lcz.LICENSE)",
        training=TRAINING,
        kind=contract.KIND_PATCH,
        bands=list(MODEL_BANDS),
        gsd=10,
        processing_level="L1C",
        input_unit=contract.UNIT_REFLECTANCE_X10000,
        patch_size=PATCH,
        outputs=[{"name": "lcz", "product": contract.PRODUCT_LCZ, "stride": 1},
                 {"name": EMBEDDING_NAME, "product": contract.PRODUCT_EMBEDDING, "stride": 1}],
        lcz_classes=[c.as_dict() for c in LCZ_CLASSES],
        source="zhu-xlab/So2Sat-LCZ-Classification-Demo, Modules/3_classification/model/, commit 867c2a1",
        source_file=weights_path.name,
        source_sha256=digest,
        **_uncertainty_metadata(),
    )
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def convert(output: Path = DEFAULT_OUTPUT, weights_path: Path = WEIGHTS) -> Path:
    """Write the ONNX model; the bytes depend only on the weights and this script."""
    model = build_model(weights_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(model.SerializeToString(deterministic=True))
    onnx.checker.check_model(str(output), full_check=True)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    path = convert(args.output, args.weights)
    print(f"{path} {path.stat().st_size} bytes sha256 {sha256_of(path)}")


if __name__ == "__main__":
    main()
