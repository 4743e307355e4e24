"""Sentinel-2 band names, and how the engine recognises them in a user's raster.

Band order and names are shared by the engine, the model contract, the converter and the training
pipeline: they are defined here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import EngineError

#: Canonical names, central wavelengths (nm, Sentinel-2A) and native ground sampling distance (m).
SENTINEL2_BANDS: dict[str, tuple[float, int]] = {
    "B1": (442.7, 60),
    "B2": (492.4, 10),
    "B3": (559.8, 10),
    "B4": (664.6, 10),
    "B5": (704.1, 20),
    "B6": (740.5, 20),
    "B7": (782.8, 20),
    "B8": (832.8, 10),
    "B8A": (864.7, 20),
    "B9": (945.1, 60),
    "B10": (1373.5, 60),
    "B11": (1613.7, 20),
    "B12": (2202.4, 20),
}

#: The ten 10 m and 20 m bands, in the order the So2Sat LCZ42 models and our own networks use.
MODEL_BANDS: tuple[str, ...] = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")

_TOKEN = re.compile(r"(?<![A-Za-z0-9])B(?:AND)?[ _-]?0*(\d{1,2})(A?)(?![A-Za-z0-9])", re.IGNORECASE)
_WAVELENGTH_TOLERANCE_NM = 10.0
_NAME_METADATA_KEYS = ("BANDNAME", "BAND_NAME", "NAME", "BAND")
_WAVELENGTH_METADATA_KEYS = ("WAVELENGTH", "CENTRAL_WAVELENGTH", "WAVELENGTH_NM")


def canonical_band_name(text: str) -> str | None:
    """'B02', 'b8a', 'T32TMR_20180122_B11_20m' -> 'B2', 'B8A', 'B11'; None when no band token is found.

    'Band 2' is deliberately not read as B2: many tools use it for the second raster band, whatever it
    holds. Only 'B' + number (optionally zero-padded, optionally 'A' for 8A) counts.
    """
    found: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        if match.group(0)[:4].upper() == "BAND":
            continue
        number, suffix = int(match.group(1)), match.group(2).upper()
        name = f"B{number}{suffix}"
        if name in SENTINEL2_BANDS:
            found.append(name)
    unique = sorted(set(found))
    return unique[0] if len(unique) == 1 else None


def band_from_wavelength(wavelength_nm: float) -> str | None:
    """The band whose central wavelength is within 10 nm, or None."""
    best = min(SENTINEL2_BANDS, key=lambda b: abs(SENTINEL2_BANDS[b][0] - wavelength_nm))
    return best if abs(SENTINEL2_BANDS[best][0] - wavelength_nm) <= _WAVELENGTH_TOLERANCE_NM else None


def band_from_metadata(metadata: dict[str, str]) -> str | None:
    """Identify a band from GDAL band metadata (BANDNAME=B2, WAVELENGTH=490 with WAVELENGTH_UNIT=nm...)."""
    upper = {k.upper(): v for k, v in (metadata or {}).items()}
    for key in _NAME_METADATA_KEYS:
        if key in upper:
            name = canonical_band_name(upper[key])
            if name:
                return name
    for key in _WAVELENGTH_METADATA_KEYS:
        if key in upper:
            try:
                value = float(str(upper[key]).split()[0])
            except ValueError:
                continue
            unit = upper.get("WAVELENGTH_UNIT", "nm").strip().lower()
            if unit in ("um", "µm", "micrometer", "micrometers", "micron"):
                value *= 1000.0
            elif value < 5.0:  # clearly micrometres without a unit
                value *= 1000.0
            name = band_from_wavelength(value)
            if name:
                return name
    return None


@dataclass(frozen=True)
class BandSlot:
    """Where one Sentinel-2 band lives: (source file, 1-based band index), and how we found out."""

    name: str
    source: str
    index: int
    how: str  # "description", "metadata", "file name", "BANDS parameter"


def parse_band_mapping(text: str, band_count: int) -> dict[str, int]:
    """Parse the BANDS parameter into {band name: 1-based raster band index}.

    Two forms are accepted:
      * names in raster band order: ``B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12`` (use ``-`` to skip a band);
      * explicit pairs: ``B2=1,B3=2,B4=3,...`` (any order, only the bands you need).
    """
    items = [item.strip() for item in re.split(r"[,;\s]+", text.strip()) if item.strip()]
    if not items:
        return {}
    if all("=" in item or ":" in item for item in items):
        return _band_pairs(items, band_count)
    if any("=" in item for item in items):
        raise EngineError("BANDS: use either a list of names in band order or NAME=number pairs, not both.")
    if len(items) > band_count:
        raise EngineError(f"BANDS lists {len(items)} names but the raster has only {band_count} bands.")
    mapping: dict[str, int] = {}
    for position, item in enumerate(items, start=1):
        if item in ("-", "_", "x", "X"):
            continue
        name = canonical_band_name(item)
        if name is None:
            raise EngineError(f"BANDS: '{item}' is not a Sentinel-2 band name (use B1..B12, B8A, or - to skip).")
        if name in mapping:
            raise EngineError(f"BANDS names {name} twice.")
        mapping[name] = position
    return mapping


def _band_pairs(items: list[str], band_count: int) -> dict[str, int]:
    """The NAME=number form of BANDS: each name and each raster band once, every band within the raster."""
    mapping: dict[str, int] = {}
    for item in items:
        key, _, value = re.split(r"([=:])", item, maxsplit=1)
        name = canonical_band_name(key.strip())
        if name is None:
            raise EngineError(f"BANDS: '{key.strip()}' is not a Sentinel-2 band name (use B1..B12, B8A).")
        try:
            index = int(value)
        except ValueError as exc:
            raise EngineError(f"BANDS: '{item}' must be NAME=band number, e.g. B4=3.") from exc
        if not 1 <= index <= band_count:
            raise EngineError(f"BANDS: band {index} for {name} does not exist; the raster has {band_count} bands.")
        if name in mapping:
            raise EngineError(f"BANDS names {name} twice.")
        twin = next((other for other, used in mapping.items() if used == index), None)
        if twin:
            # One raster band cannot hold two Sentinel-2 bands: the model would see a copy, not the band.
            raise EngineError(f"BANDS gives raster band {index} to both {twin} and {name}; "
                              "each Sentinel-2 band needs its own raster band.")
        mapping[name] = index
    return mapping
