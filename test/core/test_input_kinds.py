"""core.input_kinds (issue 19, item 7): polygons that are not areas, invalid polygons, rasters of the wrong kind."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, ogr

from core.errors import EngineError
from core.input_kinds import check_density_map, check_lcz_map, check_polygons, raster_kind
from support.engine_fixtures import write_raster


def wkb(wkt: str) -> bytes:
    return bytes(ogr.CreateGeometryFromWkt(wkt).ExportToWkb())


SQUARE = "POLYGON ((0 0, 300 0, 300 300, 0 300, 0 0))"
BOW_TIE = "POLYGON ((0 0, 300 300, 300 0, 0 300, 0 0))"  # self-intersecting: area 0 as drawn
SPIKE = "POLYGON ((0 0, 300 0, 600 0, 0 0))"  # no area at all


def test_points_instead_of_polygons_are_refused_naming_the_layer():
    points = [(wkb(f"POINT ({x} 10)"), 2) for x in range(7)]
    with pytest.raises(EngineError, match="The layer trees.gpkg holds 7 points, not polygons: training areas must be"):
        check_polygons(points, "trees.gpkg", "training areas")
    with pytest.raises(EngineError, match="holds 2 lines, not polygons: reference polygons must be"):
        check_polygons([(wkb("LINESTRING (0 0, 1 1)"), 1)] * 2, "roads", "reference polygons")


def test_points_among_polygons_are_skipped_and_counted():
    kept, notes = check_polygons([(wkb(SQUARE), 1), (wkb("POINT (5 5)"), 2)], "mixed", "training areas")
    assert kept[0][0] and kept[1] == (b"", 2)  # the place of the feature is kept, its geometry emptied
    assert notes == ["The layer mixed holds 1 points besides its polygons: training areas must be polygons, so they "
                     "were skipped."]


def test_invalid_polygons_are_repaired_or_skipped_and_counted():
    kept, notes = check_polygons([(wkb(SQUARE), 1), (wkb(BOW_TIE), 2), (wkb(SPIKE), 3), (b"", 4)], "areas",
                                 "training areas")
    assert kept[0][0] == wkb(SQUARE) and kept[3] == (b"", 4)
    repaired = ogr.CreateGeometryFromWkb(kept[1][0])
    assert repaired.IsValid() and repaired.GetArea() == pytest.approx(300 * 300 / 2)  # the two triangles drawn
    assert kept[2] == (b"", 3)
    assert len(notes) == 1 and notes[0].startswith("2 polygon(s) of areas were invalid") and (
        "1 repaired (made valid), 1 skipped" in notes[0])


def test_raster_kind_from_fractions_and_metadata(tmp_path):
    density = write_raster(tmp_path / "density.tif", np.random.default_rng(0).random((1, 20, 20)),
                           descriptions=None, data_type=gdal.GDT_Float32)
    codes = write_raster(tmp_path / "codes.tif", np.random.default_rng(0).integers(1, 18, (1, 20, 20)),
                         descriptions=None, data_type=gdal.GDT_Float32)
    assert raster_kind(density)[0] == "density" and raster_kind(codes)[0] is None
    with pytest.raises(EngineError, match="The map density.tif is not an LCZ map of class codes 1-17: .*fractions"):
        check_lcz_map(density, "map")
    check_lcz_map(codes, "map")  # whole numbers in a float raster: may be codes
    check_density_map(density, "reference")
