"""Windows over the working grid, edge padding, and the blending weight that removes seams.

Windows sit on one global grid (origin at -margin, step = tile - overlap), so streaming the scene in rows
of windows gives exactly what blending the whole scene at once would give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_WEIGHT_FLOOR = 1e-3


@dataclass(frozen=True)
class WindowGrid:
    tile: int
    step: int
    margin: int
    columns: int
    rows: int

    def xs(self) -> list[int]:
        return [-self.margin + i * self.step for i in range(self.columns)]

    def ys(self) -> list[int]:
        return [-self.margin + i * self.step for i in range(self.rows)]


def _count(size: int, tile: int, step: int, margin: int) -> int:
    """Windows needed so that [0, size) is covered with `margin` pixels of context beyond each edge."""
    return max(1, math.ceil((size + 2 * margin - tile) / step) + 1)


def window_grid(width: int, height: int, tile: int, overlap: int, align: int) -> WindowGrid:
    """Step and margin are multiples of `align` so every output stride lands on the global output grid."""
    step = max(align, ((tile - overlap) // align) * align)
    margin = ((tile - step) // 2 // align) * align
    return WindowGrid(tile, step, margin, _count(width, tile, step, margin), _count(height, tile, step, margin))


def blend_weight(size: int, ramp: int) -> np.ndarray:
    """1-D weight: a raised-cosine ramp over `ramp` pixels at both ends, 1 in between, never 0."""
    weight = np.ones(size, dtype=np.float64)
    if ramp > 0:
        t = (np.arange(ramp) + 0.5) / ramp
        edge = 0.5 - 0.5 * np.cos(np.pi * t)
        weight[:ramp] = edge
        weight[size - ramp :] = edge[::-1]
    return np.maximum(weight, _WEIGHT_FLOOR).astype(np.float32)


def pad_block(block: np.ndarray, valid: np.ndarray, before_y: int, after_y: int, before_x: int, after_x: int,
              mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Pad (C,h,w) data and its mask by reflection (or symmetric) beyond the scene edge.

    The mask is mirrored too, so that filling no-data pixels keeps the mirrored image; callers that need
    to know what lies inside the scene use the scene size, not this mask.
    """
    if not (before_y or after_y or before_x or after_x):
        return block, valid
    pad_mode = mode
    if min(block.shape[1:]) < 2:
        pad_mode = "edge"  # a one-pixel-wide raster cannot be reflected
    padded = np.pad(block, ((0, 0), (before_y, after_y), (before_x, after_x)), mode=pad_mode)
    padded_valid = np.pad(valid, ((before_y, after_y), (before_x, after_x)), mode=pad_mode)
    return padded, padded_valid


def read_padded(scene, x0: int, y0: int, width: int, height: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Read [x0, x0+width) x [y0, y0+height) of the scene; whatever lies outside it is padded."""
    inner_x0, inner_y0 = max(x0, 0), max(y0, 0)
    inner_x1, inner_y1 = min(x0 + width, scene.width), min(y0 + height, scene.height)
    if inner_x1 <= inner_x0 or inner_y1 <= inner_y0:
        raise ValueError("window outside the scene")
    data, valid = scene.read(inner_x0, inner_y0, inner_x1 - inner_x0, inner_y1 - inner_y0)
    return pad_block(data, valid, inner_y0 - y0, y0 + height - inner_y1, inner_x0 - x0, x0 + width - inner_x1, mode)


def fill_invalid(window: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Replace masked pixels by the mean of the window's valid pixels, per band, so zeros do not leak in."""
    if valid.all():
        return window
    filled = window.copy()
    for band in range(window.shape[0]):
        values = window[band][valid]
        filled[band][~valid] = values.mean() if values.size else 0.0
    return filled


def block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    """Mean over factor x factor blocks of the last two axes (sizes must be multiples of factor)."""
    if factor == 1:
        return array
    *lead, h, w = array.shape
    return array.reshape(*lead, h // factor, factor, w // factor, factor).mean(axis=(-3, -1))


def block_sum(array: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return array
    *lead, h, w = array.shape
    return array.reshape(*lead, h // factor, factor, w // factor, factor).sum(axis=(-3, -1))
