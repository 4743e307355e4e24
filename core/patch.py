"""The patch pipeline: one window of patch_size centred on each 100 m cell, like the So2Sat LCZ42 maps.

`patch_chunks` cuts the scene into rows of cells and their windows exactly as the engine feeds them to the
model; the training pipeline (training/v3) reads its windows through it too, so what a model learns on is what
it later sees. `run_patch` runs the model on them and writes the LCZ cells and, for a model with a per-cell HSE
block (docs/MODEL_CONTRACT.md), the 20 m HSE pixels of every cell.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .aggregation import MIN_VALID_SHARE
from .cells import to_cells, to_model_units, write_lcz_rows
from .contract import ModelContract
from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT
from .products import HSE_CELL_M, LCZ_CELL_M, MODEL_EMBEDDING, MODEL_HSE, MODEL_LCZ, pixels_per_cell
from .tiling import block_sum, fill_invalid, read_padded

if TYPE_CHECKING:
    from .model import LoadedModel
    from .reader import Scene
    from .run_state import CellHook
    from .uncertainty import UncertaintyCalibration
    from .writer import ProductWriters

#: Windows per model call.
PATCH_BATCH = 64
#: Input bytes (all bands, float32) of one strip of cell rows read at once: the strip is the largest array of a
#: patch run, so this bounds its memory whatever the scene's size (a strip is at least one row of cells).
STRIP_BYTES = 64 * 1024 * 1024  # 4 rows of cells at a full Sentinel-2 tile's width (16 MB gave 1: 3.2 x the reads)


@dataclass
class PatchChunk:
    """Some rows of 100 m cells: the strip of input around them and which cells (and 10 m pixels) hold data."""

    first: int  # the scene's cell row of the chunk's first row
    rows: int
    cells_x: int
    cell: int  # pixels per cell side
    patch: int
    data: np.ndarray  # (C, strip_h, strip_w) in model units
    valid: np.ndarray  # (strip_h, strip_w)
    pixel_valid: np.ndarray  # (rows * cell, cells_x * cell): valid 10 m pixels inside the scene
    inside: np.ndarray  # (rows * cell, cells_x * cell): pixels inside the scene
    cell_valid: np.ndarray  # (rows, cells_x): cells with enough valid pixels

    def window(self, r: int, c: int) -> np.ndarray:
        """The model's input for cell (r, c) of the chunk: patch x patch, no-data pixels filled."""
        y, x, p = r * self.cell, c * self.cell, self.patch
        return fill_invalid(self.data[:, y : y + p, x : x + p], self.valid[y : y + p, x : x + p])

    def cells(self) -> list[tuple[int, int]]:
        """The (row, column) of every cell to compute, in the order they are run."""
        return [(r, c) for r in range(self.rows) for c in range(self.cells_x) if self.cell_valid[r, c]]


def patch_geometry(scene: Scene, contract: ModelContract) -> tuple[int, int, int, int]:
    """(pixels per cell, patch side, cells across, cells down); refuses a patch smaller than a cell."""
    cell, patch = pixels_per_cell(LCZ_CELL_M, contract.gsd), contract.patch_size
    if patch < cell:
        raise EngineError(f"patch_size {patch} is smaller than a {LCZ_CELL_M:g} m cell ({cell} pixels).")
    return cell, patch, math.ceil(scene.width / cell), math.ceil(scene.height / cell)


def strip_rows(bands: int, cells_x: int, cell: int, patch: int, cells_y: int) -> int:
    """Cell rows per strip so that a strip's input stays within STRIP_BYTES (before: 2 MB per band-less pixel row
    of cells, which let the strip of a wide scene take the whole scene, 200 MB and more)."""
    strip_w = (cells_x - 1) * cell + patch
    pixel_rows = STRIP_BYTES // max(1, bands * strip_w * 4)
    return max(1, min(cells_y, (pixel_rows - (patch - cell)) // cell))


def patch_chunks(scene: Scene, contract: ModelContract, block: tuple[int, int] | None = None) -> Iterator[PatchChunk]:
    """The scene's cell rows (all, or block = [a, b)) in strips, with the window of every cell centred on it."""
    cell, patch, cells_x, cells_y = patch_geometry(scene, contract)
    offset = cell // 2 - patch // 2  # window origin relative to the cell origin (<= 0)
    top, bottom = block or (0, cells_y)
    chunk_rows = strip_rows(len(contract.bands), cells_x, cell, patch, cells_y)
    for first in range(top, bottom, chunk_rows):
        rows = min(chunk_rows, bottom - first)
        strip_w, strip_h = (cells_x - 1) * cell + patch, (rows - 1) * cell + patch
        data, valid = read_padded(scene, offset, first * cell + offset, strip_w, strip_h, mode="symmetric")
        inside = np.zeros((rows * cell, cells_x * cell), dtype=bool)
        inside[: min(rows * cell, scene.height - first * cell), : scene.width] = True
        pixel_valid = valid[-offset : -offset + rows * cell, -offset : -offset + cells_x * cell] & inside
        valid_count = block_sum(pixel_valid.astype(np.float32), cell)
        cell_valid = (valid_count >= MIN_VALID_SHARE * block_sum(inside.astype(np.float32), cell)) & (valid_count > 0)
        yield PatchChunk(first, rows, cells_x, cell, patch, to_model_units(data, contract), valid, pixel_valid, inside,
                         cell_valid)


class _HseBlocks:
    """The per-cell HSE blocks of a chunk, assembled into rows of 20 m pixels for the HSE product."""

    def __init__(self, model: LoadedModel, scene: Scene, chunk: PatchChunk):
        spec = model.contract.output_for(MODEL_HSE)
        self.stride, self.side, self.path = spec.stride, chunk.cell // spec.stride, model.path
        self.values = np.zeros((1, chunk.rows * self.side, chunk.cells_x * self.side), dtype=np.float32)
        self.hse_cell = pixels_per_cell(HSE_CELL_M, model.contract.gsd)
        self.width = math.ceil(scene.width / self.hse_cell)

    def add(self, cells: list[tuple[int, int]], blocks: np.ndarray) -> None:
        if blocks.shape != (len(cells), 1, self.side, self.side):
            raise EngineError(f"{self.path}: a patch model's HSE output must be (N, 1, {self.side}, {self.side}) for "
                              f"stride {self.stride}, not {blocks.shape}.")
        s = self.side
        for (r, c), block in zip(cells, blocks, strict=True):
            self.values[:, r * s : (r + 1) * s, c * s : (c + 1) * s] = block

    def write(self, products: ProductWriters, chunk: PatchChunk, out_cell_row: int, scene_height: int) -> None:
        k = self.hse_cell
        density = to_cells(self.values, self.stride, k)
        valid_count = block_sum(chunk.pixel_valid.astype(np.float32), k)
        pixel_ok = (valid_count >= MIN_VALID_SHARE * block_sum(chunk.inside.astype(np.float32), k)) & (valid_count > 0)
        per_cell = chunk.cell // k
        cell_ok = np.repeat(np.repeat(chunk.cell_valid, per_cell, axis=0), per_cell, axis=1)
        rows = min(chunk.rows * per_cell, math.ceil(scene_height / k) - chunk.first * per_cell)
        products.write(MODEL_HSE, out_cell_row * per_cell, density[:, :rows, : self.width],
                       (pixel_ok & cell_ok)[:rows, : self.width])


def run_patch(scene: Scene, model: LoadedModel, products: ProductWriters, progress, hook: CellHook | None = None,
              uncertainty: UncertaintyCalibration | None = None, block: tuple[int, int] | None = None,
              with_hse: bool = False) -> None:
    """LCZ (and, with_hse, the HSE block) of every cell of the scene or of its cell rows block = [a, b)."""
    contract = model.contract
    _, _, cells_x, cells_y = patch_geometry(scene, contract)
    top, bottom = block or (0, cells_y)
    progress.total = cells_x * (bottom - top)
    wanted = {MODEL_LCZ, MODEL_EMBEDDING} if (hook or uncertainty) else {MODEL_LCZ}
    if with_hse:
        wanted.add(MODEL_HSE)
    for chunk in patch_chunks(scene, contract, block):
        if hook is not None:
            needed = hook.needed(chunk.first, chunk.rows)
            if needed is not None:
                chunk.cell_valid &= needed  # cells nobody asked for are not run (and written as no data)
        rows = chunk.rows
        probabilities = np.zeros((LCZ_CLASS_COUNT, rows, cells_x), dtype=np.float32)
        embedding: np.ndarray | None = None
        hse = _HseBlocks(model, scene, chunk) if with_hse else None
        todo = chunk.cells()
        progress.advance(rows * cells_x - len(todo))
        for start in range(0, len(todo), PATCH_BATCH):
            progress.check()
            batch_cells = todo[start : start + PATCH_BATCH]
            results = model.run(np.stack([chunk.window(r, c) for r, c in batch_cells]), wanted)
            out = results[MODEL_LCZ]
            if out.shape != (len(batch_cells), LCZ_CLASS_COUNT):
                raise EngineError(f"{model.path}: a patch model must return (N, 17) probabilities, not {out.shape}.")
            rr, cc = np.array(batch_cells).T
            probabilities[:, rr, cc] = out.T
            if hse is not None:
                hse.add(batch_cells, results[MODEL_HSE])
            if (hook is not None or uncertainty is not None) and MODEL_EMBEDDING in results:
                features = results[MODEL_EMBEDDING].reshape(len(batch_cells), -1)
                if embedding is None:
                    embedding = np.zeros((features.shape[1], rows, cells_x), dtype=np.float32)
                embedding[:, rr, cc] = features.T
            progress.advance(len(batch_cells))
        if embedding is None and (hook or uncertainty) and contract.output_for(MODEL_EMBEDDING) is not None:
            embedding = np.zeros((0, rows, cells_x), dtype=np.float32)  # no valid cell in these rows
        if hse is not None:
            hse.write(products, chunk, chunk.first - top, scene.height)
        write_lcz_rows(products, chunk.first, probabilities, embedding, chunk.cell_valid, hook, uncertainty,
                       chunk.first - top)
