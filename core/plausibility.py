"""Cheap checks that an input looks like what the models were trained on: native Sentinel-2 at 10 m.

They only warn: each can be wrong for a legitimate scene (a scene of open sea has no vegetation), and the user
knows their data. They run on one sample window at the input's own resolution (before any warp, which would
smooth it), in reflectance x 10000.

Thresholds were measured on the 26 OSCD Level-1C scenes and the bundled sample (docs/ROBUSTNESS.md):
* the growth of neighbour differences from lag 1 to lag 4 pixels (log base 4 of their ratio) is 0.37..0.62 on
  native 10 m bands, 0.68..0.83 on 20 m data resampled to 10 m and 0.87..1.0 on 40 m or coarser data resampled to
  10 m (bilinear, cubic or nearest: a resampled raster changes linearly, or not at all, between its old pixels);
* B8 (near infrared) is darker than B4 (red) in at most 33 % of the pixels of those scenes, and every scene has
  pixels with NDVI above 0.3 (vegetation); with B4 and B8 swapped, most pixels turn dark in B8 and none is green.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .bands import SENTINEL2_BANDS
from .i18n import tr

#: Above this growth exponent the 10 m bands are resampled from about 40 m or coarser.
SMOOTH_GROWTH = 0.86
#: Ground pixel sizes outside [gsd * low, gsd * high] are far from what the models were trained on.
PIXEL_SIZE_RANGE = (0.5, 2.5)
#: "B8 darker than B4 over most pixels" and "no pixel looks like vegetation" (NDVI above 0.3).
NIR_DARKER_SHARE, VEGETATION_NDVI, VEGETATION_SHARE = 0.5, 0.3, 0.01
_MIN_PIXELS = 400  # fewer valid pixels (or pairs) than this: no verdict


def _mean_difference(band: np.ndarray, valid: np.ndarray, lag: int) -> tuple[float, int]:
    """Mean absolute difference between valid pixels `lag` apart (along rows and columns), and their count."""
    total, count = 0.0, 0
    for values, mask in ((band, valid), (band.T, valid.T)):
        if values.shape[1] <= lag:
            continue
        pairs = mask[:, lag:] & mask[:, :-lag]
        total += float(np.abs(values[:, lag:] - values[:, :-lag])[pairs].sum())
        count += int(pairs.sum())
    return (total / count if count else 0.0), count


def difference_growth(band: np.ndarray, valid: np.ndarray) -> float | None:
    """log4(mean |difference at lag 4| / mean |difference at lag 1|): near 1 for resampled coarse data."""
    near, near_count = _mean_difference(band.astype(np.float64), valid, 1)
    far, far_count = _mean_difference(band.astype(np.float64), valid, 4)
    if min(near_count, far_count) < _MIN_PIXELS or far == 0.0:
        return None  # too few pixels, or a constant band: nothing to say
    if near == 0.0:
        return 1.0  # flat between neighbours, changing further away: blocks of a coarser raster
    return math.log(far / near, 4)


def assess(data: np.ndarray, valid: np.ndarray, band_names: Sequence[str],
           ground_pixel: tuple[float, float] | None, gsd: float) -> list[str]:
    """Warnings about one sample window: data (C, h, w) in reflectance x 10000, valid (h, w)."""
    warnings: list[str] = []
    if ground_pixel is not None:
        low, high = (gsd * factor for factor in PIXEL_SIZE_RANGE)
        if min(ground_pixel) < low or max(ground_pixel) > high:
            warnings.append(tr(
                "The input pixels are {x:.3g} x {y:.3g} m on the ground, far from the model's {gsd:g} m: the models "
                "learnt from Sentinel-2's 10 m and 20 m bands, so a raster of another resolution (or another sensor) "
                "gives an unreliable map.", x=ground_pixel[0], y=ground_pixel[1], gsd=gsd,
            ))
    fine = [name for name in band_names if SENTINEL2_BANDS.get(name, (0, 0))[1] == 10]
    growths = [g for g in (difference_growth(data[band_names.index(n)], valid) for n in fine) if g is not None]
    if growths and float(np.median(growths)) > SMOOTH_GROWTH:
        warnings.append(tr(
            "The 10 m bands ({bands}) change smoothly (or not at all) from pixel to pixel, as in a raster of about "
            "40 m or coarser resampled to a finer grid: the models need Sentinel-2's own 10 m detail, so expect an "
            "unreliable map. Use the original Sentinel-2 bands.", bands=", ".join(fine),
        ))
    if "B4" in band_names and "B8" in band_names:
        red, nir = data[band_names.index("B4")][valid], data[band_names.index("B8")][valid]
        lit = (red + nir) > 0
        red, nir = red[lit], nir[lit]
        if red.size >= _MIN_PIXELS:
            darker = float(np.mean(nir < red))
            green = float(np.mean((nir - red) > VEGETATION_NDVI * (nir + red)))
            if darker > NIR_DARKER_SHARE and green < VEGETATION_SHARE:
                warnings.append(tr(
                    "B8 (near infrared) is darker than B4 (red) in {share:.0%} of the sampled pixels and none looks "
                    "like vegetation (B8 well above B4): the bands are probably in the wrong order. Check the band "
                    "names or the BANDS parameter (unless the scene is almost all water).", share=darker,
                ))
    return warnings
