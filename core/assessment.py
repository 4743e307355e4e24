"""Assess an LCZ map or a settlement density (HSE) map against a reference: one grid, checked codes, the scores.

Why the reference's grid: its cells are the sampling units the scores count, and a reference is never
resampled (that would invent truth). The prediction is warped onto it, in the reference's CRS: by the
majority (mode) of the predicted cells when the prediction is finer, by nearest neighbour otherwise, and by
the area average for densities. A polygon reference has no grid: it is rasterised onto the prediction's grid
(a cell counts when its centre lies in a polygon). The scores are core.scores, shared with the training code.

Nothing here guesses a reference's codes: values that are not classes of the assessed scheme are an error
that names them, and a reference with other codes needs an explicit mapping (parse_class_mapping).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal, ogr, osr

from . import scores
from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES

gdal.UseExceptions()

#: A reference cell counts as predicted when at least this share of the finer prediction inside it has data.
MIN_PREDICTED_SHARE = 0.5
#: A prediction is "finer" (majority of its cells per reference cell) only when its pixels are this much smaller
#: in area. Why not ~0: GDAL's suggested resolution is computed, so a raster on the reference's very grid came out
#: a hair finer, and GDAL's mode on a 1:1 grid is not the identity (1.2 % of the HK PRD map changed class).
_FINER_BY = 0.01

#: Density units: "auto" reads percent when a valid value exceeds 1, else fractions.
UNITS = ("auto", "fraction", "percent")
#: After conversion to fractions, values outside 0..1 are scored with a warning, values outside this range are
#: taken for an undeclared nodata value (255, -1, 65535 ...) and refused.
_PLAUSIBLE_DENSITY = (-0.5, 1.5)

Log = Callable[[str], None]


def _no_log(_line: str) -> None:
    pass


# ------------------------------------------------------------------------ the prediction on the reference grid
# (moved from training.mtl.evaluate, which re-exports read_on_grid: one definition for training and plugin)
def _open(path: str | Path) -> gdal.Dataset:
    try:
        return gdal.Open(str(path), gdal.GA_ReadOnly)
    except RuntimeError as exc:
        raise FileNotFoundError(f"cannot open raster {path}: {exc}") from exc


def _pixel_area_in(src: gdal.Dataset, target_wkt: str) -> float:
    """Area of one source pixel in the target CRS units, from GDAL's suggested warp resolution."""
    if target_wkt and src.GetProjection():
        vrt = gdal.Warp("", src, format="VRT", dstSRS=target_wkt)
        gt = vrt.GetGeoTransform()
        vrt = None
    else:
        gt = src.GetGeoTransform()
    return abs(gt[1] * gt[5])


def _valid_fraction(src: gdal.Dataset, nodata: float, grid: dict[str, Any]) -> np.ndarray:
    """Share of each target cell's source pixels that hold a prediction (not nodata), by an average warp."""
    band = src.GetRasterBand(1)
    mask = gdal.GetDriverByName("MEM").Create("", src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Byte)
    mask.SetGeoTransform(src.GetGeoTransform())
    mask.SetProjection(src.GetProjection())
    rows = max(1, 2**24 // max(1, src.RasterXSize))  # stream strips: the source may be a whole scene
    for y in range(0, src.RasterYSize, rows):
        strip = band.ReadAsArray(0, y, src.RasterXSize, min(rows, src.RasterYSize - y))
        mask.GetRasterBand(1).WriteArray((strip != nodata).astype(np.uint8), 0, y)
    share = gdal.Warp("", mask, format="MEM", resampleAlg="average", outputType=gdal.GDT_Float32, **grid)
    return share.GetRasterBand(1).ReadAsArray()


def read_on_grid(source: str | Path, reference: str | Path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(prediction on the reference grid, reference) as arrays; missing cells 0 (classes) or NaN (HSE).

    kind: "classes" or "density". Declared nodata of either raster becomes the missing value.
    """
    ref = _open(reference)
    src = _open(source)
    ref_wkt = ref.GetProjection()
    if bool(ref_wkt) != bool(src.GetProjection()):
        raise ValueError(f"{source} and {reference}: one has a CRS and the other not; cannot align them")
    gt = ref.GetGeoTransform()
    bounds = (gt[0], gt[3] + gt[5] * ref.RasterYSize, gt[0] + gt[1] * ref.RasterXSize, gt[3])
    if gt[2] or gt[4]:
        raise ValueError(f"{reference}: rotated grids are not supported")
    src_nodata = src.GetRasterBand(1).GetNoDataValue()
    if kind == "classes":
        finer = _pixel_area_in(src, ref_wkt) < abs(gt[1] * gt[5]) * (1 - _FINER_BY)
        options: dict[str, Any] = {
            "resampleAlg": "mode" if finer else "near",
            "outputType": gdal.GDT_Int16,
            "srcNodata": src_nodata if src_nodata is not None else 0,
            "dstNodata": 0,
        }
    elif kind == "density":
        options = {
            "resampleAlg": "average",
            "outputType": gdal.GDT_Float32,
            "srcNodata": src_nodata if src_nodata is not None else "nan",
            "dstNodata": "nan",
        }
    else:
        raise ValueError(f"kind must be 'classes' or 'density', not {kind!r}")
    warped = gdal.Warp(
        "",
        src,
        format="MEM",
        dstSRS=ref_wkt or None,
        outputBounds=bounds,
        width=ref.RasterXSize,
        height=ref.RasterYSize,
        **options,
    )
    pred = warped.GetRasterBand(1).ReadAsArray()
    if kind == "classes" and options["resampleAlg"] == "mode":
        # mode skips nodata, so a cell with a sliver of prediction would take the sliver's class
        grid = {"dstSRS": ref_wkt or None, "outputBounds": bounds, "width": ref.RasterXSize,
                "height": ref.RasterYSize}
        pred[_valid_fraction(src, options["srcNodata"], grid) < MIN_PREDICTED_SHARE] = 0
    ref_band = ref.GetRasterBand(1)
    ref_arr = ref_band.ReadAsArray()
    ref_nodata = ref_band.GetNoDataValue()
    if kind == "classes":
        ref_arr = ref_arr.astype(np.int64)
        if ref_nodata is not None:
            ref_arr[ref_arr == ref_nodata] = 0
        return pred.astype(np.int64), ref_arr
    ref_arr = ref_arr.astype(np.float64)
    if ref_nodata is not None:
        ref_arr[ref_arr == ref_nodata] = np.nan
    return pred.astype(np.float64), ref_arr


# ---------------------------------------------------------------------------------------------- class codes
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
            raise EngineError(f"The {what} rule {rule.strip()!r} is not of the form 'a,b->c' (e.g. '1,2,4,5->1; 3->2').")
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


def _recode(values: np.ndarray, mapping: dict[int, int], missing: int = -1) -> np.ndarray:
    """Values through a mapping; 0 stays 0, codes the mapping lacks become `missing`."""
    out = np.full(values.shape, missing, dtype=np.int64)
    out[values == 0] = 0
    for source, target in mapping.items():
        out[values == source] = target
    return out


def _codes_text(counts: dict[int, int], unit: str) -> str:
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


# -------------------------------------------------------------------------------------------- a polygon layer
@dataclass
class PolygonReference:
    """Reference polygons with their class values, in the CRS given by crs_wkt (empty: none).

    Why not a file path: in QGIS the layer may be a memory layer or a model's temporary output, which GDAL
    cannot open; the algorithm hands over geometries (WKB) and values, a script can use from_file.
    """

    features: list[tuple[bytes, Any]]
    crs_wkt: str
    name: str = "polygon layer"
    field_name: str = "class"

    @classmethod
    def from_file(cls, path: str | Path, field_name: str) -> PolygonReference:
        try:
            source = ogr.Open(str(path))
        except RuntimeError as exc:
            raise EngineError(f"Cannot open the reference polygons {path}: {exc}") from exc
        if source is None:
            raise EngineError(f"Cannot open the reference polygons {path}.")
        layer = source.GetLayer(0)
        if layer.GetLayerDefn().GetFieldIndex(field_name) < 0:
            raise EngineError(f"The reference polygons {path} have no field {field_name!r}.")
        srs = layer.GetSpatialRef()
        features = []
        for feature in layer:
            geometry = feature.GetGeometryRef()
            features.append((bytes(geometry.ExportToWkb()) if geometry else b"", feature.GetField(field_name)))
        return cls(features, srs.ExportToWkt() if srs else "", Path(path).name, field_name)


def _srs(wkt: str) -> osr.SpatialReference | None:
    if not wkt:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _rasterise_on(grid: gdal.Dataset, polygons: PolygonReference, codes: list[int | None]) -> np.ndarray:
    """Class codes of the polygons on the grid of `grid` (0 outside them); later polygons win where they overlap."""
    target = _srs(grid.GetProjection())
    source = _srs(polygons.crs_wkt)
    if (target is None) != (source is None):
        raise EngineError(
            f"The prediction and the reference polygons {polygons.name}: one has a CRS and the other not; "
            "cannot align them. Assign the missing CRS."
        )
    transform = None
    if source is not None and target is not None and not source.IsSame(target):
        transform = osr.CoordinateTransformation(source, target)
    memory = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = memory.CreateLayer("reference", srs=target, geom_type=ogr.wkbUnknown)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    for (wkb, _value), code in zip(polygons.features, codes, strict=True):
        if not wkb or code is None:
            continue
        geometry = ogr.CreateGeometryFromWkb(wkb)
        if transform is not None:
            geometry.Transform(transform)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("code", int(code))
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    raster = gdal.GetDriverByName("MEM").Create("", grid.RasterXSize, grid.RasterYSize, 1, gdal.GDT_Int32)
    raster.SetGeoTransform(grid.GetGeoTransform())
    if target is not None:
        raster.SetProjection(grid.GetProjection())
    gdal.RasterizeLayer(raster, [1], layer, options=["ATTRIBUTE=code"])
    return raster.GetRasterBand(1).ReadAsArray().astype(np.int64)


# --------------------------------------------------------------------------------------- grids and overlap
def _grid_text(dataset: gdal.Dataset) -> str:
    gt = dataset.GetGeoTransform()
    srs = _srs(dataset.GetProjection())
    crs = "no CRS"
    unit = ""
    if srs is not None:
        code = srs.GetAuthorityCode(None)
        crs = f"{srs.GetName()}" + (f" (EPSG:{code})" if code else "")
        unit = " degrees" if srs.IsGeographic() else " m" if srs.GetLinearUnits() == 1.0 else ""
    return f"{dataset.RasterXSize} x {dataset.RasterYSize} cells of {abs(gt[1]):.6g} x {abs(gt[5]):.6g}{unit}, {crs}"


def _bounds(dataset: gdal.Dataset) -> tuple[float, float, float, float]:
    gt = dataset.GetGeoTransform()
    if gt[2] or gt[4]:
        raise EngineError(f"{dataset.GetDescription()}: rotated grids are not supported.")
    xs = (gt[0], gt[0] + gt[1] * dataset.RasterXSize)
    ys = (gt[3], gt[3] + gt[5] * dataset.RasterYSize)
    return min(xs), min(ys), max(xs), max(ys)


def _open_checked(path: str | Path, role: str) -> gdal.Dataset:
    try:
        dataset = gdal.Open(str(path), gdal.GA_ReadOnly)
    except RuntimeError as exc:
        raise EngineError(f"Cannot open the {role} raster {path}: {exc}") from exc
    if dataset is None:
        raise EngineError(f"Cannot open the {role} raster {path}.")
    if dataset.RasterCount < 1:
        raise EngineError(f"The {role} raster {path} has no band.")
    return dataset


class _ReferenceWindow:
    """The part of the reference raster under the prediction's extent, as an in-memory VRT (deleted on exit).

    Why: a reference may cover a country while the prediction covers a city; only the overlap is read.
    """

    def __init__(self, prediction: gdal.Dataset, reference: gdal.Dataset, reference_path: str) -> None:
        self.path = f"/vsimem/hselcz_assessment_{uuid.uuid4().hex}.vrt"
        pred_srs, ref_srs = _srs(prediction.GetProjection()), _srs(reference.GetProjection())
        if (pred_srs is None) != (ref_srs is None):
            raise EngineError(
                f"The prediction and the reference {reference_path}: one has a CRS and the other not; cannot align "
                "them. Assign the missing CRS."
            )
        px0, py0, px1, py1 = _bounds(prediction)
        if pred_srs is not None and ref_srs is not None and not pred_srs.IsSame(ref_srs):
            try:
                px0, py0, px1, py1 = osr.CoordinateTransformation(pred_srs, ref_srs).TransformBounds(
                    px0, py0, px1, py1, 21)
            except RuntimeError as exc:
                raise EngineError(
                    f"The prediction's extent cannot be expressed in the reference's CRS ({exc}): they do not overlap."
                ) from exc
        if not all(math.isfinite(v) for v in (px0, py0, px1, py1)):
            raise EngineError("The prediction's extent cannot be expressed in the reference's CRS: they do not overlap.")
        gt = reference.GetGeoTransform()
        if gt[2] or gt[4]:
            raise EngineError(f"The reference {reference_path}: rotated grids are not supported.")
        cols = sorted(((px0 - gt[0]) / gt[1], (px1 - gt[0]) / gt[1]))
        rows = sorted(((py1 - gt[3]) / gt[5], (py0 - gt[3]) / gt[5]))
        x0, x1 = max(0, math.floor(cols[0]) - 1), min(reference.RasterXSize, math.ceil(cols[1]) + 1)
        y0, y1 = max(0, math.floor(rows[0]) - 1), min(reference.RasterYSize, math.ceil(rows[1]) + 1)
        if x1 <= x0 or y1 <= y0:
            raise EngineError(
                f"The prediction and the reference {reference_path} do not overlap (the prediction's extent in the "
                f"reference's CRS is {px0:.6g}, {py0:.6g} .. {px1:.6g}, {py1:.6g}; the reference covers "
                "{:.6g}, {:.6g} .. {:.6g}, {:.6g}).".format(*_bounds(reference))
            )
        gdal.Translate(self.path, reference, format="VRT", srcWin=[x0, y0, x1 - x0, y1 - y0])
        self.dataset = gdal.Open(self.path)

    def __enter__(self) -> _ReferenceWindow:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dataset = None
        gdal.Unlink(self.path)


def _aligned(prediction: str, reference: str, kind: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(prediction, reference) on the reference's grid under the prediction, and that grid in words."""
    pred_ds = _open_checked(prediction, "prediction")
    ref_ds = _open_checked(reference, "reference")
    with _ReferenceWindow(pred_ds, ref_ds, reference) as window:
        try:
            pred, ref = read_on_grid(prediction, window.path, kind)
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            raise EngineError(f"Cannot bring the prediction onto the reference's grid: {exc}") from exc
        return pred, ref, _grid_text(window.dataset)


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


def _prediction_codes_checked(pred: np.ndarray, prediction: str) -> None:
    bad = (pred < 0) | (pred > LCZ_CLASS_COUNT)
    if bad.any():
        values, counts = np.unique(pred[bad], return_counts=True)
        raise EngineError(
            f"The prediction {prediction} holds values that are not LCZ codes 1..17: "
            f"{_codes_text(dict(zip(values.tolist(), counts.tolist(), strict=True)), 'cells')}. Is it an LCZ map? "
            "If these values mean no data, set the raster's nodata value."
        )


def _reference_codes_checked(counts: dict[int, int], allowed: Iterable[int], mapping: dict[int, int], *,
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


def _groups_checked(groups: dict[int, int]) -> None:
    bad = sorted(code for code in groups if code > LCZ_CLASS_COUNT)
    if bad:
        raise EngineError(f"The class groups list {bad}, which are not LCZ codes 1..17.")


def _group_scheme(groups: dict[int, int]) -> tuple[ClassInfo, ...]:
    classes = []
    for target in sorted(set(groups.values())):
        members = [code for code, t in groups.items() if t == target]
        labels = ", ".join(LCZ_SCHEME[m - 1].label for m in sorted(members))
        classes.append(ClassInfo(target, str(target), f"LCZ {labels}", LCZ_SCHEME[min(members) - 1].color))
    return tuple(classes)


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
    _groups_checked(groups)
    classes = _group_scheme(groups) if groups else LCZ_SCHEME
    scheme = "reference classes of the class groups" if groups else "17 local climate zones"
    allowed = [c.code for c in classes]
    notes: list[str] = []

    if isinstance(reference, PolygonReference):
        reference_name = f"{reference.name} (field {reference.field_name})"
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
        counts: dict[int, int] = {}
        for code in codes:
            counts[code] = counts.get(code, 0) + 1  # type: ignore[index]
        _reference_codes_checked(counts, allowed, ref_mapping, reference=reference_name, unit="features",
                                 scheme=scheme)
        if sum(1 for wkb, _v in reference.features if not wkb):
            notes.append(f"{sum(1 for wkb, _v in reference.features if not wkb)} reference features without "
                         "geometry were skipped.")
        pred_ds = _open_checked(prediction, "prediction")
        band = pred_ds.GetRasterBand(1)
        pred = band.ReadAsArray().astype(np.int64)
        nodata = band.GetNoDataValue()
        if nodata is not None:
            pred[pred == nodata] = 0
        ref = _rasterise_on(pred_ds, reference, codes)
        grid = f"the prediction's grid, {_grid_text(pred_ds)} (polygons rasterised by cell centre)"
        pred_ds = None
    else:
        reference_name = str(reference)
        pred, ref, grid = _aligned(prediction, reference_name, "classes")
        grid = f"the reference's grid under the prediction, {grid}"
        values, counts_arr = np.unique(ref[ref != 0], return_counts=True)
        _reference_codes_checked(dict(zip(values.tolist(), counts_arr.tolist(), strict=True)), allowed, ref_mapping,
                                 reference=reference_name, unit="cells", scheme=scheme)
    log(f"Scoring grid: {grid}")
    _prediction_codes_checked(pred, prediction)
    if ref_mapping:
        ref = _recode(ref, ref_mapping, missing=0)
        log("Reference mapping applied: " + "; ".join(f"{s}->{t}" for s, t in sorted(ref_mapping.items())))
    labelled = ref > 0
    reference_cells = int(labelled.sum())
    unpredicted = int((labelled & (pred == 0)).sum())
    excluded = 0
    if groups:
        pred = _recode(pred, groups, missing=-1)
        excluded = int((labelled & (pred == -1)).sum())
        pred[pred == -1] = 0
        log("Class groups: " + "; ".join(f"{c.name}->{c.code}" for c in classes))
        if excluded:
            left_out = sorted(set(range(1, LCZ_CLASS_COUNT + 1)) - set(groups))
            notes.append(f"{excluded} labelled cells were predicted as LCZ classes in no group "
                         f"({', '.join(LCZ_SCHEME[c - 1].label for c in left_out)}) and are not scored.")
    # codes -> rows 1..k of the confusion matrix
    index = {code: i + 1 for i, code in enumerate(allowed)}
    lookup = np.zeros(max(max(allowed), int(ref.max(initial=0)), int(pred.max(initial=0))) + 1, dtype=np.int64)
    for code, i in index.items():
        lookup[code] = i
    cm = scores.confusion_matrix(lookup[ref], lookup[pred], n_classes=len(classes))
    if cm.sum() == 0:
        raise EngineError(
            f"No cell has both a reference class and a predicted class ({reference_cells} labelled reference cells "
            f"under the prediction, {unpredicted} of them without prediction): the prediction's data and the "
            f"reference {reference_name} do not overlap."
        )
    if unpredicted:
        notes.append(f"{unpredicted} of {reference_cells} labelled reference cells have no prediction and are not "
                     "scored.")
    summary = scores.lcz_scores(cm) if not groups else scores.class_scores(cm)
    rows = scores.per_class_table(cm)
    for row, cls in zip(rows, classes, strict=True):
        row.update(code=cls.code, label=cls.label, name=cls.name)
    log(f"{summary['n']} cells scored: OA {summary['oa']:.3f}, Kappa {summary['kappa']:.3f}")
    return LczAssessment(
        prediction=prediction,
        reference=reference_name,
        scheme="groups" if groups else "lcz",
        classes=classes,
        confusion=cm,
        scores=summary,
        per_class=rows,
        grid=grid,
        reference_cells=reference_cells,
        unpredicted_cells=unpredicted,
        excluded_cells=excluded,
        reference_mapping=ref_mapping,
        class_groups=groups,
        notes=notes,
    )


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
            notes.append(f"{outside} {role} cells lie outside 0..1 ({low:g}..{high:g} as fractions); scored as they are.")
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
    if not 0.0 < threshold <= 1.0:
        raise EngineError(f"The settlement threshold is a fraction in (0, 1], not {threshold:g}.")
    if aggregate < 1:
        raise EngineError(f"The block size must be at least 1 cell, not {aggregate}.")
    pred, ref, grid = _aligned(prediction, reference, "density")
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
        height, width = pred.shape
        raise EngineError(
            f"No block of {aggregate} x {aggregate} cells holds both a reference and a predicted density: the scored "
            f"grid is {width} x {height} cells, and the rows and columns that do not fill a whole block are left out, "
            f"so the settlement scores would be empty. Choose a block size of at most {min(width, height)} cells "
            "(1 scores every cell)."
        )
    summary = {**binary, "mae": errors["mae"], "rmse": errors["rmse"], "bias": errors["bias"]}
    log(f"{summary['n']} cells scored: MAE {summary['mae']:.4f}, RMSE {summary['rmse']:.4f}, bias {summary['bias']:+.4f}")
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
    )
