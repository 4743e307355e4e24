"""scripts/render_suspicious.py, the user guide's picture of suspicious training areas, as a headless subprocess:
it writes a PNG whose red outlines are where the planted faults are."""

from __future__ import annotations

import os
import subprocess
import sys

from qgis.PyQt.QtGui import QImage

from support.data import TEST_DATA
from support.qgis_helpers import REPO_ROOT


def test_the_picture_of_the_planted_faults_is_drawn(tmp_path) -> None:
    out = tmp_path / "suspicious.png"
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "render_suspicious.py"), "--kml",
         str(TEST_DATA / "wudapt" / "tko_training_areas_planted.kml"), "--out", str(out)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert completed.returncode == 0, completed.stderr
    image = QImage(str(out))
    assert image.width() > 1000
    red = sum(1 for x in range(0, image.width(), 2) for y in range(60, image.height() - 100, 2)
              if image.pixelColor(x, y).name() == "#e31a1c")
    assert red > 50, red  # the red outlines of the suspicious areas
    assert not list((REPO_ROOT / "resources" / "sample").glob("*.aux.xml"))  # drawn from a copy
