"""The products the engine writes: grids, data types, nodata values and the metadata keys they carry.

Defined once here; the writer, the QGIS styles and the tests all read these constants.
"""

from __future__ import annotations

HSE_CELL_M = 20.0
LCZ_CELL_M = 100.0

HSE_NODATA = -1.0
PROBABILITY_NODATA = -1.0
# LCZ nodata is core.lcz.LCZ_NODATA (0): class codes are 1..17.

#: GDAL metadata keys written into every output (default domain).
META_PRODUCT = "HSELCZ_PRODUCT"
META_MODEL = "HSELCZ_MODEL"
META_MODEL_VERSION = "HSELCZ_MODEL_VERSION"
META_PROVIDER = "HSELCZ_EXECUTION_PROVIDER"
META_SOURCE = "HSELCZ_SOURCE"
META_UNITS = "HSELCZ_UNITS"

PRODUCT_NAMES = {
    "lcz": "Local climate zones (Stewart & Oke 2012), 100 m",
    "hse": "Human settlement extent density (built-up fraction 0..1), 20 m",
    "probabilities": "LCZ class probabilities (17 bands, LCZ 1..10, A..G), 100 m",
}

GTIFF_OPTIONS = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]
