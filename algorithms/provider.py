"""The Processing provider `hselcz`: the mapping algorithm (GeoTIFF outputs only) and two assessments."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core.paths import ICON_PATH
from ..core.products import OUTPUT_EXTENSIONS
from .assess_algorithms import AssessHseAlgorithm, AssessLczAlgorithm
from .export_lcz import ExportLczAlgorithm
from .growth_algorithm import MapGrowthAlgorithm
from .map_algorithm import MapAlgorithm
from .training_areas_algorithm import MapTrainingAreasAlgorithm


class HseLczProvider(QgsProcessingProvider):
    def id(self) -> str:  # noqa: A003 (QGIS API)
        return "hselcz"

    def name(self) -> str:
        return self.tr("HSE & LCZ")

    def longName(self) -> str:  # noqa: N802
        return self.tr("Settlement density and local climate zones from Sentinel-2")

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:  # noqa: N802
        return str(ICON_PATH)

    def loadAlgorithms(self) -> None:  # noqa: N802
        self.addAlgorithm(MapAlgorithm())
        self.addAlgorithm(MapTrainingAreasAlgorithm())
        self.addAlgorithm(MapGrowthAlgorithm())
        self.addAlgorithm(AssessLczAlgorithm())
        self.addAlgorithm(AssessHseAlgorithm())
        self.addAlgorithm(ExportLczAlgorithm())

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: N802
        """The engine writes GeoTIFF only (core.products.OUTPUT_EXTENSIONS): QGIS offers .tif in the output file
        dialogs; MapAlgorithm.checkParameterValues refuses other names, which QGIS 3.22 does not."""
        return list(OUTPUT_EXTENSIONS)

    def defaultRasterFileExtension(self) -> str:  # noqa: N802
        return OUTPUT_EXTENSIONS[0]

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("HseLczProvider", text)
