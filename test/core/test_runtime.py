"""Execution providers: `auto` picks the best available one; an explicit device is honoured or refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.options import ModelChoice, RunFeedback
from core.products import META_PROVIDER
from core.runtime import PROVIDER_FOR_DEVICE
from support.engine_fixtures import dense_lcz_expected, info, read, synthetic_dn, write_raster

ACCELERATORS = ("CUDA", "DirectML", "CoreML")  # the order `auto` tries them in, before the CPU


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    dn = synthetic_dn(30, 30, seed=41)
    return write_raster(tmp_path_factory.mktemp("devices") / "s.tif", dn), dn


def test_auto_uses_the_first_available_accelerator_or_the_cpu(tmp_path: Path, dense_model: Path, source) -> None:
    path, dn = source
    available = ort.get_available_providers()
    expected = next((PROVIDER_FOR_DEVICE[d] for d in ACCELERATORS if PROVIDER_FOR_DEVICE[d] in available),
                    "CPUExecutionProvider")
    logs: list[str] = []
    result = map_scene(str(path), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                       model=ModelChoice(model_path=str(dense_model), device="auto"),
                       feedback=RunFeedback(log=logs.append))
    assert result.provider == expected
    assert f"execution provider: {expected}" in logs[0]
    assert read(result.lcz)[0].tolist() == dense_lcz_expected(dn)[1].tolist()
    assert info(result.lcz)["metadata"][""][META_PROVIDER] == expected


def test_explicit_cpu(tmp_path: Path, dense_model: Path, source) -> None:
    path, _ = source
    result = map_scene(str(path), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                       model=ModelChoice(model_path=str(dense_model), device="CPU"))
    assert result.provider == "CPUExecutionProvider"


@pytest.mark.parametrize("device", ACCELERATORS)
def test_missing_accelerator_is_an_error_not_a_fallback(tmp_path: Path, dense_model: Path, source, device: str) -> None:
    if PROVIDER_FOR_DEVICE[device] in ort.get_available_providers():
        pytest.skip(f"this onnxruntime offers {device}")
    path, _ = source
    reports: list[float] = []
    with pytest.raises(EngineError, match=f"The device {device} was requested but this onnxruntime offers only"):
        map_scene(str(path), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                  model=ModelChoice(model_path=str(dense_model), device=device),
                  feedback=RunFeedback(progress=reports.append))
    assert reports == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("device", ["GPU", "cuda-0", ""])
def test_unknown_device(tmp_path: Path, dense_model: Path, source, device: str) -> None:
    path, _ = source
    with pytest.raises(EngineError,
                       match=f"Unknown device '{device}'; choose one of auto, CPU, CUDA, DirectML, CoreML"):
        map_scene(str(path), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                  model=ModelChoice(model_path=str(dense_model), device=device))
    assert list(tmp_path.iterdir()) == []
