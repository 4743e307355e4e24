"""Shared test set-up: the repository root on sys.path (so `import core` works), and paths to shipped data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

SAMPLE_SCENE = REPO_ROOT / "resources" / "sample" / "hongkong_tko_S2L1C_20180323.tif"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_scene() -> Path:
    """The bundled real Sentinel-2 L1C crop (Hong Kong, EPSG:4326, 10 bands with descriptions)."""
    assert SAMPLE_SCENE.exists(), SAMPLE_SCENE
    return SAMPLE_SCENE
