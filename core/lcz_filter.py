"""The spatially filtered LCZ map: class probabilities smoothed with a Gaussian kernel before the argmax.

The LCZ Generator (Demuzere et al. 2021, Front. Environ. Sci. 9:637455) e-mails a "Gaussian-filtered" map (its FAQ:
"as done in Demuzere et al. 2020") beside the raw one, and the global LCZ map (Demuzere et al. 2022, ESSD 14:3835)
recommends its LCZ_Filter band over the raw LCZ band: an LCZ is a neighbourhood-scale class (hundreds of metres), so
a lone 100 m cell of another class is more often noise than a zone. The kernel here is the one those papers describe
at 100 m: a Gaussian of sigma 1 cell (100 m), cut at a radius of 2 cells (a 5 x 5 window).

Cells without data do not vote: each cell's smoothed probabilities are normalised by the kernel weight of the cells
with data around it (at the scene's edges and next to clouds alike), and a cell without data stays without data.
The filter streams blocks of rows with a halo of RADIUS rows above and below, so memory stays bounded by one block.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .i18n import tr
from .lcz import LCZ_NODATA

#: The kernel's standard deviation and radius in 100 m cells (the LCZ Generator's and the global map's filter).
SIGMA_CELLS = 1.0
RADIUS_CELLS = 2
#: Rows of cells filtered at a time (plus 2 * RADIUS_CELLS rows of halo): 256 rows x 10 980 cells x 17 classes x
#: 4 bytes = 190 MB at most for a full Sentinel-2 tile's width (1 098 cells at 100 m: 19 MB).
BLOCK_ROWS = 256

#: Reads (first_row, rows) -> (probabilities (17, rows, width) float32, valid (rows, width) bool).
RowReader = Callable[[int, int], tuple[np.ndarray, np.ndarray]]
#: Receives (first_row, LCZ codes (rows, width) uint8, valid (rows, width) bool).
RowWriter = Callable[[int, np.ndarray, np.ndarray], None]


def gaussian_weights(sigma: float = SIGMA_CELLS, radius: int = RADIUS_CELLS) -> np.ndarray:
    """The 1-D kernel (2 * radius + 1 weights summing to 1); the 2-D kernel is its outer product (separable)."""
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum()


def kernel_description(sigma: float = SIGMA_CELLS, radius: int = RADIUS_CELLS, cell_m: float = 100.0) -> str:
    """The kernel in words, for the log and the output's metadata (translated for the log only)."""
    size = 2 * radius + 1
    return (f"Gaussian kernel, sigma {sigma:g} cell ({sigma * cell_m:g} m), radius {radius} cells ({size} x {size}), "
            "on the 17 class probabilities before the argmax, normalised by the weight of the cells with data "
            "(Demuzere et al. 2021, LCZ Generator; Demuzere et al. 2022, global LCZ map, LCZ_Filter)")


def kernel_log_line(sigma: float = SIGMA_CELLS, radius: int = RADIUS_CELLS) -> str:
    size = 2 * radius + 1
    return tr("Filtered LCZ: Gaussian kernel, sigma {sigma:g} cell ({metres:g} m), radius {radius} cells ({size} x "
              "{size}), applied to the class probabilities before the argmax (as the LCZ Generator and the global LCZ "
              "map do).", sigma=sigma, metres=sigma * 100.0, radius=radius, size=size)


def _convolve_axis(values: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """Correlate along `axis` with zero padding (the kernel is symmetric): out[i] = sum_k w[k] * v[i + k - r]."""
    radius = len(weights) // 2
    pad = [(0, 0)] * values.ndim
    pad[axis] = (radius, radius)
    padded = np.pad(values, pad)
    out = np.zeros_like(values)
    length = values.shape[axis]
    for k, weight in enumerate(weights):
        out += weight * np.take(padded, range(k, k + length), axis=axis)
    return out


def smooth(probabilities: np.ndarray, valid: np.ndarray, sigma: float = SIGMA_CELLS,
           radius: int = RADIUS_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """(smoothed probabilities (C, H, W), valid (H, W)) of an in-memory block; the cells outside it count as no data.

    Separable: the numerator (probabilities x data mask) and the denominator (the data mask) are each filtered
    along rows, then along columns; their ratio is the normalised mean over the cells with data.
    """
    weights = gaussian_weights(sigma, radius).astype(np.float32)
    mask = valid.astype(np.float32)
    numerator = np.where(valid[None], probabilities, 0.0).astype(np.float32)
    numerator = _convolve_axis(_convolve_axis(numerator, weights, 1), weights, 2)
    denominator = _convolve_axis(_convolve_axis(mask, weights, 0), weights, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(valid[None], numerator / np.maximum(denominator, 1e-12)[None], 0.0)
    return result.astype(np.float32), valid


def filtered_codes(probabilities: np.ndarray, valid: np.ndarray, sigma: float = SIGMA_CELLS,
                   radius: int = RADIUS_CELLS) -> np.ndarray:
    """LCZ codes 1..17 (LCZ_NODATA where no data) of the smoothed probabilities of an in-memory block."""
    smoothed, _ = smooth(probabilities, valid, sigma, radius)
    codes = (np.argmax(smoothed, axis=0) + 1).astype(np.uint8)
    codes[~valid] = LCZ_NODATA
    return codes


def filter_rows(read: RowReader, height: int, write: RowWriter, *, block_rows: int = BLOCK_ROWS,
                sigma: float = SIGMA_CELLS, radius: int = RADIUS_CELLS,
                check: Callable[[], None] | None = None) -> int:
    """Stream the filter over a raster of `height` rows: blocks of `block_rows` rows, each read with a halo of
    `radius` rows above and below (clipped at the raster's edges), so the result equals a whole-raster filter.
    `check` is called between blocks (cancellation). Returns the number of valid cells written."""
    written = 0
    for top in range(0, height, block_rows):
        if check:
            check()
        rows = min(block_rows, height - top)
        halo_top = max(top - radius, 0)
        halo_bottom = min(top + rows + radius, height)
        probabilities, valid = read(halo_top, halo_bottom - halo_top)
        codes = filtered_codes(probabilities, valid, sigma, radius)
        inner = slice(top - halo_top, top - halo_top + rows)
        write(top, codes[inner], valid[inner])
        written += int(valid[inner].sum())
    return written
