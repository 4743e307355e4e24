"""The So2Sat LCZ42 ResNet20 in PyTorch, loaded from the authors' Keras weights.

The same layers, in the same order, as the ONNX converter (training/so2sat_resnet20/convert.py, whose BLOCKS
table this module reuses), so the two agree to float precision (test/training/v3/test_v3_network.py). Exposes the
intermediate features the v3 HSE branch reads: stage 1 (64 channels, stride 1) and stage 2 (128 channels,
stride 2), both after the pre-activation BN + ReLU that the next block applies anyway.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training.so2sat_resnet20.convert import (
    BLOCKS,
    BN_EPSILON,
    DN_SCALE,
    FINAL_BN,
    INPUT_BN,
    INPUT_CONV,
    WEIGHTS,
    WEIGHTS_SHA256,
    sha256_of,
)

#: Blocks (0-based) that end stage 1 and stage 2; the features after them feed the HSE branch.
STAGE1_END, STAGE2_END = 1, 3


def _conv(weights: h5py.File, number: int, stride: int) -> nn.Conv2d:
    layer = f"conv2d_{number}"
    kernel = np.asarray(weights[layer][layer]["kernel:0"], dtype=np.float32)
    bias = np.asarray(weights[layer][layer]["bias:0"], dtype=np.float32)
    kh = kernel.shape[0]
    conv = nn.Conv2d(kernel.shape[2], kernel.shape[3], kh, stride=stride, padding=kh // 2)
    conv.weight.data = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
    conv.bias.data = torch.from_numpy(bias)
    return conv


def _bn(weights: h5py.File, number: int) -> nn.BatchNorm2d:
    layer = f"batch_normalization_{number}"
    values = {k: np.asarray(weights[layer][layer][f"{k}:0"], dtype=np.float32)
              for k in ("gamma", "beta", "moving_mean", "moving_variance")}
    bn = nn.BatchNorm2d(len(values["gamma"]), eps=BN_EPSILON)
    bn.weight.data = torch.from_numpy(values["gamma"])
    bn.bias.data = torch.from_numpy(values["beta"])
    bn.running_mean.data = torch.from_numpy(values["moving_mean"])
    bn.running_var.data = torch.from_numpy(values["moving_variance"])
    return bn


class Block(nn.Module):
    """One pre-activation bottleneck block: [BN ReLU] 1x1, BN ReLU 3x3, BN ReLU 1x1, plus the shortcut."""

    def __init__(self, weights: h5py.File, stride: int, convs: tuple[int, int, int], shortcut: int | None,
                 bns: tuple[int | None, int, int]):
        super().__init__()
        self.pre = _bn(weights, bns[0]) if bns[0] is not None else None
        self.conv1, self.conv2, self.conv3 = (_conv(weights, convs[0], stride), _conv(weights, convs[1], 1),
                                              _conv(weights, convs[2], 1))
        self.bn2, self.bn3 = _bn(weights, bns[1]), _bn(weights, bns[2])
        self.shortcut = _conv(weights, shortcut, stride) if shortcut is not None else None

    def activated(self, x: torch.Tensor) -> torch.Tensor:
        """The block's pre-activation of its input (the features of the stage before it)."""
        return F.relu(self.pre(x)) if self.pre is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(self.activated(x))
        y = self.conv3(F.relu(self.bn3(self.conv2(F.relu(self.bn2(y))))))
        return (self.shortcut(x) if self.shortcut is not None else x) + y


class So2SatResNet20(nn.Module):
    """Input: (N, 10, H, W) Sentinel-2 DN; the teacher's softmax, its 256 pooled features, and the stage features."""

    def __init__(self, weights_path: Path = WEIGHTS):
        super().__init__()
        digest = sha256_of(weights_path)
        if digest != WEIGHTS_SHA256:
            raise ValueError(f"{weights_path} has sha256 {digest}, expected {WEIGHTS_SHA256}")
        with h5py.File(weights_path, "r") as weights:
            self.stem = _conv(weights, INPUT_CONV, 1)
            self.stem_bn = _bn(weights, INPUT_BN)
            self.blocks = nn.ModuleList(Block(weights, *spec) for spec in BLOCKS)
            self.final_bn = _bn(weights, FINAL_BN)
            layer = "dense_1"
            self.dense = nn.Linear(256, 17)
            self.dense.weight.data = torch.from_numpy(
                np.asarray(weights[layer][layer]["kernel:0"], dtype=np.float32).T.copy())
            self.dense.bias.data = torch.from_numpy(np.asarray(weights[layer][layer]["bias:0"], dtype=np.float32))

    def stages(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(stage-1 features (N, 64, H, W), stage-2 features (N, 128, H/2, W/2), stage-3 stream (N, 256, H/4, W/4))."""
        x = F.relu(self.stem_bn(self.stem(image * DN_SCALE)))
        stage1 = stage2 = None
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index == STAGE1_END:
                stage1 = self.blocks[index + 1].activated(x)
            elif index == STAGE2_END:
                stage2 = self.blocks[index + 1].activated(x)
        return stage1, stage2, x

    def head(self, stream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The teacher's LCZ head on the stage-3 stream: (probabilities (N, 17), pooled features (N, 256))."""
        features = F.relu(self.final_bn(stream)).mean(dim=(2, 3))
        return torch.softmax(self.dense(features), dim=1), features

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.stages(image)[2])
