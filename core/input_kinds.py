"""Is an input of the kind the algorithm expects? Polygons for areas, class codes for an LCZ map, densities for HSE.

Before (issue 19, item 7): seven points given as training areas became seven training cells, points as reference
polygons were scored, self-intersecting polygons were rasterised as they were (a "bow tie" has an area of 0 and
burns a shape nobody drew), an HSE map assessed as an LCZ map and an LCZ map assessed as densities both gave scores,
all without a word. Here:
- check_polygons: points or lines instead of polygons are refused, naming the layer (and skipped, counted, among
  polygons); invalid polygons are repaired (OGR MakeValid, polygonal parts kept) or, when nothing of them is left,
  skipped; the notes say how many;
- raster_kind: what a raster holds, from the plugin's own product metadata, from class names, or from fractional
  values; the assessments refuse a map whose kind is certain and is not theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal, ogr

from .errors import EngineError
from .i18n import tr
from .products import META_CLASS_PREFIX, META_PRODUCT, PRODUCTS

gdal.UseExceptions()

_POLYGONAL = {ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbCurvePolygon, ogr.wkbMultiSurface}
_POINTS = {ogr.wkbPoint, ogr.wkbMultiPoint}
_LINES = {ogr.wkbLineString, ogr.wkbMultiLineString, ogr.wkbCircularString, ogr.wkbCompoundCurve,
          ogr.wkbMultiCurve}


def _flat(geometry: ogr.Geometry) -> int:
    return ogr.GT_Flatten(geometry.GetGeometryType())


def _polygonal_part(geometry: ogr.Geometry) -> ogr.Geometry | None:
    """The polygons of a geometry (of a collection: its polygonal members, as one multipolygon); None if none."""
    kind = _flat(geometry)
    if kind in _POLYGONAL:
        return geometry if not geometry.IsEmpty() and geometry.GetArea() > 0 else None
    if kind == ogr.wkbGeometryCollection:
        parts = ogr.Geometry(ogr.wkbMultiPolygon)
        for index in range(geometry.GetGeometryCount()):
            member = _polygonal_part(geometry.GetGeometryRef(index))
            if member is None:
                continue
            if _flat(member) == ogr.wkbMultiPolygon:
                for sub in range(member.GetGeometryCount()):
                    parts.AddGeometry(member.GetGeometryRef(sub))
            else:
                parts.AddGeometry(member)
        return parts if parts.GetGeometryCount() and parts.GetArea() > 0 else None
    return None


def check_polygons(features: Sequence[tuple[bytes, Any]], layer: str,
                   what: str) -> tuple[list[tuple[bytes, Any]], list[str]]:
    """(features with repaired geometries, notes) for polygons that must be areas: `what` is e.g. "training areas".

    Features keep their places (a skipped one gets an empty geometry, which the callers skip), so that polygon
    numbers in later messages stay those of the layer. Raises EngineError when the layer holds no polygon at all.
    """
    kept: list[tuple[bytes, Any]] = []
    points = lines = repaired = skipped = polygons = 0
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # GEOS's "Self-intersection at or near point ..." per geometry
    try:
        for wkb, value in features:
            if not wkb:
                kept.append((wkb, value))
                continue
            geometry = ogr.CreateGeometryFromWkb(wkb)
            kind = _flat(geometry)
            if kind in _POINTS or kind in _LINES:
                points += kind in _POINTS
                lines += kind in _LINES
                kept.append((b"", value))
                continue
            polygons += 1
            if geometry.IsValid():
                part = _polygonal_part(geometry)
                kept.append((wkb if part is geometry else (bytes(part.ExportToWkb()) if part else b""), value))
                skipped += part is None
                continue
            made = geometry.MakeValid()
            part = _polygonal_part(made) if made is not None else None
            if part is None:
                skipped += 1
                kept.append((b"", value))
            else:
                repaired += 1
                kept.append((bytes(part.ExportToWkb()), value))
    finally:
        gdal.PopErrorHandler()
    found = ", ".join(f"{n} {kind}" for n, kind in ((points, "points"), (lines, "lines")) if n)
    if not polygons and found:
        raise EngineError(
            f"The layer {layer} holds {found}, not polygons: {what} must be polygons (areas). Digitise polygons, or "
            "turn the points into areas first (e.g. Vector > Geoprocessing Tools > Buffer) that span several 100 m "
            "cells."
        )
    notes = []  # warnings: translated (core.i18n), as the engine's are
    if found:
        notes.append(tr("The layer {layer} holds {found} besides its polygons: {what} must be polygons, so they were "
                        "skipped.", layer=layer, found=found, what=what))
    if repaired or skipped:
        notes.append(tr(
            "{invalid} polygon(s) of {layer} were invalid (self-intersecting, or with no area): {repaired} repaired "
            "(made valid), {skipped} skipped (nothing of them was left). Check them in QGIS (Vector > Geometry Tools > "
            "Check Validity).", invalid=repaired + skipped, layer=layer, repaired=repaired, skipped=skipped))
    return kept, notes


_PRODUCT_KINDS = {spec.title: ("lcz" if spec.key in ("lcz", "lcz_filtered")
                               else "density" if spec.key == "hse" else spec.key)
                  for spec in PRODUCTS}
#: Pixels read to tell fractional values from class codes (a decimated read: the whole extent, quickly).
_SAMPLE_SIDE = 256


def raster_kind(path: str | Path) -> tuple[str | None, str]:
    """("lcz" | "density" | another product key | None when unknown, the evidence in words) of a raster's band 1."""
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError:
        return None, ""
    if dataset is None:
        return None, ""
    band = dataset.GetRasterBand(1)
    product = (dataset.GetMetadataItem(META_PRODUCT) or "").strip()
    if product in _PRODUCT_KINDS:
        return _PRODUCT_KINDS[product], f"its metadata says it is '{product}' (written by this plugin)"
    metadata = band.GetMetadata() or {}
    if any(key.startswith(META_CLASS_PREFIX) for key in metadata):
        return "lcz", "it carries the LCZ class names of this plugin"
    floating = gdal.GetDataTypeName(band.DataType).startswith("Float")
    names = [name for name in (band.GetCategoryNames() or []) if name]
    if len(names) >= 2 and not floating:
        return "classes", f"it holds named classes ({', '.join(names[:3])}, ...)"
    if floating:
        width = min(dataset.RasterXSize, _SAMPLE_SIDE)
        height = min(dataset.RasterYSize, _SAMPLE_SIDE)
        values = band.ReadAsArray(buf_xsize=width, buf_ysize=height).astype(np.float64)
        nodata = band.GetNoDataValue()
        valid = np.isfinite(values) & ((values != nodata) if nodata is not None else True)
        sample = values[valid]
        if sample.size:
            fractional = float(np.mean(sample != np.round(sample)))
            if fractional > 0.01:
                example = sample[sample != np.round(sample)][0]
                return "density", (f"{fractional:.0%} of its sampled values are fractions (e.g. {example:.3g}), as in "
                                   "a density, not class codes")
    return None, ""


def _name(path: str | Path) -> str:
    return Path(str(path)).name


def check_lcz_map(path: str | Path, role: str) -> None:
    """Refuse a raster that is certainly not a map of LCZ class codes (role: "map" or "reference")."""
    kind, evidence = raster_kind(path)
    if kind in (None, "lcz", "classes", "dates"):
        return
    advice = ("To score a settlement density map, use 'Assess a settlement density map' (hselcz:assess_hse)."
              if kind in ("density", "change") else "Give the plugin's LCZ map (OUTPUT_LCZ) instead.")
    raise EngineError(f"The {role} {_name(path)} is not an LCZ map of class codes 1-17: {evidence}. {advice}")


def check_density_map(path: str | Path, role: str) -> None:
    """Refuse a raster that is certainly a class map, not densities (role: "map" or "reference")."""
    kind, evidence = raster_kind(path)
    if kind in ("lcz", "classes", "probabilities", "uncertainty", "dates", "new_built"):
        advice = ("To score an LCZ map, use 'Assess a local climate zone map' (hselcz:assess_lcz)."
                  if kind in ("lcz", "classes") else "Give a settlement density map (the plugin's OUTPUT_HSE).")
        raise EngineError(f"The {role} {_name(path)} is not a settlement density map (fraction or percent): "
                          f"{evidence}. {advice}")
