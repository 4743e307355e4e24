"""Map LCZ with a city's training areas: the model's map, adapted to polygons digitised by people who know the city.

Two passes of the engine over the scene, never storing a scene's features (256 floats per cell and date):
1. collect the model's probabilities (and embedding) on the 100 m cells whose centre lies in a training area
   (patch models run those cells only);
2. fit the adapter (core.adapter), cross-validate it by polygon, and map the scene with the adapter applied to
   every row of cells as it is computed (core.engine.CellHook).
An adapter saved from one run can be applied to other scenes of the city (pass 2 only).

Accepted class values: the LCZ codes 1-17 (11-17 = A-G), or the labels 1-10 and A-G, optionally written
"LCZ 1" / "LCZ A". Anything else is refused with the values named.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from .adapter import CrossValidation, LczAdapter, cell_features, cross_validate
from .assessment import LczAssessment
from .class_codes import LCZ_SCHEME, class_code_of
from .engine import CellGrid, MappingResult, OutputPaths
from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES
from .multidate import map_dates, map_onto_first_grid
from .options import DEFAULT_CHOICE, NO_FEEDBACK, ModelChoice, RunFeedback
from .reference_grid import PolygonReference, rasterise_polygons, spatial_reference
from .suspicious import conflicting_overlaps

gdal.UseExceptions()

#: Fewer polygons than this in a class: its cross-validated score rests on too few independent samples.
MIN_POLYGONS_PER_CLASS = 3
#: Share of pass 1 in the progress bar (pass 1 runs only the training cells of patch models).
_FIT_SHARE = 0.3
_LABELS = {c.code: c.label for c in LCZ_CLASSES}


def parse_classes(areas: PolygonReference) -> list[int]:
    """The LCZ code of every training area; refuses values that are not LCZ classes, naming them."""
    codes, bad = [], {}
    for _wkb, value in areas.features:
        code = class_code_of(value)
        if code is None or not 1 <= code <= LCZ_CLASS_COUNT:
            bad[str(value)] = bad.get(str(value), 0) + 1
            codes.append(0)
        else:
            codes.append(code)
    if bad:
        shown = ", ".join(f"{value!r} ({count})" for value, count in sorted(bad.items())[:10])
        raise EngineError(
            f"The field {areas.field_name!r} of {areas.name} holds values that are not LCZ classes: {shown}. Use the "
            "codes 1-17 (11-17 for A-G) or the labels 1-10 and A-G (optionally 'LCZ 1', 'LCZ A')."
        )
    if not codes:
        raise EngineError(f"The training areas {areas.name} hold no polygon.")
    return codes


@dataclass
class TrainingCells:
    """The training cells of one scene: class, polygon (group) and model outputs per cell."""

    codes: np.ndarray
    groups: np.ndarray
    probabilities: np.ndarray  # (n, 17)
    embedding: np.ndarray | None  # (n, D)

    @property
    def features(self) -> np.ndarray:
        return cell_features(self.probabilities, self.embedding)


class _TrainingCellCollector:
    """CellHook of pass 1: rasterises the training areas on the run's cell grid and keeps their cells' outputs."""

    def __init__(self, areas: PolygonReference, codes: list[int]):
        self.areas, self.codes = areas, codes
        self.polygon: np.ndarray | None = None  # (H, W): 1-based polygon index, 0 = none
        self.outside: set[int] = set()  # 1-based indices of the polygons outside the scene's grid
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
        self.warnings: list[str] = []

    def start(self, grid: CellGrid) -> None:
        self.polygon = _rasterise_polygons(self.areas, grid)
        self.outside = _outside_scene(self.areas, grid)
        if not self.polygon.any():
            raise EngineError(
                f"No training area of {self.areas.name} covers the centre of a 100 m cell of the scene: they lie "
                "outside it, or are all smaller than a cell. Digitise the training areas over this scene."
            )

    def needed(self, first_row: int, rows: int) -> np.ndarray:
        return self.polygon[first_row : first_row + rows] > 0

    def cells(self, first_row: int, probabilities: np.ndarray, embedding: np.ndarray | None,
              valid: np.ndarray) -> np.ndarray:
        rows = probabilities.shape[1]
        polygon = self.polygon[first_row : first_row + rows]
        take = (polygon > 0) & valid
        if take.any():
            emb = embedding[:, take].T if embedding is not None and embedding.shape[0] else None
            self._rows.append((polygon[take], probabilities[:, take].T.copy(), take, emb))
        return probabilities

    def collected(self) -> TrainingCells:
        if not self._rows:
            raise EngineError(f"The training areas of {self.areas.name} cover only cells without valid data.")
        groups = np.concatenate([r[0] for r in self._rows])
        probabilities = np.concatenate([r[1] for r in self._rows])
        embeddings = [r[3] for r in self._rows]
        embedding = None if any(e is None for e in embeddings) else np.concatenate(embeddings)
        codes = np.asarray(self.codes, dtype=np.int64)[groups - 1]
        return TrainingCells(codes, groups, probabilities, embedding)


class _AdapterApplier:
    """CellHook of pass 2: every valid cell's probabilities through the adapter."""

    def __init__(self, adapter: LczAdapter):
        self.adapter = adapter

    def start(self, grid: CellGrid) -> None:
        pass

    def needed(self, first_row: int, rows: int) -> None:
        return None

    def cells(self, first_row: int, probabilities: np.ndarray, embedding: np.ndarray | None,
              valid: np.ndarray) -> np.ndarray:
        if not valid.any():
            return probabilities
        emb = embedding[:, valid].T if embedding is not None and embedding.shape[0] else None
        adapted = probabilities.copy()
        adapted[:, valid] = self.adapter.adapt(probabilities[:, valid].T, emb).T
        return adapted


def _rasterise_polygons(areas: PolygonReference, grid: CellGrid) -> np.ndarray:
    """1-based polygon index per cell whose centre lies in it (later polygons win where they overlap)."""
    if spatial_reference(areas.crs_wkt) is None:
        raise EngineError(f"The training areas {areas.name} have no coordinate reference system; assign one first.")
    cells = gdal.GetDriverByName("MEM").Create("", grid.width, grid.height, 1, gdal.GDT_Byte)
    cells.SetGeoTransform(grid.geotransform)
    cells.SetProjection(grid.projection)
    # core.assessment burns a value per polygon: here each polygon's own number.
    return rasterise_polygons(cells, areas, list(range(1, len(areas.features) + 1)))


def _outside_scene(areas: PolygonReference, grid: CellGrid) -> set[int]:
    """1-based indices of the polygons that do not meet the scene's grid at all."""
    source, target = spatial_reference(areas.crs_wkt), spatial_reference(grid.projection)
    transform = None
    if source is not None and target is not None and not source.IsSame(target):
        transform = osr.CoordinateTransformation(source, target)
    gt = grid.geotransform
    xs, ys = (gt[0], gt[0] + gt[1] * grid.width), (gt[3], gt[3] + gt[5] * grid.height)
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)), (min(xs), min(ys))):
        ring.AddPoint_2D(x, y)
    scene = ogr.Geometry(ogr.wkbPolygon)
    scene.AddGeometry(ring)
    outside = set()
    for index, (wkb, _value) in enumerate(areas.features, start=1):
        geometry = ogr.CreateGeometryFromWkb(wkb) if wkb else None
        if geometry is None:
            continue
        try:
            if transform is not None:
                geometry.Transform(transform)
            if not geometry.Intersects(scene):
                outside.add(index)
        except RuntimeError:  # cannot be expressed in the scene's CRS: far away
            outside.add(index)
    return outside


def _numbers(indices: list[int]) -> str:
    return f"{', '.join(map(str, indices[:10]))}{' ...' if len(indices) > 10 else ''}"


def training_area_warnings(areas: PolygonReference, codes: list[int], cells: TrainingCells | None,
                           outside: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """What makes the self-assessment or the fit weak: few polygons per class, tiny polygons, conflicting overlaps.

    With `cells`, a class's polygons are counted among those that gave training cells: areas outside the scene
    (`outside`, 1-based) or smaller than a cell do not count towards its 3 (before, they did).
    """
    warnings: list[str] = []
    covered = set(np.unique(cells.groups).tolist()) if cells is not None else set(range(1, len(codes) + 1))
    per_class: dict[int, int] = {code: 0 for code in codes}
    for index, code in enumerate(codes, start=1):
        per_class[code] += index in covered
    few = {code: n for code, n in sorted(per_class.items()) if n < MIN_POLYGONS_PER_CLASS}
    if few:
        listed = ", ".join(f"LCZ {_LABELS[code]} ({n})" for code, n in few.items())
        unused = len(codes) - len(covered)
        warnings.append(
            f"Classes with fewer than {MIN_POLYGONS_PER_CLASS} training areas: {listed}"
            f"{f' (counting the areas used; the {unused} left out below do not count)' if unused else ''}. Their "
            "cross-validated scores rest on one or two polygons; digitise more areas of these classes in different "
            "parts of the city."
        )
    if cells is not None:
        away = [index for index in range(1, len(codes) + 1) if index not in covered and index in outside]
        small = [index for index in range(1, len(codes) + 1) if index not in covered and index not in outside]
        if away:
            warnings.append(
                f"{len(away)} training area(s) lie outside the scene and were not used: polygon number(s) "
                f"{_numbers(away)}."
            )
        if small:
            warnings.append(
                f"{len(small)} training area(s) cover no whole 100 m cell (no cell centre inside, or no valid data) "
                f"and were not used: polygon number(s) {_numbers(small)}. LCZ training areas should span several "
                "100 m cells."
            )
    conflicts = conflicting_overlaps(areas, codes)
    if conflicts:
        pairs = ", ".join(f"{i} and {j}" for i, j in conflicts[:10])
        warnings.append(
            f"Training areas of different classes overlap: polygons {pairs}{' ...' if len(conflicts) > 10 else ''}. "
            "A cell in both takes the class of the later polygon; correct the areas."
        )
    return warnings


@dataclass
class AdaptationResult:
    mapping: MappingResult
    adapter: LczAdapter
    adapter_path: str | None = None
    cross_validation: CrossValidation | None = None
    training_cells: int = 0
    warnings: list[str] = field(default_factory=list)
    #: the training cells (class, polygon, model outputs): core.suspicious and core.bootstrap_accuracy use them
    cells: TrainingCells | None = None


def map_with_training_areas(
    source: str | Sequence[str],
    outputs: OutputPaths,
    model: ModelChoice = DEFAULT_CHOICE,
    feedback: RunFeedback = NO_FEEDBACK,
    *,
    more_dates: Sequence[str | Sequence[str]] = (),
    training_areas: PolygonReference | None = None,
    adapter_path: str | None = None,
    save_adapter: str | None = None,
    folds: int = 5,
    clouds: bool = True,
) -> AdaptationResult:
    """Fit an adapter on the training areas (or load a saved one) and map the scene with it.

    With `more_dates`, the training cells of every date (read on the first date's grid) fit one adapter, whole
    polygons stay in one fold across dates, and the adapted dates are fused as core.multidate fuses dates. The fit
    takes the first _FIT_SHARE of the progress bar, the mapping the rest. `clouds`: clouds and cloud shadows are no
    data in both passes (core.clouds).
    """
    dates = [source, *more_dates]
    messages = _TwoPassMessages(feedback.log, feedback.warn)
    if (training_areas is None) == (adapter_path is None):
        raise EngineError("Give either training areas to fit an adapter, or a saved adapter to apply (not both).")
    if save_adapter:
        _check_adapter_target(save_adapter)
    cross_validation, cells = None, None
    mapping_feedback = feedback.but(log=messages.pass_two, warn=messages.warning)
    if adapter_path is not None:
        adapter = LczAdapter.load(adapter_path)
        messages.say(f"Adapter: {adapter_path} (fitted on {adapter.model}; classes "
                     f"{', '.join(_LABELS[int(c)] for c in adapter.classes)}).")
    else:
        fit_feedback = feedback.but(log=messages.pass_one, warn=messages.warning)
        adapter, cross_validation, cells = _fit_adapter(dates, training_areas, folds, messages, model, fit_feedback,
                                                        clouds)
        mapping_feedback = mapping_feedback.part(_FIT_SHARE, 1 - _FIT_SHARE)
    mapping = map_dates(dates, outputs, model, mapping_feedback, cell_hook=_AdapterApplier(adapter), clouds=clouds)
    saved = str(adapter.save(save_adapter)) if save_adapter else None
    return AdaptationResult(mapping, adapter, saved, cross_validation, len(cells.codes) if cells else 0,
                            messages.warnings, cells)


class _TwoPassMessages:
    """The log and warnings of the two passes (fit, then map): each warning once, the model, band and grid lines of
    the first pass not again in the second."""

    def __init__(self, log: Callable[[str], None] | None, warn: Callable[[str], None] | None):
        self.say = log or (lambda line: None)
        self._warn = warn or (lambda line: self.say("Warning: " + line))
        self.warnings: list[str] = []
        self._said_in_pass_one: set[str] = set()

    def warning(self, text: str) -> None:
        if text in self.warnings:  # the second pass meets the first one's warnings again: said once
            return
        self.warnings.append(text)
        self._warn(text)

    def pass_one(self, line: str) -> None:
        self._said_in_pass_one.add(line)
        self.say(line)

    def pass_two(self, line: str) -> None:
        if line not in self._said_in_pass_one:
            self.say(line)


def _fit_adapter(dates: list, training_areas: PolygonReference, folds: int, messages: _TwoPassMessages,
                 model: ModelChoice, feedback: RunFeedback,
                 clouds: bool) -> tuple[LczAdapter, CrossValidation, TrainingCells]:
    """The first pass: the model's cells under the training areas of every date, cross-validated by polygon, and
    the adapter fitted on all of them; (adapter, cross-validation, training cells)."""
    say = messages.say
    codes = parse_classes(training_areas)
    collector = _TrainingCellCollector(training_areas, codes)
    with tempfile.TemporaryDirectory(prefix="hselcz_ta_") as folder:
        first = map_onto_first_grid(
            dates, lambda index: OutputPaths(lcz=str(Path(folder) / f"model_lcz_{index}.tif")), model, feedback,
            share=_FIT_SHARE, cell_hook=collector, clouds=clouds,
        )[0]
    cells = collector.collected()
    for text in training_area_warnings(training_areas, codes, cells, collector.outside):
        messages.warning(text)
    features = f" + {cells.embedding.shape[1]} embedding features" if cells.embedding is not None else ""
    kind = "log-probabilities" + features
    model_name = f"{first.contract.name} {first.contract.version}"
    if np.unique(cells.codes).size < 2:
        raise EngineError("The training areas hold only one class inside the scene; an adapted map needs at "
                          "least two.")
    cross_validation = cross_validate(cells.features, cells.codes, cells.groups, cells.probabilities,
                                      cells.embedding, folds=folds, kind=kind)
    say(f"Training cells: {len(cells.codes)} in {np.unique(cells.groups).size} areas, classes "
        f"{', '.join(_LABELS[int(c)] for c in np.unique(cells.codes))}; features: {kind}.")
    say(f"Cross-validated by polygon ({cross_validation.folds} folds): OA {cross_validation.scores['oa']:.3f}, "
        f"Kappa {cross_validation.scores['kappa']:.3f} (the model alone on the same cells: OA "
        f"{cross_validation.model_alone['oa']:.3f}, Kappa {cross_validation.model_alone['kappa']:.3f}).")
    adapter = LczAdapter.fit(cells.features, cells.codes, model=model_name, kind=kind)
    say("Mapping the scene with the adapter (model, bands and grid as above).")
    return adapter, cross_validation, cells


def cross_validation_assessment(result: AdaptationResult, areas_name: str) -> LczAssessment:
    """The cross-validation as an assessment, so that the assessment report (core.assessment_report) shows it."""
    cv = result.cross_validation
    if cv is None:
        raise ValueError("the adapter was loaded, not fitted: there is no cross-validation")
    rows = [dict(row, label=LCZ_SCHEME[row["code"] - 1].label, name=LCZ_SCHEME[row["code"] - 1].name)
            for row in cv.per_class]
    alone = cv.model_alone
    notes = [
        f"Cross-validated by polygon in {cv.folds} folds: every training area was predicted by an adapter fitted "
        "without it. These scores describe the training areas' classes and places, not the whole city.",
        f"The model alone on the same {result.training_cells} cells: OA {alone['oa']:.3f}, Kappa {alone['kappa']:.3f}.",
        *result.warnings,
    ]
    return LczAssessment(
        prediction=f"LCZ adapted to the training areas ({result.adapter.features})",
        reference=f"training areas {areas_name}", scheme="lcz", classes=LCZ_SCHEME, confusion=cv.confusion,
        scores=cv.scores, per_class=rows, grid="the scene's 100 m cells whose centre lies in a training area",
        reference_cells=result.training_cells, unpredicted_cells=0, excluded_cells=0, notes=notes,
    )


def _check_adapter_target(path: str) -> None:
    """Refuse an adapter file that cannot be written, before anything is computed."""
    target = Path(path).expanduser()
    if target.suffix.lower() != ".json":
        raise EngineError(f"The adapter file {target} must end in .json (the adapter is saved as JSON).")
    if target.is_dir() or not target.parent.is_dir():
        raise EngineError(f"Cannot write the adapter {target}: its folder does not exist or it is a folder.")
    probe = target.parent / f".{target.name}.probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EngineError(f"Cannot write the adapter {target}: {exc.strerror or exc}.") from exc
