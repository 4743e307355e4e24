"""End to end through qgis_process, as a user or a script would run it: a fresh profile, the plugin on
QGIS_PLUGINPATH and enabled, the real Sentinel-2 sample, and once without onnxruntime."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from osgeo import gdal

from support.engine_fixtures import sha256, write_raster
from support.qgis_helpers import QGIS_PROCESS, qgis_process_env, run_json, run_qgis_process, scene_copy
from support.tiny_disk import on_tiny_disk

ALG_ID = "hselcz:map"
SCENE = scene_copy()  # not the file in the repository: QGIS writes a .aux.xml beside its inputs


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return qgis_process_env(tmp_path_factory.mktemp("qgis_process"))


@pytest.fixture(scope="module")
def env_without_onnxruntime(tmp_path_factory) -> dict[str, str]:
    return qgis_process_env(tmp_path_factory.mktemp("qgis_process_no_ort"), with_onnxruntime=False)


def test_provider_and_algorithm_are_listed(env):
    listing = run_json(["list"], env)
    provider = listing["providers"]["hselcz"]
    assert provider["is_active"]
    assert ALG_ID in provider["algorithms"]


def test_help_lists_parameters(env):
    details = run_json(["help", ALG_ID], env)
    assert set(details["parameters"]) == {
        "INPUT", "MORE_DATES", "BUNDLED_MODEL", "MODEL", "BANDS", "DEVICE", "MASK_CLOUDS", "OUTPUT_LCZ", "OUTPUT_HSE",
        "OUTPUT_PROBABILITIES", "OUTPUT_DATES", "OUTPUT_UNCERTAINTY", "OUTPUT_LCZ_FILTERED",
    }
    options = details["parameters"]["BUNDLED_MODEL"]["raw_definition"]["options"]
    assert len(options) == 2 and "LCZ only" in options[0] and "HSE" in options[1] and "default" in options[1]
    assert details["provider_details"]["supported_output_raster_extensions"] == ["tif", "tiff"]


def test_run_on_the_sample(env, tmp_path):
    lcz, hse = tmp_path / "lcz.tif", tmp_path / "hse.tif"
    result = run_json(["run", ALG_ID, "--", f"INPUT={SCENE}", "BUNDLED_MODEL=0", f"OUTPUT_LCZ={lcz}",
                       f"OUTPUT_HSE={hse}"], env)
    assert Path(result["results"]["OUTPUT_LCZ"]) == lcz
    dataset = gdal.Open(str(lcz))
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray()
    valid = values[values != band.GetNoDataValue()]
    assert valid.size and 1 <= valid.min() and valid.max() <= 17 and len(np.unique(valid)) >= 2
    assert band.GetColorTable() is not None
    dataset = None
    info = "\n".join(result["log"]["info"])
    assert "CPUExecutionProvider" in info and "So2Sat LCZ42 ResNet20" in info
    # the LCZ-only bundled model (0): no HSE file, no HSE result, and a warning that says so
    assert not result["results"].get("OUTPUT_HSE")
    assert not hse.exists()
    assert [line for line in result["log"]["warning"] if "has no HSE output" in line] == result["log"]["warning"]
    assert len(result["log"]["warning"]) == 1


def test_run_with_band_list_and_probabilities(env, tmp_path):
    lcz, probabilities = tmp_path / "lcz.tif", tmp_path / "probabilities.tif"
    result = run_json(
        ["run", ALG_ID, "--", f"INPUT={SCENE}", "BANDS=B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12", "DEVICE=1",
         f"OUTPUT_LCZ={lcz}", f"OUTPUT_PROBABILITIES={probabilities}"],
        env,
    )
    assert Path(result["results"]["OUTPUT_PROBABILITIES"]) == probabilities
    dataset = gdal.Open(str(probabilities))
    assert dataset.RasterCount == 17
    dataset = None
    assert any("B8A" in line and "BANDS parameter" in line for line in result["log"]["info"])


def test_bundled_multitask_model_writes_hse(env, tmp_path):
    """The default (bundled model 1, the multi-task model v3 shipped in models/): both layers from one run."""
    lcz, hse = tmp_path / "lcz.tif", tmp_path / "hse.tif"
    result = run_json(["run", ALG_ID, "--", f"INPUT={SCENE}", f"OUTPUT_LCZ={lcz}",
                       f"OUTPUT_HSE={hse}"], env)
    assert Path(result["results"]["OUTPUT_HSE"]) == hse and Path(result["results"]["OUTPUT_LCZ"]) == lcz
    info = "\n".join(result["log"]["info"])
    assert "models/mtl_resnet20_v3.onnx" in info
    dataset = gdal.Open(str(hse))
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32 and abs(dataset.GetGeoTransform()[1]) == pytest.approx(20)
    values = band.ReadAsArray()
    valid = values[values != band.GetNoDataValue()]
    # the sample is Tseung Kwan O: towers, roads, sea and hills; density must span low and high values
    assert valid.size and 0 <= valid.min() <= 0.1 and 0.5 <= valid.max() <= 1
    dataset = None


def test_bad_bands_fail_with_a_message(env, tmp_path):
    lcz = tmp_path / "lcz.tif"
    completed = run_qgis_process(
        ["--json", "run", ALG_ID, "--", f"INPUT={SCENE}", "BANDS=B2,B3,nonsense", f"OUTPUT_LCZ={lcz}"], env
    )
    assert completed.returncode == 1
    assert completed.stdout == ""  # on failure stdout is empty (QGIS_HEADLESS.md trap 6)
    assert "BANDS" in completed.stderr
    assert not lcz.exists()


def test_without_onnxruntime_the_plugin_loads_and_explains(env_without_onnxruntime, tmp_path):
    env = env_without_onnxruntime
    plugins = run_qgis_process(["plugins"], env)
    assert plugins.returncode == 0
    assert "* hselcz" in plugins.stdout  # loaded, and it implements a Processing provider
    assert ALG_ID in run_json(["list"], env)["providers"]["hselcz"]["algorithms"]

    lcz = tmp_path / "lcz.tif"
    completed = run_qgis_process(["--json", "run", ALG_ID, "--", f"INPUT={SCENE}", f"OUTPUT_LCZ={lcz}"], env)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "onnxruntime cannot be imported" in output
    assert "pip install" in output and "OSGeo4W" in output
    assert not lcz.exists()


# ------------------------------------------------------------------ bad inputs (issue 9, docs/ROBUSTNESS.md)

@pytest.mark.parametrize("cut", ["pixels", "header"])
def test_truncated_input_fails_with_one_clear_message(env, tmp_path, cut):
    """Half of the file: 'pixels' keeps the header (QGIS loads the layer, the engine's read fails), 'header' is the
    sample as shipped, header last (QGIS cannot load it). Before: a GDAL traceback hidden by 'RuntimeError: unknown
    error occurred' from the clean-up, or QGIS's 'not found'."""
    whole = tmp_path / "whole.tif"
    if cut == "pixels":
        gdal.Translate(str(whole), str(SCENE), creationOptions=["TILED=YES", "COMPRESS=DEFLATE"])
    else:
        whole.write_bytes(SCENE.read_bytes())
    source = tmp_path / "t.tif"
    source.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    before = sha256(source)
    out = tmp_path / "out"
    completed = run_qgis_process(["run", ALG_ID, "--", f"INPUT={source}", f"OUTPUT_LCZ={out / 'o.tif'}"], env)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "corrupt or truncated" in output and str(source) in output
    assert "Traceback" not in output and "unknown error occurred" not in output and "not found" not in output
    assert not out.exists() and sha256(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tif", "whole.tif"]  # no .aux.xml either


@pytest.mark.parametrize("name", ["l.png", "l.jpg", "l.vrt", "l"])
def test_output_that_is_not_a_geotiff_name_is_refused(env, tmp_path, name):
    """Before: a GeoTIFF written under that name, exit code 0."""
    completed = run_qgis_process(["run", ALG_ID, "--", f"INPUT={SCENE}", f"OUTPUT_LCZ={tmp_path / name}"], env)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "OUTPUT_LCZ" in output and "the plugin writes GeoTIFF files only" in output and "l.tif" in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif("CoreMLExecutionProvider" in ort.get_available_providers(), reason="this onnxruntime has CoreML")
def test_missing_device_names_the_values_qgis_process_takes(env, tmp_path):
    """DEVICE is an enum: qgis_process takes its numbers, not 'auto' or 'CPU'."""
    completed = run_qgis_process(["run", ALG_ID, "--", f"INPUT={SCENE}", "DEVICE=4",
                                  f"OUTPUT_LCZ={tmp_path / 'l.tif'}"], env)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "The device CoreML was requested" in output
    assert "DEVICE=0 (auto) or DEVICE=1 (CPU)" in output and "DEVICE=auto" not in output
    if sys.platform != "darwin":
        assert "CoreML exists only on macOS" in output and "Install onnxruntime" not in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_mid_run_leaves_no_partial_file(env, tmp_path):
    """The sample tiled 4 x 4 (about 25 s on a busy CPU): SIGTERM once the hidden temporary output exists.
    Before: the process died at once and left .l.*.partial.tif in the output folder."""
    dataset = gdal.Open(str(SCENE))
    data, gt, metadata = np.tile(dataset.ReadAsArray(), (1, 4, 4)), dataset.GetGeoTransform(), dataset.GetMetadata()
    dataset = None
    big = write_raster(tmp_path / "big.tif", data, epsg=4326, origin=(gt[0], gt[3]), pixel=(gt[1], -gt[5]),
                       metadata=metadata)
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen([QGIS_PROCESS, "run", ALG_ID, "--", f"INPUT={big}", f"OUTPUT_LCZ={out / 'l.tif'}"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if any(name.endswith(".partial.tif") for name in os.listdir(out)):
                break
            time.sleep(0.05)
        assert child.poll() is None, "the run ended before it could be stopped"
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == -signal.SIGTERM
    assert os.listdir(out) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("json_mode", [True, False], ids=["--json", "plain"])
def test_ctrl_c_to_the_process_group_cancels_the_run(env, tmp_path, json_mode):
    """Ctrl+C in a terminal: SIGINT to qgis_process's process group, once the hidden temporary output exists (the
    sample tiled 4 x 4). Before: under --json, qgis_process's own handler ignored it and the run ended with exit 0
    and its outputs (issue 19, item 3). Now: stopped, exit 1 with the message, nothing in the folder."""
    dataset = gdal.Open(str(SCENE))
    data, gt, metadata = np.tile(dataset.ReadAsArray(), (1, 4, 4)), dataset.GetGeoTransform(), dataset.GetMetadata()
    dataset = None
    big = write_raster(tmp_path / "big.tif", data, epsg=4326, origin=(gt[0], gt[3]), pixel=(gt[1], -gt[5]),
                       metadata=metadata)
    out = tmp_path / "out"
    out.mkdir()
    command = [QGIS_PROCESS, *(["--json"] if json_mode else []), "run", ALG_ID, "--", f"INPUT={big}",
               f"OUTPUT_LCZ={out / 'l.tif'}"]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if any(name.endswith(".partial.tif") for name in os.listdir(out)):
                break
            time.sleep(0.05)
        assert child.poll() is None, "the run ended before it could be stopped"
        os.killpg(child.pid, signal.SIGINT)
        stdout, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 1, stdout + stderr
    assert "stopped by Ctrl+C (SIGINT)" in stderr, stderr
    assert os.listdir(out) == []


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("unshare") is None,
                    reason="a tmpfs in a private mount namespace needs Linux and unshare")
def test_qgis_process_on_a_full_disk(tmp_path):
    """Through qgis_process: exit code 1, the one message, no Python traceback, nothing published."""
    env = qgis_process_env(tmp_path / "qgis")
    disk = tmp_path / "disk"
    completed, listing = on_tiny_disk(disk, 30, [
        QGIS_PROCESS, "run", "hselcz:map", "--", f"INPUT={scene_copy()}", "BUNDLED_MODEL=1", "DEVICE=1",
        f"OUTPUT_LCZ={disk / 'lcz.tif'}", f"OUTPUT_HSE={disk / 'hse.tif'}",
        f"OUTPUT_PROBABILITIES={disk / 'probabilities.tif'}"], env=env)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert f"The disk is full at {disk}" in output, output
    assert "Traceback" not in output, output
    assert listing == ["filler"], listing
