"""District summaries: per polygon (districts, blocks, a municipality) the shares of the LCZ classes, the mean
settlement density (HSE), the HSE-weighted built-up area and the mean LCZ uncertainty of the maps inside it.

How a cell counts: when its centre lies in the polygon (GDAL's rasteriser, as the assessments and the training
areas count cells; core.assessment._rasterise_on). Why not area-weighted: at the 100 m LCZ cell a district's edge
cuts a few per cent of its cells, the map has no sub-cell truth to weight them with, and cell-centre counts are
what a planner can redo in any GIS. Each polygon is rasterised on its own window of each raster, so overlapping
polygons are each counted in full (a cell in two districts counts in both). Shares and means are over the cells
with data; valid_frac says how much of the polygon's ground area those cells cover (a polygon partly outside the
map, or over the map's nodata, has valid_frac < 1); its area is the polygon's own ground area.

Nothing here imports QGIS: the algorithm (algorithms/district_summary.py) hands over geometries (WKB) already in
the LCZ map's CRS, as the assessments do.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from .area_estimation import row_cell_km2
from .errors import CancelledError, EngineError
from .i18n import tr
from .input_kinds import check_density_map, check_lcz_map
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES
from .options import NO_FEEDBACK, RunFeedback
from .reference_grid import spatial_reference

gdal.UseExceptions()

#: The fields added to each polygon: (name, type), names within the 10 characters of a shapefile.
SHARE_FIELDS: tuple[str, ...] = tuple(f"lcz_{c.label}" for c in LCZ_CLASSES)
FIELDS: tuple[tuple[str, str], ...] = (
    ("area_km2", "double"), ("valid_frac", "double"), ("lcz_cells", "int"),
    *((name, "double") for name in SHARE_FIELDS),
    ("dominant", "string"), ("hse_mean", "double"), ("built_km2", "double"), ("unc_mean", "double"),
)
assert all(len(name) <= 10 for name, _kind in FIELDS)


@dataclass
class ZoneSummary:
    """The numbers of one polygon; None where a value is not defined (no cell with data in it)."""

    area_km2: float | None
    valid_frac: float | None
    lcz_cells: int
    shares: list[float | None]
    dominant: str | None
    hse_mean: float | None = None
    built_km2: float | None = None
    unc_mean: float | None = None

    def values(self) -> list[object]:
        """In the order of FIELDS."""
        return [self.area_km2, self.valid_frac, self.lcz_cells, *self.shares, self.dominant, self.hse_mean,
                self.built_km2, self.unc_mean]


class _Raster:
    """One input raster: its band, nodata, grid, and the transformation of the polygons into its CRS."""

    def __init__(self, path: str | Path, role: str, polygons_wkt: str) -> None:
        try:
            self.dataset = gdal.Open(str(path))
        except RuntimeError as exc:
            raise EngineError(tr("Cannot open the {role} raster {path}: {error}", role=role, path=path,
                                 error=exc)) from exc
        self.band = self.dataset.GetRasterBand(1)
        self.nodata = self.band.GetNoDataValue()
        self.gt = self.dataset.GetGeoTransform()
        if self.gt[2] or self.gt[4]:
            raise EngineError(tr("The {role} raster {path} has a rotated grid, which is not supported.", role=role,
                                 path=path))
        self.srs = spatial_reference(self.dataset.GetProjection())
        if self.srs is None:
            raise EngineError(tr("The {role} raster {path} has no CRS: its cells have no known ground area. Assign "
                                 "its CRS (Raster > Projections > Assign Projection).", role=role, path=path))
        self.row_km2 = row_cell_km2(self.gt, self.dataset.GetProjection(), self.dataset.RasterYSize)
        source = spatial_reference(polygons_wkt)
        self.transform = None
        if source is not None and not source.IsSame(self.srs):
            self.transform = osr.CoordinateTransformation(source, self.srs)

    def cells(self, geometry: ogr.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(values, valid, cell km2) of the cells whose centre lies in the geometry; None when none does."""
        if self.transform is not None:
            geometry = geometry.Clone()
            try:
                geometry.Transform(self.transform)
            except RuntimeError:
                return None
        x0, x1, y0, y1 = geometry.GetEnvelope()
        gt, width, height = self.gt, self.dataset.RasterXSize, self.dataset.RasterYSize
        cols = sorted(((x0 - gt[0]) / gt[1], (x1 - gt[0]) / gt[1]))
        rows = sorted(((y0 - gt[3]) / gt[5], (y1 - gt[3]) / gt[5]))
        c0, c1 = max(0, math.floor(cols[0])), min(width, math.ceil(cols[1]))
        r0, r1 = max(0, math.floor(rows[0])), min(height, math.ceil(rows[1]))
        if c1 <= c0 or r1 <= r0:
            return None
        mask = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 1, gdal.GDT_Byte)
        mask.SetGeoTransform((gt[0] + c0 * gt[1], gt[1], 0.0, gt[3] + r0 * gt[5], 0.0, gt[5]))
        mask.SetProjection(self.dataset.GetProjection())
        source = ogr.GetDriverByName("Memory").CreateDataSource("")  # kept: a layer must not outlive it
        layer = source.CreateLayer("zone", srs=self.srs)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
        gdal.RasterizeLayer(mask, [1], layer, burn_values=[1])
        inside = mask.GetRasterBand(1).ReadAsArray().astype(bool)
        if not inside.any():
            return None
        values = self.band.ReadAsArray(c0, r0, c1 - c0, r1 - r0).astype(np.float64)
        valid = np.isfinite(values) & ((values != self.nodata) if self.nodata is not None else True)
        km2 = np.broadcast_to(self.row_km2[r0:r1, None], inside.shape)
        return values[inside], valid[inside], km2[inside]


def ground_area_km2(geometry: ogr.Geometry, srs: osr.SpatialReference) -> float:
    """A polygon's ground area: in a projected CRS its planar area, in a geographic one its area on a Lambert
    azimuthal equal-area plane centred on it (GDAL 3.6 has no geodesic area)."""
    if not srs.IsGeographic():
        unit = srs.GetLinearUnits() or 1.0
        return geometry.GetArea() * unit * unit / 1e6
    x0, x1, y0, y1 = geometry.GetEnvelope()
    plane = osr.SpatialReference()
    plane.ImportFromProj4(f"+proj=laea +lat_0={(y0 + y1) / 2} +lon_0={(x0 + x1) / 2} +datum=WGS84 +units=m")
    plane.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    projected = geometry.Clone()
    projected.Segmentize(max(x1 - x0, y1 - y0) / 100 or 1e-4)
    projected.Transform(osr.CoordinateTransformation(srs, plane))
    return projected.GetArea() / 1e6


def _lcz_part(lcz: _Raster, geometry: ogr.Geometry) -> tuple[int, float, list[float | None], str | None]:
    """(cells with data, their km2, the 17 shares, the dominant class's label) of one polygon."""
    found = lcz.cells(geometry)
    if found is None:
        return 0, 0.0, [None] * LCZ_CLASS_COUNT, None
    values, valid, km2 = found
    codes = values[valid].astype(np.int64)
    weights = km2[valid]
    in_range = (codes >= 1) & (codes <= LCZ_CLASS_COUNT)
    per_class = np.bincount(codes[in_range] - 1, weights=weights[in_range], minlength=LCZ_CLASS_COUNT)
    total = float(per_class.sum())
    if total <= 0:
        return 0, 0.0, [None] * LCZ_CLASS_COUNT, None
    shares = [float(v) for v in per_class / total]
    return int(in_range.sum()), total, shares, LCZ_CLASSES[int(np.argmax(per_class))].label


def _density_part(raster: _Raster | None, geometry: ogr.Geometry) -> tuple[float | None, float | None]:
    """(mean, sum of value x cell km2) of a density-like raster's cells with data in the polygon."""
    if raster is None:
        return None, None
    found = raster.cells(geometry)
    if found is None or not found[1].any():
        return None, None
    values, valid, km2 = found
    return float(values[valid].mean()), float((values[valid] * km2[valid]).sum())


def summarise_zones(
    features: Sequence[bytes],
    crs_wkt: str,
    lcz: str | Path,
    *,
    hse: str | Path | None = None,
    uncertainty: str | Path | None = None,
    layer: str = "polygon layer",
    feedback: RunFeedback = NO_FEEDBACK,
) -> tuple[list[ZoneSummary | None], list[str]]:
    """One summary per polygon (None for an empty geometry: a skipped feature), and the notes for the user.

    features: polygon WKB in the CRS given by crs_wkt (repaired beforehand: core.input_kinds.check_polygons).
    """
    if not any(features):
        raise EngineError(tr("The layer {layer} holds no polygon to summarise.", layer=layer))
    check_lcz_map(lcz, "map")
    if hse is not None:
        check_density_map(hse, "HSE map")
    lcz_raster = _Raster(lcz, "LCZ", crs_wkt)
    hse_raster = _Raster(hse, "HSE", crs_wkt) if hse else None
    unc_raster = _Raster(uncertainty, "uncertainty", crs_wkt) if uncertainty else None
    srs = spatial_reference(crs_wkt) or lcz_raster.srs
    summaries: list[ZoneSummary | None] = []
    geometries: list[ogr.Geometry | None] = []
    for index, wkb in enumerate(features):
        if feedback.cancelled():
            raise CancelledError(tr("The run was cancelled; no output was written."))
        geometry = ogr.CreateGeometryFromWkb(wkb) if wkb else None
        geometries.append(geometry)
        if geometry is None:
            summaries.append(None)
            continue
        area = ground_area_km2(geometry, srs)
        cells, valid_km2, shares, dominant = _lcz_part(lcz_raster, geometry)
        hse_mean, built = _density_part(hse_raster, geometry)
        unc_mean, _ = _density_part(unc_raster, geometry)
        summaries.append(ZoneSummary(area, min(1.0, valid_km2 / area) if area > 0 else None, cells, shares, dominant,
                                     hse_mean, built, unc_mean))
        feedback.report((index + 1) / len(features))
    if not any(s is not None and s.lcz_cells for s in summaries):
        raise EngineError(tr(
            "None of the {count} polygon(s) of {layer} holds an LCZ cell with data: the polygons and the map do not "
            "overlap. Check that they cover the same place and that the layer's CRS is right.",
            count=sum(s is not None for s in summaries), layer=layer))
    return summaries, _notes(summaries, geometries, lcz_raster, layer)


def _notes(summaries: list[ZoneSummary | None], geometries: list[ogr.Geometry | None], lcz: _Raster,
           layer: str) -> list[str]:
    """Polygons outside the map, partly outside (or over nodata), overlapping: counted and named."""
    notes = []
    empty = [i + 1 for i, s in enumerate(summaries) if s is not None and s.lcz_cells == 0]
    partial = [i + 1 for i, s in enumerate(summaries)
               if s is not None and s.lcz_cells and s.valid_frac is not None and s.valid_frac < 0.95]
    if empty:
        notes.append(tr("{count} polygon(s) of {layer} hold no LCZ cell with data (outside the map, over its nodata, "
                        "or smaller than a cell, whose centre must lie in the polygon): their fields are empty. "
                        "Features: {numbers}.", count=len(empty), layer=layer, numbers=_numbers(empty)))
    if partial:
        notes.append(tr("{count} polygon(s) of {layer} lie partly outside the map or over its nodata (valid_frac below "
                        "0.95): their shares and means cover only the part with data. Features: {numbers}.",
                        count=len(partial), layer=layer, numbers=_numbers(partial)))
    overlapping = _overlapping(geometries)
    if overlapping:
        notes.append(tr("{count} polygon(s) of {layer} overlap others: each is summarised in full, so cells in the "
                        "overlaps count in every polygon that holds them. Features: {numbers}.",
                        count=len(overlapping), layer=layer, numbers=_numbers(overlapping)))
    return notes


def _overlapping(geometries: list[ogr.Geometry | None]) -> list[int]:
    """1-based numbers of polygons whose interiors overlap another's (touching edges do not count)."""
    boxes = [(i, g.GetEnvelope()) for i, g in enumerate(geometries) if g is not None]
    boxes.sort(key=lambda item: item[1][0])
    found: set[int] = set()
    for a, (i, box_i) in enumerate(boxes):
        for j, box_j in boxes[a + 1:]:
            if box_j[0] >= box_i[1]:
                break
            if box_j[2] >= box_i[3] or box_i[2] >= box_j[3]:
                continue
            gi, gj = geometries[i], geometries[j]
            if gi.Intersects(gj) and not gi.Touches(gj) and gi.Intersection(gj).GetArea() > 0:
                found.update((i + 1, j + 1))
    return sorted(found)


def _numbers(indices: list[int]) -> str:
    return f"{', '.join(map(str, indices[:10]))}{' ...' if len(indices) > 10 else ''}"


def zones_csv(names: Sequence[str], rows: Sequence[Sequence[object]], summaries: Sequence[ZoneSummary | None]) -> str:
    """The CSV text: the polygon's number (`feature`: 1, 2 ... in the layer's order, as the notes count them), its
    own fields, then FIELDS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["feature", *names, *(name for name, _kind in FIELDS)])
    for index, (row, summary) in enumerate(zip(rows, summaries, strict=True), start=1):
        values = summary.values() if summary is not None else [None] * len(FIELDS)
        writer.writerow([index, *("" if v is None else v for v in row), *("" if v is None else _csv_number(v)
                                                                           for v in values)])
    return buffer.getvalue()


def _csv_number(value: object) -> object:
    return f"{value:.6g}" if isinstance(value, float) else value
