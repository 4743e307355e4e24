"""The engine's one entry point, map_scene(): Sentinel-2 input -> HSE (20 m) and LCZ (100 m) GeoTIFFs.

Data flow (docs/ARCHITECTURE.md): open the model and check the outputs can be written (nothing computed
yet) -> build the working grid (reader.py) -> run windows in batches, row of windows by row of windows ->
blend overlapping windows with smooth weights into rolling accumulators -> average finished rows into
20 m / 100 m cells -> stream cell rows into temporary GeoTIFFs -> rename them into place at the end.
Memory is bounded by one row of windows, whatever the scene size.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal

from .contract import DN_PER_REFLECTANCE, KIND_DENSE, PRODUCT_HSE, PRODUCT_LCZ, UNIT_REFLECTANCE, ModelContract
from .errors import WARNING_PREFIX, CancelledError, EngineError, TerminatedError
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES, LCZ_NODATA
from .model import LoadedModel, load_model
from .products import (
    HSE_CELL_M,
    HSE_NODATA,
    LCZ_CELL_M,
    META_MODEL,
    META_MODEL_VERSION,
    META_PRODUCT,
    META_PROVIDER,
    META_SOURCE,
    META_UNITS,
    PROBABILITY_NODATA,
    PRODUCT_NAMES,
)
from .reader import Scene, open_scene
from .tiling import blend_weight, block_mean, block_sum, fill_invalid, read_padded, window_grid
from .writer import AtomicGeoTiff, check_writable, remove_empty_folders, style_lcz_band

gdal.UseExceptions()

_MIN_VALID_SHARE = 0.5  # a 20 m or 100 m cell gets a value when at least half of its 10 m pixels are valid
#: Input bytes per dense batch. On the CPU, batches of 1 to 25 windows ran equally fast (docs/BENCHMARKS.md),
#: while onnxruntime's working memory grows with the batch: small batches keep the peak low.
_BATCH_BYTES = 16 * 1024 * 1024
#: GDAL's block cache (5 % of RAM by default) fills with warped blocks that are never read again.
_GDAL_CACHE_BYTES = 256 * 1024 * 1024
_PATCH_BATCH = 256


@dataclass
class OutputPaths:
    lcz: str | None
    hse: str | None = None
    probabilities: str | None = None


@dataclass
class MappingResult:
    lcz: str | None
    hse: str | None
    probabilities: str | None
    provider: str
    contract: ModelContract
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


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


class _CellAggregator:
    """Averages finished rows of a model output (stride s on the 10 m grid) into cells of `cell` pixels."""

    def __init__(self, cell: int, stride: int, width: int, sink: Callable[[int, np.ndarray, np.ndarray], None]):
        self.cell, self.stride, self.width, self.sink = cell, stride, width, sink
        self.cells_x = math.ceil(width / cell)
        self._values: list[np.ndarray] = []
        self._mask: list[np.ndarray] = []
        self._rows = 0  # 10 m rows pending
        self._next_cell_row = 0

    def push(self, values: np.ndarray, mask: np.ndarray) -> None:
        """values (C, rows/s, ceil(W/s)) and mask (rows, W) for the next consecutive rows of the scene."""
        self._values.append(values)
        self._mask.append(mask)
        self._rows += mask.shape[0]
        if self._rows < self.cell:
            return
        # Join the pending rows once and emit every complete row of cells from views of it.
        all_mask = np.concatenate(self._mask, axis=0) if len(self._mask) > 1 else self._mask[0]
        all_values = np.concatenate(self._values, axis=1) if len(self._values) > 1 else self._values[0]
        complete = (self._rows // self.cell) * self.cell
        per_row = self.cell // self.stride
        for top in range(0, complete, self.cell):
            out_top = top // self.stride
            self._emit(self.cell, all_values[:, out_top : out_top + per_row], all_mask[top : top + self.cell])
        self._mask = [all_mask[complete:]] if all_mask.shape[0] > complete else []
        out_complete = complete // self.stride
        self._values = [all_values[:, out_complete:]] if all_values.shape[1] > out_complete else []
        self._rows -= complete

    def finish(self) -> None:
        if self._rows:
            mask = np.concatenate(self._mask, axis=0)
            values = np.concatenate(self._values, axis=1)
            self._emit(self._rows, values[:, : math.ceil(self._rows / self.stride)], mask[: self._rows])
            self._values, self._mask, self._rows = [], [], 0

    def _emit(self, rows: int, values: np.ndarray, mask: np.ndarray) -> None:
        k, s = self.cell, self.stride
        full_w = self.cells_x * k
        pad_mask = np.zeros((k, full_w), dtype=bool)
        pad_mask[:rows, : self.width] = mask
        inside = np.zeros((k, full_w), dtype=bool)
        inside[:rows, : self.width] = True
        pad_values = np.zeros((values.shape[0], k // s, full_w // s), dtype=np.float32)
        pad_values[:, : values.shape[1], : values.shape[2]] = values[:, :, : full_w // s]
        valid_share = block_mean(pad_mask.astype(np.float32), s)  # per output pixel
        numerator = block_sum(pad_values * valid_share, k // s)
        denominator = block_sum(valid_share, k // s)
        cell_valid = block_sum(pad_mask.astype(np.float32), k) >= _MIN_VALID_SHARE * block_sum(inside.astype(np.float32), k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(denominator > 0, numerator / np.maximum(denominator, 1e-12), 0.0)
        self.sink(self._next_cell_row, mean.astype(np.float32), cell_valid & (denominator > 0))
        self._next_cell_row += 1


class _Products:
    """The GeoTIFF writers of one run and the conversion of cell values into product rasters."""

    def __init__(self, scene: Scene, contract: ModelContract, provider: str, source: str, paths: dict[str, Path | None]):
        self.paths = paths
        self.writers: dict[str, AtomicGeoTiff] = {}
        self.valid_cells: dict[str, int] = {}  # per product: an output without any is refused, not published
        gt, projection = scene.geotransform, scene.projection
        lcz_cell = _cells(LCZ_CELL_M, contract.gsd)
        lcz_w, lcz_h = math.ceil(scene.width / lcz_cell), math.ceil(scene.height / lcz_cell)
        lcz_gt = (gt[0], gt[1] * lcz_cell, 0.0, gt[3], 0.0, gt[5] * lcz_cell)
        common = {META_MODEL: contract.name, META_MODEL_VERSION: contract.version, META_PROVIDER: provider, META_SOURCE: source}
        try:
            if paths.get("lcz"):
                writer = self._open("lcz", lcz_w, lcz_h, 1, gdal.GDT_Byte, lcz_gt, projection, LCZ_NODATA, 2, common)
                style_lcz_band(writer.dataset.GetRasterBand(1))
                writer.dataset.GetRasterBand(1).SetDescription("Local climate zone")
            if paths.get("probabilities"):
                writer = self._open("probabilities", lcz_w, lcz_h, LCZ_CLASS_COUNT, gdal.GDT_Float32, lcz_gt, projection,
                                    PROBABILITY_NODATA, 3, common)
                for lcz in LCZ_CLASSES:
                    writer.dataset.GetRasterBand(lcz.code).SetDescription(f"LCZ {lcz.legend_text}")
            if paths.get("hse"):
                cell = _cells(HSE_CELL_M, contract.gsd)
                hse_gt = (gt[0], gt[1] * cell, 0.0, gt[3], 0.0, gt[5] * cell)
                writer = self._open("hse", math.ceil(scene.width / cell), math.ceil(scene.height / cell), 1,
                                    gdal.GDT_Float32, hse_gt, projection, HSE_NODATA, 3, common)
                writer.dataset.GetRasterBand(1).SetDescription("Settlement density (built-up fraction 0..1)")
                writer.dataset.SetMetadataItem(META_UNITS, "fraction 0..1")
        except BaseException:
            self.discard()
            raise

    def _open(self, product, width, height, bands, data_type, geotransform, projection, nodata, predictor, metadata):
        try:
            writer = AtomicGeoTiff(self.paths[product], width, height, bands, data_type, geotransform, projection, nodata, predictor)
        except RuntimeError as exc:
            raise EngineError(f"Cannot create the output {self.paths[product]}: {exc}") from exc
        self.writers[product] = writer
        self.valid_cells[product] = 0
        for key, value in {**metadata, META_PRODUCT: PRODUCT_NAMES[product]}.items():
            writer.dataset.SetMetadataItem(key, value)
        return writer

    def write_lcz(self, row: int, probabilities: np.ndarray, valid: np.ndarray) -> None:
        """probabilities (17, 1, Wc) for one row of 100 m cells."""
        for product in ("lcz", "probabilities"):
            if product in self.writers:
                self.valid_cells[product] += int(valid.sum())
        if "lcz" in self.writers:
            classes = (np.argmax(probabilities, axis=0) + 1).astype(np.uint8)
            classes[~valid] = LCZ_NODATA
            self.writers["lcz"].write_rows(row, classes)
        if "probabilities" in self.writers:
            out = np.where(valid[None], probabilities, PROBABILITY_NODATA).astype(np.float32)
            self.writers["probabilities"].write_rows(row, out)

    def write_hse(self, row: int, density: np.ndarray, valid: np.ndarray) -> None:
        if "hse" in self.writers:
            self.valid_cells["hse"] += int(valid.sum())
            out = np.where(valid, np.clip(density[0], 0.0, 1.0), HSE_NODATA).astype(np.float32)
            self.writers["hse"].write_rows(row, out)

    def commit(self) -> dict[str, str]:
        empty = [product for product, count in self.valid_cells.items() if count == 0]
        if empty:
            cell = f"{HSE_CELL_M:g} m" if empty == ["hse"] else f"{LCZ_CELL_M:g} m"
            raise EngineError(
                f"No {cell} cell of the input has enough valid pixels (a cell needs at least half of its pixels with "
                "data), so the output would be all no data; nothing was written. The input is too small or almost "
                "all no data."
            )
        return {product: str(writer.commit()) for product, writer in self.writers.items()}

    def discard(self) -> None:
        for writer in self.writers.values():
            writer.discard()


def _cells(cell_m: float, gsd: float) -> int:
    cells = round(cell_m / gsd)
    if cells < 1 or abs(cells * gsd - cell_m) > 1e-6:
        raise EngineError(f"The model's ground sampling distance {gsd} m does not divide the {cell_m:g} m product grid.")
    return cells


def _to_model_units(batch: np.ndarray, contract: ModelContract) -> np.ndarray:
    return batch * np.float32(1.0 / DN_PER_REFLECTANCE) if contract.input_unit == UNIT_REFLECTANCE else batch


def _run_patch(scene: Scene, model: LoadedModel, products: _Products, progress: _Progress) -> None:
    """One window of patch_size centred on each 100 m cell, like the So2Sat LCZ42 production maps."""
    contract = model.contract
    cell, patch = _cells(LCZ_CELL_M, contract.gsd), contract.patch_size
    cells_x, cells_y = math.ceil(scene.width / cell), math.ceil(scene.height / cell)
    if patch < cell:
        raise EngineError(f"{model.path}: patch_size {patch} is smaller than a {LCZ_CELL_M:g} m cell ({cell} pixels).")
    offset = cell // 2 - patch // 2  # window origin relative to the cell origin (<= 0)
    progress.total = cells_x * cells_y
    chunk_rows = max(1, min(cells_y, (2 * 1024 * 1024) // max(1, cells_x * cell * 4)))
    for first in range(0, cells_y, chunk_rows):
        rows = min(chunk_rows, cells_y - first)
        strip_w = (cells_x - 1) * cell + patch
        strip_h = (rows - 1) * cell + patch
        data, valid = read_padded(scene, offset, first * cell + offset, strip_w, strip_h, mode="symmetric")
        data = _to_model_units(data, contract)
        inner = np.zeros((rows * cell, cells_x * cell), dtype=bool)
        inner_h = min(rows * cell, scene.height - first * cell)
        inner[:inner_h, : scene.width] = True
        cell_mask = valid[-offset : -offset + rows * cell, -offset : -offset + cells_x * cell] & inner
        valid_count = block_sum(cell_mask.astype(np.float32), cell)
        cell_valid = (valid_count >= _MIN_VALID_SHARE * block_sum(inner.astype(np.float32), cell)) & (valid_count > 0)
        probabilities = np.zeros((LCZ_CLASS_COUNT, rows, cells_x), dtype=np.float32)
        todo = [(r, c) for r in range(rows) for c in range(cells_x) if cell_valid[r, c]]
        progress.advance(rows * cells_x - len(todo))
        for start in range(0, len(todo), _PATCH_BATCH):
            progress.check()
            batch_cells = todo[start : start + _PATCH_BATCH]
            batch = np.stack([
                fill_invalid(data[:, r * cell : r * cell + patch, c * cell : c * cell + patch], valid[r * cell : r * cell + patch, c * cell : c * cell + patch])
                for r, c in batch_cells
            ])
            out = model.run(batch)[PRODUCT_LCZ]
            if out.shape != (len(batch_cells), LCZ_CLASS_COUNT):
                raise EngineError(f"{model.path}: a patch model must return (N, 17) probabilities, not {out.shape}.")
            for (r, c), p in zip(batch_cells, out, strict=True):
                probabilities[:, r, c] = p
            progress.advance(len(batch_cells))
        for r in range(rows):
            products.write_lcz(first + r, probabilities[:, r : r + 1], cell_valid[r : r + 1])


class _RollingAccumulator:
    """Weighted sums of overlapping window outputs for the rows of windows not yet finished."""

    def __init__(self, channels: int, stride: int, tile: int, width: int):
        self.stride = stride
        self.rows = tile // stride
        self.width = math.ceil(width / stride)
        self.sum = np.zeros((channels, self.rows, self.width), dtype=np.float32)
        self.weight = np.zeros((self.rows, self.width), dtype=np.float32)
        self.top = 0  # absolute 10 m row of buffer row 0

    def add(self, x0: int, y0: int, values: np.ndarray, weight: np.ndarray) -> None:
        s = self.stride
        ox, oy = x0 // s, (y0 - self.top) // s
        n = values.shape[-1]
        c0, c1 = max(0, -ox), min(n, self.width - ox)
        r0, r1 = max(0, -oy), min(n, self.rows - oy)
        if c1 <= c0 or r1 <= r0:
            return
        w = weight[r0:r1, c0:c1]
        self.sum[:, oy + r0 : oy + r1, ox + c0 : ox + c1] += values[:, r0:r1, c0:c1] * w
        self.weight[oy + r0 : oy + r1, ox + c0 : ox + c1] += w

    def release(self, until: int) -> np.ndarray:
        """Blended values of absolute rows [top, until) (10 m rows), and drop them from the buffer."""
        count = math.ceil((until - self.top) / self.stride)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = self.sum[:, :count] / np.maximum(self.weight[:count], 1e-12)
        # Shift the rows still in progress to the top, in place, and clear the freed rows.
        self.sum[:, : self.rows - count] = self.sum[:, count:]
        self.sum[:, self.rows - count :] = 0.0
        self.weight[: self.rows - count] = self.weight[count:]
        self.weight[self.rows - count :] = 0.0
        self.top = until
        return out


def _run_dense(scene: Scene, model: LoadedModel, products: _Products, progress: _Progress, want_hse: bool) -> None:
    """Sliding windows over the scene with overlap, blended without seams, streamed row by row."""
    contract = model.contract
    outputs = {PRODUCT_LCZ: contract.output_for(PRODUCT_LCZ)}
    if want_hse:
        outputs[PRODUCT_HSE] = contract.output_for(PRODUCT_HSE)
    cells = {PRODUCT_LCZ: _cells(LCZ_CELL_M, contract.gsd), PRODUCT_HSE: _cells(HSE_CELL_M, contract.gsd)}
    for product, spec in outputs.items():
        if cells[product] % spec.stride:
            raise EngineError(f"{model.path}: output '{spec.name}' has stride {spec.stride}, which does not divide the product grid.")
    align = math.lcm(contract.size_multiple, *(spec.stride for spec in outputs.values()))
    tile = contract.tile_size
    grid = window_grid(scene.width, scene.height, tile, contract.tile_overlap, align)
    progress.total = grid.columns * grid.rows
    ramp = tile - grid.step
    weights = {p: np.outer(blend_weight(tile // s.stride, ramp // s.stride), blend_weight(tile // s.stride, ramp // s.stride))
               for p, s in outputs.items()}
    channels = {PRODUCT_LCZ: LCZ_CLASS_COUNT, PRODUCT_HSE: 1}
    accumulators = {p: _RollingAccumulator(channels[p], s.stride, tile, scene.width) for p, s in outputs.items()}
    sinks = {PRODUCT_LCZ: products.write_lcz, PRODUCT_HSE: products.write_hse}
    aggregators = {p: _CellAggregator(cells[p], s.stride, scene.width, sinks[p]) for p, s in outputs.items()}
    mask_rows = np.zeros((tile, scene.width), dtype=bool)
    mask_top = 0
    batch_size = max(1, _BATCH_BYTES // (len(contract.bands) * tile * tile * 4))
    xs, ys = grid.xs(), grid.ys()
    strip_w = xs[-1] + tile - xs[0]

    def read_strip(y0: int) -> tuple[np.ndarray, np.ndarray]:
        data, valid = read_padded(scene, xs[0], y0, strip_w, tile, mode="reflect")
        return _to_model_units(data, contract), valid

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
                results = model.run(np.stack([w for _, w in chunk]))
                for product, spec in outputs.items():
                    out = results[product]
                    expected = (len(chunk), channels[product], tile // spec.stride, tile // spec.stride)
                    if out.shape != expected:
                        raise EngineError(f"{model.path}: output '{spec.name}' has shape {out.shape}, expected {expected} for stride {spec.stride}.")
                    for (x0, _), values in zip(chunk, out, strict=True):
                        accumulators[product].add(x0, y0, values, weights[product])
                progress.advance(len(chunk))
            last = row == len(ys) - 1
            until = scene.height if last else min(ys[row + 1], scene.height)
            if until > mask_top:
                mask = mask_rows[: until - mask_top].copy()
                for product in outputs:
                    aggregators[product].push(accumulators[product].release(until), mask)
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
) -> MappingResult:
    """Map HSE density and LCZ from a Sentinel-2 raster (or separate band files, or a Sentinel-2 product)."""
    started = time.perf_counter()
    say = log or (lambda message: None)
    sources = [str(source)] if isinstance(source, (str, Path)) else [str(s) for s in source]
    requested = {"lcz": outputs.lcz, "hse": outputs.hse, "probabilities": outputs.probabilities}
    if not any(requested.values()):
        raise EngineError("No output was requested: give at least an LCZ, HSE or probabilities file.")
    created: list[Path] = []
    with _sigterm_cleans_up():
        try:
            targets = {product: check_writable(path, sources, created) for product, path in requested.items() if path}
            return _map_checked(sources, targets, model_path, bands, device, progress, is_cancelled, say, started)
        except BaseException:
            remove_empty_folders(created)
            raise


@contextlib.contextmanager
def _sigterm_cleans_up() -> Iterator[None]:
    """SIGTERM ends a run like SIGINT: as an exception, so that every temporary file is removed on the way out;
    then the process ends by SIGTERM as it would have (or the caller's own handler runs).

    Only the main thread can set a signal handler, and only a handler Python knows can be put back: elsewhere
    (QGIS runs algorithms in a background thread) SIGTERM keeps its effect.
    """
    try:
        previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    except (AttributeError, ValueError):
        previous = None
    if previous is None or previous == signal.SIG_IGN:
        yield
        return
    raised = False

    def on_sigterm(signum: int, frame: object) -> None:
        nonlocal raised
        if not raised:  # once: a second SIGTERM must not interrupt the clean-up of the first
            raised = True
            raise TerminatedError("The run was stopped by SIGTERM; no output was written.")

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    except TerminatedError:
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _map_checked(sources: list[str], targets: dict[str, Path], model_path: str | None, bands: str | None,
                 device: str, progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None,
                 say: Callable[[str], None], started: float) -> MappingResult:
    """map_scene once the outputs are known to be writable."""
    if len(set(targets.values())) < len(targets):
        raise EngineError("Two outputs point at the same file; give each output its own file name.")

    model = load_model(model_path, device, say)
    contract = model.contract
    say(f"Model: {contract.name} {contract.version} ({contract.kind}); execution provider: {model.provider}")
    warnings: list[str] = []
    if "hse" in targets and not contract.has_hse:
        warnings.append(f"The model '{contract.name}' has no HSE output: the settlement density layer was not produced.")
        targets.pop("hse")
        if not targets:
            raise EngineError(warnings[-1] + " Nothing else was requested.")

    previous_cache = gdal.GetCacheMax()
    if previous_cache > _GDAL_CACHE_BYTES:
        gdal.SetCacheMax(_GDAL_CACHE_BYTES)  # process-wide: restored below
    try:
        written = _map_opened(sources, contract, model, bands, targets, warnings, say, progress, is_cancelled)
    finally:
        gdal.SetCacheMax(previous_cache)
    for message in warnings:
        say(WARNING_PREFIX + message)
    return MappingResult(
        lcz=written.get("lcz"), hse=written.get("hse"), probabilities=written.get("probabilities"),
        provider=model.provider, contract=contract, warnings=warnings, seconds=time.perf_counter() - started,
    )


def _map_opened(sources: list[str], contract: ModelContract, model: LoadedModel, bands: str | None,
                targets: dict[str, Path], warnings: list[str], say: Callable[[str], None],
                progress: Callable[[float], None] | None, is_cancelled: Callable[[], bool] | None) -> dict[str, str]:
    """Open the scene, run the model kind's pipeline, and publish the products; the paths written."""
    scene = open_scene(sources, contract.bands, band_mapping=bands, gsd=contract.gsd, log=say)
    try:
        warnings.extend(scene.warnings)
        cell = _cells(LCZ_CELL_M, contract.gsd)
        if scene.width < cell or scene.height < cell:
            raise EngineError(
                f"The input covers only {scene.width} x {scene.height} pixels at {contract.gsd:g} m: the maps need at "
                f"least one whole {LCZ_CELL_M:g} m cell ({cell} x {cell} pixels). Give a larger area."
            )
        if contract.processing_level != "any":
            if scene.processing_level and scene.processing_level != contract.processing_level:
                warnings.append(
                    f"The input looks like {scene.processing_level} but the model expects {contract.processing_level}; "
                    "expect degraded results."
                )
            elif not scene.processing_level:
                say(f"The processing level of the input is unknown; the model expects {contract.processing_level}.")
        if not _has_valid_pixels(scene):
            raise EngineError("The input holds no valid pixels (everything is no data or 0); nothing to map.")
        say(f"Working grid: {scene.width} x {scene.height} pixels at {contract.gsd:g} m.")
        products = _Products(scene, contract, model.provider, ", ".join(sources), targets)
        try:
            if contract.kind == KIND_DENSE:
                tracker = _Progress(1, progress, is_cancelled)
                tracker.check()
                _run_dense(scene, model, products, tracker, "hse" in targets)
            else:
                tracker = _Progress(1, progress, is_cancelled)
                tracker.check()
                _run_patch(scene, model, products, tracker)
            tracker.check()
            written = products.commit()
        except BaseException:
            products.discard()
            raise
    finally:
        scene.close()
    return written
