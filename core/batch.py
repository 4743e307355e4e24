"""Map many scenes on a Dask cluster with the same engine, without QGIS: `python -m core.batch`.

One Dask task per scene (core.engine.map_scene in a worker); by default a LocalCluster sized to the machine,
or an existing cluster (`--scheduler ADDRESS`, workers started with `dask worker` in an environment that imports
this repository's `core`). Per scene a folder of Cloud-Optimized GeoTIFFs (LCZ, HSE when the model has it,
optionally the probabilities); per product a mosaic VRT over all scenes of the same CRS; a summary (JSON and CSV)
with status, seconds, provider, class shares and the error message of failed scenes.

Faults and restarts: a failing scene is reported and the others go on; Dask re-runs the tasks of a worker that
dies; a scene's files are written into a hidden temporary folder and renamed into place only when complete
(`done.json` last), so re-running the same command skips finished scenes and redoes partial ones; Ctrl-C
and SIGTERM cancel the tasks, close the cluster and remove the temporary folders. A scene that fails because its
disk is full is reported as "Disk full: ..." in the summary.

Output folders: `<out>/<file name>` per scene, or `<out>/<file name>-<8 hex digits of its absolute path>` when
another scene of the batch has the same file name (`a/scene.tif`, `b/scene.tif`) or that folder holds another
scene's finished maps: unique in the batch, and the same for the same input path on every run. One batch at a
time writes into an output folder: a second one is refused while the first holds `<out>/.hselcz-batch.lock`.

Large scenes (taller than --block-cells rows of 100 m cells) are split into blocks of rows, one task each
(core.engine.map_scene(cell_rows=...): each block bit for bit as in a whole-scene run), joined by a last task
into the scene's COGs, so one Sentinel-2 tile spreads over several workers.
"""

from __future__ import annotations

import argparse
import csv
import errno
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from osgeo import gdal, osr

from .contract import ModelContract
from .engine import OutputPaths, map_scene
from .errors import EngineError, TerminatedError
from .lcz import LCZ_CLASSES, LCZ_NODATA
from .model import load_model
from .options import ModelChoice
from .products import LCZ_CELL_M, pixels_per_cell
from .reader import open_scene
from .signals import signals_stop_the_run

gdal.UseExceptions()

DONE = "done.json"
TEMPORARY_PREFIX = ".hselcz-partial-"
#: Held (an OS file lock, released when the process ends, however it ends) by the batch writing into a folder.
LOCK = ".hselcz-batch.lock"
#: Error texts of a full disk: OS, GDAL/libtiff, and the engine's writer.
_DISK_FULL_TEXTS = ("no space left", "disk is full", "disk full", "free disk space", "quota exceeded")
#: A write that failed with less than this free on the output's disk failed because the disk is full (libtiff
#: often says only "IO error writing tag data").
_NEARLY_FULL_BYTES = 16 * 2**20
#: A batch's model unless one is given: the bundled default on the CPU (as `--device` defaults to).
BATCH_MODEL = ModelChoice(device="CPU")
COG_OPTIONS = ["COMPRESS=DEFLATE", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "BIGTIFF=IF_SAFER"]


@dataclass
class SceneSummary:
    scene: str
    folder: str
    status: str  # "done", "skipped" (complete from an earlier run), "failed"
    seconds: float = 0.0
    provider: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    class_shares: dict[str, float] = field(default_factory=dict)
    km2: float = 0.0
    error: str = ""
    source: str = ""  # the scene's files as absolute paths (scene_key): whose maps a folder holds


def expand_scenes(items: Sequence[str]) -> list[str]:
    """Paths, globs and text files of paths (one per line, # comments), in order, each once.

    A scene given as separate band files is one item (or one line) with the files separated by commas.
    """
    scenes: list[str] = []
    for item in items:
        path = Path(item)
        if path.suffix.lower() == ".txt" and path.is_file():
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            scenes.extend(expand_scenes([line for line in lines if line and not line.startswith("#")]))
        elif any(ch in item for ch in "*?["):
            scenes.extend(sorted(glob.glob(item)))
        else:
            scenes.append(item)
    return list(dict.fromkeys(scenes))


def scene_sources(scene: str) -> str | list[str]:
    """What map_scene takes: the path, or the list of band files of a comma-separated scene."""
    parts = [part.strip() for part in scene.split(",")]
    return parts if len(parts) > 1 else scene


def scene_key(scene: str) -> str:
    """The scene's files as absolute paths (comma-separated): the same scene whatever the working folder."""
    sources = scene_sources(scene)
    parts = [sources] if isinstance(sources, str) else sources
    return ",".join(str(Path(part).expanduser().resolve()) if Path(part).expanduser().exists() else part
                    for part in parts)


def scene_folder(out_dir: Path, scene: str) -> Path:
    """<out>/<scene name>: the file's stem, or the common start of the band files' stems (see scene_folders)."""
    stems = [Path(part).stem for part in ([scene] if isinstance(scene_sources(scene), str) else scene_sources(scene))]
    name = stems[0]
    if len(stems) > 1:  # "T32TNR_20180122_B02", "..._B03": the part before the band names
        prefix = os.path.commonprefix(stems)
        cut = max(prefix.rfind(separator) for separator in "_-.")
        name = (prefix[:cut] if cut > 0 else prefix).rstrip("_-. ")
    return out_dir / (name or stems[0])


def _folder_owner(folder: Path) -> str | None:
    """scene_key of the scene whose finished maps `folder` holds (its done.json), None when none are there."""
    try:
        done = json.loads((folder / DONE).read_text(encoding="utf-8"))
        return done.get("source") or scene_key(done["scene"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def scene_folders(scenes: Sequence[str], out_dir: str | Path) -> dict[str, Path]:
    """Each scene's output folder, unique in the batch and stable for its input path.

    <out>/<name> (scene_folder) when no other scene of the batch has that name and the folder holds no other
    scene's finished maps; <out>/<name>-<8 hex digits of the scene's absolute path> otherwise. A scene whose
    finished maps are in one of its two folders keeps that one. Why not the name alone: `a/scene.tif` and
    `b/scene.tif` were both "done" into one folder, and one map was lost.
    """
    out = Path(out_dir)
    by_name: dict[str, list[str]] = {}
    for scene in scenes:
        by_name.setdefault(scene_folder(out, scene).name, []).append(scene)
    folders: dict[str, Path] = {}
    for name, group in by_name.items():
        plain_owner = _folder_owner(out / name)
        keys = {scene: scene_key(scene) for scene in group}
        for scene, key in keys.items():
            hashed = out / f"{name}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
            if plain_owner == key:
                folders[scene] = out / name
            elif _folder_owner(hashed) == key:
                folders[scene] = hashed
            elif plain_owner is None and len(set(keys.values())) == 1:
                folders[scene] = out / name
            else:
                folders[scene] = hashed
    return folders


def map_one(scene: str, folder: str, model: ModelChoice, probabilities: bool) -> dict:
    """One scene in one task: map it, convert to COG, rename into `folder`; a summary dict."""
    started = time.time()
    skipped = _finished(scene, Path(folder))
    if skipped:
        return skipped
    temporary = _temporary(Path(folder))
    try:
        raw = map_block(scene, str(temporary), model, probabilities, None)
        return _publish(scene, Path(folder), temporary, [raw], started)
    except Exception as exc:  # noqa: BLE001 - a full disk is reported as such; anything else as before
        return _failed_or_raise(scene, Path(folder), exc, started)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def map_block(scene: str, folder: str, model: ModelChoice, probabilities: bool,
              cell_rows: tuple[int, int] | None) -> dict:
    """One block of cell rows (or the whole scene) into raw GeoTIFFs under `folder`: {outputs, provider}."""
    raw = Path(folder) / (f"rows_{cell_rows[0]:06d}" if cell_rows else "whole")
    result = map_scene(scene_sources(scene), OutputPaths(lcz=str(raw / "lcz.tif"), hse=str(raw / "hse.tif"),
                                          probabilities=str(raw / "probabilities.tif") if probabilities else None),
                       model, cell_rows=cell_rows)
    return {"outputs": result.outputs, "provider": result.provider}


def join_blocks(scene: str, folder: str, temporary: str, started: float, *blocks: dict) -> dict:
    """The blocks of one scene joined (in row order) into its COGs; a summary dict. Runs after every block."""
    try:
        return _publish(scene, Path(folder), Path(temporary), list(blocks), started)
    except Exception as exc:  # noqa: BLE001 - as in map_one
        return _failed_or_raise(scene, Path(folder), exc, started)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _finished(scene: str, folder: Path) -> dict | None:
    """The summary of `folder`'s finished maps when they are this scene's (done.json), else None."""
    if _folder_owner(folder) != scene_key(scene):
        return None
    done = json.loads((folder / DONE).read_text(encoding="utf-8"))
    return asdict(SceneSummary(**{**done, "status": "skipped", "seconds": 0.0}))


def _temporary(folder: Path) -> Path:
    temporary = folder.parent / f"{TEMPORARY_PREFIX}{folder.name}-{uuid.uuid4().hex[:8]}"
    temporary.mkdir(parents=True)
    return temporary


def _failed(scene: str, folder: Path, exc: Exception | str, started: float | None) -> dict:
    return asdict(SceneSummary(scene=scene, folder=str(folder), status="failed", error=str(exc),
                               seconds=round(time.time() - started, 2) if started else 0.0, source=scene_key(scene)))


def _disk_full(exc: BaseException, folder: Path) -> str | None:
    """"Disk full: ..." when `exc` (or its cause) is a full disk at `folder`, else None.

    Called before the scene's temporary files are removed: a write that failed while less than
    _NEARLY_FULL_BYTES are free is taken for a full disk whatever GDAL's words for it.
    """
    try:
        free: int | None = shutil.disk_usage(next(p for p in (folder, *folder.parents) if p.exists())).free
    except (OSError, StopIteration):
        free = None
    seen, error = set(), exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error).lower()
        if ((isinstance(error, OSError) and error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)))
                or any(words in text for words in _DISK_FULL_TEXTS)
                or ("writ" in text and not isinstance(error, EngineError) and free is not None
                    and free < _NEARLY_FULL_BYTES)):
            left = f"{free / 2**20:.1f} MiB free" if free is not None else "no free space"
            return (f"Disk full: the disk of {folder.parent} has {left}, too little for this scene's maps; nothing "
                    "of the scene was kept. Free some space there (or give another --out) and run the same command "
                    f"again: finished scenes are skipped. ({exc})")
        error = error.__cause__ or error.__context__
    return None


def _failed_or_raise(scene: str, folder: Path, exc: Exception, started: float) -> dict:
    """A failed scene's summary for an EngineError or a full disk; anything else is raised (the batch reports it)."""
    full = _disk_full(exc, folder)
    if full:
        return _failed(scene, folder, full, started)
    if isinstance(exc, EngineError):
        return _failed(scene, folder, exc, started)
    raise exc


def _publish(scene: str, folder: Path, temporary: Path, blocks: list[dict], started: float) -> dict:
    """COGs of the (joined) raw outputs, done.json last, the folder renamed into place."""
    owner = _folder_owner(folder)
    if owner is not None and owner != scene_key(scene):
        raise EngineError(f"{folder} holds the finished maps of another scene ({owner}); they are left as they are. "
                          "Give this batch another --out folder.")
    final = temporary / "final"
    final.mkdir()
    for key in blocks[0]["outputs"]:
        parts = [block["outputs"][key] for block in blocks]
        source = parts[0] if len(parts) == 1 else gdal.BuildVRT(str(temporary / f"{key}.vrt"), parts)
        gdal.Translate(str(final / f"{key}.tif"), source, format="COG", creationOptions=COG_OPTIONS)
        source = None
    lcz = gdal.Open(str(final / "lcz.tif"))
    values = lcz.ReadAsArray()
    gt = lcz.GetGeoTransform()
    lcz = None
    mapped = values[values != LCZ_NODATA]
    shares = {c.label: round(float((mapped == c.code).mean()), 4) for c in LCZ_CLASSES if mapped.size}
    summary = SceneSummary(scene=scene, folder=str(folder), status="done", provider=blocks[0]["provider"],
                           outputs={k: str(folder / f"{k}.tif") for k in blocks[0]["outputs"]},
                           class_shares={k: v for k, v in shares.items() if v},
                           km2=round(mapped.size * abs(gt[1] * gt[5]) / 1e6, 3),
                           seconds=round(time.time() - started, 2), source=scene_key(scene))
    (final / DONE).write_text(json.dumps(asdict(summary)), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)  # a partial folder of an earlier run (no done.json): redone
    os.replace(final, folder)
    return asdict(summary)


def plan_blocks(scene: str, contract: ModelContract, bands: str | None,
                block_cells: int) -> list[tuple[int, int]] | None:
    """Blocks of `block_cells` rows of 100 m cells for a scene taller than that, else None (one task)."""
    opened = open_scene(scene_sources(scene), contract.bands, band_mapping=bands, gsd=contract.gsd)
    try:
        cells_y = -(-opened.height // pixels_per_cell(LCZ_CELL_M, contract.gsd))
    finally:
        opened.close()
    if cells_y <= block_cells:
        return None
    return [(top, min(top + block_cells, cells_y)) for top in range(0, cells_y, block_cells)]


def remove_temporary(out_dir: Path) -> None:
    for leftover in out_dir.glob(f"{TEMPORARY_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def lock_output(out_dir: Path):
    """Create `out_dir` if needed and take its batch lock; the open lock file (close it to release the lock).

    Why: a second batch into the same folder deleted the first's temporary files, and the first's summary then
    called a finished scene failed. The lock is an OS file lock, so a batch that was killed leaves none behind.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = open(out_dir / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole batch
    except FileExistsError as exc:
        raise EngineError(f"The output folder {out_dir} is a file; give --out a folder (it is created if "
                          "needed).") from exc
    except OSError as exc:
        raise EngineError(f"Cannot write into the output folder {out_dir}: {exc.strerror or exc}. Choose a folder "
                          "you can write to (--out).") from exc
    try:
        _try_lock(handle)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise EngineError(f"Another batch is writing into {out_dir} ({holder}). Wait until it has finished, or give "
                          "this one another --out folder; two batches in one folder would delete each other's "
                          "temporary files.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()} on {socket.gethostname()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    return handle


def _try_lock(handle) -> None:
    """An exclusive, non-blocking lock on the open file; OSError when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def write_mosaics(out_dir: Path, summaries: list[SceneSummary]) -> list[Path]:
    """Per product and CRS, a VRT over the scenes' files: `<product>_<EPSG or crs n>.vrt`."""
    groups: dict[tuple[str, str], list[str]] = {}
    for summary in summaries:
        for product, path in summary.outputs.items():
            if summary.status in ("done", "skipped") and Path(path).is_file():
                srs = osr.SpatialReference(wkt=gdal.Open(path).GetProjection())
                crs = f"EPSG{srs.GetAuthorityCode(None)}" if srs.GetAuthorityCode(None) else "crs"
                groups.setdefault((product, crs), []).append(path)
    written = []
    for (product, crs), paths in sorted(groups.items()):
        target = out_dir / f"{product}_{crs}.vrt"
        gdal.BuildVRT(str(target), paths)
        written.append(target)
    return written


def write_summary(out_dir: Path, summaries: list[SceneSummary]) -> None:
    (out_dir / "summary.json").write_text(json.dumps([asdict(s) for s in summaries], indent=1), encoding="utf-8")
    with (out_dir / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scene", "status", "seconds", "provider", "km2", "class_shares", "error"])
        for s in summaries:
            writer.writerow([s.scene, s.status, s.seconds, s.provider, s.km2,
                             "; ".join(f"{k}:{v}" for k, v in s.class_shares.items()), s.error])


def map_batch(scenes: Sequence[str], out_dir: str | Path, model: ModelChoice = BATCH_MODEL, *,
              probabilities: bool = False, scheduler: str | None = None,
              workers: int | None = None, threads_per_worker: int = 1, block_cells: int | None = 100,
              report: Callable[[str], None] = print) -> list[SceneSummary]:
    """Map every scene on a Dask cluster; the summaries in the order of `scenes`.

    `model` as for map_scene; the default runs the bundled model on the CPU in every worker."""
    from dask.distributed import Client, LocalCluster, as_completed

    out = Path(out_dir).absolute()
    unique: dict[str, str] = {}
    for scene in scenes:  # each scene once, however its path is written
        unique.setdefault(scene_key(scene), scene)
    scenes = list(unique.values())
    lock = lock_output(out)  # before anything in `out` is touched
    try:
        return _map_locked(scenes, out, scene_folders(scenes, out), model, probabilities=probabilities,
                           scheduler=scheduler, workers=workers,
                           threads_per_worker=threads_per_worker, block_cells=block_cells, report=report,
                           as_completed=as_completed, client_type=Client, cluster_type=LocalCluster)
    finally:
        lock.close()


def _map_locked(scenes: list[str], out: Path, folders: dict[str, Path], model: ModelChoice, *, probabilities,
                scheduler, workers, threads_per_worker, block_cells, report, as_completed, client_type,
                cluster_type) -> list[SceneSummary]:
    remove_temporary(out)  # of an interrupted earlier run
    # Workers (spawned processes) must import this repository's `core`.
    root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    client, cluster = _start_client(scheduler, workers, threads_per_worker, client_type, cluster_type, report)
    started = time.time()
    contract = _block_contract(model.model_path) if block_cells else None
    blocks = _BlockCount()
    futures: dict = {}
    try:
        for index, scene in enumerate(scenes):
            future = _submit_scene(client, index, scene, folders[scene], contract, blocks, report, model,
                                   probabilities=probabilities, block_cells=block_cells)
            futures[future] = scene
        results = _collect(futures, folders, len(scenes), blocks, started, report, as_completed)
    except BaseException:  # Ctrl-C, SIGTERM (TerminatedError): the tasks stop, the temporary folders go
        for future in futures:
            future.cancel()
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        remove_temporary(out)
    summaries = [results[scene] for scene in scenes]
    _write_batch_outputs(out, summaries, report)
    return summaries


def _start_client(scheduler, workers, threads_per_worker, client_type, cluster_type, report):
    """(client, local cluster or None): the given scheduler's, or a local cluster of worker processes."""
    cluster = None
    if scheduler:
        client = client_type(scheduler)
    else:
        count = workers or max(1, (os.cpu_count() or 2) // max(threads_per_worker, 1))
        cluster = cluster_type(n_workers=count, threads_per_worker=threads_per_worker, processes=True,
                               dashboard_address=":0")
        client = client_type(cluster)
    if importlib.util.find_spec("bokeh") is None:
        report("Dask dashboard: not available (pip install bokeh to watch the cluster in a browser)")
    elif client.dashboard_link:
        report(f"Dask dashboard: {client.dashboard_link}")
    return client, cluster


def _block_contract(model_path):
    """The model's contract, loaded once to plan the blocks of every scene; None when the model has a problem
    (each scene's task then reports it)."""
    try:
        return load_model(model_path, "CPU").contract
    except TerminatedError:
        raise
    except EngineError:
        return None


@dataclass
class _BlockCount:
    """Blocks of split scenes: finished and submitted, for the progress lines."""

    done: int = 0
    total: int = 0

    def finished(self, _future) -> None:
        self.done += 1


def _submit_scene(client, index: int, scene: str, folder: Path, contract, blocks: _BlockCount, report,
                  model: ModelChoice, *, probabilities, block_cells):
    """The future of one scene: one task, or (a tall scene) one task per block of cell rows and a joining task."""
    planned = None
    if contract is not None and not _finished(scene, folder):
        try:
            planned = plan_blocks(scene, contract, model.bands, block_cells)
        except TerminatedError:
            raise
        except EngineError:
            planned = None  # the task reports the error
    if not planned:
        return client.submit(map_one, scene, str(folder), model, probabilities, pure=False,
                             key=f"scene-{index}-{uuid.uuid4().hex[:6]}")
    temporary = str(_temporary(folder))
    parts = [client.submit(map_block, scene, temporary, model, probabilities, rows,
                           pure=False, key=f"block-{index}-{rows[0]}-{uuid.uuid4().hex[:6]}")
             for rows in planned]
    blocks.total += len(parts)
    for part in parts:
        part.add_done_callback(blocks.finished)
    report(f"{Path(scene).name}: {len(planned)} blocks of {block_cells} rows of 100 m cells")
    return client.submit(join_blocks, scene, str(folder), temporary, time.time(), *parts, pure=False,
                         key=f"join-{index}-{uuid.uuid4().hex[:6]}")


def _collect(futures: dict, folders: dict[str, Path], count: int, blocks: _BlockCount, started: float, report,
             as_completed) -> dict[str, SceneSummary]:
    """Each scene's summary as its task ends, with a progress line; a failed task is a failed scene."""
    results: dict[str, SceneSummary] = {}
    area = 0.0
    for done_count, future in enumerate(as_completed(futures), start=1):
        scene = futures[future]
        try:
            summary = SceneSummary(**future.result())
        except TerminatedError:
            raise
        except Exception as exc:  # a worker lost too often, an unexpected error: reported, the batch goes on
            problem = _disk_full(exc, folders[scene]) or f"{type(exc).__name__}: {exc}"
            summary = SceneSummary(**_failed(scene, folders[scene], problem, None))
        results[scene] = summary
        area += summary.km2 if summary.status == "done" else 0.0
        elapsed = time.time() - started
        blocks_text = f", blocks {blocks.done}/{blocks.total}" if blocks.total else ""
        report(f"[{done_count}/{count}{blocks_text}] {summary.status:7s} {folders[scene].name} "
               f"({area / max(elapsed, 1e-9):.1f} km2/s){' - ' + summary.error if summary.error else ''}")
    return results


def _write_batch_outputs(out: Path, summaries: list[SceneSummary], report) -> None:
    """summary.json and the mosaics; a full disk (or another failure) after the scenes were mapped says so."""
    try:
        write_summary(out, summaries)
        for mosaic in write_mosaics(out, summaries):
            report(f"Mosaic: {mosaic}")
    except (OSError, RuntimeError) as exc:
        full = _disk_full(exc, out / "summary.json")
        problem = full or f"the summary cannot be written into {out}: {exc}"
        raise EngineError(f"The scenes were mapped, but {problem}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.batch", description=__doc__.splitlines()[0])
    parser.add_argument("scenes", nargs="+", help="scene files, globs (quoted), or .txt files listing them")
    parser.add_argument("--out", required=True, type=Path, help="output folder (one sub-folder per scene)")
    parser.add_argument("--model", help="a contract ONNX model (default: the bundled So2Sat ResNet20)")
    parser.add_argument("--bands", help="band names as for hselcz:map's BANDS")
    parser.add_argument("--device", default="CPU")
    parser.add_argument("--probabilities", action="store_true", help="also write the 17 class probabilities")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, help="local cluster: worker processes (default: one per core)")
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--block-cells", type=int, default=100,
                        help="split scenes taller than this many 100 m cell rows into blocks over the workers "
                             "(default 100 = 10 km; 0: never)")
    args = parser.parse_args(argv)
    scenes = expand_scenes(args.scenes)
    if not scenes:
        parser.error("no scene matches")
    try:
        with signals_stop_the_run():  # SIGTERM: the same clean-up as Ctrl-C, then the process ends by SIGTERM
            summaries = map_batch(scenes, args.out, ModelChoice(args.model, args.bands, args.device),
                                  probabilities=args.probabilities, scheduler=args.scheduler, workers=args.workers,
                                  threads_per_worker=args.threads_per_worker, block_cells=args.block_cells)
    except KeyboardInterrupt:
        print("Cancelled; finished scenes are kept, partial ones were removed.", file=sys.stderr)
        return 130
    except EngineError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    failed = [s for s in summaries if s.status == "failed"]
    print(f"{len(summaries) - len(failed)} of {len(summaries)} scenes mapped; summary: {args.out / 'summary.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
