"""Convert Google's Dynamic World forward model (TensorFlow SavedModel) into ONNX, and prove it is the same model.

Why: Dynamic World is a ready-made 10 m land-cover teacher (9 classes, incl. `built` and `water`) for
Sentinel-2 L1C; in ONNX it runs with onnxruntime alone (training.dynamicworld.infer), with no TensorFlow
on the machines that use it. Only this script needs TensorFlow, in its own venv (README.md beside this file).

Source: https://github.com/google/dynamicworld, directory `model/forward`, commit
0dd288fae5fb5291d988e5ea3c12eb91df481ec5 (2025-08-08; the SavedModel was written by TF 2.4.0), Apache-2.0
(LICENSE and NOTICE beside this file). The ONNX file records the commit it was built from in its metadata.

Rebuild from scratch (repository root; the venv steps are in README.md):
    git clone https://github.com/google/dynamicworld /tmp/dynamicworld
    .venv-dw/bin/python -m training.dynamicworld.convert --repo /tmp/dynamicworld \
        --out runs/dynamicworld/dynamicworld_forward.onnx
`--repo` may also be a bare clone or mirror (the model is then read with `git archive HEAD`).

The graph: NHWC float32 input (the notebook's normalised bands, see infer.normalise), any N, H, W; output
NHWC logits of the 9 classes at the input's H x W (softmax is left to the caller, as in the notebook). Inside,
a 3x3 convolution at full resolution, an antialiased bilinear downscale to (floor(H/2), floor(W/2)), a
MobileNet-like stack at half resolution, and a bilinear upscale back. Any size is accepted; even H and W keep
the downscale factor at exactly 2, which tiled inference relies on (tiles start on even pixels).

The one op tf2onnx cannot map is the downscale, `ScaleAndTranslate` (kernel "triangle", antialias, zero
translation; what tf.image.resize(..., antialias=True) emits). A custom tf2onnx op handler replaces it with
ONNX `Resize` (opset 18: mode linear, antialias=1, exclude_outside=1, half_pixel coordinates): the triangle
kernel stretched by 1/scale, weights renormalised over the pixels inside the image, as TF does. The parity
check below compares onnxruntime with TensorFlow on random normalised inputs (even, odd and batched shapes)
and fails above 1e-4 in the logits.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

OPSET = 18
TOLERANCE = 1e-4  # max abs logit difference accepted between TensorFlow and onnxruntime
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
SOURCE_URL = "https://github.com/google/dynamicworld"
# (batch, height, width) of the random parity inputs: square, odd (downscale factor not exactly 2), batched.
PARITY_SHAPES: tuple[tuple[int, int, int], ...] = ((1, 64, 64), (1, 67, 101), (2, 128, 96), (1, 256, 256))


def scale_and_translate_handler(ctx, node, name, args):  # tf2onnx's custom-handler signature
    """Replace TF ScaleAndTranslate (triangle, antialias, no translation) by ONNX Resize in NCHW.

    ONNX Resize's `sizes` is fed from the op's own `size` input, so the graph keeps dynamic H and W.
    """
    from onnx import TensorProto
    from tf2onnx import constants, utils

    kernel = node.get_attr_value("kernel_type", b"lanczos3")
    kernel = kernel.decode() if isinstance(kernel, bytes) else kernel
    utils.make_sure(kernel == "triangle", "ScaleAndTranslate %s: kernel %s, only triangle maps to Resize", name, kernel)
    utils.make_sure(bool(node.get_attr_value("antialias", True)), "ScaleAndTranslate %s: antialias off", name)
    translation = node.inputs[3]
    utils.make_sure(translation.is_const() and not np.any(translation.get_tensor_value(as_list=False)),
                    "ScaleAndTranslate %s: non-zero translation has no ONNX Resize equivalent", name)
    # The `scale` input (node.input[2]) is size / input size in this graph, which Resize derives from `sizes`.

    images_nchw = ctx.make_node("Transpose", [node.input[0]], {"perm": constants.NHWC_TO_NCHW})
    shape = ctx.make_node("Shape", [images_nchw.output[0]])
    start = ctx.make_const(utils.make_name("start"), np.array([0], np.int64))
    stop = ctx.make_const(utils.make_name("stop"), np.array([2], np.int64))
    batch_channels = ctx.make_node("Slice", [shape.output[0], start.output[0], stop.output[0]])
    size64 = ctx.make_node("Cast", [node.input[1]], attr={"to": TensorProto.INT64})
    sizes = ctx.make_node("Concat", [batch_channels.output[0], size64.output[0]], attr={"axis": 0})
    roi = ctx.make_const(utils.make_name("roi"), np.array([], np.float32))
    scales = ctx.make_const(utils.make_name("scales"), np.array([], np.float32))
    resize = ctx.make_node(
        "Resize",
        [images_nchw.output[0], roi.output[0], scales.output[0], sizes.output[0]],
        attr={"mode": "linear", "antialias": 1, "exclude_outside": 1, "coordinate_transformation_mode": "half_pixel"},
    )
    shapes, dtypes = node.output_shapes, node.output_dtypes
    ctx.remove_node(node.name)
    ctx.make_node("Transpose", resize.output, {"perm": constants.NCHW_TO_NHWC},
                  name=node.name, outputs=node.output, shapes=shapes, dtypes=dtypes)


def model_dir(repo: Path, scratch: Path) -> tuple[Path, str]:
    """Return (model/forward directory, commit) from a checkout, or from a bare clone via `git archive`."""
    def git(*cmd: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *cmd], check=True, capture_output=True, **kw)

    if (repo / "model" / "forward" / "saved_model.pb").exists():
        try:
            commit = git("-C", str(repo), "rev-parse", "HEAD", text=True).stdout.strip()
        except (subprocess.CalledProcessError, FileNotFoundError):
            commit = "unknown (not a git checkout)"
        return repo / "model" / "forward", commit
    commit = git("--git-dir", str(repo), "rev-parse", "HEAD", text=True).stdout.strip()
    archive = git("--git-dir", str(repo), "archive", "HEAD", "model/forward").stdout
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    return scratch / "model" / "forward", commit


def convert(saved_model: Path, commit: str):
    """Load the SavedModel and convert it with tf2onnx; returns (onnx ModelProto, TF callable)."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    model = tf.saved_model.load(str(saved_model))
    spec = tf.TensorSpec([None, None, None, 9], tf.float32, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def forward(image):
        return {OUTPUT_NAME: model(image)}

    proto, _ = tf2onnx.convert.from_function(
        forward, input_signature=[spec], opset=OPSET,
        custom_op_handlers={"ScaleAndTranslate": (scale_and_translate_handler, [])},
    )
    # from_function converts with continue_on_error: make sure nothing was left unmapped.
    foreign = sorted({f"{n.domain}:{n.op_type}" for n in proto.graph.node if n.domain not in ("", "ai.onnx")})
    if foreign:
        raise RuntimeError(f"ops left outside the ONNX domain: {foreign}")
    if any(n.op_type == "ScaleAndTranslate" for n in proto.graph.node):
        raise RuntimeError("ScaleAndTranslate was not replaced")
    for value in (*proto.graph.input, *proto.graph.output):  # readable names for tf2onnx's unk__N dims
        for dim, label in zip(value.type.tensor_type.shape.dim, ("batch", "height", "width"), strict=False):
            dim.dim_param = label
    proto.doc_string = (
        "Dynamic World forward model (Brown et al. 2022, Sci. Data 9:251), converted from the TensorFlow "
        f"SavedModel model/forward of {SOURCE_URL} at {commit}. Input: NHWC float32 normalised Sentinel-2 L1C "
        "bands B2,B3,B4,B5,B6,B7,B8,B11,B12; output: NHWC logits of the 9 classes."
    )
    onnx.helper.set_model_props(proto, {
        "source": f"{SOURCE_URL} model/forward",
        "source_commit": commit,
        "license": "Apache-2.0",
        "attribution": "This code is produced for the Dynamic World Project by Google in partnership with "
                       "National Geographic and the World Resources Institute.",
        "bands": "B2,B3,B4,B5,B6,B7,B8,B11,B12",
        "classes": "water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice",
        "converter": f"tf2onnx {tf2onnx.__version__}, tensorflow {tf.__version__}, opset {OPSET}",
    })
    onnx.checker.check_model(proto, full_check=True)
    return proto, model


def parity(proto, model, shapes: Sequence[tuple[int, int, int]] = PARITY_SHAPES, seed: int = 0) -> float:
    """Largest |logit| difference between TensorFlow and onnxruntime over random normalised inputs."""
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n, h, w in shapes:
        x = rng.uniform(0.0, 1.0, (n, h, w, 9)).astype(np.float32)  # normalised bands lie in (0, 1)
        expected = model(x).numpy()
        got = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        if got.shape != expected.shape:
            raise RuntimeError(f"shape {got.shape} != TensorFlow's {expected.shape} for input {x.shape}")
        diff = float(np.max(np.abs(got - expected)))
        print(f"  input {x.shape}: max |logit diff| {diff:.2e} (logits up to {np.max(np.abs(expected)):.1f})")
        worst = max(worst, diff)
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="clone (or bare mirror) of google/dynamicworld")
    parser.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        saved_model, commit = model_dir(args.repo, Path(scratch))
        print(f"converting {saved_model} (commit {commit}) at opset {OPSET}")
        proto, model = convert(saved_model, commit)
        worst = parity(proto, model)
    print(f"max abs logit difference TensorFlow vs onnxruntime: {worst:.2e} (tolerance {TOLERANCE:.0e})")
    if not worst <= TOLERANCE:
        print("parity check FAILED: nothing written", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(proto.SerializeToString())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
