"""Render the demo map: the styled outputs of hselcz:map side by side, with legend and title, to a PNG.

Panels (left to right): the Sentinel-2 scene in true colour (when --scene is given), the local climate
zones with resources/styles/lcz.qml, and settlement density with resources/styles/hse.qml (when --hse is
given). All panels share the CRS and extent of the LCZ layer. The legend lists all 17 LCZ classes with
their colour, label and name, and the share of the mapped area for the classes that occur; classes that
do not occur are greyed. Rendering is QGIS's own (QgsMapRendererCustomPainterJob), so the PNG shows
what a QGIS user sees with the plugin's styles.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_map.py --lcz demo_output/lcz.tif \
        [--hse demo_output/hse.tif] [--scene resources/sample/...tif] --out demo_output/map.png
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsContrastEnhancement,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsMultiBandColorRenderer,
    QgsRasterLayer,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen  # noqa: E402

from core.lcz import LCZ_CLASSES, LCZ_NODATA  # noqa: E402
from core.products import META_MODEL, META_SOURCE  # noqa: E402
from core.styles import HSE_LEGEND_TITLE, HSE_QML, HSE_RAMP, LCZ_QML  # noqa: E402

PANEL_WIDTH = 460
MARGIN = 24
TITLE_HEIGHT = 64
CAPTION_HEIGHT = 30
LEGEND_WIDTH = 300
SWATCH = 16
ROW = 22
BACKGROUND = QColor("#ffffff")
TEXT = QColor("#202020")
MUTED = QColor("#9a9a9a")
FRAME = QColor("#505050")
TRUE_COLOUR_BANDS = ("B4", "B3", "B2")


@dataclass
class Panel:
    caption: str
    layer: QgsRasterLayer


def load_styled(path: Path, qml: Path, name: str) -> QgsRasterLayer:
    layer = QgsRasterLayer(str(path), name, "gdal")
    if not layer.isValid():
        raise SystemExit(f"render_map: cannot open {path}")
    message, ok = layer.loadNamedStyle(str(qml))
    if not ok:
        raise SystemExit(f"render_map: cannot apply {qml}: {message}")
    return layer


def band_index(dataset: gdal.Dataset, name: str) -> int | None:
    for index in range(1, dataset.RasterCount + 1):
        if dataset.GetRasterBand(index).GetDescription().strip().upper() == name:
            return index
    return None


def true_colour_layer(path: Path) -> QgsRasterLayer | None:
    """The scene as B4/B3/B2 with a 2-98 % stretch, or None when its bands are not named."""
    dataset = gdal.Open(str(path))
    indices = [band_index(dataset, name) for name in TRUE_COLOUR_BANDS]
    if None in indices:
        return None
    layer = QgsRasterLayer(str(path), "Sentinel-2", "gdal")
    renderer = QgsMultiBandColorRenderer(layer.dataProvider(), *indices)
    for setter, index in zip(
        (renderer.setRedContrastEnhancement, renderer.setGreenContrastEnhancement, renderer.setBlueContrastEnhancement),
        indices,
        strict=True,
    ):
        values = dataset.GetRasterBand(index).ReadAsArray().astype("float64")
        values = values[values > 0]
        low, high = np.percentile(values, [2, 98]) if values.size else (0.0, 1.0)
        enhancement = QgsContrastEnhancement(layer.dataProvider().dataType(index))
        enhancement.setContrastEnhancementAlgorithm(QgsContrastEnhancement.StretchToMinimumMaximum)
        enhancement.setMinimumValue(float(low))
        enhancement.setMaximumValue(float(high))
        setter(enhancement)
    layer.setRenderer(renderer)
    return layer


def render_layer(layer: QgsRasterLayer, reference: QgsRasterLayer, size: QSize) -> QImage:
    """Render one layer with QGIS onto an image, in the CRS and extent of `reference`."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(reference.crs())
    settings.setExtent(reference.extent())
    settings.setOutputSize(size)
    settings.setBackgroundColor(BACKGROUND)
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    job = QgsMapRendererCustomPainterJob(settings, painter)
    job.renderSynchronously()
    painter.end()
    return image


def class_shares(path: Path) -> dict[int, float]:
    """Share of the mapped (non-nodata) cells per LCZ code."""
    dataset = gdal.Open(str(path))  # keep the dataset alive while its band is read (GDAL < 3.8 crashes otherwise)
    values = dataset.GetRasterBand(1).ReadAsArray()
    dataset = None
    valid = values[values != LCZ_NODATA]
    if not valid.size:
        return {}
    codes, counts = np.unique(valid, return_counts=True)
    return {int(code): count / valid.size for code, count in zip(codes, counts, strict=True)}


def font(size: int, bold: bool = False) -> QFont:
    result = QFont("DejaVu Sans")
    result.setPixelSize(size)
    result.setBold(bold)
    return result


def draw_lcz_legend(painter: QPainter, left: int, top: int, shares: dict[int, float]) -> int:
    painter.setFont(font(15, bold=True))
    painter.setPen(TEXT)
    painter.drawText(QPointF(left, top + 15), "Local climate zones")
    painter.setFont(font(11))
    painter.setPen(MUTED)
    painter.drawText(QPointF(left, top + 32), "share of mapped area; grey: not in this map")
    y = top + 44
    for lcz in LCZ_CLASSES:
        share = shares.get(lcz.code, 0.0)
        painter.setPen(QPen(FRAME, 1))
        painter.setBrush(QColor(lcz.color))
        painter.drawRect(QRectF(left, y, SWATCH, SWATCH))
        painter.setPen(TEXT if share else MUTED)
        painter.setFont(font(13, bold=bool(share)))
        painter.drawText(QPointF(left + SWATCH + 8, y + 13), f"{lcz.label:>2}  {lcz.name}")
        if share:
            painter.setFont(font(12))
            painter.drawText(QRectF(left, y, LEGEND_WIDTH - 24, SWATCH), Qt.AlignRight | Qt.AlignVCenter,
                             f"{100 * share:.0f} %" if share >= 0.005 else "<1 %")
        y += ROW
    return y


def draw_hse_legend(painter: QPainter, left: int, top: int) -> int:
    painter.setFont(font(15, bold=True))
    painter.setPen(TEXT)
    painter.drawText(QPointF(left, top + 15), HSE_LEGEND_TITLE)
    bar = QRectF(left, top + 26, LEGEND_WIDTH - 40, 16)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for value, color, alpha, _label in HSE_RAMP:
        stop = QColor(color)
        stop.setAlpha(alpha)
        gradient.setColorAt(value, stop)
    painter.setPen(QPen(FRAME, 1))
    painter.setBrush(gradient)
    painter.drawRect(bar)
    painter.setFont(font(12))
    painter.setPen(TEXT)
    painter.drawText(QPointF(bar.left(), bar.bottom() + 16), HSE_RAMP[0][3])
    painter.drawText(QRectF(bar.left(), bar.bottom() + 3, bar.width(), 18), Qt.AlignRight, HSE_RAMP[-1][3])
    return int(bar.bottom()) + 28


def render_map(lcz_path: Path, out_path: Path, hse_path: Path | None = None, scene_path: Path | None = None,
               title: str | None = None) -> Path:
    lcz = load_styled(lcz_path, LCZ_QML, "Local climate zones")
    panels: list[Panel] = []
    if scene_path is not None:
        scene = true_colour_layer(scene_path)
        if scene is not None:
            panels.append(Panel("Sentinel-2 true colour (B4, B3, B2)", scene))
    panels.append(Panel("Local climate zones (100 m)", lcz))
    if hse_path is not None:
        panels.append(Panel("Settlement density (20 m)", load_styled(hse_path, HSE_QML, "Settlement density (HSE)")))

    extent: QgsRectangle = lcz.extent()
    panel_height = max(1, round(PANEL_WIDTH * extent.height() / extent.width()))
    size = QSize(PANEL_WIDTH, panel_height)
    shares = class_shares(lcz_path)
    legend_height = 44 + ROW * len(LCZ_CLASSES) + 90
    width = MARGIN + len(panels) * (PANEL_WIDTH + MARGIN) + LEGEND_WIDTH
    height = TITLE_HEIGHT + max(panel_height + CAPTION_HEIGHT, legend_height) + 2 * MARGIN

    metadata = gdal.Open(str(lcz_path)).GetMetadata()
    model = metadata.get(META_MODEL, "")
    source = Path(metadata.get(META_SOURCE, str(scene_path or lcz_path))).name
    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.TextAntialiasing)
    painter.setPen(TEXT)
    painter.setFont(font(22, bold=True))
    default_title = "Local climate zones and settlement density" if hse_path is not None else "Local climate zones"
    painter.drawText(QPointF(MARGIN, 34), title or default_title)
    painter.setFont(font(13))
    painter.setPen(MUTED)
    subtitle = f"{source}  |  model: {model or 'unknown'}  |  {lcz.crs().authid()}"
    painter.drawText(QPointF(MARGIN, 56), subtitle)

    top = TITLE_HEIGHT + MARGIN
    for number, panel in enumerate(panels):
        left = MARGIN + number * (PANEL_WIDTH + MARGIN)
        painter.drawImage(left, top + CAPTION_HEIGHT, render_layer(panel.layer, lcz, size))
        painter.setPen(QPen(FRAME, 1))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(QRectF(left - 0.5, top + CAPTION_HEIGHT - 0.5, PANEL_WIDTH + 1, panel_height + 1))
        painter.setPen(TEXT)
        painter.setFont(font(14, bold=True))
        painter.drawText(QPointF(left, top + 20), panel.caption)

    legend_left = MARGIN + len(panels) * (PANEL_WIDTH + MARGIN)
    y = draw_lcz_legend(painter, legend_left, top, shares)
    if hse_path is not None:
        draw_hse_legend(painter, legend_left, y + 14)
    else:
        painter.setFont(font(12))
        painter.setPen(MUTED)
        painter.drawText(QRectF(legend_left, y + 10, LEGEND_WIDTH - 24, 40), Qt.TextWordWrap,
                         "No settlement density panel: the model has no HSE output.")
    painter.end()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out_path), "PNG"):
        raise SystemExit(f"render_map: cannot write {out_path}")
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lcz", type=Path, required=True, help="LCZ GeoTIFF written by hselcz:map")
    parser.add_argument("--hse", type=Path, help="HSE GeoTIFF (omit when the model has no HSE output)")
    parser.add_argument("--scene", type=Path, help="the Sentinel-2 input, shown in true colour")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--title")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QgsApplication([], True)
    app.initQgis()
    try:
        written = render_map(args.lcz, args.out, args.hse, args.scene, args.title)
    finally:
        app.exitQgis()
    print(f"render_map: wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
