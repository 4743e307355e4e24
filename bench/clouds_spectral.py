"""How the spectral cloud test of core/clouds.py behaves on real scenes: the figures of docs/USER_GUIDE.md, "Clouds".

* Clouds: the real cloudy Sentinel-2 L1C crop of test/data/cloudy_crop against its reference mask (share of the
  reference cloud / shadow / clear pixels masked; 100 m cells at least half cloud that lose their class).
* No clouds: the 13 OSCD scenes of shared/data/oscd (26 dates, cloud-free by inspection, bright roofs, desert,
  sand) and the bundled Hong Kong sample: the share of pixels masked and of 100 m cells that lose their class.

    .venv/bin/python bench/clouds_spectral.py [path/to/shared/data/oscd]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from osgeo import gdal

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.bands import MODEL_BANDS  # noqa: E402
from core.clouds import SPECTRAL_BANDS  # noqa: E402
from core.paths import SAMPLE_SCENE  # noqa: E402
from core.reader import open_scene  # noqa: E402

CELL = 10


def masked(path: Path, bands: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(masked pixels, valid pixels before masking, log summary) of one raster on its working grid."""
    scene = open_scene(str(path), SPECTRAL_BANDS, band_mapping=bands)
    try:
        _, valid = scene.read(0, 0, scene.width, scene.height)
        before = scene._read_unmasked(0, 0, scene.width, scene.height)[1]
        return before & ~valid, before, scene.clouds.summary() or ""
    finally:
        scene.close()


def cells(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape[0] // CELL * CELL, mask.shape[1] // CELL * CELL
    return mask[:h, :w].reshape(h // CELL, CELL, w // CELL, CELL).mean(axis=(1, 3))


def main(oscd: Path) -> None:
    crop = REPO / "test" / "data" / "cloudy_crop"
    hit, _, _ = masked(crop / "s2_l1c_cloudy_crop.tif", None)
    reference = gdal.Open(str(crop / "reference_mask.tif")).ReadAsArray()
    cloud_cells = cells(reference == 4) >= 0.5
    print(f"cloudy crop: cloud pixels masked {hit[reference == 4].mean():.1%}, shadow {hit[reference == 0].mean():.1%},"
          f" clear {hit[reference == 3].mean():.2%}; cloud cells without class "
          f"{(cells(hit)[cloud_cells] >= 0.5).mean():.1%} of {cloud_cells.sum()}")
    rows = [(SAMPLE_SCENE, None)] + [(path, ",".join(MODEL_BANDS)) for path in sorted(oscd.glob("*/*_10band_10m.tif"))]
    worst_pixels = worst_cells = 0.0
    for path, bands in rows:
        hit, before, _ = masked(path, bands)
        pixel_share = hit.sum() / max(before.sum(), 1)
        cell_share = (cells(hit) >= 0.5).mean()
        worst_pixels, worst_cells = max(worst_pixels, pixel_share), max(worst_cells, cell_share)
        print(f"{path.stem[:40]:40s} pixels masked {pixel_share:7.3%}  cells without class {cell_share:7.3%}")
    print(f"cloud-free scenes, worst: pixels {worst_pixels:.3%}, cells {worst_cells:.3%}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parents[0] / "shared" / "data" / "oscd")
