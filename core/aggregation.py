"""Blending overlapping window outputs and averaging them into product cells, one row at a time.

The dense pipeline (core.engine) adds every window's output into a RollingAccumulator with smooth
weights, releases finished rows, and pushes them into a CellAggregator, which averages them over the valid
10 m pixels of each 20 m or 100 m cell and hands complete rows of cells to a sink (the product writers).
Both hold only the rows still in progress, so memory does not grow with the scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .tiling import block_mean, block_sum

#: A cell gets a value when at least half of its 10 m pixels are valid.
MIN_VALID_SHARE = 0.5


class RollingAccumulator:
    """Weighted sums of overlapping window outputs for the rows of windows not yet finished."""

    def __init__(self, channels: int, stride: int, tile: int, width: int):
        self.stride = stride
        self.rows = tile // stride
        self.width = math.ceil(width / stride)
        self.sum = np.zeros((channels, self.rows, self.width), dtype=np.float32)
        self.weight = np.zeros((self.rows, self.width), dtype=np.float32)
        self.top = 0  # absolute 10 m row of buffer row 0

    def add(self, x0: int, y0: int, values: np.ndarray, weight: np.ndarray) -> None:
        s = self.stride
        ox, oy = x0 // s, (y0 - self.top) // s
        n = values.shape[-1]
        c0, c1 = max(0, -ox), min(n, self.width - ox)
        r0, r1 = max(0, -oy), min(n, self.rows - oy)
        if c1 <= c0 or r1 <= r0:
            return
        w = weight[r0:r1, c0:c1]
        self.sum[:, oy + r0 : oy + r1, ox + c0 : ox + c1] += values[:, r0:r1, c0:c1] * w
        self.weight[oy + r0 : oy + r1, ox + c0 : ox + c1] += w

    def release(self, until: int) -> np.ndarray:
        """Blended values of absolute rows [top, until) (10 m rows), and drop them from the buffer."""
        count = math.ceil((until - self.top) / self.stride)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = self.sum[:, :count] / np.maximum(self.weight[:count], 1e-12)
        # Shift the rows still in progress to the top, in place, and clear the freed rows.
        self.sum[:, : self.rows - count] = self.sum[:, count:]
        self.sum[:, self.rows - count :] = 0.0
        self.weight[: self.rows - count] = self.weight[count:]
        self.weight[self.rows - count :] = 0.0
        self.top = until
        return out


class CellAggregator:
    """Averages finished rows of a model output (stride s on the 10 m grid) into cells of `cell` pixels."""

    def __init__(self, cell: int, stride: int, width: int, sink: Callable[[int, np.ndarray, np.ndarray], None]):
        self.cell, self.stride, self.width, self.sink = cell, stride, width, sink
        self.cells_x = math.ceil(width / cell)
        self._values: list[np.ndarray] = []
        self._mask: list[np.ndarray] = []
        self._rows = 0  # 10 m rows pending
        self._next_cell_row = 0

    def push(self, values: np.ndarray, mask: np.ndarray) -> None:
        """values (C, rows/s, ceil(W/s)) and mask (rows, W) for the next consecutive rows of the scene."""
        self._values.append(values)
        self._mask.append(mask)
        self._rows += mask.shape[0]
        if self._rows < self.cell:
            return
        # Join the pending rows once and emit every complete row of cells from views of it.
        all_mask = np.concatenate(self._mask, axis=0) if len(self._mask) > 1 else self._mask[0]
        all_values = np.concatenate(self._values, axis=1) if len(self._values) > 1 else self._values[0]
        complete = (self._rows // self.cell) * self.cell
        per_row = self.cell // self.stride
        for top in range(0, complete, self.cell):
            out_top = top // self.stride
            self._emit(self.cell, all_values[:, out_top : out_top + per_row], all_mask[top : top + self.cell])
        self._mask = [all_mask[complete:]] if all_mask.shape[0] > complete else []
        out_complete = complete // self.stride
        self._values = [all_values[:, out_complete:]] if all_values.shape[1] > out_complete else []
        self._rows -= complete

    def finish(self) -> None:
        if self._rows:
            mask = np.concatenate(self._mask, axis=0)
            values = np.concatenate(self._values, axis=1)
            self._emit(self._rows, values[:, : math.ceil(self._rows / self.stride)], mask[: self._rows])
            self._values, self._mask, self._rows = [], [], 0

    def _emit(self, rows: int, values: np.ndarray, mask: np.ndarray) -> None:
        k, s = self.cell, self.stride
        full_w = self.cells_x * k
        pad_mask = np.zeros((k, full_w), dtype=bool)
        pad_mask[:rows, : self.width] = mask
        inside = np.zeros((k, full_w), dtype=bool)
        inside[:rows, : self.width] = True
        pad_values = np.zeros((values.shape[0], k // s, full_w // s), dtype=np.float32)
        pad_values[:, : values.shape[1], : values.shape[2]] = values[:, :, : full_w // s]
        valid_share = block_mean(pad_mask.astype(np.float32), s)  # per output pixel
        numerator = block_sum(pad_values * valid_share, k // s)
        denominator = block_sum(valid_share, k // s)
        inside_count = block_sum(inside.astype(np.float32), k)
        cell_valid = block_sum(pad_mask.astype(np.float32), k) >= MIN_VALID_SHARE * inside_count
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(denominator > 0, numerator / np.maximum(denominator, 1e-12), 0.0)
        self.sink(self._next_cell_row, mean.astype(np.float32), cell_valid & (denominator > 0))
        self._next_cell_row += 1
