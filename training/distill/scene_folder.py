"""Build the distillation's folder of scenes: the 13 shared OSCD areas plus six more from the OSCD release.

The recipe reads one folder of ``<area>/<area>_S2L1C_<date>_10band_10m.tif`` scenes (two dates per area,
``rasters.find_areas``). The 13 areas of ``../shared/data/oscd`` are already in that form and are
linked; the six areas of ``EXTRA_AREAS`` come as 13 band files per date at native 10/20/60 m (OSCD,
Daudt et al. 2018, as committed in ChenHongruixuan/ChangeDetectionRepository@``OSCD_COMMIT``) and are
stacked here into the same 10-band layout (B2..B12 of ``core.bands.MODEL_BANDS``, 20 m bands resampled
bilinearly onto the B2 grid, UInt16 DN, EPSG:4326 as delivered), so both kinds are labelled alike.

Rebuild from a fresh clone (about 1 GB; only the six areas' ~115 MB are read)::

    git clone https://github.com/ChenHongruixuan/ChangeDetectionRepository /tmp/cdr
    git -C /tmp/cdr checkout 020f7702f235001ea0b2abac054651ab28aeeb0f
    python -m training.distill.scene_folder \\
        --oscd-images "/tmp/cdr/Dataset/OSCD/Onera Satellite Change Detection dataset - Images" \\
        --shared ../shared/data/oscd --out runs/scenes

Only these 19 areas are used; every other OSCD area stays out of training and of every choice.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from osgeo import gdal

from core.bands import MODEL_BANDS

gdal.UseExceptions()

OSCD_COMMIT = "020f7702f235001ea0b2abac054651ab28aeeb0f"
SHARED_AREAS = ("aguasclaras", "bordeaux", "brasilia", "chongqing", "dubai", "hongkong", "milano", "montpellier",
                "nantes", "norcia", "rennes", "rio", "valencia")
EXTRA_AREAS = ("abudhabi", "beihai", "beirut", "cupertino", "lasvegas", "pisa")
AREAS = SHARED_AREAS + EXTRA_AREAS
_DATE = re.compile(r"date_(\d):\s*(\d{8})")


def scene_name(area: str, date: str) -> str:
    return f"{area}_S2L1C_{date}_10band_10m.tif"


def read_dates(area_dir: Path) -> list[str]:
    """The two acquisition dates of an OSCD area, from its dates.txt ('date_1: 20160809')."""
    found = dict(_DATE.findall((area_dir / "dates.txt").read_text()))
    if set(found) != {"1", "2"}:
        raise ValueError(f"{area_dir / 'dates.txt'}: expected date_1 and date_2")
    return [found["1"], found["2"]]


def band_file(folder: Path, band: str) -> Path:
    """The one ``*_B02.tif``-style file of a band in an OSCD ``imgs_N`` folder (B8A stays B8A)."""
    suffix = f"B{int(band[1:]):02d}" if band[1:].isdigit() else band
    matches = sorted(folder.glob(f"*_{suffix}.tif"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one *_{suffix}.tif in {folder}, found {len(matches)}")
    return matches[0]


def stack_bands(folder: Path, out: Path) -> Path:
    """The ten model bands of one date on the B2 (10 m) grid, as one compressed UInt16 GeoTIFF."""
    reference = gdal.Open(str(band_file(folder, "B2")))
    gt, width, height = reference.GetGeoTransform(), reference.RasterXSize, reference.RasterYSize
    bounds = (gt[0], gt[3] + height * gt[5], gt[0] + width * gt[1], gt[3])
    reference = None
    vrt = gdal.BuildVRT("", [str(band_file(folder, b)) for b in MODEL_BANDS], separate=True, outputBounds=bounds,
                        xRes=gt[1], yRes=abs(gt[5]), resampleAlg="bilinear")
    partial = out.with_name(out.name + ".partial")
    ds = gdal.Translate(str(partial), vrt, format="GTiff", width=width, height=height, resampleAlg="bilinear",
                        outputType=gdal.GDT_UInt16, creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES"])
    for i, name in enumerate(MODEL_BANDS, start=1):
        ds.GetRasterBand(i).SetDescription(name)
    ds = vrt = None
    partial.replace(out)
    out.with_suffix(".bands.txt").write_text(",".join(MODEL_BANDS) + "\n")
    return out


def add_extra_area(images: Path, area: str, out: Path) -> list[Path]:
    """Stack both dates of one OSCD area into out/<area>/ (skipped where the scene is already there)."""
    source, target = images / area, out / area
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for n, date in enumerate(read_dates(source), start=1):
        scene = target / scene_name(area, date)
        if not scene.exists():
            stack_bands(source / f"imgs_{n}", scene)
        written.append(scene)
    for name in ("dates.txt", f"{area}.geojson"):
        if (source / name).exists():
            shutil.copyfile(source / name, target / name)
    return written


def link_shared_area(shared: Path, area: str, out: Path) -> Path:
    """out/<area> as a symbolic link to the shared area (its scenes and references, never copied)."""
    target = out / area
    if not target.exists():
        target.symlink_to((shared / area).resolve(), target_is_directory=True)
    return target


def build(images: Path, shared: Path, out: Path, log=print) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for area in SHARED_AREAS:
        link_shared_area(shared, area, out)
    for area in EXTRA_AREAS:
        for scene in add_extra_area(images, area, out):
            log(f"{area}: {scene.name}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--oscd-images", required=True, type=Path,
                        help="the 'Onera Satellite Change Detection dataset - Images' folder of a checkout at "
                             f"{OSCD_COMMIT[:7]}")
    parser.add_argument("--shared", default=Path("../shared/data/oscd"), type=Path)
    parser.add_argument("--out", default=Path("runs/scenes"), type=Path)
    args = parser.parse_args(argv)
    build(args.oscd_images, args.shared, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
