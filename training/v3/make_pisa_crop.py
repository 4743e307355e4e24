"""Cut the real-reference test fixture: a crop of the Pisa 2018 scene and its building-cover reference.

One block of the Pisa split's `test` set (block row 3, column 4: 1 km of mixed town and fields, never fitted)
plus 200 m of context, cut from ../shared/data/references/pisa_buildings on its own EPSG:4326 grid (snapped to
the reference's 2 x 2 pixel cells), so test/training/v3/test_model.py scores the shipped model against real footprints.

    python -m training.v3.make_pisa_crop      # writes test/data/pisa_crop/
"""

from __future__ import annotations

import math
from pathlib import Path

from osgeo import gdal, osr

from training.v3.pisa_split import GRID_ORIGIN

gdal.UseExceptions()
REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared/data/references/pisa_buildings"
OUT = REPO / "test/data/pisa_crop"
BLOCK = (3, 4)
BLOCK_M, MARGIN_M = 1000.0, 200.0


def crop_window() -> tuple[int, int, int, int]:
    """(x0, y0, width, height) in pixels of the 10 m stack, even numbers (reference cells are 2 x 2 pixels)."""
    x0 = GRID_ORIGIN[0] + BLOCK[1] * BLOCK_M - MARGIN_M
    y1 = GRID_ORIGIN[1] - BLOCK[0] * BLOCK_M + MARGIN_M
    x1, y0 = x0 + BLOCK_M + 2 * MARGIN_M, y1 - BLOCK_M - 2 * MARGIN_M
    utm, wgs = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32632)
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs = osr.CoordinateTransformation(utm, wgs)
    corners = [to_wgs.TransformPoint(x, y)[:2] for x in (x0, x1) for y in (y0, y1)]
    gt = gdal.Open(str(SOURCE / "pisa_S2L1C_20180211_10band_10m.tif")).GetGeoTransform()
    cols = [(lon - gt[0]) / gt[1] for lon, _ in corners]
    rows = [(lat - gt[3]) / gt[5] for _, lat in corners]
    c0, r0 = 2 * math.floor(min(cols) / 2), 2 * math.floor(min(rows) / 2)
    c1, r1 = 2 * math.ceil(max(cols) / 2), 2 * math.ceil(max(rows) / 2)
    return c0, r0, c1 - c0, r1 - r0


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    c0, r0, w, h = crop_window()
    options = ["COMPRESS=DEFLATE", "PREDICTOR=2"]
    gdal.Translate(str(OUT / "pisa_S2L1C_20180211_crop.tif"), str(SOURCE / "pisa_S2L1C_20180211_10band_10m.tif"),
                   srcWin=[c0, r0, w, h], creationOptions=options)
    gdal.Translate(str(OUT / "pisa_building_fraction_crop.tif"), str(SOURCE / "pisa_building_fraction_20m.tif"),
                   srcWin=[c0 // 2, r0 // 2, w // 2, h // 2], creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=3"])
    print(OUT, w, h)


if __name__ == "__main__":
    main()
