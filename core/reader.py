"""Reading the user's Sentinel-2 input onto the working grid: identified bands, 10 m, projected, in DN.

The working grid is what every later step sees: the bands the model asks for, in its order, on a 10 m
grid in a projected CRS (the input's own grid when it already is one, else warped: geographic input goes
to its UTM zone), as float32 "digital numbers" (reflectance x 10000, processing-baseline offset removed,
float reflectance 0..1 scaled up). It is a GDAL VRT, so nothing is held in memory but the rows being read.
"""

from __future__ import annotations

import dataclasses
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
from .clouds import CloudMask, build_mask
from .contract import DN_PER_REFLECTANCE
from .errors import EngineError
from .i18n import tr
from .plausibility import assess
from .safe import Product, band_offset, find_product, model_subdatasets

gdal.UseExceptions()

#: Processing baseline 04.00 (January 2022) added this offset to Sentinel-2 digital numbers.
BASELINE_04_OFFSET = -1000.0
_FLOAT_REFLECTANCE_LIMIT = 2.0  # a float raster whose bright pixels stay below this holds reflectance 0..1
_GSD_TOLERANCE = 0.01
#: A projected CRS whose pixel is more than this far from its nominal size on the ground (Web Mercator: 1/cos(lat))
#: is not taken as metres: the input is warped to UTM like a geographic one.
_SCALE_TOLERANCE = 0.02
_SAMPLE_SIZE = 512  # side of the window the plausibility checks read (plausibility.py)
_WGS84_A, _WGS84_F = 6378137.0, 1 / 298.257223563


@dataclass
class Radiometry:
    """DN_model = (raw * scale) + offset, per band: turns the user's numbers into reflectance x 10000."""

    scale: float = 1.0
    offset: float = 0.0
    why: str = ""


@dataclass(frozen=True)
class Grid:
    """A north-up working grid: where a later date of a multi-date run is warped to (the first date's grid)."""

    geotransform: tuple[float, ...]
    projection: str
    width: int
    height: int


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
    #: Doubts about the input (plausibility.py): the engine reports them as warnings.
    warnings: list[str] = field(default_factory=list)
    #: The input files, named in read errors.
    sources: tuple[str, ...] = ()
    #: Clouds and cloud shadows read as no data (core.clouds); None: not masked.
    clouds: CloudMask | None = None
    _keep: list = field(default_factory=list, repr=False)
    _vsimem: list[str] = field(default_factory=list, repr=False)

    @property
    def width(self) -> int:
        return self.dataset.RasterXSize

    @property
    def grid(self) -> Grid:
        return Grid(tuple(self.dataset.GetGeoTransform()), self.dataset.GetProjection(), self.width, self.height)

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
        """Rows/columns inside the scene as (float32 C x h x w in DN, valid mask h x w); clouds are not valid."""
        if self.clouds is None:
            data, valid = self._read_unmasked(x, y, width, height)
        else:  # the cloud mask may need a larger window (whole 100 m cells): read once, cut out the window
            ax, ay, aw, ah = self.clouds.window(x, y, width, height)
            data, valid = self._read_unmasked(ax, ay, aw, ah)
            try:
                valid &= ~self.clouds.flags(ax, ay, aw, ah, data, valid)
            except RuntimeError as exc:
                raise unreadable_input(self.sources, exc) from None
            inner = (slice(y - ay, y - ay + height), slice(x - ax, x - ax + width))
            data, valid = np.ascontiguousarray(data[:, inner[0], inner[1]]), np.ascontiguousarray(valid[inner])
        data[:, ~valid] = 0.0
        return data, valid

    def _read_unmasked(self, x: int, y: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """(DN, valid) before the cloud mask; the DN of invalid pixels are left as read."""
        try:
            raw = self.dataset.ReadAsArray(x, y, width, height)
        except RuntimeError as exc:
            raise unreadable_input(self.sources, exc) from None
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
        return data, valid

    def close(self) -> None:
        """Never raises: it runs while another error is on its way to the user."""
        self.dataset = None
        self.clouds = None
        self._keep.clear()
        _unlink(self._vsimem)
        self._vsimem.clear()


def unreadable_input(sources: Sequence[str], exc: RuntimeError) -> EngineError:
    """A GDAL read error as one plain message naming the file.

    The GDAL error's traceback holds the datasets that failed (as `self` of its frames): clearing those frames
    closes them, so that nothing of the input stays open and the clean-up after this error succeeds.
    """
    traceback.clear_frames(exc.__traceback__)
    detail = str(exc)
    named = [source for source in sources if source in detail] or list(sources)
    if named[0] in detail:  # drop what GDAL says about our own VRTs before it reaches the input file
        detail = detail[detail.index(named[0]) :]
    return EngineError(
        f"Cannot read {', '.join(named) or 'the input'}: the file is corrupt or truncated (an interrupted download "
        f"or copy?). Download or copy it again. GDAL says: {detail}"
    )


def _open(path: str) -> gdal.Dataset:
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError as exc:
        traceback.clear_frames(exc.__traceback__)
        if os.path.isfile(path):
            raise EngineError(
                f"GDAL cannot open {path}: it is not a raster GDAL can read, or the file is corrupt or truncated "
                f"(an interrupted download or copy?). GDAL says: {exc}"
            ) from None
        raise EngineError(f"GDAL cannot open {path}: {exc}") from None
    if dataset is None:
        raise EngineError(f"GDAL cannot open {path}.")
    return dataset


def open_problem(path: str) -> str | None:
    """Why GDAL cannot open `path`, in the words of the engine's error; None when it opens."""
    try:
        _open(path)
    except EngineError as exc:
        return str(exc)
    return None


def _expand_sources(sources: Sequence[str]) -> tuple[list[tuple[str, gdal.Dataset]], dict[str, Product]]:
    """Datasets to look for bands in, and the Sentinel-2 product (core.safe) each came from, if any.

    A product in any form (a .SAFE folder, its .zip, its MTD file, one of its sub-datasets as QGIS adds it)
    expands to its 10 m and 20 m sub-datasets: all ten model bands at their native resolutions.
    """
    opened: list[tuple[str, gdal.Dataset]] = []
    products: dict[str, Product] = {}
    for source in sources:
        product = find_product(source)
        if product is not None:
            container = _open(product.metadata_file)
            for name in model_subdatasets(product, container):
                opened.append((name, _open(name)))
                products[name] = product
            continue
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
    return opened, products


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
            slots[name] = BandSlot(name, path, index, tr("BANDS parameter"))
        return slots, descriptions
    for path, dataset in datasets:
        vrt_files = _vrt_source_files(dataset)
        for index in range(1, dataset.RasterCount + 1):
            band = dataset.GetRasterBand(index)
            description = band.GetDescription()
            found, how = canonical_band_name(description), tr("description")
            if not found:
                found, how = band_from_metadata(band.GetMetadata()), tr("metadata")
            if not found and dataset.RasterCount == 1:
                found, how = canonical_band_name(os.path.basename(path)), tr("file name")
            if not found and index in vrt_files:
                found, how = canonical_band_name(os.path.basename(vrt_files[index])), tr("file name")
            label = f"{os.path.basename(path)} band {index}" + (f" ('{description}')" if description else "")
            descriptions.append(f"{label}: {found or 'not identified'}")
            if found and found not in slots:
                slots[found] = BandSlot(found, path, index, how)
    return slots, descriptions


def band_layout(sources: str | Sequence[str]) -> tuple[int, dict[str, int]]:
    """(raster band count, {Sentinel-2 band: 1-based raster band} of the bands the input names itself: descriptions,
    metadata, file names), without building a scene: how core.multidate tells each date's band layout apart."""
    source_list = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    datasets, _ = _expand_sources([str(s) for s in source_list])
    try:
        slots, _ = _identify(datasets, None)
        offsets, total = {}, 0
        for path, dataset in datasets:
            offsets[path] = total
            total += dataset.RasterCount
        return total, {name: offsets[slot.source] + slot.index for name, slot in slots.items()}
    finally:
        datasets.clear()


def _processing_level(datasets: list[tuple[str, gdal.Dataset]], products: dict[str, Product]) -> str | None:
    for product in products.values():
        return product.level  # from the product metadata file itself
    for path, dataset in datasets:
        metadata = {k.upper(): str(v).upper() for k, v in (dataset.GetMetadata() or {}).items()}
        text = " ".join([metadata.get("PROCESSING_LEVEL", ""), metadata.get("PRODUCT_TYPE", ""),
                         os.path.basename(path).upper()])
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
    try:
        values = band.ReadAsArray(0, 0, band.XSize, band.YSize, buf_xsize=xs, buf_ysize=ys).astype(np.float64)
    except RuntimeError as exc:
        raise unreadable_input([dataset.GetDescription()], exc) from None
    values = values[np.isfinite(values) & (values != 0)]
    nodata = band.GetNoDataValue()
    if nodata is not None:
        values = values[values != nodata]
    return float(np.percentile(values, 99)) if values.size else 0.0


def _radiometry(dataset: gdal.Dataset, slot: BandSlot, product: Product | None = None) -> Radiometry:
    band = dataset.GetRasterBand(slot.index)
    scale, offset = band.GetScale(), band.GetOffset()
    if (scale not in (None, 1.0)) or (offset not in (None, 0.0)):
        scale, offset = scale or 1.0, offset or 0.0
        return Radiometry(scale * DN_PER_REFLECTANCE, offset * DN_PER_REFLECTANCE,
                          f"band scale {scale} / offset {offset} to reflectance")
    if product is not None:  # a Sentinel-2 product: its own metadata file says (no offset before baseline 04.00)
        declared = band_offset(product, slot.name)
        return Radiometry(declared[0], declared[1], declared[2]) if declared else Radiometry()
    baseline = _baseline_offset(dataset, band, slot.name)
    if baseline:
        return Radiometry(1.0, baseline[0], f"baseline offset {baseline[0]:+g} ({baseline[1]})")
    is_float = gdal.GetDataTypeName(band.DataType).startswith("Float")
    if is_float and 0 < _sample_max(dataset, slot.index) < _FLOAT_REFLECTANCE_LIMIT:
        return Radiometry(DN_PER_REFLECTANCE, 0.0, "float reflectance 0..1 scaled to x10000")
    return Radiometry()


def _is_geographic(wkt: str) -> bool:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    return bool(srs.IsGeographic())


def _lon_lat(dataset: gdal.Dataset, pixels: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """WGS 84 longitude/latitude of (column, row) positions of a dataset."""
    gt = dataset.GetGeoTransform()
    source = osr.SpatialReference()
    source.ImportFromWkt(dataset.GetProjection())
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    for srs in (source, wgs84):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, wgs84)
    points = []
    for column, row in pixels:
        x, y = gt[0] + gt[1] * column + gt[2] * row, gt[3] + gt[4] * column + gt[5] * row
        lon, lat, _ = transform.TransformPoint(x, y)
        points.append((lon, lat))
    return points


def _ground_metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on the WGS 84 ellipsoid between two close points (local radii of curvature; exact enough for a
    pixel)."""
    lat = math.radians((a[1] + b[1]) / 2)
    e2 = _WGS84_F * (2 - _WGS84_F)
    w = math.sqrt(1 - e2 * math.sin(lat) ** 2)
    east = _WGS84_A / w * math.cos(lat) * math.radians((b[0] - a[0] + 180) % 360 - 180)
    north = _WGS84_A * (1 - e2) / w**3 * math.radians(b[1] - a[1])
    return math.hypot(east, north)


def ground_pixel_size(dataset: gdal.Dataset) -> tuple[float, float] | None:
    """Metres on the ground of one pixel step along a row and along a column, at the scene centre.

    The nominal pixel size is in the CRS's units, which are metres on the ground only for a CRS true to scale
    there (UTM, national grids); Web Mercator is 1/cos(latitude) too large, a CRS in feet 3.28 times. None when
    the centre cannot be located.
    """
    cx, cy = dataset.RasterXSize / 2, dataset.RasterYSize / 2
    try:
        centre, right, below = _lon_lat(dataset, [(cx, cy), (cx + 1, cy), (cx, cy + 1)])
    except RuntimeError:
        return None
    if not all(math.isfinite(v) for point in (centre, right, below) for v in point):
        return None
    return _ground_metres(centre, right), _ground_metres(centre, below)


def _crs_name(wkt: str) -> str:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    authority, code = srs.GetAuthorityName(None), srs.GetAuthorityCode(None)
    return f"{authority}:{code}" if authority and code else (srs.GetName() or "its CRS")


def _utm_epsg(dataset: gdal.Dataset) -> int:
    try:
        [(lon, lat)] = _lon_lat(dataset, [(dataset.RasterXSize / 2, dataset.RasterYSize / 2)])
    except RuntimeError as exc:
        raise EngineError(f"The scene centre cannot be located on the Earth ({exc}); reproject it first.") from None
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        raise EngineError(f"The scene centre ({lon:.3f}, {lat:.3f}) is outside the UTM zones; reproject it first.")
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def open_scene(
    sources: str | Sequence[str],
    required_bands: Sequence[str],
    *,
    band_mapping: str | None = None,
    gsd: float = 10.0,
    log: Callable[[str], None] | None = None,
    grid: Grid | None = None,
    clouds: bool = True,
) -> Scene:
    """Identify the required bands in the input and build the working grid (see the module docstring).

    On failure the frames of the traceback are cleared, so no GDAL dataset of the input stays open through the
    exception (it would lock the file on Windows, and can crash QGIS when it is collected late); only then, once
    the VRTs are closed (a VRT is written to /vsimem when it closes), are their /vsimem files removed.
    """
    vsimem: list[str] = []
    try:
        return _build_scene(sources, required_bands, band_mapping, gsd, log, vsimem, grid, clouds)
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)
        _unlink(vsimem)
        raise


def _build_scene(sources: str | Sequence[str], required_bands: Sequence[str], band_mapping: str | None, gsd: float,
                 log: Callable[[str], None] | None, vsimem: list[str], grid: Grid | None = None,
                 clouds: bool = True) -> Scene:
    """open_scene, recording every /vsimem file it creates in `vsimem`."""
    say = log or (lambda message: None)
    source_list = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not source_list:
        raise EngineError("No input raster was given.")
    datasets, products = _expand_sources([str(s) for s in source_list])
    _announce_products(products, say)
    chosen = _chosen_slots(datasets, required_bands, band_mapping)
    by_path = dict(datasets)
    for slot in chosen:
        say(tr("{band}: {file} band {index} (from its {how})", band=slot.name, file=os.path.basename(slot.source),
               index=slot.index, how=slot.how))
    radiometry = tuple(_radiometry(by_path[s.source], s, products.get(s.source)) for s in chosen)
    notes = sorted({tr("Radiometry: {why}", why=r.why) for r in radiometry if r.why})
    nodata = tuple(by_path[s.source].GetRasterBand(s.index).GetNoDataValue() for s in chosen)

    token = uuid.uuid4().hex
    singles = _single_band_vrts(chosen, by_path, token, vsimem)
    float_input = all(gdal.GetDataTypeName(s.GetRasterBand(1).DataType).startswith(("Float", "CFloat"))
                      for s in singles)
    extents = {(tuple(s.GetGeoTransform())[0], tuple(s.GetGeoTransform())[3],
                s.RasterXSize * s.GetGeoTransform()[1], s.RasterYSize * s.GetGeoTransform()[5]) for s in singles}
    stack_path = f"/vsimem/hselcz_{token}_stack.vrt"
    vsimem.append(stack_path)
    stack = gdal.BuildVRT(stack_path, singles, separate=True, resolution="highest", resampleAlg="bilinear")
    for index, slot in enumerate(chosen, start=1):
        stack.GetRasterBand(index).SetDescription(slot.name)

    ground = ground_pixel_size(stack)
    working = _working_dataset(stack, ground, grid, gsd, nodata, f"/vsimem/hselcz_{token}_work.vrt", vsimem, notes)
    if any(abs(single.GetGeoTransform()[1] - stack.GetGeoTransform()[1]) > 1e-9 for single in singles):
        notes.append(tr("Bands of coarser resolution were resampled bilinearly onto the finest grid."))
    for note in notes:
        say(note)
    level = _processing_level(datasets, products)
    native = Scene(
        dataset=stack, band_names=tuple(required_bands), slots=tuple(chosen), radiometry=radiometry, nodata=nodata,
        processing_level=level, notes=notes, zero_in_any_band_is_nodata=not (float_input and len(extents) == 1),
        sources=tuple(dict.fromkeys(s.source for s in chosen)),
        _keep=[d for _, d in datasets] + singles + [stack], _vsimem=vsimem,
    )
    native.warnings = _plausibility(native, ground, gsd)
    scene = native if working is stack else dataclasses.replace(
        native, dataset=working, nodata=tuple(None for _ in chosen), zero_in_any_band_is_nodata=True)
    if clouds:
        scene.clouds, line = build_mask(working, required_bands, list(dict.fromkeys(products.values())),
                                        f"/vsimem/hselcz_{token}_clouds.vrt", vsimem)
    else:
        line = tr("Clouds are not masked (switched off).")
    say(line)
    return scene


def _announce_products(products: dict[str, Product], say: Callable[[str], None]) -> None:
    """One log line per Sentinel-2 product the input came from (core.safe), and its notes."""
    for product in dict.fromkeys(products.values()):
        say(tr("Sentinel-2 product {name}: {level}, processing baseline {baseline}; the bands are read from its 10 m "
               "and 20 m images at their native resolutions.", name=os.path.basename(product.folder) or
               product.metadata_file, level=product.level, baseline=product.baseline or "?"))
        for note in product.notes:
            say(note)


def _chosen_slots(datasets: list[tuple[str, gdal.Dataset]], required_bands: Sequence[str],
                  band_mapping: str | None) -> list[BandSlot]:
    """Where each required band is, in the order of required_bands; an error listing what was found otherwise."""
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
    return [slots[name] for name in required_bands]


def _single_band_vrts(chosen: list[BandSlot], by_path: dict[str, gdal.Dataset], token: str,
                      vsimem: list[str]) -> list[gdal.Dataset]:
    """One single-band VRT per chosen band, all in one CRS."""
    singles = []
    for slot in chosen:
        path = f"/vsimem/hselcz_{token}_{slot.name}.vrt"
        vsimem.append(path)  # recorded first: whatever fails next, the file is removed
        single = gdal.Translate(path, by_path[slot.source], format="VRT", bandList=[slot.index])
        if not single.GetProjection():
            raise EngineError(f"{slot.source} has no coordinate reference system; assign one in QGIS first.")
        singles.append(single)
    projections = {_srs_key(s.GetProjection()) for s in singles}
    if len(projections) > 1:
        raise EngineError("The band files use different coordinate reference systems; reproject them to one first.")
    return singles


def _working_dataset(stack: gdal.Dataset, ground: tuple[float, float] | None, grid: Grid | None, gsd: float,
                     nodata: tuple[float | None, ...], path: str, vsimem: list[str],
                     notes: list[str]) -> gdal.Dataset:
    """The stack on the working grid: warped onto `grid`, to UTM (geographic or not true to scale), resampled to
    `gsd` (another cell size or a rotated grid), or the stack itself; each warp adds a note saying why."""
    gt = stack.GetGeoTransform()
    nominal = (math.hypot(gt[1], gt[4]), math.hypot(gt[2], gt[5]))
    if grid is not None:
        notes.append(tr("The input is warped onto the working grid of the first date ({width} x {height} pixels).",
                        width=grid.width, height=grid.height))
        return _warp_onto(stack, grid, nodata, path, vsimem)
    if _is_geographic(stack.GetProjection()):
        epsg = _utm_epsg(stack)
        notes.append(tr("The input is in a geographic CRS; it is warped to UTM (EPSG:{epsg}) at {gsd:g} m.",
                        epsg=epsg, gsd=gsd))
        return _warp(stack, f"EPSG:{epsg}", gsd, nodata, path, vsimem)
    if ground and any(abs(g / n - 1) > _SCALE_TOLERANCE for g, n in zip(ground, nominal, strict=True)):
        epsg = _utm_epsg(stack)
        notes.append(tr(
            "The input CRS {crs} is not true to scale here: a pixel of {x:.4g} x {y:.4g} in its units is "
            "{ground_x:.4g} x {ground_y:.4g} m on the ground. It is warped to UTM (EPSG:{epsg}) at {gsd:g} m.",
            crs=_crs_name(stack.GetProjection()), x=nominal[0], y=nominal[1], ground_x=ground[0], ground_y=ground[1],
            epsg=epsg, gsd=gsd,
        ))
        return _warp(stack, f"EPSG:{epsg}", gsd, nodata, path, vsimem)
    rotated = abs(gt[2]) > 1e-9 or abs(gt[4]) > 1e-9
    if rotated or abs(abs(gt[1]) - gsd) > gsd * _GSD_TOLERANCE or abs(abs(gt[5]) - gsd) > gsd * _GSD_TOLERANCE:
        notes.append(tr("The input grid is {x:g} x {y:g}; it is resampled to {gsd:g} m.", x=abs(gt[1]),
                        y=abs(gt[5]), gsd=gsd))
        return _warp(stack, None, gsd, nodata, path, vsimem)
    return stack


def _plausibility(native: Scene, ground: tuple[float, float] | None, gsd: float) -> list[str]:
    """plausibility.assess on the centre window of the input at its own resolution (before any warp)."""
    width, height = min(native.width, _SAMPLE_SIZE), min(native.height, _SAMPLE_SIZE)
    data, valid = native.read((native.width - width) // 2, (native.height - height) // 2, width, height)
    return assess(data, valid, native.band_names, ground, gsd)


def _unlink(paths: list[str]) -> None:
    """Remove /vsimem files; one never written (a VRT is written when closed) or already gone is no error."""
    for path in paths:
        try:
            gdal.Unlink(path)
        except RuntimeError:
            pass


def _srs_key(wkt: str) -> str:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    return srs.ExportToProj4()


def _warp_onto(stack: gdal.Dataset, grid: Grid, nodata: tuple, path: str, vsimem: list[str]) -> gdal.Dataset:
    """Warp onto exactly `grid` (VRT, lazy): another date of the same place, cell for cell on the first one."""
    gt = grid.geotransform
    bounds = (gt[0], gt[3] + gt[5] * grid.height, gt[0] + gt[1] * grid.width, gt[3])
    src_nodata = " ".join(str(n if n is not None else 0) for n in nodata)
    vsimem.append(path)
    return gdal.Warp(path, stack, format="VRT", outputBounds=bounds, width=grid.width, height=grid.height,
                     dstSRS=grid.projection, resampleAlg="bilinear", srcNodata=src_nodata, dstNodata=0,
                     warpOptions=["UNIFIED_SRC_NODATA=NO"])


def _warp(stack: gdal.Dataset, dst_srs: str | None, gsd: float, nodata: tuple, path: str,
          vsimem: list[str]) -> gdal.Dataset:
    """Warp to a north-up grid at gsd (VRT, evaluated lazily); pixels outside the footprint become 0 = no data."""
    src_nodata = " ".join(str(n if n is not None else 0) for n in nodata)
    options = dict(
        format="VRT", xRes=gsd, yRes=gsd, targetAlignedPixels=True, resampleAlg="bilinear",
        srcNodata=src_nodata, dstNodata=0, warpOptions=["UNIFIED_SRC_NODATA=NO"],
    )
    if dst_srs:
        options["dstSRS"] = dst_srs
    vsimem.append(path)
    return gdal.Warp(path, stack, **options)
