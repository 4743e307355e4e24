"""Raster files of the distillation: the OSCD areas, a scene on the engine's working grid, aligned dates, GeoTIFFs.

Shared by the pseudo-labels, the comparisons and the v3 training (which read the same areas the same way).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.reader import open_scene

gdal.UseExceptions()

OSCD_BANDS = ",".join(MODEL_BANDS)  # the OSCD files carry no band descriptions


@dataclass(frozen=True)
class Area:
    """One OSCD area: its two dated L1C scenes, oldest first."""

    city: str
    images: tuple[str, str]
    dates: tuple[str, str]


_SCENE = re.compile(r"(?P<city>.+)_S2L1C_(?P<date>\d{8})_10band_10m\.tif")


def find_areas(folder: str | Path, cities: Sequence[str] | None = None) -> list[Area]:
    """The areas under folder/<city>/ with exactly two <city>_S2L1C_<date>_10band_10m.tif scenes."""
    areas = []
    for city_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        if cities is not None and city_dir.name not in cities:
            continue
        found = sorted((m["date"], str(p)) for p in city_dir.glob("*_S2L1C_*_10band_10m.tif")
                       if (m := _SCENE.fullmatch(p.name)) and m["city"] == city_dir.name)
        if len(found) == 2:
            areas.append(Area(city_dir.name, (found[0][1], found[1][1]), (found[0][0], found[1][0])))
    if not areas:
        raise FileNotFoundError(f"no area with two *_S2L1C_<date>_10band_10m.tif scenes under {folder}")
    return areas


def read_image(path: str | Path, bands: str | None = OSCD_BANDS) -> tuple[np.ndarray, np.ndarray, tuple, str]:
    """(10, H, W) DN, (H, W) validity, geotransform and WKT of the engine's working grid of a scene."""
    scene = open_scene(str(path), MODEL_BANDS, band_mapping=bands, gsd=10.0)
    try:
        image, valid = scene.read(0, 0, scene.width, scene.height)
        return image, valid, tuple(scene.geotransform), scene.projection
    finally:
        scene.close()


def write_raster(path: Path, array: np.ndarray, geotransform: Sequence[float], wkt: str, data_type: int,
                 nodata: float | None, descriptions: Sequence[str] | None = None) -> Path:
    """A compressed GeoTIFF; NaN becomes nodata."""
    array = array[None] if array.ndim == 2 else array
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), array.shape[2], array.shape[1], array.shape[0], data_type,
                                              ["COMPRESS=DEFLATE", "TILED=YES"])
    ds.SetGeoTransform(tuple(geotransform))
    ds.SetProjection(wkt)
    for i, band_values in enumerate(array, start=1):
        band = ds.GetRasterBand(i)
        if nodata is not None:
            band.SetNoDataValue(nodata)
            band_values = np.where(np.isfinite(band_values), band_values, nodata)
        band.WriteArray(band_values)
        if descriptions:
            band.SetDescription(descriptions[i - 1])
    ds = None
    return path


def align_dates(area: Area, out_dir: Path, bands: str | None = OSCD_BANDS) -> tuple[Path, Path]:
    """Both dates warped (bilinear, as the engine warps) onto the engine's 10 m working grid of date 1.

    A date already aligned (a file newer than its scene) is kept, so relabelling reuses the teacher runs.
    """
    scene = open_scene(area.images[0], MODEL_BANDS, band_mapping=bands, gsd=10.0)
    gt, wkt, width, height = scene.geotransform, scene.projection, scene.width, scene.height
    scene.close()
    bounds = (gt[0], gt[3] + height * gt[5], gt[0] + width * gt[1], gt[3])
    out = []
    for image, date in zip(area.images, area.dates, strict=True):
        path = out_dir / f"{area.city}_{date}_S2L1C_utm10m.tif"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_mtime >= Path(image).stat().st_mtime:
            out.append(path)  # already aligned (its teacher outputs stay valid)
            continue
        src = gdal.Open(image)
        ds = gdal.Warp(str(path), src, format="GTiff", dstSRS=wkt, outputBounds=bounds, width=width, height=height,
                       resampleAlg="bilinear", srcNodata=" ".join(["0"] * src.RasterCount), dstNodata=0,
                       warpOptions=["UNIFIED_SRC_NODATA=NO"], creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=2",
                                                                               "TILED=YES"])
        for i, name in enumerate(MODEL_BANDS, start=1):
            ds.GetRasterBand(i).SetDescription(name)
        ds = src = None
        out.append(path)
    return out[0], out[1]


def read_probabilities(path: str | Path) -> tuple[np.ndarray, tuple, str]:
    """(17, h, w) float64 probabilities with NaN where the engine wrote nodata; geotransform; WKT."""
    ds = gdal.Open(str(path))
    p = ds.ReadAsArray().astype(np.float64)
    p[:, (p < 0).any(axis=0)] = np.nan
    return p, ds.GetGeoTransform(), ds.GetProjection()
