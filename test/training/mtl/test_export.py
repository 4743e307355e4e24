"""ONNX export of the multi-task network (training/mtl/export.py): parity with torch on the real sample,
contract metadata the engine accepts, and the plugin's engine mapping the sample with the exported model.

The weights are a fixed-seed initialisation trained for a few steps on SYNTHETIC TEST LABELS (see
support/training_data.py); the maps are meaningless, only their plumbing is tested.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from core import contract  # noqa: E402
from core.bands import MODEL_BANDS  # noqa: E402
from core.lcz import LCZ_CLASS_COUNT  # noqa: E402
from core.options import ModelChoice, RunFeedback  # noqa: E402
from support.data import REPO_ROOT  # noqa: E402
from support.training_data import RasterPatches, read_sample  # noqa: E402
from training.mtl.export import export_onnx  # noqa: E402
from training.mtl.losses import MultiTaskLoss  # noqa: E402
from training.mtl.network import MultiTaskNet, preset  # noqa: E402

torch.set_num_threads(1)
TRAINING_NOTE = "TEST ONLY: 5 steps on synthetic rule-based labels of one Sentinel-2 crop; not a usable model"


def briefly_trained(name: str, sample: np.ndarray) -> MultiTaskNet:
    """Fixed seed, five NAdam steps, then batch-norm statistics of the crops: not the initial weights."""
    torch.manual_seed(0)
    config = preset(name)
    model, criterion = MultiTaskNet(config), MultiTaskLoss(config)
    optimizer = torch.optim.NAdam(list(model.parameters()) + list(criterion.parameters()), lr=0.002)
    loader = torch.utils.data.DataLoader(RasterPatches(sample, count=20, seed=5), batch_size=4)
    for batch in loader:
        reference = batch["hse"] if config.use_p2f else None
        parts = criterion(model(batch["image"], hse_reference=reference), batch)
        optimizer.zero_grad()
        parts.total.backward()
        optimizer.step()
    # Re-estimate batch-norm statistics over the crops (cumulative averages), so the eval-mode maps vary.
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
    with torch.no_grad():
        for batch in loader:
            model(batch["image"])
    return model.eval()


def export(model: MultiTaskNet, path: Path) -> Path:
    return export_onnx(model, path, name="test mtl", version="0", description="export test",
                       license="test only", training=TRAINING_NOTE)


@pytest.fixture(scope="module")
def sample_array(sample_scene: Path) -> np.ndarray:
    return read_sample(sample_scene)


@pytest.fixture(scope="module")
def exported(sample_array, tmp_path_factory) -> tuple[MultiTaskNet, Path]:
    model = briefly_trained("mtl_learned_cbam_p2f", sample_array)
    return model, export(model, tmp_path_factory.mktemp("export") / "mtl.onnx")


@pytest.mark.parametrize("window", [(0, 0, 128, 128), (40, 92, 64, 96)])
def test_onnxruntime_matches_torch_on_the_real_sample(exported, sample_array, window):
    model, path = exported
    y, x, h, w = window
    crop = np.ascontiguousarray(sample_array[None, :, y : y + h, x : x + w])
    with torch.no_grad():
        expected = model(torch.from_numpy(crop))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["lcz", "hse", "embedding"]
    lcz, hse, embedding = session.run(["lcz", "hse", "embedding"], {"image": crop})
    with torch.no_grad():  # the embedding is block L4 of the LCZ branch, upsampled to the LCZ output's stride
        l4 = model.lcz_branch.features(model.backbone(torch.from_numpy(crop)))[-1]
        upsampled = torch.nn.functional.interpolate(l4, scale_factor=4.0, mode="bilinear", align_corners=False)
    assert embedding.shape == (1, 4 * model.config.width, h // 2, w // 2)
    assert np.abs(embedding - upsampled.numpy()).max() < 1e-4
    assert lcz.shape == (1, LCZ_CLASS_COUNT, h // 2, w // 2) and hse.shape == (1, 1, h // 2, w // 2)
    assert np.abs(lcz - expected["lcz"].numpy()).max() < 1e-4
    assert np.abs(hse - expected["hse"].numpy()).max() < 1e-4
    assert np.allclose(lcz.sum(axis=1), 1.0, atol=1e-5)
    assert lcz.std() > 1e-2 and hse.std() > 1e-2  # not a constant map


def test_metadata_is_the_full_contract(exported):
    _, path = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    parsed = contract.parse_metadata(session.get_modelmeta().custom_metadata_map, source=str(path))
    assert parsed.kind == contract.KIND_DENSE and parsed.bands == MODEL_BANDS and parsed.gsd == 10
    assert parsed.input_unit == contract.UNIT_REFLECTANCE_X10000 and parsed.processing_level == "L1C"
    assert parsed.training == TRAINING_NOTE
    assert (parsed.tile_size, parsed.tile_overlap, parsed.size_multiple) == (128, 32, 8)
    assert {(o.name, o.product, o.stride) for o in parsed.outputs} == {("lcz", "lcz", 2), ("hse", "hse", 2),
                                                                        ("embedding", "embedding", 2)}
    assert len(parsed.lcz_classes) == LCZ_CLASS_COUNT
    assert '"use_p2f": true' in parsed.extra["network"]
    image = session.get_inputs()[0]
    assert image.name == contract.INPUT_NAME and image.shape[1] == len(MODEL_BANDS)
    assert all(isinstance(d, str) for d in (image.shape[0], image.shape[2], image.shape[3]))  # dynamic axes


def test_the_engine_maps_the_sample_with_the_exported_model(exported, sample_scene, tmp_path):
    from osgeo import gdal

    from core.engine import OutputPaths, map_scene

    _, path = exported
    out = OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif"))
    messages: list[str] = []
    result = map_scene(str(sample_scene), out, model=ModelChoice(model_path=str(path), device="CPU"),
                       feedback=RunFeedback(log=messages.append))
    grid = next(m for m in messages if m.startswith("Working grid:"))
    width, height = (int(v) for v in grid.split(":")[1].split("pixels")[0].split(" x "))
    assert result.lcz and result.hse and not result.warnings
    lcz_ds, hse_ds = gdal.Open(result.lcz), gdal.Open(result.hse)
    lcz, hse = lcz_ds.ReadAsArray(), hse_ds.ReadAsArray()
    hse_nodata = hse_ds.GetRasterBand(1).GetNoDataValue()
    lcz_ds = hse_ds = None
    assert lcz.shape == (math.ceil(height / 10), math.ceil(width / 10))  # 100 m cells
    assert hse.shape == (math.ceil(height / 2), math.ceil(width / 2))  # 20 m cells
    # The working grid is the crop warped onto 10 m: its rim holds no data (LCZ 0, HSE nodata).
    assert (lcz > 0).mean() > 0.8 and lcz.max() <= LCZ_CLASS_COUNT
    valid = (hse != hse_nodata) & np.isfinite(hse) if hse_nodata is not None else np.isfinite(hse)
    assert valid.mean() > 0.8 and hse[valid].min() >= 0 and hse[valid].max() <= 1


def test_single_task_models(sample_array, tmp_path):
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="requires an LCZ output"):
        export(MultiTaskNet(preset("stl_hse")), tmp_path / "hse.onnx")
    model = MultiTaskNet(preset("stl_lcz")).eval()
    path = export(model, tmp_path / "lcz.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["lcz", "embedding"]
    parsed = contract.parse_metadata(session.get_modelmeta().custom_metadata_map, source=str(path))
    assert not parsed.has_hse
    crop = np.ascontiguousarray(sample_array[None, :, :64, :64])
    with torch.no_grad():
        expected = model(torch.from_numpy(crop))["lcz"].numpy()
    assert np.abs(session.run(["lcz"], {"image": crop})[0] - expected).max() < 1e-4


def tiny_datasets() -> tuple[torch.utils.data.Dataset, None]:
    """Factory for the train command line test: 8 crops of the sample with SYNTHETIC test labels."""
    return RasterPatches(read_sample(REPO_ROOT / "resources" / "sample" / "hongkong_tko_S2L1C_20180323.tif"),
                         count=8, seed=7), None


def test_command_lines_train_then_export(tmp_path, capsys):
    from training.mtl import export as export_module
    from training.mtl import train as train_module

    run = tmp_path / "run"
    train_module.main(["--preset", "mtl_equal_cbam_p2f", "--width", "8", "--data", "test_export:tiny_datasets",
                       "--out", str(run), "--epochs", "1", "--batch-size", "4", "--device", "cpu"])
    assert (run / "best.pt").exists() and (run / "log.csv").exists() and (run / "config.json").exists()
    output = tmp_path / "cli.onnx"
    export_module.main([str(run / "best.pt"), str(output), "--training", TRAINING_NOTE, "--tile-size", "64",
                        "--tile-overlap", "16"])
    assert "bytes" in capsys.readouterr().out
    session = ort.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    parsed = contract.parse_metadata(session.get_modelmeta().custom_metadata_map, source=str(output))
    assert parsed.tile_size == 64 and parsed.extra["checkpoint_epoch"] == "1" and parsed.has_hse
