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
from .products import GTIFF_OPTIONS, output_extension_problem

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
    """Colour table and category names from the one palette (resources/lcz_classes.json)."""
    table = gdal.ColorTable()
    table.SetColorEntry(LCZ_NODATA, (0, 0, 0, 0))
    for lcz in LCZ_CLASSES:
        table.SetColorEntry(lcz.code, (*lcz.rgb, 255))
    band.SetRasterColorTable(table)
    band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
    band.SetCategoryNames(["No data"] + [lcz.legend_text for lcz in LCZ_CLASSES])
