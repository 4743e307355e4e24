"""Training-area files in the WUDAPT / LCZ Generator template's layout (one KML Folder per LCZ class).

TKO_AREAS are 18 squares of about 230 m over the bundled sample scene (Tseung Kwan O, Hong Kong), each on a
block of the Pearl River Delta LCZ map (Liu & Shi, ../shared/data) where one class covers at least 80 %:
six of LCZ 4 (open high-rise), six of LCZ A (dense trees), six of LCZ G (water). test/data/wudapt/ holds them as a
KML and a KMZ written by write_training_kml (see its README).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from core.lcz import LCZ_CLASSES

#: (west longitude, south latitude, LCZ code) of each square; side SIDE degrees, inset by INSET on every side.
TKO_AREAS = [
    (114.25644, 22.3091, 4), (114.26095, 22.3091, 4), (114.2587, 22.30685, 4),
    (114.24969, 22.3046, 4), (114.2632, 22.3046, 4), (114.26095, 22.30235, 4),
    (114.24969, 22.3091, 11), (114.25194, 22.3091, 11), (114.26545, 22.3091, 11),
    (114.2677, 22.30685, 11), (114.24969, 22.30011, 11), (114.2677, 22.30011, 11),
    (114.25644, 22.29786, 17), (114.26095, 22.29786, 17), (114.2587, 22.29561, 17),
    (114.2632, 22.29336, 17), (114.25419, 22.29111, 17), (114.2587, 22.29111, 17),
]
SIDE, INSET = 0.00225, 0.0001


def ring(x: float, y: float, side: float = SIDE, inset: float = INSET) -> str:
    """KML coordinates of a square's closed outer ring (lon,lat,0)."""
    a, b = x + inset, y + inset
    c, d = x + side - inset, y + side - inset
    return " ".join(f"{lon:.6f},{lat:.6f},0" for lon, lat in ((a, b), (c, b), (c, d), (a, d), (a, b)))


def polygon_placemark(name: str, coordinates: str) -> str:
    return (f"<Placemark><name>{escape(name)}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{coordinates}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")


def folder_name(code: int) -> str:
    """The template's folder name of a class, e.g. '4 Open high-rise', 'A Dense trees'."""
    lcz = LCZ_CLASSES[code - 1]
    return f"{lcz.label} {lcz.name}"


def training_kml(areas=TKO_AREAS, *, extra: dict[str, list[str]] | None = None,
                 names=folder_name) -> str:
    """A KML Document with one Folder per LCZ class (all 17, empty ones included, as the template has them) and
    `extra` folders (name -> placemark XML) after them."""
    folders = []
    for lcz in LCZ_CLASSES:
        placemarks = [polygon_placemark(f"TA {index + 1}", ring(x, y))
                      for index, (x, y, code) in enumerate(areas) if code == lcz.code]
        folders.append(f"<Folder><name>{escape(names(lcz.code))}</name>{''.join(placemarks)}</Folder>")
    folders += [f"<Folder><name>{escape(name)}</name>{''.join(items)}</Folder>"
                for name, items in (extra or {}).items()]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>LCZ training areas</name>{''.join(folders)}</Document></kml>\n")


def write_training_kml(path: Path, text: str | None = None) -> Path:
    """The KML (text, or the TKO areas) at `path`; a .kmz path gets a zip holding it as doc.kml."""
    text = training_kml() if text is None else text
    if path.suffix.lower() == ".kmz":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("doc.kml", text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
