"""core.aggregation on synthetic arrays, against plain numpy oracles (the engine tests cover it end to end)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.aggregation import MIN_VALID_SHARE, CellAggregator, RollingAccumulator


def cell_oracle(values: np.ndarray, mask: np.ndarray, cell: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: the mean of the output pixels weighted by their share of valid 10 m pixels, and the validity."""
    height, width = mask.shape
    rows, cols = math.ceil(height / cell), math.ceil(width / cell)
    means = np.zeros((values.shape[0], rows, cols), dtype=np.float64)
    valid = np.zeros((rows, cols), dtype=bool)
    for r in range(rows):
        for c in range(cols):
            block = mask[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell]
            numerator, denominator = np.zeros(values.shape[0]), 0.0
            for y in range(0, block.shape[0], stride):
                for x in range(0, block.shape[1], stride):
                    share = block[y : y + stride, x : x + stride].sum() / stride**2
                    numerator += values[:, (r * cell + y) // stride, (c * cell + x) // stride] * share
                    denominator += share
            valid[r, c] = block.sum() >= MIN_VALID_SHARE * block.size and denominator > 0
            means[:, r, c] = numerator / denominator if denominator > 0 else 0.0
    return means, valid


@pytest.mark.parametrize(("height", "width", "cell", "stride", "chunks"), [
    (40, 30, 10, 1, [40]),  # one push, whole cells
    (47, 33, 10, 1, [7, 13, 3, 24]),  # uneven pushes; a partial last row and column of cells
    (60, 50, 10, 2, [12, 20, 28]),  # stride 2 (an HSE-like output), pushes of even rows
    (23, 17, 5, 1, [1] * 23),  # row by row
])
def test_cell_aggregator_equals_the_oracle(height: int, width: int, cell: int, stride: int, chunks: list[int]) -> None:
    rng = np.random.default_rng(height * width)
    values = rng.random((3, math.ceil(height / stride), math.ceil(width / stride))).astype(np.float32)
    mask = rng.random((height, width)) > 0.3
    mask[: cell, : cell] = False  # a cell without data
    mask[cell : 2 * cell, : cell] = True
    mask[cell : cell + cell // 2 + 1, : cell] = False  # a cell with less than half its pixels valid
    emitted: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    aggregator = CellAggregator(cell, stride, width, lambda row, mean, ok: emitted.setdefault(row, (mean, ok)))
    top = 0
    for rows in chunks:
        aggregator.push(values[:, top // stride : (top + rows) // stride], mask[top : top + rows])
        top += rows
    aggregator.finish()
    expected, expected_valid = cell_oracle(values, mask, cell, stride)
    assert sorted(emitted) == list(range(expected.shape[1]))
    got = np.concatenate([emitted[row][0] for row in sorted(emitted)], axis=1)
    got_valid = np.concatenate([emitted[row][1] for row in sorted(emitted)], axis=0)
    np.testing.assert_array_equal(got_valid, expected_valid)
    np.testing.assert_allclose(got[:, got_valid], expected[:, expected_valid], rtol=1e-5, atol=1e-6)
    assert not got_valid[0, 0] and not got_valid[1, 0]


def test_rolling_accumulator_blends_overlapping_windows_and_releases_rows() -> None:
    tile, width, stride = 8, 12, 2
    accumulator = RollingAccumulator(channels=1, stride=stride, tile=tile, width=width)
    size = tile // stride
    left, right = np.full((1, size, size), 1.0, np.float32), np.full((1, size, size), 3.0, np.float32)
    weight_left = np.ones((size, size), np.float32)
    weight_right = np.full((size, size), 3.0, np.float32)
    accumulator.add(0, 0, left, weight_left)
    accumulator.add(4, 0, right, weight_right)  # overlaps the first window by 4 px (2 output pixels)
    accumulator.add(-4, 0, right, weight_right)  # partly left of the scene: clipped, not wrapped
    accumulator.add(0, 20, right, weight_right)  # below the buffer: ignored
    released = accumulator.release(4)  # the first 4 rows (2 output rows)
    assert released.shape == (1, 2, math.ceil(width / stride))
    np.testing.assert_allclose(released[0, 0], [2.5, 2.5, 2.5, 2.5, 3.0, 3.0])  # (1*1 + 3*3) / 4 where both cover
    # The remaining rows moved to the top, the freed rows are empty, and new windows land relative to row 4.
    assert accumulator.top == 4
    np.testing.assert_allclose(accumulator.weight[:2, 0], [4.0, 4.0])
    assert (accumulator.weight[2:] == 0).all() and (accumulator.sum[:, 2:] == 0).all()
    accumulator.add(0, 4, left, weight_left)
    rest = accumulator.release(12)
    np.testing.assert_allclose(rest[0, :, 0], [11 / 5, 11 / 5, 1.0, 1.0])  # (10 carried + 1) / (4 + 1)
