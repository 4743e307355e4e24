"""hselcz:map_growth inside a real QGIS on the two real Hong Kong dates: outputs, areas, styled layers."""

from __future__ import annotations

from pathlib import Path

import processing
import pytest
from qgis.core import QgsPalettedRasterRenderer, QgsProcessingException, QgsProject

from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS, HK_DATA

DATA, EARLIER, LATER, BANDS = HK_DATA, HK_2016, HK_2018, HK_BANDS
pytestmark = pytest.mark.skipif(not EARLIER.is_file(), reason=f"the shared real data ({DATA}) is not here")


def test_growth_layers_and_areas(plugin, tmp_path) -> None:
    project = QgsProject.instance()
    project.removeAllMapLayers()
    try:
        results = processing.runAndLoadResults("hselcz:map_growth", {
            "EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS,
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"), "OUTPUT_NEW_BUILT": str(tmp_path / "new.tif")})
        layers = {layer.name(): layer for layer in project.mapLayers().values()}
        made_by = f"{EARLIER.stem} to {LATER.stem} (multi-task v3)"  # named after what made them
        assert set(layers) == {f"Settlement density change: {made_by}", f"New built-up: {made_by}"}
        assert layers[f"Settlement density change: {made_by}"].renderer().type() == "singlebandpseudocolor"
        assert isinstance(layers[f"New built-up: {made_by}"].renderer(), QgsPalettedRasterRenderer)
    finally:
        project.removeAllMapLayers()
    assert Path(results["OUTPUT_CHANGE"]) == tmp_path / "change.tif"
    assert 0 <= results["GROWTH_KM2"] < results["COMPARED_KM2"] and results["LOSS_KM2"] >= 0


def test_the_lcz_only_model_is_refused(plugin, tmp_path) -> None:
    with pytest.raises(QgsProcessingException):
        processing.run("hselcz:map_growth", {"EARLIER": str(EARLIER), "LATER": str(LATER), "BANDS": BANDS,
                                             "BUNDLED_MODEL": 0, "OUTPUT_CHANGE": str(tmp_path / "change.tif")})
    assert list(tmp_path.iterdir()) == []
