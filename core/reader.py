"""Reading the user's Sentinel-2 input onto the working grid: identified bands, 10 m, projected, in DN.

The working grid is what every later step sees: the bands the model asks for, in its order, on a 10 m
grid in a projected CRS (the input's own grid when it already is one, else warped: geographic input goes
to its UTM zone), as float32 "digital numbers" (reflectance x 10000, processing-baseline offset removed,
float reflectance 0..1 scaled up). It is a GDAL VRT, so nothing is held in memory but the rows being read.
"""

from __future__ import annotations

import functools
import math
import os
import re
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, osr

from .bands import BandSlot, band_from_metadata, canonical_band_name, parse_band_mapping
from .contract import DN_PER_REFLECTANCE
from .errors import EngineError

gdal.UseExceptions()

#: Processing baseline 04.00 (January 2022) added this offset to Sentinel-2 digital numbers.
BASELINE_04_OFFSET = -1000.0
_FLOAT_REFLECTANCE_LIMIT = 2.0  # a float raster whose bright pixels stay below this holds reflectance 0..1
_GSD_TOLERANCE = 0.01


@dataclass
class Radiometry:
    """DN_model = (raw * scale) + offset, per band: turns the user's numbers into reflectance x 10000."""

    scale: float = 1.0
    offset: float = 0.0
    why: str = ""


@dataclass
class Scene:
    """The input on the working grid, ready to be read window by window."""

    dataset: gdal.Dataset
    band_names: tuple[str, ...]
    slots: tuple[BandSlot, ...]
    radiometry: tuple[Radiometry, ...]
    nodata: tuple[float | None, ...]
    processing_level: str | None  # "L1C", "L2A" or None when unknown
    #: True: a 0 in any band is no data (Sentinel-2 reserves 0 per band; also what the warp and a stack of
    #: files with different extents write where a band has nothing). False (float rasters read as they are):
    #: only 0 in every band, since a float reflectance of exactly 0 can be real.
    zero_in_any_band_is_nodata: bool = True
    notes: list[str] = field(default_factory=list)
    _keep: list = field(default_factory=list, repr=False)
    _vsimem: list[str] = field(default_factory=list, repr=False)

    @property
    def width(self) -> int:
        return self.dataset.RasterXSize

    @property
    def height(self) -> int:
        return self.dataset.RasterYSize

    @property
    def geotransform(self) -> tuple[float, ...]:
        return tuple(self.dataset.GetGeoTransform())

    @property
    def projection(self) -> str:
        return self.dataset.GetProjection()

    def read(self, x: int, y: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows/columns inside the scene as (float32 C x h x w in DN, valid mask h x w)."""
        raw = self.dataset.ReadAsArray(x, y, width, height)
        raw = raw.reshape(len(self.band_names), height, width)
        zeros = raw == 0
        valid = ~(np.any(zeros, axis=0) if self.zero_in_any_band_is_nodata else np.all(zeros, axis=0))
        if raw.dtype.kind == "f":
            valid &= np.all(np.isfinite(raw), axis=0)  # NaN (declared or not) is no data
        for index, nodata in enumerate(self.nodata):
            if nodata is not None and not math.isnan(nodata):
                valid &= raw[index] != nodata
        data = raw.astype(np.float32)  # always a new array: the radiometry below works in place
        for band, radiometry in zip(data, self.radiometry, strict=True):
            if radiometry.scale != 1.0 or radiometry.offset != 0.0:
                band *= np.float32(radiometry.scale)
                band += np.float32(radiometry.offset)
        data[:, ~valid] = 0.0
        return data, valid

    def close(self) -> None:
        self.dataset = None
        self._keep.clear()
        for path in self._vsimem:
            gdal.Unlink(path)
        self._vsimem.clear()


def _open(path: str) -> gdal.Dataset:
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError as exc:
        raise EngineError(f"GDAL cannot open {path}: {exc}") from exc
    if dataset is None:
        raise EngineError(f"GDAL cannot open {path}.")
    return dataset


def _expand_sources(sources: Sequence[str]) -> list[tuple[str, gdal.Dataset]]:
    """Datasets to look for bands in; a Sentinel-2 product (SAFE/MTD file) expands to its 10 m and 20 m parts."""
    opened: list[tuple[str, gdal.Dataset]] = []
    for source in sources:
        dataset = _open(source)
        subdatasets = dataset.GetSubDatasets()
        if dataset.RasterCount == 0 and subdatasets:
            wanted = [name for name, _ in subdatasets if re.search(r":(10|20)m:", name)] or [subdatasets[0][0]]
            for name in wanted:
                opened.append((name, _open(name)))
        elif dataset.RasterCount == 0:
            raise EngineError(f"{source} contains no raster bands.")
        else:
            opened.append((str(source), dataset))
    return opened


def _vrt_source_files(dataset: gdal.Dataset) -> dict[int, str]:
    """For a VRT built from separate band files (QGIS 'Build virtual raster', separate), each band's file."""
    if dataset.GetDriver().ShortName != "VRT":
        return {}
    xml = (dataset.GetMetadata("xml:VRT") or [""])[0]
    files: dict[int, str] = {}
    for match in re.finditer(r'<VRTRasterBand[^>]*band="(\d+)".*?</VRTRasterBand>', xml, re.S):
        names = re.findall(r"<SourceFilename[^>]*>([^<]+)</SourceFilename>", match.group(0))
        if len(set(names)) == 1:
            files[int(match.group(1))] = names[0]
    return files


def _identify(
    datasets: list[tuple[str, gdal.Dataset]], band_mapping: str | None
) -> tuple[dict[str, BandSlot], list[str]]:
    """Find every Sentinel-2 band we can, and describe each raster band for error messages."""
    slots: dict[str, BandSlot] = {}
    descriptions: list[str] = []
    total = sum(ds.RasterCount for _, ds in datasets)
    if band_mapping and band_mapping.strip():
        mapping = parse_band_mapping(band_mapping, total)
        flat = [(path, ds, i) for path, ds in datasets for i in range(1, ds.RasterCount + 1)]
        for name, position in mapping.items():
            path, _, index = flat[position - 1]
            slots[name] = BandSlot(name, path, index, "BANDS parameter")
        return slots, descriptions
    for path, dataset in datasets:
        vrt_files = _vrt_source_files(dataset)
        for index in range(1, dataset.RasterCount + 1):
            band = dataset.GetRasterBand(index)
            description = band.GetDescription()
            found, how = canonical_band_name(description), "description"
            if not found:
                found, how = band_from_metadata(band.GetMetadata()), "metadata"
            if not found and dataset.RasterCount == 1:
                found, how = canonical_band_name(os.path.basename(path)), "file name"
            if not found and index in vrt_files:
                found, how = canonical_band_name(os.path.basename(vrt_files[index])), "file name"
            label = f"{os.path.basename(path)} band {index}" + (f" ('{description}')" if description else "")
            descriptions.append(f"{label}: {found or 'not identified'}")
            if found and found not in slots:
                slots[found] = BandSlot(found, path, index, how)
    return slots, descriptions


def _processing_level(datasets: list[tuple[str, gdal.Dataset]]) -> str | None:
    for path, dataset in datasets:
        metadata = {k.upper(): str(v).upper() for k, v in (dataset.GetMetadata() or {}).items()}
        text = " ".join([metadata.get("PROCESSING_LEVEL", ""), metadata.get("PRODUCT_TYPE", ""), os.path.basename(path).upper()])
        if re.search(r"LEVEL-?1C|MSIL1C|S2MSI1C|(?<![A-Z0-9])L1C(?![A-Z0-9])", text):
            return "L1C"
        if re.search(r"LEVEL-?2A|MSIL2A|S2MSI2A|(?<![A-Z0-9])L2A(?![A-Z0-9])", text):
            return "L2A"
    return None


def _baseline_offset(dataset: gdal.Dataset, band: gdal.Band, name: str) -> tuple[float, str] | None:
    """The ADD_OFFSET of processing baseline 04.00+ (band metadata, product metadata per band, or the baseline)."""
    number = name[1:]
    band_keys = {f"_B{number}", f"_B{number.zfill(3 if number.endswith('A') else 2)}"}
    for key, value in (band.GetMetadata() or {}).items():
        if "ADD_OFFSET" in key.upper():
            try:
                return float(value), f"band metadata {key}={value}"
            except ValueError:
                continue
    product = dataset.GetMetadata() or {}
    for key, value in product.items():
        upper = key.upper()
        if "ADD_OFFSET" in upper and any(upper.endswith(suffix) for suffix in band_keys):
            try:
                return float(value), f"product metadata {key}={value}"
            except ValueError:
                continue
    baseline = product.get("PROCESSING_BASELINE")
    try:
        if baseline and float(baseline) >= 4.0:
            return BASELINE_04_OFFSET, f"processing baseline {baseline}"
    except ValueError:
        pass
    return None


def _sample_max(dataset: gdal.Dataset, index: int) -> float:
    """A robust bright value of one band from a decimated read (cheap on any raster size)."""
    band = dataset.GetRasterBand(index)
    xs, ys = min(band.XSize, 256), min(band.YSize, 256)
    values = band.ReadAsArray(0, 0, band.XSize, band.YSize, buf_xsize=xs, buf_ysize=ys).astype(np.float64)
    values = values[np.isfinite(values) & (values != 0)]
    nodata = band.GetNoDataValue()
    if nodata is not None:
        values = values[values != nodata]
    return float(np.percentile(values, 99)) if values.size else 0.0


def _radiometry(dataset: gdal.Dataset, slot: BandSlot) -> Radiometry:
    band = dataset.GetRasterBand(slot.index)
    scale, offset = band.GetScale(), band.GetOffset()
    if (scale not in (None, 1.0)) or (offset not in (None, 0.0)):
        scale, offset = scale or 1.0, offset or 0.0
        return Radiometry(scale * DN_PER_REFLECTANCE, offset * DN_PER_REFLECTANCE, f"band scale {scale} / offset {offset} to reflectance")
    baseline = _baseline_offset(dataset, band, slot.name)
    if baseline:
        return Radiometry(1.0, baseline[0], f"baseline offset {baseline[0]:+g} ({baseline[1]})")
    if gdal.GetDataTypeName(band.DataType).startswith("Float") and 0 < _sample_max(dataset, slot.index) < _FLOAT_REFLECTANCE_LIMIT:
        return Radiometry(DN_PER_REFLECTANCE, 0.0, "float reflectance 0..1 scaled to x10000")
    return Radiometry()


def _is_geographic(wkt: str) -> bool:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    return bool(srs.IsGeographic())


def _utm_epsg(dataset: gdal.Dataset) -> int:
    gt = dataset.GetGeoTransform()
    x = gt[0] + gt[1] * dataset.RasterXSize / 2 + gt[2] * dataset.RasterYSize / 2
    y = gt[3] + gt[4] * dataset.RasterXSize / 2 + gt[5] * dataset.RasterYSize / 2
    source = osr.SpatialReference()
    source.ImportFromWkt(dataset.GetProjection())
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    for srs in (source, wgs84):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(source, wgs84).TransformPoint(x, y)
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        raise EngineError(f"The scene centre ({lon:.3f}, {lat:.3f}) is outside the UTM zones; reproject it first.")
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def _release_input_on_error(function):
    """Clear the frames of a failing call's traceback, so no GDAL dataset of the input stays open through the
    exception (it would lock the file on Windows, and can crash QGIS when it is collected late)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            traceback.clear_frames(exc.__traceback__)
            raise

    return wrapper


@_release_input_on_error
def open_scene(
    sources: str | Sequence[str],
    required_bands: Sequence[str],
    *,
    band_mapping: str | None = None,
    gsd: float = 10.0,
    log: Callable[[str], None] | None = None,
) -> Scene:
    """Identify the required bands in the input and build the working grid (see the module docstring)."""
    say = log or (lambda message: None)
    source_list = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not source_list:
        raise EngineError("No input raster was given.")
    datasets = _expand_sources([str(s) for s in source_list])
    slots, descriptions = _identify(datasets, band_mapping)
    missing = [name for name in required_bands if name not in slots]
    if missing:
        found = "\n  ".join(descriptions) if descriptions else "(bands given by the BANDS parameter)"
        example = ",".join(required_bands)
        raise EngineError(
            f"The model needs the Sentinel-2 bands {', '.join(required_bands)}; the input lacks or does not name "
            f"{', '.join(missing)}.\nWhat was found:\n  {found}\n"
            "Name the bands with the BANDS parameter, either in raster band order (use - to skip a band), e.g. "
            f"'{example}', or as pairs such as 'B2=1,B3=2,B4=3'."
        )
    by_path = dict(datasets)
    chosen = [slots[name] for name in required_bands]
    for slot in chosen:
        say(f"{slot.name}: {os.path.basename(slot.source)} band {slot.index} (from its {slot.how})")
    radiometry = tuple(_radiometry(by_path[s.source], s) for s in chosen)
    notes = sorted({f"Radiometry: {r.why}" for r in radiometry if r.why})
    nodata = tuple(by_path[s.source].GetRasterBand(s.index).GetNoDataValue() for s in chosen)

    vsimem: list[str] = []
    token = uuid.uuid4().hex
    singles = []
    for slot in chosen:
        path = f"/vsimem/hselcz_{token}_{slot.name}.vrt"
        single = gdal.Translate(path, by_path[slot.source], format="VRT", bandList=[slot.index])
        if not single.GetProjection():
            raise EngineError(f"{slot.source} has no coordinate reference system; assign one in QGIS first.")
        singles.append(single)
        vsimem.append(path)
    projections = {_srs_key(s.GetProjection()) for s in singles}
    if len(projections) > 1:
        _unlink(vsimem)
        raise EngineError("The band files use different coordinate reference systems; reproject them to one first.")
    float_input = all(gdal.GetDataTypeName(s.GetRasterBand(1).DataType).startswith(("Float", "CFloat")) for s in singles)
    same_extent = len({(tuple(s.GetGeoTransform())[0], tuple(s.GetGeoTransform())[3],
                        s.RasterXSize * s.GetGeoTransform()[1], s.RasterYSize * s.GetGeoTransform()[5]) for s in singles}) == 1
    stack_path = f"/vsimem/hselcz_{token}_stack.vrt"
    stack = gdal.BuildVRT(stack_path, singles, separate=True, resolution="highest", resampleAlg="bilinear")
    vsimem.append(stack_path)
    for index, slot in enumerate(chosen, start=1):
        stack.GetRasterBand(index).SetDescription(slot.name)

    working = stack
    gt = stack.GetGeoTransform()
    if _is_geographic(stack.GetProjection()):
        epsg = _utm_epsg(stack)
        notes.append(f"The input is in a geographic CRS; it is warped to UTM (EPSG:{epsg}) at {gsd:g} m.")
        working = _warp(stack, f"EPSG:{epsg}", gsd, nodata, f"/vsimem/hselcz_{token}_work.vrt", vsimem)
    elif abs(gt[2]) > 1e-9 or abs(gt[4]) > 1e-9 or abs(abs(gt[1]) - gsd) > gsd * _GSD_TOLERANCE or abs(abs(gt[5]) - gsd) > gsd * _GSD_TOLERANCE:
        notes.append(f"The input grid is {abs(gt[1]):g} x {abs(gt[5]):g}; it is resampled to {gsd:g} m.")
        working = _warp(stack, None, gsd, nodata, f"/vsimem/hselcz_{token}_work.vrt", vsimem)
    if any(abs(single.GetGeoTransform()[1] - gt[1]) > 1e-9 for single in singles):
        notes.append("Bands of coarser resolution were resampled bilinearly onto the finest grid.")
    for note in notes:
        say(note)
    level = _processing_level(datasets)
    scene = Scene(
        dataset=working, band_names=tuple(required_bands), slots=tuple(chosen), radiometry=radiometry,
        nodata=nodata if working is stack else tuple(None for _ in chosen), processing_level=level, notes=notes,
        zero_in_any_band_is_nodata=not (float_input and same_extent and working is stack),
        _keep=[d for _, d in datasets] + singles + [stack], _vsimem=vsimem,
    )
    return scene


def _unlink(paths: list[str]) -> None:
    for path in paths:
        gdal.Unlink(path)


def _srs_key(wkt: str) -> str:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    return srs.ExportToProj4()


def _warp(stack: gdal.Dataset, dst_srs: str | None, gsd: float, nodata: tuple, path: str, vsimem: list[str]) -> gdal.Dataset:
    """Warp to a north-up grid at gsd (VRT, evaluated lazily); pixels outside the footprint become 0 = no data."""
    src_nodata = " ".join(str(n if n is not None else 0) for n in nodata)
    options = dict(
        format="VRT", xRes=gsd, yRes=gsd, targetAlignedPixels=True, resampleAlg="bilinear",
        srcNodata=src_nodata, dstNodata=0, warpOptions=["UNIFIED_SRC_NODATA=NO"],
    )
    if dst_srs:
        options["dstSRS"] = dst_srs
    warped = gdal.Warp(path, stack, **options)
    vsimem.append(path)
    return warped
