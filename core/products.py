"""The products the engine writes, as one table: every module that handles outputs iterates PRODUCTS.

A product is one GeoTIFF: its key (OutputPaths, MappingResult.outputs, file metadata), the Processing
parameter that names it, the model output it is computed from, its grid, data type, nodata, band names,
units, style, and how cell values become raster values. The engine, the writer, the results and the QGIS
algorithm all read this table, so adding a product starts here (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES, LCZ_NODATA

HSE_CELL_M = 20.0
LCZ_CELL_M = 100.0

HSE_NODATA = -1.0
PROBABILITY_NODATA = -1.0
# LCZ nodata is core.lcz.LCZ_NODATA (0): class codes are 1..17.

#: Keys of the model outputs the products are computed from (core.contract names the tensors that hold them).
MODEL_LCZ = "lcz"  # 17 class probabilities
MODEL_HSE = "hse"  # settlement density 0..1
MODEL_EMBEDDING = "embedding"  # optional features (no product yet)
#: Not a model tensor: how many dates gave a cell its value (1 in a single-date run; core.multidate).
DERIVED_DATES = "dates"
#: Not a model tensor: the LCZ uncertainty from the probabilities and the embedding (core.uncertainty).
DERIVED_UNCERTAINTY = "uncertainty"
#: Not a model tensor: the LCZ of the Gaussian-smoothed class probabilities, after the main pass (core.lcz_filter).
DERIVED_LCZ_FILTERED = "lcz_filtered"
UNCERTAINTY_NODATA = -1.0
#: Channels of each mapped model output.
MODEL_CHANNELS = {MODEL_LCZ: LCZ_CLASS_COUNT, MODEL_HSE: 1}

#: GDAL metadata keys written into every output (default domain).
META_PRODUCT = "HSELCZ_PRODUCT"
META_MODEL = "HSELCZ_MODEL"
META_MODEL_VERSION = "HSELCZ_MODEL_VERSION"
META_PROVIDER = "HSELCZ_EXECUTION_PROVIDER"
META_SOURCE = "HSELCZ_SOURCE"
META_UNITS = "HSELCZ_UNITS"
#: The kernel of the filtered LCZ product, in words (core.lcz_filter.kernel_description).
META_LCZ_FILTER = "HSELCZ_LCZ_FILTER"
#: Band metadata of the LCZ product: "code=label name" per class, kept inside the GeoTIFF itself (the category
#: names GDAL also writes live in the .aux.xml sidecar, which a copy of the .tif alone loses).
META_CLASS_PREFIX = "HSELCZ_CLASS_"

#: File name extensions of the outputs (the engine writes GeoTIFF only); the first is the default.
OUTPUT_EXTENSIONS: tuple[str, ...] = ("tif", "tiff")

GTIFF_OPTIONS = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]


def _lcz_codes(probabilities: np.ndarray, valid: np.ndarray) -> np.ndarray:
    classes = (np.argmax(probabilities, axis=0) + 1).astype(np.uint8)
    classes[~valid] = LCZ_NODATA
    return classes


def _probabilities(probabilities: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid[None], probabilities, PROBABILITY_NODATA).astype(np.float32)


def _density(density: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, np.clip(density[0], 0.0, 1.0), HSE_NODATA).astype(np.float32)


def _date_count(counts: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, counts[0], 0).astype(np.uint8)


def _uncertainty(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, np.clip(values[0], 0.0, 1.0), UNCERTAINTY_NODATA).astype(np.float32)


@dataclass(frozen=True)
class ProductSpec:
    """One output GeoTIFF, from the model output it is computed from to the style QGIS gives it."""

    key: str
    parameter: str  # the Processing destination parameter
    title: str  # written as HSELCZ_PRODUCT
    layer_name: str  # the loaded layer's name and the parameter's description (translated in the plugin)
    model_output: str  # MODEL_LCZ or MODEL_HSE
    cell_m: float
    data_type: str  # GDAL data type name
    nodata: float
    predictor: int  # GeoTIFF predictor: 2 for integers, 3 for floats
    band_names: tuple[str, ...]
    encode: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (cell values (C, rows, W), valid (rows, W)) -> raster rows
    units: str | None = None
    style: str | None = None  # QML file in resources/styles
    categorical: bool = False  # a colour table and class names from the LCZ palette
    derived: bool = False  # computed by the engine, not read from a model tensor
    required: bool = False  # the algorithm always writes it
    create_by_default: bool = True

    @property
    def bands(self) -> int:
        return len(self.band_names)


LCZ = ProductSpec(
    key="lcz", parameter="OUTPUT_LCZ", title="Local climate zones (Stewart & Oke 2012), 100 m",
    layer_name="Local climate zones", model_output=MODEL_LCZ, cell_m=LCZ_CELL_M, data_type="Byte", nodata=LCZ_NODATA,
    predictor=2, band_names=("Local climate zone",), encode=_lcz_codes, style="lcz.qml", categorical=True,
    required=True,
)
HSE = ProductSpec(
    key="hse", parameter="OUTPUT_HSE",
    title="Human settlement extent density (0..1; bundled model: building-cover fraction), 20 m",
    layer_name="Settlement density (HSE)", model_output=MODEL_HSE, cell_m=HSE_CELL_M, data_type="Float32",
    nodata=HSE_NODATA, predictor=3, band_names=("Settlement density 0..1 (bundled model: share covered by buildings)",),
    encode=_density,
    units="fraction 0..1", style="hse.qml",
)
LCZ_FILTERED = ProductSpec(
    key="lcz_filtered", parameter="OUTPUT_LCZ_FILTERED",
    title="Local climate zones, spatially filtered (Gaussian kernel on the class probabilities), 100 m",
    layer_name="Local climate zones (filtered)", model_output=DERIVED_LCZ_FILTERED, cell_m=LCZ_CELL_M,
    data_type="Byte", nodata=LCZ_NODATA, predictor=2, band_names=("Local climate zone (filtered)",), encode=_lcz_codes,
    style="lcz.qml", categorical=True, derived=True, create_by_default=False,
)
PROBABILITIES = ProductSpec(
    key="probabilities", parameter="OUTPUT_PROBABILITIES",
    title="LCZ class probabilities (17 bands, LCZ 1..10, A..G), 100 m", layer_name="LCZ class probabilities",
    model_output=MODEL_LCZ, cell_m=LCZ_CELL_M, data_type="Float32", nodata=PROBABILITY_NODATA, predictor=3,
    band_names=tuple(f"LCZ {lcz.legend_text}" for lcz in LCZ_CLASSES), encode=_probabilities,
    create_by_default=False,
)
assert PROBABILITIES.bands == LCZ_CLASS_COUNT

DATES = ProductSpec(
    key="dates", parameter="OUTPUT_DATES", title="Number of dates that gave each 100 m cell its LCZ, 100 m",
    layer_name="Dates per LCZ cell", model_output=DERIVED_DATES, cell_m=LCZ_CELL_M, data_type="Byte", nodata=0,
    predictor=2, band_names=("Dates with valid data",), encode=_date_count, units="dates", derived=True,
    create_by_default=False,
)

UNCERTAINTY = ProductSpec(
    key="uncertainty", parameter="OUTPUT_UNCERTAINTY",
    title="LCZ uncertainty (0 more certain .. 1 less certain), 100 m", layer_name="LCZ uncertainty",
    model_output=DERIVED_UNCERTAINTY, cell_m=LCZ_CELL_M, data_type="Float32", nodata=UNCERTAINTY_NODATA, predictor=3,
    band_names=("LCZ uncertainty (0 more certain, 1 less certain)",), encode=_uncertainty, units="0..1",
    style="uncertainty.qml", derived=True, create_by_default=False,
)

#: Every product, in the order of the algorithm's parameters and of the files a run reports.
PRODUCTS: tuple[ProductSpec, ...] = (LCZ, HSE, PROBABILITIES, DATES, UNCERTAINTY, LCZ_FILTERED)

# ------------------------------------------------------------------------------ settlement growth (core.growth)
DERIVED_CHANGE = "hse_change"
CHANGE_NODATA = -9.0
NEW_BUILT_NODATA = 255


def _change(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, np.clip(values[0], -1.0, 1.0), CHANGE_NODATA).astype(np.float32)


def _new_built(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, values[1], NEW_BUILT_NODATA).astype(np.uint8)


CHANGE = ProductSpec(
    key="change", parameter="OUTPUT_CHANGE", title="Settlement density change, later - earlier (-1..1), 20 m",
    layer_name="Settlement density change", model_output=DERIVED_CHANGE, cell_m=HSE_CELL_M, data_type="Float32",
    nodata=CHANGE_NODATA, predictor=3, band_names=("Change of the built-up fraction (later - earlier)",),
    encode=_change, units="fraction -1..1", style="hse_change.qml", derived=True, required=True,
)
NEW_BUILT = ProductSpec(
    key="new_built", parameter="OUTPUT_NEW_BUILT", title="New built-up (1) and lost built-up (2), 20 m",
    layer_name="New built-up", model_output=DERIVED_CHANGE, cell_m=HSE_CELL_M, data_type="Byte",
    nodata=NEW_BUILT_NODATA, predictor=2, band_names=("0 no change of state, 1 new built-up, 2 built-up lost",),
    encode=_new_built, style="new_built.qml", derived=True,
)
GROWTH_PRODUCTS: tuple[ProductSpec, ...] = (CHANGE, NEW_BUILT)

PRODUCT_BY_KEY: dict[str, ProductSpec] = {spec.key: spec for spec in PRODUCTS + GROWTH_PRODUCTS}
#: The cell size each model output is averaged to (the same for every product made from it).
MODEL_OUTPUT_CELL_M: dict[str, float] = {spec.model_output: spec.cell_m for spec in PRODUCTS}
MODEL_OUTPUT_CELL_M[MODEL_EMBEDDING] = LCZ_CELL_M  # averaged per LCZ cell for adaptation and uncertainty
assert all(MODEL_OUTPUT_CELL_M[spec.model_output] == spec.cell_m for spec in PRODUCTS)


def pixels_per_cell(cell_m: float, gsd: float) -> int:
    """Input pixels per side of a product cell; the model's pixel size must divide the product grid."""
    cells = round(cell_m / gsd)
    if cells < 1 or abs(cells * gsd - cell_m) > 1e-6:
        raise EngineError(f"The model's ground sampling distance {gsd} m does not divide the {cell_m:g} m "
                          "product grid.")
    return cells


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
