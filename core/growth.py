"""Settlement growth between two dates: the HSE of each on one grid, their difference, new and lost built-up.

Both dates run through a model with an HSE output (the later date warped onto the earlier one's working grid,
core.multidate's way), each HSE is written to a temporary file, then the two are compared row block by row
block: change = later - earlier per 20 m pixel; "new built-up" where the earlier density is below
NOT_BUILT (0.2) and the later one at least BUILT (0.5), "built-up lost" the other way round. Two thresholds with a
gap between them, not one: a pixel whose density wobbles around one threshold between seasons (leaves, shadows,
a wet and a dry date) must not read as growth; it has to cross the whole gap. The areas in km2 are the sums of
those pixels' ground areas.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from .area_estimation import AreaEstimate
from .engine import MappingResult, OutputPaths
from .errors import EngineError
from .i18n import tr
from .messages import RunMessages
from .model import load_model
from .multidate import map_onto_first_grid
from .options import DEFAULT_CHOICE, NO_FEEDBACK, ModelChoice, RunFeedback
from .products import (
    DERIVED_CHANGE,
    HSE_CELL_M,
    HSE_NODATA,
    META_MODEL,
    META_MODEL_VERSION,
    META_PROVIDER,
    META_SOURCE,
    NEW_BUILT_NODATA,
)
from .publish import publishing
from .signals import stops_on_signals
from .writer import ProductWriters

gdal.UseExceptions()

NOT_BUILT = 0.2
BUILT = 0.5
_BLOCK_ROWS = 512


@dataclass
class GrowthResult:
    outputs: dict[str, str]
    growth_km2: float
    loss_km2: float
    compared_km2: float
    mean_abs_change: float
    earlier: MappingResult
    later: MappingResult
    warnings: list[str] = field(default_factory=list)


@stops_on_signals
def map_growth(
    earlier: str | Sequence[str],
    later: str | Sequence[str],
    change: str,
    model: ModelChoice = DEFAULT_CHOICE,
    feedback: RunFeedback = NO_FEEDBACK,
    *,
    new_built: str | None = None,
    not_built: float = NOT_BUILT,
    built: float = BUILT,
    clouds: bool = True,
) -> GrowthResult:
    """Map the HSE change from `earlier` to `later` (each a scene or its band files); `clouds`: clouds and cloud
    shadows are no data in both scenes (core.clouds), so they count neither as growth nor as loss."""
    if not 0.0 <= not_built < built <= 1.0:
        raise EngineError(f"The thresholds must satisfy 0 <= not built ({not_built:g}) < built ({built:g}) <= 1.")
    messages = RunMessages(feedback.log, feedback.warn)
    inputs = [str(s) for date in (earlier, later) for s in ([date] if isinstance(date, (str, Path)) else date)]
    contract = load_model(model.model_path, "CPU").contract  # refuse a model without HSE before any computing
    if not contract.has_hse:
        raise EngineError(tr(
            "The model '{name}' has no HSE output, so it cannot map settlement growth; choose the multi-task model "
            "(BUNDLED_MODEL=1) or another model with an HSE output.", name=contract.name))
    with publishing(inputs) as run_outputs:
        targets = run_outputs.check({"change": change, **({"new_built": new_built} if new_built else {})})
        with tempfile.TemporaryDirectory(prefix="hselcz_growth_") as folder:
            runs = map_onto_first_grid(
                [earlier, later], lambda index: OutputPaths(lcz=None, hse=str(Path(folder) / f"hse_{index}.tif")),
                model, feedback.but(warn=messages.warn), share=0.9, wrap_error=_scene_error(Path(folder)),
                label=lambda index, _scene: tr("The earlier scene") if index == 0 else tr("The later scene"),
                clouds=clouds,
            )
            first = runs[0]
            grid = first.grid
            metadata = {META_MODEL: first.contract.name, META_MODEL_VERSION: first.contract.version,
                        META_PROVIDER: first.provider,
                        META_SOURCE: f"{inputs[0]} -> {inputs[-1]}"}
            writers = run_outputs.open(targets, grid.width, grid.height, first.contract.gsd, grid.geotransform,
                                       grid.projection, metadata)
            counts = _compare(Path(runs[0].hse), Path(runs[1].hse), writers, not_built, built, feedback)
            written = run_outputs.commit()
    feedback.report(1.0)
    pixel_km2 = HSE_CELL_M * HSE_CELL_M / 1e6  # the working grid is in metres (projected, true to scale)
    growth, loss, compared, abs_sum = counts
    result = GrowthResult(written, growth * pixel_km2, loss * pixel_km2, compared * pixel_km2,
                          abs_sum / max(compared, 1), runs[0], runs[1], messages.warnings)
    feedback.say(tr("Settlement growth: {growth:.3f} km2 new built-up, {loss:.3f} km2 lost, over {area:.1f} km2 "
                    "compared (mean |change| {mean:.3f}).", growth=result.growth_km2, loss=result.loss_km2,
                    area=result.compared_km2, mean=result.mean_abs_change))
    return result


def _scene_error(folder: Path) -> Callable[[int, str | Sequence[str], str], str]:
    """How a scene's error is worded (map_onto_first_grid's wrap_error): which scene, and for a later scene without
    valid pixels whether it overlaps the earlier one at all (its HSE file in `folder` gives the grid)."""

    def wrap_error(index: int, scene: str | Sequence[str], problem: str) -> str:
        if index == 0:
            return tr("The earlier scene: {problem}", problem=problem)
        if "no valid pixels" in problem:  # the later scene is read on the earlier one's grid
            overlap = _overlaps(folder / "hse_0.tif", scene)
            if overlap is False:
                return ("The earlier and the later scene do not overlap: none of the later scene falls on the "
                        "earlier scene's area, so there is nothing to compare. Give two scenes of the same "
                        "place.")
            problem += (" The later scene is read on the earlier scene's grid: it has no valid data where "
                        "they overlap" if overlap else " The later scene is read on the earlier scene's grid: "
                        "they may not overlap, or the later one has no data where they do") + "."
        return tr("The later scene: {problem}", problem=problem)

    return wrap_error


def _compare(earlier: Path, later: Path, writers: ProductWriters, not_built: float, built: float,
             feedback: RunFeedback) -> tuple[int, int, int, float]:
    """Write change and new/lost built-up row block by row block; (growth px, loss px, compared px, sum |change|)."""
    a_ds, b_ds = gdal.Open(str(earlier)), gdal.Open(str(later))
    width, height = a_ds.RasterXSize, a_ds.RasterYSize
    growth = loss = compared = 0
    abs_sum = 0.0
    for top in range(0, height, _BLOCK_ROWS):
        feedback.check()
        rows = min(_BLOCK_ROWS, height - top)
        a = a_ds.ReadAsArray(0, top, width, rows).astype(np.float32)
        b = b_ds.ReadAsArray(0, top, width, rows).astype(np.float32)
        valid = (a != HSE_NODATA) & (b != HSE_NODATA)
        change = b - a
        state = np.zeros((rows, width), np.uint8)
        state[(a < not_built) & (b >= built)] = 1
        state[(a >= built) & (b < not_built)] = 2
        state[~valid] = 0
        growth += int((state == 1).sum())
        loss += int((state == 2).sum())
        compared += int(valid.sum())
        abs_sum += float(np.abs(change[valid]).sum())
        writers.write(DERIVED_CHANGE, top, np.stack([change, state.astype(np.float32)]), valid)
    return growth, loss, compared, abs_sum


def _overlaps(earlier_grid: Path, later: str | Sequence[str]) -> bool | None:
    """Whether the later scene's extent meets the earlier scene's working grid (its HSE file); None when unknown.

    Why: a later scene elsewhere was reported as "holds no valid pixels", which sends the user looking for a
    fault in the file instead of in the choice of scenes.
    """
    first_file = str(later if isinstance(later, (str, Path)) else later[0])
    try:
        grid, scene = gdal.Open(str(earlier_grid)), gdal.Open(first_file)
        if grid is None or scene is None or not scene.GetProjection():
            return None
        grid_srs, scene_srs = osr.SpatialReference(), osr.SpatialReference()
        grid_srs.ImportFromWkt(grid.GetProjection())
        scene_srs.ImportFromWkt(scene.GetProjection())
        for srs in (grid_srs, scene_srs):
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        x0, y0, x1, y1 = _extent(scene)
        if not scene_srs.IsSame(grid_srs):
            x0, y0, x1, y1 = osr.CoordinateTransformation(scene_srs, grid_srs).TransformBounds(x0, y0, x1, y1, 21)
        g0, h0, g1, h1 = _extent(grid)
    except RuntimeError:
        return None
    if not all(np.isfinite((x0, y0, x1, y1))):
        return None
    return bool(x0 < g1 and g0 < x1 and y0 < h1 and h0 < y1)


def _extent(dataset: gdal.Dataset) -> tuple[float, float, float, float]:
    gt = dataset.GetGeoTransform()
    corners = [(gt[0] + gt[1] * x + gt[2] * y, gt[3] + gt[4] * x + gt[5] * y)
               for x in (0, dataset.RasterXSize) for y in (0, dataset.RasterYSize)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


# ------------------------------------------------------------------------ new built-up area from a reference sample
#: Reference sample values for "new built-up" and "not new built-up" (besides whole numbers 1 and 0).
_NEW_WORDS = {"1", "yes", "true", "new", "new built-up", "y"}
_NOT_NEW_WORDS = {"0", "2", "no", "false", "not new", "n", "unchanged", "lost"}


def _sample_code(value: object) -> int | None:
    """A sample unit's reference as the rasterised code: 2 new built-up, 1 not (0 means no unit); None if unreadable."""
    if isinstance(value, bool):
        return 2 if value else 1
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {1: 2, 0: 1, 2: 1}.get(int(value)) if float(value).is_integer() else None
    text = str(value).strip().lower() if value is not None else ""
    return 2 if text in _NEW_WORDS else 1 if text in _NOT_NEW_WORDS else None


def estimate_new_built_area(new_built: str | Path, sample) -> tuple[AreaEstimate, list[str]]:
    """Error-adjusted area of new built-up (Olofsson et al. 2014) from the growth map and a reference sample.

    new_built: the growth's OUTPUT_NEW_BUILT (1 new built-up, 0 or 2 otherwise, nodata outside the compared area);
    the strata are "not new built-up" and "new built-up" over the compared area. sample: a
    core.assessment.PolygonReference of points (one 20 m cell each) or polygons (every cell whose centre lies in
    one), its field saying whether the place really became built-up (1/0, yes/no, true/false; 2 = built-up lost
    counts as not new). Returns (estimate: index 1 = new built-up, notes).
    """
    from .area_estimation import dataset_row_km2, estimate_notes, stratified_estimate
    from .reference_grid import rasterise_polygons

    codes = [_sample_code(value) for _wkb, value in sample.features]
    bad = sorted({repr(value) for (_wkb, value), code in zip(sample.features, codes, strict=True) if code is None})
    if bad:
        raise EngineError(tr(
            "The field {field} of the reference sample {name} holds values that say neither new built-up nor not: "
            "{values}. Use 1 (new built-up) and 0 (not new built-up), or yes/no.", field=sample.field_name,
            name=sample.name, values=", ".join(bad[:10])))
    if not any(wkb for wkb, _value in sample.features):
        raise EngineError(tr("The reference sample {name} holds no feature with a geometry.", name=sample.name))
    try:
        dataset = gdal.Open(str(new_built))
    except RuntimeError as exc:
        raise EngineError(tr("Cannot open the new built-up map {path}: {error}", path=new_built, error=exc)) from exc
    state = dataset.GetRasterBand(1).ReadAsArray()
    strata = np.where(state == NEW_BUILT_NODATA, 0, np.where(state == 1, 2, 1))
    reference = rasterise_polygons(dataset, sample, codes)
    outside = int(((reference > 0) & (strata == 0)).sum())
    used = (reference > 0) & (strata > 0)
    if not used.any():
        raise EngineError(tr("No unit of the reference sample {name} lies in the compared area of the growth map.",
                             name=sample.name))
    matrix = np.zeros((2, 2), np.int64)
    np.add.at(matrix, (strata[used] - 1, reference[used] - 1), 1)
    row_km2 = dataset_row_km2(dataset)
    mapped = np.array([(np.where(strata == k, 1.0, 0.0) * row_km2[:, None]).sum() for k in (1, 2)])
    estimate = stratified_estimate(mapped, matrix)
    notes = estimate_notes(estimate, ["not new built-up", "new built-up"], sample_kind="reference sample")
    if outside:
        notes.append(tr("{count} sample cells lie outside the compared area and were not used.", count=outside))
    return estimate, notes


def new_built_area_text(estimate: AreaEstimate) -> str:
    """One line for the log and the results: the map's count beside the error-adjusted estimate."""
    return tr("New built-up: {mapped:.3f} km2 in the map, {area:.3f} +- {ci:.3f} km2 error-adjusted (95 % CI, "
              "Olofsson et al. 2014; user's accuracy {users:.2f}, producer's {producers:.2f}).",
              mapped=float(estimate.mapped_km2[1]), area=float(estimate.area_km2[1]),
              ci=float(estimate.area_ci_km2[1]), users=float(estimate.users[1]),
              producers=float(estimate.producers[1]))
