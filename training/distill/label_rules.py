"""The labelling rules of the distillation pseudo-labels: from teacher probabilities and spectra to HSE targets.

Pure array functions (no files): the LCZ built-up fraction (Stewart & Oke), the spectral built-up likelihood, water,
change gating, the Dynamic World adjustment and the mass-conserving spread of a cell's fraction over its 20 m
pixels. training.distill.pseudo_labels runs them over the areas; docs/DISTILLATION.md gives the reasoning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.bands import MODEL_BANDS
from core.lcz import BUILT_CODES, LCZ_CLASS_COUNT, WATER_CODE
from training.dynamicworld.infer import DW_CLASSES

CELL = 5  # 20 m pixels per 100 m cell side
#: Position of each MODEL_BANDS band in an image (band name -> index).
BAND_INDEX = {name: i for i, name in enumerate(MODEL_BANDS)}

#: Stewart & Oke (2012) building (BSF) and impervious (ISF) surface fraction ranges in percent, per LCZ
#: code 1..17 (as tabulated by Demuzere et al. 2019, Table 1; /work/shared/LCZ_FACTS.md).
SURFACE_FRACTIONS: dict[int, tuple[str, str]] = {
    1: ("40-60", "40-60"), 2: ("40-70", "30-50"), 3: ("40-70", "20-50"), 4: ("20-40", "30-40"),
    5: ("20-40", "30-50"), 6: ("20-40", "20-50"), 7: ("60-90", "<20"), 8: ("30-50", "40-50"),
    9: ("10-20", "<20"), 10: ("20-30", "20-40"), 11: ("<10", "<10"), 12: ("<10", "<10"), 13: ("<10", "<10"),
    14: ("<10", "<10"), 15: ("<10", ">90"), 16: ("<10", "<10"), 17: ("<10", "<10"),
}

# Spectral thresholds (top-of-atmosphere indices; docs/DISTILLATION.md).
NDVI_BUILT, NDVI_GREEN = 0.1, 0.5  # likelihood 1 at or below NDVI_BUILT, 0 at or above NDVI_GREEN
NDBI_LOW, NDBI_HIGH = -0.35, 0.05  # likelihood 0 at or below NDBI_LOW, 1 at or above NDBI_HIGH
NDWI_WATER = 0.0  # McFeeters NDWI above this (and NIR dark) = open water, likelihood 0
WATER_MAX_NIR = 1500.0  # DN; bright NIR is not open water
WATER_MAX_SWIR = 500.0  # DN of B11; hazy winter cities pass the NDWI test, but water is dark in SWIR
LIKELIHOOD_FLOOR = 0.02  # land pixels keep a small share, so every land pixel can take mass
CHANGE_NDVI, CHANGE_NDBI = 0.2, 0.15  # |dNDVI| or |dNDBI| above these = spectral change between dates

# Dynamic World (training/dynamicworld), an optional second teacher for water, trees and built vs natural
# (founders' measurements: built AUC 0.92-0.95 against real LCZ maps, water recall 0.98; no density).
DW_UNSURE = 0.5  # the LCZ teacher is unsure where its top fused probability is below this
DW_SHARE = 0.5  # a cell is DW water / trees / built where that class is the argmax on at least this share
DW_BUILT_FULL = 0.75  # DW's softmax tops out near 0.75 on dense built-up pixels: built / 0.75, capped at 1
DW_WATER, DW_TREES, DW_BUILT = (DW_CLASSES.index(name) for name in ("water", "trees", "built"))
TREE_CODES = (11, 12)  # LCZ A (dense trees), B (scattered trees)


def range_midpoint(text: str) -> float:
    """'40-60' -> 50, '<10' -> 5, '>90' -> 95, '<20' -> 10 (the middle of the range, in percent)."""
    text = text.strip()
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text):
        return (float(m[1]) + float(m[2])) / 2
    if m := re.fullmatch(r"<(\d+(?:\.\d+)?)", text):
        return float(m[1]) / 2
    if m := re.fullmatch(r">(\d+(?:\.\d+)?)", text):
        return (float(m[1]) + 100.0) / 2
    raise ValueError(f"not a percentage range: {text!r}")


def built_up_fractions() -> np.ndarray:
    """(17,) built-up share 0..1 per LCZ code: (BSF + ISF midpoints) / 100, capped at 1."""
    return np.array([min(1.0, (range_midpoint(b) + range_midpoint(i)) / 100.0)
                     for b, i in (SURFACE_FRACTIONS[c] for c in range(1, LCZ_CLASS_COUNT + 1))])


BUILT_UP_FRACTION = built_up_fractions()


def cell_fraction(probabilities: np.ndarray) -> np.ndarray:
    """(17, h, w) LCZ probabilities -> (h, w) derived built-up fraction sum_k p_k f_k (NaN stays NaN)."""
    return np.tensordot(BUILT_UP_FRACTION, probabilities, axes=(0, 0))


# ------------------------------------------------------------------------------------ spectral
def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a + b > 0, (a - b) / np.maximum(a + b, 1e-6), 0.0)


def to_20m(image: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(10, H, W) DN and (H, W) validity -> 2 x 2 block means (10, ceil(H/2), ceil(W/2)) and validity."""
    _, h, w = image.shape
    hh, ww = math.ceil(h / 2), math.ceil(w / 2)
    img = np.zeros((image.shape[0], 2 * hh, 2 * ww), np.float64)
    ok = np.zeros((2 * hh, 2 * ww), bool)
    img[:, :h, :w] = np.where(valid, image, 0)
    ok[:h, :w] = valid
    count = ok.reshape(hh, 2, ww, 2).sum(axis=(1, 3))
    sums = img.reshape(-1, hh, 2, ww, 2).sum(axis=(2, 4))
    return (sums / np.maximum(count, 1)).astype(np.float32), count > 0


def indices(image20: np.ndarray) -> dict[str, np.ndarray]:
    """NDVI, NDBI (B11 vs B8), NDWI (B3 vs B8), NIR (B8) and SWIR (B11) of 20 m DN."""
    b3, b4, b8, b11 = (image20[BAND_INDEX[n]].astype(np.float64) for n in ("B3", "B4", "B8", "B11"))
    return {"ndvi": _ratio(b8, b4), "ndbi": _ratio(b11, b8), "ndwi": _ratio(b3, b8), "nir": b8, "swir": b11}


def water_mask(ix: dict[str, np.ndarray]) -> np.ndarray:
    return (ix["ndwi"] > NDWI_WATER) & (ix["nir"] < WATER_MAX_NIR) & (ix["swir"] < WATER_MAX_SWIR)


def builtup_likelihood(ix: dict[str, np.ndarray]) -> np.ndarray:
    """0..1 per pixel: geometric mean of 'not green' (NDVI) and 'built-like' (NDBI); water 0, land >= floor."""
    not_green = np.clip((NDVI_GREEN - ix["ndvi"]) / (NDVI_GREEN - NDVI_BUILT), 0.0, 1.0)
    built_like = np.clip((ix["ndbi"] - NDBI_LOW) / (NDBI_HIGH - NDBI_LOW), 0.0, 1.0)
    w = np.maximum(np.sqrt(not_green * built_like), LIKELIHOOD_FLOOR)
    return np.where(water_mask(ix), 0.0, w)


def dynamic_world_builtness(dw20: np.ndarray) -> np.ndarray:
    """(9, H20, W20) DW probabilities -> 0..1 built-up degree (built / DW_BUILT_FULL, capped; NaN -> 0)."""
    return np.clip(np.nan_to_num(dw20[DW_BUILT]) / DW_BUILT_FULL, 0.0, 1.0)


def dynamic_world_water(dw20: np.ndarray) -> np.ndarray:
    """True where water is DW's most likely class (its probabilities are soft: open sea reaches ~0.7)."""
    valid = np.isfinite(dw20).all(axis=0)
    return valid & (np.nan_to_num(dw20, nan=-1.0).argmax(axis=0) == DW_WATER)


def dynamic_world_shares(dw20: Sequence[np.ndarray], valid20: Sequence[np.ndarray], hc: int, wc: int) -> np.ndarray:
    """(3, hc, wc): per 100 m cell, the share of valid 20 m pixels whose DW argmax is water, trees, built,
    averaged over the dates."""
    shares = []
    for dw, ok in zip(dw20, valid20, strict=True):
        top = np.nan_to_num(dw, nan=-1.0).argmax(axis=0)
        ok = ok & np.isfinite(dw).all(axis=0)
        count = np.maximum(_cells(ok.astype(np.float64), hc, wc, 0.0).sum(axis=2), 1.0)
        shares.append([_cells((ok & (top == k)).astype(np.float64), hc, wc, 0.0).sum(axis=2) / count
                       for k in (DW_WATER, DW_TREES, DW_BUILT)])
    return np.mean(np.array(shares), axis=0)


def adjust_with_dynamic_world(p: np.ndarray, shares: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Move an unsure teacher's (17, hc, wc) probabilities towards what Dynamic World sees clearly.

    Only cells whose top LCZ probability is below DW_UNSURE change, and only where one DW class covers at
    least DW_SHARE of the cell; the label moves by that share s: p' = (1 - s) p + s q, with q = LCZ G for
    water, A/B in the teacher's own A:B proportion for trees (A if it has neither), and the teacher's own
    built classes renormalised for built (cells where it puts less than half its mass on built classes).
    Returns the new probabilities and the number of cells moved per case.
    """
    out = p.copy()
    top = np.nan_to_num(p, nan=0.0).max(axis=0)
    unsure = np.isfinite(p).all(axis=0) & (top < DW_UNSURE)
    water, trees, built = shares
    counts = {}
    q_water = np.zeros_like(p)
    q_water[WATER_CODE - 1] = 1.0
    tree_mass = p[[c - 1 for c in TREE_CODES]]
    tree_total = tree_mass.sum(axis=0)
    q_trees = np.zeros_like(p)
    q_trees[TREE_CODES[0] - 1] = np.where(tree_total > 0, tree_mass[0] / np.maximum(tree_total, 1e-12), 1.0)
    q_trees[TREE_CODES[1] - 1] = np.where(tree_total > 0, tree_mass[1] / np.maximum(tree_total, 1e-12), 0.0)
    built_rows = [c - 1 for c in BUILT_CODES]
    built_mass = np.nan_to_num(p[built_rows]).sum(axis=0)
    q_built = np.zeros_like(p)
    q_built[built_rows] = p[built_rows] / np.maximum(built_mass, 1e-12)
    taken = np.zeros(p.shape[1:], bool)
    for name, share, q, extra in (("water", water, q_water, True), ("trees", trees, q_trees, True),
                                  ("built", built, q_built, (built_mass < 0.5) & (built_mass > 0))):
        move = unsure & ~taken & (share >= DW_SHARE) & extra
        out[:, move] = (1 - share[move]) * p[:, move] + share[move] * q[:, move]
        taken |= move
        counts[name] = int(move.sum())
    return out, counts


def changed_pixels(ix1: dict[str, np.ndarray], ix2: dict[str, np.ndarray]) -> np.ndarray:
    """True where |dNDVI| > CHANGE_NDVI or |dNDBI| > CHANGE_NDBI between the dates."""
    return (np.abs(ix2["ndvi"] - ix1["ndvi"]) > CHANGE_NDVI) | (np.abs(ix2["ndbi"] - ix1["ndbi"]) > CHANGE_NDBI)


# ------------------------------------------------------------------------------ distribution
def _cells(a: np.ndarray, hc: int, wc: int, fill: float) -> np.ndarray:
    """(H20, W20) -> (hc, wc, 25), padded with `fill` where the grid's last cells stick out."""
    out = np.full((hc * CELL, wc * CELL), fill, dtype=np.float64)
    h, w = min(a.shape[0], hc * CELL), min(a.shape[1], wc * CELL)
    out[:h, :w] = a[:h, :w]
    return out.reshape(hc, CELL, wc, CELL).transpose(0, 2, 1, 3).reshape(hc, wc, CELL * CELL)


def _uncells(a: np.ndarray, h: int, w: int) -> np.ndarray:
    hc, wc, _ = a.shape
    return a.reshape(hc, wc, CELL, CELL).transpose(0, 2, 1, 3).reshape(hc * CELL, wc * CELL)[:h, :w]


def distribute(fraction: np.ndarray, weights: np.ndarray, valid: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Spread each 100 m cell's built-up fraction over its 5 x 5 pixels of 20 m in proportion to `weights`.

    fraction (hc, wc), NaN = no label; weights (H20, W20) >= 0 (0 = takes nothing, e.g. water); valid
    (H20, W20). Each cell's valid pixels receive fraction x (their count) in total, capped at 1 per pixel;
    what a full pixel cannot take goes to the cell's other pixels by their weights. Mass is lost only
    when the cell has no pixel with weight > 0 or all of them are full. NaN where invalid or unlabelled.
    """
    h, w = weights.shape
    hc, wc = fraction.shape
    wts = _cells(np.where(valid, weights, 0.0), hc, wc, 0.0)
    ok = _cells(valid.astype(np.float64), hc, wc, 0.0) > 0
    f = np.nan_to_num(np.clip(fraction, 0.0, 1.0))
    remaining = f * ok.sum(axis=2)
    hse = np.zeros_like(wts)
    active = wts > 0
    for _ in range(iterations):
        wsum = (wts * active).sum(axis=2)
        share = np.divide(wts * active, wsum[..., None], out=np.zeros_like(wts), where=wsum[..., None] > 0)
        hse += remaining[..., None] * share
        over = np.clip(hse - 1.0, 0.0, None)
        hse = np.minimum(hse, 1.0)
        remaining = over.sum(axis=2)
        active &= hse < 1.0
        if remaining.max(initial=0.0) < 1e-9:
            break
    labelled = np.broadcast_to(np.isfinite(fraction)[..., None], hse.shape)
    hse = np.where(ok & labelled, hse, np.nan)
    return _uncells(hse, h, w).astype(np.float32)


@dataclass
class HseLabels:
    hse: tuple[np.ndarray, np.ndarray]  # (H20, W20) per date, NaN = no label
    soft: tuple[np.ndarray, np.ndarray]  # (17, hc, wc) gated soft LCZ per date
    fused: np.ndarray  # (17, hc, wc) two-date average
    changed: np.ndarray  # (H20, W20) bool
    changed_share: np.ndarray  # (hc, wc)
    water: tuple[np.ndarray, np.ndarray]
    dynamic_world: dict[str, int] | None = None  # cells moved per case, when Dynamic World was used


def fuse_probabilities(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Average of two (17, h, w) probability rasters (NaN = no data); one date where the other has none."""
    both = np.stack([p1, p2])
    count = np.isfinite(both[:, :1]).sum(axis=0)
    fused = np.nansum(both, axis=0) / np.maximum(count, 1)
    return np.where(count > 0, fused, np.nan)


def derive_labels(images20: Sequence[np.ndarray], valid20: Sequence[np.ndarray],
                  probabilities: Sequence[np.ndarray], dw20: Sequence[np.ndarray] | None = None) -> HseLabels:
    """Change-gated soft LCZ and HSE labels of two dates on one grid (module docstring, steps 2-5).

    images20: two (10, H20, W20) DN at 20 m; valid20: two (H20, W20); probabilities: two (17, hc, wc)
    teacher probabilities on the 100 m cells (5 x 5 pixels of 20 m each), NaN where none. dw20: two
    (9, H20, W20) Dynamic World probabilities at 20 m, or None (step 6 of the module docstring).
    """
    ix = [indices(im) for im in images20]
    w = [builtup_likelihood(i) for i in ix]
    water = [water_mask(i) for i in ix]
    hc, wc = probabilities[0].shape[1:]
    moved = None
    if dw20 is not None:
        builtness = [dynamic_world_builtness(d) for d in dw20]
        water = [wm | dynamic_world_water(d) for wm, d in zip(water, dw20, strict=True)]
        w = [np.where(wm, 0.0, np.maximum(np.sqrt(wt * b), LIKELIHOOD_FLOOR))
             for wt, b, wm in zip(w, builtness, water, strict=True)]
        shares = dynamic_world_shares(dw20, valid20, hc, wc)
        adjusted = [adjust_with_dynamic_world(p, shares) for p in probabilities]
        probabilities = [a[0] for a in adjusted]
        moved = {k: sum(a[1][k] for a in adjusted) for k in adjusted[0][1]}
        dw_fraction = [_nanmean_last(_cells(np.where(ok, b, np.nan), hc, wc, np.nan))
                       for b, ok in zip(builtness, valid20, strict=True)]
    both_valid = valid20[0] & valid20[1]
    changed = changed_pixels(ix[0], ix[1]) & both_valid
    w_mean = (w[0] + w[1]) / 2
    changed_share = (_cells(changed.astype(np.float64), hc, wc, 0.0).sum(axis=2)
                     / np.maximum(_cells(both_valid.astype(np.float64), hc, wc, 0.0).sum(axis=2), 1.0))
    fused = fuse_probabilities(probabilities[0], probabilities[1])
    soft, hse = [], []
    for t in range(2):
        own = np.where(np.isfinite(probabilities[t]), probabilities[t], fused)
        gated = fused + changed_share[None] * (own - fused)
        weights = np.where(water[t], 0.0, np.where(changed | ~both_valid, w[t], w_mean))
        fraction = cell_fraction(gated)
        if dw20 is not None:  # geometric mean with DW's built-up degree, gated by change like the LCZ label
            dw_mean = np.where(np.isfinite(dw_fraction[t]) & np.isfinite(dw_fraction[1 - t]),
                               (dw_fraction[0] + dw_fraction[1]) / 2, dw_fraction[t])
            dw_t = dw_mean + changed_share * (dw_fraction[t] - dw_mean)
            fraction = np.where(np.isfinite(dw_t), np.sqrt(np.clip(fraction, 0, 1) * np.clip(dw_t, 0, 1)), fraction)
        soft.append(gated.astype(np.float32))
        hse.append(distribute(fraction, weights, valid20[t]))
    return HseLabels(hse=(hse[0], hse[1]), soft=(soft[0], soft[1]), fused=fused.astype(np.float32), changed=changed,
                     changed_share=changed_share, water=(water[0], water[1]), dynamic_world=moved)


def _nanmean_last(a: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN where all are NaN (without numpy's warning)."""
    ok = np.isfinite(a)
    count = ok.sum(axis=-1)
    return np.where(count > 0, np.where(ok, a, 0.0).sum(axis=-1) / np.maximum(count, 1), np.nan)


@dataclass(frozen=True)
class LabelSettings:
    """The recipe's constants, written into the manifest so a label set says how it was made."""

    ndvi_built: float = NDVI_BUILT
    ndvi_green: float = NDVI_GREEN
    ndbi_low: float = NDBI_LOW
    ndbi_high: float = NDBI_HIGH
    ndwi_water: float = NDWI_WATER
    water_max_nir: float = WATER_MAX_NIR
    water_max_swir: float = WATER_MAX_SWIR
    likelihood_floor: float = LIKELIHOOD_FLOOR
    change_ndvi: float = CHANGE_NDVI
    change_ndbi: float = CHANGE_NDBI
    dw_unsure: float = DW_UNSURE
    dw_share: float = DW_SHARE
    dw_built_full: float = DW_BUILT_FULL
