"""A full disk (issue 19, item 1): one clear error, and the outputs published all together or not at all.

On a real 2 MB file system: a tmpfs mounted in a private mount namespace (`unshare --mount`, as root; a user
namespace, `unshare --user --map-root-user --mount`, otherwise), filled with a filler file up to a few KB, so
that GDAL runs out of space at different points (while it writes blocks, when it flushes the last ones, when it
saves the LCZ's .aux.xml sidecar). The mount exists only inside the namespace: nothing is left mounted after the
test. Each run is a subprocess in that namespace that prints what it got and what the folder holds afterwards.
Before: a Python traceback (`RuntimeError: _tiffWriteProc:No space left on device`, `TIFFAppendToStrip`) and
`lcz.tif` published while the other outputs were missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from support.data import REPO_ROOT, scene_copy
from support.engine_fixtures import write_raster
from support.tiny_disk import on_tiny_disk

SCENE = scene_copy()

pytestmark = pytest.mark.skipif(sys.platform != "linux" or shutil.which("unshare") is None,
                                reason="a tmpfs in a private mount namespace needs Linux and unshare")






ENGINE_RUN = """
import json, sys, traceback
sys.path.insert(0, {repo!r})
from osgeo import gdal
cache = {cache}
if cache:
    gdal.SetCacheMax(cache)  # small: GDAL writes blocks while the run goes on, and runs out there
from core.engine import OutputPaths
from core.errors import EngineError
from core.model import bundled_model_path
from core.options import ModelChoice
disk = {disk!r}
model = str(bundled_model_path(1))  # the multi-task model: LCZ, HSE and probabilities
try:
{call}
    print(json.dumps({{"ok": sorted(result.outputs)}}))
except EngineError as exc:
    print(json.dumps({{"error": str(exc)}}))
except BaseException as exc:
    print(json.dumps({{"crash": traceback.format_exc()}}))
"""

MAP = """
    from core.engine import map_scene
    result = map_scene({scene!r}, OutputPaths(lcz=disk + "/lcz.tif", hse=disk + "/hse.tif",
                       probabilities=disk + "/probabilities.tif"), model=ModelChoice(model_path=model, device="CPU"))
"""

DATES = """
    from core.multidate import map_dates
    result = map_dates([{scene!r}, {scene!r}], OutputPaths(lcz=disk + "/lcz.tif", hse=disk + "/hse.tif",
                       dates=disk + "/dates.tif"), model=ModelChoice(model_path=model, device="CPU"))
"""

GROWTH = """
    from core.growth import map_growth
    result = map_growth({scene!r}, {scene!r}, disk + "/change.tif", ModelChoice(model_path=model, device="CPU"),
                        new_built=disk + "/new.tif")
"""


def run_engine(tmp_path: Path, free_kb: int, call: str, scene: Path = SCENE, cache: int = 0,
               before: str = "", after: str = "") -> tuple[dict, list[str]]:
    code = ENGINE_RUN.format(repo=str(REPO_ROOT), cache=cache, disk=str(tmp_path / "disk"),
                            call=call.format(scene=str(scene)))
    completed, listing = on_tiny_disk(tmp_path / "disk", free_kb, [sys.executable, "-c", code], before=before,
                                      after=after)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result:\n{completed.stdout}\n{completed.stderr}"
    return {**json.loads(lines[-1]), "after": completed.after}, listing


def assert_disk_full(result: dict, listing: list[str], kept: list[str] = ()) -> None:
    assert "crash" not in result, result.get("crash")
    assert "error" in result, f"the run succeeded on a full disk: {result}"
    assert result["error"].startswith("The disk is full at "), result["error"]
    assert "no output was published" in result["error"]
    assert listing == sorted(["filler", *kept]), listing  # no output, no hidden .partial.tif, no sidecar


@pytest.mark.parametrize("free_kb", [60, 30, 10, 4])
def test_a_full_disk_gives_one_error_and_publishes_nothing(tmp_path, free_kb):
    """LCZ + HSE + probabilities: whichever output runs out of room, none is published."""
    result, listing = run_engine(tmp_path, free_kb, MAP)
    assert_disk_full(result, listing)


def test_the_lcz_sidecar_that_cannot_be_saved_is_a_full_disk(tmp_path):
    """4 KB free: lcz.tif fits, its .aux.xml (class names) does not; GDAL only warns. Before: published anyway,
    with an empty sidecar."""
    call = MAP.replace('hse=disk + "/hse.tif",\n                       probabilities=disk + "/probabilities.tif"',
                       "")
    result, listing = run_engine(tmp_path, 4, call)
    assert_disk_full(result, listing)


def test_a_disk_full_while_blocks_are_written(tmp_path):
    """A 3 x 3 mosaic of the sample with a 64 KB GDAL cache: GDAL writes blocks during the run and fails there
    ("TIFFAppendToStrip: Write error"), not at the end."""
    dataset = gdal.Open(str(SCENE))
    data, gt, metadata = np.tile(dataset.ReadAsArray(), (1, 3, 3)), dataset.GetGeoTransform(), dataset.GetMetadata()
    dataset = None
    big = write_raster(tmp_path / "big.tif", data, epsg=4326, origin=(gt[0], gt[3]), pixel=(gt[1], -gt[5]),
                       metadata=metadata)
    result, listing = run_engine(tmp_path, 200, MAP, scene=big, cache=64 * 1024)
    assert_disk_full(result, listing)


def test_an_earlier_output_survives_a_full_disk(tmp_path):
    """The files of an earlier run at the same paths stay as they were: nothing half-replaced."""
    before = 'echo earlier lcz > "$0/lcz.tif"; echo earlier hse > "$0/hse.tif"'
    result, listing = run_engine(tmp_path, 30, MAP, before=before, after='cat "$0/lcz.tif" "$0/hse.tif"')
    assert_disk_full(result, listing, kept=["lcz.tif", "hse.tif"])
    assert result["after"].split("\n")[:2] == ["earlier lcz", "earlier hse"], result["after"]


def test_fused_dates_on_a_full_disk(tmp_path):
    result, listing = run_engine(tmp_path, 10, DATES)
    assert_disk_full(result, listing)


def test_growth_on_a_full_disk(tmp_path):
    result, listing = run_engine(tmp_path, 4, GROWTH)
    assert_disk_full(result, listing)




def test_a_rename_that_fails_midway_publishes_nothing(tmp_path, dense_model):
    """All or nothing when renaming into place fails after lcz.tif was published (here: an immutable sidecar of an
    earlier hse.tif, `chattr +i`, that cannot be moved away): lcz.tif is taken back, the earlier hse.tif stays."""
    from core.engine import ModelChoice, OutputPaths, map_scene
    from core.errors import EngineError
    from support.engine_fixtures import synthetic_dn

    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr")
    source = write_raster(tmp_path / "scene.tif", synthetic_dn(40, 40))
    out = tmp_path / "out"
    out.mkdir()
    (out / "hse.tif").write_text("earlier")
    sidecar = out / "hse.tif.aux.xml"
    sidecar.write_text("<PAMDataset/>")
    if subprocess.run(["chattr", "+i", str(sidecar)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable attribute")
    try:
        with pytest.raises(EngineError, match="No output was published"):
            map_scene(str(source), OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif")),
                      model=ModelChoice(model_path=str(dense_model)))
    finally:
        subprocess.run(["chattr", "-i", str(sidecar)], check=True)
    assert sorted(p.name for p in out.iterdir()) == ["hse.tif", "hse.tif.aux.xml"]
    assert (out / "hse.tif").read_text() == "earlier"
