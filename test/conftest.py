"""Set-up shared by every test folder (core/, qgis/, training/, bench/, scripts/): the repository root and test/
on sys.path (so `import core` and `import support` work), the shipped data and the tiny contract ONNX models.

Nothing here starts QGIS: its fixtures live in qgis/conftest.py, and `make test-engine` runs the other folders
with QGIS's pytest plugin switched off and qgis/PyQt imports refused (support/no_qgis.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TEST_ROOT = Path(__file__).resolve().parent
for _path in (TEST_ROOT.parent, TEST_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from support.data import REPO_ROOT, SAMPLE_SCENE  # noqa: E402 (after the sys.path entries)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_scene() -> Path:
    """The bundled real Sentinel-2 L1C crop (Hong Kong, EPSG:4326, 10 bands with descriptions)."""
    assert SAMPLE_SCENE.exists(), SAMPLE_SCENE
    return SAMPLE_SCENE


# Tiny contract ONNX models with exactly known outputs, built once per session (support/engine_fixtures.py).

@pytest.fixture(scope="session")
def dense_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pointwise dense model: lcz = (bands * 1e-4, constants) at stride 1, hse = 2x2 mean of B4 at stride 2."""
    from support.engine_fixtures import write_dense_model

    return write_dense_model(tmp_path_factory.mktemp("models") / "dense.onnx")


@pytest.fixture(scope="session")
def patch_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Patch model (16 x 16 windows): lcz = (window mean of each band * 1e-4, constants)."""
    from support.engine_fixtures import write_patch_model

    return write_patch_model(tmp_path_factory.mktemp("models") / "patch.onnx")


@pytest.fixture()
def collect_gdal_garbage():
    """Collect reference cycles after a test, so no GDAL dataset outlives QGIS's exitQgis() (pytest-qgis).

    A caught EngineError from open_scene keeps the engine's GDAL datasets alive in a cycle (exception ->
    traceback -> test frame); freed only at interpreter exit, after exitQgis(), they crash the process.
    test/core/test_engine_outputs.py::test_a_failed_run_closes_the_input documents the engine side of this.
    """
    yield
    import gc

    gc.collect()
