"""Training areas from a WUDAPT / LCZ Generator file: a KML or KMZ with one folder per LCZ class.

Why: the LCZ Generator (lcz-generator.rub.de) and the WUDAPT training-area template keep a city's training areas as
a KML Document holding one Folder per class ("LCZ 1 Compact high-rise" ... "LCZ G Water", or just "1" ... "G"),
each polygon a Placemark, in EPSG:4326; its public archive is in that form. Users have such files and should not
have to convert them into a layer with a class field first.

GDAL reads each folder as a layer (LIBKML, or the plain KML driver through /vsizip/ for a KMZ). The class comes
from the folder's name: a leading code 1-17, a label 1-10 or A-G, optionally after "LCZ", or the WUDAPT codes
101-107 for A-G; the text after it (the class name) is not read. An unknown folder name is an error naming it;
empty folders are ignored; placemarks that are not polygons are skipped and counted (core.input_kinds).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from osgeo import gdal, ogr, osr

from .errors import EngineError
from .input_kinds import check_polygons
from .lcz import LCZ_CLASS_COUNT
from .reference_grid import PolygonReference

gdal.UseExceptions()

#: The field name the training areas of a KML file carry their class under (the folder's name is the class).
FOLDER_FIELD = "folder"
KML_SUFFIXES = (".kml", ".kmz")
#: WUDAPT's codes for the natural classes in some tools and maps (101 = LCZ A ... 107 = LCZ G).
_WUDAPT_NATURAL = {100 + index: 10 + index for index in range(1, 8)}
_FOLDER_CLASS = re.compile(r"^\s*(?:LCZ[\s_-]*)?([0-9]{1,3}|[A-G])(?![A-Z0-9])", re.IGNORECASE)


def folder_class(name: str) -> int | None:
    """The LCZ code (1-17) a folder's name gives, or None: "LCZ 1", "1", "1 Compact high-rise", "A", "LCZ A",
    "G Water", "101"."""
    match = _FOLDER_CLASS.match(name or "")
    if match is None:
        return None
    token = match.group(1).upper()
    if token.isdigit():
        number = int(token)
        number = _WUDAPT_NATURAL.get(number, number)
        return number if 1 <= number <= LCZ_CLASS_COUNT else None
    return 10 + "ABCDEFG".index(token) + 1


def _open(path: Path) -> gdal.Dataset:
    """The KML or KMZ as an OGR dataset: directly (LIBKML reads both), else the KMZ's KML through /vsizip/."""
    candidates = [str(path)]
    if path.suffix.lower() == ".kmz":
        try:
            with zipfile.ZipFile(path) as archive:
                inside = [n for n in archive.namelist() if n.lower().endswith(".kml")]
        except (OSError, zipfile.BadZipFile) as exc:
            raise EngineError(f"The training-area file {path.name} is not a readable KMZ (zip) file: {exc}.") from exc
        inside.sort(key=lambda n: (n.lower() != "doc.kml", n))  # doc.kml is a KMZ's main file
        candidates += [f"/vsizip/{path}/{name}" for name in inside]
    for candidate in candidates:
        try:
            dataset = gdal.OpenEx(candidate, gdal.OF_VECTOR | gdal.OF_READONLY)
        except RuntimeError:
            dataset = None
        if dataset is not None and dataset.GetLayerCount():
            return dataset
    raise EngineError(f"Cannot read the training-area file {path}: GDAL opens it as no KML with folders. Save the "
                      "training areas from Google Earth or the LCZ Generator template as .kml or .kmz.")


def read_training_kml(path: str | Path) -> tuple[PolygonReference, list[str]]:
    """(training areas with their LCZ code as value, notes to show as warnings) of a WUDAPT KML/KMZ file."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in KML_SUFFIXES:
        raise EngineError(f"The training-area file {path.name} is not a .kml or .kmz file.")
    if not path.is_file():
        raise EngineError(f"The training-area file {path} does not exist.")
    dataset = _open(path)
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    features, unknown = [], []
    for index in range(dataset.GetLayerCount()):
        layer = dataset.GetLayer(index)
        if layer.GetFeatureCount() == 0:
            continue  # the template's folders of classes the city does not have
        code = folder_class(layer.GetName())
        if code is None:
            unknown.append(layer.GetName())
            continue
        features += [(_flat_wkb(feature.GetGeometryRef()), code) for feature in layer]
    dataset = None
    if unknown:
        shown = ", ".join(repr(name) for name in unknown[:10])
        raise EngineError(
            f"The training-area file {path.name} has folders whose name is no LCZ class: {shown}. Name each folder "
            "after its class as the WUDAPT template does ('LCZ 1', '1 Compact high-rise', 'A', 'LCZ G' or 101-107 "
            "for A-G), or move its placemarks into the folder of their class."
        )
    if not features:
        raise EngineError(f"The training-area file {path.name} holds no placemark in a class folder.")
    features, notes = check_polygons(features, path.name, "training areas")
    return PolygonReference(features, wgs84.ExportToWkt(), path.name, FOLDER_FIELD), notes


def _flat_wkb(geometry: ogr.Geometry | None) -> bytes:
    """2D WKB of a placemark's geometry (KML carries heights of 0), b"" for a placemark without one."""
    if geometry is None:
        return b""
    geometry = geometry.Clone()
    geometry.FlattenTo2D()
    return bytes(geometry.ExportToWkb())
