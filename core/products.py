"""The products the engine writes: grids, data types, nodata values and the metadata keys they carry.

Defined once here; the writer, the QGIS styles and the tests all read these constants.
"""

from __future__ import annotations

from pathlib import Path

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

#: File name extensions of the outputs (the engine writes GeoTIFF only); the first is the default.
OUTPUT_EXTENSIONS: tuple[str, ...] = ("tif", "tiff")

GTIFF_OPTIONS = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]


def output_extension_problem(path: str) -> str | None:
    """Why `path` cannot name an output (the engine writes GeoTIFF only, whatever the name says), or None.

    A GeoTIFF named .png or .vrt would be misread by every program that trusts the extension.
    """
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix in OUTPUT_EXTENSIONS:
        return None
    allowed = " or ".join(f".{extension}" for extension in OUTPUT_EXTENSIONS)
    suggestion = target.with_suffix(f".{OUTPUT_EXTENSIONS[0]}") if suffix else Path(f"{target}.{OUTPUT_EXTENSIONS[0]}")
    found = f"ends in .{suffix}" if suffix else "has no extension"
    return (f"The output {target} {found}, but the plugin writes GeoTIFF files only: give a name ending in {allowed}, "
            f"e.g. {suggestion}.")
