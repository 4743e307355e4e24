"""Clouds and cloud shadows become no data where the input is read, so that they get no class.

Why at read level: a masked pixel is then exactly like any other no-data pixel of the working grid. The engine's
existing rules do the rest: a 100 m cell with less than half of its pixels valid is no data in every output, the
masked pixels of a window are filled with the window mean before the model sees them, and a multi-date run fills
the cell from the other dates (core.multidate averages the dates that have a value).

Where the mask comes from, in this order:
1. the product's own mask (core.safe finds it): the L2A scene classification (SCL, 20 m): classes 3 cloud
   shadow, 8 cloud (medium probability), 9 cloud (high probability), 10 thin cirrus; or the L1C MSK_CLASSI_B00
   raster of processing baseline 04.00+ (60 m, 3 layers of 0/1: opaque clouds, cirrus, snow and ice): the
   first two;
2. otherwise a spectral test on the bands the model reads (top-of-atmosphere reflectance): the potential cloud
   pixel tests of Fmask (Zhu & Woodcock 2012, Remote Sensing of Environment 118: 83-94; without the thermal test,
   as in its Sentinel-2 version, Zhu et al. 2015, RSE 159: 269-277), with the haze-optimised transform (HOT) of
   Zhang et al. (2002, RSE 82: 173-187) at an offset of 0.10 instead of Fmask's 0.08, and a brightness test
   (mean visible reflectance above 0.25). A flagged pixel is masked only where at least a quarter of its 100 m
   cell is flagged: clouds are extended, bright roofs are scattered pixels. The stricter thresholds and the cell
   rule keep bright desert and roofs out (measured: docs/USER_GUIDE.md, "Clouds"). It finds clouds, not their
   shadows (Fmask finds shadows by projecting each cloud along the sun's direction, which needs the sun angles
   and the cloud's height).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal

from .i18n import tr
from .safe import Product, granule_files, image_file

gdal.UseExceptions()

#: Scene classification (Sen2Cor) classes that are masked: cloud shadow, cloud medium / high probability, cirrus.
SCL_MASKED = (3, 8, 9, 10)
#: MSK_CLASSI_B00 layers (1-based) that are masked: opaque clouds, cirrus (layer 3, snow and ice, is kept).
CLASSI_MASKED = (1, 2)
#: The bands the spectral test reads.
SPECTRAL_BANDS = ("B2", "B3", "B4", "B8", "B11", "B12")
#: Thresholds of the spectral test (top-of-atmosphere reflectance 0..1).
SWIR2_MIN, NDSI_MAX, NDVI_MAX, WHITENESS_MAX = 0.03, 0.8, 0.8, 0.7
HOT_OFFSET, NIR_SWIR_MIN, VISIBLE_MIN = 0.10, 0.75, 0.25
#: A flagged pixel is masked when at least this share of the valid pixels of its 100 m cell is flagged.
CELL_SHARE_MIN = 0.25
_CELL = 10  # pixels of a 100 m cell at 10 m: the masked cells the log counts


def spectral_clouds(bands: dict[str, np.ndarray]) -> np.ndarray:
    """Boolean cloud mask from top-of-atmosphere reflectance x 10000 of SPECTRAL_BANDS (see the module text)."""
    b2, b3, b4, b8, b11, b12 = (bands[name].astype(np.float32) / 10000.0 for name in SPECTRAL_BANDS)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (b8 - b4) / (b8 + b4)
        ndsi = (b3 - b11) / (b3 + b11)
        visible = (b2 + b3 + b4) / 3.0
        whiteness = (np.abs(b2 - visible) + np.abs(b3 - visible) + np.abs(b4 - visible)) / visible
        nir_swir = b8 / b11
    basic = (b12 > SWIR2_MIN) & (ndsi < NDSI_MAX) & (ndvi < NDVI_MAX)
    hot = b2 - 0.5 * b4 - HOT_OFFSET > 0
    return basic & (whiteness < WHITENESS_MAX) & hot & (nir_swir > NIR_SWIR_MIN) & (visible > VISIBLE_MIN)


@dataclass
class CloudMask:
    """The mask of one scene on its working grid: from a product mask raster (warped, nearest) or the spectral test.

    It also counts what it masked, per pixel row and 100 m cell column (the largest count any read of that row saw:
    reads overlap, and a read that covers a whole row sees all of it), for the run log.
    """

    source: str  # in words, for the log
    width: int
    height: int
    raster: gdal.Dataset | None = None  # the product mask on the working grid; None: spectral
    masked_values: tuple[int, ...] = ()  # SCL classes, or MSK_CLASSI layers when `layers` is True
    layers: bool = False
    band_index: dict[str, int] = field(default_factory=dict)  # spectral: band -> position in the scene's bands
    _counts: np.ndarray | None = field(default=None, repr=False)

    def window(self, x: int, y: int, width: int, height: int) -> tuple[int, int, int, int]:
        """The window to read so that flags() can decide: the spectral test needs the whole 100 m cells it cuts."""
        if self.raster is not None:
            return x, y, width, height
        x0, y0 = x - x % _CELL, y - y % _CELL
        x1 = min(-(-(x + width) // _CELL) * _CELL, self.width)
        y1 = min(-(-(y + height) // _CELL) * _CELL, self.height)
        return x0, y0, x1 - x0, y1 - y0

    def flags(self, x: int, y: int, width: int, height: int, data: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(height, width) True where valid pixels of the window (as window() gave it) are cloud or cloud shadow;
        counted for the log."""
        if self.raster is not None:
            values = self.raster.ReadAsArray(x, y, width, height)
            if self.layers:
                values = values.reshape(-1, height, width)
                flagged = np.any(values[[i - 1 for i in self.masked_values]] > 0, axis=0)
            else:
                flagged = np.isin(values, self.masked_values)
            flagged &= valid
        else:
            flagged = self._spectral(width, height, data, valid)
        self._count(x, y, flagged)
        return flagged

    def _spectral(self, width: int, height: int, data: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The spectral test on whole 100 m cells, kept where a quarter of the cell's valid pixels is flagged."""
        flagged = spectral_clouds({name: data[index] for name, index in self.band_index.items()}) & valid
        rows, columns = -(-height // _CELL), -(-width // _CELL)
        padded = np.zeros((2, rows * _CELL, columns * _CELL), dtype=np.float32)
        padded[0, :height, :width] = flagged
        padded[1, :height, :width] = valid
        sums = padded.reshape(2, rows, _CELL, columns, _CELL).sum(axis=(2, 4))
        cloudy = sums[0] >= CELL_SHARE_MIN * np.maximum(sums[1], 1)
        return flagged & np.repeat(np.repeat(cloudy, _CELL, axis=0), _CELL, axis=1)[:height, :width]

    def _count(self, x: int, y: int, flagged: np.ndarray) -> None:
        if self._counts is None:
            self._counts = np.zeros((self.height, -(-self.width // _CELL)), dtype=np.uint8)
        columns = np.arange(x, x + flagged.shape[1]) // _CELL
        starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
        per_cell = np.add.reduceat(flagged.astype(np.uint8), starts, axis=1)
        rows = slice(y, y + flagged.shape[0])
        cells = columns[starts]
        self._counts[rows, cells] = np.maximum(self._counts[rows, cells], per_cell)

    @property
    def masked_pixels(self) -> int:
        return 0 if self._counts is None else int(self._counts.sum(dtype=np.int64))

    def summary(self) -> str | None:
        """The log line: how many pixels and 100 m cells were masked, and by what."""
        if self._counts is None:
            return None
        pixels = self.masked_pixels
        rows = -(-self.height // _CELL) * _CELL
        padded = np.zeros((rows, self._counts.shape[1]), dtype=np.int32)
        padded[: self.height] = self._counts
        per_cell = padded.reshape(-1, _CELL, self._counts.shape[1]).sum(axis=1)
        cells = int((per_cell * 2 >= _CELL * _CELL).sum())
        return tr("Clouds and cloud shadows ({source}): {pixels} pixels ({share:.1f} % of the scene) masked as no "
                  "data; {cells} cells of 100 m are mostly covered and have no class.", source=self.source,
                  pixels=pixels, share=100.0 * pixels / max(self.width * self.height, 1), cells=cells)


def product_mask(products: Sequence[Product]) -> tuple[str, str, tuple[int, ...], bool] | None:
    """(mask file, source in words, masked values, values are layers) of the first product that has one."""
    for product in products:
        if product.level == "L2A":
            for suffix in ("_SCL_20m", "_SCL_60m"):
                path = image_file(product, suffix)
                if path:
                    return path, tr("scene classification of the L2A product"), SCL_MASKED, False
        else:
            found = granule_files(product, r"QI_DATA/MSK_CLASSI_B00\.jp2$")
            if found:
                return found[0], tr("MSK_CLASSI cloud mask of the L1C product"), CLASSI_MASKED, True
    return None


def build_mask(working: gdal.Dataset, band_names: Sequence[str], products: Sequence[Product], vsimem_path: str,
               vsimem: list[str]) -> tuple[CloudMask | None, str]:
    """The cloud mask of a scene whose working grid is `working`, and a log line saying which one (or why none)."""
    width, height = working.RasterXSize, working.RasterYSize
    found = product_mask(products)
    if found:
        path, source, values, layers = found
        gt = working.GetGeoTransform()
        bounds = (gt[0], gt[3] + gt[5] * height, gt[0] + gt[1] * width, gt[3])
        vsimem.append(vsimem_path)
        raster = gdal.Warp(vsimem_path, path, format="VRT", outputBounds=bounds, width=width, height=height,
                           dstSRS=working.GetProjection(), resampleAlg="near", dstNodata=0)
        return CloudMask(source, width, height, raster, values, layers), tr(
            "Clouds and cloud shadows are masked with the {source}.", source=source)
    if all(name in band_names for name in SPECTRAL_BANDS):
        index = {name: list(band_names).index(name) for name in SPECTRAL_BANDS}
        return CloudMask(tr("spectral test"), width, height, band_index=index), tr(
            "Clouds are masked with the spectral test (Fmask's cloud tests; cloud shadows are not found): the input "
            "carries no cloud mask of its own.")
    return None, tr("Clouds are not masked: the input carries no cloud mask and the model does not read the bands "
                    "of the spectral test ({bands}).", bands=", ".join(SPECTRAL_BANDS))
