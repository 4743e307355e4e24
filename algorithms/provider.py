"""The Processing provider `hselcz`: nine algorithms, each in a file named after it.

hselcz:map (map.py), hselcz:map_training_areas (map_training_areas.py) and hselcz:map_growth (map_growth.py) run a
model over Sentinel-2 scenes and write GeoTIFF only; hselcz:assess_lcz (assess_lcz.py) and hselcz:assess_hse
(assess_hse.py) score a map against a reference; hselcz:export_lcz (export_lcz.py) writes an LCZ map for UMEP,
w2w and Google Earth; hselcz:district_summary (district_summary.py) summarises the maps by polygon;
hselcz:install_dependencies (install_dependencies.py) and hselcz:diagnostics (diagnostics.py) install and check
onnxruntime. What they share is in base.py, mapping.py and assessing.py.
"""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core.paths import ICON_PATH
from ..core.products import OUTPUT_EXTENSIONS
from .assess_hse import AssessHseAlgorithm
from .assess_lcz import AssessLczAlgorithm
from .diagnostics import DiagnosticsAlgorithm
from .district_summary import DistrictSummaryAlgorithm
from .export_lcz import ExportLczAlgorithm
from .install_dependencies import InstallDependenciesAlgorithm
from .map import MapAlgorithm
from .map_growth import MapGrowthAlgorithm
from .map_training_areas import MapTrainingAreasAlgorithm


class HseLczProvider(QgsProcessingProvider):
    """Registers the algorithms; QGIS asks it which raster formats their outputs may take."""

    ALGORITHMS = (MapAlgorithm, MapTrainingAreasAlgorithm, MapGrowthAlgorithm, AssessLczAlgorithm, AssessHseAlgorithm,
                  ExportLczAlgorithm, DistrictSummaryAlgorithm, InstallDependenciesAlgorithm, DiagnosticsAlgorithm)

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
        for algorithm in self.ALGORITHMS:
            self.addAlgorithm(algorithm())

    def supportedOutputRasterLayerExtensions(self) -> list[str]:  # noqa: N802
        """The engine writes GeoTIFF only (core.products.OUTPUT_EXTENSIONS): QGIS offers .tif in the output file
        dialogs; HseLczAlgorithm.checkParameterValues (base.py) refuses other names, which QGIS 3.22 does not."""
        return list(OUTPUT_EXTENSIONS)

    def defaultRasterFileExtension(self) -> str:  # noqa: N802
        return OUTPUT_EXTENSIONS[0]

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("HseLczProvider", text)
