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
from core.zonal import FIELDS, SHARE_FIELDS, ground_area_km2, summarise_zones, zones_csv

gdal.UseExceptions()


@pytest.fixture(scope="module")
def maps(tmp_path_factory, sample_scene) -> dict[str, Path]:
    from core.engine import OutputPaths, map_scene

    folder = tmp_path_factory.mktemp("zonal")
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"),
                                                      uncertainty=str(folder / "unc.tif")), device="CPU")
    return {key: Path(path) for key, path in result.outputs.items()}


def _wgs84() -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _box(lcz: Path, c0: float, r0: float, c1: float, r1: float) -> ogr.Geometry:
    """A rectangle from LCZ cell column c0 / row r0 to c1 / r1 (cell edges), in WGS 84 (densified: straight in UTM)."""
    dataset = gdal.Open(str(lcz))
    gt = dataset.GetGeoTransform()
    utm = osr.SpatialReference(wkt=dataset.GetProjection())
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for c, r in ((c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0)):
        ring.AddPoint_2D(gt[0] + c * gt[1], gt[3] + r * gt[5])
    box = ogr.Geometry(ogr.wkbPolygon)
    box.AddGeometry(ring)
    box.Segmentize(20)
    box.Transform(osr.CoordinateTransformation(utm, _wgs84()))
    return box


def _bowtie(lcz: Path) -> ogr.Geometry:
    """A self-intersecting 'bow tie' over cells 2..8: invalid; made valid it is two triangles."""
    a, b = _box(lcz, 2, 2, 8, 8), None
    ring = a.GetGeometryRef(0)
    points = [ring.GetPoint_2D(i) for i in range(ring.GetPointCount())]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    b = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((min(xs), max(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), min(ys)), (min(xs), max(ys))):
        b.AddPoint_2D(x, y)
    bowtie = ogr.Geometry(ogr.wkbPolygon)
    bowtie.AddGeometry(b)
    return bowtie


def _read(path: Path) -> tuple[np.ndarray, float | None]:
    dataset = gdal.Open(str(path))  # kept while its band is read (a band outliving its dataset crashes GDAL)
    band = dataset.GetRasterBand(1)
    return band.ReadAsArray().astype(np.float64), band.GetNoDataValue()


def test_blocks_against_numpy(maps) -> None:
    lcz, _ = _read(maps["lcz"])
    hse, hse_nodata = _read(maps["hse"])
    unc, unc_nodata = _read(maps["uncertainty"])
    height, width = lcz.shape
    blocks = [(0, 0, 8, 8), (8, 0, 16, 8), (0, 8, 8, 16), (8, 8, width, height)]
    features = [bytes(_box(maps["lcz"], *b).ExportToWkb()) for b in blocks]
    summaries, notes = summarise_zones(features, _wgs84().ExportToWkt(), maps["lcz"], hse=maps["hse"],
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
    lcz, _ = _read(maps["lcz"])
    height, width = lcz.shape
    shapes = [
        _box(maps["lcz"], width - 4, 0, width + 4, 8),  # half outside to the east
        _box(maps["lcz"], width + 10, 0, width + 20, 8),  # outside
        _bowtie(maps["lcz"]),  # invalid, repaired
        _box(maps["lcz"], 0, 0, 6, 6),  # overlaps the bow tie's upper triangle
    ]
    features, repair_notes = check_polygons([(bytes(g.ExportToWkb()), None) for g in shapes], "districts",
                                            "districts")
    assert any("1 repaired" in note for note in repair_notes)
    summaries, notes = summarise_zones([wkb for wkb, _ in features], _wgs84().ExportToWkt(), maps["lcz"],
                                       layer="districts")
    partial, outside, bowtie, _ = summaries
    cells = lcz[0:8, width - 4:width]
    assert partial.lcz_cells == (cells > 0).sum() and partial.valid_frac == pytest.approx(
        (cells > 0).sum() / 64, rel=3e-3)
    assert outside.lcz_cells == 0 and outside.valid_frac == 0 and outside.dominant is None
    assert outside.shares == [None] * 17 and outside.area_km2 == pytest.approx(0.8, rel=3e-3)
    assert bowtie.lcz_cells > 0 and bowtie.area_km2 == pytest.approx(0.18, rel=0.05)  # two triangles: half the box
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
    projected.Transform(osr.CoordinateTransformation(_wgs84(), equal_area))
    assert ground_area_km2(box, _wgs84()) == pytest.approx(projected.GetArea() / 1e6, rel=1e-4)


def test_bad_inputs(maps, tmp_path: Path) -> None:
    wkt = _wgs84().ExportToWkt()
    box = bytes(_box(maps["lcz"], 0, 0, 4, 4).ExportToWkb())
    with pytest.raises(EngineError, match="holds no polygon"):
        summarise_zones([b""], wkt, maps["lcz"])
    far = bytes(_box(maps["lcz"], 200, 0, 210, 10).ExportToWkb())
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
    hse, nodata = _read(maps["hse"])
    height, width = _read(maps["lcz"])[0].shape
    edges_x, edges_y = [-3, 7, 15, width + 3], [-2, 9, height + 2]
    blocks = [(x0, y0, x1, y1) for x0, x1 in pairwise(edges_x) for y0, y1 in pairwise(edges_y)]
    summaries, notes = summarise_zones([bytes(_box(maps["lcz"], *b).ExportToWkb()) for b in blocks],
                                       _wgs84().ExportToWkt(), maps["lcz"], hse=maps["hse"])
    assert sum(s.built_km2 for s in summaries) == pytest.approx(hse[hse != nodata].sum() * 0.0004, rel=1e-6)
    lcz, _ = _read(maps["lcz"])
    assert sum(s.lcz_cells for s in summaries) == (lcz > 0).sum()
    assert any("partly outside the map" in note for note in notes)
