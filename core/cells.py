"""What both pipelines (core.patch, core.dense via core.engine) do with model outputs once they are per cell.

Input units for the model, rows of 100 m LCZ cells through the cell hook into the products (with the uncertainty
layer), and model outputs of any stride turned into product cells.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .contract import DN_PER_REFLECTANCE, UNIT_REFLECTANCE, ModelContract
from .products import DERIVED_UNCERTAINTY, MODEL_LCZ
from .tiling import block_mean

if TYPE_CHECKING:
    from .run_state import CellHook
    from .uncertainty import UncertaintyCalibration
    from .writer import ProductWriters


def to_model_units(batch: np.ndarray, contract: ModelContract) -> np.ndarray:
    """Scene digital numbers -> what the model's `image` input expects (its contract's input_unit)."""
    return batch * np.float32(1.0 / DN_PER_REFLECTANCE) if contract.input_unit == UNIT_REFLECTANCE else batch


def finer_stride(stride: int, cell: int) -> int:
    """The stride an output is brought to before it is averaged into cells of `cell` pixels: gcd(stride, cell)."""
    return math.gcd(stride, cell)


def to_finer_stride(values: np.ndarray, stride: int, cell: int) -> np.ndarray:
    """Repeat (C, h, w) values of `stride` onto the stride gcd(stride, cell), which divides the cell."""
    factor = stride // finer_stride(stride, cell)
    if factor == 1:
        return values
    return np.repeat(np.repeat(values, factor, axis=-2), factor, axis=-1)


def to_cells(values: np.ndarray, stride: int, cell: int) -> np.ndarray:
    """(C, h, w) values at `stride` whose extent is a whole number of cells -> their means per cell of `cell` px."""
    fine = finer_stride(stride, cell)
    return block_mean(to_finer_stride(values, stride, cell), cell // fine)


def write_lcz_rows(products: ProductWriters, first: int, probabilities: np.ndarray, embedding: np.ndarray | None,
                   valid: np.ndarray, hook: CellHook | None, uncertainty: UncertaintyCalibration | None,
                   out_row: int | None = None) -> None:
    """Rows of 100 m cells (probabilities (17, rows, W), embedding (D, rows, W)) through the hook into the products.

    `first` is the scene's cell row (what the hook sees); `out_row` the row in the output files (a block's own).
    """
    out_row = first if out_row is None else out_row
    if hook is not None:
        probabilities = hook.cells(first, probabilities, embedding, valid)
    products.write(MODEL_LCZ, out_row, probabilities, valid)
    if uncertainty is not None:
        score = np.zeros((1, *valid.shape), dtype=np.float32)
        if valid.any():
            features = embedding[:, valid].T if embedding is not None and embedding.shape[0] else None
            score[0, valid] = uncertainty.score(probabilities[:, valid].T, features)
        products.write(DERIVED_UNCERTAINTY, out_row, score, valid)
