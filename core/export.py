"""An LCZ map in the layouts the next tools read: UMEP's LCZ converter, w2w (WRF), and a KMZ for Google Earth.

- UMEP (LCZ Converter, UMEP-dev/UMEP LCZ_Converter/LCZ_fractions.py): built types 1-10 as they are, the natural
  types A-G as 101-107; values below 1 are not counted (no data 0). Same grid as the input.
- w2w (matthiasdemuzere/w2w, w2w.py `_get_lcz_band`, `check_lcz_integrity`): codes 1-17 in EPSG:4326 (w2w
  reprojects other CRSs itself, but with its own default resampling); a map whose band descriptions contain
  "lczFilter" is read from its second band (index 1), as the LCZ Generator's GeoTIFFs ("lcz", "lczFilter") are.
  So: band 1 "lcz" (raw), band 2 "lczFilter" (filtered) when given; nearest neighbour; no data 0.
- KMZ: one GroundOverlay per map (PNG in the LCZ colours, EPSG:4326, no data transparent), the 17 classes with
  their colours as a legend in the places panel, and a legend image on screen when the caller draws one (the
  plugin draws it with Qt: core has no font renderer).

Nothing is half-written: every output goes to a hidden temporary file beside its target and all are renamed into
place together at the end; a failure removes the temporaries and puts back what the targets held before.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from osgeo import gdal, osr

from .errors import EngineError
from .i18n import tr
from .input_kinds import check_lcz_map
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES, LCZ_NODATA
from .options import NO_FEEDBACK, RunFeedback
from .products import GTIFF_OPTIONS, META_PRODUCT
from .publish import rename_files_together
from .writer import check_destination, remove_empty_folders, storage_error

gdal.UseExceptions()

#: LCZ code -> UMEP code: 1-10 stay, 11-17 (A-G) become 101-107.
UMEP_CODE = {code: code if code <= 10 else code + 90 for code in range(1, LCZ_CLASS_COUNT + 1)}
#: Band descriptions of the w2w GeoTIFF: w2w picks the band named "lczFilter" (the LCZ Generator's names).
W2W_BANDS = ("lcz", "lczFilter")
TIFF_SUFFIXES = (".tif", ".tiff")
KMZ_SUFFIXES = (".kmz",)
_BLOCK_ROWS = 512


@dataclass
class ExportPaths:
    """Where to write each layout; None = not wanted."""

    umep: str | None = None
    w2w: str | None = None
    kmz: str | None = None

    def requested(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class LczRaster:
    """An opened, checked LCZ map: its grid and its no-data value."""

    path: str
    width: int
    height: int
    geotransform: tuple[float, ...]
    projection: str
    nodata: float | None
    codes: frozenset[int]


def _scan_codes(band: gdal.Band, nodata: float | None) -> tuple[set[int], set[float]]:
    """(class codes found, other values found) of a band, read in blocks of rows."""
    codes: set[int] = set()
    others: set[float] = set()
    for top in range(0, band.YSize, _BLOCK_ROWS):
        values = band.ReadAsArray(0, top, band.XSize, min(_BLOCK_ROWS, band.YSize - top))
        if nodata is not None:
            values = values[values != nodata]
        found = np.unique(values)
        ok = np.isin(found, np.arange(LCZ_CLASS_COUNT + 1))
        codes.update(int(v) for v in found[ok] if v != LCZ_NODATA)
        others.update(float(v) for v in found[~ok][:10])
    return codes, others


def open_lcz(path: str, role: str) -> LczRaster:
    """Open and check an LCZ map of codes 1-17; EngineError saying what is wrong and what to do otherwise."""
    name = Path(path.split("|")[0]).name
    try:
        dataset = gdal.Open(path)
    except RuntimeError as exc:
        raise EngineError(f"The {role} {name} cannot be read as a raster: {exc}.") from exc
    check_lcz_map(path, role)
    band = dataset.GetRasterBand(1)
    if not dataset.GetProjection():
        raise EngineError(f"The {role} {name} has no coordinate reference system; assign one (Raster > Projections > "
                          "Assign Projection) and export again.")
    nodata = band.GetNoDataValue()
    codes, others = _scan_codes(band, nodata)
    if others:
        shown = ", ".join(f"{v:g}" for v in sorted(others)[:6])
        hint = (" It looks coded for UMEP already (natural classes 101-107)." if others & set(range(101, 108)) else "")
        raise EngineError(f"The {role} {name} holds values that are not LCZ codes 1-17 ({shown}).{hint} Give an LCZ "
                          "map of codes 1-17 with 0 (or its no-data value) outside, e.g. the plugin's OUTPUT_LCZ.")
    if not codes:
        raise EngineError(f"The {role} {name} holds no LCZ cell (only no data): nothing to export.")
    return LczRaster(path, dataset.RasterXSize, dataset.RasterYSize, tuple(dataset.GetGeoTransform()),
                     dataset.GetProjection(), nodata, frozenset(codes))


def _same_grid(raw: LczRaster, filtered: LczRaster) -> None:
    raw_srs, filtered_srs = osr.SpatialReference(wkt=raw.projection), osr.SpatialReference(wkt=filtered.projection)
    if not raw_srs.IsSame(filtered_srs):
        raise EngineError(f"The filtered LCZ map {Path(filtered.path).name} is in another CRS than the LCZ map "
                          f"{Path(raw.path).name}: give the two maps of one run (OUTPUT_LCZ and OUTPUT_LCZ_FILTERED).")
    if (raw.width, raw.height) != (filtered.width, filtered.height) or not np.allclose(
            raw.geotransform, filtered.geotransform):
        raise EngineError(f"The filtered LCZ map {Path(filtered.path).name} does not lie on the grid of the LCZ map "
                          f"{Path(raw.path).name} ({filtered.width} x {filtered.height} vs {raw.width} x {raw.height} "
                          "cells): give the two maps of one run.")


def _temporary(target: Path) -> Path:
    return target.parent / f".{target.stem}.{uuid.uuid4().hex[:8]}.partial{target.suffix}"


def _write_umep(source: LczRaster, temporary: Path) -> None:
    """The map recoded for UMEP on its own grid, streamed in blocks of rows."""
    lookup = np.zeros(256, dtype=np.uint8)
    for code, umep in UMEP_CODE.items():
        lookup[code] = umep
    dataset_in = gdal.Open(source.path)
    band_in = dataset_in.GetRasterBand(1)
    out = gdal.GetDriverByName("GTiff").Create(str(temporary), source.width, source.height, 1, gdal.GDT_Byte,
                                               options=GTIFF_OPTIONS + ["PREDICTOR=2"])
    out.SetGeoTransform(source.geotransform)
    out.SetProjection(source.projection)
    band = out.GetRasterBand(1)
    band.SetNoDataValue(LCZ_NODATA)
    band.SetDescription("LCZ, UMEP coding (1-10 built, 101-107 natural A-G)")
    table = gdal.ColorTable()
    for lcz in LCZ_CLASSES:
        table.SetColorEntry(UMEP_CODE[lcz.code], (*lcz.rgb, 255))
    band.SetRasterColorTable(table)
    out.SetMetadataItem(META_PRODUCT, "Local climate zones coded for UMEP (1-10, 101-107), 100 m")
    for top in range(0, source.height, _BLOCK_ROWS):
        values = band_in.ReadAsArray(0, top, source.width, min(_BLOCK_ROWS, source.height - top))
        codes = np.where((values >= 1) & (values <= LCZ_CLASS_COUNT), values, 0).astype(np.int64)
        if source.nodata is not None:
            codes[values == source.nodata] = 0
        band.WriteArray(lookup[codes], 0, top)
    out.FlushCache()
    out = None


def _stack(raw: LczRaster, filtered: LczRaster | None) -> str:
    """A /vsimem/ VRT of the raw map and (as band 2) the filtered one, for one warp."""
    name = f"/vsimem/hselcz-export-{uuid.uuid4().hex}.vrt"
    sources = [raw.path] + ([filtered.path] if filtered else [])
    gdal.BuildVRT(name, sources, separate=True, srcNodata=raw.nodata if raw.nodata is not None else LCZ_NODATA,
                  VRTNodata=LCZ_NODATA)
    return name


def _warp_4326(raw: LczRaster, filtered: LczRaster | None, destination: str, fmt: str,
               options: list[str]) -> gdal.Dataset:
    stack = _stack(raw, filtered)
    try:
        return gdal.Warp(destination, stack, format=fmt, dstSRS="EPSG:4326", resampleAlg="near", dstNodata=LCZ_NODATA,
                         outputType=gdal.GDT_Byte, creationOptions=options, multithread=False)
    finally:
        gdal.Unlink(stack)


def _write_w2w(raw: LczRaster, filtered: LczRaster | None, temporary: Path) -> None:
    out = _warp_4326(raw, filtered, str(temporary), "GTiff", GTIFF_OPTIONS + ["PREDICTOR=2"])
    for index in range(out.RasterCount):
        band = out.GetRasterBand(index + 1)
        band.SetDescription(W2W_BANDS[index])
        band.SetNoDataValue(LCZ_NODATA)
    out.SetMetadataItem(META_PRODUCT, "Local climate zones for w2w/WRF (EPSG:4326, codes 1-17; band 1 lcz, band 2 "
                        "lczFilter when given)")
    out.FlushCache()
    out = None


def _png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an (4, H, W) uint8 image, through GDAL's PNG driver."""
    memory = gdal.GetDriverByName("MEM").Create("", rgba.shape[2], rgba.shape[1], 4, gdal.GDT_Byte)
    for index in range(4):
        memory.GetRasterBand(index + 1).WriteArray(rgba[index])
    name = f"/vsimem/hselcz-{uuid.uuid4().hex}.png"
    gdal.GetDriverByName("PNG").CreateCopy(name, memory)
    try:
        handle = gdal.VSIFOpenL(name, "rb")
        gdal.VSIFSeekL(handle, 0, 2)
        size = gdal.VSIFTellL(handle)
        gdal.VSIFSeekL(handle, 0, 0)
        data = gdal.VSIFReadL(1, size, handle)
        gdal.VSIFCloseL(handle)
    finally:
        gdal.Unlink(name)
    return bytes(data)


def palette_rgba() -> np.ndarray:
    """(256, 4) uint8: the LCZ colours by code, transparent elsewhere (no data)."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    for lcz in LCZ_CLASSES:
        lut[lcz.code] = (*lcz.rgb, 255)
    return lut


def _overlay(source: LczRaster) -> tuple[bytes, tuple[float, float, float, float]]:
    """(PNG of the map in EPSG:4326 and the LCZ colours, (north, south, east, west))."""
    warped = _warp_4326(source, None, "", "MEM", [])
    codes = warped.GetRasterBand(1).ReadAsArray()
    gt, width, height = warped.GetGeoTransform(), warped.RasterXSize, warped.RasterYSize
    rgba = palette_rgba()[codes].transpose(2, 0, 1)
    return _png(np.ascontiguousarray(rgba)), (gt[3], gt[3] + height * gt[5], gt[0] + width * gt[1], gt[0])


def _swatch(rgb: tuple[int, int, int]) -> bytes:
    image = np.zeros((4, 16, 16), dtype=np.uint8)
    image[:3] = np.array(rgb, dtype=np.uint8)[:, None, None]
    image[3] = 255
    return _png(image)


def _kml(overlays: list[tuple[str, str, tuple[float, float, float, float], bool]], legend: bool) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">', "<Document>",
             "<name>Local climate zones</name>", "<open>1</open>"]
    for name, href, (north, south, east, west), visible in overlays:
        parts += [f"<GroundOverlay><name>{escape(name)}</name><visibility>{int(visible)}</visibility>",
                  f"<Icon><href>{href}</href></Icon>",
                  f"<LatLonBox><north>{north:.8f}</north><south>{south:.8f}</south><east>{east:.8f}</east>"
                  f"<west>{west:.8f}</west></LatLonBox></GroundOverlay>"]
    parts.append("<Folder><name>Legend (Stewart &amp; Oke 2012)</name><open>1</open>")
    for lcz in LCZ_CLASSES:
        parts.append(f"<Folder><name>{escape(lcz.legend_text)}</name><Style><ListStyle><ItemIcon>"
                     f"<href>legend/lcz_{lcz.code:02d}.png</href></ItemIcon></ListStyle></Style></Folder>")
    parts.append("</Folder>")
    if legend:
        parts.append('<ScreenOverlay><name>Legend</name><Icon><href>legend.png</href></Icon>'
                     '<overlayXY x="0" y="1" xunits="fraction" yunits="fraction"/>'
                     '<screenXY x="0.01" y="0.98" xunits="fraction" yunits="fraction"/>'
                     '<size x="0" y="0" xunits="pixels" yunits="pixels"/></ScreenOverlay>')
    parts += ["</Document>", "</kml>"]
    return "\n".join(parts)


def _write_kmz(raw: LczRaster, filtered: LczRaster | None, temporary: Path, legend_png: bytes | None) -> None:
    maps = [("Local climate zones (filtered)", "lcz_filtered.png", filtered)] if filtered else []
    maps.append(("Local climate zones", "lcz.png", raw))
    images: dict[str, bytes] = {}
    overlays = []
    for index, (name, href, source) in enumerate(maps):
        images[href], box = _overlay(source)
        overlays.append((name, href, box, index == 0))
    for lcz in LCZ_CLASSES:
        images[f"legend/lcz_{lcz.code:02d}.png"] = _swatch(lcz.rgb)
    if legend_png:
        images["legend.png"] = legend_png
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", _kml(overlays, bool(legend_png)))  # first: the root document of a KMZ
        for name, data in images.items():
            archive.writestr(name, data)


def export_lcz(lcz: str, outputs: ExportPaths, feedback: RunFeedback = NO_FEEDBACK, *, filtered: str | None = None,
               legend_png: bytes | None = None) -> dict[str, str]:
    """Write the requested layouts of an LCZ map (and of its filtered map, when given); the files written by key.

    `feedback` (core.options): its log gets a line per file written, its cancellation is asked before each file."""
    requested = outputs.requested()
    if not requested:
        raise EngineError("No export was requested: give at least one of the UMEP, w2w or KMZ outputs.")
    inputs = [p for p in (lcz, filtered) if p]
    created: list[Path] = []
    temporaries: dict[str, tuple[Path, Path]] = {}
    try:
        targets = {key: check_destination(path, inputs, created,
                                          suffixes=KMZ_SUFFIXES if key == "kmz" else TIFF_SUFFIXES,
                                          what=f"the {key.upper()} output")
                   for key, path in requested.items()}
        if len(set(targets.values())) < len(targets):
            raise EngineError("Two exports point at the same file; give each its own file name.")
        raw = open_lcz(lcz, "LCZ map")
        smooth = open_lcz(filtered, "filtered LCZ map") if filtered else None
        if smooth:
            _same_grid(raw, smooth)
        writers = {"umep": lambda t: _write_umep(raw, t), "w2w": lambda t: _write_w2w(raw, smooth, t),
                   "kmz": lambda t: _write_kmz(raw, smooth, t, legend_png)}
        for key, target in targets.items():
            if feedback.cancelled():
                raise EngineError("The export was cancelled; no file was written.")
            temporaries[key] = (_temporary(target), target)
            try:
                writers[key](temporaries[key][0])
            except (RuntimeError, OSError) as exc:
                raise storage_error(target.parent, exc, f"the output {target.name}") from exc
        rename_files_together(temporaries.values())
        written = {key: str(target) for key, (_temporary, target) in temporaries.items()}
    except BaseException:
        for temporary, _target in temporaries.values():
            for leftover in (temporary, Path(f"{temporary}.aux.xml")):
                leftover.unlink(missing_ok=True)
        remove_empty_folders(created)
        raise
    for key, path in written.items():
        feedback.say(_written_line(key, path))
    return written


def _written_line(key: str, path: str) -> str:
    if key == "umep":
        return tr("Written for UMEP (LCZ 1-10, natural classes A-G as 101-107, no data 0): {path}", path=path)
    if key == "w2w":
        return tr("Written for w2w/WRF (EPSG:4326, codes 1-17, band 1 'lcz', band 2 'lczFilter' when a filtered map "
                  "was given, no data 0): {path}", path=path)
    return tr("Written as KMZ (LCZ colours, EPSG:4326, legend): {path}", path=path)
