"""A run's outputs appear all together when it succeeds, and leave no trace when it fails or is cancelled.

Every run of the engine (one scene, fused dates, settlement growth) follows the same sequence, written once here:
1. `check`: every output can be written (missing folders are created and remembered) before anything is computed;
2. `open`: the GeoTIFF writers, each on a hidden temporary file beside its target (core.writer);
3. `commit`: every file completed on disk (a full disk shows here), then all renamed into place with their
   sidecars; a rename that fails midway takes back what was already renamed and puts the earlier files back.
Any exception inside `with publishing(...)` (an error, a cancellation, SIGTERM/SIGINT as an exception) removes the
temporary files and the folders the run created, and passes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import EngineError
from .writer import (
    AtomicGeoTiff,
    ProductWriters,
    check_writable,
    remove_empty_folders,
    replace_keeping_backup,
    storage_error,
)


class RunOutputs:
    """The outputs of one run between `check` and `commit`; made by publishing(), which discards them on failure."""

    def __init__(self, inputs: Sequence[str]):
        self.inputs = [str(source) for source in inputs]
        self.created: list[Path] = []  # folders this run created: removed again (when empty) on failure
        self.writers: ProductWriters | None = None
        self.committed = False

    def check(self, requested: dict[str, str]) -> dict[str, Path]:
        """Product key -> absolute target, each checked writable (and not an input), before any computing."""
        targets = {key: check_writable(path, self.inputs, self.created) for key, path in requested.items()}
        if len(set(targets.values())) < len(targets):
            raise EngineError("Two outputs point at the same file; give each output its own file name.")
        return targets

    def open(self, targets: dict[str, Path], width: int, height: int, gsd: float, geotransform: tuple[float, ...],
             projection: str, metadata: dict[str, str], *, allow_empty: bool = False) -> ProductWriters:
        """The writers of the products (temporary files), on a working grid of width x height pixels of `gsd` m."""
        self.writers = ProductWriters(targets, width, height, gsd, geotransform, projection, metadata,
                                      allow_empty=allow_empty)
        return self.writers

    def commit(self) -> dict[str, str]:
        """Publish every product (product key -> path); refuse all of them if one has no valid cell."""
        if self.writers is None:
            raise EngineError("No output was opened, so nothing can be published.")
        self.writers.derive()
        self.writers.refuse_empty()
        self.writers.finish()
        written = rename_together(self.writers.writers)
        self.committed = True
        return written

    def discard(self) -> None:
        """Remove the temporary files (unless published) and the empty folders this run created."""
        if self.writers is not None and not self.committed:
            self.writers.discard()
        remove_empty_folders(self.created)


@contextmanager
def publishing(inputs: Sequence[str]) -> Iterator[RunOutputs]:
    """The outputs of a run reading `inputs` (which no output may overwrite); discarded when the block raises."""
    outputs = RunOutputs(inputs)
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise


def rename_together(writers: dict[str, AtomicGeoTiff]) -> dict[str, str]:
    """Rename every finished file (and sidecar) into place: all of them, or - when one rename fails - none.

    An existing target is first moved to a hidden backup name; the backups are removed once all renames succeeded,
    or renamed back when one failed (the disk-full or permission error then names the folder).
    """
    backups: list[tuple[Path, Path | None]] = []
    try:
        written = {key: str(writer.publish(backups)) for key, writer in writers.items()}
    except BaseException as exc:
        _restore(backups)
        if isinstance(exc, OSError):
            folder = Path(exc.filename or next(iter(writers.values())).target).parent
            raise storage_error(folder, exc, "the outputs") from exc
        raise
    _remove_backups(backup for _target, backup in backups)
    return written


def rename_files_together(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Rename finished files (temporary, target) into place: all of them, or - when one rename fails - none, with
    the earlier files put back. For outputs that are not GeoTIFF writers (core.export's KMZ and its GeoTIFFs)."""
    backups: list[tuple[Path, Path | None]] = []
    try:
        for temporary, target in pairs:
            replace_keeping_backup(temporary, target, backups)
    except BaseException:
        _restore(backups)
        raise
    _remove_backups(backup for _target, backup in backups)


def _remove_backups(backups: Iterable[Path | None]) -> None:
    for backup in backups:
        if backup is not None:
            try:
                backup.unlink()
            except OSError:
                pass


def _restore(backups: list[tuple[Path, Path | None]]) -> None:
    """Undo AtomicGeoTiff.publish: remove what was renamed into place and put each earlier file back."""
    for target, backup in reversed(backups):
        try:
            if target.exists():
                target.unlink()
            if backup is not None:
                os.replace(backup, target)
        except OSError:
            continue
