"""`python -m core.batch` on a real Dask LocalCluster (2 worker processes) with copies of the bundled real sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from support.engine_fixtures import read

pytest.importorskip("dask.distributed")

from core.batch import DONE, expand_scenes, main  # noqa: E402
from core.engine import OutputPaths, map_scene  # noqa: E402
from core.options import ModelChoice  # noqa: E402
from support.data import REPO_ROOT

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


@pytest.fixture()
def scenes(tmp_path: Path, sample_scene: Path) -> list[Path]:
    folder = tmp_path / "scenes"
    folder.mkdir()
    first, second = folder / "tko_a.tif", folder / "tko_b.tif"
    shutil.copy(sample_scene, first)
    shutil.copy(sample_scene, second)
    broken = folder / "broken.tif"
    broken.write_bytes(sample_scene.read_bytes()[:100_000])
    return [first, second, broken]


def test_a_batch_maps_every_scene_reports_failures_and_resumes(tmp_path: Path, scenes: list[Path], capsys) -> None:
    listing = tmp_path / "scenes.txt"
    listing.write_text(f"# two copies and a truncated file\n{scenes[0]}\n{scenes[1]}\n{scenes[2]}\n")
    out = tmp_path / "out"
    assert main([str(listing), "--out", str(out), "--workers", "2"]) == 1  # one scene failed
    summary = {Path(s["scene"]).name: s for s in json.loads((out / "summary.json").read_text())}
    assert [summary[n]["status"] for n in ("tko_a.tif", "tko_b.tif", "broken.tif")] == ["done", "done", "failed"]
    assert "corrupt or truncated" in summary["broken.tif"]["error"]
    assert summary["tko_a.tif"]["class_shares"]["G"] > 0.05 and summary["tko_a.tif"]["provider"]
    printed = capsys.readouterr().out
    assert "Dask dashboard: " in printed and "[3/3]" in printed and "km2/s" in printed

    # The same map as a single-machine run, pixel for pixel, as a tiled COG.
    alone = map_scene(str(scenes[0]), OutputPaths(lcz=str(tmp_path / "alone.tif")), model=ModelChoice(device="CPU"))
    np.testing.assert_array_equal(read(out / "tko_a" / "lcz.tif")[0], read(alone.lcz)[0])
    from osgeo import gdal

    assert gdal.Open(str(out / "tko_a" / "lcz.tif")).GetMetadata("IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert (out / "lcz_EPSG32650.vrt").is_file() and (out / "summary.csv").is_file()
    assert not list(out.glob(".hselcz-partial-*"))

    # Re-run: finished scenes are skipped, a partial scene folder (no done.json) is redone.
    (out / "tko_b" / DONE).unlink()
    assert main([str(scenes[0]), str(scenes[1]), "--out", str(out), "--workers", "2"]) == 0
    again = {Path(s["scene"]).name: s["status"] for s in json.loads((out / "summary.json").read_text())}
    assert again == {"tko_a.tif": "skipped", "tko_b.tif": "done"}


def test_scene_lists_expand_globs_and_text_files(tmp_path: Path, scenes: list[Path]) -> None:
    listing = tmp_path / "more.txt"
    listing.write_text(f"{scenes[1]}\n\n# a comment\n")
    pattern = str(scenes[0].parent / "tko_*.tif")
    assert expand_scenes([pattern, str(listing), str(scenes[2])]) == [str(scenes[0]), str(scenes[1]), str(scenes[2])]


def test_a_worker_killed_mid_batch_has_its_scenes_run_elsewhere(tmp_path: Path, sample_scene: Path) -> None:
    """SIGKILL one of two worker processes once the first scene is done: the batch still completes."""
    import os
    import signal
    import threading

    from dask.distributed import Client, LocalCluster

    from core.batch import map_batch

    folder = tmp_path / "scenes"
    folder.mkdir()
    scenes = []
    for index in range(6):
        scenes.append(folder / f"tko_{index}.tif")
        shutil.copy(sample_scene, scenes[-1])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    killed: list[int] = []
    try:
        with Client(cluster) as watcher:
            pids = list(watcher.run(os.getpid).values())

            def kill_after_first(line: str) -> None:
                if line.startswith("[1/") and not killed:
                    killed.append(pids[0])
                    threading.Thread(target=os.kill, args=(pids[0], signal.SIGKILL)).start()

            summaries = map_batch([str(s) for s in scenes], tmp_path / "out", scheduler=cluster.scheduler_address,
                                  report=kill_after_first)
    finally:
        cluster.close()
    assert killed
    assert [s.status for s in summaries] == ["done"] * 6, [s.error for s in summaries]
    assert not list((tmp_path / "out").glob(".hselcz-partial-*"))


@pytest.mark.parametrize("which", ["lcz_only", "v3", "dense"])
def test_a_scene_split_into_blocks_over_workers_is_identical_to_one_run(tmp_path: Path, sample_scene: Path,
                                                                        which: str, capsys, request) -> None:
    """--block-cells 7 cuts the sample's 24 rows of cells into 4 blocks (the last one short); the joined COGs equal a
    whole-scene map_scene run pixel for pixel: both bundled (patch) models, v3 with its per-cell HSE blocks, and a
    dense model (the exact test fixture, since no bundled model is dense any more), LCZ and HSE."""
    from core.model import bundled_model_path

    model = str(request.getfixturevalue("dense_model") if which == "dense"
                else bundled_model_path({"lcz_only": 0, "v3": 1}[which]))
    out = tmp_path / "out"
    assert main([str(sample_scene), "--out", str(out), "--workers", "2", "--block-cells", "7", "--model", model]) == 0
    printed = capsys.readouterr().out
    assert "4 blocks of 7 rows" in printed and "[1/1, blocks 4/4]" in printed
    alone = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                      model=ModelChoice(model_path=model, device="CPU"))
    folder = out / sample_scene.stem
    for key, path in alone.outputs.items():
        np.testing.assert_array_equal(read(folder / f"{key}.tif")[0], read(path)[0])
        assert read(folder / f"{key}.tif")[1] == read(path)[1]  # the same grid
    assert not list(out.glob(".hselcz-partial-*"))


def test_ctrl_c_cancels_the_batch_and_leaves_no_partial_file(tmp_path: Path, sample_scene: Path) -> None:
    """SIGINT to `python -m core.batch` after the first scene: exit 130, finished scenes kept, nothing partial."""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "scenes"
    folder.mkdir()
    for index in range(8):
        shutil.copy(sample_scene, folder / f"tko_{index}.tif")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "core.batch", str(folder / "*.tif"), "--out", str(out),
                                "--workers", "1"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("[1/8]"):
            process.send_signal(signal.SIGINT)
            break
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Cancelled" in stderr
    assert not list(out.glob(".hselcz-partial-*"))
    finished = [p for p in out.iterdir() if p.is_dir()]
    assert 1 <= len(finished) < 8 and all((p / DONE).is_file() for p in finished)


def test_a_scene_of_separate_band_files_is_one_line(tmp_path: Path, sample_scene: Path) -> None:
    """A text-file line with the band files of one scene, comma-separated: one scene, named after their stems."""
    from osgeo import gdal

    from core.bands import MODEL_BANDS

    folder = tmp_path / "bands"
    folder.mkdir()
    files = []
    for index, name in enumerate(MODEL_BANDS, start=1):
        files.append(folder / f"tko_{name.replace('B', 'B0') if len(name) == 2 else name}.tif")
        gdal.Translate(str(files[-1]), str(sample_scene), bandList=[index])
    listing = tmp_path / "scenes.txt"
    listing.write_text(",".join(str(f) for f in files) + "\n")
    out = tmp_path / "out"
    assert main([str(listing), "--out", str(out), "--workers", "1"]) == 0
    alone = map_scene([str(f) for f in files], OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                      model=ModelChoice(device="CPU"))
    np.testing.assert_array_equal(read(out / "tko" / "lcz.tif")[0], read(alone.lcz)[0])


# ------------------------------------------------------------------------------------------- issue 19, item 4
def _flipped_copy(sample_scene: Path, target: Path) -> Path:
    """The sample upside down: another real scene (another map), for two scenes that share a file name."""
    from osgeo import gdal

    source = gdal.Open(str(sample_scene))
    copy = gdal.GetDriverByName("GTiff").CreateCopy(str(target), source)
    for index in range(1, source.RasterCount + 1):
        copy.GetRasterBand(index).WriteArray(source.GetRasterBand(index).ReadAsArray()[::-1])
    copy = source = None
    return target


def test_two_scenes_with_one_file_name_get_their_own_stable_folders(tmp_path: Path, sample_scene: Path) -> None:
    """a/scene.tif and b/scene.tif: before, both "done" into out/scene, one map lost. Now two folders, each with its
    own scene's map, the same folders on a re-run and for each scene alone; summary rows name their folders."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = tmp_path / "a" / "scene.tif"
    shutil.copy(sample_scene, a)
    b = _flipped_copy(sample_scene, tmp_path / "b" / "scene.tif")
    out = tmp_path / "out"
    assert main([str(a), str(b), "--out", str(out), "--workers", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary] == ["done", "done"]
    folders = [Path(s["folder"]) for s in summary]
    assert folders[0] != folders[1] and all(f.name.startswith("scene-") for f in folders)
    for scene, folder in zip((a, b), folders, strict=True):
        alone = map_scene(str(scene), OutputPaths(lcz=str(tmp_path / f"alone_{scene.parent.name}.tif")),
                          model=ModelChoice(device="CPU"))
        np.testing.assert_array_equal(read(folder / "lcz.tif")[0], read(alone.lcz)[0])
        assert json.loads((folder / DONE).read_text())["scene"] == str(scene)
    assert not np.array_equal(read(folders[0] / "lcz.tif")[0], read(folders[1] / "lcz.tif")[0])

    # Stable: the same folders when re-run, in the other order, or scene by scene (all skipped).
    assert main([str(b), str(a), "--out", str(out), "--workers", "1"]) == 0
    again = {s["scene"]: (s["status"], s["folder"]) for s in json.loads((out / "summary.json").read_text())}
    assert again == {str(a): ("skipped", str(folders[0])), str(b): ("skipped", str(folders[1]))}
    assert main([str(b), "--out", str(out), "--workers", "1"]) == 0
    alone_b = json.loads((out / "summary.json").read_text())[0]
    assert (alone_b["status"], alone_b["folder"]) == ("skipped", str(folders[1]))


def test_a_scene_does_not_take_over_another_scenes_folder(tmp_path: Path, sample_scene: Path) -> None:
    """out/scene holds a/scene.tif's maps from an earlier batch: b/scene.tif mapped alone later is neither
    "skipped" with a's map nor written over it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "scene.tif", _flipped_copy(sample_scene, tmp_path / "b" / "scene.tif")
    shutil.copy(sample_scene, a)
    out = tmp_path / "out"
    assert main([str(a), "--out", str(out), "--workers", "1", "--block-cells", "0"]) == 0
    assert (out / "scene" / DONE).is_file()
    a_map = read(out / "scene" / "lcz.tif")[0]
    assert main([str(b), "--out", str(out), "--workers", "1", "--block-cells", "0"]) == 0
    row = json.loads((out / "summary.json").read_text())[0]
    assert row["status"] == "done" and Path(row["folder"]).name.startswith("scene-")
    np.testing.assert_array_equal(read(out / "scene" / "lcz.tif")[0], a_map)  # a's map as it was
    from core.batch import scene_folders

    assert scene_folders([str(a), str(b)], out) == {str(a): out / "scene", str(b): Path(row["folder"])}


def test_a_second_batch_into_a_busy_folder_is_refused_and_touches_nothing(tmp_path: Path, sample_scene: Path,
                                                                         capsys) -> None:
    """While a batch holds the output folder, another one into it stops with a clear message: before, it deleted
    the first batch's temporary files (and the first one's summary then called a finished scene failed)."""
    import subprocess
    import sys

    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from core.batch import lock_output; "
         f"lock = lock_output(Path({str(out)!r})); print('locked', flush=True); sys.stdin.read()"],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "locked"
        partial = out / ".hselcz-partial-tko-0123abcd"  # the first batch's scene in progress
        partial.mkdir()
        (partial / "lcz.tif").write_bytes(b"in progress")
        assert main([str(sample_scene), "--out", str(out), "--workers", "1"]) == 2
        error = capsys.readouterr().err
        assert "Another batch is writing into" in error and f"process {first.pid} " in error, error
        assert "another --out folder" in error and "Traceback" not in error
        assert (partial / "lcz.tif").read_bytes() == b"in progress"
        assert not (out / "summary.json").exists()
    finally:
        first.communicate("", timeout=30)
    from core.batch import lock_output

    lock_output(out).close()  # the lock went with the process that held it


def test_sigterm_stops_the_batch_and_leaves_no_partial_folder(tmp_path: Path, sample_scene: Path) -> None:
    """SIGTERM (a job scheduler, a container stopping) after the first scene: the same clean-up as Ctrl-C, then the
    process ends by SIGTERM. Before: hidden .hselcz-partial-* folders stayed behind."""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "scenes"
    folder.mkdir()
    for index in range(8):
        shutil.copy(sample_scene, folder / f"tko_{index}.tif")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "core.batch", str(folder / "*.tif"), "--out", str(out),
                                "--workers", "1"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("[1/8]"):
            process.send_signal(signal.SIGTERM)
            break
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM, stderr[-2000:]
    assert not list(out.glob(".hselcz-partial-*"))
    finished = [p for p in out.iterdir() if p.is_dir()]
    assert 1 <= len(finished) < 8 and all((p / DONE).is_file() for p in finished)


@pytest.fixture()
def small_filesystem(tmp_path: Path):
    """mount(size, read_only) -> a fresh tmpfs of that size (root only: skipped elsewhere), unmounted afterwards."""
    import os
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mounted: list[Path] = []

    def mount(size: str, read_only: bool = False) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_read_only_output_folder_is_a_clear_error(small_filesystem, sample_scene: Path, capsys) -> None:
    """--out on a read-only filesystem: one line saying so and what to do, exit code 2 (before: a traceback)."""
    read_only = small_filesystem("1m", read_only=True)
    for out in (read_only, read_only / "new"):
        assert main([str(sample_scene), "--out", str(out), "--workers", "1"]) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"Error: Cannot write into the output folder {out}: Read-only file system.")
        assert "Choose a folder you can write to (--out)." in error and "Traceback" not in error


def test_a_full_disk_is_reported_as_such_in_the_summary(small_filesystem, sample_scene: Path) -> None:
    """64 KiB: room for the summary, not for the scene's maps. Before: "RuntimeError: TIFF...: IO error ..."."""
    out = small_filesystem("64k") / "out"
    assert main([str(sample_scene), "--out", str(out), "--workers", "1", "--probabilities"]) == 1
    row = json.loads((out / "summary.json").read_text())[0]
    assert row["status"] == "failed" and row["error"].startswith(f"Disk full: the disk of {out} has "), row["error"]
    assert "Free some space there (or give another --out) and run the same command again" in row["error"]
    assert sorted(p.name for p in out.iterdir()) == [".hselcz-batch.lock", "summary.csv", "summary.json"]
