"""Model v3, patch form: the So2Sat ResNet20 as the shared backbone, the teacher's own LCZ head, a CBAM HSE branch.

One 32 x 32 window per 100 m cell, as the teacher. The backbone (stem, stages 1 and 2) is shared; the LCZ branch is
the teacher's stage 3 and head, unchanged, so the LCZ probabilities and the 256 embedding features are the
teacher's by construction. The HSE branch reads the backbone's stage-1 (64 channels, 10 m) and stage-2 (128, 20 m)
features on a 20 m grid aligned to the window's centre cell, crops the cell and a margin of two 20 m pixels
(9 x 9), and applies CBAM, two valid 3 x 3 convolutions (one dropout between them, as the paper's HSE branch has
one) and a 1 x 1 convolution with a sigmoid: the building-cover fraction of the cell's 5 x 5 pixels of 20 m.

Why no CBAM, task weights or P2F on the LCZ side: any change there would move the LCZ away from the teacher,
which the gates forbid (docs/MODEL_V3.md). The backbone stays frozen while the HSE branch learns, so a learned
task weight would weigh a constant LCZ loss; it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.mtl.network import CBAM
from training.v3.resnet20 import So2SatResNet20

PATCH = 32
CELL = 10  # 10 m pixels per 100 m cell
HSE_PIXEL = 2  # 10 m pixels per 20 m HSE pixel
HSE_SIDE = CELL // HSE_PIXEL  # 5 x 5 HSE pixels per cell
MARGIN = 2  # 20 m pixels of context around the cell that the two valid 3 x 3 convolutions use up
NEIGHBOURHOOD = HSE_SIDE + 2 * MARGIN  # 9
STAGE1_CHANNELS, STAGE2_CHANNELS = 64, 128
FEATURE_CHANNELS = STAGE1_CHANNELS + STAGE2_CHANNELS
EMBEDDING_CHANNELS = 256


def _cell_aligned_origin(patch: int = PATCH, cell: int = CELL) -> tuple[int, int]:
    """(first 10 m pixel of the 20 m grid aligned to the centre cell, index of the cell's first 20 m pixel on it)."""
    cell_start = patch // 2 - cell // 2  # the engine's window: cell origin + cell//2 - patch//2
    start = cell_start % HSE_PIXEL
    return start, (cell_start - start) // HSE_PIXEL


def cell_neighbourhood(stage1: torch.Tensor, stage2: torch.Tensor) -> torch.Tensor:
    """(N, 64, 32, 32) and (N, 128, 16, 16) -> (N, 192, 9, 9): both on the centre cell's 20 m grid, cell + margin."""
    start, first = _cell_aligned_origin()
    n20 = (PATCH - start) // HSE_PIXEL
    end = start + n20 * HSE_PIXEL
    fine = F.avg_pool2d(stage1[..., start:end, start:end], HSE_PIXEL)
    up = F.interpolate(stage2, scale_factor=2.0, mode="bilinear", align_corners=False)
    coarse = F.avg_pool2d(up[..., start:end, start:end], HSE_PIXEL)
    lo = first - MARGIN
    return torch.cat([fine, coarse], dim=1)[..., lo : lo + NEIGHBOURHOOD, lo : lo + NEIGHBOURHOOD]


@dataclass(frozen=True)
class HseConfig:
    hidden: int = 64
    dropout: float = 0.1
    cbam_reduction: int = 8
    use_cbam: bool = True
    #: Output (1 + floor) * sigmoid - floor, clipped at 0: a pixel the branch is sure holds no building gets
    #: exactly 0 (the plain sigmoid never does; 0 = plain sigmoid).
    floor: float = 0.0
    #: Channels of LCZ context: the teacher's 256 pooled features of the whole 320 m window (the LCZ branch's
    #: embedding), projected and broadcast over the cell's neighbourhood (0 = none).
    context: int = 0


class HseBranch(nn.Module):
    """(N, 192, 9, 9) cell neighbourhood [+ (N, 256) LCZ embedding] -> (N, 1, 5, 5) building-cover fraction of
    the cell's 20 m pixels."""

    def __init__(self, config: HseConfig = HseConfig()):
        super().__init__()
        self.config = config
        self.norm = nn.BatchNorm2d(FEATURE_CHANNELS)  # stage 1 and 2 features live on different scales
        channels = FEATURE_CHANNELS + config.context
        self.context = (nn.Sequential(nn.Linear(EMBEDDING_CHANNELS, config.context), nn.ReLU(inplace=True))
                        if config.context else None)
        self.attention = CBAM(channels, config.cbam_reduction) if config.use_cbam else nn.Identity()
        h = config.hidden
        self.conv1 = nn.Sequential(nn.Conv2d(channels, h, 3), nn.BatchNorm2d(h), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout2d(config.dropout)
        self.conv2 = nn.Sequential(nn.Conv2d(h, h // 2, 3), nn.BatchNorm2d(h // 2), nn.ReLU(inplace=True))
        self.out = nn.Conv2d(h // 2, 1, 1)

    def forward(self, neighbourhood: torch.Tensor, embedding: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norm(neighbourhood)
        if self.context is not None:
            context = self.context(embedding)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
            x = torch.cat([x, context], dim=1)
        x = self.attention(x)
        x = self.conv2(self.dropout(self.conv1(x)))
        density = torch.sigmoid(self.out(x))
        floor = self.config.floor
        return torch.clamp((1.0 + floor) * density - floor, min=0.0) if floor > 0 else density


class MultiTaskResNet20(nn.Module):
    """image (N, 10, 32, 32) DN -> (lcz (N, 17), embedding (N, 256), hse (N, 1, 5, 5)): the exported graph."""

    def __init__(self, hse: HseBranch, backbone: So2SatResNet20 | None = None):
        super().__init__()
        self.backbone = backbone or So2SatResNet20()
        self.hse = hse

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        stage1, stage2, stream = self.backbone.stages(image)
        lcz, embedding = self.backbone.head(stream)
        return lcz, embedding, self.hse(cell_neighbourhood(stage1, stage2), embedding)
