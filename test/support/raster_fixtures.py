"""Small north-up GeoTIFFs for tests that need real rasters on a known grid (one definition for all tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from core.bands import MODEL_BANDS
from support.data import HK_DATA

gdal.UseExceptions()

HK_2016 = HK_DATA / "hongkong_S2L1C_20160927_10band_10m.tif"
HK_2018 = HK_DATA / "hongkong_S2L1C_20180323_10band_10m.tif"
#: The shared scenes carry no band names; their bands are in this order (their .bands.txt).
HK_BANDS = ",".join(MODEL_BANDS)

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


def __getattr__(name: str):
    """HK_SAMPLE_TO_LCZ: the Hong Kong expert sample rasters' own codes -> LCZ codes, defined once in
    training.distill.evaluate_heldout (imported lazily: most tests need no training code)."""
    if name == "HK_SAMPLE_TO_LCZ":
        from training.distill.evaluate_heldout import HK_SAMPLE_CODES

        return HK_SAMPLE_CODES
    raise AttributeError(name)


def polygonise_classes(path: Path | str, name: str = "training areas", recode: dict[int, int] | None = None):
    """A class raster (0 / nodata = none) as core.assessment.PolygonReference: one polygon per connected patch."""
    from osgeo import ogr

    from core.assessment import PolygonReference

    dataset = gdal.Open(str(path))
    band = dataset.GetRasterBand(1)
    memory = ogr.GetDriverByName("Memory").CreateDataSource("")
    srs = dataset.GetSpatialRef()
    layer = memory.CreateLayer("areas", srs=srs, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("lcz", ogr.OFTInteger))
    gdal.Polygonize(band, band.GetMaskBand(), layer, 0)
    features = [(bytes(f.GetGeometryRef().ExportToWkb()), (recode or {}).get(f.GetField("lcz"), f.GetField("lcz")))
                for f in layer if f.GetField("lcz")]
    return PolygonReference(features, srs.ExportToWkt(), name, "lcz")


def square(x0: float, y0: float, size: float) -> bytes:
    """A square polygon (WKB) with its upper-left corner at (x0, y0)."""
    from osgeo import ogr

    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x0 + size, y0), (x0 + size, y0 - size), (x0, y0 - size), (x0, y0)):
        ring.AddPoint_2D(x, y)
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(ring)
    return bytes(polygon.ExportToWkb())


def write_polygons(path: Path, reference) -> Path:
    """A PolygonReference as a GeoPackage layer with its class field (what a user digitises in QGIS)."""
    from osgeo import ogr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(reference.crs_wkt)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = source.CreateLayer("training_areas", srs=srs, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn(reference.field_name, ogr.OFTString))
    for wkb, value in reference.features:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField(reference.field_name, str(value))
        feature.SetGeometry(ogr.CreateGeometryFromWkb(wkb))
        layer.CreateFeature(feature)
    source = None
    return path


def copy_raster(path: Path | str, target: Path, values: np.ndarray | None = None, nodata: float | None = "same",
          dtype: int | None = None) -> Path:
    """A GeoTIFF on the grid of `path`, with `values` (default: its own) and a nodata value (None: unset)."""
    source = gdal.Open(str(path))
    band = source.GetRasterBand(1)
    values = band.ReadAsArray() if values is None else values
    out = gdal.GetDriverByName("GTiff").Create(str(target), source.RasterXSize, source.RasterYSize, 1,
                                               dtype if dtype is not None else band.DataType)
    out.SetGeoTransform(source.GetGeoTransform())
    out.SetProjection(source.GetProjection())
    out.GetRasterBand(1).WriteArray(values)
    nodata = band.GetNoDataValue() if nodata == "same" else nodata
    if nodata is not None:
        out.GetRasterBand(1).SetNoDataValue(nodata)
    out = None
    return target


def polygons_of(raster: Path, target: Path, srs_epsg: int | None = None, as_text: bool = False) -> Path:
    """The labelled pixels of a class raster as polygons (GDAL polygonize), in a GeoPackage, optionally reprojected."""
    source = gdal.Open(str(raster))
    band = source.GetRasterBand(1)
    memory = ogr.GetDriverByName("Memory").CreateDataSource("")
    srs = osr.SpatialReference(wkt=source.GetProjection())
    layer = memory.CreateLayer("p", srs=srs, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    gdal.Polygonize(band, band.GetMaskBand(), layer, 0)
    out_srs = srs
    if srs_epsg:
        out_srs = osr.SpatialReference()
        out_srs.ImportFromEPSG(srs_epsg)
    out_srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(srs, out_srs) if srs_epsg else None
    gpkg = ogr.GetDriverByName("GPKG").CreateDataSource(str(target))
    out = gpkg.CreateLayer("reference", srs=out_srs, geom_type=ogr.wkbPolygon)
    out.CreateField(ogr.FieldDefn("lcz", ogr.OFTString if as_text else ogr.OFTInteger))
    for feature in layer:
        geometry = feature.GetGeometryRef().Clone()
        if transform:
            geometry.Transform(transform)
        new = ogr.Feature(out.GetLayerDefn())
        code = feature.GetField("code")
        new.SetField("lcz", f"LCZ {code}" if as_text else code)
        new.SetGeometry(geometry)
        out.CreateFeature(new)
    gpkg = None
    return target
