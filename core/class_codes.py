"""Class codes of an assessment: the LCZ scheme, a reference's own codes, mappings and groups, and their checks.

Nothing here guesses a reference's codes: values that are not classes of the assessed scheme are an error
that names them, and a reference with other codes needs an explicit mapping (parse_class_mapping).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES


@dataclass(frozen=True)
class ClassInfo:
    """A row/column of a confusion matrix: an LCZ, or a class of the reference's own scheme."""

    code: int
    label: str
    name: str
    color: str


LCZ_SCHEME: tuple[ClassInfo, ...] = tuple(ClassInfo(c.code, c.label, c.name, c.color) for c in LCZ_CLASSES)
_LCZ_BY_LABEL = {c.label.upper(): c.code for c in LCZ_CLASSES}


def parse_class_mapping(text: str | None, what: str = "class mapping") -> dict[int, int]:
    """'1,2,4,5->1; 3,6->2' -> {1: 1, 2: 1, 4: 1, 5: 1, 3: 2, 6: 2}; empty text -> {}.

    Why this syntax: one line a user can type in the toolbox, a model or qgis_process. Rules are separated by
    ';' (or new lines), source codes by ',' or spaces; every code is a whole number and appears once.
    """
    mapping: dict[int, int] = {}
    if not text or not text.strip():
        return mapping
    for rule in re.split(r"[;\n]", text):
        if not rule.strip():
            continue
        parts = rule.split("->")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise EngineError(f"The {what} rule {rule.strip()!r} is not of the form 'a,b->c' "
                              "(e.g. '1,2,4,5->1; 3->2').")
        try:
            sources = [int(v) for v in re.split(r"[,\s]+", parts[0].strip()) if v]
            target = int(parts[1].strip())
        except ValueError:
            raise EngineError(
                f"The {what} rule {rule.strip()!r} must hold whole-number class codes (e.g. '9->2')."
            ) from None
        for code in (*sources, target):
            if code <= 0 or code > 65535:
                raise EngineError(f"The {what} rule {rule.strip()!r}: codes are 1..65535 (0 means no class).")
        for code in sources:
            if code in mapping:
                raise EngineError(f"The {what} lists code {code} twice.")
            mapping[code] = target
    return mapping


def recode(values: np.ndarray, mapping: dict[int, int], missing: int = -1) -> np.ndarray:
    """Values through a mapping; 0 stays 0, codes the mapping lacks become `missing`."""
    out = np.full(values.shape, missing, dtype=np.int64)
    out[values == 0] = 0
    for source, target in mapping.items():
        out[values == source] = target
    return out


def _codes_text(counts: dict[int, int], unit: str) -> str:
    """Codes with their counts, for an error message: at most 12 shown."""
    shown = sorted(counts.items())[:12]
    more = f" and {len(counts) - 12} more" if len(counts) > 12 else ""
    return ", ".join(f"{code} ({count} {unit})" for code, count in shown) + more


def class_code_of(value: Any) -> int | None:
    """A class field value as a code: whole numbers as they are (also after 'LCZ'), labels A..G as LCZ 11..17.

    None for NULL/empty values and for text that is neither.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    text = str(value).strip().upper()
    if not text or text == "NULL":
        return None
    text = re.sub(r"^LCZ[\s_-]*", "", text)
    try:
        number = float(text)
    except ValueError:
        return _LCZ_BY_LABEL.get(text)
    return int(number) if number.is_integer() else None



def check_prediction_codes(pred: np.ndarray, prediction: str) -> None:
    """Error naming the values of an LCZ prediction that are not LCZ codes 0..17 (0: no data)."""
    bad = (pred < 0) | (pred > LCZ_CLASS_COUNT)
    if bad.any():
        values, counts = np.unique(pred[bad], return_counts=True)
        raise EngineError(
            f"The prediction {prediction} holds values that are not LCZ codes 1..17: "
            f"{_codes_text(dict(zip(values.tolist(), counts.tolist(), strict=True)), 'cells')}. Is it an LCZ map? "
            "If these values mean no data, set the raster's nodata value."
        )


def check_reference_codes(counts: dict[int, int], allowed: Iterable[int], mapping: dict[int, int], *,
                             reference: str, unit: str, scheme: str) -> None:
    """Error naming the reference codes that are not classes of the scheme (after the mapping, if any)."""
    allowed = set(allowed)
    if mapping:
        unknown = {code: n for code, n in counts.items() if code != 0 and code not in mapping}
        if unknown:
            raise EngineError(
                f"The reference {reference} holds codes the reference mapping does not list: "
                f"{_codes_text(unknown, unit)}. Add each to the mapping as '{min(unknown)}->N', N being the class it "
                "stands for."
            )
        wrong = sorted({t for t in mapping.values() if t not in allowed})
        if wrong:
            raise EngineError(f"The reference mapping maps to {wrong}, which are not classes of the {scheme}.")
        return
    unknown = {code: n for code, n in counts.items() if code != 0 and code not in allowed}
    if unknown:
        hint = (
            "Give a reference mapping that turns them into LCZ codes (e.g. '9->2; 11->4'), or class groups when the "
            "reference has its own classes."
            if scheme == "17 local climate zones"
            else "Every reference class must be a target of the class groups."
        )
        raise EngineError(
            f"The reference {reference} holds codes that are not classes of the {scheme}: "
            f"{_codes_text(unknown, unit)}. {hint}"
        )


def check_groups(groups: dict[int, int]) -> None:
    """Error naming the class groups' source codes that are not LCZ codes."""
    bad = sorted(code for code in groups if code > LCZ_CLASS_COUNT)
    if bad:
        raise EngineError(f"The class groups list {bad}, which are not LCZ codes 1..17.")


def group_scheme(groups: dict[int, int]) -> tuple[ClassInfo, ...]:
    """The classes of a grouped assessment, one per group: named by their LCZ, coloured as the lowest of them."""
    classes = []
    for target in sorted(set(groups.values())):
        members = [code for code, t in groups.items() if t == target]
        labels = ", ".join(LCZ_SCHEME[m - 1].label for m in sorted(members))
        classes.append(ClassInfo(target, str(target), f"LCZ {labels}", LCZ_SCHEME[min(members) - 1].color))
    return tuple(classes)

