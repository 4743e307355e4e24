"""Proof that models/so2sat_resnet20_lcz.onnx is a faithful conversion of the So2Sat ResNet20 Keras weights.

The reference forward pass below is written independently of training/so2sat_resnet20/convert.py: it works
in NHWC like Keras, has its own 'same'-padding convolution, and finds the layer numbers by replaying the
order in which the Keras resnet v2 recipe creates its layers instead of using the converter's table.
Only files inside the repository are read.
"""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import onnxruntime as ort
import pytest
from osgeo import gdal

from core import contract  # noqa: E402
from core.bands import MODEL_BANDS  # noqa: E402
from core.lcz import BUILT_CODES, WATER_CODE  # noqa: E402
from support.data import REPO_ROOT, SAMPLE_SCENE

CONVERTER = REPO_ROOT / "training" / "so2sat_resnet20" / "convert.py"
WEIGHTS = REPO_ROOT / "training" / "so2sat_resnet20" / "S2_RESNET20_BS16_LR2e-4_IN32-32-10_PRO-52-0R12_2019-06-27.h5"
WEIGHTS_SHA256 = "a4348f55e21039b81aec6f57b1c943c851dc70c5b79e025fb9e93438cc1e730f"
MODEL = REPO_ROOT / "models" / "so2sat_resnet20_lcz.onnx"
SAMPLE = SAMPLE_SCENE
PATCH = 32
B4, B8 = MODEL_BANDS.index("B4"), MODEL_BANDS.index("B8")


# ---------------------------------------------------------------- independent numpy reference (NHWC)

def conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """TensorFlow 'same' convolution by im2col: output size ceil(in/stride), extra padding at the end."""
    n, h, w, _ = x.shape
    kh, kw, _, _ = kernel.shape
    oh, ow = -(-h // stride), -(-w // stride)
    pad_h, pad_w = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - w, 0)
    padded = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    columns = np.stack(
        [
            padded[:, i : i + (oh - 1) * stride + 1 : stride, j : j + (ow - 1) * stride + 1 : stride, :]
            for i in range(kh)
            for j in range(kw)
        ],
        axis=3,
    )  # n, oh, ow, kh*kw, cin
    return np.einsum("nhwkc,kco->nhwo", columns, kernel.reshape(kh * kw, *kernel.shape[2:])) + bias


class KerasResNetV2:
    """Replays keras' resnet_v2(depth=20) on weights read straight from the HDF5 file, in float64."""

    def __init__(self, weights: h5py.File) -> None:
        self.weights = weights

    def _get(self, layer: str, name: str) -> np.ndarray:
        return np.asarray(self.weights[layer][layer][f"{name}:0"], dtype=np.float64)

    def _bn(self, x: np.ndarray, number: int) -> np.ndarray:
        layer = f"batch_normalization_{number}"
        gamma, beta = self._get(layer, "gamma"), self._get(layer, "beta")
        mean, var = self._get(layer, "moving_mean"), self._get(layer, "moving_variance")
        return (x - mean) / np.sqrt(var + 1e-3) * gamma + beta

    def _layer(
        self, x: np.ndarray, convs: Iterator[int], bns: Iterator[int], stride: int = 1,
        bn: bool = True, relu: bool = True, conv_first: bool = True,
    ) -> np.ndarray:
        """keras resnet_layer: its Conv2D is numbered when the layer is made, its BN when it is applied."""
        conv = f"conv2d_{next(convs)}"
        kernel, bias = self._get(conv, "kernel"), self._get(conv, "bias")
        if conv_first:
            x = conv_same(x, kernel, bias, stride)
        if bn:
            x = self._bn(x, next(bns))
        if relu:
            x = np.maximum(x, 0.0)
        if not conv_first:
            x = conv_same(x, kernel, bias, stride)
        return x

    def __call__(self, dn_nchw: np.ndarray) -> np.ndarray:
        convs, bns = itertools.count(1), itertools.count(1)
        x = dn_nchw.astype(np.float64).transpose(0, 2, 3, 1) / 10000.0
        x = self._layer(x, convs, bns)
        for stage in range(3):
            for block in range(2):
                first = stage == 0 and block == 0
                stride = 2 if stage > 0 and block == 0 else 1
                y = self._layer(x, convs, bns, stride=stride, bn=not first, relu=not first, conv_first=False)
                y = self._layer(y, convs, bns, conv_first=False)
                y = self._layer(y, convs, bns, conv_first=False)
                if block == 0:
                    x = self._layer(x, convs, bns, stride=stride, bn=False, relu=False)
                x = x + y
        x = np.maximum(self._bn(x, next(bns)), 0.0)
        assert x.shape[1:3] == (8, 8) and next(convs) == 23 and next(bns) == 20  # every layer used once
        logits = x.mean(axis=(1, 2)) @ self._get("dense_1", "kernel") + self._get("dense_1", "bias")
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    dataset = gdal.Open(str(SAMPLE))
    assert [dataset.GetRasterBand(i + 1).GetDescription() for i in range(dataset.RasterCount)] == list(MODEL_BANDS)
    return dataset.ReadAsArray().astype(np.float32)  # (10, 220, 220) DN


@pytest.fixture(scope="module")
def session() -> ort.InferenceSession:
    return ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])


def patches(image: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    return np.stack([image[:, y : y + PATCH, x : x + PATCH] for y, x in offsets])


def all_offsets(image: np.ndarray, step: int) -> list[tuple[int, int]]:
    span = range(0, image.shape[1] - PATCH + 1, step)
    return [(y, x) for y in span for x in span]


# ---------------------------------------------------------------- tests

def test_weights_sha256_is_the_documented_one() -> None:
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_onnx_matches_independent_numpy_forward_pass(sample: np.ndarray, session: ort.InferenceSession) -> None:
    """25 patches on a 5x5 grid over the sample: hills, town, shore and sea."""
    grid = np.linspace(0, sample.shape[1] - PATCH, 5).astype(int)
    batch = patches(sample, [(int(y), int(x)) for y in grid for x in grid])
    with h5py.File(WEIGHTS, "r") as weights:
        expected = KerasResNetV2(weights)(batch)
    got = session.run(["lcz"], {"image": batch})[0]
    assert got.shape == (25, 17) and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-4
    assert len(set(expected.argmax(axis=1))) >= 3  # the patches really differ, the check is not trivial
    np.testing.assert_array_equal(got.argmax(axis=1), expected.argmax(axis=1))


def test_open_water_is_lcz_g_and_town_is_built(sample: np.ndarray, session: ort.InferenceSession) -> None:
    """Measured on the bundled sample: every patch whose B8 stays below 700 DN (Junk Bay) came out LCZ G
    (112 of 112 at a 4-pixel step); of the non-water patches in the northern third with mean NDVI < 0.2
    (Tseung Kwan O new town), 544 of 569 came out built classes 1..10, mostly LCZ 4 (open high-rise)."""
    offsets = all_offsets(sample, 4)
    batch = patches(sample, offsets)
    labels = session.run(["lcz"], {"image": batch})[0].argmax(axis=1) + 1

    water = batch[:, B8].max(axis=(1, 2)) < 700
    assert water.sum() >= 100
    assert (labels[water] == WATER_CODE).mean() >= 0.9

    nir, red = batch[:, B8], batch[:, B4]
    ndvi = ((nir - red) / (nir + red)).mean(axis=(1, 2))
    north = np.array([y for y, _ in offsets]) <= 64
    town = north & (ndvi < 0.2) & ~water
    assert town.sum() >= 400
    assert np.isin(labels[town], BUILT_CODES).mean() >= 0.9


def test_shipped_metadata_follows_the_contract(session: ort.InferenceSession) -> None:
    parsed = contract.parse_metadata(session.get_modelmeta().custom_metadata_map, source=str(MODEL))
    assert parsed.kind == contract.KIND_PATCH and parsed.patch_size == PATCH
    assert parsed.bands == MODEL_BANDS and parsed.gsd == 10 and parsed.processing_level == "L1C"
    assert parsed.input_unit == contract.UNIT_REFLECTANCE_X10000
    assert parsed.outputs == (contract.OutputSpec("lcz", contract.PRODUCT_LCZ, 1),
                              contract.OutputSpec("features", contract.PRODUCT_EMBEDDING, 1)) and not parsed.has_hse
    assert parsed.extra["source_sha256"] == WEIGHTS_SHA256
    (image,) = session.get_inputs()
    lcz, features = session.get_outputs()
    assert image.name == contract.INPUT_NAME and image.shape == ["batch", 10, PATCH, PATCH]
    assert lcz.name == "lcz" and lcz.shape == ["batch", 17]
    assert features.name == "features" and features.shape == ["batch", 256]


def test_embedding_is_the_input_of_the_final_dense_layer(session: ort.InferenceSession, sample: np.ndarray) -> None:
    """softmax(features @ W + b) gives back the class probabilities: the features are the penultimate layer."""
    import h5py

    batch = np.stack([sample[:, y : y + PATCH, x : x + PATCH] for y, x in ((0, 0), (40, 60), (100, 20))])
    probabilities, features = session.run(None, {contract.INPUT_NAME: batch.astype(np.float32)})
    assert features.shape == (3, 256) and (features >= 0).all()  # after the final batch norm + ReLU
    with h5py.File(WEIGHTS, "r") as weights:
        group = weights["dense_1"]["dense_1"]
        kernel, bias = (np.asarray(group[f"{name}:0"]) for name in ("kernel", "bias"))
    logits = features @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, expected / expected.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_conversion_is_byte_reproducible(tmp_path: Path) -> None:
    """A fresh run of the converter (its command line, in a new process) rebuilds the shipped bytes."""
    rebuilt = tmp_path / "again.onnx"
    subprocess.run([sys.executable, str(CONVERTER), "--output", str(rebuilt)], check=True, capture_output=True)
    assert rebuilt.read_bytes() == MODEL.read_bytes()
