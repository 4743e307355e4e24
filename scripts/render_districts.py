"""Render a district summary (hselcz:district_summary's output layer) beside the LCZ map it summarises, to a PNG.

Panels: the LCZ map (resources/styles/lcz.qml) with the districts' outlines; the districts coloured by their
dominant LCZ (as the algorithm styles its output), each labelled with its HSE-weighted built-up area in km2 and
greyed where the map covers less than half of it. Rendering is QGIS's own.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_districts.py --lcz lcz.tif \
        --districts districts.gpkg --out districts.png [--title ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateTransform,
    QgsFillSymbol,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsProject,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QImage, QPainter, QPen  # noqa: E402

from core.lcz import LCZ_CLASSES  # noqa: E402
from core.styles import LCZ_QML  # noqa: E402
from scripts.render_map import (  # noqa: E402
    BACKGROUND,
    CAPTION_HEIGHT,
    FRAME,
    LEGEND_WIDTH,
    MARGIN,
    MUTED,
    PANEL_WIDTH,
    ROW,
    TEXT,
    TITLE_HEIGHT,
    class_shares,
    draw_lcz_legend,
    font,
    load_styled,
)


def _render(layers: list, reference, extent, size: QSize) -> QImage:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(reference.crs())
    settings.setExtent(extent)
    settings.setOutputSize(size)
    settings.setBackgroundColor(BACKGROUND)
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    QgsMapRendererCustomPainterJob(settings, painter).renderSynchronously()
    painter.end()
    return image


def _outlines(path: Path) -> QgsVectorLayer:
    layer = QgsVectorLayer(str(path), "districts", "ogr")
    if not layer.isValid():
        raise SystemExit(f"render_districts: cannot open {path}")
    layer.renderer().setSymbol(QgsFillSymbol.createSimple({"style": "no", "outline_color": "#202020",
                                                           "outline_width": "0.4"}))
    return layer


def _by_dominant(path: Path) -> QgsVectorLayer:
    """Filled by the dominant class with the LCZ palette (what the algorithm applies to its loaded output)."""
    layer = QgsVectorLayer(str(path), "districts", "ogr")
    categories = [QgsRendererCategory(lcz.label, QgsFillSymbol.createSimple(
        {"color": lcz.color, "outline_color": "#202020", "outline_width": "0.3"}), lcz.legend_text)
        for lcz in LCZ_CLASSES]
    layer.setRenderer(QgsCategorizedSymbolRenderer("dominant", categories))
    return layer


def _labels(painter: QPainter, layer: QgsVectorLayer, reference, extent, left: int, top: int, size: QSize) -> None:
    """built_km2 at each district's centre (in the map's CRS); grey and in brackets where valid_frac < 0.5."""
    transform = QgsCoordinateTransform(layer.crs(), reference.crs(), QgsProject.instance())
    for feature in layer.getFeatures():
        built, valid = feature["built_km2"], feature["valid_frac"]
        if built is None or valid is None or not isinstance(built, float):
            continue
        centre = transform.transform(feature.geometry().centroid().asPoint())
        x = left + (centre.x() - extent.xMinimum()) / extent.width() * size.width()
        y = top + (extent.yMaximum() - centre.y()) / extent.height() * size.height()
        if not (left <= x <= left + size.width() and top <= y <= top + size.height()):
            continue
        text = f"{built:.2f}" if valid >= 0.5 else f"({built:.2f})"
        painter.setFont(font(12, bold=valid >= 0.5))
        box = QRectF(x - 30, y - 9, 60, 18)
        painter.setPen(QColor("#ffffff"))
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            painter.drawText(box.translated(dx, dy), Qt.AlignCenter, text)
        painter.setPen(TEXT if valid >= 0.5 else MUTED)
        painter.drawText(box, Qt.AlignCenter, text)


def render_districts(lcz_path: Path, districts_path: Path, out_path: Path, title: str | None = None) -> Path:
    lcz = load_styled(lcz_path, LCZ_QML, "Local climate zones")
    outlines, filled = _outlines(districts_path), _by_dominant(districts_path)
    extent = lcz.extent()  # the map and the districts, whole
    extent.combineExtentWith(QgsCoordinateTransform(outlines.crs(), lcz.crs(), QgsProject.instance())
                             .transformBoundingBox(outlines.extent()))
    size = QSize(PANEL_WIDTH, max(1, round(PANEL_WIDTH * extent.height() / extent.width())))
    legend_height = 44 + ROW * len(LCZ_CLASSES) + 60
    width = MARGIN + 2 * (PANEL_WIDTH + MARGIN) + LEGEND_WIDTH
    height = TITLE_HEIGHT + max(size.height() + CAPTION_HEIGHT, legend_height) + 2 * MARGIN
    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.TextAntialiasing)
    painter.setPen(TEXT)
    painter.setFont(font(22, bold=True))
    painter.drawText(QPointF(MARGIN, 34), title or "District summaries")
    painter.setFont(font(13))
    painter.setPen(MUTED)
    painter.drawText(QPointF(MARGIN, 56), f"{districts_path.name} over {lcz_path.name}  |  {lcz.crs().authid()}")
    top = TITLE_HEIGHT + MARGIN
    panels = (("LCZ map and the districts", [outlines, lcz]),
              ("Dominant LCZ; label: built-up km2 (HSE-weighted)", [filled]))
    for number, (caption, layers) in enumerate(panels):
        left = MARGIN + number * (PANEL_WIDTH + MARGIN)
        painter.drawImage(left, top + CAPTION_HEIGHT, _render(layers, lcz, extent, size))
        if number == 1:
            _labels(painter, filled, lcz, extent, left, top + CAPTION_HEIGHT, size)
        painter.setPen(QPen(FRAME, 1))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(QRectF(left - 0.5, top + CAPTION_HEIGHT - 0.5, PANEL_WIDTH + 1, size.height() + 1))
        painter.setPen(TEXT)
        painter.setFont(font(14, bold=True))
        painter.drawText(QPointF(left, top + 20), caption)
    legend_left = MARGIN + 2 * (PANEL_WIDTH + MARGIN)
    y = draw_lcz_legend(painter, legend_left, top, class_shares(lcz_path))
    painter.setFont(font(12))
    painter.setPen(MUTED)
    painter.drawText(QRectF(legend_left, y + 10, LEGEND_WIDTH - 24, 60), Qt.TextWordWrap,
                     "(label): the map covers less than half of the district (valid_frac < 0.5)")
    painter.end()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out_path), "PNG"):
        raise SystemExit(f"render_districts: cannot write {out_path}")
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lcz", type=Path, required=True, help="the LCZ GeoTIFF that was summarised")
    parser.add_argument("--districts", type=Path, required=True, help="hselcz:district_summary's output layer")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--title")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QgsApplication([], True)
    app.initQgis()
    try:
        render_districts(args.lcz, args.districts, args.out, args.title)
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
