"""Sentinel-2 products as a user downloads them: a `.SAFE` folder, its `.zip`, its `MTD_MSIL1C.xml` /
`MTD_MSIL2A.xml`, or one sub-dataset of it as QGIS adds it (`SENTINEL2_L1C:<MTD file>:10m:EPSG_32632`).

Why: GDAL's SENTINEL2 driver opens the product metadata file and offers one sub-dataset per resolution. QGIS asks
which one to add, and the layer then holds 4 of the 10 bands a model needs (10 m: B2, B3, B4, B8); a folder is not
a raster at all. Here every form leads back to the product's metadata file, whose 10 m and 20 m sub-datasets (of
the same UTM zone) together hold all ten bands at their native resolutions. The processing level, the baseline,
the quantification value and the per-band offsets of processing baseline 04.00+ (RADIO_ADD_OFFSET for L1C,
BOA_ADD_OFFSET for L2A) are read from that file itself: GDAL 3.6 does not expose the offsets. The product's own
cloud masks (L2A scene classification, L1C MSK_CLASSI of baseline 04.00+) are found for core.clouds.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

from osgeo import gdal

from .bands import canonical_band_name
from .errors import EngineError
from .i18n import tr

gdal.UseExceptions()

#: `SENTINEL2_L1C:<metadata file>:<10m|20m|60m|TCI>:EPSG_<code>`; the file may hold colons (C:\, /vsizip/).
_SUBDATASET = re.compile(r"^SENTINEL2_(L1C|L2A)(?:_TCI)?:(.+):([^:]+):EPSG_(\d+)$", re.IGNORECASE)
#: The product metadata file: compact naming (since 2016) and the older long names (S2A_OPER_MTD_SAFL1C_...).
_METADATA_NAME = re.compile(r"^(MTD_MSIL(1C|2A)|S2[A-Z]_(OPER|USER)_MTD_SAFL(1C|2A)_.*)\.xml$", re.IGNORECASE)
#: ESA's band_id order (0..12) in the offset lists, when the file has no Spectral_Information to say it.
_BAND_IDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
#: The resolutions whose sub-datasets hold the bands the models use (the 60 m one holds B1, B9, B10).
MODEL_RESOLUTIONS = ("10m", "20m")


@dataclass(frozen=True, eq=False)  # one object per product read: hashed by identity
class Product:
    """What the product's metadata file says, and where its parts are (GDAL paths: /vsizip/ inside a zip)."""

    metadata_file: str
    level: str  # "L1C" or "L2A"
    baseline: str | None
    quantification: float | None
    offsets: dict[str, float]  # band ("B2", "B8A", ...) -> offset added to the digital numbers
    image_files: tuple[str, ...]  # as listed in the metadata, relative to the product folder, without ".jp2"
    epsg: int | None = None  # the UTM zone of the sub-dataset the user picked; None: the product's first
    notes: list[str] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return os.path.dirname(self.metadata_file)

    def path(self, relative: str) -> str:
        return f"{self.folder}/{relative}"


def find_product(source: str) -> Product | None:
    """The Sentinel-2 product `source` is part of, or None when it is not one (any other raster)."""
    text = str(source)
    match = _SUBDATASET.match(text)
    if match:
        return _read_metadata(match.group(2), int(match.group(4)))
    metadata = _metadata_file(text)
    return _read_metadata(metadata, None) if metadata else None


def _metadata_file(source: str) -> str | None:
    """The product metadata file of a .SAFE folder (or a folder holding one), a .zip, or the file itself."""
    if os.path.isdir(source):
        own = [name for name in sorted(os.listdir(source)) if _METADATA_NAME.match(name)]
        if own:
            return os.path.join(source, own[0])
        inner = [os.path.join(source, name) for name in sorted(os.listdir(source)) if name.upper().endswith(".SAFE")
                 and os.path.isdir(os.path.join(source, name))]
        found = [_metadata_file(folder) for folder in inner]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise EngineError(f"{source} holds {len(found)} Sentinel-2 products; give one .SAFE folder (or its .zip, "
                              "or its MTD file), or all of them as several dates.")
        raise EngineError(
            f"{source} is a folder but not a Sentinel-2 product: it holds no MTD_MSIL1C.xml or MTD_MSIL2A.xml (nor a "
            ".SAFE folder with one). Give the product's .SAFE folder, its .zip, or a raster file."
        )
    if source.lower().endswith(".zip") and os.path.isfile(source):
        listing = gdal.ReadDirRecursive(f"/vsizip/{source}") or []
        found = sorted((name for name in listing if _METADATA_NAME.match(os.path.basename(name))),
                       key=lambda name: name.count("/"))
        return f"/vsizip/{source}/{found[0]}" if found else None
    if _METADATA_NAME.match(os.path.basename(source)):
        return source
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_metadata(metadata_file: str, epsg: int | None) -> Product:
    """Parse the product metadata file (any namespace version of ESA's format)."""
    root = _parse(metadata_file)
    elements = list(root.iter())

    def first(name: str) -> str | None:
        for element in elements:
            if _local(element.tag) == name and element.text and element.text.strip():
                return element.text.strip()
        return None

    level_text = (first("PROCESSING_LEVEL") or first("PRODUCT_TYPE") or _local(root.tag)).upper()
    level = "L2A" if re.search(r"2A", level_text) else "L1C" if re.search(r"1C", level_text) else None
    if level is None:
        raise EngineError(f"{metadata_file} is not a Level-1C or Level-2A Sentinel-2 product ({level_text}).")
    band_of_id = {element.get("bandId"): canonical_band_name(element.get("physicalBand") or "")
                  for element in elements if _local(element.tag) == "Spectral_Information"}
    offsets: dict[str, float] = {}
    for element in elements:
        if _local(element.tag) in ("RADIO_ADD_OFFSET", "BOA_ADD_OFFSET") and element.text:
            band_id = element.get("band_id") or element.get("bandId") or ""
            band = band_of_id.get(band_id) or (_BAND_IDS[int(band_id)] if band_id.isdigit() and int(band_id) < 13
                                               else None)
            if band:
                offsets[band] = float(element.text)
    quantification = first("QUANTIFICATION_VALUE") or first("BOA_QUANTIFICATION_VALUE")
    image_files = tuple(element.text.strip() for element in elements
                        if _local(element.tag) == "IMAGE_FILE" and element.text)
    return Product(metadata_file=metadata_file, level=level, baseline=first("PROCESSING_BASELINE"),
                   quantification=float(quantification) if quantification else None, offsets=offsets,
                   image_files=image_files, epsg=epsg)


def _parse(path: str) -> ElementTree.Element:
    """The XML root of a file GDAL can reach (plain, /vsizip/, ...)."""
    try:
        handle = gdal.VSIFOpenL(path, "rb")
    except RuntimeError:
        handle = None
    if handle is None:
        raise EngineError(f"Cannot read the Sentinel-2 product metadata {path}: the file is missing.")
    try:
        gdal.VSIFSeekL(handle, 0, 2)
        size = gdal.VSIFTellL(handle)
        gdal.VSIFSeekL(handle, 0, 0)
        content = gdal.VSIFReadL(1, size, handle)
    finally:
        gdal.VSIFCloseL(handle)
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise EngineError(f"The Sentinel-2 product metadata {path} is not valid XML ({exc}): the download is "
                          "incomplete or the file was changed. Download the product again.") from None


def model_subdatasets(product: Product, dataset: gdal.Dataset) -> list[str]:
    """The 10 m and 20 m sub-datasets of the product (opened by GDAL as `dataset`), all of one UTM zone."""
    names = [name for name, _ in dataset.GetSubDatasets()]
    zones = list(dict.fromkeys(int(m.group(4)) for m in map(_SUBDATASET.match, names) if m))
    if not zones:
        raise EngineError(f"GDAL finds no image in the Sentinel-2 product {product.metadata_file}: its granule "
                          "folders are missing or incomplete. Download the product again.")
    _check_images(product)
    epsg = product.epsg if product.epsg in zones else zones[0]
    if len(zones) > 1:
        product.notes.append(tr("The product spans the UTM zones {zones}; the part in EPSG:{epsg} is mapped.",
                                zones=", ".join(f"EPSG:{z}" for z in zones), epsg=epsg))
    chosen = []
    for resolution in MODEL_RESOLUTIONS:
        for name in names:
            match = _SUBDATASET.match(name)
            if match and match.group(3).lower() == resolution and int(match.group(4)) == epsg:
                chosen.append(name)
    return chosen


def _check_images(product: Product) -> None:
    """Refuse a product whose 10 m / 20 m band images are missing (GDAL would read them as zeros, silently)."""
    missing = [relative for relative in product.image_files
               if canonical_band_name(os.path.basename(relative)) and not relative.endswith("_60m")
               and not _exists(product.path(relative + ".jp2"))]
    if missing:
        raise EngineError(
            f"The Sentinel-2 product {product.folder} is incomplete: {len(missing)} band image(s) listed in its "
            f"metadata are missing, e.g. {missing[0]}.jp2 (an interrupted download or unzip?). Download or unzip it "
            "again."
        )


def band_offset(product: Product, band: str) -> tuple[float, float, str] | None:
    """(scale, offset) turning the product's digital numbers of `band` into reflectance x 10000, and why."""
    offset = product.offsets.get(band, 0.0)
    quantification = product.quantification or 10000.0
    if offset == 0.0 and quantification == 10000.0:
        return None
    scale = 10000.0 / quantification
    what = "BOA_ADD_OFFSET" if product.level == "L2A" else "RADIO_ADD_OFFSET"
    return scale, offset * scale, (f"{what} {offset:+g} and quantification value {quantification:g} of the "
                                   f"product metadata (baseline {product.baseline})")


def image_file(product: Product, suffix: str) -> str | None:
    """The GDAL path of the product's image file whose name ends with `suffix` (e.g. "_SCL_20m"), if it exists."""
    for relative in product.image_files:
        if relative.endswith(suffix):
            path = product.path(relative + ".jp2")
            return path if _exists(path) else None
    return None


def granule_files(product: Product, pattern: str) -> list[str]:
    """GDAL paths of the files of the product's granules whose path (inside the granule) matches `pattern`."""
    granules = sorted({relative.split("/")[1] for relative in product.image_files
                       if relative.startswith("GRANULE/") and relative.count("/") >= 2})
    found = []
    for granule in granules:
        folder = product.path(f"GRANULE/{granule}")
        for name in gdal.ReadDirRecursive(folder) or []:
            if re.search(pattern, name):
                found.append(f"{folder}/{name}")
    return found


def _exists(path: str) -> bool:
    try:
        return gdal.VSIStatL(path) is not None
    except RuntimeError:
        return False


def layer_source(source: str) -> str | None:
    """For a product given as a folder, a .zip or its MTD file: the sub-dataset string QGIS can load as a layer
    (its 10 m part; the engine finds the rest). None for anything else. The QGIS algorithm uses it so that a
    .SAFE folder or a .zip is accepted where QGIS expects a raster layer."""
    if _SUBDATASET.match(str(source)):
        return None
    try:
        product = find_product(str(source))
    except EngineError:
        return None
    if product is None:
        return None
    try:
        names = model_subdatasets(product, gdal.Open(product.metadata_file))
    except (RuntimeError, EngineError):
        return None
    return names[0] if names else None
