"""The engine's one entry point, map_scene(): Sentinel-2 input -> HSE (20 m) and LCZ (100 m) GeoTIFFs.

Data flow (docs/ARCHITECTURE.md): open the model and check the outputs can be written (nothing computed
yet) -> build the working grid (reader.py) -> run windows in batches, row of windows by row of windows ->
blend overlapping windows with smooth weights into rolling accumulators -> average finished rows into
20 m / 100 m cells -> stream cell rows into temporary GeoTIFFs -> rename them into place at the end.
Memory is bounded by one row of windows, whatever the scene size.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from osgeo import gdal

from .aggregation import CellAggregator, RollingAccumulator
from .cells import finer_stride, to_finer_stride, to_model_units, write_lcz_rows
from .contract import KIND_DENSE, ModelContract
from .errors import CancelledError, EngineError
from .i18n import tr
from .messages import RunMessages
from .model import LoadedModel, load_model
from .patch import run_patch
from .products import (
    LCZ_CELL_M,
    META_MODEL,
    META_MODEL_VERSION,
    META_PROVIDER,
    META_SOURCE,
    MODEL_CHANNELS,
    MODEL_EMBEDDING,
    MODEL_LCZ,
    MODEL_OUTPUT_CELL_M,
    PRODUCT_BY_KEY,
    PRODUCTS,
    pixels_per_cell,
)
from .reader import Grid, Scene, open_scene
from .signals import signals_stop_the_run
from .tiling import blend_weight, fill_invalid, read_padded, window_grid
from .uncertainty import METADATA_KEY as UNCERTAINTY_KEY
from .uncertainty import UncertaintyCalibration
from .writer import ProductWriters, check_writable, remove_empty_folders

#: The name core.batch imports (SIGTERM and SIGINT end a run as an exception: core.signals).
_sigterm_cleans_up = signals_stop_the_run

gdal.UseExceptions()

#: Input bytes per dense batch. On the CPU, batches of 1 to 25 windows ran equally fast (docs/BENCHMARKS.md),
#: while onnxruntime's working memory grows with the batch: small batches keep the peak low.
_BATCH_BYTES = 16 * 1024 * 1024
#: GDAL's block cache (5 % of RAM by default) fills with warped blocks that are never read again.
_GDAL_CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class OutputPaths:
    """Where to write each product (core.products.PRODUCTS; one field per product key); None = not wanted."""

    lcz: str | None
    hse: str | None = None
    probabilities: str | None = None
    dates: str | None = None
    uncertainty: str | None = None

    def requested(self) -> dict[str, str]:
        return {spec.key: str(getattr(self, spec.key)) for spec in PRODUCTS if getattr(self, spec.key)}


@dataclass
class MappingResult:
    """What a run wrote: `outputs` maps product keys to files (also readable as result.lcz, result.hse, ...)."""

    outputs: dict[str, str]
    provider: str
    contract: ModelContract
    warnings: list[str] = field(default_factory=list)  # the warnings the run gave, each once, as a record
    seconds: float = 0.0
    grid: Grid | None = None  # the 10 m working grid (later dates of a multi-date run are warped onto it)

    def __getattr__(self, key: str) -> str | None:
        if key in PRODUCT_BY_KEY:
            return self.outputs.get(key)
        raise AttributeError(key)


@dataclass(frozen=True)
class CellGrid:
    """The 100 m LCZ cell grid of a run: what a CellHook needs to find its cells."""

    geotransform: tuple[float, ...]
    projection: str
    width: int
    height: int


class CellHook(Protocol):
    """Sees (and may change) the LCZ class probabilities of every row of 100 m cells before they are written.

    Used to fit and apply an adapter to training areas (core.training_areas) without storing a scene's features.
    """

    def start(self, grid: CellGrid) -> None:
        """Called once the working grid is known, before any cell is computed."""

    def needed(self, first_row: int, rows: int) -> np.ndarray | None:
        """(rows, width) mask of the cells to compute (patch models), or None for all."""

    def cells(self, first_row: int, probabilities: np.ndarray, embedding: np.ndarray | None,
              valid: np.ndarray) -> np.ndarray:
        """probabilities (17, rows, width), embedding (D, rows, width) or None, valid (rows, width) -> probabilities."""


class _Progress:
    """Progress and cancellation, checked at every batch."""

    def __init__(self, total: int, progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None):
        self.total, self.done = max(total, 1), 0
        self._progress, self._is_cancelled = progress, is_cancelled

    def check(self) -> None:
        if self._is_cancelled and self._is_cancelled():
            raise CancelledError("The run was cancelled; no output was written.")

    def advance(self, amount: int) -> None:
        self.done += amount
        if self._progress:
            self._progress(min(self.done / self.total, 1.0))


def _run_dense(scene: Scene, model: LoadedModel, products: ProductWriters, progress: _Progress,
               model_outputs: set[str], hook: CellHook | None = None,
               uncertainty: UncertaintyCalibration | None = None, block: tuple[int, int] | None = None) -> None:
    """Sliding windows over the scene with overlap, blended without seams, streamed row by row.

    `block` (cell rows [a, b)): only the windows of the scene's window grid that touch those rows are run, in the
    same order as for the whole scene, so the block's cells are bit for bit those of a whole-scene run.
    """
    contract = model.contract
    if (hook or uncertainty) and contract.output_for(MODEL_EMBEDDING) is not None:
        model_outputs = model_outputs | {MODEL_EMBEDDING}  # averaged per cell like the probabilities
    # The LCZ output is always run (every model has it); the others only when a product needs them.
    outputs = {key: contract.output_for(key) for key in (MODEL_LCZ, *sorted(model_outputs - {MODEL_LCZ}))}
    cells = {key: pixels_per_cell(MODEL_OUTPUT_CELL_M[key], contract.gsd) for key in outputs}
    # An output whose stride does not divide its product cell (stride 4 for 10 px cells) is repeated onto the
    # stride gcd(stride, cell) before the cells average it (core.cells.to_finer_stride).
    fine = {p: finer_stride(s.stride, cells[p]) for p, s in outputs.items()}
    align = math.lcm(contract.size_multiple, *(spec.stride for spec in outputs.values()))
    tile = contract.tile_size
    grid = window_grid(scene.width, scene.height, tile, contract.tile_overlap, align)
    progress.total = grid.columns * grid.rows
    ramp = tile - grid.step
    weights = {p: np.outer(blend_weight(tile // s.stride, ramp // s.stride), blend_weight(tile // s.stride, ramp // s.stride))
               for p, s in outputs.items()}
    channels = dict(MODEL_CHANNELS)
    if MODEL_EMBEDDING in outputs:
        channels[MODEL_EMBEDDING] = model.channels(MODEL_EMBEDDING) or 0
        if not channels[MODEL_EMBEDDING]:
            raise EngineError(f"{model.path}: the embedding output must declare its channel count in the graph.")
    accumulators = {p: RollingAccumulator(channels[p], s.stride, tile, scene.width) for p, s in outputs.items()}
    sinks = {p: functools.partial(products.write, p) for p in outputs}
    # The LCZ rows (and the embedding rows, when used) of one row of cells meet here before they are written.
    joined = [p for p in (MODEL_LCZ, MODEL_EMBEDDING) if p in outputs]
    pending: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    def join(product: str, row: int, values: np.ndarray, valid: np.ndarray) -> None:
        parts = pending.setdefault(row, {})
        parts[product] = (values, valid)
        if len(parts) == len(joined):
            del pending[row]
            probabilities, cell_valid = parts[MODEL_LCZ]
            embedding = parts[MODEL_EMBEDDING][0] if MODEL_EMBEDDING in parts else None
            write_lcz_rows(products, row + first_cell_row, probabilities, embedding, cell_valid, hook, uncertainty, row)

    for product in joined:
        sinks[product] = functools.partial(join, product)
    aggregators = {p: CellAggregator(cells[p], fine[p], scene.width, sinks[p]) for p in outputs}
    lcz_cell = pixels_per_cell(LCZ_CELL_M, contract.gsd)
    first_cell_row = block[0] if block else 0
    start_px = first_cell_row * lcz_cell  # 10 m rows [start_px, stop_px) are mapped
    stop_px = min(block[1] * lcz_cell, scene.height) if block else scene.height
    mask_rows = np.zeros((tile, scene.width), dtype=bool)
    mask_top = 0
    batch_size = max(1, _BATCH_BYTES // (len(contract.bands) * tile * tile * 4))
    xs, all_ys = grid.xs(), grid.ys()
    strip_w = xs[-1] + tile - xs[0]
    # The window rows that touch the mapped rows; the rows above start_px are computed and dropped.
    selected = [k for k, y in enumerate(all_ys) if y < stop_px and y + tile > start_px]
    ys = [all_ys[k] for k in selected]
    if block:
        mask_top = max(ys[0], 0)
        for accumulator in accumulators.values():
            accumulator.top = mask_top
        progress.total = grid.columns * len(ys)

    def read_strip(y0: int) -> tuple[np.ndarray, np.ndarray]:
        data, valid = read_padded(scene, xs[0], y0, strip_w, tile, mode="reflect")
        return to_model_units(data, contract), valid

    # The next row of windows is read (and warped) in a thread while the model runs on this one: GDAL and
    # onnxruntime both release the GIL. Only that thread touches the scene's dataset while it runs.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hselcz-read") as reader:
        upcoming = reader.submit(read_strip, ys[0])
        for row, y0 in enumerate(ys):
            data, valid = upcoming.result()
            if row + 1 < len(ys):
                upcoming = reader.submit(read_strip, ys[row + 1])
            first_row = max(y0, 0)
            last_row = min(y0 + tile, scene.height)
            mask_rows[first_row - mask_top : last_row - mask_top] = valid[first_row - y0 : last_row - y0, -xs[0] : -xs[0] + scene.width]
            windows = []
            for x0 in xs:
                window_valid = valid[:, x0 - xs[0] : x0 - xs[0] + tile]
                if window_valid.any():
                    windows.append((x0, fill_invalid(data[:, :, x0 - xs[0] : x0 - xs[0] + tile], window_valid)))
            progress.advance(len(xs) - len(windows))
            for start in range(0, len(windows), batch_size):
                progress.check()
                chunk = windows[start : start + batch_size]
                results = model.run(np.stack([w for _, w in chunk]), outputs)
                for product, spec in outputs.items():
                    out = results[product]
                    expected = (len(chunk), channels[product], tile // spec.stride, tile // spec.stride)
                    if out.shape != expected:
                        raise EngineError(f"{model.path}: output '{spec.name}' has shape {out.shape}, expected {expected} for stride {spec.stride}.")
                    for (x0, _), values in zip(chunk, out, strict=True):
                        accumulators[product].add(x0, y0, values, weights[product])
                progress.advance(len(chunk))
            index = selected[row]
            last = index == len(all_ys) - 1
            until = scene.height if last else min(all_ys[index + 1], scene.height)
            if block and row == len(ys) - 1:
                until = min(until, stop_px)  # every row above stop_px is complete: the windows below are not run
            if until > mask_top:
                mask = mask_rows[: until - mask_top].copy()
                for product, spec in outputs.items():
                    released = accumulators[product].release(until)
                    lo, hi = max(mask_top, start_px), min(until, stop_px)
                    if hi > lo:  # only the mapped rows go on to the cells
                        g = fine[product]
                        released = to_finer_stride(released, spec.stride, cells[product])
                        aggregators[product].push(released[:, (lo - mask_top) // g : -(-(hi - mask_top) // g)],
                                                  mask[lo - mask_top : hi - mask_top])
                mask_rows = np.concatenate([mask_rows[until - mask_top :], np.zeros((until - mask_top, scene.width), dtype=bool)])
                mask_top = until
    for aggregator in aggregators.values():
        aggregator.finish()


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
    *,
    model_path: str | None = None,
    bands: str | None = None,
    device: str = "auto",
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    log: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    cell_hook: CellHook | None = None,
    grid: Grid | None = None,
    cell_rows: tuple[int, int] | None = None,
    input_label: str | None = None,
    clouds: bool = True,
) -> MappingResult:
    """Map HSE density and LCZ from a Sentinel-2 raster (or separate band files, or a Sentinel-2 product).

    `log` receives information lines and `warn` warnings, each once, as they arise; without `warn` the warnings
    go to `log` marked "Warning: " (core.messages). `cell_hook` sees and may change the LCZ probabilities of every
    row of cells before they are written (training-area adaptation, core.training_areas). `grid` warps the input onto
    that working grid (the first date's, in a multi-date run: core.multidate). `cell_rows` (a, b) maps only the
    100 m cell rows a..b-1 into outputs that cover just those rows, bit for bit as in a whole-scene run (the blocks
    of one scene that core.batch spreads over workers); such a block may hold no valid cell. `input_label` (e.g.
    "Date 2 (b.tif)") starts every warning about the input, so that a run of several inputs says which one it is.
    `clouds`: clouds and cloud shadows are no data (core.clouds); False maps them like any other surface.
    """
    started = time.perf_counter()
    messages = RunMessages(log, warn)
    sources = [str(source)] if isinstance(source, (str, Path)) else [str(s) for s in source]
    requested = outputs.requested()
    if not requested:
        raise EngineError("No output was requested: give at least an LCZ, HSE or probabilities file.")
    created: list[Path] = []
    with signals_stop_the_run():
        try:
            targets = {key: check_writable(path, sources, created) for key, path in requested.items()}
            return _map_checked(sources, targets, model_path, bands, device, progress, is_cancelled, messages, started,
                                cell_hook, grid, cell_rows, input_label, clouds)
        except BaseException:
            remove_empty_folders(created)
            raise


def _map_checked(sources: list[str], targets: dict[str, Path], model_path: str | None, bands: str | None,
                 device: str, progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None,
                 messages: RunMessages, started: float, hook: CellHook | None = None,
                 grid: Grid | None = None, cell_rows: tuple[int, int] | None = None,
                 input_label: str | None = None, clouds: bool = True) -> MappingResult:
    """map_scene once the outputs are known to be writable."""
    if len(set(targets.values())) < len(targets):
        raise EngineError("Two outputs point at the same file; give each output its own file name.")

    model = load_model(model_path, device, messages.info)
    contract = model.contract
    messages.info(tr("Model: {name} {version} ({kind}, {path}); execution provider: {provider}", name=contract.name,
                     version=contract.version, kind=contract.kind, path=model.path, provider=model.provider))
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
        written, working = _map_opened(sources, contract, model, bands, targets, messages, progress, is_cancelled, hook,
                                       grid, calibration, cell_rows, input_label, clouds)
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


def _map_opened(sources: list[str], contract: ModelContract, model: LoadedModel, bands: str | None,
                targets: dict[str, Path], messages: RunMessages,
                progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None,
                hook: CellHook | None = None, grid: Grid | None = None,
                calibration: UncertaintyCalibration | None = None,
                cell_rows: tuple[int, int] | None = None,
                input_label: str | None = None, clouds: bool = True) -> tuple[dict[str, str], Grid]:
    """Open the scene, run the model kind's pipeline, and publish the products; the paths written."""

    def warn_input(text: str) -> None:  # a warning about this input: which one, when there are several
        messages.warn(tr("{label}: {warning}", label=input_label, warning=text) if input_label else text)

    scene = open_scene(sources, contract.bands, band_mapping=bands, gsd=contract.gsd, log=messages.info, grid=grid,
                       clouds=clouds)
    try:
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
        if hook is not None:
            gt = scene.geotransform
            hook.start(CellGrid((gt[0], gt[1] * cell, 0.0, gt[3], 0.0, gt[5] * cell), scene.projection,
                                -(-scene.width // cell), -(-scene.height // cell)))
        metadata = {META_MODEL: contract.name, META_MODEL_VERSION: contract.version, META_PROVIDER: model.provider,
                    META_SOURCE: ", ".join(sources)}
        gt, height = scene.geotransform, scene.height
        if cell_rows is not None:
            cells_y = -(-scene.height // cell)
            if not 0 <= cell_rows[0] < cell_rows[1] <= cells_y:
                raise EngineError(f"cell_rows {cell_rows} must lie within the scene's {cells_y} rows of 100 m cells.")
            height = min(cell_rows[1] * cell, scene.height) - cell_rows[0] * cell
            gt = (gt[0], gt[1], gt[2], gt[3] + cell_rows[0] * cell * gt[5], gt[4], gt[5])
        products = ProductWriters(targets, scene.width, height, contract.gsd, gt, scene.projection, metadata,
                                  allow_empty=cell_rows is not None)
        try:
            tracker = _Progress(1, progress, is_cancelled)
            tracker.check()
            if contract.kind == KIND_DENSE:
                model_outputs = {PRODUCT_BY_KEY[key].model_output for key in targets if not PRODUCT_BY_KEY[key].derived}
                _run_dense(scene, model, products, tracker, model_outputs, hook, calibration, cell_rows)
            else:
                run_patch(scene, model, products, tracker, hook, calibration, cell_rows, with_hse="hse" in targets)
            tracker.check()
            if scene.clouds is not None and scene.clouds.summary():
                messages.info(scene.clouds.summary())
            written = products.commit()
        except BaseException:
            products.discard()
            raise
        working = scene.grid
    finally:
        scene.close()
    return written, working
