"""Every output file of an algorithm checked before anything is computed, and published all together or not at all.

The engine checks its own GeoTIFF outputs before it computes (core.writer.check_writable). An algorithm that also
writes a report, an adapter or a table, or that computes before it calls the engine (training areas: pass 1), checks
them all here first, every kind alike: missing folders are created (and removed again if the run fails), an
unwritable folder or read-only file is refused with the output named. If the run fails after some files were
published (a disk that fills up while the report is written), the files this run wrote are removed again.

Problems are raised as the engine's EngineError: the algorithm turns them into QGIS errors in its one place
(base.HseLczAlgorithm.engine_errors), so call the checks and `all_or_nothing` inside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from qgis.core import QgsProcessing

from ..core.errors import EngineError
from ..core.writer import check_destination, check_writable, remove_empty_folders, storage_error


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def is_file_destination(value: str | None) -> bool:
    """A path the user chose, not a memory layer, a temporary output or a provider URI (`ogr:`, `postgis:`)."""
    if not value or value == QgsProcessing.TEMPORARY_OUTPUT or value.startswith("memory:"):
        return False
    prefix = value.split(":", 1)[0]
    return not (len(prefix) > 1 and ":" in value and not Path(value).is_absolute())


class Destinations:
    """The output files of one run: checked up front, rolled back when the run fails."""

    def __init__(self, inputs: list[str]) -> None:
        self.inputs = inputs
        self.created: list[Path] = []
        self._before: dict[Path, tuple[int, int, int] | None] = {}

    def raster(self, path: str | None) -> None:
        if path:
            self._remember(self._checked(lambda: check_writable(path, self.inputs, self.created)))

    def file(self, path: str | None, what: str, suffixes: tuple[str, ...] = ()) -> None:
        if path and is_file_destination(path):
            path = path.split("|", 1)[0]  # an OGR layer option ("table.gpkg|layername=scores")
            self._remember(self._checked(
                lambda: check_destination(path, self.inputs, self.created, suffixes=suffixes, what=what)))

    def _checked(self, check) -> Path:
        try:
            return check()
        except EngineError:
            self.roll_back()  # the folders created for the destinations checked so far
            raise

    def _remember(self, target: Path) -> None:
        self._before.setdefault(target, _stamp(target))

    def roll_back(self) -> None:
        """Remove every file this run wrote at a destination (and its sidecar), then the folders it created."""
        for target, before in self._before.items():
            if _stamp(target) != before:
                for leftover in (target, Path(f"{target}.aux.xml")):
                    with contextlib.suppress(OSError):
                        leftover.unlink()
        remove_empty_folders(self.created)

    @contextlib.contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """Run the computing and publishing inside: any failure removes what was published."""
        try:
            yield
        except OSError as exc:  # a report or adapter that could not be written (a full disk)
            failed = Path(exc.filename) if exc.filename else None
            problem = storage_error(failed.parent if failed else Path(os.getcwd()), exc,
                                    f"the file {failed.name}" if failed else "an output")
            self.roll_back()
            raise problem from exc
        except BaseException:
            self.roll_back()
            raise
