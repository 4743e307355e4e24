"""`python -m core.batch` on a real Dask LocalCluster (2 worker processes) with copies of the bundled real sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from engine_fixtures import read

pytest.importorskip("dask.distributed")

from core.batch import DONE, expand_scenes, main  # noqa: E402
from core.engine import OutputPaths, map_scene  # noqa: E402

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
    alone = map_scene(str(scenes[0]), OutputPaths(lcz=str(tmp_path / "alone.tif")), device="CPU")
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


@pytest.mark.parametrize("model_index", [0, 1])
def test_a_scene_split_into_blocks_over_workers_is_identical_to_one_run(tmp_path: Path, sample_scene: Path,
                                                                        model_index: int, capsys) -> None:
    """--block-cells 7 cuts the sample's 24 rows of cells into 4 blocks (the last one short); the joined COGs equal a
    whole-scene map_scene run pixel for pixel, for the patch and the dense bundled model, LCZ and HSE."""
    from core.model import bundled_model_path

    model = str(bundled_model_path(model_index))
    out = tmp_path / "out"
    assert main([str(sample_scene), "--out", str(out), "--workers", "2", "--block-cells", "7", "--model", model]) == 0
    printed = capsys.readouterr().out
    assert "4 blocks of 7 rows" in printed and "[1/1, blocks 4/4]" in printed
    alone = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                      model_path=model, device="CPU")
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
                                "--workers", "1"], cwd=Path(__file__).resolve().parents[1],
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
    alone = map_scene([str(f) for f in files], OutputPaths(lcz=str(tmp_path / "lcz.tif")), device="CPU")
    np.testing.assert_array_equal(read(out / "tko" / "lcz.tif")[0], read(alone.lcz)[0])
