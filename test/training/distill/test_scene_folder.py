"""The distillation's scene folder: OSCD band files stacked into the recipe's 10-band layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from core.bands import MODEL_BANDS, SENTINEL2_BANDS
from training.distill import scene_folder
from training.distill.rasters import find_areas

gdal.UseExceptions()
ORIGIN = (10.36, 43.75)  # lon, lat of the top-left corner (Pisa)
PIXEL_10M = 0.0001


def _band_file(path: Path, band: str, value: int) -> None:
    """A synthetic OSCD band file in EPSG:4326 at its native resolution (10 / 20 / 60 m), 40 x 30 at 10 m."""
    factor = SENTINEL2_BANDS[band][1] // 10
    w, h = 40 // factor, 30 // factor
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((ORIGIN[0], PIXEL_10M * factor, 0, ORIGIN[1], 0, -PIXEL_10M * factor))
    ds.SetProjection(srs.ExportToWkt())
    ramp = value + 10 * np.arange(w, dtype=np.uint16)[None, :].repeat(h, axis=0)  # a gradient along x
    ds.GetRasterBand(1).WriteArray(ramp)
    ds = None


def _oscd_area(images: Path, area: str, dates: tuple[str, str]) -> None:
    folder = images / area
    for n, date in enumerate(dates, start=1):
        imgs = folder / f"imgs_{n}"
        imgs.mkdir(parents=True)
        for i, band in enumerate(SENTINEL2_BANDS):
            suffix = f"B{int(band[1:]):02d}" if band[1:].isdigit() else band
            _band_file(imgs / f"T32TPP_{date}T101021_{suffix}.tif", band, 1000 + 100 * i)
    (folder / "dates.txt").write_text(f"date_1: {dates[0]}\ndate_2: {dates[1]}\n")
    (folder / f"{area}.geojson").write_text("{}")


def test_extra_area_is_stacked_on_the_b2_grid(tmp_path):
    images = tmp_path / "Images"
    _oscd_area(images, "pisa", ("20150704", "20180211"))
    written = scene_folder.add_extra_area(images, "pisa", tmp_path / "scenes")
    assert [p.name for p in written] == ["pisa_S2L1C_20150704_10band_10m.tif", "pisa_S2L1C_20180211_10band_10m.tif"]
    ds = gdal.Open(str(written[0]))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (40, 30, 10)
    assert ds.GetGeoTransform() == pytest.approx((ORIGIN[0], PIXEL_10M, 0, ORIGIN[1], 0, -PIXEL_10M))
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(10)] == list(MODEL_BANDS)
    assert ds.GetRasterBand(1).DataType == gdal.GDT_UInt16
    b2 = ds.GetRasterBand(1).ReadAsArray()
    assert b2[0, :3].tolist() == [1100, 1110, 1120]  # the 10 m band untouched (B2 is the second of 13)
    b5 = ds.GetRasterBand(MODEL_BANDS.index("B5") + 1).ReadAsArray().astype(float)
    assert b5.min() >= 1400 and b5.max() <= 1400 + 190
    assert len(np.unique(b5[0])) > 30  # bilinear, not nearest (which would repeat each 20 m value twice)
    assert written[0].with_suffix(".bands.txt").read_text().strip() == ",".join(MODEL_BANDS)
    assert not list((tmp_path / "scenes" / "pisa").glob("*.partial"))
    assert find_areas(tmp_path / "scenes")[0].dates == ("20150704", "20180211")
    before = written[0].stat().st_mtime_ns
    scene_folder.add_extra_area(images, "pisa", tmp_path / "scenes")  # existing scenes are kept
    assert written[0].stat().st_mtime_ns == before


def test_missing_band_file_and_bad_dates_are_clear_errors(tmp_path):
    images = tmp_path / "Images"
    _oscd_area(images, "beirut", ("20150820", "20171003"))
    next((images / "beirut" / "imgs_2").glob("*_B11.tif")).unlink()
    with pytest.raises(FileNotFoundError, match="B11"):
        scene_folder.add_extra_area(images, "beirut", tmp_path / "scenes")
    (images / "beirut" / "dates.txt").write_text("date_1: 20150820\n")
    with pytest.raises(ValueError, match="date_1 and date_2"):
        scene_folder.read_dates(images / "beirut")


def test_the_nineteen_areas():
    assert len(scene_folder.AREAS) == len(set(scene_folder.AREAS)) == 19
    assert set(scene_folder.EXTRA_AREAS) == {"abudhabi", "beihai", "beirut", "cupertino", "lasvegas", "pisa"}
