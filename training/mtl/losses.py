"""Losses of the multi-task network: weighted HSE MAE, LCZ cross-entropy, and their (learned) weighting.

Missing labels are masked per task and per pixel, so one batch may carry HSE labels, LCZ labels or
both: a task without a single labelled pixel in the batch contributes nothing (not even its
uncertainty term), and never a NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .network import NetworkConfig

PROBABILITY_FLOOR = 1e-7  # log(0) guard for the cross-entropy on averaged probabilities


def hse_mask(target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Labelled HSE pixels: finite targets, and the explicit mask when given (shape of target or without C)."""
    valid = torch.isfinite(target)
    if mask is not None:
        valid = valid & mask.reshape(target.shape).bool()
    return valid


def hse_loss(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """MAE weighted per pixel by exp(y), averaged over the labelled pixels (weights not renormalised).

    exp(y) gives dense settlement (y near 1) e = 2.7 times the weight of open land, as the paper
    weights by exp(y_hse); 0 when no pixel is labelled.
    """
    valid = hse_mask(target, mask)
    y = torch.where(valid, target, torch.zeros_like(target))
    error = torch.exp(y) * (prediction - y).abs() * valid
    return error.sum() / valid.sum().clamp(min=1)


def match_label_size(probabilities: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bring (N, 17, H, W) probabilities to the label grid: average-pool down, bilinear up, or as is."""
    h, w = probabilities.shape[-2:]
    if (h, w) == tuple(size):
        return probabilities
    if size[0] <= h and size[1] <= w:
        return F.adaptive_avg_pool2d(probabilities, size)
    return F.interpolate(probabilities, size=size, mode="bilinear", align_corners=False)


def lcz_loss(probabilities: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None,
             class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy -sum_c w_c y_c log p_c of one-hot or distributional labels (N, 17, h, w), mean over labelled
    pixels.

    h, w may be 1 (one label per patch, e.g. So2Sat LCZ42) or any other size: the prediction is brought
    to the label grid first. mask: (N, h, w) bool, True where labelled; None means all labelled.
    class_weights: (17,) w_c, None = all 1 (see class_balance_weights).
    """
    p = match_label_size(probabilities, tuple(target.shape[-2:]))
    valid = torch.ones(target.shape[0], *target.shape[-2:], dtype=torch.bool, device=target.device)
    if mask is not None:
        valid = mask.bool().view_as(valid)
    valid = valid & torch.isfinite(target).all(dim=1)
    y = torch.where(valid.unsqueeze(1), target, torch.zeros_like(target))
    if class_weights is not None:
        y = y * class_weights.to(y).view(1, -1, 1, 1)
    ce = -(y * torch.log(p.clamp(min=PROBABILITY_FLOOR))).sum(dim=1)
    return (ce * valid).sum() / valid.sum().clamp(min=1)


def class_balance_weights(shares: Sequence[float], strength: float, cap: float = 10.0) -> tuple[float, ...]:
    """w_c proportional to share_c ** -strength, capped at `cap` x the smallest, scaled so sum_c share_c w_c = 1.

    Why: with distributional labels from a teacher, rare classes (dense trees were 0.8 % of the version-2
    training cells) hardly move the loss and the student stops predicting them. strength 0 = no weighting,
    1 = inverse frequency; the scaling keeps the loss of a label set with these shares at its unweighted size.
    Classes with share 0 get the capped weight (they cannot affect this set's loss).
    """
    share = np.asarray(shares, np.float64)
    if share.ndim != 1 or (share < 0).any() or share.sum() <= 0:
        raise ValueError("shares must be non-negative with a positive sum")
    if strength < 0:
        raise ValueError("strength must be >= 0")
    share = share / share.sum()
    raw = np.where(share > 0, np.maximum(share, 1e-12) ** -strength, np.inf)
    raw = np.minimum(raw, cap * raw[share > 0].min())
    return tuple(float(v) for v in raw / (share * raw).sum())


@dataclass
class LossParts:
    """The total (for backward) and detached per-task values for logging (None when a task had no labels)."""

    total: torch.Tensor
    hse: float | None
    lcz: float | None


class MultiTaskLoss(nn.Module):
    """Equal (1:1) or homoscedastic-uncertainty weighting (Kendall et al. 2018) with s = log sigma^2:

    L = 1/(2 sigma_hse^2) L_hse + 1/sigma_lcz^2 L_lcz + log sigma_hse + log sigma_lcz
      = 0.5 exp(-s_hse) L_hse + exp(-s_lcz) L_lcz + 0.5 s_hse + 0.5 s_lcz
    (regression: factor 1/2; classification: factor 1). s starts at 0 (sigma = 1, i.e. 1:1 weights).
    """

    def __init__(self, config: NetworkConfig, lcz_class_weights: Sequence[float] | None = None):
        super().__init__()
        self.config = config
        weights = None if lcz_class_weights is None else torch.tensor(lcz_class_weights, dtype=torch.float32)
        self.register_buffer("lcz_class_weights", weights, persistent=False)
        learned = config.weighting == "learned"
        self.s_hse = nn.Parameter(torch.zeros(())) if learned else None
        self.s_lcz = nn.Parameter(torch.zeros(())) if learned else None

    def sigmas(self) -> dict[str, float]:
        """sigma = exp(s / 2) per task (1.0 under equal weighting)."""
        return {
            "sigma_hse": float(torch.exp(self.s_hse.detach() / 2)) if self.s_hse is not None else 1.0,
            "sigma_lcz": float(torch.exp(self.s_lcz.detach() / 2)) if self.s_lcz is not None else 1.0,
        }

    def forward(self, outputs: dict[str, torch.Tensor], batch: dict[str, torch.Tensor]) -> LossParts:
        terms: list[torch.Tensor] = []
        hse_value = lcz_value = None
        if "hse" in outputs and "hse" in batch:
            valid = hse_mask(batch["hse"], batch.get("hse_mask"))
            if bool(valid.any()):
                loss = hse_loss(outputs["hse"], batch["hse"], batch.get("hse_mask"))
                hse_value = float(loss.detach())
                if self.s_hse is not None:
                    terms.append(0.5 * torch.exp(-self.s_hse) * loss + 0.5 * self.s_hse)
                else:
                    terms.append(loss)
        if "lcz" in outputs and "lcz" in batch:
            mask = batch.get("lcz_mask")
            if mask is None or bool(mask.any()):
                loss = lcz_loss(outputs["lcz"], batch["lcz"], mask, self.lcz_class_weights)
                lcz_value = float(loss.detach())
                if self.s_lcz is not None:
                    terms.append(torch.exp(-self.s_lcz) * loss + 0.5 * self.s_lcz)
                else:
                    terms.append(loss)
        if terms:
            total = torch.stack(terms).sum()
        else:  # no labels at all: a zero that still backpropagates (to nothing)
            total = sum(o.sum() for o in outputs.values()) * 0.0
        return LossParts(total=total, hse=hse_value, lcz=lcz_value)
