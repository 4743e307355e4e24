"""Bad inputs a user tried (issue 9), through the engine: each is refused with one plain message or mapped with a
warning, nothing is left behind and the input is untouched. docs/ROBUSTNESS.md lists them all.

Real data where it matters: the bundled Hong Kong sample, truncated, reprojected to Web Mercator, coarsened, or
with two bands swapped.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from core.bands import MODEL_BANDS
from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.options import ModelChoice, RunFeedback
from core.reader import ground_pixel_size
from core.runtime import DeviceError, choose_providers
from support.data import REPO_ROOT
from support.engine_fixtures import epsg_of, read, sha256, synthetic_dn, write_raster

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


def _vsimem_leftovers() -> list[str]:
    return [name for name in (gdal.ReadDirRecursive("/vsimem/") or []) if "hselcz_" in name]


def _refused(source: Path, model: Path | None, out: Path, match: str, bands: str | None = None) -> EngineError:
    """Run, expect an EngineError matching `match` with nothing written and the input unchanged."""
    before = sha256(source)
    reports: list[float] = []
    with pytest.raises(EngineError, match=match) as error:
        map_scene(str(source), OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif")),
                  ModelChoice(model_path=str(model) if model else None, bands=bands),
                  RunFeedback(progress=reports.append))
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    assert sha256(source) == before
    assert not _vsimem_leftovers()
    return error.value


# ------------------------------------------------------------------ 1. corrupt or truncated input

def _truncated(path: Path, target: Path) -> Path:
    data = path.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def test_truncated_pixel_data_is_one_clear_error(tmp_path: Path, sample_scene: Path, dense_model: Path) -> None:
    """A GeoTIFF whose header is intact but whose second half is missing (GDAL writes the header first): opening
    works, reading fails. Before: the GDAL error, then a second one from the clean-up ('unknown error occurred')."""
    whole = tmp_path / "scene.tif"
    gdal.Translate(str(whole), str(sample_scene), creationOptions=["TILED=YES", "COMPRESS=DEFLATE"])
    source = _truncated(whole, tmp_path / "t.tif")
    error = _refused(source, dense_model, tmp_path / "out", match="corrupt or truncated")
    assert str(source) in str(error) and "Download or copy it again" in str(error)
    assert error.__suppress_context__  # shown alone: no GDAL traceback, no second exception from the clean-up


def test_truncated_near_the_end_fails_mid_run_with_one_clear_error(tmp_path: Path, sample_scene: Path,
                                                                    dense_model: Path) -> None:
    """A scene larger than the plausibility sample (the sample tiled 3 x 3) missing its last 5 %: the read error
    comes from the reading thread during the run, after the temporary outputs were created."""
    dataset = gdal.Open(str(sample_scene))
    data, gt = np.tile(dataset.ReadAsArray(), (1, 3, 3)), dataset.GetGeoTransform()
    dataset = None
    stripes = write_raster(tmp_path / "big0.tif", data, epsg=4326, origin=(gt[0], gt[3]), pixel=(gt[1], -gt[5]))
    whole = tmp_path / "big.tif"
    gdal.Translate(str(whole), str(stripes))  # header first, uncompressed strips
    source = tmp_path / "t.tif"
    source.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.95)])
    reports: list[float] = []
    out = tmp_path / "out"
    with pytest.raises(EngineError, match="corrupt or truncated") as error:
        map_scene(str(source), OutputPaths(lcz=str(out / "l.tif"), hse=str(out / "h.tif")),
                  model=ModelChoice(model_path=str(dense_model)), feedback=RunFeedback(progress=reports.append))
    assert reports, "the error was meant to come mid-run"
    assert f"GDAL says: {source}, band 1: IReadBlock failed" in str(error.value)
    assert error.value.__suppress_context__ and not out.exists() and not _vsimem_leftovers()


def test_truncated_header_is_one_clear_error(tmp_path: Path, sample_scene: Path, dense_model: Path) -> None:
    """The bundled sample keeps its header at the end: cut in half, GDAL cannot even open it."""
    source = _truncated(sample_scene, tmp_path / "t.tif")
    error = _refused(source, dense_model, tmp_path / "out", match="corrupt or truncated")
    assert f"GDAL cannot open {source}" in str(error)


# ------------------------------------------------------------------ 2. output extensions

@pytest.mark.parametrize("name", ["l.png", "l.jpg", "l.vrt", "l"])
def test_output_that_is_not_a_geotiff_name_is_refused_before_computing(tmp_path: Path, dense_model: Path,
                                                                      name: str) -> None:
    source = write_raster(tmp_path / "s.tif", synthetic_dn(20, 20, seed=90))
    before = sha256(source)
    reports: list[float] = []
    with pytest.raises(EngineError, match="the plugin writes GeoTIFF files only") as error:
        map_scene(str(source), OutputPaths(lcz=str(tmp_path / "out" / name)),
                  model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(progress=reports.append))
    assert "l.tif" in str(error.value)  # the name it suggests
    assert reports == [] and not (tmp_path / "out").exists() and sha256(source) == before


def test_tiff_extensions_in_any_case_are_accepted(tmp_path: Path, dense_model: Path) -> None:
    source = write_raster(tmp_path / "s.tif", synthetic_dn(20, 20, seed=91))
    result = map_scene(str(source), OutputPaths(lcz=str(tmp_path / "l.TIFF"), hse=str(tmp_path / "h.tiff")),
                       model=ModelChoice(model_path=str(dense_model)))
    assert Path(result.lcz).name == "l.TIFF" and gdal.Info(result.hse, format="json")["driverShortName"] == "GTiff"


# ------------------------------------------------------------------ 3. CRSs that are not true to scale

def test_ground_pixel_size_of_web_mercator_at_45_degrees() -> None:
    """A '10 m' Web Mercator pixel at 45 deg N is 10 * cos(45 deg) = 7.07 m on the ground."""
    dataset = gdal.GetDriverByName("MEM").Create("", 100, 100, 1)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3857)
    dataset.SetProjection(srs.ExportToWkt())
    y = 6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(45) / 2))  # Mercator northing of 45 deg N
    dataset.SetGeoTransform((1_000_000.0 - 500, 10.0, 0.0, y + 500, 0.0, -10.0))
    ground = ground_pixel_size(dataset)
    assert ground is not None and ground == pytest.approx((7.07, 7.07), abs=0.02)


def test_web_mercator_input_is_mapped_on_true_10m_pixels(tmp_path: Path, sample_scene: Path) -> None:
    """The sample reprojected to EPSG:3857 at a nominal 10 m (10.8 m on the ground at 22 deg N) gives the map of
    the sample itself: warped to UTM 50N at 10 m, not mapped on 92 m 'cells'."""
    mercator = tmp_path / "mercator.tif"
    gdal.Warp(str(mercator), str(sample_scene), dstSRS="EPSG:3857", xRes=10, yRes=10, resampleAlg="bilinear",
              srcNodata=0, dstNodata=0)
    logs: list[str] = []
    result = map_scene(str(mercator), OutputPaths(lcz=str(tmp_path / "m.tif")), feedback=RunFeedback(log=logs.append))
    reference = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "r.tif")))
    assert any("EPSG:3857 is not true to scale here" in line and "EPSG:32650" in line for line in logs), logs
    lcz, gt, wkt = read(result.lcz)
    expected, expected_gt, _ = read(reference.lcz)
    assert epsg_of(wkt) == 32650 and (gt[1], gt[5]) == (100.0, -100.0)
    # the same 100 m cells, up to one cell at the edges (the footprint was resampled once more)
    assert abs(gt[0] - expected_gt[0]) <= 100 and abs(gt[3] - expected_gt[3]) <= 100
    assert abs(lcz.shape[0] - expected.shape[0]) <= 1 and abs(lcz.shape[1] - expected.shape[1]) <= 1
    dx, dy = round((gt[0] - expected_gt[0]) / 100), round((expected_gt[3] - gt[3]) / 100)
    h, w = min(lcz.shape[0], expected.shape[0] - dy) - 1, min(lcz.shape[1], expected.shape[1] - dx) - 1
    ours, theirs = lcz[1:h, 1:w], expected[dy + 1 : dy + h, dx + 1 : dx + w]
    both = (ours > 0) & (theirs > 0)
    assert both.sum() > 200 and (ours[both] == theirs[both]).mean() > 0.7


# ------------------------------------------------------------------ 4. refusals and warnings

def test_one_raster_band_for_two_band_names_is_refused(tmp_path: Path, dense_model: Path) -> None:
    source = write_raster(tmp_path / "s.tif", synthetic_dn(20, 20, seed=92), descriptions=None)
    pairs = "B2=1,B3=1," + ",".join(f"{name}={i + 1}" for i, name in enumerate(MODEL_BANDS) if i >= 2)
    _refused(source, dense_model, tmp_path / "out", match="BANDS gives raster band 1 to both B2 and B3", bands=pairs)


@pytest.mark.parametrize("geographic", [False, True], ids=["utm", "geographic"])
def test_one_pixel_input_is_refused(tmp_path: Path, dense_model: Path, geographic: bool) -> None:
    """Before: a 1 x 1 px input gave a class from one pixel (UTM) or an all-nodata map (geographic) as success."""
    extra = dict(epsg=4326, origin=(114.2, 22.3), pixel=(1e-4, 1e-4)) if geographic else {}
    source = write_raster(tmp_path / "one.tif", synthetic_dn(1, 1, seed=93), **extra)
    _refused(source, dense_model, tmp_path / "out", match=r"covers only \d x \d pixels at 10 m")


def test_output_without_a_valid_cell_is_refused(tmp_path: Path, dense_model: Path) -> None:
    """Valid pixels only on a sparse lattice (4 %): no 20 m or 100 m cell has half of its pixels."""
    dn = synthetic_dn(30, 30, seed=94)
    sparse = np.zeros_like(dn)
    sparse[:, ::5, ::5] = dn[:, ::5, ::5]
    source = write_raster(tmp_path / "sparse.tif", sparse)
    _refused(source, dense_model, tmp_path / "out", match="No 100 m cell of the input has enough valid pixels")


def test_the_plain_sample_gives_no_warning(tmp_path: Path, sample_scene: Path, dense_model: Path) -> None:
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "l.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    assert result.warnings == []


def test_coarse_data_resampled_to_10m_is_a_warning(tmp_path: Path, sample_scene: Path, dense_model: Path) -> None:
    """The sample averaged to 100 m and resampled back to its 10 m grid, as a 1 km product would be."""
    info = gdal.Info(str(sample_scene), format="json")
    width, height = info["size"]
    coarse = gdal.Translate("", str(sample_scene), format="MEM", width=width // 10, height=height // 10,
                            resampleAlg="average")
    source = tmp_path / "upsampled.tif"
    gdal.Translate(str(source), coarse, width=width, height=height, resampleAlg="bilinear")
    coarse = None
    logs: list[str] = []
    result = map_scene(str(source), OutputPaths(lcz=str(tmp_path / "l.tif")),
                       model=ModelChoice(model_path=str(dense_model)),
                       feedback=RunFeedback(log=logs.append))
    assert len(result.warnings) == 1
    assert "change smoothly" in result.warnings[0] and "40 m or coarser" in result.warnings[0]
    assert "Warning: " + result.warnings[0] in logs


def test_swapped_red_and_near_infrared_is_a_warning(tmp_path: Path, sample_scene: Path, dense_model: Path) -> None:
    swapped = "B2,B3,B8,B5,B6,B7,B4,B8A,B11,B12"  # raster band 3 (red) called B8, band 7 (NIR) called B4
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "l.tif")),
                       model=ModelChoice(model_path=str(dense_model), bands=swapped))
    assert len(result.warnings) == 1 and "bands are probably in the wrong order" in result.warnings[0]


def test_pixel_size_far_from_10m_is_a_warning(tmp_path: Path, dense_model: Path) -> None:
    source = write_raster(tmp_path / "thirty.tif", synthetic_dn(40, 40, seed=95), pixel=(30.0, 30.0))
    result = map_scene(str(source), OutputPaths(lcz=str(tmp_path / "l.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    assert len(result.warnings) == 1 and "30 x 30 m on the ground, far from the model's 10 m" in result.warnings[0]


# ------------------------------------------------------------------ 5. SIGTERM

_SLOW_RUN = """
import sys, time
sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
from support.engine_fixtures import synthetic_dn, write_dense_model, write_raster
from core.engine import ModelChoice, OutputPaths, RunFeedback, map_scene
from pathlib import Path
work, out = Path({work!r}), Path({out!r})
source = write_raster(work / "s.tif", synthetic_dn(200, 200, seed=96))
model = write_dense_model(work / "dense.onnx")
def progress(fraction):
    print("running", flush=True)
    time.sleep(0.5)  # a slow model: SIGTERM arrives mid-run, while the temporary files exist
map_scene(str(source), OutputPaths(lcz=str(out / "l.tif"), hse=str(out / "h.tif"), probabilities=str(out / "p.tif")),
          model=ModelChoice(model_path=str(model)), feedback=RunFeedback(progress=progress))
print("finished", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_mid_run_removes_the_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    script = _SLOW_RUN.format(repo=str(REPO_ROOT), tests=str(REPO_ROOT / "test"), work=str(tmp_path), out=str(out))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "running", child.stderr.read()
        assert any(name.endswith(".partial.tif") for name in os.listdir(out))  # mid-run indeed
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == -signal.SIGTERM  # still ends as SIGTERM ends a process
    assert os.listdir(out) == []
    assert "Traceback" not in stderr


# ------------------------------------------------------------------ 6. device messages

def test_coreml_on_linux_does_not_ask_to_install_onnxruntime() -> None:
    with pytest.raises(DeviceError) as error:
        choose_providers("CoreML", ["CPUExecutionProvider"], platform="linux")
    message = str(error.value)
    assert "CoreML exists only on macOS (Apple); this computer runs Linux." in message
    assert "install" not in message.lower()
    assert message.endswith('Choose device="auto" or device="CPU".')  # what ModelChoice(device=...) takes
    assert error.value.usable == ("auto", "CPU")


@pytest.mark.parametrize(
    ("device", "platform", "expected"),
    [
        ("DirectML", "linux", "DirectML exists only on Windows; this computer runs Linux."),
        ("DirectML", "win32", "Install onnxruntime-directml in place of onnxruntime"),
        ("CUDA", "linux", "Install onnxruntime-gpu in place of onnxruntime"),
        ("CUDA", "darwin", "CUDA does not exist on macOS."),
        ("CoreML", "darwin", "CoreML comes with the onnxruntime package for macOS: update onnxruntime."),
    ],
)
def test_missing_device_remedies(device: str, platform: str, expected: str) -> None:
    with pytest.raises(DeviceError, match=expected):
        choose_providers(device, ["CPUExecutionProvider"], platform=platform)


def test_other_available_accelerators_are_offered() -> None:
    with pytest.raises(DeviceError) as error:
        choose_providers("DirectML", ["CUDAExecutionProvider", "CPUExecutionProvider"], platform="linux")
    assert error.value.usable == ("auto", "CPU", "CUDA")
