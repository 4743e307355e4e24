"""Does seasonal change read as settlement growth? (issue 11, part 2), on the OSCD pairs of runs/scenes.

For each area's two dates: hselcz's growth (core.growth, the bundled multi-task model) and, on the same 20 m grid,
how much the spectrum changed: per pixel the mean over the 10 bands of |later - earlier| / (later + earlier). Where
it changed less than 5 % (or 10 %), nothing was built or demolished; there the HSE change should be near 0 and no
pixel should be flagged new built-up. Reported per area: mean |dHSE| and the share flagged new built-up, over the
pixels without spectral change and over all pixels. Pairs are often different seasons (dates.txt).

Usage: .venv/bin/python -m training.measurements.growth_stability [--out training/measurements/growth_stability.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from core.bands import MODEL_BANDS
from core.growth import map_growth
from core.model import bundled_model_path
from core.options import ModelChoice
from core.products import CHANGE_NODATA
from core.reader import open_scene

SCENES = Path(__file__).resolve().parents[1] / "runs" / "scenes"
BANDS = ",".join(MODEL_BANDS)
THRESHOLDS = (0.05, 0.10)


def spectral_change(earlier: str, later: str, grid) -> np.ndarray:
    """Per 20 m pixel of the growth grid: the mean relative band difference (NaN where a date has no data)."""
    out = []
    for path in (earlier, later):
        scene = open_scene(path, MODEL_BANDS, band_mapping=BANDS, grid=grid)
        try:
            data, valid = scene.read(0, 0, scene.width, scene.height)
        finally:
            scene.close()
        data = np.where(valid[None], data, np.nan)
        h, w = data.shape[1] // 2 * 2, data.shape[2] // 2 * 2
        out.append(data[:, :h, :w].reshape(data.shape[0], h // 2, 2, w // 2, 2).mean(axis=(2, 4)))
    a, b = out
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(np.abs(b - a) / np.maximum(a + b, 1.0), axis=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    header = ("| Area | Dates | Pixels | mean abs dHSE, all | new built-up, all | "
              + " | ".join(f"share < {t:.0%} | mean abs dHSE < {t:.0%} | new built-up < {t:.0%}"
                           for t in THRESHOLDS) + " |")
    lines = [header, "|---" * (header.count("|") - 1) + "|"]
    totals = {t: [0.0, 0, 0] for t in THRESHOLDS}
    for folder in sorted(SCENES.iterdir()):
        scenes = sorted(str(p) for p in folder.glob("*_10band_10m.tif"))
        if len(scenes) != 2:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result = map_growth(scenes[0], scenes[1], f"{tmp}/change.tif", new_built=f"{tmp}/new.tif",
                                model=ModelChoice(model_path=str(bundled_model_path(1)), bands=BANDS, device="CPU"))
            change = gdal.Open(result.outputs["change"]).ReadAsArray()
            state = gdal.Open(result.outputs["new_built"]).ReadAsArray()
        spectral = spectral_change(scenes[0], scenes[1], result.earlier.grid)
        h, w = min(change.shape[0], spectral.shape[0]), min(change.shape[1], spectral.shape[1])
        change, state, spectral = change[:h, :w], state[:h, :w], spectral[:h, :w]
        valid = (change != CHANGE_NODATA) & np.isfinite(spectral)
        cells = [f"{np.abs(change[valid]).mean():.3f}", f"{(state[valid] == 1).mean():.4f}"]
        for t in THRESHOLDS:
            calm = valid & (spectral < t)
            cells += [f"{calm.sum() / valid.sum():.2f}", f"{np.abs(change[calm]).mean():.3f}",
                      f"{(state[calm] == 1).mean():.4f}"]
            totals[t][0] += float(np.abs(change[calm]).sum())
            totals[t][1] += int(calm.sum())
            totals[t][2] += int((state[calm] == 1).sum())
        dates = " -> ".join(Path(s).name.split("_")[2] for s in scenes)
        line = f"| {folder.name} | {dates} | {int(valid.sum())} | " + " | ".join(cells) + " |"
        print(line, flush=True)
        lines.append(line)
    for t, (abs_sum, n, grown) in totals.items():
        summary = (f"All areas, pixels with spectral change < {t:.0%}: {n} pixels, mean |dHSE| {abs_sum / n:.3f}, "
                   f"flagged new built-up {grown / n:.4%}")
        print(summary)
        lines.append("")
        lines.append(summary)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
