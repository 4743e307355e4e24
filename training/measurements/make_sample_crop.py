"""Cut the bundled real Sentinel-2 sample from an OSCD scene (run once; the result ships in resources/sample/).

Usage: python training/measurements/make_sample_crop.py SCENE, SCENE being
../shared/data/oscd/hongkong/hongkong_S2L1C_20180323_10band_10m.tif

The crop keeps the scene's own grid (EPSG:4326, as OSCD distributes it) so that the engine's warp to UTM is
exercised by every end-to-end test, and writes the band names into the band descriptions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from osgeo import gdal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.bands import MODEL_BANDS  # noqa: E402

WINDOW = (230, 320, 220, 220)  # x offset, y offset, width, height: Tseung Kwan O, Hong Kong (bay, high-rise, forest)
TARGET = Path(__file__).resolve().parents[1] / "resources" / "sample" / "hongkong_tko_S2L1C_20180323.tif"
ATTRIBUTION = (
    "Contains modified Copernicus Sentinel data 2018. Crop of the Onera Satellite Change Detection dataset "
    "(Daudt et al., IGARSS 2018), scene hongkong 2018-03-23, Level-1C, 10 bands resampled to 10 m."
)


def main(source: str) -> None:
    gdal.UseExceptions()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    dataset = gdal.Translate(
        str(TARGET), source, srcWin=list(WINDOW),
        creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=2", "ZLEVEL=9", "TILED=YES", "BLOCKXSIZE=256",
                         "BLOCKYSIZE=256"],
    )
    for index, name in enumerate(MODEL_BANDS, start=1):
        band = dataset.GetRasterBand(index)
        band.SetDescription(name)
        band.SetMetadataItem("BANDNAME", name)
    dataset.SetMetadataItem("PROCESSING_LEVEL", "Level-1C")
    dataset.SetMetadataItem("ACQUISITION_DATE", "2018-03-23")
    dataset.SetMetadataItem("ATTRIBUTION", ATTRIBUTION)
    dataset = None
    print(TARGET, TARGET.stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1])
