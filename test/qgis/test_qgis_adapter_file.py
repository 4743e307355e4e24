"""A damaged saved adapter through hselcz:map_training_areas in a real QGIS: one clear error, nothing written
(issue 19)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import processing
import pytest
from qgis.core import QgsProcessingException

from core.adapter import LczAdapter, cell_features


def test_a_damaged_adapter_is_refused_in_qgis_with_the_file_and_the_fault(plugin, sample_scene: Path,
                                                                          tmp_path: Path) -> None:
    scene = shutil.copy(sample_scene, tmp_path / "scene.tif")  # QGIS writes a .aux.xml (statistics) beside its input
    rng = np.random.default_rng(0)
    codes = np.repeat([2, 6, 11], 10)
    probabilities = rng.dirichlet(np.ones(17), len(codes)).astype(np.float32)
    path = LczAdapter.fit(cell_features(probabilities, None), codes, model="m 1").save(tmp_path / "adapter.json")
    data = json.loads(path.read_text())
    data["classes"][-1] = 19  # an edit: a class that does not exist
    path.write_text(json.dumps(data))
    out = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match=rf"The adapter {path} is damaged: 'classes' holds 19, which are "
                                                     r"not LCZ codes 1\.\.17"):
        processing.run("hselcz:map_training_areas", {"INPUT": str(scene), "ADAPTER": str(path),
                                                     "DEVICE": 1, "OUTPUT_LCZ": str(out / "lcz.tif")})
    assert not out.exists()
