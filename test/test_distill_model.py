"""The distilled student models/mtl_distilled.onnx: contract, parity with its checkpoint, engine run on the sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.contract import parse_metadata
from core.engine import OutputPaths, map_scene
from core.reader import open_scene

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "mtl_distilled.onnx"
CHECKPOINT = ROOT / "training" / "distill" / "mtl_distilled.pt"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="models/mtl_distilled.onnx is not in this checkout")


def _sample(sample_scene: Path) -> tuple[np.ndarray, np.ndarray]:
    scene = open_scene(str(sample_scene), MODEL_BANDS, gsd=10.0)
    try:
        return scene.read(0, 0, scene.width, scene.height)
    finally:
        scene.close()


def test_metadata_says_what_it_was_trained_on():
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(MODEL)).metadata_props}
    contract = parse_metadata(meta, str(MODEL))
    assert contract.has_hse
    assert "pseudo-labels" in meta["training"] and "not an imperviousness reference" in meta["training"]


@pytest.mark.skipif(not CHECKPOINT.exists(), reason="no committed checkpoint")
def test_onnxruntime_matches_the_checkpoint_on_a_real_crop(sample_scene: Path):
    import onnxruntime as ort
    import torch

    from training.mtl.train import load_checkpoint

    image, _ = _sample(sample_scene)
    crop = np.ascontiguousarray(image[None, :, 40:168, 40:168])
    model, _ = load_checkpoint(CHECKPOINT)
    with torch.no_grad():
        expected = model(torch.from_numpy(crop))
    session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    lcz, hse = session.run(["lcz", "hse"], {"image": crop})
    assert np.abs(lcz - expected["lcz"].numpy()).max() < 1e-4
    assert np.abs(hse - expected["hse"].numpy()).max() < 1e-4


def test_engine_maps_the_sample_with_water_low_and_g_over_the_bay(sample_scene: Path, tmp_path: Path):
    out = OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif"))
    map_scene(str(sample_scene), out, model_path=str(MODEL), device="CPU")
    lcz = gdal.Open(out.lcz).ReadAsArray()
    hse = gdal.Open(out.hse).ReadAsArray()
    image, valid = _sample(sample_scene)
    b8 = np.where(valid, image[MODEL_BANDS.index("B8")], 1e9)
    h, w = b8.shape
    water20 = b8[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3)) < 700
    water100 = b8[: h // 10 * 10, : w // 10 * 10].reshape(h // 10, 10, w // 10, 10).max(axis=(1, 3)) < 700
    assert water20.sum() > 200 and water100.sum() > 5
    valid_hse = hse[: water20.shape[0], : water20.shape[1]]
    assert valid_hse[water20].mean() < 0.1
    assert valid_hse[~water20 & (valid_hse >= 0)].mean() > valid_hse[water20].mean() + 0.1
    assert (lcz[: water100.shape[0], : water100.shape[1]][water100] == 17).mean() > 0.8
