"""The products on disk (format, styling, metadata) and what happens to files when a run fails or is cancelled."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.contract import build_metadata
from core.engine import OutputPaths, map_scene
from core.errors import CancelledError, EngineError
from core.lcz import LCZ_CLASSES
from core.options import ModelChoice, RunFeedback
from core.products import (
    HSE_NODATA,
    META_CLASS_PREFIX,
    META_MODEL,
    META_MODEL_VERSION,
    META_PRODUCT,
    META_PROVIDER,
    META_SOURCE,
    META_UNITS,
    PROBABILITY_NODATA,
    PRODUCT_BY_KEY,
    PRODUCTS,
)
from support.engine_fixtures import (
    CONSTANTS,
    contract_values,
    dense_lcz_expected,
    info,
    read,
    sha256,
    synthetic_dn,
    write_model_with_metadata,
    write_raster,
)

pytestmark = pytest.mark.usefixtures("collect_gdal_garbage")


@pytest.fixture()
def scene(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 230 x 200 px scene (5 rows of windows) in its own folder, with a small no-data corner."""
    dn = synthetic_dn(230, 200, seed=31)
    dn[:, :25, :25] = 0
    folder = tmp_path / "input"
    folder.mkdir()
    return write_raster(folder / "scene.tif", dn), dn


def outputs_in(folder: Path) -> OutputPaths:
    return OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"), probabilities=str(folder / "prob.tif"))


def vsimem_leftovers() -> list[str]:
    return [name for name in (gdal.ReadDirRecursive("/vsimem/") or []) if "hselcz" in name]


def test_product_formats_styles_and_metadata(tmp_path: Path, dense_model: Path, scene) -> None:
    source, dn = scene
    out = tmp_path / "out"
    result = map_scene(str(source), outputs_in(out), model=ModelChoice(model_path=str(dense_model)))
    published = sorted(p.name for p in out.iterdir() if not p.name.endswith(".aux.xml"))
    assert published == ["hse.tif", "lcz.tif", "prob.tif"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]

    lcz = info(result.lcz)
    (band,) = lcz["bands"]
    assert (band["type"], band["noDataValue"], band["block"]) == ("Byte", 0.0, [256, 256])
    assert lcz["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"
    assert band["colorInterpretation"] == "Palette"
    entries = band["colorTable"]["entries"]
    assert entries[0] == [0, 0, 0, 0]
    assert [entries[c.code] for c in LCZ_CLASSES] == [[*c.rgb, 255] for c in LCZ_CLASSES]
    assert band["categories"] == ["No data"] + [c.legend_text for c in LCZ_CLASSES]
    assert band["categories"][17] == "G Water"
    values = read(result.lcz)[0]
    assert values[0, 0] == 0 and set(np.unique(values)) <= set(range(18)) and len(np.unique(values)) >= 10

    hse = info(result.hse)
    (hband,) = hse["bands"]
    assert (hband["type"], hband["noDataValue"]) == ("Float32", HSE_NODATA)
    density = read(result.hse)[0]
    valid = density != HSE_NODATA
    assert (~valid).sum() == 12 * 12 and ((density[valid] >= 0) & (density[valid] <= 1)).all()
    assert hse["metadata"][""][META_UNITS] == "fraction 0..1"
    assert hse["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"

    prob = info(result.probabilities)
    assert [b["type"] for b in prob["bands"]] == ["Float32"] * 17
    assert [b["noDataValue"] for b in prob["bands"]] == [PROBABILITY_NODATA] * 17
    assert [b["description"] for b in prob["bands"]] == [f"LCZ {c.legend_text}" for c in LCZ_CLASSES]
    sums = read(result.probabilities)[0].sum(axis=0)
    expected, _, ok = dense_lcz_expected(dn)
    np.testing.assert_allclose(sums[ok], expected[:, ok].sum(axis=0), rtol=0, atol=1e-5)
    assert (sums[ok] > sum(CONSTANTS)).all() and (sums[~ok] == 17 * PROBABILITY_NODATA).all()

    assert list(result.outputs) == [spec.key for spec in PRODUCTS if spec.key in ("lcz", "hse", "probabilities")]
    for product, path in result.outputs.items():
        metadata = info(path)["metadata"][""]
        assert metadata[META_PRODUCT] == PRODUCT_BY_KEY[product].title
        assert metadata[META_MODEL] == "test-dense" and metadata[META_MODEL_VERSION] == "0.0.1"
        assert metadata[META_PROVIDER] == result.provider == "CPUExecutionProvider"
        assert metadata[META_SOURCE] == str(source)


def test_lcz_class_names_travel_inside_the_geotiff(tmp_path: Path, dense_model: Path, scene) -> None:
    """Copying lcz.tif alone (without its .aux.xml) keeps the colours and the class names."""
    source, _ = scene
    result = map_scene(str(source), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                       model=ModelChoice(model_path=str(dense_model)))
    alone = tmp_path / "copied" / "lcz.tif"
    alone.parent.mkdir()
    alone.write_bytes(Path(result.lcz).read_bytes())
    (band,) = info(str(alone))["bands"]
    assert "categories" not in band  # GDAL keeps category names in the sidecar only...
    assert band["colorInterpretation"] == "Palette"
    names = {key: value for key, value in band["metadata"][""].items() if key.startswith(META_CLASS_PREFIX)}
    assert names == {f"{META_CLASS_PREFIX}{c.code}": c.legend_text for c in LCZ_CLASSES}  # ...these travel with it


def test_progress_is_monotonic_and_ends_at_one(tmp_path: Path, dense_model: Path, scene) -> None:
    source, _ = scene
    reports: list[float] = []
    map_scene(str(source), outputs_in(tmp_path / "out"), model=ModelChoice(model_path=str(dense_model)),
              feedback=RunFeedback(progress=reports.append))
    assert len(reports) >= 5 and reports == sorted(reports) and reports[-1] == 1.0 and reports[0] >= 0.0
    assert vsimem_leftovers() == []


def test_cancelling_leaves_nothing_behind(tmp_path: Path, dense_model: Path, scene) -> None:
    """Cancelled after the first row of windows: CancelledError, no new file, old output untouched, input intact."""
    source, _ = scene
    out = tmp_path / "out"
    out.mkdir()
    (out / "lcz.tif").write_bytes(b"an older result the user wants to keep")
    before = {p.name: sha256(p) for p in out.iterdir()}
    input_hash = sha256(source)
    reports: list[float] = []
    with pytest.raises(CancelledError, match="cancelled"):
        map_scene(str(source), outputs_in(out), model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(progress=reports.append,
                                       is_cancelled=lambda: any(value > 0 for value in reports)))
    assert reports and 0 < max(reports) < 1  # it really stopped in the middle
    assert {p.name: sha256(p) for p in out.iterdir()} == before
    assert sha256(source) == input_hash and [p.name for p in source.parent.iterdir()] == ["scene.tif"]
    assert vsimem_leftovers() == []


def test_a_failed_run_removes_the_folders_it_created(tmp_path: Path, dense_model: Path, scene) -> None:
    """Output folders are created up front; a cancelled run removes the new, still empty ones (and no others)."""
    source, _ = scene
    kept = tmp_path / "kept"
    kept.mkdir()
    outputs = OutputPaths(lcz=str(tmp_path / "new" / "deeper" / "lcz.tif"), hse=str(kept / "sub" / "hse.tif"))
    with pytest.raises(CancelledError):
        map_scene(str(source), outputs, model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(is_cancelled=lambda: True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "kept"] and list(kept.iterdir()) == []
    written = map_scene(str(source), outputs,
                        model=ModelChoice(model_path=str(dense_model)))  # and a good run creates them again
    assert Path(written.lcz).exists() and Path(written.hse).exists()


def test_cancelling_after_the_last_window_still_writes_nothing(tmp_path: Path, dense_model: Path, scene) -> None:
    """A cancel that arrives once all windows ran (progress 1.0) must still stop before the products appear."""
    source, _ = scene
    out = tmp_path / "out"
    reports: list[float] = []
    with pytest.raises(CancelledError):
        map_scene(str(source), outputs_in(out), model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(progress=reports.append,
                                       is_cancelled=lambda: bool(reports) and reports[-1] == 1.0))
    assert reports[-1] == 1.0 and not out.exists()  # not even the folder the run created


def test_cancelling_a_patch_run(tmp_path: Path, patch_model: Path, scene) -> None:
    source, _ = scene
    out = tmp_path / "out"
    with pytest.raises(CancelledError):
        map_scene(str(source), OutputPaths(lcz=str(out / "lcz.tif")), model=ModelChoice(model_path=str(patch_model)),
                  feedback=RunFeedback(is_cancelled=lambda: True))
    assert not out.exists()


def test_failure_during_inference_removes_temporary_files(tmp_path: Path, scene) -> None:
    """A model whose HSE tensor does not have the declared stride fails after the outputs were opened."""
    values = contract_values("dense")
    values["outputs"] = [{"name": "lcz", "product": "lcz", "stride": 1}, {"name": "hse", "product": "hse", "stride": 1}]
    model = write_model_with_metadata(tmp_path / "wrong_stride.onnx", build_metadata(**values))
    source, _ = scene
    out = tmp_path / "out"
    out.mkdir()
    (out / "hse.tif").write_bytes(b"previous")
    reports: list[float] = []
    with pytest.raises(EngineError, match=r"output 'hse' has shape \(\d+, 1, 32, 32\), expected \(\d+, 1, 64, 64\)"):
        map_scene(str(source), outputs_in(out), model=ModelChoice(model_path=str(model)),
                  feedback=RunFeedback(progress=reports.append))
    assert [p.name for p in out.iterdir()] == ["hse.tif"] and (out / "hse.tif").read_bytes() == b"previous"


def test_output_under_a_regular_file_fails_before_computing(tmp_path: Path, dense_model: Path, scene) -> None:
    source, _ = scene
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    reports: list[float] = []
    logs: list[str] = []
    outputs = OutputPaths(lcz=str(tmp_path / "fine" / "lcz.tif"), hse=str(blocker / "hse.tif"))
    with pytest.raises(EngineError, match="Cannot create the folder for the output .*notes.txt/hse.tif"):
        map_scene(str(source), outputs, model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(progress=reports.append, log=logs.append))
    assert reports == [] and logs == []  # not even the model was loaded
    assert not (tmp_path / "fine").exists() and blocker.read_text() == "a file, not a folder"  # folder removed again


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_fails_before_computing(tmp_path: Path, dense_model: Path, scene) -> None:
    source, _ = scene
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    reports: list[float] = []
    try:
        with pytest.raises(EngineError, match="is not writable"):
            map_scene(str(source), OutputPaths(lcz=str(locked / "lcz.tif")),
                      model=ModelChoice(model_path=str(dense_model)),
                      feedback=RunFeedback(progress=reports.append))
    finally:
        locked.chmod(0o755)
    assert reports == [] and list(locked.iterdir()) == []


@pytest.mark.parametrize(
    ("make_outputs", "message"),
    [
        (lambda src, tmp: OutputPaths(lcz=str(src)), "is the input raster"),
        (lambda src, tmp: OutputPaths(lcz=str(tmp / "a.tif"), hse=str(tmp / "a.tif")),
         "Two outputs point at the same file"),
        (lambda src, tmp: OutputPaths(lcz=str(tmp)), "is a folder"),
        (lambda src, tmp: OutputPaths(lcz=None), "No output was requested"),
    ],
    ids=["input", "same-file", "folder", "none"],
)
def test_impossible_outputs(tmp_path: Path, dense_model: Path, scene, make_outputs, message: str) -> None:
    source, _ = scene
    input_hash = sha256(source)
    reports: list[float] = []
    with pytest.raises(EngineError, match=message):
        map_scene(str(source), make_outputs(source, tmp_path), model=ModelChoice(model_path=str(dense_model)),
                  feedback=RunFeedback(progress=reports.append))
    assert reports == [] and sha256(source) == input_hash and not (tmp_path / "a.tif").exists()


def _open_handles(path: Path) -> int:
    return sum(1 for fd in Path("/proc/self/fd").iterdir() if os.path.realpath(fd) == str(path))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_a_successful_run_closes_every_file(tmp_path: Path, dense_model: Path, scene) -> None:
    source, _ = scene
    result = map_scene(str(source), outputs_in(tmp_path / "out"), model=ModelChoice(model_path=str(dense_model)))
    assert [_open_handles(Path(p)) for p in (source, result.lcz, result.hse, result.probabilities)] == [0, 0, 0, 0]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_a_failed_run_closes_the_input(tmp_path: Path, dense_model: Path, scene) -> None:
    source, dn = scene
    few = write_raster(source.parent / "eight_bands.tif", dn[:8],
                       descriptions=("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A"))
    message, handles = "", -1
    try:
        map_scene(str(few), outputs_in(tmp_path / "out"), model=ModelChoice(model_path=str(dense_model)))
    except EngineError as error:
        # The caller still holds the error (QGIS chains it into a QgsProcessingException): is the file closed?
        message, handles = str(error), _open_handles(few)
    # (Asserting outside the handler: a failing assert must not keep the error, and its datasets, alive.)
    assert "lacks or does not name B11, B12" in message
    assert handles == 0
