"""The plugin's styles as QGIS draws them: committed QML = generated QML, rendered pixel colours = the
palette, legend entries = the class names; and the demo map renderer (scripts/render_map.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsColorRampLegendNode,
    QgsLayerTree,
    QgsLayerTreeModel,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor, QImage, QPainter

from core import styles
from core.lcz import LCZ_CLASSES
from support.qgis_helpers import REPO_ROOT, plugin_package, scene_copy

BACKGROUND = QColor("#ff00ff")  # in no style: shows where a style draws nothing (nodata, transparent)
CELL_PX = 20
UTM_50N = 32650
SCENE = scene_copy()  # not the file in the repository: QGIS writes a .aux.xml beside its inputs


def write_raster(path: Path, values: np.ndarray, gdal_type: int, nodata: float, cell: float) -> Path:
    """A north-up GeoTIFF in UTM 50N (Hong Kong) with the given cell values."""
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), values.shape[1], values.shape[0], 1, gdal_type)
    dataset.SetGeoTransform([216600.0, cell, 0.0, 2469900.0, 0.0, -cell])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(UTM_50N)
    dataset.SetProjection(srs.ExportToWkt())
    band = dataset.GetRasterBand(1)
    band.WriteArray(values)
    band.SetNoDataValue(nodata)
    dataset = None
    return path


def styled(path: Path, qml: Path) -> QgsRasterLayer:
    layer = QgsRasterLayer(str(path), path.stem, "gdal")
    assert layer.isValid()
    message, ok = layer.loadNamedStyle(str(qml))
    assert ok, message
    return layer


def render(layer: QgsRasterLayer, png: Path, cells_x: int, cells_y: int) -> QImage:
    """Render with QGIS at exactly CELL_PX pixels per cell, save the PNG, return the image."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(cells_x * CELL_PX, cells_y * CELL_PX))
    settings.setBackgroundColor(BACKGROUND)
    image = QImage(settings.outputSize(), QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    job = QgsMapRendererCustomPainterJob(settings, painter)
    job.renderSynchronously()
    painter.end()
    assert image.save(str(png))
    assert png.stat().st_size > 0
    return QImage(str(png))  # check what was written, not what is in memory


def cell_colour(image: QImage, col: int, row: int) -> str:
    return QColor(image.pixel(col * CELL_PX + CELL_PX // 2, row * CELL_PX + CELL_PX // 2)).name()


def legend_nodes(layer: QgsRasterLayer) -> list:
    root = QgsLayerTree()
    node = root.addLayer(layer)
    model = QgsLayerTreeModel(root)
    nodes = model.layerLegendNodes(node)
    return [model, root, nodes]  # model and root own the nodes: keep them alive together


def test_committed_styles_are_generated_from_the_palette():
    """One palette definition: the QML files in git are exactly what core.styles makes from it."""
    assert styles.LCZ_QML.read_text(encoding="utf-8") == styles.lcz_qml()
    assert styles.HSE_QML.read_text(encoding="utf-8") == styles.hse_qml()
    for lcz in LCZ_CLASSES:
        assert f'color="{lcz.color}"' in styles.lcz_qml() and f'label="{lcz.label} {lcz.name}"' in styles.lcz_qml()


def test_lcz_style_renders_palette_colours(qgis_app, tmp_path):
    values = np.arange(18, dtype=np.uint8).reshape(3, 6)  # 0 = nodata, then every class 1..17
    layer = styled(write_raster(tmp_path / "lcz.tif", values, gdal.GDT_Byte, 0, 100.0), styles.LCZ_QML)
    assert layer.renderer().type() == "paletted"
    image = render(layer, tmp_path / "lcz.png", 6, 3)
    by_code = {lcz.code: lcz.color for lcz in LCZ_CLASSES}
    for row in range(3):
        for col in range(6):
            code = int(values[row, col])
            expected = BACKGROUND.name() if code == 0 else by_code[code]
            assert cell_colour(image, col, row) == expected, (code, row, col)

    model, root, nodes = legend_nodes(layer)
    labels = [node.data(Qt.DisplayRole) for node in nodes]
    assert labels[0].startswith("Band 1")  # QGIS heads a raster legend with the band
    assert labels[1:] == [f"{c.label} {c.name}" for c in LCZ_CLASSES]
    del model, root, nodes, layer


def test_hse_style_renders_the_density_ramp(qgis_app, tmp_path):
    values = np.array([[0.0, 0.3, 0.5, 1.0, -1.0]], dtype=np.float32)
    layer = styled(write_raster(tmp_path / "hse.tif", values, gdal.GDT_Float32, -1.0, 20.0), styles.HSE_QML)
    renderer = layer.renderer()
    assert renderer.type() == "singlebandpseudocolor"
    assert (renderer.classificationMin(), renderer.classificationMax()) == (0.0, 1.0)
    image = render(layer, tmp_path / "hse.png", 5, 1)
    stops = {value: color for value, color, _alpha, _label in styles.HSE_RAMP}
    assert cell_colour(image, 0, 0) == BACKGROUND.name()  # 0: transparent, nothing built
    assert cell_colour(image, 1, 0) == stops[0.3]
    assert cell_colour(image, 2, 0) == stops[0.5]
    assert cell_colour(image, 3, 0) == stops[1.0]  # dark red: all buildings
    assert cell_colour(image, 4, 0) == BACKGROUND.name()  # nodata

    model, root, nodes = legend_nodes(layer)
    ramps = [node for node in nodes if isinstance(node, QgsColorRampLegendNode)]
    assert len(ramps) == 1
    assert ramps[0].settings().minimumLabel() == "0 no buildings"
    assert ramps[0].settings().maximumLabel() == "1 all buildings"
    del model, root, nodes, ramps, renderer, layer


@pytest.fixture(scope="module")
def algorithm_output(qgis_processing, tmp_path_factory) -> Path:
    """The LCZ map of the real sample, made by the plugin's algorithm."""
    import processing

    plugin = plugin_package().classFactory(None)
    plugin.initProcessing()
    out = tmp_path_factory.mktemp("render") / "lcz.tif"
    try:
        processing.run("hselcz:map", {"INPUT": str(SCENE), "OUTPUT_LCZ": str(out)})
    finally:
        plugin.unload()
    return out


def test_algorithm_output_renders_in_palette_colours(algorithm_output, tmp_path):
    dataset = gdal.Open(str(algorithm_output))
    values = dataset.GetRasterBand(1).ReadAsArray()
    dataset = None
    layer = styled(algorithm_output, styles.LCZ_QML)
    rows, cols = values.shape
    image = render(layer, tmp_path / "sample_lcz.png", cols, rows)
    by_code = {lcz.code: lcz.color for lcz in LCZ_CLASSES}
    for row in range(rows):
        for col in range(cols):
            code = int(values[row, col])
            expected = BACKGROUND.name() if code == 0 else by_code[code]
            assert cell_colour(image, col, row) == expected, (code, row, col)
    assert len(np.unique(values[values > 0])) >= 2
    del layer


def test_demo_map_renderer(qgis_app, tmp_path):
    """scripts/render_map.py draws LCZ and HSE side by side, with all 17 legend swatches."""
    lcz = write_raster(tmp_path / "lcz.tif", np.arange(1, 19, dtype=np.uint8).reshape(3, 6) % 18, gdal.GDT_Byte,
                       0, 100.0)
    hse = write_raster(tmp_path / "hse.tif", np.linspace(0, 1, 450, dtype=np.float32).reshape(15, 30),
                       gdal.GDT_Float32, -1.0, 20.0)
    png = tmp_path / "map.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "render_map.py"), "--lcz", str(lcz), "--hse", str(hse),
         "--scene", str(SCENE), "--out", str(png)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 3 * 400
    colours: dict[str, int] = {}
    for y in range(0, image.height()):
        for x in range(0, image.width(), 2):
            name = QColor(image.pixel(x, y)).name()
            colours[name] = colours.get(name, 0) + 1
    for lcz_class in LCZ_CLASSES:  # each class appears in the map panel and as a legend swatch
        assert colours.get(lcz_class.color, 0) > 50, lcz_class
    assert colours.get(styles.HSE_RAMP[-1][1], 0) > 10  # the dark end of the density ramp

