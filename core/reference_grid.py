"""The prediction on the reference's grid: the alignment every assessment (and the training evaluation) shares.

Why the reference's grid: its cells are the sampling units the scores count, and a reference is never
resampled (that would invent truth). The prediction is warped onto it, in the reference's CRS: by the
majority (mode) of the predicted cells when the prediction is finer, by nearest neighbour otherwise, and by
the area average for densities. A polygon reference has no grid: it is rasterised onto the prediction's grid
(a cell counts when its centre lies in a polygon). Only the part of a reference under the prediction is read.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal, ogr, osr

from .area_estimation import grid_row_km2
from .errors import EngineError

gdal.UseExceptions()

#: A reference cell counts as predicted when at least this share of the finer prediction inside it has data.
MIN_PREDICTED_SHARE = 0.5
#: A prediction is "finer" (majority of its cells per reference cell) only when its pixels are this much smaller
#: in area. Why not ~0: GDAL's suggested resolution is computed, so a raster on the reference's very grid came out
#: a hair finer, and GDAL's mode on a 1:1 grid is not the identity (1.2 % of the HK PRD map changed class).
_FINER_BY = 0.01


def _open_dataset(path: str | Path) -> gdal.Dataset:
    """The raster read-only; FileNotFoundError naming it (read_on_grid's callers in training expect that)."""
    try:
        return gdal.Open(str(path), gdal.GA_ReadOnly)
    except RuntimeError as exc:
        raise FileNotFoundError(f"cannot open raster {path}: {exc}") from exc


def _pixel_area_in(src: gdal.Dataset, target_wkt: str) -> float:
    """Area of one source pixel in the target CRS units, from GDAL's suggested warp resolution."""
    if target_wkt and src.GetProjection():
        vrt = gdal.Warp("", src, format="VRT", dstSRS=target_wkt)
        gt = vrt.GetGeoTransform()
        vrt = None
    else:
        gt = src.GetGeoTransform()
    return abs(gt[1] * gt[5])


def _valid_fraction(src: gdal.Dataset, nodata: float, grid: dict[str, Any]) -> np.ndarray:
    """Share of each target cell's source pixels that hold a prediction (not nodata), by an average warp."""
    band = src.GetRasterBand(1)
    mask = gdal.GetDriverByName("MEM").Create("", src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Byte)
    mask.SetGeoTransform(src.GetGeoTransform())
    mask.SetProjection(src.GetProjection())
    rows = max(1, 2**24 // max(1, src.RasterXSize))  # stream strips: the source may be a whole scene
    for y in range(0, src.RasterYSize, rows):
        strip = band.ReadAsArray(0, y, src.RasterXSize, min(rows, src.RasterYSize - y))
        mask.GetRasterBand(1).WriteArray((strip != nodata).astype(np.uint8), 0, y)
    share = gdal.Warp("", mask, format="MEM", resampleAlg="average", outputType=gdal.GDT_Float32, **grid)
    return share.GetRasterBand(1).ReadAsArray()


def read_on_grid(source: str | Path, reference: str | Path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(prediction on the reference grid, reference) as arrays; missing cells 0 (classes) or NaN (HSE).

    kind: "classes" or "density". Declared nodata of either raster becomes the missing value.
    """
    ref = _open_dataset(reference)
    src = _open_dataset(source)
    ref_wkt = ref.GetProjection()
    if bool(ref_wkt) != bool(src.GetProjection()):
        raise ValueError(f"{source} and {reference}: one has a CRS and the other not; cannot align them")
    gt = ref.GetGeoTransform()
    bounds = (gt[0], gt[3] + gt[5] * ref.RasterYSize, gt[0] + gt[1] * ref.RasterXSize, gt[3])
    if gt[2] or gt[4]:
        raise ValueError(f"{reference}: rotated grids are not supported")
    src_nodata = src.GetRasterBand(1).GetNoDataValue()
    if kind == "classes":
        finer = _pixel_area_in(src, ref_wkt) < abs(gt[1] * gt[5]) * (1 - _FINER_BY)
        options: dict[str, Any] = {
            "resampleAlg": "mode" if finer else "near",
            "outputType": gdal.GDT_Int16,
            "srcNodata": src_nodata if src_nodata is not None else 0,
            "dstNodata": 0,
        }
    elif kind == "density":
        options = {
            "resampleAlg": "average",
            "outputType": gdal.GDT_Float32,
            "srcNodata": src_nodata if src_nodata is not None else "nan",
            "dstNodata": "nan",
        }
    else:
        raise ValueError(f"kind must be 'classes' or 'density', not {kind!r}")
    warped = gdal.Warp(
        "",
        src,
        format="MEM",
        dstSRS=ref_wkt or None,
        outputBounds=bounds,
        width=ref.RasterXSize,
        height=ref.RasterYSize,
        **options,
    )
    pred = warped.GetRasterBand(1).ReadAsArray()
    if kind == "classes" and options["resampleAlg"] == "mode":
        # mode skips nodata, so a cell with a sliver of prediction would take the sliver's class
        grid = {"dstSRS": ref_wkt or None, "outputBounds": bounds, "width": ref.RasterXSize,
                "height": ref.RasterYSize}
        pred[_valid_fraction(src, options["srcNodata"], grid) < MIN_PREDICTED_SHARE] = 0
    ref_band = ref.GetRasterBand(1)
    ref_arr = ref_band.ReadAsArray()
    ref_nodata = ref_band.GetNoDataValue()
    if kind == "classes":
        ref_arr = ref_arr.astype(np.int64)
        if ref_nodata is not None:
            ref_arr[ref_arr == ref_nodata] = 0
        return pred.astype(np.int64), ref_arr
    ref_arr = ref_arr.astype(np.float64)
    if ref_nodata is not None:
        ref_arr[ref_arr == ref_nodata] = np.nan
    return pred.astype(np.float64), ref_arr



# -------------------------------------------------------------------------------------------- a polygon layer
@dataclass
class PolygonReference:
    """Reference polygons with their class values, in the CRS given by crs_wkt (empty: none).

    Why not a file path: in QGIS the layer may be a memory layer or a model's temporary output, which GDAL
    cannot open; the algorithm hands over geometries (WKB) and values, a script can use from_file.
    """

    features: list[tuple[bytes, Any]]
    crs_wkt: str
    name: str = "polygon layer"
    field_name: str = "class"

    @classmethod
    def from_file(cls, path: str | Path, field_name: str) -> PolygonReference:
        try:
            source = ogr.Open(str(path))
        except RuntimeError as exc:
            raise EngineError(f"Cannot open the reference polygons {path}: {exc}") from exc
        if source is None:
            raise EngineError(f"Cannot open the reference polygons {path}.")
        layer = source.GetLayer(0)
        if layer.GetLayerDefn().GetFieldIndex(field_name) < 0:
            raise EngineError(f"The reference polygons {path} have no field {field_name!r}.")
        srs = layer.GetSpatialRef()
        features = []
        for feature in layer:
            geometry = feature.GetGeometryRef()
            features.append((bytes(geometry.ExportToWkb()) if geometry else b"", feature.GetField(field_name)))
        return cls(features, srs.ExportToWkt() if srs else "", Path(path).name, field_name)


def spatial_reference(wkt: str) -> osr.SpatialReference | None:
    """The CRS of `wkt` in x/y (east, north) axis order, as GDAL's rasters use it; None for no CRS."""
    if not wkt:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def rasterise_polygons(grid: gdal.Dataset, polygons: PolygonReference, codes: list[int | None]) -> np.ndarray:
    """Class codes of the polygons on the grid of `grid` (0 outside them); later polygons win where they overlap."""
    target = spatial_reference(grid.GetProjection())
    source = spatial_reference(polygons.crs_wkt)
    if (target is None) != (source is None):
        raise EngineError(
            f"The prediction and the reference polygons {polygons.name}: one has a CRS and the other not; "
            "cannot align them. Assign the missing CRS."
        )
    transform = None
    if source is not None and target is not None and not source.IsSame(target):
        transform = osr.CoordinateTransformation(source, target)
    memory = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = memory.CreateLayer("reference", srs=target, geom_type=ogr.wkbUnknown)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    for (wkb, _value), code in zip(polygons.features, codes, strict=True):
        if not wkb or code is None:
            continue
        geometry = ogr.CreateGeometryFromWkb(wkb)
        if transform is not None:
            geometry.Transform(transform)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("code", int(code))
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    raster = gdal.GetDriverByName("MEM").Create("", grid.RasterXSize, grid.RasterYSize, 1, gdal.GDT_Int32)
    raster.SetGeoTransform(grid.GetGeoTransform())
    if target is not None:
        raster.SetProjection(grid.GetProjection())
    gdal.RasterizeLayer(raster, [1], layer, options=["ATTRIBUTE=code"])
    return raster.GetRasterBand(1).ReadAsArray().astype(np.int64)



def grid_text(dataset: gdal.Dataset) -> str:
    """The grid of a raster in words, for the "Scoring grid" line of an assessment: size, cell size, CRS."""
    gt = dataset.GetGeoTransform()
    srs = spatial_reference(dataset.GetProjection())
    crs = "no CRS"
    unit = ""
    if srs is not None:
        code = srs.GetAuthorityCode(None)
        crs = f"{srs.GetName()}" + (f" (EPSG:{code})" if code else "")
        unit = " degrees" if srs.IsGeographic() else " m" if srs.GetLinearUnits() == 1.0 else ""
    return f"{dataset.RasterXSize} x {dataset.RasterYSize} cells of {abs(gt[1]):.6g} x {abs(gt[5]):.6g}{unit}, {crs}"


def _extent(dataset: gdal.Dataset) -> tuple[float, float, float, float]:
    """(x min, y min, x max, y max) of a north-up raster."""
    gt = dataset.GetGeoTransform()
    if gt[2] or gt[4]:
        raise EngineError(f"{dataset.GetDescription()}: rotated grids are not supported.")
    xs = (gt[0], gt[0] + gt[1] * dataset.RasterXSize)
    ys = (gt[3], gt[3] + gt[5] * dataset.RasterYSize)
    return min(xs), min(ys), max(xs), max(ys)


def open_raster(path: str | Path, role: str) -> gdal.Dataset:
    """The raster read-only, or an EngineError that names its `role` ("prediction", "reference") and path."""
    try:
        dataset = gdal.Open(str(path), gdal.GA_ReadOnly)
    except RuntimeError as exc:
        raise EngineError(f"Cannot open the {role} raster {path}: {exc}") from exc
    if dataset is None:
        raise EngineError(f"Cannot open the {role} raster {path}.")
    if dataset.RasterCount < 1:
        raise EngineError(f"The {role} raster {path} has no band.")
    return dataset


class _ReferenceWindow:
    """The part of the reference raster under the prediction's extent, as an in-memory VRT (deleted on exit).

    Why: a reference may cover a country while the prediction covers a city; only the overlap is read.
    """

    def __init__(self, prediction: gdal.Dataset, reference: gdal.Dataset, reference_path: str) -> None:
        self.path = f"/vsimem/hselcz_assessment_{uuid.uuid4().hex}.vrt"
        pred_srs, ref_srs = spatial_reference(prediction.GetProjection()), spatial_reference(reference.GetProjection())
        if (pred_srs is None) != (ref_srs is None):
            raise EngineError(
                f"The prediction and the reference {reference_path}: one has a CRS and the other not; cannot align "
                "them. Assign the missing CRS."
            )
        px0, py0, px1, py1 = _extent(prediction)
        if pred_srs is not None and ref_srs is not None and not pred_srs.IsSame(ref_srs):
            try:
                px0, py0, px1, py1 = osr.CoordinateTransformation(pred_srs, ref_srs).TransformBounds(
                    px0, py0, px1, py1, 21)
            except RuntimeError as exc:
                raise EngineError(
                    f"The prediction's extent cannot be expressed in the reference's CRS ({exc}): they do not overlap."
                ) from exc
        if not all(math.isfinite(v) for v in (px0, py0, px1, py1)):
            raise EngineError("The prediction's extent cannot be expressed in the reference's CRS: they do not "
                              "overlap.")
        gt = reference.GetGeoTransform()
        if gt[2] or gt[4]:
            raise EngineError(f"The reference {reference_path}: rotated grids are not supported.")
        cols = sorted(((px0 - gt[0]) / gt[1], (px1 - gt[0]) / gt[1]))
        rows = sorted(((py1 - gt[3]) / gt[5], (py0 - gt[3]) / gt[5]))
        x0, x1 = max(0, math.floor(cols[0]) - 1), min(reference.RasterXSize, math.ceil(cols[1]) + 1)
        y0, y1 = max(0, math.floor(rows[0]) - 1), min(reference.RasterYSize, math.ceil(rows[1]) + 1)
        if x1 <= x0 or y1 <= y0:
            raise EngineError(
                f"The prediction and the reference {reference_path} do not overlap (the prediction's extent in the "
                f"reference's CRS is {px0:.6g}, {py0:.6g} .. {px1:.6g}, {py1:.6g}; the reference covers "
                "{:.6g}, {:.6g} .. {:.6g}, {:.6g}).".format(*_extent(reference))
            )
        gdal.Translate(self.path, reference, format="VRT", srcWin=[x0, y0, x1 - x0, y1 - y0])
        self.dataset = gdal.Open(self.path)

    def __enter__(self) -> _ReferenceWindow:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dataset = None
        gdal.Unlink(self.path)


def aligned_on_reference(prediction: str, reference: str,
                         kind: str) -> tuple[np.ndarray, np.ndarray, str, np.ndarray | None]:
    """(prediction, reference) on the reference's grid under the prediction, that grid in words, and the ground
    area (km2) of a cell in each of its rows (None for a grid without CRS; core.area_estimation)."""
    pred_ds = open_raster(prediction, "prediction")
    ref_ds = open_raster(reference, "reference")
    with _ReferenceWindow(pred_ds, ref_ds, reference) as window:
        try:
            pred, ref = read_on_grid(prediction, window.path, kind)
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            raise EngineError(f"Cannot bring the prediction onto the reference's grid: {exc}") from exc
        return pred, ref, grid_text(window.dataset), grid_row_km2(window.dataset)

