"""SYNTHETIC TEST LABELS on the real sample, for the training pipeline's tests (training/mtl).

The rule (water: B8 < 800 -> LCZ G; NDVI > 0.4 -> LCZ A; else LCZ 2 and HSE 1) only gives an optimiser something
learnable; it is not ground truth of anything. Needs PyTorch (the training tests skip without it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from core.bands import MODEL_BANDS
from core.lcz import LCZ_CLASS_COUNT
from support.data import SAMPLE_SCENE

B8, B4 = MODEL_BANDS.index("B8"), MODEL_BANDS.index("B4")
SYNTHETIC_CLASSES = {"water": 17, "trees": 11, "built": 2}  # LCZ codes of the synthetic rule


def read_sample(path: Path) -> np.ndarray:
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    data = dataset.ReadAsArray().astype(np.float32)
    dataset = None
    return data


def synthetic_labels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC TEST LABELS for a (10, H, W) DN crop: one-hot LCZ (17, H, W) and HSE (1, H/2, W/2)."""
    b8, b4 = image[B8], image[B4]
    ndvi = (b8 - b4) / (b8 + b4 + 1.0)
    water = b8 < 800
    trees = ~water & (ndvi > 0.4)
    built = ~water & ~trees
    code = np.where(water, SYNTHETIC_CLASSES["water"],
                    np.where(trees, SYNTHETIC_CLASSES["trees"], SYNTHETIC_CLASSES["built"]))
    lcz = np.zeros((LCZ_CLASS_COUNT, *code.shape), dtype=np.float32)
    np.put_along_axis(lcz, (code - 1)[None], 1.0, axis=0)
    h, w = built.shape
    hse = built.astype(np.float32).reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))[None]
    return lcz, hse


class RasterPatches(torch.utils.data.Dataset):
    """Random crops (with flips and 90 degree rotations) of one raster, with synthetic test labels."""

    def __init__(self, image: np.ndarray, size: int = 64, count: int = 16, seed: int = 0):
        self.image, self.size, self.count, self.seed = image, size, count, seed

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng(self.seed * 100_003 + index)
        _, h, w = self.image.shape
        y, x = rng.integers(0, h - self.size + 1), rng.integers(0, w - self.size + 1)
        crop = self.image[:, y : y + self.size, x : x + self.size]
        crop = np.rot90(crop, k=int(rng.integers(4)), axes=(1, 2))
        if rng.random() < 0.5:
            crop = crop[:, :, ::-1]
        crop = np.ascontiguousarray(crop)
        lcz, hse = synthetic_labels(crop)
        return {"image": torch.from_numpy(crop), "hse": torch.from_numpy(hse), "lcz": torch.from_numpy(lcz),
                "lcz_mask": torch.ones(lcz.shape[1:], dtype=torch.bool)}


def scene_datasets(folder: Path, patch: int = 32):
    """data_scenes datasets on the real sample: SYNTHETIC test labels on the working grid, west half for
    "city" west (training, random patches) and east half for "city" east (validation, a fixed grid).

    Both "cities" are the same image with disjoint label halves: a stand-in for a city split, test only.
    """
    from osgeo import gdal

    from core.bands import MODEL_BANDS
    from core.reader import open_scene
    from training.mtl import data_scenes

    scene = open_scene(str(SAMPLE_SCENE), MODEL_BANDS)
    gt, wkt = scene.geotransform, scene.projection
    h, w = scene.height // 2 * 2, scene.width // 2 * 2
    image, valid = scene.read(0, 0, w, h)
    scene.close()
    lcz, hse = synthetic_labels(np.asarray(image, dtype=np.float32))
    codes = (lcz.argmax(axis=0) + 1) * valid
    sources = []
    for city, columns in (("west", slice(0, w // 2)), ("east", slice(w // 2, w))):
        keep = np.zeros((h, w), dtype=bool)
        keep[:, columns] = True
        paths = []
        for name, array, transform, dtype, nodata in (
                ("lcz", np.where(keep, codes, 0), gt, gdal.GDT_Byte, 0),
                ("hse", np.where(keep[::2, ::2], hse[0], -1), (gt[0], 20.0, 0, gt[3], 0, -20.0), gdal.GDT_Float32, -1)):
            path = folder / f"{city}_{name}.tif"
            out = gdal.GetDriverByName("GTiff").Create(str(path), array.shape[1], array.shape[0], 1, dtype)
            out.SetGeoTransform(transform)
            out.SetProjection(wkt)
            out.GetRasterBand(1).SetNoDataValue(nodata)
            out.GetRasterBand(1).WriteArray(array)
            out = None
            paths.append(str(path))
        sources.append(data_scenes.SceneSource(str(SAMPLE_SCENE), lcz=paths[0], hse=paths[1], city=city,
                                               hse_unit="fraction"))
    return data_scenes.make_datasets(sources, ["east"], patch_size=patch, length=8)
