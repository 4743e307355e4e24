"""The 17 local climate zones: codes, labels, names and colours, read from one data file.

resources/lcz_classes.json is the single definition of the palette. Everything else (GeoTIFF colour
tables, QML styles, model metadata, legends) is derived from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .paths import PALETTE_FILE

LCZ_CLASS_COUNT = 17
LCZ_NODATA = 0


@dataclass(frozen=True)
class LczClass:
    code: int  # raster value, 1..17
    label: str  # Stewart & Oke label: 1..10, A..G
    name: str
    color: str  # "#rrggbb"

    @property
    def rgb(self) -> tuple[int, int, int]:
        return tuple(int(self.color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]

    @property
    def legend_text(self) -> str:
        return f"{self.label} {self.name}"

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "name": self.name, "color": self.color}


def _load_classes() -> tuple[LczClass, ...]:
    data = json.loads(PALETTE_FILE.read_text(encoding="utf-8"))
    classes = tuple(LczClass(**entry) for entry in data["classes"])
    if [c.code for c in classes] != list(range(1, LCZ_CLASS_COUNT + 1)):
        raise ValueError(f"{PALETTE_FILE} must list the LCZ codes 1..17 in order")
    return classes


LCZ_CLASSES: tuple[LczClass, ...] = _load_classes()
WATER_CODE = 17
BUILT_CODES = tuple(range(1, 11))
