"""Training patches cut from whole Sentinel-2 scenes with HSE and LCZ label rasters, in our batch convention.

A scene is one Sentinel-2 raster (anything ``core.reader.open_scene`` accepts; the same band identification,
DN scaling and 10 m working grid as the engine, so the network trains on exactly what the plugin feeds it)
plus any of these label rasters, each in any CRS and on any grid:

- ``lcz``: LCZ class codes 1..17 (0, nodata or any other value = no label), warped onto the 10 m working
  grid with nearest neighbour, or with the mode when the raster is finer than 10 m;
- ``lcz_soft``: 17 bands of LCZ probabilities or votes (band i = code i), warped onto the 10 m grid with
  area average (default) or bilinear, then normalised to sum 1; nodata / NaN / all-zero = no label. Where
  both are given the soft label wins and the class raster fills its gaps. The labels are not kept on their
  own 100 m grid: 128 px patches do not tile 100 m cells, and the paper upsamples LCZ to 10 m as well;
- ``hse``: settlement density as fractions 0..1 or percent 0..100 (``hse_unit``; "auto" takes percent when
  the band's unit is "%" or any value exceeds 1), warped with area average onto the 20 m grid whose cells
  are 2 x 2 working-grid pixels (the grid of the network's HSE output).

Labels are dropped where the image has no data. Each scene is read into memory once, on its working grid
(cropped to an even size so that the 20 m cells line up): about 43 bytes per 10 m pixel, plus 68 with a
soft LCZ raster, i.e. ~43 MB (~111 MB) for a 10 km x 10 km scene, plus a few times the soft part while
warping it. ``load_scene`` refuses scenes above ``max_bytes`` (default 2 GiB, ~5 000 km2 without soft
labels, ~1 900 km2 with): crop larger ones first. All scenes of a sampler stay in memory together.
DataLoader worker processes share these arrays copy-on-write (fork) rather than reading them again.

Scenes carry a ``city`` (default: the image's parent folder name); ``split_by_city`` splits them into
training and validation by city, never by pixels, so no city's pixels are on both sides.

``PatchSampler`` (numpy only) cuts patches: random ones (uniform over the even-aligned windows that hold
at least one label, flips and 90 degree rotations applied identically to image and labels) for training,
or a fixed grid without augmentation for validation. ``ScenePatchDataset`` wraps it for torch.

One sample (batch convention of docs/TRAINING.md): ``image`` (10, P, P) float32 DN in MODEL_BANDS order;
``hse`` (1, P/2, P/2) float32, NaN where unlabelled; ``lcz`` (17, P, P) float32 label distribution at 10 m
(one-hot from class rasters), zeros where unlabelled; ``lcz_mask`` (P, P) bool.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from osgeo import gdal, osr

from core.bands import MODEL_BANDS
from core.lcz import LCZ_CLASS_COUNT
from core.reader import open_scene

try:  # optional: the numpy sampler works without torch
    import torch
    from torch.utils.data import Dataset as _TorchDataset
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    _TorchDataset = object

gdal.UseExceptions()

N_BANDS = len(MODEL_BANDS)
N_CLASSES = LCZ_CLASS_COUNT
GSD = 10.0
DEFAULT_PATCH = 128
DEFAULT_MAX_BYTES = 2 * 1024**3
_HSE_TOLERANCE = 1e-3  # fractions up to 1.001 are rounding, not percent

HseUnit = Literal["auto", "fraction", "percent"]
Log = Callable[[str], None]


# ------------------------------------------------------------------------------------------ scenes
@dataclass(frozen=True)
class SceneSource:
    """Where one scene's image and label rasters are; city defaults to the image's parent folder name."""

    image: str | tuple[str, ...]
    lcz: str | None = None
    lcz_soft: str | None = None
    hse: str | None = None
    city: str | None = None
    hse_unit: HseUnit = "auto"
    bands: str | None = None  # open_scene's band mapping, for rasters without band names
    name: str | None = None

    def __post_init__(self) -> None:
        single = isinstance(self.image, (str, Path))
        image = str(self.image) if single else tuple(str(p) for p in self.image)
        first = Path(image if isinstance(image, str) else image[0])
        object.__setattr__(self, "image", image)
        if self.city is None:
            object.__setattr__(self, "city", first.resolve().parent.name)
        if self.name is None:
            object.__setattr__(self, "name", first.stem)
        if not (self.lcz or self.lcz_soft or self.hse):
            raise ValueError(f"{self.name}: a training scene needs at least one label raster (lcz, lcz_soft or hse)")
        if self.hse_unit not in ("auto", "fraction", "percent"):
            raise ValueError(f"hse_unit must be auto, fraction or percent, not {self.hse_unit!r}")


@dataclass
class SceneArrays:
    """One scene on its even-sized 10 m working grid, in memory (see the module docstring for the sizes)."""

    name: str
    city: str
    image: np.ndarray  # (10, H, W) float32 DN, 0 where invalid
    valid: np.ndarray  # (H, W) bool, image has data
    hse: np.ndarray  # (H/2, W/2) float32 fraction, NaN where unlabelled
    lcz_codes: np.ndarray  # (H, W) uint8, 1..17, 0 = no class label
    lcz_soft: np.ndarray | None = None  # (17, H, W) float32 distribution, NaN where unlabelled
    geotransform: tuple[float, ...] = ()
    projection: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        return self.image.shape[1]

    @property
    def width(self) -> int:
        return self.image.shape[2]

    @property
    def nbytes(self) -> int:
        arrays = (self.image, self.valid, self.hse, self.lcz_codes, self.lcz_soft)
        return sum(a.nbytes for a in arrays if a is not None)

    def soft_valid(self) -> np.ndarray | None:
        return None if self.lcz_soft is None else np.isfinite(self.lcz_soft[0])

    def lcz_mask(self) -> np.ndarray:
        """(H, W) True where an LCZ label (class or soft) exists."""
        mask = self.lcz_codes > 0
        soft = self.soft_valid()
        return mask if soft is None else mask | soft

    def labelled_cells(self) -> np.ndarray:
        """(H/2, W/2) True where a 20 m cell has an HSE label or any LCZ-labelled pixel: what a patch needs."""
        h, w = self.hse.shape
        lcz_any = self.lcz_mask().reshape(h, 2, w, 2).any(axis=(1, 3))
        return np.isfinite(self.hse) | lcz_any

    def window(self, y: int, x: int, size: int) -> dict[str, np.ndarray]:
        """The un-augmented sample whose top-left 10 m pixel is (y, x); y, x and size even."""
        if y % 2 or x % 2 or size % 2:
            raise ValueError("patch origins and sizes must be even so that the 20 m HSE cells stay aligned")
        if y < 0 or x < 0 or y + size > self.height or x + size > self.width:
            raise ValueError(f"window ({y}, {x}, {size}) is outside the {self.height} x {self.width} scene")
        rows, cols = slice(y, y + size), slice(x, x + size)
        codes = self.lcz_codes[rows, cols]
        lcz = np.zeros((N_CLASSES, size, size), dtype=np.float32)
        has_code = codes > 0
        yy, xx = np.nonzero(has_code)
        lcz[codes[yy, xx].astype(np.intp) - 1, yy, xx] = 1.0
        mask = has_code
        if self.lcz_soft is not None:
            soft = self.lcz_soft[:, rows, cols]
            soft_ok = np.isfinite(soft[0])
            lcz[:, soft_ok] = soft[:, soft_ok]
            mask = mask | soft_ok
        return {
            "image": self.image[:, rows, cols].copy(),
            "hse": self.hse[None, y // 2 : (y + size) // 2, x // 2 : (x + size) // 2].copy(),
            "lcz": lcz,
            "lcz_mask": mask.copy(),
        }


def _crs(wkt: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _open_label(path: str, bands: int = 1) -> gdal.Dataset:
    dataset = gdal.Open(str(path))
    if not dataset.GetProjection():
        raise ValueError(f"{path} has no coordinate reference system")
    if dataset.RasterCount != bands:
        raise ValueError(f"{path}: this label raster needs {bands} band(s), not {dataset.RasterCount}")
    return dataset


def _pixel_size_in(dataset: gdal.Dataset, wkt: str) -> float:
    """Side of a source pixel (at the raster centre) measured in the target CRS, in its units."""
    gt = dataset.GetGeoTransform()
    c, r = dataset.RasterXSize / 2, dataset.RasterYSize / 2
    transform = osr.CoordinateTransformation(_crs(dataset.GetProjection()), _crs(wkt))
    points = [(c, r), (c + 1, r), (c, r + 1)]
    geo = [(gt[0] + gt[1] * i + gt[2] * j, gt[3] + gt[4] * i + gt[5] * j) for i, j in points]
    (x0, y0, _), (x1, y1, _), (x2, y2, _) = (transform.TransformPoint(x, y) for x, y in geo)
    return math.sqrt(abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)))


def _source_nodata(dataset: gdal.Dataset, default: float | None) -> list[str] | None:
    """Per-band source nodata for gdal.Warp: the declared value, else NaN for float bands, else default."""
    values = []
    for index in range(1, dataset.RasterCount + 1):
        band = dataset.GetRasterBand(index)
        nodata = band.GetNoDataValue()
        if nodata is None:
            floating = gdal.GetDataTypeName(band.DataType).startswith(("Float", "CFloat"))
            nodata = math.nan if floating else default
        if nodata is None:
            return None
        values.append("nan" if math.isnan(nodata) else repr(float(nodata)))
    return values


def _warp(dataset: gdal.Dataset, wkt: str, gt: Sequence[float], width: int, height: int, resample: str,
          out_type: int, src_nodata: list[str] | None, dst_nodata: str) -> np.ndarray:
    """The raster resampled onto a north-up grid (exact transformation: labels must align to the pixel)."""
    bounds = (gt[0], gt[3] + gt[5] * height, gt[0] + gt[1] * width, gt[3])
    options: dict[str, Any] = dict(
        format="MEM", dstSRS=wkt, outputBounds=bounds, width=width, height=height, resampleAlg=resample,
        outputType=out_type, dstNodata=dst_nodata, errorThreshold=0,
    )
    if src_nodata is not None:
        options["srcNodata"] = " ".join(src_nodata)
    warped = gdal.Warp("", dataset, **options)
    array = warped.ReadAsArray()
    return array.reshape(dataset.RasterCount, height, width) if dataset.RasterCount > 1 else array


def _read_lcz(path: str, wkt: str, gt: Sequence[float], width: int, height: int, say: Log) -> np.ndarray:
    dataset = _open_label(path)
    finer = _pixel_size_in(dataset, wkt) < GSD * 0.99
    resample = "mode" if finer else "near"
    codes = _warp(dataset, wkt, gt, width, height, resample, gdal.GDT_Int32, _source_nodata(dataset, 0), "0")
    other = (codes != 0) & ((codes < 1) | (codes > N_CLASSES))
    if other.any():
        say(f"{Path(path).name}: {int(other.sum())} pixels hold values outside the LCZ codes 1..{N_CLASSES}: no label")
    say(f"{Path(path).name}: LCZ classes warped with {resample}")
    return np.where(other, 0, codes).astype(np.uint8)


def _read_soft(path: str, wkt: str, gt: Sequence[float], width: int, height: int, resample: str) -> np.ndarray:
    dataset = _open_label(path, N_CLASSES)  # one band per LCZ code
    soft = _warp(dataset, wkt, gt, width, height, resample, gdal.GDT_Float32, _source_nodata(dataset, None), "nan")
    if np.nanmin(soft, initial=0.0) < 0:
        raise ValueError(f"{path}: soft LCZ labels must not be negative")
    total = soft.sum(axis=0)
    ok = np.isfinite(total) & (total > 0)
    soft = np.where(ok, soft / np.where(ok, total, 1.0), np.nan)
    return soft.astype(np.float32)


def _hse_is_percent(dataset: gdal.Dataset, warped: np.ndarray) -> bool:
    """Percent when the band says so, or when any value (approximate statistics or over the scene) exceeds 1."""
    band = dataset.GetRasterBand(1)
    if band.GetUnitType().strip() in ("%", "percent"):
        return True
    try:
        source_max = band.ComputeRasterMinMax(True)[1]
    except RuntimeError:  # nothing but nodata in the overview
        source_max = -math.inf
    scene_max = np.nanmax(warped, initial=-math.inf)
    return max(source_max, scene_max) > 1.0 + _HSE_TOLERANCE


def _read_hse(path: str, unit: HseUnit, wkt: str, gt: Sequence[float], width: int, height: int, say: Log) -> np.ndarray:
    dataset = _open_label(path)
    hse = _warp(dataset, wkt, gt, width, height, "average", gdal.GDT_Float32, _source_nodata(dataset, None), "nan")
    hse = hse.astype(np.float32)
    if unit == "auto":
        unit = "percent" if _hse_is_percent(dataset, hse) else "fraction"
        say(f"{Path(path).name}: HSE read as {unit}")
    if unit == "percent":
        hse /= np.float32(100.0)
    low, high = np.nanmin(hse, initial=0.0), np.nanmax(hse, initial=0.0)
    if low < -_HSE_TOLERANCE or high > 1.0 + _HSE_TOLERANCE:
        raise ValueError(f"{path}: HSE values {low:g}..{high:g} after reading as {unit} are not densities 0..1")
    return np.clip(hse, 0.0, 1.0)


def load_scene(source: SceneSource, *, soft_resampling: Literal["average", "bilinear"] = "average",
               max_bytes: int = DEFAULT_MAX_BYTES, log: Log | None = None) -> SceneArrays:
    """Read the image (as the engine does) and warp every label raster onto its working grid, into memory."""
    say = log or (lambda message: None)
    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        say(f"{source.name}: {message}")

    scene = open_scene(source.image, MODEL_BANDS, band_mapping=source.bands, gsd=GSD, log=note)
    try:
        gt, wkt = scene.geotransform, scene.projection
        if gt[2] or gt[4] or gt[5] >= 0:
            raise ValueError(f"{source.name}: the working grid is not north-up")
        height, width = scene.height // 2 * 2, scene.width // 2 * 2
        per_pixel = 4 * N_BANDS + 1 + 1 + 1 + (4 * N_CLASSES if source.lcz_soft else 0)
        if height * width * per_pixel > max_bytes:
            raise ValueError(
                f"{source.name}: {width} x {height} px at 10 m needs ~{height * width * per_pixel / 2**20:.0f} MiB "
                f"in memory, above max_bytes ({max_bytes / 2**20:.0f} MiB); crop the scene into smaller parts"
            )
        image, valid = scene.read(0, 0, width, height)
    finally:
        scene.close()
    half = (gt[0], 2 * gt[1], 0.0, gt[3], 0.0, 2 * gt[5])
    if source.hse:
        hse = _read_hse(source.hse, source.hse_unit, wkt, half, width // 2, height // 2, note)
        cell_valid = valid.reshape(height // 2, 2, width // 2, 2).all(axis=(1, 3))
        hse[~cell_valid] = np.nan
    else:
        hse = np.full((height // 2, width // 2), np.nan, dtype=np.float32)
    codes = np.zeros((height, width), dtype=np.uint8)
    if source.lcz:
        codes = _read_lcz(source.lcz, wkt, gt, width, height, note)
        codes[~valid] = 0
    soft = None
    if source.lcz_soft:
        soft = _read_soft(source.lcz_soft, wkt, gt, width, height, soft_resampling)
        soft[:, ~valid] = np.nan
    return SceneArrays(
        name=str(source.name), city=str(source.city), image=image, valid=valid, hse=hse, lcz_codes=codes,
        lcz_soft=soft, geotransform=tuple(gt), projection=wkt, notes=notes,
    )


def load_scenes(sources: Iterable[SceneSource], **kwargs: Any) -> list[SceneArrays]:
    return [load_scene(source, **kwargs) for source in sources]


# -------------------------------------------------------------------------------- city split
def _city_key(city: str | None) -> str:
    return (city or "").strip().casefold()


def check_city_split(train: Iterable[SceneSource | SceneArrays],
                     validation: Iterable[SceneSource | SceneArrays]) -> None:
    """Raise ValueError when a city (case-insensitive) has scenes on both sides: its pixels would leak."""
    shared = {_city_key(s.city) for s in train} & {_city_key(s.city) for s in validation}
    if shared:
        raise ValueError(f"cities on both sides of the train/validation split: {', '.join(sorted(shared))}")


def split_by_city(scenes: Sequence[SceneSource], validation_cities: Iterable[str] | None = None, *,
                  n_validation: int | None = None, seed: int = 0) -> tuple[list[SceneSource], list[SceneSource]]:
    """(training, validation) scenes, split by whole cities: the named ones, or n_validation drawn with seed."""
    cities = sorted({_city_key(s.city) for s in scenes})
    if (validation_cities is None) == (n_validation is None):
        raise ValueError("give either validation_cities or n_validation")
    if validation_cities is not None:
        chosen = {_city_key(c) for c in validation_cities}
        unknown = chosen - set(cities)
        if unknown:
            raise ValueError(f"validation cities without scenes: {', '.join(sorted(unknown))}; "
                             f"cities: {', '.join(cities)}")
    else:
        if not 0 < n_validation < len(cities):  # type: ignore[operator]
            raise ValueError(f"n_validation must be 1..{len(cities) - 1} for {len(cities)} cities")
        chosen = set(random.Random(seed).sample(cities, n_validation))  # type: ignore[arg-type]
    train = [s for s in scenes if _city_key(s.city) not in chosen]
    validation = [s for s in scenes if _city_key(s.city) in chosen]
    check_city_split(train, validation)
    return train, validation


# ------------------------------------------------------------------------------------- patches
@dataclass(frozen=True)
class PatchWhere:
    """Where a patch came from and how it was turned: k quarter turns (np.rot90), then a left-right flip."""

    scene: int
    y: int
    x: int
    k: int = 0
    flip: bool = False


def jitter_radiometry(image: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Scale a patch's DN by one random gain exp(U(-s, s)) times a gain per band exp(N(0, s / 4)).

    Why: the same surface reads differently on two dates (season, sun and view angle, haze), and L1C input is
    not atmospherically corrected; with two dates per city the network otherwise sees few such differences and
    learns the training dates' brightness as a class cue (measured on Milan's winter scenes,
    docs/DISTILLATION.md).
    """
    if strength <= 0:
        return image
    gain = np.exp(rng.uniform(-strength, strength) + rng.normal(0.0, strength / 4, size=(image.shape[0], 1, 1)))
    return (image * gain.astype(np.float32)).astype(np.float32)


def augment(sample: dict[str, np.ndarray], k: int, flip: bool) -> dict[str, np.ndarray]:
    """The same rotation and flip on every array's last two axes (square patches keep their shapes)."""
    out = {}
    for key, value in sample.items():
        turned = np.rot90(value, k, axes=(-2, -1))
        out[key] = np.ascontiguousarray(turned[..., ::-1] if flip else turned)
    return out


class PatchSampler:
    """Patches from in-memory scenes: random (augmented) for training, a fixed grid for validation.

    A window qualifies when at least max(1, ceil(min_label_fraction x cells)) of its 20 m cells hold a label
    (HSE, or LCZ in any of the cell's four pixels). Origins are even; scenes smaller than the patch are skipped.
    radiometric > 0 also scales random patches' DN (``jitter_radiometry``); grid patches are never changed.
    """

    def __init__(self, scenes: Sequence[SceneArrays], patch_size: int = DEFAULT_PATCH, *,
                 min_label_fraction: float = 0.0, augment: bool = True, radiometric: float = 0.0,
                 log: Log | None = None):
        if patch_size <= 0 or patch_size % 2:
            raise ValueError("patch_size must be even and positive (HSE cells are 2 x 2 pixels)")
        self.scenes = list(scenes)
        self.patch_size = patch_size
        self.augment = augment
        if radiometric < 0:
            raise ValueError("radiometric must be >= 0")
        self.radiometric = radiometric if augment else 0.0
        cells = patch_size // 2
        self._need = max(1, math.ceil(min_label_fraction * cells * cells))
        self._counts: list[np.ndarray | None] = []
        for scene in self.scenes:
            if scene.height < patch_size or scene.width < patch_size:
                (log or (lambda m: None))(f"{scene.name}: {scene.height} x {scene.width} px, smaller than the patch: "
                                          "skipped")
                self._counts.append(None)
                continue
            labelled = scene.labelled_cells().astype(np.int32)
            table = np.pad(labelled.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
            self._counts.append(table[cells:, cells:] - table[:-cells, cells:] - table[cells:, :-cells]
                                + table[:-cells, :-cells])
        self._origins = [np.flatnonzero(c >= self._need) if c is not None else np.zeros(0, np.intp)
                         for c in self._counts]
        self._weights = np.array([len(o) for o in self._origins], dtype=np.float64)
        if not self._weights.sum():
            raise ValueError(f"no {patch_size} x {patch_size} window with labels in any of the "
                             f"{len(self.scenes)} scenes")

    @property
    def n_windows(self) -> int:
        """How many distinct labelled windows (even origins) the random mode draws from."""
        return int(self._weights.sum())

    def sample(self, where: PatchWhere) -> dict[str, np.ndarray]:
        patch = self.scenes[where.scene].window(where.y, where.x, self.patch_size)
        return augment(patch, where.k, where.flip) if (where.k or where.flip) else patch

    def draw(self, rng: np.random.Generator) -> PatchWhere:
        """A random labelled window, uniform over all scenes' windows, with a random turn and flip."""
        scene = int(rng.choice(len(self.scenes), p=self._weights / self._weights.sum()))
        flat = int(self._origins[scene][rng.integers(len(self._origins[scene]))])
        i, j = np.unravel_index(flat, self._counts[scene].shape)  # type: ignore[union-attr]
        k, flip = (int(rng.integers(4)), bool(rng.integers(2))) if self.augment else (0, False)
        return PatchWhere(scene, 2 * int(i), 2 * int(j), k, flip)

    def random(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        patch = self.sample(self.draw(rng))
        if self.radiometric:
            patch["image"] = jitter_radiometry(patch["image"], rng, self.radiometric)
        return patch

    def grid(self, stride: int | None = None) -> list[PatchWhere]:
        """Windows on a regular grid (last row and column flush with the scene edge), labelled ones only."""
        stride = stride or self.patch_size
        if stride <= 0 or stride % 2:
            raise ValueError("stride must be even and positive")
        places = []
        for index, (scene, counts) in enumerate(zip(self.scenes, self._counts, strict=True)):
            if counts is None:
                continue
            for y in _starts(scene.height, self.patch_size, stride):
                for x in _starts(scene.width, self.patch_size, stride):
                    if counts[y // 2, x // 2] >= self._need:
                        places.append(PatchWhere(index, y, x))
        return places


def _starts(length: int, size: int, stride: int) -> list[int]:
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


if torch is not None:
    from .network import SIZE_MULTIPLE

    class ScenePatchDataset(_TorchDataset):
        """PatchSampler as a torch Dataset: mode "random" (training) or "grid" (validation, deterministic).

        Random mode draws each patch from torch's RNG, which train.seed_everything seeds in the main process
        and the DataLoader seeds per worker and epoch: reproducible, and fresh patches every epoch.
        length: patches per epoch in random mode (default: the labelled windows / (patch / 2)^2, at least 1).
        """

        def __init__(self, sampler: PatchSampler, mode: Literal["random", "grid"] = "random", *,
                     length: int | None = None, stride: int | None = None):
            if mode not in ("random", "grid"):
                raise ValueError(f"mode must be random or grid, not {mode!r}")
            if sampler.patch_size % SIZE_MULTIPLE:
                raise ValueError(f"the network takes sizes that are multiples of {SIZE_MULTIPLE}, "
                                 f"not {sampler.patch_size}")
            self.sampler, self.mode = sampler, mode
            self.places = sampler.grid(stride) if mode == "grid" else []
            cells = (sampler.patch_size // 2) ** 2
            self.length = len(self.places) if mode == "grid" else (length or max(1, sampler.n_windows // cells))

        def __len__(self) -> int:
            return self.length

        def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
            if not 0 <= index < self.length:
                raise IndexError(index)
            if self.mode == "grid":
                sample = self.sampler.sample(self.places[index])
            else:
                rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
                sample = self.sampler.random(rng)
            return {key: torch.from_numpy(value) for key, value in sample.items()}

    def make_datasets(sources: Sequence[SceneSource], validation_cities: Iterable[str] | None = None, *,
                      n_validation: int | None = None, seed: int = 0, patch_size: int = DEFAULT_PATCH,
                      length: int | None = None, radiometric: float = 0.0, log: Log | None = None,
                      **load_kwargs: Any) -> tuple[ScenePatchDataset, ScenePatchDataset | None]:
        """(random training dataset, grid validation dataset or None), split by city; for train.py --data."""
        if validation_cities is None and n_validation is None:
            train, validation = list(sources), []
        else:
            train, validation = split_by_city(sources, validation_cities, n_validation=n_validation, seed=seed)
        train_sampler = PatchSampler(load_scenes(train, log=log, **load_kwargs), patch_size, radiometric=radiometric,
                                     log=log)
        train_data = ScenePatchDataset(train_sampler, "random", length=length)
        if not validation:
            return train_data, None
        val_sampler = PatchSampler(load_scenes(validation, log=log, **load_kwargs), patch_size, augment=False, log=log)
        return train_data, ScenePatchDataset(val_sampler, "grid")
