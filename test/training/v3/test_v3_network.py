"""Model v3's pieces without a trained model: the PyTorch twin of the teacher, the 20 m alignment of the HSE
branch's input, and the export that grafts a branch onto the teacher's own ONNX graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from osgeo import gdal

from core.paths import SAMPLE_SCENE
from training.so2sat_resnet20.convert import DEFAULT_OUTPUT as TEACHER
from training.v3.network import MARGIN, NEIGHBOURHOOD, HseBranch, HseConfig, MultiTaskResNet20, cell_neighbourhood
from training.v3.resnet20 import So2SatResNet20


@pytest.fixture(scope="module")
def windows() -> np.ndarray:
    """25 real 32 x 32 windows of the bundled Hong Kong sample (10 bands, DN)."""
    image = gdal.Open(str(SAMPLE_SCENE)).ReadAsArray().astype(np.float32)
    return np.stack([image[:, y : y + 32, x : x + 32] for y in range(0, 180, 40) for x in range(0, 180, 40)])


def test_the_pytorch_twin_equals_the_onnx_teacher(windows: np.ndarray) -> None:
    teacher = ort.InferenceSession(str(TEACHER), providers=["CPUExecutionProvider"])
    p_onnx, f_onnx = teacher.run(["lcz", "features"], {"image": windows})
    with torch.no_grad():
        p, f = So2SatResNet20().eval()(torch.from_numpy(windows))
    assert np.abs(p.numpy() - p_onnx).max() < 2e-5 and np.abs(f.numpy() - f_onnx).max() < 1e-4
    np.testing.assert_array_equal(p.numpy().argmax(1), p_onnx.argmax(1))


def test_the_branch_input_is_aligned_to_the_centre_cell() -> None:
    """Stage-1 features holding each pixel's column index: pixel j of the cell's 20 m grid (window columns 11 + 2j
    and 12 + 2j, the engine's centre cell) must read their mean, (23 + 4j) / 2; the margin reads its neighbours."""
    columns = torch.arange(32, dtype=torch.float32).expand(1, 64, 32, 32)
    rows = torch.arange(32, dtype=torch.float32)[:, None].expand(1, 64, 32, 32)
    stage2 = torch.zeros(1, 128, 16, 16)
    out_c = cell_neighbourhood(columns, stage2)[0, 0]
    out_r = cell_neighbourhood(rows, stage2)[0, 0]
    assert out_c.shape == (NEIGHBOURHOOD, NEIGHBOURHOOD)
    for j in range(-MARGIN, 5 + MARGIN):
        assert out_c[0, MARGIN + j] == (23 + 4 * j) / 2 and out_r[MARGIN + j, 0] == (23 + 4 * j) / 2


def test_export_grafts_the_branch_onto_the_teacher(tmp_path: Path, windows: np.ndarray) -> None:
    """LCZ and embedding bit for bit the teacher's; HSE equal to the PyTorch branch; a valid contract."""
    from core.model import load_model
    from training.v3.export import export

    torch.manual_seed(3)
    branch = HseBranch(HseConfig(context=8, floor=0.05)).eval()
    with torch.no_grad():  # untrained BN statistics would make every output alike: give them some spread
        branch.norm.running_var.fill_(4.0)
    path = tmp_path / "branch.pt"
    torch.save({"branch": branch.state_dict(), "config": vars(branch.config), "recipe": {}}, path)
    model_path = export(path, tmp_path / "v3.onnx")
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    lcz, features, hse = session.run(["lcz", "features", "hse"], {"image": windows})
    teacher = ort.InferenceSession(str(TEACHER), providers=["CPUExecutionProvider"])
    t_lcz, t_features = teacher.run(["lcz", "features"], {"image": windows})
    np.testing.assert_array_equal(lcz, t_lcz)
    np.testing.assert_array_equal(features, t_features)
    with torch.no_grad():
        _, _, expected = MultiTaskResNet20(branch).eval()(torch.from_numpy(windows))
    assert hse.shape == (25, 1, 5, 5) and np.abs(hse - expected.numpy()).max() < 1e-5
    assert hse.std() > 1e-3  # the comparison is not between constants
    contract = load_model(model_path, "CPU").contract
    assert contract.kind == "patch" and contract.output_for("hse").stride == 2 and "uncertainty" in contract.extra
