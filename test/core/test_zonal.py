"""core.zonal on the bundled Hong Kong scene mapped by the engine (LCZ, HSE, uncertainty): blocks over the map,
given in WGS 84, checked against shares, means and sums computed with numpy on the rasters' own cells; a block
partly outside, one outside, a bow tie, overlapping blocks, and the bad inputs."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from core.errors import EngineError
from core.input_kinds import check_polygons
from core.lcz import LCZ_CLASSES
from core.options import ModelChoice
from core.zonal import FIELDS, SHARE_FIELDS, ground_area_km2, summarise_zones, zones_csv
from support.district_fixtures import bowtie, cell_box, read_band, wgs84

gdal.UseExceptions()


@pytest.fixture(scope="module")
def maps(tmp_path_factory, sample_scene) -> dict[str, Path]:
    from core.engine import OutputPaths, map_scene

    folder = tmp_path_factory.mktemp("zonal")
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"),
                                                      uncertainty=str(folder / "unc.tif")),
                                                      model=ModelChoice(device="CPU"))
    return {key: Path(path) for key, path in result.outputs.items()}


def test_blocks_against_numpy(maps) -> None:
    lcz, _ = read_band(maps["lcz"])
    hse, hse_nodata = read_band(maps["hse"])
    unc, unc_nodata = read_band(maps["uncertainty"])
    height, width = lcz.shape
    blocks = [(0, 0, 8, 8), (8, 0, 16, 8), (0, 8, 8, 16), (8, 8, width, height)]
    features = [bytes(cell_box(maps["lcz"], *b).ExportToWkb()) for b in blocks]
    summaries, notes = summarise_zones(features, wgs84().ExportToWkt(), maps["lcz"], hse=maps["hse"],
                                       uncertainty=maps["uncertainty"], layer="blocks")
    assert notes == []
    for (c0, r0, c1, r1), s in zip(blocks, summaries, strict=True):
        cells = lcz[r0:r1, c0:c1]
        cells = cells[cells > 0]
        expected = np.bincount(cells.astype(int) - 1, minlength=17) / cells.size
        assert s.lcz_cells == cells.size and s.shares == pytest.approx(expected.tolist(), abs=1e-9)
        assert s.dominant == LCZ_CLASSES[int(np.argmax(expected))].label
        assert s.area_km2 == pytest.approx((c1 - c0) * (r1 - r0) * 0.01, rel=2e-3)  # 100 m cells
        assert s.valid_frac == pytest.approx(cells.size / ((c1 - c0) * (r1 - r0)), rel=2e-3)
        h = hse[r0 * 5:r1 * 5, c0 * 5:c1 * 5]  # 20 m cells
        h = h[h != hse_nodata]
        assert s.hse_mean == pytest.approx(h.mean()) and s.built_km2 == pytest.approx(h.sum() * 0.0004)
        u = unc[r0:r1, c0:c1]
        assert s.unc_mean == pytest.approx(u[u != unc_nodata].mean())


def test_partly_outside_outside_invalid_and_overlapping(maps) -> None:
    lcz, _ = read_band(maps["lcz"])
    height, width = lcz.shape
    shapes = [
        cell_box(maps["lcz"], width - 4, 0, width + 4, 8),  # half outside to the east
        cell_box(maps["lcz"], width + 10, 0, width + 20, 8),  # outside
        bowtie(maps["lcz"]),  # invalid, repaired
        cell_box(maps["lcz"], 0, 0, 6, 6),  # overlaps the bow tie's upper triangle
    ]
    features, repair_notes = check_polygons([(bytes(g.ExportToWkb()), None) for g in shapes], "districts",
                                            "districts")
    assert any("1 repaired" in note for note in repair_notes)
    summaries, notes = summarise_zones([wkb for wkb, _ in features], wgs84().ExportToWkt(), maps["lcz"],
                                       layer="districts")
    partial, outside, repaired, _ = summaries
    cells = lcz[0:8, width - 4:width]
    assert partial.lcz_cells == (cells > 0).sum() and partial.valid_frac == pytest.approx(
        (cells > 0).sum() / 64, rel=3e-3)
    assert outside.lcz_cells == 0 and outside.valid_frac == 0 and outside.dominant is None
    assert outside.shares == [None] * 17 and outside.area_km2 == pytest.approx(0.8, rel=3e-3)
    assert repaired.lcz_cells > 0 and repaired.area_km2 == pytest.approx(0.18, rel=0.05)  # two triangles: half the box
    joined = " ".join(notes)
    assert "no LCZ cell with data" in joined and "Features: 2." in joined
    assert "partly outside the map" in joined and "Features: 1." in joined
    assert "overlap others" in joined and "Features: 3, 4." in joined
    text = zones_csv(["name"], [["a"], ["b"], ["c"], ["d"]], summaries)
    header = text.splitlines()[0].split(",")
    assert header == ["feature", "name", *(name for name, _ in FIELDS)] and len(text.splitlines()) == 5
    assert text.splitlines()[2].startswith("2,b,0.799") and SHARE_FIELDS[10] == "lcz_A"


def test_ground_area_of_a_geographic_polygon() -> None:
    """Against the area in an equal-area CRS of its own (EPSG:6933, WGS 84 cylindrical equal-area)."""
    box = ogr.CreateGeometryFromWkt("POLYGON ((114 22, 114.01 22, 114.01 22.01, 114 22.01, 114 22))")
    equal_area = osr.SpatialReference()
    equal_area.ImportFromEPSG(6933)
    equal_area.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    projected = box.Clone()
    projected.Segmentize(0.0001)
    projected.Transform(osr.CoordinateTransformation(wgs84(), equal_area))
    assert ground_area_km2(box, wgs84()) == pytest.approx(projected.GetArea() / 1e6, rel=1e-4)


def test_bad_inputs(maps, tmp_path: Path) -> None:
    wkt = wgs84().ExportToWkt()
    box = bytes(cell_box(maps["lcz"], 0, 0, 4, 4).ExportToWkb())
    with pytest.raises(EngineError, match="holds no polygon"):
        summarise_zones([b""], wkt, maps["lcz"])
    far = bytes(cell_box(maps["lcz"], 200, 0, 210, 10).ExportToWkb())
    with pytest.raises(EngineError, match="None of the 1 polygon"):
        summarise_zones([far], wkt, maps["lcz"])
    with pytest.raises(EngineError, match="not an LCZ map"):
        summarise_zones([box], wkt, maps["hse"])
    with pytest.raises(EngineError, match="not a settlement density map"):
        summarise_zones([box], wkt, maps["lcz"], hse=maps["lcz"])
    source = gdal.Open(str(maps["lcz"]))
    no_crs = gdal.GetDriverByName("GTiff").Create(str(tmp_path / "no_crs.tif"), source.RasterXSize,
                                                  source.RasterYSize, 1, gdal.GDT_Byte)
    no_crs.SetGeoTransform(source.GetGeoTransform())
    no_crs.GetRasterBand(1).WriteArray(source.ReadAsArray())
    no_crs = source = None
    with pytest.raises(EngineError, match="has no CRS"):
        summarise_zones([box], wkt, tmp_path / "no_crs.tif")
    with pytest.raises(EngineError, match="points"):
        check_polygons([(bytes(ogr.CreateGeometryFromWkt("POINT (114 22)").ExportToWkb()), None)], "p", "districts")


def test_blocks_that_tile_the_map_add_up_to_the_whole_map(maps) -> None:
    """Blocks that tile the map (and beyond it) count every cell once: their built-up areas sum to the map's."""
    hse, nodata = read_band(maps["hse"])
    height, width = read_band(maps["lcz"])[0].shape
    edges_x, edges_y = [-3, 7, 15, width + 3], [-2, 9, height + 2]
    blocks = [(x0, y0, x1, y1) for x0, x1 in pairwise(edges_x) for y0, y1 in pairwise(edges_y)]
    summaries, notes = summarise_zones([bytes(cell_box(maps["lcz"], *b).ExportToWkb()) for b in blocks],
                                       wgs84().ExportToWkt(), maps["lcz"], hse=maps["hse"])
    assert sum(s.built_km2 for s in summaries) == pytest.approx(hse[hse != nodata].sum() * 0.0004, rel=1e-6)
    lcz, _ = read_band(maps["lcz"])
    assert sum(s.lcz_cells for s in summaries) == (lcz > 0).sum()
    assert any("partly outside the map" in note for note in notes)
