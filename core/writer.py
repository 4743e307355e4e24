"""Writing GeoTIFF products atomically: to a hidden temporary file beside the target, renamed when complete.

A cancelled or failed run therefore never leaves a half-written file where the user asked for output,
and an existing file at that path survives until the new one is complete.
"""

from __future__ import annotations

import errno
import os
import sys
import uuid
from pathlib import Path

import numpy as np
from osgeo import gdal

from . import lcz_filter
from .errors import EngineError
from .lcz import LCZ_CLASSES, LCZ_NODATA
from .products import (
    DERIVED_DATES,
    GTIFF_OPTIONS,
    HSE_CELL_M,
    LCZ_CELL_M,
    LCZ_FILTERED,
    META_CLASS_PREFIX,
    META_LCZ_FILTER,
    META_PRODUCT,
    META_UNITS,
    MODEL_LCZ,
    PROBABILITIES,
    PRODUCT_BY_KEY,
    ProductSpec,
    output_extension_problem,
    pixels_per_cell,
)

gdal.UseExceptions()

#: errno values that mean "no room left": the disk (or the user's quota) is full.
_FULL = {errno.ENOSPC, errno.EDQUOT}
_FULL_TEXTS = ("no space left on device", "disk quota exceeded")
_TOO_LARGE_TEXTS = ("file too large",)
#: Bytes a probe writes to learn whether a folder's disk is full (after a write GDAL reports without an errno).
_PROBE_BYTES = 256 * 1024


def _errno_of(exc: BaseException | None) -> int | None:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno:
            return exc.errno
        exc = exc.__cause__ or exc.__context__
    return None


def _probe_errno(folder: Path) -> int | None:
    """Write (and remove) a small file in `folder`; the errno it fails with, or None when it can be written."""
    probe = folder / f".hselcz-space-{uuid.uuid4().hex[:8]}.probe"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"\0" * _PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
        return None
    except OSError as exc:
        return exc.errno
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def storage_error(folder: Path, exc: BaseException, what: str) -> EngineError:
    """The plain-words error for a write into `folder` that failed with `exc` (GDAL's or the system's).

    GDAL reports a full disk as "TIFFAppendToStrip:Write error", "IO error writing tag data" or "No space left on
    device", depending on where it ran out: the errno, the text and, when neither says, a probe write into the
    same folder tell a full disk from other failures. Call it before the temporary files are removed (their
    removal frees the space the probe needs to fail).
    """
    folder = Path(folder)
    text = str(exc).lower()
    code = _errno_of(exc)
    if code is None and any(t in text for t in _FULL_TEXTS):
        code = errno.ENOSPC
    if code is None and any(t in text for t in _TOO_LARGE_TEXTS):
        code = errno.EFBIG
    if code is None and folder.is_dir():
        code = _probe_errno(folder)
    if code in _FULL:
        return EngineError(
            f"The disk is full at {folder}: {what} could not be written, so no output was published. "
            "Free some space there, or choose an output folder on another disk, and run again."
        )
    if code == errno.EFBIG:
        return EngineError(
            f"The file system at {folder} refuses a file this large (or a limit on file sizes was reached): {what} "
            "could not be written, so no output was published. Choose an output folder on another disk."
        )
    return EngineError(f"Cannot write {what} in {folder}: {exc}. No output was published.")


class _GdalErrors:
    """Collects GDAL's errors while a dataset is flushed and closed: the bindings raise none when a dataset is closed,
    and a sidecar (.aux.xml) that cannot be saved is only a warning ("Unable to save auxiliary information")."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, error_class: int, _number: int, message: str) -> None:
        if error_class >= gdal.CE_Failure or "auxiliary information" in message:
            self.messages.append(message)

    def __enter__(self) -> _GdalErrors:
        gdal.PushErrorHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gdal.PopErrorHandler()


def replace_keeping_backup(temporary: Path, target: Path, backups: list[tuple[Path, Path | None]]) -> None:
    """Move a finished `temporary` onto `target` (when it exists). An existing target is first moved to a hidden
    backup name, recorded in `backups` as (target, backup or None), so that core.publish can put it back."""
    backup = None
    if target.exists():
        backup = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.previous"
        os.replace(target, backup)
    backups.append((target, backup))
    if temporary.exists():
        os.replace(temporary, target)


def check_writable(path: str, inputs: list[str], created: list[Path] | None = None) -> Path:
    """Fail before any computing when a GeoTIFF output cannot be written (or would overwrite the input).

    Missing folders are created and recorded in `created`, so that a failed run can remove them again with
    remove_empty_folders and leave the disk as it found it.
    """
    return check_destination(path, inputs, created)


def check_destination(path: str, inputs: list[str], created: list[Path] | None = None, *,
                      suffixes: tuple[str, ...] | None = None, what: str = "the output") -> Path:
    """check_writable for any kind of output file: the GeoTIFFs (`suffixes` None), the adapter (".json"), the
    HTML report and tables (`suffixes` empty: any name). Every kind creates its missing folders alike."""
    target = Path(path).expanduser().absolute()
    for source in inputs:
        try:
            if Path(source).exists() and target.exists() and os.path.samefile(source, target):
                raise EngineError(f"{what[0].upper()}{what[1:]} {target} is the input raster; choose another "
                                  "output file.")
        except OSError:
            pass
    if target.is_dir():
        example = target / ("lcz.tif" if suffixes is None else f"name{suffixes[0] if suffixes else ''}")
        raise EngineError(f"{what[0].upper()}{what[1:]} {target} is a folder; give a file name such as {example}.")
    if suffixes is None:
        problem = output_extension_problem(str(target))
        if problem:
            raise EngineError(problem)
    elif suffixes and target.suffix.lower() not in suffixes:
        raise EngineError(f"{what[0].upper()}{what[1:]} {target} must end in {' or '.join(suffixes)}.")
    missing = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if created is not None:
            created.extend(missing)
    except OSError as exc:
        remove_empty_folders(missing)
        raise EngineError(f"Cannot create the folder for {what} {target}: {exc.strerror or exc}.") from exc
    probe = target.parent / f".{target.name}.{uuid.uuid4().hex}.probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc
        raise EngineError(f"Cannot write {what} {target}: the folder {target.parent} is not writable "
                          f"({reason}).") from exc
    if target.exists() and not os.access(target, os.W_OK):
        raise EngineError(f"Cannot write {what} {target}: the existing file is read-only.")
    return target


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove those of the given folders that are empty (children before parents); leave the others."""
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            continue


class AtomicGeoTiff:
    """A GeoTIFF written row block by row block into a temporary file, renamed into place by publish()
    (core.publish renames the products of a run together)."""

    def __init__(self, target: Path, width: int, height: int, bands: int, data_type: int,
                 geotransform: tuple[float, ...], projection: str, nodata: float | None, predictor: int):
        self.target = target
        self.temporary = target.parent / f".{target.stem}.{uuid.uuid4().hex[:8]}.partial.tif"
        self.dataset = None
        self.needs_sidecar = False  # set when the file has category names, which GDAL keeps in the .aux.xml
        driver = gdal.GetDriverByName("GTiff")
        options = GTIFF_OPTIONS + [f"PREDICTOR={predictor}"]
        try:
            self.dataset = driver.Create(str(self.temporary), width, height, bands, data_type, options=options)
            self.dataset.SetGeoTransform(geotransform)
            self.dataset.SetProjection(projection)
            if nodata is not None:
                for index in range(1, bands + 1):
                    self.dataset.GetRasterBand(index).SetNoDataValue(nodata)
        except BaseException:
            # The caller never sees this writer (an error, or SIGTERM/SIGINT here): remove the file itself.
            self.discard()
            raise

    def write_rows(self, y: int, block: np.ndarray) -> None:
        """block: (bands, rows, width) or (rows, width)."""
        if block.ndim == 2:
            block = block[None]
        for index in range(block.shape[0]):
            self.dataset.GetRasterBand(index + 1).WriteArray(block[index], 0, y)

    def finish(self) -> None:
        """Flush and close the temporary file; raises when GDAL could not write all of it (a full disk)."""
        if self.dataset is None:
            return
        with _GdalErrors() as errors:
            self.dataset.FlushCache()  # writes the last blocks and the .aux.xml sidecar
            self._close()
        if errors.messages:
            raise RuntimeError("; ".join(errors.messages))
        sidecar = Path(f"{self.temporary}.aux.xml")
        if self.needs_sidecar and (not sidecar.exists() or b"</PAMDataset>" not in sidecar.read_bytes()[-64:]):
            raise RuntimeError(f"GDAL could not write the sidecar {sidecar.name}")

    def publish(self, backups: list[tuple[Path, Path | None]]) -> Path:
        """Rename the finished file (and its sidecar) into place. An existing target is first moved to a hidden
        backup name, recorded in `backups` as (target, backup or None), so that core.publish can put it back."""
        for temporary, target in ((Path(f"{self.temporary}.aux.xml"), Path(f"{self.target}.aux.xml")),
                                  (self.temporary, self.target)):
            # A missing temporary is a sidecar not written this time: the stale one of an earlier run is still
            # moved away (it would restyle the new file).
            replace_keeping_backup(temporary, target, backups)
        return self.target

    def _close(self) -> None:
        """Close the dataset. Where GDAL raises in the destructor (as under QGIS), Python would print the error as
        "Exception ignored in: delete_Dataset" with a traceback: _GdalErrors has it already, so it is not printed."""
        hook = sys.unraisablehook
        sys.unraisablehook = lambda _unraisable: None
        try:
            self.dataset = None
        finally:
            sys.unraisablehook = hook

    def discard(self) -> None:
        with _GdalErrors():  # a file that cannot be completed (a full disk): GDAL's complaints are not news here
            self._close()
        for leftover in (self.temporary, Path(f"{self.temporary}.aux.xml")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


def style_lcz_band(band: gdal.Band) -> None:
    """Colour table and class names from the one palette (resources/lcz_classes.json).

    The colour table and the band metadata live inside the GeoTIFF; GDAL keeps category names in the .aux.xml
    sidecar, so the names are written as band metadata too and survive a copy of the .tif alone.
    """
    table = gdal.ColorTable()
    table.SetColorEntry(LCZ_NODATA, (0, 0, 0, 0))
    for lcz in LCZ_CLASSES:
        table.SetColorEntry(lcz.code, (*lcz.rgb, 255))
    band.SetRasterColorTable(table)
    band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
    band.SetCategoryNames(["No data"] + [lcz.legend_text for lcz in LCZ_CLASSES])
    for lcz in LCZ_CLASSES:
        band.SetMetadataItem(f"{META_CLASS_PREFIX}{lcz.code}", lcz.legend_text)


class ProductWriters:
    """The GeoTIFF writers of one run, one per requested product of the table (core.products.PRODUCTS).

    Cell rows of a model output go to write(); every product computed from that output encodes and writes them.
    A product that received no valid cell is refused (refuse_empty), never published as an all-nodata file.
    """

    def __init__(self, targets: dict[str, Path], width: int, height: int, gsd: float, geotransform: tuple[float, ...],
                 projection: str, metadata: dict[str, str], allow_empty: bool = False):
        self.writers: dict[str, AtomicGeoTiff] = {}
        self.valid_cells: dict[str, int] = {}
        self.allow_empty = allow_empty  # a block of a scene may be all no data; a whole scene may not
        self.single_date = True
        self.scratch: set[str] = set()  # written only as the input of another product, never published
        try:
            for key, target in targets.items():
                self._open(PRODUCT_BY_KEY[key], target, width, height, gsd, geotransform, projection, metadata)
            if LCZ_FILTERED.key in targets and PROBABILITIES.key not in targets:
                # The filter reads the probabilities after the main pass: a hidden file beside the filtered map.
                scratch = targets[LCZ_FILTERED.key]
                self._open(PROBABILITIES, scratch.with_name(f"{scratch.stem}-probabilities{scratch.suffix}"),
                           width, height, gsd, geotransform, projection, metadata)
                self.scratch.add(PROBABILITIES.key)
        except BaseException:
            self.discard()
            raise

    def _open(self, spec: ProductSpec, target: Path, width: int, height: int, gsd: float,
              geotransform: tuple[float, ...], projection: str, metadata: dict[str, str]) -> None:
        cell = pixels_per_cell(spec.cell_m, gsd)
        gt = geotransform
        cell_gt = (gt[0], gt[1] * cell, 0.0, gt[3], 0.0, gt[5] * cell)
        try:
            writer = AtomicGeoTiff(target, -(-width // cell), -(-height // cell), spec.bands,
                                   gdal.GetDataTypeByName(spec.data_type), cell_gt, projection, spec.nodata,
                                   spec.predictor)
        except RuntimeError as exc:
            raise storage_error(target.parent, exc, f"the output {target.name}") from exc
        self.writers[spec.key] = writer
        self.valid_cells[spec.key] = 0
        for key, value in {**metadata, META_PRODUCT: spec.title}.items():
            writer.dataset.SetMetadataItem(key, value)
        if spec.units:
            writer.dataset.SetMetadataItem(META_UNITS, spec.units)
        for index, name in enumerate(spec.band_names, start=1):
            writer.dataset.GetRasterBand(index).SetDescription(name)
        if spec.categorical:
            style_lcz_band(writer.dataset.GetRasterBand(1))
            writer.needs_sidecar = True

    def write(self, model_output: str, row: int, values: np.ndarray, valid: np.ndarray) -> None:
        """values (C, rows, cells) of `model_output` for the cell rows starting at `row`; valid (rows, cells).

        In a single-date run the LCZ rows also give the date count (1 where valid); a multi-date run writes the
        counts itself (single_date False).
        """
        for key, writer in self.writers.items():
            spec = PRODUCT_BY_KEY[key]
            if spec.model_output == model_output:
                block = spec.encode(values, valid)
            elif self.single_date and spec.model_output == DERIVED_DATES and model_output == MODEL_LCZ:
                block = spec.encode(valid[None].astype(np.uint8), valid)
            else:
                continue
            self.valid_cells[key] += int(valid.sum())
            try:
                writer.write_rows(row, block)
            except RuntimeError as exc:  # GDAL: "TIFFAppendToStrip:Write error ..." when the disk is full
                raise storage_error(writer.target.parent, exc, f"the output {writer.target.name}") from exc

    def _filter_lcz(self) -> None:
        """Write the filtered LCZ from the finished probabilities (core.lcz_filter), before anything is published."""
        if LCZ_FILTERED.key not in self.writers:
            return
        source = self.writers[PROBABILITIES.key].dataset
        target = self.writers[LCZ_FILTERED.key]
        source.FlushCache()

        def read(first: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
            values = source.ReadAsArray(0, first, source.RasterXSize, rows).astype(np.float32)
            return values, values[0] != PROBABILITIES.nodata

        def write(first: int, codes: np.ndarray, valid: np.ndarray) -> None:
            try:
                target.write_rows(first, codes)
            except RuntimeError as exc:
                raise storage_error(target.target.parent, exc, f"the output {target.target.name}") from exc

        self.valid_cells[LCZ_FILTERED.key] = lcz_filter.filter_rows(read, source.RasterYSize, write)
        target.dataset.SetMetadataItem(META_LCZ_FILTER, lcz_filter.kernel_description())

    def derive(self) -> None:
        """Compute the products made from other finished products (the filtered LCZ from the probabilities), then
        drop the scratch files written only for them (core.publish calls this before refuse_empty)."""
        self._filter_lcz()
        for key in self.scratch:  # its cells were counted for the filtered map, which refuse_empty checks
            self.valid_cells.pop(key, None)
            self.writers.pop(key).discard()

    def refuse_empty(self) -> None:
        """Refuse to publish a product that received no valid cell (an all-nodata file), unless allow_empty."""
        empty = [key for key, count in self.valid_cells.items() if count == 0]
        if not empty or self.allow_empty:
            return
        only_hse = all(PRODUCT_BY_KEY[key].cell_m == HSE_CELL_M for key in empty)
        cell = f"{HSE_CELL_M:g} m" if only_hse else f"{LCZ_CELL_M:g} m"
        raise EngineError(
            f"No {cell} cell of the input has enough valid pixels (a cell needs at least half of its pixels with "
            "data), so the output would be all no data; nothing was written. The input is too small or almost "
            "all no data."
        )

    def finish(self) -> None:
        """Complete every file on disk (a full disk shows here, when GDAL writes its last blocks) before any of
        them is renamed into place (core.publish)."""
        for writer in self.writers.values():
            try:
                writer.finish()
            except RuntimeError as exc:
                raise storage_error(writer.target.parent, exc, f"the output {writer.target.name}") from exc

    def discard(self) -> None:
        for writer in self.writers.values():
            writer.discard()

