"""Render settlement growth between two dates to a PNG: both scenes in true colour and the new built-up layer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_growth.py --earlier A.tif --later B.tif \
        --new-built new.tif [--bands B2,B3,...] --out growth.png

The scenes are shown on the grid of the new built-up layer (QGIS reprojects them on the fly); a scene without band
descriptions is named with --bands (raster band order) through an in-memory VRT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from osgeo import gdal  # noqa: E402
from qgis.core import QgsApplication  # noqa: E402
from qgis.PyQt.QtCore import QPointF, QRectF, QSize, Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QImage, QPainter, QPen  # noqa: E402

from core.styles import NEW_BUILT_CLASSES, NEW_BUILT_QML  # noqa: E402
from scripts.render_map import (  # noqa: E402
    BACKGROUND,
    FRAME,
    MARGIN,
    MUTED,
    PANEL_WIDTH,
    TEXT,
    font,
    load_styled,
    render_layer,
    true_colour_layer,
)


def named(path: Path, bands: str | None, folder: Path) -> Path:
    """The scene itself, or a VRT of it whose bands carry the names given in `bands`."""
    if not bands:
        return path
    target = folder / f"{path.stem}.vrt"
    vrt = gdal.Translate(str(target), str(path), format="VRT")
    for index, name in enumerate(bands.split(","), start=1):
        if name != "-" and index <= vrt.RasterCount:
            vrt.GetRasterBand(index).SetDescription(name)
    vrt = None
    return target


def render(earlier: Path, later: Path, new_built: Path, out: Path, title: str, bands: str | None) -> Path:
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    reference = load_styled(new_built, NEW_BUILT_QML, "New built-up")
    panels = [(f"Earlier: {earlier.name.split('_')[2] if earlier.name.count('_') > 2 else earlier.name}",
               true_colour_layer(named(earlier, bands, folder))),
              (f"Later: {later.name.split('_')[2] if later.name.count('_') > 2 else later.name}",
               true_colour_layer(named(later, bands, folder))),
              ("New built-up (red) and lost (blue) over the later scene", None)]
    extent = reference.extent()
    height = max(1, round(PANEL_WIDTH * extent.height() / extent.width()))
    size = QSize(PANEL_WIDTH, height)
    image = QImage(MARGIN + 3 * (PANEL_WIDTH + MARGIN), 64 + MARGIN + 30 + height + 2 * MARGIN + 30,
                   QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(TEXT)
    painter.setFont(font(22, bold=True))
    painter.drawText(QPointF(MARGIN, 34), title)
    top = 64 + MARGIN
    for number, (caption, layer) in enumerate(panels):
        left = MARGIN + number * (PANEL_WIDTH + MARGIN)
        if layer is not None:
            painter.drawImage(left, top + 30, render_layer(layer, reference, size))
        else:
            painter.drawImage(left, top + 30, render_layer(panels[1][1], reference, size))
            painter.drawImage(left, top + 30, _transparent(render_layer(reference, reference, size)))
        painter.setPen(QPen(FRAME, 1))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(QRectF(left - 0.5, top + 29.5, PANEL_WIDTH + 1, height + 1))
        painter.setPen(TEXT)
        painter.setFont(font(14, bold=True))
        painter.drawText(QPointF(left, top + 20), caption)
    painter.setFont(font(12))
    painter.setPen(MUTED)
    legend = ", ".join(label for value, _c, _a, label in NEW_BUILT_CLASSES if value)
    painter.drawText(QPointF(MARGIN, top + 30 + height + 24),
                     f"{legend}: density below 0.2 before and at least 0.5 after, or the other way round "
                     "(core.growth).")
    painter.end()
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"render_growth: cannot write {out}")
    return out


def _transparent(image: QImage) -> QImage:
    """White (the background of an empty render) made transparent, so the scene shows under the change."""
    image = image.convertToFormat(QImage.Format_ARGB32)
    white = QColor(BACKGROUND).rgb()
    for y in range(image.height()):
        for x in range(image.width()):
            if image.pixel(x, y) == white:
                image.setPixelColor(x, y, QColor(0, 0, 0, 0))
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earlier", type=Path, required=True)
    parser.add_argument("--later", type=Path, required=True)
    parser.add_argument("--new-built", type=Path, required=True)
    parser.add_argument("--bands")
    parser.add_argument("--title", default="Settlement growth")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    app = QgsApplication([], True)
    app.initQgis()
    try:
        written = render(args.earlier, args.later, args.new_built, args.out, args.title, args.bands)
        print(f"render_growth: wrote {written}")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
