"""Writing GeoTIFF products atomically: to a hidden temporary file beside the target, renamed when complete.

A cancelled or failed run therefore never leaves a half-written file where the user asked for output,
and an existing file at that path survives until the new one is complete.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
from osgeo import gdal

from .errors import EngineError
from .lcz import LCZ_CLASSES, LCZ_NODATA
from .products import (
    DERIVED_DATES,
    GTIFF_OPTIONS,
    HSE_CELL_M,
    LCZ_CELL_M,
    META_CLASS_PREFIX,
    META_PRODUCT,
    META_UNITS,
    MODEL_LCZ,
    PRODUCT_BY_KEY,
    ProductSpec,
    output_extension_problem,
    pixels_per_cell,
)

gdal.UseExceptions()


def check_writable(path: str, inputs: list[str], created: list[Path] | None = None) -> Path:
    """Fail before any computing when an output cannot be written (or would overwrite the input).

    Missing folders are created and recorded in `created`, so that a failed run can remove them again with
    remove_empty_folders and leave the disk as it found it.
    """
    target = Path(path).expanduser().absolute()
    for source in inputs:
        try:
            if Path(source).exists() and target.exists() and os.path.samefile(source, target):
                raise EngineError(f"The output {target} is the input raster; choose another output file.")
        except OSError:
            pass
    if target.is_dir():
        raise EngineError(f"The output {target} is a folder; give a file name such as {target / 'lcz.tif'}.")
    problem = output_extension_problem(str(target))
    if problem:
        raise EngineError(problem)
    missing = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if created is not None:
            created.extend(missing)
    except OSError as exc:
        remove_empty_folders(missing)
        raise EngineError(f"Cannot create the folder for the output {target}: {exc.strerror or exc}.") from exc
    probe = target.parent / f".{target.name}.{uuid.uuid4().hex}.probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EngineError(f"Cannot write the output {target}: the folder {target.parent} is not writable ({exc.strerror or exc}).") from exc
    if target.exists() and not os.access(target, os.W_OK):
        raise EngineError(f"Cannot write the output {target}: the existing file is read-only.")
    return target


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove those of the given folders that are empty (children before parents); leave the others."""
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            continue


class AtomicGeoTiff:
    """A GeoTIFF written row block by row block into a temporary file, published by commit()."""

    def __init__(self, target: Path, width: int, height: int, bands: int, data_type: int,
                 geotransform: tuple[float, ...], projection: str, nodata: float | None, predictor: int):
        self.target = target
        self.temporary = target.parent / f".{target.stem}.{uuid.uuid4().hex[:8]}.partial.tif"
        self.dataset = None
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

    def commit(self) -> Path:
        self.dataset.FlushCache()
        self.dataset = None
        aux = Path(f"{self.temporary}.aux.xml")
        target_aux = Path(f"{self.target}.aux.xml")
        if aux.exists():
            os.replace(aux, target_aux)
        elif target_aux.exists():
            target_aux.unlink()  # a stale sidecar of an earlier run would restyle the new file
        os.replace(self.temporary, self.target)
        return self.target

    def discard(self) -> None:
        self.dataset = None
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
    A product that received no valid cell is refused at commit(), never published as an all-nodata file.
    """

    def __init__(self, targets: dict[str, Path], width: int, height: int, gsd: float, geotransform: tuple[float, ...],
                 projection: str, metadata: dict[str, str], allow_empty: bool = False):
        self.writers: dict[str, AtomicGeoTiff] = {}
        self.valid_cells: dict[str, int] = {}
        self.allow_empty = allow_empty  # a block of a scene may be all no data; a whole scene may not
        self.single_date = True
        try:
            for key, target in targets.items():
                self._open(PRODUCT_BY_KEY[key], target, width, height, gsd, geotransform, projection, metadata)
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
            raise EngineError(f"Cannot create the output {target}: {exc}") from exc
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

    def write(self, model_output: str, row: int, values: np.ndarray, valid: np.ndarray) -> None:
        """values (C, rows, cells) of `model_output` for the cell rows starting at `row`; valid (rows, cells).

        In a single-date run the LCZ rows also give the date count (1 where valid); a multi-date run writes the
        counts itself (single_date False).
        """
        for key, writer in self.writers.items():
            spec = PRODUCT_BY_KEY[key]
            if spec.model_output == model_output:
                self.valid_cells[key] += int(valid.sum())
                writer.write_rows(row, spec.encode(values, valid))
            elif self.single_date and spec.model_output == DERIVED_DATES and model_output == MODEL_LCZ:
                self.valid_cells[key] += int(valid.sum())
                writer.write_rows(row, spec.encode(valid[None].astype(np.uint8), valid))

    def commit(self) -> dict[str, str]:
        """Publish every product; refuse all of them if one has no valid cell."""
        empty = [key for key, count in self.valid_cells.items() if count == 0]
        if empty and not self.allow_empty:
            cell = f"{HSE_CELL_M:g} m" if all(PRODUCT_BY_KEY[key].cell_m == HSE_CELL_M for key in empty) else f"{LCZ_CELL_M:g} m"
            raise EngineError(
                f"No {cell} cell of the input has enough valid pixels (a cell needs at least half of its pixels with "
                "data), so the output would be all no data; nothing was written. The input is too small or almost "
                "all no data."
            )
        return {key: str(writer.commit()) for key, writer in self.writers.items()}

    def discard(self) -> None:
        for writer in self.writers.values():
            writer.discard()
