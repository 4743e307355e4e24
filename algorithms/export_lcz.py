"""hselcz:export_lcz: an LCZ map in the layouts UMEP, w2w (WRF) and Google Earth read (core.export).

Thin: parameters to core.export.export_lcz, EngineError to QgsProcessingException. The one thing core cannot do,
drawing the KMZ's on-screen legend with text, is done here with Qt (QGIS always has it).
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
from qgis.PyQt.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

from ..core.lcz import LCZ_CLASSES
from ..core.paths import STYLES_DIR
from .base import HseLczAlgorithm


def legend_png(title: str) -> bytes:
    """The 17 classes with their colours and names, as a PNG for the KMZ's screen overlay."""
    font = QFont()
    font.setPixelSize(13)
    metrics = QFontMetrics(font)
    row, swatch, pad = 18, 14, 8
    width = pad * 3 + swatch + max(metrics.horizontalAdvance(c.legend_text) for c in LCZ_CLASSES)
    width = max(width, metrics.horizontalAdvance(title) + 2 * pad)
    height = pad * 2 + row * (len(LCZ_CLASSES) + 1)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(255, 255, 255, 230))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(QRect(pad, pad, width - 2 * pad, row), Qt.AlignmentFlag.AlignVCenter, title)
    for index, lcz in enumerate(LCZ_CLASSES, start=1):
        top = pad + index * row
        painter.fillRect(pad, top + 2, swatch, swatch, QColor(*lcz.rgb))
        painter.drawText(QRect(2 * pad + swatch, top, width, row), Qt.AlignmentFlag.AlignVCenter, lcz.legend_text)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


class ExportLczAlgorithm(HseLczAlgorithm):
    """Write an LCZ map (and its filtered map) for UMEP, for w2w/WRF and as a KMZ."""

    INPUT = "INPUT"
    FILTERED = "FILTERED"
    OUTPUT_UMEP = "OUTPUT_UMEP"
    OUTPUT_W2W = "OUTPUT_W2W"
    OUTPUT_KMZ = "OUTPUT_KMZ"
    GEOTIFF_OUTPUTS = (OUTPUT_UMEP, OUTPUT_W2W)
    GDAL_INPUTS = (INPUT, FILTERED)


    def name(self) -> str:
        return "export_lcz"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Export an LCZ map for UMEP, w2w/WRF and Google Earth")

    def group(self) -> str:
        return self.tr("Export")

    def groupId(self) -> str:  # noqa: N802
        return "export"

    def tags(self) -> list[str]:
        return self.tr("lcz,local climate zones,umep,w2w,wrf,kmz,google earth,export").split(",")


    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Writes an LCZ map (codes 1-17, e.g. the output <i>Local climate zones</i> of the mapping algorithm) "
            "in the layouts the next tools read. Each output is optional; give at least one.</p>"
            "<ul><li><b>UMEP</b>: the map on its own grid, built types 1-10 as they are and the natural types A-G as "
            "101-107, no data 0, as UMEP's LCZ Converter counts them.</li>"
            "<li><b>w2w / WRF</b>: the map in WGS 84 (EPSG:4326), codes 1-17, nearest neighbour, no data 0. Band 1 "
            "'lcz' is the raw map; with a <i>filtered LCZ map</i>, band 2 'lczFilter' is the filtered one, and w2w "
            "uses band 2 by itself, as it does for the LCZ Generator's maps.</li>"
            "<li><b>KMZ</b>: the map in the LCZ colours for Google Earth (the filtered map shown first when given), "
            "with a legend of the 17 classes.</li></ul>"
            "<p>The filtered map must come from the same run (same grid). Nothing is written unless every output "
            "could be written.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("LCZ map (codes 1-17)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.FILTERED, self.tr("Filtered LCZ map of the same run (optional)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_UMEP, self.tr("LCZ map for UMEP (1-10, 101-107)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_W2W, self.tr("LCZ map for w2w/WRF (EPSG:4326)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_KMZ, self.tr("LCZ map as KMZ (Google Earth)"), self.tr("KMZ files (*.kmz)"), optional=True,
            createByDefault=False))

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..core.export import ExportPaths, export_lcz

        source = self.gdal_layer(parameters, self.INPUT, context).source()
        filtered_layer = self.parameterAsRasterLayer(parameters, self.FILTERED, context)
        if filtered_layer is not None:
            self.check_gdal_layer(filtered_layer)
        filtered = filtered_layer.source() if filtered_layer is not None else None
        paths = ExportPaths(
            umep=self.parameterAsOutputLayer(parameters, self.OUTPUT_UMEP, context) or None,
            w2w=self.parameterAsOutputLayer(parameters, self.OUTPUT_W2W, context) or None,
            kmz=self.parameterAsFileOutput(parameters, self.OUTPUT_KMZ, context) or None,
        )
        legend = legend_png(self.tr("Local climate zones")) if paths.kmz else None
        written = self.run_engine(export_lcz, source, paths, filtered=filtered, legend_png=legend, feedback=feedback)
        self._style_on_load(context, written.get("w2w"), self.tr("LCZ map for w2w/WRF (EPSG:4326)"),
                            STYLES_DIR / "lcz.qml")
        return {self.OUTPUT_UMEP: written.get("umep"), self.OUTPUT_W2W: written.get("w2w"),
                self.OUTPUT_KMZ: written.get("kmz")}
