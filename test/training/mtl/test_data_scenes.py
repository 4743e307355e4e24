"""The scene patch reader on the bundled real Sentinel-2 crop, with label rasters built here on other grids.

The label rasters are synthetic and encode their own position (no ground truth): that is what lets the
tests check that warping, cropping, flips and rotations keep image and labels aligned to the pixel.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from core.bands import MODEL_BANDS
from core.options import ModelChoice
from core.reader import open_scene
from training.mtl import data_scenes as ds

gdal.UseExceptions()


def _srs(epsg: int | str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    if isinstance(epsg, int):
        srs.ImportFromEPSG(epsg)
    else:
        srs.ImportFromWkt(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _write(path: Path, array: np.ndarray, gt: tuple[float, ...], crs: int | str, nodata: float | None = None,
           dtype: int = gdal.GDT_Float32, unit: str | None = None) -> str:
    array = array if array.ndim == 3 else array[None]
    out = gdal.GetDriverByName("GTiff").Create(str(path), array.shape[2], array.shape[1], array.shape[0], dtype)
    out.SetGeoTransform(gt)
    out.SetProjection(_srs(crs).ExportToWkt())
    for index, plane in enumerate(array, start=1):
        band = out.GetRasterBand(index)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if unit:
            band.SetUnitType(unit)
        band.WriteArray(plane)
    out = None
    return str(path)


def _transform(xs: np.ndarray, ys: np.ndarray, src: int | str, dst: int | str) -> tuple[np.ndarray, np.ndarray]:
    points = np.column_stack([xs.ravel(), ys.ravel()])
    out = np.array(osr.CoordinateTransformation(_srs(src), _srs(dst)).TransformPoints(points))
    return out[:, 0].reshape(xs.shape), out[:, 1].reshape(xs.shape)


class Grid:
    """The engine's working grid of the sample (UTM 50N, 10 m), cropped to an even size."""

    def __init__(self, sample: Path):
        scene = open_scene(str(sample), MODEL_BANDS)
        self.gt, self.wkt = scene.geotransform, scene.projection
        self.height, self.width = scene.height // 2 * 2, scene.width // 2 * 2
        self.image, self.valid = scene.read(0, 0, self.width, self.height)
        scene.close()

    def centres(self, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Projected centres of the 10 m pixels (step 1) or of the 20 m cells (step 2)."""
        rows, cols = np.mgrid[0 : self.height // step, 0 : self.width // step]
        return self.gt[0] + (cols + 0.5) * step * self.gt[1], self.gt[3] + (rows + 0.5) * step * self.gt[5]


@pytest.fixture(scope="module")
def grid(sample_scene: Path) -> Grid:
    return Grid(sample_scene)


# ------------------------------------------------------------------------------------ label rasters
LCZ_LON0, LCZ_LAT0, LCZ_STEP = 114.2540, 22.3120, 0.0009  # ~93 m x 100 m cells, west strip left unlabelled


def _lcz_4326(path: Path) -> str:
    """LCZ classes in EPSG:4326 on a ~100 m grid; code 1 + (3 row + 5 col) % 17 encodes the cell (one row no data)."""
    rows, cols = np.mgrid[0:26, 0:20]
    codes = (1 + (3 * rows + 5 * cols) % 17).astype(np.uint8)
    codes[7] = 0
    return _write(path, codes, (LCZ_LON0, LCZ_STEP, 0, LCZ_LAT0, 0, -LCZ_STEP), 4326, 0, gdal.GDT_Byte)


def _expected_lcz(grid: Grid) -> np.ndarray:
    lon, lat = _transform(*grid.centres(), grid.wkt, 4326)
    col = np.floor((lon - LCZ_LON0) / LCZ_STEP).astype(int)
    row = np.floor((LCZ_LAT0 - lat) / LCZ_STEP).astype(int)
    inside = (col >= 0) & (col < 20) & (row >= 0) & (row < 26) & (row != 7)
    return np.where(inside, 1 + (3 * row + 5 * col) % 17, 0) * grid.valid


def _hse_field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Settlement percent, linear in Web Mercator coordinates (the average of a linear field is its centre value)."""
    return 50.0 + 40.0 * (x - 12_719_300.0) / 3000.0 + 30.0 * (y - 2_547_700.0) / 3000.0


HSE_X0, HSE_Y0, HSE_STEP = 12_717_900.0, 2_549_300.0, 7.0


def _hse_3857(path: Path, scale: float = 1.0, unit: str | None = None) -> str:
    """HSE percent (scale 1) or fraction (scale 0.01) in EPSG:3857 at 7 m, a no-data block in one corner."""
    rows, cols = np.mgrid[0:420, 0:420]
    values = _hse_field(HSE_X0 + (cols + 0.5) * HSE_STEP, HSE_Y0 - (rows + 0.5) * HSE_STEP) * scale
    values[:60, :60] = -1
    return _write(path, values.astype(np.float32), (HSE_X0, HSE_STEP, 0, HSE_Y0, 0, -HSE_STEP), 3857, -1, unit=unit)


def _position_labels(grid: Grid, folder: Path) -> tuple[str, str]:
    """Labels on the working grid that encode their own position: soft LCZ per 10 m pixel, HSE per 20 m cell."""
    h, w = grid.height, grid.width
    rows, cols = np.mgrid[0:h, 0:w]
    soft = np.zeros((17, h, w), dtype=np.float32)
    soft[0] = 0.25 * (rows + 1) / h
    soft[1] = 0.25 * (cols + 1) / w
    soft[2] = 1.0 - soft[0] - soft[1]
    cell_rows, cell_cols = np.mgrid[0 : h // 2, 0 : w // 2]
    hse = ((cell_rows * (w // 2) + cell_cols) / (h * w / 4)).astype(np.float32)
    half = (grid.gt[0], 20.0, 0, grid.gt[3], 0, -20.0)
    return (_write(folder / "soft.tif", soft, grid.gt, grid.wkt),
            _write(folder / "hse.tif", hse, half, grid.wkt))


def _decode(sample: dict[str, np.ndarray], grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scene row/column of each patch pixel (from the soft LCZ) and of each patch cell (from the HSE); -1 = no label."""
    h, w = grid.height, grid.width
    mask = sample["lcz_mask"]
    rows = np.where(mask, np.rint(sample["lcz"][0] * 4 * h - 1), -1).astype(int)
    cols = np.where(mask, np.rint(sample["lcz"][1] * 4 * w - 1), -1).astype(int)
    hse = sample["hse"][0].astype(np.float64)
    flat = np.where(np.isfinite(hse), np.rint(np.nan_to_num(hse) * h * w / 4), -1).astype(int)
    return rows, cols, np.where(flat >= 0, flat // (w // 2), -1), np.where(flat >= 0, flat % (w // 2), -1)


@pytest.fixture(scope="module")
def labelled(grid: Grid, sample_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> ds.SceneArrays:
    folder = tmp_path_factory.mktemp("hongkong")
    source = ds.SceneSource(str(sample_scene), lcz=_lcz_4326(folder / "lcz.tif"), hse=_hse_3857(folder / "hse.tif"))
    return ds.load_scene(source)


@pytest.fixture(scope="module")
def encoded(grid: Grid, sample_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> ds.SceneArrays:
    soft, hse = _position_labels(grid, tmp_path_factory.mktemp("encoded"))
    return ds.load_scene(ds.SceneSource(str(sample_scene), lcz_soft=soft, hse=hse, city="tko"))


# -------------------------------------------------------------------------------------- reading
def test_image_is_the_engines_working_grid(labelled: ds.SceneArrays, grid: Grid) -> None:
    assert labelled.image.shape == (10, 232, 218) and labelled.image.dtype == np.float32  # 233 rows cropped to even
    np.testing.assert_array_equal(labelled.image, grid.image)  # same bands, order and DN scaling as the engine
    assert labelled.hse.shape == (116, 109) and labelled.lcz_codes.shape == (232, 218)
    assert labelled.geotransform == grid.gt and "32650" in labelled.projection
    assert labelled.city == "sample" and labelled.name == "hongkong_tko_S2L1C_20180323"  # parent folder, stem


def test_lcz_classes_in_4326_land_on_the_right_pixels(labelled: ds.SceneArrays, grid: Grid) -> None:
    expected = _expected_lcz(grid)
    agree = labelled.lcz_codes == expected
    assert agree.mean() > 0.999, f"{(~agree).sum()} pixels differ"
    assert (expected == 0).mean() > 0.1 and (expected > 0).mean() > 0.5  # the test has both labelled and not


def test_hse_percent_in_3857_is_averaged_onto_the_20m_cells(labelled: ds.SceneArrays, grid: Grid) -> None:
    x, y = _transform(*grid.centres(step=2), grid.wkt, 3857)
    expected = _hse_field(x, y) / 100.0
    cells = grid.valid.reshape(116, 2, 109, 2).all(axis=(1, 3))
    away = ((x - HSE_X0) > 60 * HSE_STEP + 30) | ((HSE_Y0 - y) > 60 * HSE_STEP + 30)  # off the no-data block
    good = cells & away
    assert np.isfinite(labelled.hse[good]).all() and labelled.hse[good].max() > 0.6  # percent became fraction
    error = np.abs(labelled.hse[good] - expected[good])
    assert error.max() < 3e-4, error.max()  # 3e-4 = 2 m of the gradient: a 10 m shift would show
    inside_gap = ((x - HSE_X0) < 60 * HSE_STEP - 30) & ((HSE_Y0 - y) < 60 * HSE_STEP - 30)
    assert inside_gap.any() and np.isnan(labelled.hse[inside_gap]).all()
    assert np.isnan(labelled.hse[~cells]).all()  # no label where the image has no data


def test_hse_units(grid: Grid, sample_scene: Path, tmp_path: Path) -> None:
    image = str(sample_scene)
    fraction = ds.load_scene(ds.SceneSource(image, hse=_hse_3857(tmp_path / "f.tif", 0.01)))
    percent = ds.load_scene(ds.SceneSource(image, hse=_hse_3857(tmp_path / "p.tif")))
    np.testing.assert_allclose(fraction.hse, percent.hse, atol=1e-6)
    told = ds.load_scene(ds.SceneSource(image, hse=str(tmp_path / "p.tif"), hse_unit="percent"))
    np.testing.assert_allclose(told.hse, percent.hse, atol=1e-6)
    # small percentages (a rural scene) are read as percent when the band unit says so
    rural = _write(tmp_path / "r.tif", np.full((30, 30), 0.8, np.float32), (114.2, 0.01, 0, 22.4, 0, -0.01), 4326,
                   unit="%")
    assert np.nanmax(ds.load_scene(ds.SceneSource(image, hse=rural)).hse) == pytest.approx(0.008)
    with pytest.raises(ValueError, match="not densities"):
        ds.load_scene(ds.SceneSource(image, hse=str(tmp_path / "p.tif"), hse_unit="fraction"))


def test_soft_lcz_at_100m_and_class_raster_finer_than_10m(grid: Grid, sample_scene: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    votes = rng.integers(0, 5, size=(17, 25, 23)).astype(np.float32)  # votes, normalised on reading
    votes[:, 3, 4] = np.nan  # no label in one cell
    x0, y0 = 216_600.0, 2_469_900.0  # 100 m cells on whole hundreds: each 10 m pixel inside one cell
    soft_path = _write(tmp_path / "soft.tif", votes, (x0, 100.0, 0, y0, 0, -100.0), grid.wkt)
    fine = np.full((466, 436), 4, np.uint8)
    fine[1::2, 1::2] = 9  # 3 of 4 sub-pixels say 4: the mode is 4, the nearest pixel would be 9
    fine_path = _write(tmp_path / "fine.tif", fine, (grid.gt[0], 5.0, 0, grid.gt[3], 0, -5.0), grid.wkt, 0,
                       gdal.GDT_Byte)
    scene = ds.load_scene(ds.SceneSource(str(sample_scene), lcz=fine_path, lcz_soft=soft_path))
    assert set(np.unique(scene.lcz_codes[grid.valid])) == {4}
    x, y = grid.centres()
    col, row = ((x - x0) // 100).astype(int), ((y0 - y) // 100).astype(int)
    total = votes.sum(axis=0)
    expected = votes[:, row, col] / total[row, col]
    soft_ok = np.isfinite(expected[0]) & grid.valid
    np.testing.assert_allclose(scene.lcz_soft[:, soft_ok], expected[:, soft_ok], atol=1e-6)
    assert np.isnan(scene.lcz_soft[0, ~soft_ok]).all() and (~soft_ok & grid.valid).sum() == 100
    window = scene.window(0, 0, 218)
    in_gap = ~soft_ok[:218] & grid.valid[:218]
    assert window["lcz_mask"][in_gap].all() and (window["lcz"][3][in_gap] == 1).all()  # the class raster fills gaps
    assert np.allclose(window["lcz"].sum(axis=0)[window["lcz_mask"]], 1.0, atol=1e-5)


def test_pseudo_labels_from_the_default_model(grid: Grid, sample_scene: Path, tmp_path: Path) -> None:
    """The bundled model's LCZ map of the sample (a model output: pseudo-labels, not ground truth) read back."""
    pytest.importorskip("onnxruntime")
    from core.engine import OutputPaths, map_scene

    paths = OutputPaths(lcz=str(tmp_path / "lcz.tif"), probabilities=str(tmp_path / "prob.tif"))
    map_scene(str(sample_scene), paths, model=ModelChoice(device="CPU"))
    scene = ds.load_scene(ds.SceneSource(str(sample_scene), lcz=paths.lcz, lcz_soft=paths.probabilities))
    codes = gdal.Open(paths.lcz).ReadAsArray()  # 100 m cells on the working grid's origin
    probs = gdal.Open(paths.probabilities).ReadAsArray()
    up = np.repeat(np.repeat(codes, 10, 0), 10, 1)[: grid.height, : grid.width]
    np.testing.assert_array_equal(scene.lcz_codes, np.where(grid.valid, up, 0))
    soft_up = np.repeat(np.repeat(probs, 10, 1), 10, 2)[:, : grid.height, : grid.width]
    ok = np.isfinite(scene.lcz_soft[0])
    assert ok.mean() > 0.8 and not ok[~grid.valid].any()
    np.testing.assert_allclose(scene.lcz_soft[:, ok], soft_up[:, ok] / soft_up[:, ok].sum(axis=0), atol=1e-5)
    assert (scene.lcz_soft[:, ok].argmax(axis=0) + 1 == scene.lcz_codes[ok]).mean() > 0.99
    smooth = ds.load_scene(ds.SceneSource(str(sample_scene), lcz_soft=paths.probabilities), soft_resampling="bilinear")
    both = ok & np.isfinite(smooth.lcz_soft[0])
    assert both.mean() > 0.8 and np.allclose(smooth.lcz_soft[:, both].sum(axis=0), 1.0, atol=1e-5)
    assert not np.allclose(smooth.lcz_soft[:, both], scene.lcz_soft[:, both], atol=1e-3)  # smoother cell edges
    with pytest.raises(ValueError, match="17 band"):
        ds.load_scene(ds.SceneSource(str(sample_scene), lcz_soft=paths.lcz))
    with pytest.raises(ValueError, match="1 band"):
        ds.load_scene(ds.SceneSource(str(sample_scene), lcz=paths.probabilities))


def test_masks_follow_the_image_footprint(labelled: ds.SceneArrays) -> None:
    mask = labelled.lcz_mask()
    assert (~labelled.valid).sum() > 1000 and not mask[~labelled.valid].any()
    sample = labelled.window(0, 0, 128)
    assert sample["lcz_mask"].dtype == bool
    assert (sample["lcz"][:, ~sample["lcz_mask"]] == 0).all()
    assert (sample["lcz"].sum(axis=0)[sample["lcz_mask"]] == 1).all()  # one-hot
    with pytest.raises(ValueError, match="even"):
        labelled.window(1, 0, 128)


def test_refuses_scenes_above_the_memory_limit(sample_scene: Path, tmp_path: Path) -> None:
    source = ds.SceneSource(str(sample_scene), lcz=_lcz_4326(tmp_path / "lcz.tif"))
    with pytest.raises(ValueError, match="max_bytes"):
        ds.load_scene(source, max_bytes=1_000_000)
    with pytest.raises(ValueError, match="at least one label"):
        ds.SceneSource(str(sample_scene))


# ------------------------------------------------------------------------------------- patches
def test_flips_and_rotations_move_image_and_labels_together(encoded: ds.SceneArrays, grid: Grid) -> None:
    sampler = ds.PatchSampler([encoded], patch_size=64)
    rng = np.random.default_rng(0)
    turns = set()
    for _ in range(48):
        where = sampler.draw(rng)
        turns.add((where.k, where.flip))
        sample = sampler.sample(where)
        assert where.y % 2 == 0 and where.x % 2 == 0
        rows, cols, cell_rows, cell_cols = _decode(sample, grid)
        pixel = sample["lcz_mask"]  # labels exist where the image has data
        assert pixel.mean() > 0.3 and (sample["image"][:, ~pixel] == 0).all()
        # every image pixel is the scene pixel its LCZ label says it is
        np.testing.assert_array_equal(sample["image"][:, pixel], encoded.image[:, rows[pixel], cols[pixel]])
        # and lies in the 20 m cell that its HSE label names (so the half-resolution grid turned with it)
        cell = np.repeat(np.repeat(cell_rows >= 0, 2, 0), 2, 1) & pixel
        assert cell.any()
        np.testing.assert_array_equal(rows[cell] // 2, np.repeat(np.repeat(cell_rows, 2, 0), 2, 1)[cell])
        np.testing.assert_array_equal(cols[cell] // 2, np.repeat(np.repeat(cell_cols, 2, 0), 2, 1)[cell])
        assert rows[pixel].min() >= where.y and rows.max() <= where.y + 63
        assert cols[pixel].min() >= where.x and cols.max() <= where.x + 63
    assert len(turns) == 8


def test_augment_is_the_same_transform_on_every_array() -> None:
    plane = np.arange(16.0).reshape(4, 4)
    sample = {"a": plane[None], "b": plane.copy(), "c": plane[:2, :2][None]}
    out = ds.augment(sample, 1, True)
    np.testing.assert_array_equal(out["a"][0], np.rot90(plane)[:, ::-1])
    np.testing.assert_array_equal(out["a"][0], out["b"])
    assert out["a"].flags["C_CONTIGUOUS"]


def test_radiometric_jitter_scales_only_the_image_of_random_patches(labelled: ds.SceneArrays) -> None:
    plain = ds.PatchSampler([labelled], patch_size=32)
    jittered = ds.PatchSampler([labelled], patch_size=32, radiometric=0.25)
    ratios = []
    for seed in range(40):
        a, b = plain.random(np.random.default_rng(seed)), jittered.random(np.random.default_rng(seed))
        for key in ("hse", "lcz", "lcz_mask"):  # same window and turn, labels untouched
            np.testing.assert_array_equal(a[key], b[key])
        assert b["image"].dtype == np.float32
        data = a["image"] > 0
        ratio = b["image"][data] / a["image"][data]
        per_band = [np.unique(np.round(b["image"][i][data[i]] / a["image"][i][data[i]], 4)) for i in range(10)]
        assert all(len(u) <= 1 for u in per_band)  # one gain per band and patch
        assert (b["image"][~data] == a["image"][~data]).all()  # no data stays no data
        ratios.extend(ratio.tolist())
    assert 0.6 < min(ratios) < 0.9 and 1.1 < max(ratios) < 1.6  # exp(+-0.25) with a little per-band spread
    # validation grids and un-augmented samplers never change
    for where in jittered.grid()[:5]:
        np.testing.assert_array_equal(jittered.sample(where)["image"], plain.sample(where)["image"])
    assert ds.PatchSampler([labelled], patch_size=32, augment=False, radiometric=0.25).radiometric == 0
    with pytest.raises(ValueError, match="radiometric"):
        ds.PatchSampler([labelled], patch_size=32, radiometric=-1)


def test_random_patches_always_carry_a_label(labelled: ds.SceneArrays) -> None:
    sampler = ds.PatchSampler([labelled], patch_size=32)
    rng = np.random.default_rng(3)
    for _ in range(200):
        sample = sampler.random(rng)
        assert sample["lcz_mask"].any() or np.isfinite(sample["hse"]).any()
    strict = ds.PatchSampler([labelled], patch_size=32, min_label_fraction=1.0)
    assert 0 < strict.n_windows < sampler.n_windows
    for _ in range(50):
        sample = strict.random(rng)
        cells = sample["lcz_mask"].reshape(16, 2, 16, 2).any(axis=(1, 3)) | np.isfinite(sample["hse"][0])
        assert cells.all()


def test_unlabelled_windows_are_skipped(grid: Grid, sample_scene: Path, tmp_path: Path) -> None:
    codes = np.zeros((grid.height, grid.width), np.uint8)
    codes[10:20, 150:160] = 5  # a single labelled spot in the north-east
    path = _write(tmp_path / "spot.tif", codes, grid.gt, grid.wkt, 0, gdal.GDT_Byte)
    scene = ds.load_scene(ds.SceneSource(str(sample_scene), lcz=path))
    sampler = ds.PatchSampler([scene], patch_size=64)
    places = sampler.grid()
    assert places and all(p.x + 64 > 150 and p.y < 20 for p in places)
    rng = np.random.default_rng(5)
    for _ in range(50):
        where = sampler.draw(rng)
        assert where.y <= 18 and 150 - 64 < where.x < 160
    empty = _write(tmp_path / "empty.tif", codes * 0, grid.gt, grid.wkt, 0, gdal.GDT_Byte)
    with pytest.raises(ValueError, match="no 64 x 64 window with labels"):
        ds.PatchSampler([ds.load_scene(ds.SceneSource(str(sample_scene), lcz=empty))], patch_size=64)


def test_grid_mode_is_deterministic_and_covers_the_scene(encoded: ds.SceneArrays, grid: Grid) -> None:
    sampler = ds.PatchSampler([encoded], patch_size=64, augment=False)
    places = sampler.grid()
    assert places == sampler.grid() and all(p.k == 0 and not p.flip for p in places)
    assert {p.y for p in places} == {0, 64, 128, 168} and {p.x for p in places} == {0, 64, 128, 154}  # last flush
    seen = np.zeros((grid.height, grid.width), bool)
    for place in places:
        sample = sampler.sample(place)
        rows, cols, _, _ = _decode(sample, grid)
        expected_rows, expected_cols = np.mgrid[place.y : place.y + 64, place.x : place.x + 64]  # not turned
        mask = sample["lcz_mask"]
        np.testing.assert_array_equal(rows[mask], expected_rows[mask])
        np.testing.assert_array_equal(cols[mask], expected_cols[mask])
        seen[rows[mask], cols[mask]] = True
    assert seen[grid.valid].all()


# ----------------------------------------------------------------------------------- city split
def _sources(tmp_path: Path, sample_scene: Path) -> list[ds.SceneSource]:
    lcz = _lcz_4326(tmp_path / "lcz.tif")
    out = []
    for city in ("berlin", "hongkong", "lagos", "lima"):
        for n in range(2):
            out.append(ds.SceneSource(str(sample_scene), lcz=lcz, city=city, name=f"{city}{n}"))
    return out


def test_split_by_city(tmp_path: Path, sample_scene: Path) -> None:
    sources = _sources(tmp_path, sample_scene)
    train, val = ds.split_by_city(sources, ["Lagos"])
    assert {s.city for s in val} == {"lagos"} and len(val) == 2 and len(train) == 6
    a = ds.split_by_city(sources, n_validation=2, seed=7)
    assert a == ds.split_by_city(sources, n_validation=2, seed=7)
    assert len({s.city for s in a[1]}) == 2 and not {s.city for s in a[0]} & {s.city for s in a[1]}
    with pytest.raises(ValueError, match="without scenes"):
        ds.split_by_city(sources, ["paris"])
    with pytest.raises(ValueError, match="n_validation"):
        ds.split_by_city(sources, n_validation=4)
    leak = ds.SceneSource(sources[0].image, lcz=sources[0].lcz, city="Berlin ")
    with pytest.raises(ValueError, match="both sides.*berlin"):
        ds.check_city_split(train, [leak])
    folder = tmp_path / "Shenzhen"
    folder.mkdir()
    assert ds.SceneSource(str(folder / "scene.tif"), hse="x.tif").city == "Shenzhen"


# ----------------------------------------------------------------------------------------- torch
def test_dataloader_batches_in_the_convention(labelled: ds.SceneArrays, encoded: ds.SceneArrays) -> None:
    torch = pytest.importorskip("torch")
    from training.mtl.losses import MultiTaskLoss
    from training.mtl.network import MultiTaskNet, preset

    train = ds.ScenePatchDataset(ds.PatchSampler([labelled, encoded], patch_size=64), length=6)
    loader = torch.utils.data.DataLoader(train, batch_size=3, shuffle=True, num_workers=0)
    torch.manual_seed(0)
    first = [b["image"] for b in loader]
    batch = next(iter(loader))
    assert len(first) == 2 and not torch.equal(first[0], batch["image"])  # fresh patches each epoch
    assert batch["image"].shape == (3, 10, 64, 64) and batch["image"].dtype == torch.float32
    assert batch["hse"].shape == (3, 1, 32, 32) and batch["hse"].dtype == torch.float32
    assert batch["lcz"].shape == (3, 17, 64, 64) and batch["lcz"].dtype == torch.float32
    assert batch["lcz_mask"].shape == (3, 64, 64) and batch["lcz_mask"].dtype == torch.bool
    torch.manual_seed(0)
    assert all(torch.equal(a, b["image"]) for a, b in zip(first, loader, strict=True))  # reproducible by seed

    workers = torch.utils.data.DataLoader(train, batch_size=3, num_workers=2)
    drawn = torch.cat([b["image"] for b in workers])
    assert len({drawn[i].sum().item() for i in range(6)}) == 6  # each worker draws its own patches

    with pytest.raises(ValueError, match="multiples of 8"):
        ds.ScenePatchDataset(ds.PatchSampler([labelled], patch_size=36))
    val = ds.ScenePatchDataset(ds.PatchSampler([labelled], patch_size=64, augment=False), "grid")
    assert len(val) == 16
    assert torch.equal(val[3]["image"], val[3]["image"])
    config = preset("mtl_learned_cbam_p2f")
    model, criterion = MultiTaskNet(config), MultiTaskLoss(config)
    batch = next(iter(torch.utils.data.DataLoader(val, batch_size=2)))
    parts = criterion(model(batch["image"], hse_reference=batch["hse"]), batch)
    assert math.isfinite(float(parts.total.detach())) and parts.hse is not None and parts.lcz is not None


def test_make_datasets_splits_by_city(tmp_path: Path, sample_scene: Path) -> None:
    pytest.importorskip("torch")
    sources = _sources(tmp_path, sample_scene)[::2]  # one scene per city
    train, val = ds.make_datasets(sources, ["lima"], patch_size=64, length=4)
    assert len(train) == 4 and val is not None and len(val) > 0
    assert {s.city for s in val.sampler.scenes} == {"lima"}
    assert "lima" not in {s.city for s in train.sampler.scenes}
