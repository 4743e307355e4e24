"""Exports for UMEP, w2w and Google Earth (core.export), each opened again and checked against the map it came from.

The maps are real: the bundled sample mapped by the default model (raw and filtered) and the Hong Kong PRD map
(Liu & Shi, a real LCZ map in EPSG:4326 with a no-data value its Byte band cannot hold).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.export import UMEP_CODE, W2W_BANDS, ExportPaths, export_lcz, palette_rgba
from core.lcz import LCZ_CLASSES
from core.options import RunFeedback
from support.data import PRD

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def sample_maps(sample_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("maps")
    result = map_scene(str(sample_scene), OutputPaths(lcz=str(folder / "lcz.tif"), hse=str(folder / "hse.tif"),
                                                     lcz_filtered=str(folder / "lcz_filtered.tif"),
                                                     probabilities=str(folder / "prob.tif")))
    return result.outputs


def _array(path: str, band: int = 1) -> np.ndarray:
    dataset = gdal.Open(path)  # held while its band is read (a band outliving its dataset crashes GDAL)
    return dataset.GetRasterBand(band).ReadAsArray()


def _epsg(path: str) -> int | None:
    srs = osr.SpatialReference(wkt=gdal.Open(path).GetProjection())
    srs.AutoIdentifyEPSG()
    return int(srs.GetAuthorityCode(None)) if srs.GetAuthorityCode(None) else None


def _w2w_band(path: str) -> int:
    """w2w's rule (w2w.py _get_lcz_band): a map whose band names include 'lczFilter' is read from band index 1."""
    dataset = gdal.Open(path)
    names = [dataset.GetRasterBand(i + 1).GetDescription() for i in range(dataset.RasterCount)]
    return 1 if "lczFilter" in names else 0


def _codes_at_centres(w2w: str, source: str, band: int) -> tuple[np.ndarray, np.ndarray]:
    """(w2w codes, source codes) at the centres of the w2w cells, looked up in the source's own CRS."""
    out = gdal.Open(w2w)
    gt, width, height = out.GetGeoTransform(), out.RasterXSize, out.RasterYSize
    ys, xs = np.mgrid[0:height, 0:width]
    lon, lat = gt[0] + (xs + 0.5) * gt[1], gt[3] + (ys + 0.5) * gt[5]
    src = gdal.Open(source)
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    target = osr.SpatialReference(wkt=src.GetProjection())
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    points = osr.CoordinateTransformation(wgs84, target).TransformPoints(np.c_[lon.ravel(), lat.ravel()].tolist())
    sgt = src.GetGeoTransform()
    px = np.floor((np.array([p[0] for p in points]) - sgt[0]) / sgt[1]).astype(int)
    py = np.floor((np.array([p[1] for p in points]) - sgt[3]) / sgt[5]).astype(int)
    inside = (px >= 0) & (px < src.RasterXSize) & (py >= 0) & (py < src.RasterYSize)
    codes = src.GetRasterBand(1).ReadAsArray()
    got = out.GetRasterBand(band).ReadAsArray().ravel()[inside]
    return got, codes[py[inside], px[inside]]


def test_umep_recodes_the_natural_classes(sample_maps: dict[str, str], tmp_path: Path) -> None:
    written = export_lcz(sample_maps["lcz"], ExportPaths(umep=str(tmp_path / "umep.tif")))
    raw, umep = _array(sample_maps["lcz"]), _array(written["umep"])
    assert umep.shape == raw.shape
    assert gdal.Open(written["umep"]).GetGeoTransform() == gdal.Open(sample_maps["lcz"]).GetGeoTransform()
    expected = np.array([0] + [UMEP_CODE[c] for c in range(1, 18)])[raw]
    assert np.array_equal(umep, expected)
    assert set(np.unique(umep)) - {0} <= set(range(1, 11)) | set(range(101, 108))
    assert (umep >= 101).any() and ((umep >= 1) & (umep <= 10)).any()  # both kinds occur in the sample
    dataset = gdal.Open(written["umep"])
    assert dataset.GetRasterBand(1).GetNoDataValue() == 0


def test_w2w_layout_is_read_as_w2w_reads_it(sample_maps: dict[str, str], tmp_path: Path) -> None:
    written = export_lcz(sample_maps["lcz"], ExportPaths(w2w=str(tmp_path / "w2w.tif")),
                         filtered=sample_maps["lcz_filtered"])
    path = written["w2w"]
    dataset = gdal.Open(path)
    assert _epsg(path) == 4326 and dataset.RasterCount == 2
    assert tuple(dataset.GetRasterBand(i + 1).GetDescription() for i in range(2)) == W2W_BANDS
    assert _w2w_band(path) == 1  # w2w takes the filtered band
    for band, source in ((1, sample_maps["lcz"]), (2, sample_maps["lcz_filtered"])):
        values = _array(path, band)
        assert set(np.unique(values)) - {0} <= set(range(1, 18))
        got, expected = _codes_at_centres(path, source, band)
        assert np.mean(got == expected) > 0.97  # nearest neighbour; cells on a source cell's edge may differ
    assert not np.array_equal(_array(path, 1), _array(path, 2))  # the two bands are the two maps

    alone = export_lcz(sample_maps["lcz"], ExportPaths(w2w=str(tmp_path / "raw_only.tif")))["w2w"]
    assert gdal.Open(alone).RasterCount == 1 and _w2w_band(alone) == 0


def test_kmz_overlays_and_legend_carry_the_palette(sample_maps: dict[str, str], tmp_path: Path) -> None:
    written = export_lcz(sample_maps["lcz"], ExportPaths(kmz=str(tmp_path / "lcz.kmz"),
                                                         w2w=str(tmp_path / "w2w.tif")),
                         filtered=sample_maps["lcz_filtered"], legend_png=b"\x89PNG fake legend")
    kmz = written["kmz"]
    with zipfile.ZipFile(kmz) as archive:
        names = archive.namelist()
        root = ET.fromstring(archive.read("doc.kml"))
    assert names[0] == "doc.kml" and "legend.png" in names
    overlays = root.findall(f".//{KML}GroundOverlay")
    assert [o.find(f"{KML}Icon/{KML}href").text for o in overlays] == ["lcz_filtered.png", "lcz.png"]
    w2w = gdal.Open(written["w2w"])
    gt = w2w.GetGeoTransform()
    box = overlays[1].find(f"{KML}LatLonBox")
    assert float(box.find(f"{KML}west").text) == pytest.approx(gt[0])
    assert float(box.find(f"{KML}north").text) == pytest.approx(gt[3])
    for band, href in ((1, "lcz.png"), (2, "lcz_filtered.png")):
        image = gdal.Open(f"/vsizip/{kmz}/{href}").ReadAsArray()  # (4, H, W), opened again by GDAL
        codes = w2w.GetRasterBand(band).ReadAsArray()
        colours = {lcz.code: lcz.rgb for lcz in LCZ_CLASSES}  # the palette, not the code's lookup table
        for code in np.unique(codes[codes > 0]):
            assert (image[:3, codes == code] == np.array(colours[int(code)])[:, None]).all()
        assert np.array_equal(image.transpose(1, 2, 0), palette_rgba()[codes])  # same warp: same cells
        assert (image[3][codes == 0] == 0).all() and (image[3][codes > 0] == 255).all()
    legend = root.findall(f".//{KML}Folder/{KML}Folder")
    assert [f.find(f"{KML}name").text for f in legend] == [c.legend_text for c in LCZ_CLASSES]
    for lcz in LCZ_CLASSES:
        swatch = gdal.Open(f"/vsizip/{kmz}/legend/lcz_{lcz.code:02d}.png").ReadAsArray()
        assert tuple(swatch[:3, 8, 8]) == lcz.rgb
    assert root.find(f".//{KML}ScreenOverlay/{KML}Icon/{KML}href").text == "legend.png"


@pytest.mark.skipif(not PRD.exists(), reason="the founders' shared data is absent")
def test_prd_reference_exports(tmp_path: Path) -> None:
    """A real LCZ map made elsewhere (EPSG:4326, no-data value 65536 on a Byte band) goes through too."""
    written = export_lcz(str(PRD), ExportPaths(umep=str(tmp_path / "u.tif"), w2w=str(tmp_path / "w.tif"),
                                               kmz=str(tmp_path / "k.kmz")))
    prd = _array(str(PRD))
    assert np.array_equal(_array(written["umep"]), np.array([0] + [UMEP_CODE[c] for c in range(1, 18)])[prd])
    got, expected = _codes_at_centres(written["w2w"], str(PRD), 1)
    assert np.mean(got == expected) > 0.97 and _epsg(written["w2w"]) == 4326


def _refused(match: str, lcz: str, outputs: ExportPaths, **kwargs) -> None:
    with pytest.raises(EngineError, match=match):
        export_lcz(lcz, outputs, **kwargs)


def test_bad_inputs_are_refused_and_leave_nothing(sample_maps: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    outputs = ExportPaths(umep=str(out / "u.tif"), kmz=str(out / "k.kmz"))
    _refused("not an LCZ map", sample_maps["hse"], outputs)  # a density map
    _refused("not an LCZ map", sample_maps["probabilities"], outputs)
    umep = export_lcz(sample_maps["lcz"], ExportPaths(umep=str(tmp_path / "coded.tif")))["umep"]
    _refused("coded for UMEP already", umep, outputs)
    empty = tmp_path / "empty.tif"
    gdal.Translate(str(empty), sample_maps["lcz"], scaleParams=[[0, 255, 0, 0]])  # same grid, every cell 0
    _refused("no LCZ cell", str(empty), outputs)
    shifted = tmp_path / "shifted.tif"
    gdal.Translate(str(shifted), sample_maps["lcz_filtered"], srcWin=[1, 1, 10, 10])
    _refused("does not lie on the grid", sample_maps["lcz"], outputs, filtered=str(shifted))
    other_crs = tmp_path / "other_crs.tif"
    gdal.Warp(str(other_crs), sample_maps["lcz_filtered"], dstSRS="EPSG:3857", resampleAlg="near")
    _refused("another CRS", sample_maps["lcz"], outputs, filtered=str(other_crs))
    _refused("must end in .kmz", sample_maps["lcz"], ExportPaths(kmz=str(out / "k.png")))
    _refused("No export was requested", sample_maps["lcz"], ExportPaths())
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    _refused("Cannot create the folder", sample_maps["lcz"], ExportPaths(umep=str(blocker / "u.tif")))
    assert not out.exists()  # the folder made for the outputs is removed again


def test_a_failure_after_the_first_file_publishes_nothing(sample_maps: dict[str, str], tmp_path: Path) -> None:
    """Cancelled after the UMEP file was complete: it is not published, the earlier file there survives, and no
    temporary file is left."""
    (tmp_path / "u.tif").write_bytes(b"earlier")
    calls = {"n": 0}

    def cancel_second() -> bool:
        calls["n"] += 1
        return calls["n"] >= 2

    _refused("cancelled", sample_maps["lcz"], ExportPaths(umep=str(tmp_path / "u.tif"), kmz=str(tmp_path / "k.kmz")),
             feedback=RunFeedback(is_cancelled=cancel_second))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.tif"]
    assert (tmp_path / "u.tif").read_bytes() == b"earlier"
