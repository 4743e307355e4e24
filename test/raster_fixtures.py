"""Small north-up GeoTIFFs for tests that need real rasters on a known grid (one definition for all tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

HONG_KONG_UTM = 32650
HONG_KONG_ORIGIN = (800000.0, 2470000.0)  # upper-left corner in EPSG:32650


def write_grid_raster(path: Path, array: np.ndarray, pixel: float, *, epsg: int = HONG_KONG_UTM,
                      nodata: float | None = None, origin: tuple[float, float] = HONG_KONG_ORIGIN,
                      data_type: int | None = None) -> Path:
    """One band (2-D array) or several (3-D) at `pixel` metres from `origin`; Float32 for floats, else Byte."""
    bands = array[None] if array.ndim == 2 else array
    if data_type is None:
        data_type = gdal.GDT_Float32 if array.dtype.kind == "f" else gdal.GDT_Byte
    ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0], data_type)
    ds.SetGeoTransform((origin[0], pixel, 0.0, origin[1], 0.0, -pixel))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    for i, values in enumerate(bands, start=1):
        band = ds.GetRasterBand(i)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(values)
    ds = None
    return path
