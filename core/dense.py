"""The dense pipeline: sliding windows over the scene with overlap, blended without seams, streamed row by row.

The model sees overlapping windows (tile_size, tile_overlap); each output is blended with smooth weights into
rolling accumulators (core.aggregation), the rows no later window touches are released and averaged into 20 m /
100 m cells, and those stream into the products. Memory is bounded by one row of windows, whatever the scene size.
The index maths (which rows of windows a block of cell rows needs, which 10 m rows are complete after each row of
windows: _WindowRows) is kept apart from the data path (read -> model -> blend -> cells: _DenseRun).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .aggregation import CellAggregator, RollingAccumulator
from .cells import finer_stride, to_finer_stride, to_model_units, write_lcz_rows
from .contract import ModelContract, OutputSpec
from .errors import EngineError
from .products import LCZ_CELL_M, MODEL_CHANNELS, MODEL_EMBEDDING, MODEL_LCZ, MODEL_OUTPUT_CELL_M, pixels_per_cell
from .tiling import WindowGrid, blend_weight, fill_invalid, read_padded, window_grid

if TYPE_CHECKING:
    from .model import LoadedModel
    from .reader import Scene
    from .run_state import CellHook, RunProgress
    from .uncertainty import UncertaintyCalibration
    from .writer import ProductWriters

#: Input bytes per dense batch. On the CPU, batches of 1 to 25 windows ran equally fast (docs/BENCHMARKS.md),
#: while onnxruntime's working memory grows with the batch: small batches keep the peak low.
_BATCH_BYTES = 16 * 1024 * 1024


def run_dense(scene: Scene, model: LoadedModel, products: ProductWriters, progress: RunProgress,
              model_outputs: set[str], hook: CellHook | None = None,
              uncertainty: UncertaintyCalibration | None = None, block: tuple[int, int] | None = None) -> None:
    """Map the scene (or the cell rows [a, b) of `block`) with a dense model into `products`.

    `block`: only the windows of the scene's window grid that touch those rows are run, in the same order as for the
    whole scene, so the block's cells are bit for bit those of a whole-scene run.
    """
    _DenseRun(scene, model, products, progress, model_outputs, hook, uncertainty, block).run()


def _outputs_to_run(contract: ModelContract, model_outputs: set[str], with_embedding: bool) -> dict[str, OutputSpec]:
    """The model outputs a run asks for: LCZ always (every model has it), the others only when a product needs
    them, and the embedding for a cell hook or the uncertainty (averaged per cell like the probabilities)."""
    if with_embedding and contract.output_for(MODEL_EMBEDDING) is not None:
        model_outputs = model_outputs | {MODEL_EMBEDDING}
    return {key: contract.output_for(key) for key in (MODEL_LCZ, *sorted(model_outputs - {MODEL_LCZ}))}


def _output_channels(model: LoadedModel, outputs: dict[str, OutputSpec]) -> dict[str, int]:
    """Channels of each output: fixed by the contract, the embedding's as the graph declares it."""
    channels = dict(MODEL_CHANNELS)
    if MODEL_EMBEDDING in outputs:
        channels[MODEL_EMBEDDING] = model.channels(MODEL_EMBEDDING) or 0
        if not channels[MODEL_EMBEDDING]:
            raise EngineError(f"{model.path}: the embedding output must declare its channel count in the graph.")
    return channels


def _blend_weights(outputs: dict[str, OutputSpec], tile: int, ramp: int) -> dict[str, np.ndarray]:
    """Per output, the window weight that ramps down over the overlap at the output's stride."""
    weights = {}
    for product, spec in outputs.items():
        ramp_1d = blend_weight(tile // spec.stride, ramp // spec.stride)
        weights[product] = np.outer(ramp_1d, ramp_1d)
    return weights


@dataclass(frozen=True)
class _WindowRows:
    """Which rows of windows a run needs, and up to which 10 m row the output is complete after each of them."""

    all_ys: list[int]  # top rows of every row of windows of the scene's window grid
    selected: list[int]  # indices (into all_ys) of the rows of windows this run runs
    start_px: int  # the 10 m rows [start_px, stop_px) are mapped
    stop_px: int
    height: int
    is_block: bool

    @classmethod
    def plan(cls, grid: WindowGrid, tile: int, height: int, lcz_cell: int,
             block: tuple[int, int] | None) -> _WindowRows:
        """The window rows that touch the mapped rows; the rows above start_px are computed and dropped."""
        start_px = (block[0] if block else 0) * lcz_cell
        stop_px = min(block[1] * lcz_cell, height) if block else height
        all_ys = grid.ys()
        selected = [k for k, y in enumerate(all_ys) if y < stop_px and y + tile > start_px]
        return cls(all_ys, selected, start_px, stop_px, height, block is not None)

    @property
    def ys(self) -> list[int]:
        return [self.all_ys[k] for k in self.selected]

    @property
    def first_top(self) -> int:
        """The first 10 m row the accumulators hold: 0 for a whole scene, the first window row's top for a block."""
        return max(self.all_ys[self.selected[0]], 0) if self.is_block else 0

    def complete_until(self, row: int) -> int:
        """Every 10 m row above this one is final once the selected row of windows `row` has run."""
        index = self.selected[row]
        last = index == len(self.all_ys) - 1
        until = self.height if last else min(self.all_ys[index + 1], self.height)
        if self.is_block and row == len(self.selected) - 1:
            until = min(until, self.stop_px)  # every row above stop_px is complete: the windows below are not run
        return until


class _ValidRows:
    """Which 10 m pixels hold data, for the rows from `top` (the first not yet released) to the current windows."""

    def __init__(self, tile: int, width: int, top: int):
        self.rows = np.zeros((tile, width), dtype=bool)
        self.top, self.tile, self.width = top, tile, width

    def add(self, y0: int, valid: np.ndarray, height: int) -> None:
        """The validity of a row of windows starting at 10 m row y0 (valid: tile rows by the scene's width)."""
        first_row, last_row = max(y0, 0), min(y0 + self.tile, height)
        self.rows[first_row - self.top : last_row - self.top] = valid[first_row - y0 : last_row - y0]

    def release(self, until: int) -> np.ndarray:
        """The validity of the rows [top, until), dropped from the buffer."""
        count = until - self.top
        mask = self.rows[:count].copy()
        self.rows = np.concatenate([self.rows[count:], np.zeros((count, self.width), dtype=bool)])
        self.top = until
        return mask


class _CellRowJoin:
    """The LCZ rows (and the embedding rows, when used) of one row of cells meet here before they are written."""

    def __init__(self, products: ProductWriters, joined: list[str], first_cell_row: int, hook: CellHook | None,
                 uncertainty: UncertaintyCalibration | None):
        self.products, self.joined, self.first_cell_row = products, joined, first_cell_row
        self.hook, self.uncertainty = hook, uncertainty
        self.pending: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    def sink(self, product: str) -> Callable[[int, np.ndarray, np.ndarray], None]:
        return functools.partial(self._add, product)

    def _add(self, product: str, row: int, values: np.ndarray, valid: np.ndarray) -> None:
        parts = self.pending.setdefault(row, {})
        parts[product] = (values, valid)
        if len(parts) < len(self.joined):
            return
        del self.pending[row]
        probabilities, cell_valid = parts[MODEL_LCZ]
        embedding = parts[MODEL_EMBEDDING][0] if MODEL_EMBEDDING in parts else None
        write_lcz_rows(self.products, row + self.first_cell_row, probabilities, embedding, cell_valid, self.hook,
                       self.uncertainty, row)


class _DenseRun:
    """One dense run: windows read (a row ahead, in a thread), run, blended, released into cells, written."""

    def __init__(self, scene: Scene, model: LoadedModel, products: ProductWriters, progress: RunProgress,
                 model_outputs: set[str], hook: CellHook | None, uncertainty: UncertaintyCalibration | None,
                 block: tuple[int, int] | None):
        contract = model.contract
        self.scene, self.model, self.progress, self.contract = scene, model, progress, contract
        self.outputs = _outputs_to_run(contract, model_outputs, with_embedding=bool(hook or uncertainty))
        self.channels = _output_channels(model, self.outputs)
        self.cells = {key: pixels_per_cell(MODEL_OUTPUT_CELL_M[key], contract.gsd) for key in self.outputs}
        # An output whose stride does not divide its product cell (stride 4 for 10 px cells) is repeated onto the
        # stride gcd(stride, cell) before the cells average it (core.cells.to_finer_stride).
        self.fine = {p: finer_stride(s.stride, self.cells[p]) for p, s in self.outputs.items()}
        self.tile = tile = contract.tile_size
        align = math.lcm(contract.size_multiple, *(spec.stride for spec in self.outputs.values()))
        grid = window_grid(scene.width, scene.height, tile, contract.tile_overlap, align)
        self.weights = _blend_weights(self.outputs, tile, tile - grid.step)
        self.xs = grid.xs()
        self.rows = _WindowRows.plan(grid, tile, scene.height, pixels_per_cell(LCZ_CELL_M, contract.gsd), block)
        progress.total = grid.columns * (len(self.rows.selected) if block else grid.rows)
        self.batch_size = max(1, _BATCH_BYTES // (len(contract.bands) * tile * tile * 4))
        self.valid_rows = _ValidRows(tile, scene.width, self.rows.first_top)
        self.accumulators = {p: RollingAccumulator(self.channels[p], s.stride, tile, scene.width)
                             for p, s in self.outputs.items()}
        for accumulator in self.accumulators.values():
            accumulator.top = self.rows.first_top
        self.aggregators = self._aggregators(products, hook, uncertainty, block[0] if block else 0)

    def _aggregators(self, products: ProductWriters, hook: CellHook | None,
                     uncertainty: UncertaintyCalibration | None, first_cell_row: int) -> dict[str, CellAggregator]:
        """Per output, the cell averaging that writes to its products (LCZ and embedding through the join)."""
        joined = [p for p in (MODEL_LCZ, MODEL_EMBEDDING) if p in self.outputs]
        join = _CellRowJoin(products, joined, first_cell_row, hook, uncertainty)
        sinks = {p: join.sink(p) if p in joined else functools.partial(products.write, p) for p in self.outputs}
        return {p: CellAggregator(self.cells[p], self.fine[p], self.scene.width, sinks[p]) for p in self.outputs}

    def run(self) -> None:
        """Every selected row of windows, in order; the next one is read while the model runs on this one."""
        ys, width, x_first = self.rows.ys, self.scene.width, -self.xs[0]
        # GDAL and onnxruntime both release the GIL. Only the reading thread touches the scene's dataset while it runs.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hselcz-read") as reader:
            upcoming = reader.submit(self._read_strip, ys[0])
            for row, y0 in enumerate(ys):
                data, valid = upcoming.result()
                if row + 1 < len(ys):
                    upcoming = reader.submit(self._read_strip, ys[row + 1])
                self.valid_rows.add(y0, valid[:, x_first : x_first + width], self.scene.height)
                self._run_windows(y0, data, valid)
                until = self.rows.complete_until(row)
                if until > self.valid_rows.top:
                    self._release(until)
        for aggregator in self.aggregators.values():
            aggregator.finish()

    def _read_strip(self, y0: int) -> tuple[np.ndarray, np.ndarray]:
        """The input under a row of windows starting at y0, in model units, and its validity."""
        strip_w = self.xs[-1] + self.tile - self.xs[0]
        data, valid = read_padded(self.scene, self.xs[0], y0, strip_w, self.tile, mode="reflect")
        return to_model_units(data, self.contract), valid

    def _run_windows(self, y0: int, data: np.ndarray, valid: np.ndarray) -> None:
        """The windows of one row that hold data, through the model in batches, into the accumulators."""
        xs, tile = self.xs, self.tile
        windows = []
        for x0 in xs:
            window_valid = valid[:, x0 - xs[0] : x0 - xs[0] + tile]
            if window_valid.any():
                windows.append((x0, fill_invalid(data[:, :, x0 - xs[0] : x0 - xs[0] + tile], window_valid)))
        self.progress.advance(len(xs) - len(windows))
        for start in range(0, len(windows), self.batch_size):
            self.progress.check()
            chunk = windows[start : start + self.batch_size]
            results = self.model.run(np.stack([w for _, w in chunk]), self.outputs)
            for product, spec in self.outputs.items():
                values = self._checked_shape(results[product], product, spec, len(chunk))
                for (x0, _), window_values in zip(chunk, values, strict=True):
                    self.accumulators[product].add(x0, y0, window_values, self.weights[product])
            self.progress.advance(len(chunk))

    def _checked_shape(self, out: np.ndarray, product: str, spec: OutputSpec, windows: int) -> np.ndarray:
        side = self.tile // spec.stride
        expected = (windows, self.channels[product], side, side)
        if out.shape != expected:
            raise EngineError(f"{self.model.path}: output '{spec.name}' has shape {out.shape}, expected {expected} "
                              f"for stride {spec.stride}.")
        return out

    def _release(self, until: int) -> None:
        """The 10 m rows [top, until) are final: blend them out of the accumulators into the cells."""
        top = self.valid_rows.top
        mask = self.valid_rows.release(until)
        lo, hi = max(top, self.rows.start_px), min(until, self.rows.stop_px)
        for product, spec in self.outputs.items():
            released = self.accumulators[product].release(until)
            if hi > lo:  # only the mapped rows go on to the cells
                g = self.fine[product]
                released = to_finer_stride(released, spec.stride, self.cells[product])
                self.aggregators[product].push(released[:, (lo - top) // g : -(-(hi - top) // g)],
                                               mask[lo - top : hi - top])
