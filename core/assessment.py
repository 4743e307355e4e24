"""Assess an LCZ map or a settlement density (HSE) map against a reference: the scores and what they rest on.

The prediction is brought onto the reference's grid (core.reference_grid; polygons are rasterised onto the
prediction's grid), the reference's codes are checked and mapped (core.class_codes), and the confusion matrix and
scores come from core.scores, shared with the training code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import scores
from .area_estimation import (
    AreaEstimate,
    assessment_areas,
    block_row_km2,
    grid_row_km2,
    settlement_indices,
)
from .class_codes import (
    LCZ_SCHEME,
    ClassInfo,
    check_groups,
    check_prediction_codes,
    check_reference_codes,
    class_code_of,
    group_scheme,
    parse_class_mapping,
    recode,
)
from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT
from .reference_grid import (
    PolygonReference,
    aligned_on_reference,
    grid_text,
    open_raster,
    rasterise_polygons,
    read_on_grid,
)

#: Importers of core.assessment see these here too (the QGIS algorithms pass PolygonReference and class codes).
__all__ = ["LCZ_SCHEME", "UNITS", "ClassInfo", "HseAssessment", "LczAssessment", "PolygonReference", "assess_hse",
           "assess_lcz", "class_code_of", "parse_class_mapping", "read_on_grid"]

#: Density units: "auto" reads percent when a valid value exceeds 1, else fractions.
UNITS = ("auto", "fraction", "percent")
#: After conversion to fractions, values outside 0..1 are scored with a warning, values outside this range are
#: taken for an undeclared nodata value (255, -1, 65535 ...) and refused.
_PLAUSIBLE_DENSITY = (-0.5, 1.5)

Log = Callable[[str], None]


def _no_log(_line: str) -> None:
    pass



# -------------------------------------------------------------------------------------------------- LCZ
@dataclass
class LczAssessment:
    """Everything the report, the table and the algorithm's outputs show about one LCZ assessment."""

    prediction: str
    reference: str
    scheme: str  # "lcz": the 17 zones; "groups": the reference's classes, LCZ grouped by class_groups
    classes: tuple[ClassInfo, ...]
    confusion: np.ndarray  # reference in rows, prediction in columns, in the order of `classes`
    scores: dict[str, float]
    per_class: list[dict[str, Any]]
    grid: str
    reference_cells: int  # labelled reference cells under the prediction's extent
    unpredicted_cells: int  # of those, cells where the prediction has no data
    excluded_cells: int  # of those, cells whose predicted LCZ is in no group (scheme "groups")
    reference_mapping: dict[int, int] = field(default_factory=dict)
    class_groups: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    areas: AreaEstimate | None = None  # error-adjusted class areas (core.area_estimation); None: grid without CRS


def assess_lcz(
    prediction: str | Path,
    reference: str | Path | PolygonReference,
    *,
    reference_mapping: str | None = None,
    class_groups: str | None = None,
    log: Log = _no_log,
) -> LczAssessment:
    """Score an LCZ raster (codes 1..17, nodata honoured) against a reference raster or polygons.

    reference_mapping: the reference's codes -> LCZ codes (or group codes), for a reference with other codes.
    class_groups: LCZ codes -> the reference's classes, for a reference with a coarser scheme (e.g. 5 classes);
    LCZ classes in no group are left out (counted in excluded_cells), and WA, OAu, OAbu are not defined.
    """
    prediction = str(prediction)
    ref_mapping = parse_class_mapping(reference_mapping, "reference mapping")
    groups = parse_class_mapping(class_groups, "class groups")
    check_groups(groups)
    classes = group_scheme(groups) if groups else LCZ_SCHEME
    scheme = "reference classes of the class groups" if groups else "17 local climate zones"
    allowed = [c.code for c in classes]
    notes: list[str] = []
    if isinstance(reference, PolygonReference):
        reference_name = f"{reference.name} (field {reference.field_name})"
        pred, ref, grid, row_km2 = _polygons_on_prediction(prediction, reference, reference_name, allowed,
                                                           ref_mapping, scheme, notes)
    else:
        reference_name = str(reference)
        pred, ref, grid, row_km2 = _prediction_on_reference(prediction, reference_name, allowed, ref_mapping,
                                                            scheme)
    log(f"Scoring grid: {grid}")
    check_prediction_codes(pred, prediction)
    if ref_mapping:
        ref = recode(ref, ref_mapping, missing=0)
        log("Reference mapping applied: " + "; ".join(f"{s}->{t}" for s, t in sorted(ref_mapping.items())))
    labelled = ref > 0
    reference_cells = int(labelled.sum())
    unpredicted = int((labelled & (pred == 0)).sum())
    excluded = 0
    if groups:
        pred, excluded = _grouped_prediction(pred, labelled, groups, notes)
        log("Class groups: " + "; ".join(f"{c.name}->{c.code}" for c in classes))
    cm = _confusion(ref, pred, allowed)
    if cm.sum() == 0:
        raise EngineError(
            f"No cell has both a reference class and a predicted class ({reference_cells} labelled reference cells "
            f"under the prediction, {unpredicted} of them without prediction): the prediction's data and the "
            f"reference {reference_name} do not overlap."
        )
    if unpredicted:
        notes.append(f"{unpredicted} of {reference_cells} labelled reference cells have no prediction and are not "
                     "scored.")
    summary, rows = _class_scores(cm, classes, grouped=bool(groups))
    log(f"{summary['n']} cells scored: OA {summary['oa']:.3f}, Kappa {summary['kappa']:.3f}")
    return LczAssessment(
        prediction=prediction, reference=reference_name, scheme="groups" if groups else "lcz", classes=classes,
        confusion=cm, scores=summary, per_class=rows, grid=grid, reference_cells=reference_cells,
        unpredicted_cells=unpredicted, excluded_cells=excluded, reference_mapping=ref_mapping, class_groups=groups,
        notes=notes, areas=assessment_areas(_class_indices(pred, allowed), row_km2, cm),
    )


def _class_scores(cm: np.ndarray, classes: tuple[ClassInfo, ...],
                  grouped: bool) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The summary scores (the LCZ ones, or the plain class scores of a grouped scheme) and the per-class rows."""
    summary = scores.class_scores(cm) if grouped else scores.lcz_scores(cm)
    rows = scores.per_class_table(cm)
    for row, cls in zip(rows, classes, strict=True):
        row.update(code=cls.code, label=cls.label, name=cls.name)
    return summary, rows


def _polygon_codes(reference: PolygonReference) -> list[int | None]:
    """The class code of every polygon; an error naming the values that are no class code."""
    if not reference.features:
        raise EngineError(f"The reference layer {reference.name} has no features.")
    codes = [class_code_of(value) for _wkb, value in reference.features]
    unreadable: dict[str, int] = {}
    for (_wkb, value), code in zip(reference.features, codes, strict=True):
        if code is None:
            unreadable[repr(value)] = unreadable.get(repr(value), 0) + 1
    if unreadable:
        shown = ", ".join(f"{v} ({n} features)" for v, n in list(unreadable.items())[:12])
        raise EngineError(
            f"The class field {reference.field_name} of {reference.name} holds values that are not class codes: "
            f"{shown}. Use whole-number codes (LCZ 1..17) or LCZ labels 1..10, A..G."
        )
    return codes


def _polygons_on_prediction(prediction: str, reference: PolygonReference, reference_name: str, allowed: list[int],
                            ref_mapping: dict[int, int], scheme: str,
                            notes: list[str]) -> tuple[np.ndarray, np.ndarray, str, np.ndarray | None]:
    """(prediction, reference polygons rasterised on the prediction's grid, that grid in words, its cells' km2 per
    row); codes checked."""
    codes = _polygon_codes(reference)
    counts: dict[int, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1  # type: ignore[index]
    check_reference_codes(counts, allowed, ref_mapping, reference=reference_name, unit="features", scheme=scheme)
    without_geometry = sum(1 for wkb, _v in reference.features if not wkb)
    if without_geometry:
        notes.append(f"{without_geometry} reference features without geometry were skipped.")
    pred_ds = open_raster(prediction, "prediction")
    band = pred_ds.GetRasterBand(1)
    pred = band.ReadAsArray().astype(np.int64)
    nodata = band.GetNoDataValue()
    if nodata is not None:
        pred[pred == nodata] = 0
    ref = rasterise_polygons(pred_ds, reference, codes)
    return (pred, ref, f"the prediction's grid, {grid_text(pred_ds)} (polygons rasterised by cell centre)",
            grid_row_km2(pred_ds))


def _prediction_on_reference(prediction: str, reference_name: str, allowed: list[int], ref_mapping: dict[int, int],
                             scheme: str) -> tuple[np.ndarray, np.ndarray, str, np.ndarray | None]:
    """(prediction on the reference raster's grid, reference, that grid in words, its cells' km2 per row); the
    reference's codes checked."""
    pred, ref, grid, row_km2 = aligned_on_reference(prediction, reference_name, "classes")
    values, counts = np.unique(ref[ref != 0], return_counts=True)
    check_reference_codes(dict(zip(values.tolist(), counts.tolist(), strict=True)), allowed, ref_mapping,
                          reference=reference_name, unit="cells", scheme=scheme)
    return pred, ref, f"the reference's grid under the prediction, {grid}", row_km2


def _grouped_prediction(pred: np.ndarray, labelled: np.ndarray, groups: dict[int, int],
                        notes: list[str]) -> tuple[np.ndarray, int]:
    """The prediction in the groups' classes (LCZ in no group: 0) and the labelled cells so left out."""
    pred = recode(pred, groups, missing=-1)
    excluded = int((labelled & (pred == -1)).sum())
    pred[pred == -1] = 0
    if excluded:
        left_out = sorted(set(range(1, LCZ_CLASS_COUNT + 1)) - set(groups))
        notes.append(f"{excluded} labelled cells were predicted as LCZ classes in no group "
                     f"({', '.join(LCZ_SCHEME[c - 1].label for c in left_out)}) and are not scored.")
    return pred, excluded


def _class_indices(codes: np.ndarray, allowed: list[int]) -> np.ndarray:
    """Class codes as indices 1..k in the order of `allowed` (0 and other codes: 0)."""
    lookup = np.zeros(max(max(allowed), int(codes.max(initial=0))) + 1, dtype=np.int64)
    for i, code in enumerate(allowed):
        lookup[code] = i + 1
    return lookup[np.maximum(codes, 0)]


def _confusion(ref: np.ndarray, pred: np.ndarray, allowed: list[int]) -> np.ndarray:
    """The confusion matrix over the classes `allowed` (codes -> rows 1..k; 0 and other codes are not counted)."""
    return scores.confusion_matrix(_class_indices(ref, allowed), _class_indices(pred, allowed),
                                   n_classes=len(allowed))


# -------------------------------------------------------------------------------------------------- HSE
@dataclass
class HseAssessment:
    """Density errors and binary settlement scores of one HSE assessment, in fractions 0..1."""

    prediction: str
    reference: str
    scores: dict[str, float]
    binary_confusion: np.ndarray  # [[non->non, non->settl.], [settl.->non, settl.->settl.]]
    units: dict[str, str]  # "prediction"/"reference" -> "fraction" or "percent"
    grid: str
    reference_cells: int  # reference cells with a value under the prediction's extent
    unpredicted_cells: int  # of those, cells without prediction
    notes: list[str] = field(default_factory=list)
    areas: AreaEstimate | None = None  # error-adjusted settlement area (core.area_estimation); None: grid without CRS


def _to_fraction(values: np.ndarray, units: str, role: str, path: str, notes: list[str], log: Log) -> str:
    """Scale `values` in place to fractions; returns the units used. Refuses values that cannot be densities."""
    if units not in UNITS:
        raise EngineError(f"Units must be one of {', '.join(UNITS)}, not {units!r}.")
    finite = values[np.isfinite(values)]
    if units == "auto":
        units = "percent" if finite.size and float(finite.max()) > 1.0 + 1e-6 else "fraction"
        log(f"The {role}'s units read as {units} (largest value {float(finite.max()) if finite.size else math.nan:g}).")
    if units == "percent":
        values *= 0.01
        finite = finite * 0.01
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        if low < _PLAUSIBLE_DENSITY[0] or high > _PLAUSIBLE_DENSITY[1]:
            scale = 100 if units == "percent" else 1
            raise EngineError(
                f"The {role} {path} holds values from {low * scale:g} to {high * scale:g}, which are not densities "
                f"({'0..100 %' if units == 'percent' else '0..1'}). If some mean no data, set the raster's nodata "
                "value; otherwise choose its units."
            )
        outside = int(((finite < 0) | (finite > 1)).sum())
        if outside:
            notes.append(f"{outside} {role} cells lie outside 0..1 ({low:g}..{high:g} as fractions); "
                         "scored as they are.")
    return units


def assess_hse(
    prediction: str | Path,
    reference: str | Path,
    *,
    prediction_units: str = "auto",
    reference_units: str = "auto",
    threshold: float = scores.HSE_BINARY_THRESHOLD,
    aggregate: int = 1,
    log: Log = _no_log,
) -> HseAssessment:
    """MAE, RMSE, bias of a density raster against a reference density raster, and binary settlement scores.

    Both are read as fractions 0..1 or percent 0..100 (units, "auto" by their largest value), nodata honoured,
    the prediction averaged onto the reference's grid in its CRS. A cell is settlement when its density (after
    an optional block mean of `aggregate` cells a side) is at least `threshold` (a fraction).
    """
    prediction, reference = str(prediction), str(reference)
    _check_settlement_options(threshold, aggregate)
    pred, ref, grid, row_km2 = aligned_on_reference(prediction, reference, "density")
    log(f"Scoring grid: the reference's grid under the prediction, {grid}")
    notes: list[str] = []
    units = {
        "reference": _to_fraction(ref, reference_units, "reference", reference, notes, log),
        "prediction": _to_fraction(pred, prediction_units, "prediction", prediction, notes, log),
    }
    has_ref = np.isfinite(ref)
    both = has_ref & np.isfinite(pred)
    reference_cells, unpredicted = int(has_ref.sum()), int((has_ref & ~both).sum())
    if not both.any():
        raise EngineError(
            f"No cell has both a reference density and a predicted density ({reference_cells} reference cells under "
            f"the prediction, none with prediction): the prediction's data and the reference {reference} do not "
            "overlap."
        )
    if unpredicted:
        notes.append(f"{unpredicted} of {reference_cells} reference cells have no prediction and are not scored.")
    errors = scores.density_errors(pred, ref)
    binary = scores.hse_scores(pred, ref, threshold=threshold, aggregate=aggregate)
    cm = scores.binary_confusion(scores.aggregate_mean(pred, aggregate), scores.aggregate_mean(ref, aggregate),
                                 threshold)
    if cm.sum() == 0:  # before: null settlement scores without a word
        raise _no_whole_block(aggregate, pred.shape)
    summary = {**binary, "mae": errors["mae"], "rmse": errors["rmse"], "bias": errors["bias"]}
    log(f"{summary['n']} cells scored: MAE {summary['mae']:.4f}, RMSE {summary['rmse']:.4f}, "
        f"bias {summary['bias']:+.4f}")
    return HseAssessment(
        prediction=prediction,
        reference=reference,
        scores=summary,
        binary_confusion=cm,
        units=units,
        grid=f"the reference's grid under the prediction, {grid}",
        reference_cells=reference_cells,
        unpredicted_cells=unpredicted,
        notes=notes,
        areas=assessment_areas(settlement_indices(scores.aggregate_mean(pred, aggregate), threshold),
                               None if row_km2 is None else block_row_km2(row_km2, aggregate), cm),
    )


def _check_settlement_options(threshold: float, aggregate: int) -> None:
    if not 0.0 < threshold <= 1.0:
        raise EngineError(f"The settlement threshold is a fraction in (0, 1], not {threshold:g}.")
    if aggregate < 1:
        raise EngineError(f"The block size must be at least 1 cell, not {aggregate}.")


def _no_whole_block(aggregate: int, shape: tuple[int, ...]) -> EngineError:
    """The error for a block size that leaves no block with both densities (the settlement scores would be empty)."""
    height, width = shape
    return EngineError(
        f"No block of {aggregate} x {aggregate} cells holds both a reference and a predicted density: the scored "
        f"grid is {width} x {height} cells, and the rows and columns that do not fill a whole block are left out, "
        f"so the settlement scores would be empty. Choose a block size of at most {min(width, height)} cells "
        "(1 scores every cell)."
    )
