"""Render the suspicious training areas of a WUDAPT KML over the bundled sample, for the user guide, to a PNG.

Fits the adapter on the KML's areas (core.training_areas, CPU), finds the suspicious areas (core.suspicious) and
draws, with QGIS's own renderer, two panels: the scene in true colour and the adapted LCZ map (resources/styles/
lcz.qml), each with every training area (thin black outline) and the suspicious ones (red, as the algorithm styles
them); the caption lists why each was flagged.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_suspicious.py \
        --kml test/data/wudapt/tko_training_areas_planted.kml --out docs/images/suspicious_areas.png
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeature,
    QgsFillSymbol,
    QgsGeometry,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPointF, QSize  # noqa: E402
from qgis.PyQt.QtGui import QImage, QPainter  # noqa: E402
from render_map import BACKGROUND, TEXT, font, load_styled, true_colour_layer  # noqa: E402

from core.engine import OutputPaths  # noqa: E402
from core.options import ModelChoice  # noqa: E402
from core.paths import SAMPLE_SCENE  # noqa: E402
from core.styles import LCZ_QML  # noqa: E402
from core.suspicious import suspicious_areas  # noqa: E402
from core.training_areas import map_with_training_areas, parse_classes  # noqa: E402
from core.wudapt import read_training_kml  # noqa: E402

PANEL = 520
MARGIN = 20


def outline_layer(wkbs: list[bytes], colour: str, width: str) -> QgsVectorLayer:
    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:4326", "areas", "memory")
    features = []
    for wkb in wkbs:
        feature = QgsFeature()
        geometry = QgsGeometry()
        geometry.fromWkb(wkb)
        feature.setGeometry(geometry)
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    symbol = QgsFillSymbol.createSimple({"color": "0,0,0,0", "outline_color": colour, "outline_width": width,
                                         "outline_width_unit": "MM"})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    return layer


def render(layers: list, reference, size: QSize) -> QImage:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(reference.crs())
    settings.setExtent(reference.extent())
    settings.setOutputSize(size)
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    QgsMapRendererCustomPainterJob(settings, painter).renderSynchronously()
    painter.end()
    return image


def render_suspicious(kml: Path, out: Path) -> Path:
    areas, _notes = read_training_kml(kml)
    with tempfile.TemporaryDirectory() as folder:
        lcz_path = Path(folder) / "lcz.tif"
        # a copy: QGIS writes a .aux.xml beside a raster it draws, which must not land in resources/
        sample = Path(shutil.copy2(SAMPLE_SCENE, Path(folder) / SAMPLE_SCENE.name))
        result = map_with_training_areas(str(sample), OutputPaths(lcz=str(lcz_path)), training_areas=areas,
                                         model=ModelChoice(device="CPU"))
        flagged = suspicious_areas(areas, parse_classes(areas), result.cells.groups,
                                   result.cross_validation.out_of_fold)
        lcz = load_styled(lcz_path, LCZ_QML, "LCZ")
        scene = true_colour_layer(sample)
        overlays = [outline_layer([a.wkb for a in flagged], "#e31a1c", "0.9"),
                    outline_layer([wkb for wkb, _ in areas.features if wkb], "#000000", "0.3")]
        extent = lcz.extent()
        size = QSize(PANEL, round(PANEL * extent.height() / extent.width()))
        lines = [f"{a.number}: filed under {a.label}; {a.reason}"
                 + (f", looks like {a.predicted_label} ({a.confidence:.2f})" if a.predicted else "")
                 + (f", overlaps {', '.join(map(str, a.overlaps))}" if a.overlaps else "") for a in flagged]
        image = QImage(2 * PANEL + 3 * MARGIN, size.height() + 90 + 20 * len(lines), QImage.Format_ARGB32)
        image.fill(BACKGROUND)
        painter = QPainter(image)
        painter.setPen(TEXT)
        painter.setFont(font(16, bold=True))
        painter.drawText(QPointF(MARGIN, 28), f"Suspicious training areas (red) of {kml.name}")
        for index, (caption, base) in enumerate((("Sentinel-2 true colour", scene), ("Adapted LCZ map", lcz))):
            left = MARGIN + index * (PANEL + MARGIN)
            painter.setFont(font(12, bold=True))
            painter.drawText(QPointF(left, 54), caption)
            painter.drawImage(left, 62, render([*overlays, base], lcz, size))
        painter.setFont(font(12))
        for index, line in enumerate(lines):
            painter.drawText(QPointF(MARGIN, size.height() + 86 + 20 * index), line)
        painter.end()
        lcz = scene = None
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"render_suspicious: cannot write {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kml", type=Path, required=True, help="WUDAPT training areas (.kml/.kmz) over the sample")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QgsApplication([], True)
    app.initQgis()
    try:
        written = render_suspicious(args.kml, args.out)
    finally:
        app.exitQgis()
    print(f"render_suspicious: wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
