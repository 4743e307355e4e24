"""Quick-look figures of the held-out evaluation: per scene, RGB, teacher LCZ, student LCZ, student HSE,
derived HSE label; written next to results.json as <city>_<date>.png."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from osgeo import gdal

from core.lcz import LCZ_CLASSES

from . import STUDENT


def _read(path: Path | str) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()


def _lcz_rgb(codes: np.ndarray) -> np.ndarray:
    table = np.ones((18, 3))
    for c in LCZ_CLASSES:
        table[c.code] = [int(c.color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return table[np.clip(codes, 0, 17)]


def scene_figure(entry: dict, eval_dir: Path, out: Path) -> Path:
    """One row of five panels for a held-out scene (the aligned image's grid for image and HSE)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    city, date = entry["city"], entry["date"]
    image = _read(entry["image"]).astype(np.float64)
    rgb = np.clip(image[[2, 1, 0]].transpose(1, 2, 0) / 2500.0, 0, 1)
    folder = eval_dir / city
    panels = [
        ("Sentinel-2 L1C (B4 B3 B2)", rgb, None),
        ("teacher LCZ (So2Sat ResNet20)", _lcz_rgb(_read(folder / f"teacher_{date}_lcz.tif")), None),
        ("student LCZ", _lcz_rgb(_read(folder / f"{STUDENT}_{date}_lcz.tif")), None),
        ("student HSE (20 m)",
         np.where((h := _read(folder / f"{STUDENT}_{date}_aligned_hse.tif")) >= 0, h, np.nan), "magma"),
        ("derived HSE pseudo-label", np.where((d := _read(entry["hse"])) >= 0, d, np.nan), "magma"),
    ]
    fig = Figure(figsize=(20, 4.6), dpi=80, layout="constrained")
    for i, (title, data, cmap) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, 5, i)
        shown = ax.imshow(data, cmap=cmap, vmin=0 if cmap else None, vmax=1 if cmap else None, interpolation="nearest")
        if cmap:
            fig.colorbar(shown, ax=ax, shrink=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.suptitle(f"{city} {date} (held out)")
    FigureCanvasAgg(fig)
    path = out / f"{city}_{date}.png"
    fig.savefig(path)
    return path


def write_figures(manifest: Path, eval_dir: Path, held_out: list[str]) -> list[Path]:
    entries = [e for e in json.loads(Path(manifest).read_text())["scenes"] if e["city"] in held_out]
    return [scene_figure(e, eval_dir, eval_dir) for e in entries]
