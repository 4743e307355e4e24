"""The engine's one entry point, map_scene(): Sentinel-2 input -> HSE (20 m) and LCZ (100 m) GeoTIFFs.

Data flow (docs/ARCHITECTURE.md): check the outputs can be written and open the model (nothing computed yet,
core.publish) -> build the working grid (core.reader) -> run the model kind's pipeline (core.dense: overlapping
windows blended into rolling accumulators; core.patch: one window per 100 m cell) -> average finished rows into
20 m / 100 m cells -> stream cell rows into temporary GeoTIFFs -> rename them into place at the end
(core.publish). Memory is bounded by one row of windows (or a strip of cells), whatever the scene size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from osgeo import gdal

from .contract import KIND_DENSE, ModelContract
from .dense import run_dense
from .errors import EngineError
from .i18n import tr
from .lcz_filter import kernel_log_line
from .messages import RunMessages
from .model import LoadedModel, load_model
from .options import DEFAULT_CHOICE, NO_FEEDBACK, ModelChoice, RunFeedback
from .patch import run_patch
from .products import (
    LCZ_CELL_M,
    META_MODEL,
    META_MODEL_VERSION,
    META_PROVIDER,
    META_SOURCE,
    MODEL_EMBEDDING,
    PRODUCT_BY_KEY,
    pixels_per_cell,
)
from .publish import RunOutputs, publishing
from .reader import Grid, Scene, open_scene
from .run_state import CellGrid, CellHook, MappingResult, OutputPaths, RunProgress
from .signals import signals_stop_the_run
from .uncertainty import METADATA_KEY as UNCERTAINTY_KEY
from .uncertainty import UncertaintyCalibration

#: map_scene's callers import the types of a run from here too (they live in core.run_state).
__all__ = ["CellGrid", "CellHook", "MappingResult", "ModelChoice", "OutputPaths", "RunFeedback", "map_scene"]

gdal.UseExceptions()

#: GDAL's block cache (5 % of RAM by default) fills with warped blocks that are never read again.
_GDAL_CACHE_BYTES = 256 * 1024 * 1024


def _has_valid_pixels(scene: Scene) -> bool:
    """Scan strips until one valid pixel is found (the first strip, for any ordinary scene)."""
    for y in range(0, scene.height, 256):
        _, valid = scene.read(0, y, scene.width, min(256, scene.height - y))
        if valid.any():
            return True
    return False


def map_scene(
    source: str | Sequence[str],
    outputs: OutputPaths,
    model: ModelChoice = DEFAULT_CHOICE,
    feedback: RunFeedback = NO_FEEDBACK,
    *,
    cell_hook: CellHook | None = None,
    grid: Grid | None = None,
    cell_rows: tuple[int, int] | None = None,
    input_label: str | None = None,
    clouds: bool = True,
) -> MappingResult:
    """Map HSE density and LCZ from a Sentinel-2 raster (or separate band files, or a Sentinel-2 product).

    `model` is the model, band names and device (core.options); `feedback` the progress, cancellation, log and
    warnings: information lines and warnings, each once, as they arise; without `feedback.warn` the warnings go to
    `feedback.log` marked "Warning: " (core.messages). `cell_hook` sees and may change the LCZ probabilities of every
    row of cells before they are written (training-area adaptation, core.training_areas). `grid` warps the input onto
    that working grid (the first date's, in a multi-date run: core.multidate). `cell_rows` (a, b) maps only the
    100 m cell rows a..b-1 into outputs that cover just those rows, bit for bit as in a whole-scene run (the blocks
    of one scene that core.batch spreads over workers); such a block may hold no valid cell. `input_label` (e.g.
    "Date 2 (b.tif)") starts every warning about the input, so that a run of several inputs says which one it is.
    `clouds`: clouds and cloud shadows are no data (core.clouds); False maps them like any other surface.
    """
    started = time.perf_counter()
    sources = [str(source)] if isinstance(source, (str, Path)) else [str(s) for s in source]
    run = _Run(sources, model, feedback, RunMessages(feedback.log, feedback.warn), cell_hook, grid, cell_rows,
               input_label, clouds)
    requested = outputs.requested()
    if not requested:
        raise EngineError("No output was requested: give at least an LCZ, HSE or probabilities file.")
    if cell_rows is not None and "lcz_filtered" in requested:
        raise EngineError("The filtered LCZ map averages each cell with its neighbours, so it cannot be made for a "
                          "block of rows alone (cell_rows): map the whole scene, or leave the filtered map out.")
    with signals_stop_the_run(), publishing(sources) as run_outputs:
        targets = run_outputs.check(requested)
        return _map_checked(run, targets, run_outputs, started)


@dataclass(frozen=True)
class _Run:
    """What map_scene was asked, as its steps (_map_checked, _map_opened) pass it on."""

    sources: list[str]
    model: ModelChoice
    feedback: RunFeedback
    messages: RunMessages
    hook: CellHook | None
    grid: Grid | None
    cell_rows: tuple[int, int] | None
    input_label: str | None
    clouds: bool


def _map_checked(run: _Run, targets: dict[str, Path], run_outputs: RunOutputs, started: float) -> MappingResult:
    """map_scene once the outputs are known to be writable."""
    messages = run.messages
    model = load_model(run.model.model_path, run.model.device, messages.info)
    contract = model.contract
    messages.info(tr("Model: {name} {version} ({kind}, {path}); execution provider: {provider}", name=contract.name,
                     version=contract.version, kind=contract.kind, path=model.path, provider=model.provider))
    if "lcz_filtered" in targets:
        messages.info(kernel_log_line())
    calibration = None
    if "uncertainty" in targets:
        calibration = _uncertainty_calibration(contract, model.path)
    for key in list(targets):
        spec = PRODUCT_BY_KEY[key]
        if not spec.derived and contract.output_for(spec.model_output) is None:
            missing = tr("The model '{name}' has no {output} output: the layer '{layer}' was not produced. Choose a "
                         "model with that output to map it (the bundled multi-task model has one).",
                         name=contract.name, output=spec.model_output.upper(), layer=tr(spec.layer_name))
            targets.pop(key)
            if not targets:
                raise EngineError(missing + " Nothing else was requested.")
            messages.warn(missing)

    previous_cache = gdal.GetCacheMax()
    if previous_cache > _GDAL_CACHE_BYTES:
        gdal.SetCacheMax(_GDAL_CACHE_BYTES)  # process-wide: restored below
    try:
        written, working = _map_opened(run, model, targets, run_outputs, calibration)
    finally:
        gdal.SetCacheMax(previous_cache)
    return MappingResult(outputs=written, provider=model.provider, contract=contract, warnings=messages.warnings,
                         seconds=time.perf_counter() - started, grid=working)


def _uncertainty_calibration(contract: ModelContract, path: Path) -> UncertaintyCalibration:
    """The model's uncertainty calibration; refused before computing when the model cannot give one."""
    if contract.output_for(MODEL_EMBEDDING) is None or UNCERTAINTY_KEY not in contract.extra:
        raise EngineError(
            f"The model '{contract.name}' cannot map the LCZ uncertainty: that needs a model with an embedding "
            "output and an uncertainty calibration in its metadata (both bundled models have them; "
            "docs/MODEL_CONTRACT.md). Leave the uncertainty output empty or choose that model."
        )
    return UncertaintyCalibration.from_metadata(contract.extra[UNCERTAINTY_KEY], str(path))


def _map_opened(run: _Run, model: LoadedModel, targets: dict[str, Path], run_outputs: RunOutputs,
                calibration: UncertaintyCalibration | None) -> tuple[dict[str, str], Grid]:
    """Open the scene, run the model kind's pipeline, and publish the products; the paths written."""
    contract, messages, hook, cell_rows = model.contract, run.messages, run.hook, run.cell_rows

    def warn_input(text: str) -> None:  # a warning about this input: which one, when there are several
        messages.warn(tr("{label}: {warning}", label=run.input_label, warning=text) if run.input_label else text)

    scene = open_scene(run.sources, contract.bands, band_mapping=run.model.bands, gsd=contract.gsd, log=messages.info,
                       grid=run.grid, clouds=run.clouds)
    try:
        _check_scene(scene, contract, messages, warn_input)
        cell = pixels_per_cell(LCZ_CELL_M, contract.gsd)
        if hook is not None:
            gt = scene.geotransform
            hook.start(CellGrid((gt[0], gt[1] * cell, 0.0, gt[3], 0.0, gt[5] * cell), scene.projection,
                                -(-scene.width // cell), -(-scene.height // cell)))
        metadata = {META_MODEL: contract.name, META_MODEL_VERSION: contract.version, META_PROVIDER: model.provider,
                    META_SOURCE: ", ".join(run.sources)}
        gt, height = _block_extent(scene, cell, cell_rows)
        products = run_outputs.open(targets, scene.width, height, contract.gsd, gt, scene.projection, metadata,
                                    allow_empty=cell_rows is not None)
        tracker = RunProgress(1, run.feedback)
        tracker.check()
        if contract.kind == KIND_DENSE:
            model_outputs = {PRODUCT_BY_KEY[key].model_output for key in targets if not PRODUCT_BY_KEY[key].derived}
            run_dense(scene, model, products, tracker, model_outputs, hook, calibration, cell_rows)
        else:
            run_patch(scene, model, products, tracker, hook, calibration, cell_rows, with_hse="hse" in targets)
        tracker.check()
        if scene.clouds is not None and scene.clouds.summary():
            messages.info(scene.clouds.summary())
        written = run_outputs.commit()
        working = scene.grid
    finally:
        scene.close()
    return written, working


def _check_scene(scene: Scene, contract: ModelContract, messages: RunMessages,
                 warn_input: Callable[[str], None]) -> None:
    """Refuse a scene the model cannot map (smaller than a cell, no valid pixel); warn about its processing level."""
    for warning in scene.warnings:
        warn_input(warning)
    cell = pixels_per_cell(LCZ_CELL_M, contract.gsd)
    if scene.width < cell or scene.height < cell:
        raise EngineError(
            f"The input covers only {scene.width} x {scene.height} pixels at {contract.gsd:g} m: the maps need at "
            f"least one whole {LCZ_CELL_M:g} m cell ({cell} x {cell} pixels). Give a larger area."
        )
    if contract.processing_level != "any":
        if scene.processing_level and scene.processing_level != contract.processing_level:
            warn_input(tr("The input looks like {found} but the model expects {expected}; expect degraded results.",
                          found=scene.processing_level, expected=contract.processing_level))
        elif not scene.processing_level:
            messages.info(tr("The processing level of the input is unknown; the model expects {expected}.",
                             expected=contract.processing_level))
    if not _has_valid_pixels(scene):
        clouded = " or cloud: see the log for the cloud mask" if scene.clouds and scene.clouds.masked_pixels else ""
        raise EngineError(f"The input holds no valid pixels (everything is no data or 0{clouded}); nothing to map.")
    messages.info(tr("Working grid: {width} x {height} pixels at {gsd:g} m.", width=scene.width, height=scene.height,
                     gsd=contract.gsd))


def _block_extent(scene: Scene, cell: int, cell_rows: tuple[int, int] | None) -> tuple[tuple[float, ...], int]:
    """(geotransform, height in pixels) of the outputs: the scene's, or those of the cell rows [a, b) of a block."""
    gt, height = scene.geotransform, scene.height
    if cell_rows is None:
        return gt, height
    cells_y = -(-scene.height // cell)
    if not 0 <= cell_rows[0] < cell_rows[1] <= cells_y:
        raise EngineError(f"cell_rows {cell_rows} must lie within the scene's {cells_y} rows of 100 m cells.")
    height = min(cell_rows[1] * cell, scene.height) - cell_rows[0] * cell
    return (gt[0], gt[1], gt[2], gt[3] + cell_rows[0] * cell * gt[5], gt[4], gt[5]), height
