"""The bundled default model v3 (models/mtl_resnet20_v3.onnx): its contract, LCZ bit for bit the teacher's through
the engine, the HSE branch equal to its committed PyTorch weights, and what its HSE does on the real sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from osgeo import gdal

from core.engine import OutputPaths, map_scene
from core.model import BUNDLED_MODEL_FILES, DEFAULT_MODEL_PATH, bundled_model_path, load_model
from core.options import ModelChoice
from core.products import HSE_NODATA
from support.data import PISA_CROP
from training.v3.network import MultiTaskResNet20
from training.v3.recipe import SHIPPED_BRANCH, SHIPPED_ONNX
from training.v3.train_hse import load_branch

TEACHER = bundled_model_path(BUNDLED_MODEL_FILES.index("so2sat_resnet20_lcz.onnx"))


def test_v3_is_the_default_and_describes_itself() -> None:
    assert DEFAULT_MODEL_PATH == SHIPPED_ONNX and SHIPPED_ONNX.name in BUNDLED_MODEL_FILES
    contract = load_model(SHIPPED_ONNX, "CPU").contract
    assert contract.kind == "patch" and contract.patch_size == 32 and contract.processing_level == "L1C"
    assert {o.product: o.stride for o in contract.outputs} == {"lcz": 1, "embedding": 1, "hse": 2}
    assert "building-cover fraction" in contract.extra["hse_quantity"]
    assert "Pisa" in contract.training and "derived" in contract.training and "not retrained" in contract.training
    teacher = load_model(TEACHER, "CPU").contract
    assert contract.extra["uncertainty"] == teacher.extra["uncertainty"]  # same LCZ and embedding: same calibration


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory, sample_scene: Path) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("v3")
    runs = {}
    for name, model, hse in (("v3", SHIPPED_ONNX, True), ("teacher", TEACHER, False)):
        paths = OutputPaths(lcz=str(out / f"{name}_lcz.tif"), probabilities=str(out / f"{name}_prob.tif"),
                            hse=str(out / f"{name}_hse.tif") if hse else None)
        runs[name] = map_scene(str(sample_scene), paths, model=ModelChoice(model_path=str(model), device="CPU")).outputs
    return runs


def test_lcz_is_the_teachers_bit_for_bit(maps: dict[str, dict[str, str]]) -> None:
    """Through the whole engine on the real sample: the same classes and the same float32 probabilities."""
    for key in ("lcz", "probabilities"):
        ours, theirs = (gdal.Open(maps[m][key]).ReadAsArray() for m in ("v3", "teacher"))
        np.testing.assert_array_equal(ours, theirs)


def test_hse_is_the_committed_branch(sample_scene: Path) -> None:
    """The ONNX HSE equals the PyTorch network built from training/v3/hse_branch.pt (the shipped seed)."""
    image = gdal.Open(str(sample_scene)).ReadAsArray().astype(np.float32)
    windows = np.stack([image[:, y : y + 32, x : x + 32] for y in range(0, 180, 30) for x in range(0, 180, 30)])
    session = ort.InferenceSession(str(SHIPPED_ONNX), providers=["CPUExecutionProvider"])
    (hse,) = session.run(["hse"], {"image": windows})
    with torch.no_grad():
        _, _, expected = MultiTaskResNet20(load_branch(SHIPPED_BRANCH)).eval()(torch.from_numpy(windows))
    assert np.abs(hse - expected.numpy()).max() < 1e-5 and hse.max() > 0.1


def test_hse_on_the_real_sample(maps: dict[str, dict[str, str]]) -> None:
    """Junk Bay (LCZ G cells of the teacher) holds almost no building cover; the built cells of Tseung Kwan O hold
    clearly more; the layer is a fraction 0..1 with no data only outside the scene."""
    hse = gdal.Open(maps["v3"]["hse"]).ReadAsArray()
    lcz = gdal.Open(maps["v3"]["lcz"]).ReadAsArray()
    assert -(-hse.shape[0] // 5) == lcz.shape[0] and -(-hse.shape[1] // 5) == lcz.shape[1]
    valid = hse != HSE_NODATA
    assert valid.mean() > 0.95 and hse[valid].min() >= 0 and hse[valid].max() <= 1
    cells = np.repeat(np.repeat(lcz, 5, axis=0), 5, axis=1)[: hse.shape[0], : hse.shape[1]]
    water = valid & (cells == 17)
    built = valid & (cells >= 1) & (cells <= 10)
    assert water.sum() > 500 and built.sum() > 500
    assert hse[water].mean() < 0.02 and hse[built].mean() > 5 * hse[water].mean() + 0.05


#: The shipped seed on the crop (measured 2026-12-04, training/v3/experiments): the test allows a small margin.
MEASURED_CROP = {"spearman": 0.924, "auc": 1.0, "mae": 0.034}


def test_hse_against_real_building_cover(tmp_path: Path) -> None:
    """The shipped model on a real crop of a Pisa test block against the official footprints (100 m cells)."""
    from training.distill.rasters import OSCD_BANDS
    from training.v3.features import reference_on_grid
    from training.v3.train_hse import cell_means, pisa_scores

    result = map_scene(str(PISA_CROP / "pisa_S2L1C_20180211_crop.tif"), OutputPaths(
        lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
        model=ModelChoice(bands=OSCD_BANDS, device="CPU"))
    ds = gdal.Open(result.hse)
    hse = ds.ReadAsArray().astype(np.float64)
    gt = ds.GetGeoTransform()
    reference = reference_on_grid(PISA_CROP / "pisa_building_fraction_crop.tif", (gt[0], gt[1] / 2, 0, gt[3], 0,
                                  gt[5] / 2), ds.GetProjection(), ds.RasterXSize * 2, ds.RasterYSize * 2)
    rows, cols = hse.shape[0] // 5, hse.shape[1] // 5
    block = lambda a: a[: rows * 5, : cols * 5].reshape(rows, 5, cols, 5).transpose(0, 2, 1, 3).reshape(-1, 5, 5)  # noqa: E731
    ok = block(hse != HSE_NODATA) & np.isfinite(block(reference))
    scores = pisa_scores(cell_means(block(hse), ok), cell_means(block(reference), ok))
    assert scores["cells"] >= 150
    assert scores["spearman"] >= MEASURED_CROP["spearman"] - 0.05 and scores["auc"] >= MEASURED_CROP["auc"] - 0.03
    assert scores["mae"] <= MEASURED_CROP["mae"] + 0.02
    # Raw MAE against another quantity would say nothing: the scene's means must agree too.
    assert abs(scores["mean_predicted"] - scores["mean_reference"]) < 0.04
