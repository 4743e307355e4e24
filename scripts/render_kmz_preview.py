"""Render the KMZ that hselcz:export_lcz writes as Google Earth lays it out: the map overlay, the legend on screen.

The KMZ is written by core.export with the legend the algorithm draws (algorithms/export_lcz.py, Qt), then read
back from the archive: its first GroundOverlay PNG, enlarged without smoothing, and legend.png (beside it here;
Google Earth shows it over the map's top left corner). For the user guide's picture (docs/images/kmz_preview.png).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_kmz_preview.py --lcz lcz.tif \
        [--filtered lcz_filtered.tif] --out docs/images/kmz_preview.png
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from osgeo import gdal  # noqa: E402
from qgis.core import QgsApplication  # noqa: E402
from qgis.PyQt.QtCore import Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QImage, QPainter  # noqa: E402

from core.export import ExportPaths, export_lcz  # noqa: E402


def _plugin_module(folder: Path):
    """algorithms.export_lcz imported as part of the plugin package (its imports are relative)."""
    (folder / "hselcz").symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, str(folder))
    return importlib.import_module("hselcz.algorithms.export_lcz")


def render(lcz: Path, filtered: Path | None, out: Path, scale: int = 8) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        module = _plugin_module(Path(tmp))
        kmz = Path(tmp) / "lcz.kmz"
        export_lcz(str(lcz), ExportPaths(kmz=str(kmz)), filtered=str(filtered) if filtered else None,
                   legend_png=module.legend_png("Local climate zones"))
        with zipfile.ZipFile(kmz) as archive:
            first = next(name for name in archive.namelist() if name.endswith(".png") and "/" not in name
                         and name != "legend.png")
            legend = QImage.fromData(archive.read("legend.png"))
        rgba = gdal.Open(f"/vsizip/{kmz}/{first}").ReadAsArray().transpose(1, 2, 0).copy()
    height, width = rgba.shape[:2]
    overlay = QImage(rgba.data, width, height, 4 * width, QImage.Format_RGBA8888).copy()
    overlay = overlay.scaled(width * scale, height * scale, Qt.IgnoreAspectRatio, Qt.FastTransformation)
    canvas = QImage(overlay.width() + legend.width() + 30, max(overlay.height(), legend.height()) + 20,
                    QImage.Format_ARGB32)
    canvas.fill(QColor(200, 200, 200))
    painter = QPainter(canvas)
    painter.drawImage(10, 10, overlay)
    painter.drawImage(overlay.width() + 20, 10, legend)  # beside the map here; on top of it in Google Earth
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lcz", type=Path, required=True)
    parser.add_argument("--filtered", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        print(f"render_kmz_preview: wrote {render(args.lcz, args.filtered, args.out)}")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
