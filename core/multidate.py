"""Several dates of the same place fused into one map: the LCZ probabilities averaged, HSE by the median.

Why: a single scene carries its season, haze and shadows; averaging the class probabilities of two dates raised
the So2Sat ResNet20's Kappa by about +0.03 in the founders' offline measurement. How:
1. the first date is mapped on its own working grid (as map_scene always does); every later date is warped onto
   that grid (core.reader, `grid=`), so the dates are compared cell for cell, whatever their CRS and footprint;
2. each date writes its probabilities (and HSE) into a temporary folder beside nothing of the user's;
3. the dates are fused row block by row block (memory: one block of rows of every date, never whole rasters):
   LCZ = argmax of the mean probabilities over the dates with a value in the cell; HSE = per 20 m pixel the
   median of the dates with a value. The median because one hazy or cloudy date must not drag a pixel
   (with three dates or more it is ignored outright; with two, the median is their mean); the count of dates
   per LCZ cell is the optional `dates` product.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from osgeo import gdal

from .bands import parse_band_mapping
from .engine import CellHook, MappingResult, OutputPaths, map_scene
from .errors import CancelledError, EngineError
from .i18n import tr
from .lcz import LCZ_CLASS_COUNT
from .lcz_filter import kernel_log_line
from .messages import RunMessages
from .options import DEFAULT_CHOICE, NO_FEEDBACK, ModelChoice, RunFeedback
from .products import (
    DERIVED_DATES,
    HSE_NODATA,
    META_MODEL,
    META_MODEL_VERSION,
    META_PROVIDER,
    META_SOURCE,
    MODEL_HSE,
    MODEL_LCZ,
    PROBABILITY_NODATA,
)
from .publish import publishing
from .reader import band_layout
from .signals import stops_on_signals
from .writer import ProductWriters

gdal.UseExceptions()

#: Rows of cells fused at a time (per date: 17 bands x rows x width floats).
_BLOCK_ROWS = 64


def _describe(source: str | Sequence[str]) -> str:
    return str(source) if isinstance(source, (str, Path)) else ", ".join(str(s) for s in source)


@stops_on_signals
def map_dates(
    dates: Sequence[str | Sequence[str]],
    outputs: OutputPaths,
    model: ModelChoice = DEFAULT_CHOICE,
    feedback: RunFeedback = NO_FEEDBACK,
    *,
    cell_hook: CellHook | None = None,
    clouds: bool = True,
) -> MappingResult:
    """Map several dates of one place into one set of products (one date: exactly map_scene).

    `cell_hook` sees every date's cells before they are written (training-area adaptation of each date); `clouds`
    as for map_scene, for every date.
    """
    if not dates:
        raise EngineError("No input scene was given.")
    if len(dates) == 1:
        return map_scene(dates[0], outputs, model, feedback, cell_hook=cell_hook, clouds=clouds)
    started = time.perf_counter()
    say = feedback.say
    requested = outputs.requested()
    if not requested:
        raise EngineError("No output was requested: give at least an LCZ, HSE or probabilities file.")
    inputs = [str(s) for date in dates for s in ([date] if isinstance(date, (str, Path)) else date)]
    with publishing(inputs) as run_outputs:
        if "uncertainty" in requested:
            raise EngineError("The LCZ uncertainty is mapped for one date at a time; leave it empty when fusing dates.")
        targets = run_outputs.check(requested)
        with tempfile.TemporaryDirectory(prefix="hselcz_dates_") as folder:
            runs = _map_each_date(dates, Path(folder), "hse" in targets, model, feedback, cell_hook, clouds)
            first = runs[0]
            metadata = {META_MODEL: first.contract.name, META_MODEL_VERSION: first.contract.version,
                        META_PROVIDER: first.provider, META_SOURCE: " | ".join(_describe(d) for d in dates)}
            if "hse" in targets and not first.hse:
                targets.pop("hse")  # the model has no HSE output: map_scene has warned
            if not targets:
                raise EngineError("Nothing that this model can produce was requested.")
            grid = first.grid
            writers = run_outputs.open(targets, grid.width, grid.height, first.contract.gsd, grid.geotransform,
                                       grid.projection, metadata)
            writers.single_date = False
            if "lcz_filtered" in targets:
                say(kernel_log_line())  # of the fused probabilities
            _fuse_lcz([Path(r.probabilities) for r in runs], writers, feedback)
            if "hse" in targets:
                _fuse_hse([Path(r.hse) for r in runs], writers)
            written = run_outputs.commit()
    feedback.report(1.0)
    say(tr("{dates} dates fused: LCZ from the mean probabilities, HSE from the median.", dates=len(dates)))
    said = list(dict.fromkeys(w for run in runs for w in run.warnings))
    return MappingResult(outputs=written, provider=first.provider, contract=first.contract, warnings=said,
                         seconds=time.perf_counter() - started, grid=grid)


def map_onto_first_grid(
    dates: Sequence[str | Sequence[str]],
    outputs_for: Callable[[int], OutputPaths],
    model: ModelChoice,
    feedback: RunFeedback,
    *,
    share: float = 1.0,
    announce: Callable[[int, str | Sequence[str]], None] | None = None,
    wrap_error: Callable[[int, str | Sequence[str], str], str] | None = None,
    label: Callable[[int, str | Sequence[str]], str] | None = None,
    cell_hook: CellHook | None = None,
    clouds: bool = True,
) -> list[MappingResult]:
    """Every date through map_scene (outputs_for(index)), later dates on the first date's working grid.

    Shared by the fusion of dates, settlement growth and training areas. `share` is the part of the progress bar
    the dates take; `wrap_error` words a date's EngineError for the caller (cancellation passes as it is); `label`
    names a date at the start of its warnings (default "Date 2 (b.tif)" when there are several). The bands of each
    date are found on their own (date_band_mappings), before anything is computed.
    """
    runs: list[MappingResult] = []
    step = share / len(dates)
    if label is None and len(dates) > 1:
        def label(index: int, date) -> str:
            return tr("Date {number} ({source})", number=index + 1, source=_describe(date))
    mappings = date_band_mappings(dates, model.bands, RunMessages(feedback.log, feedback.warn).warn, label)
    for index, date in enumerate(dates):
        if announce:
            announce(index, date)
        try:
            runs.append(map_scene(date, outputs_for(index), replace(model, bands=mappings[index]),
                                  feedback.part(step * index, step), cell_hook=cell_hook, clouds=clouds,
                                  grid=runs[0].grid if runs else None,
                                  input_label=label(index, date) if label else None))
        except CancelledError:
            raise
        except EngineError as exc:
            if wrap_error is None:
                raise
            raise EngineError(wrap_error(index, date, str(exc))) from exc
    return runs


def date_band_mappings(dates: Sequence[str | Sequence[str]], bands: str | None,
                       warn: Callable[[str], None] | None = None,
                       label: Callable[[int, str | Sequence[str]], str] | None = None) -> list[str | None]:
    """The BANDS mapping of each date: each date's bands are identified on its own.

    - One mapping per date, separated by `|` (an empty one: that date's own band names): each date gets its own.
    - One mapping for several dates: it describes the first date. A later date with the same number of raster bands
      is read with it (a warning names the date when its own band names say otherwise); a later date with another
      number of bands is read by its own band names (descriptions, metadata) when it names the bands the mapping
      names, and refused otherwise, naming the date: a 13-band stack read with a 10-band mapping gave the wrong
      bands without a word.
    - No mapping: every date by its own names (as map_scene does).
    """
    name_of = label or (lambda index, date: tr("Date {number} ({source})", number=index + 1, source=_describe(date)))
    if bands and "|" in bands:
        parts = [part.strip() or None for part in bands.split("|")]
        if len(parts) != len(dates):
            raise EngineError(
                f"BANDS gives {len(parts)} band mappings separated by |, but there are {len(dates)} dates: give one "
                "per date, in the order of the dates (leave one empty to read that date's own band names)."
            )
        return parts
    if not bands or not bands.strip() or len(dates) < 2:
        return [bands or None] * len(dates)
    try:
        first_count, _ = band_layout(dates[0])
        named = parse_band_mapping(bands, first_count)
    except EngineError:
        return [bands] * len(dates)  # map_scene says what is wrong with the first date or the mapping
    mappings: list[str | None] = [bands]
    for index, date in enumerate(dates[1:], start=1):
        try:
            count, own = band_layout(date)
        except EngineError:
            mappings.append(bands)  # map_scene says why the date cannot be read, naming it
            continue
        names_itself = all(name in own for name in named)
        if count == first_count:
            if names_itself and any(own[name] != position for name, position in named.items()) and warn:
                differ = ", ".join(f"{name}: BANDS says band {position}, the raster band {own[name]}"
                                   for name, position in named.items() if own[name] != position)
                warn(tr("{label}: {warning}", label=name_of(index, date), warning=tr(
                    "BANDS (given for the first date) was applied to this date, but its own band names say otherwise "
                    "({differ}). If its bands are in another order, give one mapping per date separated by |.",
                    differ=differ)))
            mappings.append(bands)
        elif names_itself:
            mappings.append(None)  # read by its own band names
        else:
            raise EngineError(
                f"{name_of(index, date)}: it has {count} raster bands, the first date {first_count}, so the BANDS "
                f"mapping '{bands.strip()}' (for the first date) does not fit it, and it does not name its bands "
                f"itself. Give one mapping per date separated by |, in the order of the dates, e.g. '{bands.strip()} | "
                f"{_mapping_example(count)}'."
            )
    return mappings


def _mapping_example(count: int) -> str:
    """A list of names for a raster of `count` bands: the 13 bands of Sentinel-2 when it has 13, else pairs."""
    if count == 13:
        return "-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12"
    return "B2=2,B3=3,B4=4,..."


def _map_each_date(dates, folder: Path, want_hse: bool, model: ModelChoice, feedback: RunFeedback,
                   cell_hook: CellHook | None, clouds: bool) -> list[MappingResult]:
    """Every date's probabilities (and HSE) into the temporary folder, errors naming the date.

    One warning channel for all dates: a warning every date gives (e.g. "no HSE output") is said once.
    """
    say = feedback.say

    def outputs_for(index: int) -> OutputPaths:
        return OutputPaths(lcz=None, probabilities=str(folder / f"probabilities_{index}.tif"),
                           hse=str(folder / f"hse_{index}.tif") if want_hse else None)

    def announce(index: int, date) -> None:
        say(tr("Date {number} of {count}: {source}", number=index + 1, count=len(dates), source=_describe(date)))

    def wrap_error(index: int, date, problem: str) -> str:
        if index and "no valid pixels" in problem:
            from .growth import _overlaps  # the same test as growth's (growth imports this module)

            overlap = _overlaps(folder / "probabilities_0.tif", date)
            if overlap is False:
                problem = tr("It does not overlap the first date: none of it falls on the first date's area, so it "
                             "adds nothing. Give scenes of the same place.")
            elif overlap:
                problem += " " + tr("It overlaps the first date, but where it does, every pixel is no data (or 0) "
                                    "in at least one of the bands the model reads: check this date's band order "
                                    "(BANDS).")
            else:
                problem += " " + tr("Later dates are read on the first date's grid: this date does not overlap the "
                                    "first one, or has no data where it does.")
        return tr("Date {number} ({source}): {problem}", number=index + 1, source=_describe(date), problem=problem)

    once = feedback.but(warn=RunMessages(feedback.log, feedback.warn).warn)
    return map_onto_first_grid(dates, outputs_for, model, once, share=0.9, announce=announce, wrap_error=wrap_error,
                               cell_hook=cell_hook, clouds=clouds)


def _fuse_lcz(paths: list[Path], writers: ProductWriters, feedback: RunFeedback) -> None:
    datasets = [gdal.Open(str(path)) for path in paths]
    width, height = datasets[0].RasterXSize, datasets[0].RasterYSize
    for top in range(0, height, _BLOCK_ROWS):
        feedback.check()
        rows = min(_BLOCK_ROWS, height - top)
        total = np.zeros((LCZ_CLASS_COUNT, rows, width), np.float64)
        count = np.zeros((rows, width), np.int64)
        for dataset in datasets:
            block = dataset.ReadAsArray(0, top, width, rows).astype(np.float64).reshape(LCZ_CLASS_COUNT, rows, width)
            valid = (block != PROBABILITY_NODATA).all(axis=0)
            total += np.where(valid[None], block, 0.0)
            count += valid
        valid = count > 0
        mean = (total / np.maximum(count, 1)[None]).astype(np.float32)
        writers.write(MODEL_LCZ, top, mean, valid)
        writers.write(DERIVED_DATES, top, count[None].astype(np.uint8), valid)


def _fuse_hse(paths: list[Path], writers: ProductWriters) -> None:
    datasets = [gdal.Open(str(path)) for path in paths]
    width, height = datasets[0].RasterXSize, datasets[0].RasterYSize
    for top in range(0, height, _BLOCK_ROWS * 5):
        rows = min(_BLOCK_ROWS * 5, height - top)
        stack = np.stack([d.ReadAsArray(0, top, width, rows).astype(np.float32) for d in datasets])
        stack[stack == HSE_NODATA] = np.nan
        valid = np.isfinite(stack).any(axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels: no date has a value there
            median = np.nanmedian(stack, axis=0)
        writers.write(MODEL_HSE, top, np.nan_to_num(median)[None], valid)
