"""The multi-task HSE + LCZ network of Qiu et al. (GRSL 2022), with every switch of its Table I.

Input: Sentinel-2 digital numbers (reflectance x 10000) in core.bands.MODEL_BANDS order; the scaling is
part of the module so the exported ONNX graph takes the numbers the engine reads from the scene.
Outputs (dict): "hse" (N, 1, H/2, W/2) settlement density 0..1 at 20 m, and "lcz" (N, 17, H/2, W/2)
class probabilities (the average of the branch's softmax predictions, at 20 m). H and W must be
multiples of SIZE_MULTIPLE. docs/TRAINING.md records every choice the paper leaves open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from core.bands import MODEL_BANDS
from core.contract import DN_PER_REFLECTANCE
from core.lcz import LCZ_CLASS_COUNT

TASKS = ("hse", "lcz")
WEIGHTINGS = ("equal", "learned")
#: The LCZ branch pools three times (10 m -> 20 m in the backbone, then 40 m and 80 m).
SIZE_MULTIPLE = 8
#: Both outputs sit on the backbone's pooled grid: stride 2 on the 10 m input (20 m cells).
HSE_STRIDE = 2
LCZ_STRIDE = 2
DN_SCALE = 1.0 / DN_PER_REFLECTANCE  # digital numbers -> reflectance


@dataclass(frozen=True)
class NetworkConfig:
    """Every switch of Table I plus the free choices (width, dropout, input normalisation)."""

    tasks: tuple[str, ...] = TASKS
    use_cbam: bool = True
    use_p2f: bool = False
    weighting: str = "equal"  # "equal" (1:1) or "learned" (homoscedastic, s = log sigma^2)
    width: int = 16  # f: feature maps of the first layer
    dropout: float = 0.1
    cbam_reduction: int = 8
    # Optional fixed per-band normalisation applied to reflectance (DN / 10000) inside the graph.
    band_mean: tuple[float, ...] | None = None
    band_std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.tasks or any(t not in TASKS for t in self.tasks) or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks must be a non-empty subset of {TASKS}, not {self.tasks!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {self.weighting!r}")
        if self.use_p2f and not self.multi_task:
            raise ValueError("P2F multiplies LCZ features by the HSE map: it needs both tasks")
        if self.weighting == "learned" and not self.multi_task:
            raise ValueError("learned task weights need both tasks")
        for name in ("band_mean", "band_std"):
            value = getattr(self, name)
            if value is not None and len(value) != len(MODEL_BANDS):
                raise ValueError(f"{name} needs one value per band of {MODEL_BANDS}")
        if self.band_std is not None and any(s <= 0 for s in self.band_std):
            raise ValueError("band_std must be positive")
        if self.width < 1:
            raise ValueError("width must be positive")

    @property
    def multi_task(self) -> bool:
        return "hse" in self.tasks and "lcz" in self.tasks

    @property
    def has_hse(self) -> bool:
        return "hse" in self.tasks

    @property
    def has_lcz(self) -> bool:
        return "lcz" in self.tasks


#: The seven configurations of Table I (single-task baselines keep CBAM at the start of their branch).
PRESETS: dict[str, NetworkConfig] = {
    "stl_hse": NetworkConfig(tasks=("hse",), use_cbam=True),
    "stl_lcz": NetworkConfig(tasks=("lcz",), use_cbam=True),
    "mtl_equal_cbam": NetworkConfig(use_cbam=True, use_p2f=False, weighting="equal"),
    "mtl_equal_cbam_p2f": NetworkConfig(use_cbam=True, use_p2f=True, weighting="equal"),
    "mtl_learned_cbam": NetworkConfig(use_cbam=True, use_p2f=False, weighting="learned"),
    "mtl_learned_p2f": NetworkConfig(use_cbam=False, use_p2f=True, weighting="learned"),
    "mtl_learned_cbam_p2f": NetworkConfig(use_cbam=True, use_p2f=True, weighting="learned"),
}


def preset(name: str, **overrides: object) -> NetworkConfig:
    """A Table I configuration by name, with optional overrides (e.g. width=32)."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return replace(PRESETS[name], **overrides)  # type: ignore[arg-type]


class SeparableConv(nn.Sequential):
    """3x3 depthwise + 1x1 pointwise convolution, batch norm, ReLU (the paper's only 3x3 convolution)."""

    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class ConvBlock(nn.Sequential):
    """A convolutional block: two separable convolutions."""

    def __init__(self, cin: int, cout: int):
        super().__init__(SeparableConv(cin, cout), SeparableConv(cout, cout))


class DualPool(nn.Module):
    """2x2 stride-2 max and average pooling used together: concatenated, so channels double."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.max_pool2d(x, 2, 2), F.avg_pool2d(x, 2, 2)], dim=1)


class ChannelAttention(nn.Module):
    """CBAM channel attention: a shared MLP on the average- and max-pooled channel descriptors."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = F.adaptive_avg_pool2d(x, 1)
        peak = F.adaptive_max_pool2d(x, 1)
        return x * torch.sigmoid(self.mlp(avg) + self.mlp(peak))


class SpatialAttention(nn.Module):
    """CBAM spatial attention: a 7x7 convolution on the channel-wise mean and max maps."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(maps))


class CBAM(nn.Sequential):
    """Convolutional block attention module (Woo et al. 2018): channel, then spatial attention."""

    def __init__(self, channels: int, reduction: int):
        super().__init__(ChannelAttention(channels, reduction), SpatialAttention())


class InputScaling(nn.Module):
    """DN -> reflectance (x 1e-4), then an optional fixed per-band normalisation; inside the ONNX graph."""

    def __init__(self, mean: tuple[float, ...] | None, std: tuple[float, ...] | None):
        super().__init__()
        bands = len(MODEL_BANDS)
        m = torch.tensor(mean if mean is not None else [0.0] * bands, dtype=torch.float32).view(1, bands, 1, 1)
        s = torch.tensor(std if std is not None else [1.0] * bands, dtype=torch.float32).view(1, bands, 1, 1)
        # Folded into one multiply-add: x * (1e-4 / s) - m / s.
        self.register_buffer("gain", DN_SCALE / s)
        self.register_buffer("offset", -m / s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain + self.offset


class HseBranch(nn.Module):
    """CBAM, one convolutional block, one dropout, 1x1 convolution and sigmoid: density at 20 m."""

    def __init__(self, cin: int, width: int, config: NetworkConfig):
        super().__init__()
        self.attention = CBAM(cin, config.cbam_reduction) if config.use_cbam else nn.Identity()
        self.block = ConvBlock(cin, width)
        self.dropout = nn.Dropout2d(config.dropout)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.dropout(self.block(self.attention(x)))))


class LczBranch(nn.Module):
    """CBAM, four convolutional blocks over three scales, four softmax predictions averaged (+1 with P2F).

    Intermediate 1x1 predictions come from blocks 1 (20 m), 2 (40 m) and 3 (80 m); the final one from
    block 4 (80 m). Each is softmaxed, upsampled bilinearly to the 20 m grid and the mean is returned.
    With P2F, block 1's features multiplied by the HSE map give a fifth prediction of equal weight.
    """

    def __init__(self, cin: int, config: NetworkConfig):
        super().__init__()
        classes = LCZ_CLASS_COUNT
        self.attention = CBAM(cin, config.cbam_reduction) if config.use_cbam else nn.Identity()
        self.block1 = ConvBlock(cin, cin)  # 20 m
        self.pool = DualPool()
        self.block2 = ConvBlock(2 * cin, 2 * cin)  # 40 m
        self.dropout1 = nn.Dropout2d(config.dropout)
        self.block3 = ConvBlock(4 * cin, 2 * cin)  # 80 m
        self.dropout2 = nn.Dropout2d(config.dropout)
        self.block4 = ConvBlock(2 * cin, 2 * cin)  # 80 m
        self.head1 = nn.Conv2d(cin, classes, 1)
        self.head2 = nn.Conv2d(2 * cin, classes, 1)
        self.head3 = nn.Conv2d(2 * cin, classes, 1)
        self.head_final = nn.Conv2d(2 * cin, classes, 1)
        self.head_p2f = nn.Conv2d(cin, classes, 1) if config.use_p2f else None

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The features of blocks L1..L4 (20, 40, 80, 80 m)."""
        f1 = self.block1(self.attention(x))
        f2 = self.dropout1(self.block2(self.pool(f1)))
        f3 = self.dropout2(self.block3(self.pool(f2)))
        return f1, f2, f3, self.block4(f3)

    def forward(self, x: torch.Tensor, hse: torch.Tensor | None,
                features: tuple[torch.Tensor, ...] | None = None) -> torch.Tensor:
        """features: self.features(x) when the caller has them already (the ONNX export also outputs block L4)."""
        f1, f2, f3, f4 = features if features is not None else self.features(x)
        probabilities = [
            F.softmax(self.head1(f1), dim=1),
            _upsample(F.softmax(self.head2(f2), dim=1), 2),
            _upsample(F.softmax(self.head3(f3), dim=1), 4),
            _upsample(F.softmax(self.head_final(f4), dim=1), 4),
        ]
        if self.head_p2f is not None:
            if hse is None:
                raise ValueError("P2F needs an HSE map")
            probabilities.append(F.softmax(self.head_p2f(f1 * hse), dim=1))
        return torch.stack(probabilities, dim=0).mean(dim=0)


def _upsample(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Bilinear upsampling by an integer factor (a scale, not a size, so the ONNX graph stays dynamic)."""
    return F.interpolate(x, scale_factor=float(factor), mode="bilinear", align_corners=False)


class MultiTaskNet(nn.Module):
    """Backbone (2 blocks, dual pooling, 2 blocks) shared by the HSE and LCZ branches."""

    def __init__(self, config: NetworkConfig | None = None):
        super().__init__()
        self.config = config = config or NetworkConfig()
        f = config.width
        self.scaling = InputScaling(config.band_mean, config.band_std)
        self.block1 = ConvBlock(len(MODEL_BANDS), f)
        self.block2 = ConvBlock(f, f)
        self.pool = DualPool()  # 2f channels at 20 m
        self.block3 = ConvBlock(2 * f, 2 * f)
        self.block4 = ConvBlock(2 * f, 2 * f)
        self.hse_branch = HseBranch(2 * f, f, config) if config.has_hse else None
        self.lcz_branch = LczBranch(2 * f, config) if config.has_lcz else None

    def forward(self, image: torch.Tensor, hse_reference: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """image: (N, 10, H, W) DN. hse_reference: (N, 1, H/2, W/2), NaN where unknown; only P2F reads it.

        P2F uses the reference where it is known and the (detached) prediction elsewhere; without a
        reference (inference, validation) it uses the prediction, as the engine will.
        """
        h, w = image.shape[-2:]
        if not torch.jit.is_tracing() and (h % SIZE_MULTIPLE or w % SIZE_MULTIPLE):
            raise ValueError(f"height and width must be multiples of {SIZE_MULTIPLE}, not {h} x {w}")
        x = self.backbone(image)
        out: dict[str, torch.Tensor] = {}
        if self.hse_branch is not None:
            out["hse"] = self.hse_branch(x)
        if self.lcz_branch is not None:
            hse_map = None
            if self.config.use_p2f:
                predicted = out["hse"]
                if hse_reference is None:
                    hse_map = predicted
                else:
                    hse_map = torch.where(torch.isfinite(hse_reference), hse_reference, predicted.detach())
            out["lcz"] = self.lcz_branch(x, hse_map)
        return out


    def backbone(self, image: torch.Tensor) -> torch.Tensor:
        """Shared features (N, 2f, H/2, W/2) of DN input."""
        x = self.block2(self.block1(self.scaling(image)))
        return self.block4(self.block3(self.pool(x)))

    def embed(self, image: torch.Tensor) -> torch.Tensor:
        """(N, 4f) penultimate LCZ features (block L4, before the final 1x1 head) averaged over the window.

        The per-sample embedding of Koller et al.'s uncertainty (training/mtl/uncertainty.py); call it in
        eval mode and under torch.no_grad().
        """
        if self.lcz_branch is None:
            raise ValueError("an HSE-only network has no LCZ embedding")
        return self.lcz_branch.features(self.backbone(image))[-1].mean(dim=(2, 3))


def build_network(config: NetworkConfig | str | None = None) -> MultiTaskNet:
    """A network from a config or a preset name."""
    if isinstance(config, str):
        config = preset(config)
    return MultiTaskNet(config)
