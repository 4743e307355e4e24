"""Polygons for the district-summary tests (core/test_zonal.py, qgis/test_qgis_district_summary.py): rectangles on
the cell edges of an LCZ raster and a self-intersecting bow tie, given in WGS 84 so that every test also crosses a
CRS; and a raster band read with its nodata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()


def wgs84() -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def cell_box(lcz: Path, c0: float, r0: float, c1: float, r1: float) -> ogr.Geometry:
    """A rectangle from LCZ cell column c0 / row r0 to c1 / r1 (cell edges), in WGS 84 (densified: straight in UTM)."""
    dataset = gdal.Open(str(lcz))
    gt = dataset.GetGeoTransform()
    utm = osr.SpatialReference(wkt=dataset.GetProjection())
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for c, r in ((c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0)):
        ring.AddPoint_2D(gt[0] + c * gt[1], gt[3] + r * gt[5])
    box = ogr.Geometry(ogr.wkbPolygon)
    box.AddGeometry(ring)
    box.Segmentize(20)
    box.Transform(osr.CoordinateTransformation(utm, wgs84()))
    return box


def bowtie(lcz: Path) -> ogr.Geometry:
    """A self-intersecting 'bow tie' over cells 2..8: invalid; made valid it is two triangles."""
    box = cell_box(lcz, 2, 2, 8, 8)  # kept: its ring is a reference into it
    ring = box.GetGeometryRef(0)
    points = [ring.GetPoint_2D(i) for i in range(ring.GetPointCount())]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    crossed = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((min(xs), max(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), min(ys)), (min(xs), max(ys))):
        crossed.AddPoint_2D(x, y)
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(crossed)
    return polygon


def read_band(path: Path) -> tuple[np.ndarray, float | None]:
    dataset = gdal.Open(str(path))  # kept while its band is read (a band outliving its dataset crashes GDAL)
    band = dataset.GetRasterBand(1)
    return band.ReadAsArray().astype(np.float64), band.GetNoDataValue()
