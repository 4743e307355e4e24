"""Dynamic World class probabilities for a Sentinel-2 L1C DN array, with numpy and onnxruntime only.

The ONNX model comes from training.dynamicworld.convert (no TensorFlow here). Normalisation and class order
follow google/dynamicworld's single_image_runner.ipynb exactly; the model is applied in overlapping tiles so
memory stays bounded on large scenes, and tiled output equals a single pass over the whole (padded) image.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

DW_CLASSES: tuple[str, ...] = (
    "water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built", "bare", "snow_and_ice",
)
DW_BANDS: tuple[str, ...] = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12")

# Per-band (shift, divisor) of the log-transformed DN, copied from the notebook (its "30/70 percentiles").
# Note the notebook divides by the second column itself, not by the 70-30 spread; we keep that, as the
# model was trained on it.
NORM_PERCENTILES = np.array([
    [1.7417268007636313, 2.023298706048351],
    [1.7261204997060209, 2.038905204308012],
    [1.6798346251414997, 2.179592821212937],
    [1.7734969472909623, 2.2890068333026603],
    [2.289154079164943, 2.6171674549378166],
    [2.382939712192371, 2.773418590375327],
    [2.3828939530384052, 2.7578332604178284],
    [2.1952484264967844, 2.789092484314204],
    [1.554812948247501, 2.4140534947492487],
])

# Measured on the converted model: one input pixel changes outputs up to 22 px away. The model also
# downscales by 2 inside, so its output depends on the parity of the grid origin: tiles (and margins) are
# kept even so every tile sees the image on the same half-resolution grid as a single pass would.
RECEPTIVE_RADIUS = 22
DEFAULT_MARGIN = 32


def _canonical(name: str) -> str:
    """'B02' -> 'B2', 'b8a' -> 'B8A': band names as written by different tools."""
    match = re.fullmatch(r"B0*(\d+A?)", name.strip().upper())
    return f"B{match.group(1)}" if match else name.strip().upper()


def band_indices(band_names: Sequence[str]) -> list[int]:
    """Positions of DW_BANDS among `band_names` ('B2', 'B02', 'B8A', ...; other bands are ignored).

    A missing or repeated Dynamic World band is an error, never a guess.
    """
    names = [_canonical(n) for n in band_names]
    missing = [b for b in DW_BANDS if b not in names]
    if missing:
        raise ValueError(f"Dynamic World needs bands {', '.join(DW_BANDS)}; missing {', '.join(missing)} "
                         f"(got {', '.join(band_names)})")
    repeated = [b for b in DW_BANDS if names.count(b) > 1]
    if repeated:
        raise ValueError(f"bands given more than once: {', '.join(repeated)}")
    return [names.index(b) for b in DW_BANDS]


def _check_shape(image_dn: np.ndarray, band_names: Sequence[str]) -> None:
    if image_dn.ndim != 3:
        raise ValueError(f"expected a (bands, H, W) array, got shape {image_dn.shape}")
    if len(band_names) != image_dn.shape[0]:
        raise ValueError(f"{len(band_names)} band names for {image_dn.shape[0]} bands")


def select_bands(image_dn: np.ndarray, band_names: Sequence[str]) -> np.ndarray:
    """Return the 9 Dynamic World bands of a (bands, H, W) array in DW_BANDS order, picked by name."""
    _check_shape(image_dn, band_names)
    return image_dn[band_indices(band_names)]


def normalise(dn: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """Notebook normalisation of (9, ...) L1C DN in DW_BANDS order to float32 on (0, 1).

    `offset` is subtracted first (1000 for processing baseline 04.00+, whose DN carry +1000; 0 before it).
    DN below the offset are clipped to 0, as the harmonised L1C collection does, to keep the log defined.
    """
    x = np.maximum(np.asarray(dn, np.float64) - offset, 0.0)
    p = NORM_PERCENTILES.reshape((9,) + (1,) * (x.ndim - 1) + (2,))
    x = np.log(x * 0.005 + 1)
    x = (x - p[..., 0]) / p[..., 1]
    x = np.exp(x * 5 - 1)
    return (x / (x + 1)).astype(np.float32)


def _reflect(index: np.ndarray, n: int) -> np.ndarray:
    """Map indices outside [0, n) back inside by reflection about the edge pixels (numpy's 'reflect')."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    index = np.abs(index) % period
    return np.where(index >= n, period - index, index)


def _softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def dynamic_world_probabilities(
    image_dn: np.ndarray,
    band_names: Sequence[str],
    session_or_path: ort.InferenceSession | str | Path,
    offset: float = 0.0,
    tile: int = 512,
    margin: int = DEFAULT_MARGIN,
) -> np.ndarray:
    """Return (9, H, W) float32 Dynamic World class probabilities (DW_CLASSES order) on the input's grid.

    image_dn: Sentinel-2 L1C DN (bands, H, W) at 10 m, any band order, with at least DW_BANDS (by name).
    offset: subtracted from the DN before normalising; 0 for data before processing baseline 04.00 (Jan 2022),
    1000 after it (RADIO_ADD_OFFSET), which the model never saw.
    tile, margin: the image is run in tile x tile blocks, each with `margin` extra pixels of context per side
    (reflected at the image edges); margins beyond the model's receptive field (22 px) make tiling invisible.
    Pixels with a NaN in any DW band, or with all 9 DW bands 0 (nodata), come out NaN; they enter the model
    as DN 0.
    """
    if margin < RECEPTIVE_RADIUS:
        raise ValueError(f"margin {margin} < the model's receptive radius {RECEPTIVE_RADIUS}: tiles would show")
    tile, margin = tile + tile % 2, margin + margin % 2  # even, so tiles keep the model's 2x grid phase
    _check_shape(image_dn, band_names)
    bands = band_indices(band_names)  # windows index image_dn directly: no full-size copy of the 9 bands
    session = (session_or_path if isinstance(session_or_path, ort.InferenceSession)
               else ort.InferenceSession(str(session_or_path), providers=["CPUExecutionProvider"]))
    input_name, output_name = session.get_inputs()[0].name, session.get_outputs()[0].name

    _, h, w = image_dn.shape
    out = np.empty((len(DW_CLASSES), h, w), np.float32)
    for y0 in range(0, h, tile):
        y1 = min(y0 + tile, h)
        # Window lengths stay even too (one extra reflected row/column after an odd-sized last tile).
        rows = _reflect(np.arange(y0 - margin, y1 + margin + (y1 - y0) % 2), h)
        for x0 in range(0, w, tile):
            x1 = min(x0 + tile, w)
            cols = _reflect(np.arange(x0 - margin, x1 + margin + (x1 - x0) % 2), w)
            window = image_dn[np.ix_(bands, rows, cols)].astype(np.float64)
            window[np.isnan(window)] = 0.0
            x = normalise(window, offset).transpose(1, 2, 0)[None]
            logits = session.run([output_name], {input_name: x})[0][0]
            core = logits[margin:margin + y1 - y0, margin:margin + x1 - x0]
            out[:, y0:y1, x0:x1] = _softmax(core.astype(np.float64), axis=-1).transpose(2, 0, 1)
    nan = np.zeros((h, w), bool)
    zero = np.ones((h, w), bool)
    for band in bands:  # one band at a time, to keep the masks' memory at 2 x H x W bytes
        nan |= np.isnan(image_dn[band]) if np.issubdtype(image_dn.dtype, np.floating) else False
        zero &= image_dn[band] == 0
    out[:, nan | zero] = np.nan
    return out
