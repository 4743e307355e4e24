"""Builders for the engine tests: tiny contract ONNX models, Sentinel-2-like GeoTIFFs, numpy expectations.

The two models are chosen so that what the engine must produce can be computed independently with numpy:
* the dense model is pointwise (plus a 2x2 average for HSE), so blending overlapping windows must give the
  pointwise value everywhere, whatever the window layout;
* the patch model returns the window mean of each band, so the class of a cell is the band with the highest
  mean over the window centred on that cell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from osgeo import gdal, osr

from core.bands import MODEL_BANDS
from core.contract import build_metadata
from core.lcz import LCZ_CLASSES

gdal.UseExceptions()

#: Values of LCZ channels 11..17 (A..G) in both models: increasing, so G (17) wins where all bands are dark.
CONSTANTS = (0.010, 0.020, 0.030, 0.040, 0.050, 0.060, 0.070)
DENSE_TILE, DENSE_OVERLAP, DENSE_MULTIPLE = 64, 16, 2
PATCH = 16
HSE_BAND = MODEL_BANDS.index("B4")  # the dense model's HSE is the 2x2 mean of clip(B4 reflectance, 0, 1)
CELL_LCZ, CELL_HSE = 10, 2  # 100 m and 20 m in 10 m pixels
OPSET = 17
UTM_EPSG = 32632
ORIGIN = (600_000.0, 5_200_000.0)


# ------------------------------------------------------------------ models

def contract_values(kind: str, **overrides: object) -> dict[str, object]:
    """Every contract key for a test model of `kind` (before serialisation by build_metadata)."""
    values: dict[str, object] = dict(
        name=f"test-{kind}", version="0.0.1", description="test model: exact, known outputs",
        license="MIT", training="none (arithmetic)", kind=kind, bands=list(MODEL_BANDS), gsd=10,
        processing_level="any", input_unit="reflectance_x10000", lcz_classes=[c.as_dict() for c in LCZ_CLASSES],
    )
    if kind == "dense":
        values.update(
            outputs=[{"name": "lcz", "product": "lcz", "stride": 1}, {"name": "hse", "product": "hse", "stride": 2}],
            tile_size=DENSE_TILE, tile_overlap=DENSE_OVERLAP, size_multiple=DENSE_MULTIPLE,
        )
    else:
        values.update(outputs=[{"name": "lcz", "product": "lcz", "stride": 1}], patch_size=PATCH)
    values.update(overrides)
    return values


def _constant(name: str, values: Sequence[float] | float, shape: Sequence[int] = ()) -> onnx.NodeProto:
    array = np.asarray(values, dtype=np.float32).reshape(shape)
    return helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(array, name))


def _ints(name: str, values: Sequence[int]) -> onnx.NodeProto:
    array = np.asarray(values, dtype=np.int64)
    return helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(array, name))


def _save(graph: onnx.GraphProto, path: Path, metadata: dict[str, str] | None) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="engine-tests")
    model.ir_version = 8  # readable by any onnxruntime >= 1.10
    onnx.checker.check_model(model)
    if metadata is not None:
        helper.set_model_props(model, metadata)
    path.write_bytes(model.SerializeToString())
    return path


def dense_graph(input_unit: str = "reflectance_x10000", lcz_stride: int = 1, blur: bool = False) -> onnx.GraphProto:
    """lcz = concat(image * k, constants) at stride 1 (or its lcz_stride x lcz_stride mean);
    hse = AveragePool2x2(clip(B4 * k, 0, 1)) at stride 2.

    blur: the band channels of lcz are a 3 x 3 mean instead (padding excluded at the window's border), so the
    model needs context: a pixel at a window's edge is wrong unless blending gives it almost no weight.
    """
    scale = 1e-4 if input_unit == "reflectance_x10000" else 1.0
    lcz_name = "lcz" if lcz_stride == 1 else "lcz_full"
    nodes = [
        _constant("k", scale), _constant("zero", 0.0), _constant("one", 1.0),
        _constant("consts", CONSTANTS, (1, len(CONSTANTS), 1, 1)),
        _ints("b0", [0]), _ints("b1", [1]), _ints("b2", [HSE_BAND]), _ints("b3", [HSE_BAND + 1]), _ints("axis1", [1]),
        helper.make_node("Mul", ["image", "k"], ["refl"]),
        helper.make_node("AveragePool", ["refl"], ["blurred"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         count_include_pad=0),
        helper.make_node("Slice", ["image", "b0", "b1", "axis1"], ["first"]),
        helper.make_node("Mul", ["first", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "consts"], ["const_planes"]),
        helper.make_node("Concat", ["blurred" if blur else "refl", "const_planes"], [lcz_name], axis=1),
        helper.make_node("Slice", ["refl", "b2", "b3", "axis1"], ["red"]),
        helper.make_node("Clip", ["red", "zero", "one"], ["red01"]),
        helper.make_node("AveragePool", ["red01"], ["hse"], kernel_shape=[2, 2], strides=[2, 2]),
    ]
    if lcz_stride != 1:
        nodes.append(helper.make_node("AveragePool", [lcz_name], ["lcz"], kernel_shape=[lcz_stride] * 2,
                                      strides=[lcz_stride] * 2))
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", len(MODEL_BANDS), "height", "width"])
    lcz = helper.make_tensor_value_info("lcz", TensorProto.FLOAT, ["batch", 17, "hl", "wl"])
    hse = helper.make_tensor_value_info("hse", TensorProto.FLOAT, ["batch", 1, "h2", "w2"])
    return helper.make_graph(nodes, "dense_arithmetic", [image], [lcz, hse])


def patch_graph(patch: int = PATCH) -> onnx.GraphProto:
    """lcz (N, 17) = concat(window mean of each band * 1e-4, constants): not softmaxed, exactly predictable."""
    nodes = [
        _constant("k", 1e-4), _constant("zero", 0.0), _constant("consts", CONSTANTS, (1, len(CONSTANTS))),
        _ints("axes1", [1]),
        helper.make_node("Mul", ["image", "k"], ["refl"]),
        helper.make_node("GlobalAveragePool", ["refl"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["means"], axis=1),
        helper.make_node("Mul", ["means", "zero"], ["zeros"]),
        helper.make_node("ReduceSum", ["zeros", "axes1"], ["zero_col"], keepdims=1),  # (N, 1) of zeros
        helper.make_node("Add", ["zero_col", "consts"], ["const_cols"]),
        helper.make_node("Concat", ["means", "const_cols"], ["lcz"], axis=1),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", len(MODEL_BANDS), patch, patch])
    lcz = helper.make_tensor_value_info("lcz", TensorProto.FLOAT, ["batch", 17])
    return helper.make_graph(nodes, "patch_window_mean", [image], [lcz])


def patch_hse_graph(stride: int, patch: int = PATCH) -> onnx.GraphProto:
    """The window-mean patch model plus a per-cell HSE block: hse (N, 1, 10/s, 10/s) = the s x s means of
    clip(B4 * 1e-4, 0, 1) over the window's centre cell (its pixels [patch//2 - 5, patch//2 + 5))."""
    base = patch_graph(patch)
    start = patch // 2 - CELL_LCZ // 2
    nodes = list(base.node) + [
        _constant("hk", 1e-4), _constant("h0", 0.0), _constant("h1", 1.0),
        _ints("band_lo", [HSE_BAND]), _ints("band_hi", [HSE_BAND + 1]), _ints("axis_c", [1]),
        _ints("cell_lo", [start, start]), _ints("cell_hi", [start + CELL_LCZ, start + CELL_LCZ]),
        _ints("axes_hw", [2, 3]),
        helper.make_node("Slice", ["image", "band_lo", "band_hi", "axis_c"], ["red_window"]),
        helper.make_node("Slice", ["red_window", "cell_lo", "cell_hi", "axes_hw"], ["red_cell"]),
        helper.make_node("Mul", ["red_cell", "hk"], ["red_refl"]),
        helper.make_node("Clip", ["red_refl", "h0", "h1"], ["red01"]),
        helper.make_node("AveragePool", ["red01"], ["hse"], kernel_shape=[stride, stride], strides=[stride, stride]),
    ]
    side = CELL_LCZ // stride
    hse = helper.make_tensor_value_info("hse", TensorProto.FLOAT, ["batch", 1, side, side])
    return helper.make_graph(nodes, "patch_window_mean_hse", list(base.input), [*base.output, hse])


def write_patch_hse_model(path: Path, stride: int = 2, declared_stride: int | None = None) -> Path:
    outputs = [{"name": "lcz", "product": "lcz", "stride": 1},
               {"name": "hse", "product": "hse", "stride": declared_stride or stride}]
    return _save(patch_hse_graph(stride), path, build_metadata(**contract_values("patch", outputs=outputs)))


def patch_hse_expected(dn: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(HSE (h20, w20), validity) of write_patch_hse_model on a raster without no data: each cell's s x s means of
    clip(B4), repeated back to 10 m and averaged over each 20 m pixel; beyond the scene the image is mirrored."""
    height, width = dn.shape[1:]
    cells_y, cells_x = -(-height // CELL_LCZ), -(-width // CELL_LCZ)
    red = np.clip(dn[HSE_BAND].astype(np.float64) * 1e-4, 0, 1)
    red = np.pad(red, ((0, cells_y * CELL_LCZ - height), (0, cells_x * CELL_LCZ - width)), mode="symmetric")
    h, w = red.shape
    blocks = red.reshape(h // stride, stride, w // stride, stride).mean(axis=(1, 3))
    fine = np.repeat(np.repeat(blocks, stride, axis=0), stride, axis=1)
    hse = fine.reshape(h // CELL_HSE, CELL_HSE, w // CELL_HSE, CELL_HSE).mean(axis=(1, 3))
    h20, w20 = -(-height // CELL_HSE), -(-width // CELL_HSE)
    return hse[:h20, :w20], np.ones((h20, w20), dtype=bool)


def write_dense_model(path: Path, lcz_stride: int = 1, blur: bool = False, **overrides: object) -> Path:
    unit = str(overrides.get("input_unit", "reflectance_x10000"))
    values = contract_values("dense", **overrides)
    if lcz_stride != 1:
        values["outputs"] = [{"name": "lcz", "product": "lcz", "stride": lcz_stride},
                             {"name": "hse", "product": "hse", "stride": 2}]
    return _save(dense_graph(unit, lcz_stride, blur), path, build_metadata(**values))


def write_patch_model(path: Path, **overrides: object) -> Path:
    return _save(patch_graph(), path, build_metadata(**contract_values("patch", **overrides)))


def write_model_without_metadata(path: Path) -> Path:
    """A valid ONNX graph (the dense one) that carries no contract metadata at all."""
    return _save(dense_graph(), path, None)


def write_model_with_metadata(path: Path, metadata: dict[str, str]) -> Path:
    """The dense graph with exactly the given metadata (to test incomplete contracts)."""
    return _save(dense_graph(), path, metadata)


# ------------------------------------------------------------------ rasters

def synthetic_dn(height: int, width: int, seed: int = 0) -> np.ndarray:
    """(10, H, W) uint16 Sentinel-2-like DN with a clear winner per 100 m cell.

    Each 10 x 10 block (on the raster's own grid) gets one dominant band (+2500 DN) or is 'water' (all bands
    below 600 DN, so constant channel G = 0.07 wins); pixel noise is large so misalignment changes the means.
    Some B4 pixels exceed 10000 DN so that the HSE clip matters.
    """
    rng = np.random.default_rng(seed)
    data = rng.integers(300, 1800, size=(len(MODEL_BANDS), height, width)).astype(np.int64)
    blocks_y, blocks_x = -(-height // CELL_LCZ), -(-width // CELL_LCZ)
    winner = rng.integers(0, len(MODEL_BANDS) + 1, size=(blocks_y, blocks_x))  # 10 = water
    per_pixel = np.kron(winner, np.ones((CELL_LCZ, CELL_LCZ), dtype=np.int64))[:height, :width]
    for band in range(len(MODEL_BANDS)):
        data[band][per_pixel == band] += 2500
    water = per_pixel == len(MODEL_BANDS)
    data[:, water] = rng.integers(50, 600, size=(len(MODEL_BANDS), int(water.sum())))
    bright = rng.random((height, width)) < 0.05
    data[HSE_BAND][bright] = rng.integers(10_500, 14_000, size=int(bright.sum()))
    return data.astype(np.uint16)


def write_raster(
    path: Path,
    data: np.ndarray,
    *,
    descriptions: Sequence[str] | None = MODEL_BANDS,
    data_type: int = gdal.GDT_UInt16,
    epsg: int = UTM_EPSG,
    origin: tuple[float, float] = ORIGIN,
    pixel: tuple[float, float] = (10.0, 10.0),
    metadata: dict[str, str] | None = None,
    nodata: float | None = None,
    scale_offset: tuple[float, float] | None = None,
) -> Path:
    """A GeoTIFF of (C, H, W) `data` (descriptions None: bands left unnamed)."""
    bands, height, width = data.shape
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), width, height, bands, data_type)
    dataset.SetGeoTransform((origin[0], pixel[0], 0.0, origin[1], 0.0, -pixel[1]))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    dataset.SetProjection(srs.ExportToWkt())
    if metadata:
        dataset.SetMetadata(metadata)
    for index in range(bands):
        band = dataset.GetRasterBand(index + 1)
        band.WriteArray(data[index])
        if descriptions is not None:
            band.SetDescription(descriptions[index])
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if scale_offset is not None:
            band.SetScale(scale_offset[0])
            band.SetOffset(scale_offset[1])
    dataset.FlushCache()
    dataset = None
    return path


def read(path: str | Path) -> tuple[np.ndarray, tuple[float, ...], str]:
    """(array, geotransform, projection WKT) of a raster; the array is (bands, H, W) or (H, W)."""
    dataset = gdal.Open(str(path))
    array, geotransform, projection = dataset.ReadAsArray(), tuple(dataset.GetGeoTransform()), dataset.GetProjection()
    dataset = None
    return array, geotransform, projection


def info(path: str | Path) -> dict:
    """gdal.Info as a dict: facts about a raster without keeping a dataset open in the test's frame
    (a failing assert keeps its frame alive; a GDAL dataset freed after QGIS's exitQgis() crashes)."""
    return gdal.Info(str(path), format="json")


def epsg_of(wkt: str) -> int:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.AutoIdentifyEPSG()
    return int(srs.GetAuthorityCode(None))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ numpy expectations

def _cells(array: np.ndarray, cell: int) -> np.ndarray:
    """Sum over cell x cell blocks of the last two axes, zero-padding partial cells at the far edges."""
    *lead, h, w = array.shape
    ch, cw = -(-h // cell), -(-w // cell)
    padded = np.zeros((*lead, ch * cell, cw * cell), dtype=np.float64)
    padded[..., :h, :w] = array
    return padded.reshape(*lead, ch, cell, cw, cell).sum(axis=(-3, -1))


def valid_mask(dn: np.ndarray) -> np.ndarray:
    """Sentinel-2 no data: 0 in every band."""
    return ~np.all(dn == 0, axis=0)


def cell_validity(valid: np.ndarray, cell: int) -> np.ndarray:
    """A cell has a value when at least half of its pixels inside the scene are valid (and one is)."""
    count = _cells(valid.astype(np.float64), cell)
    inside = _cells(np.ones_like(valid, dtype=np.float64), cell)
    return (count >= 0.5 * inside) & (count > 0)


def dense_lcz_expected(dn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities (17, h, w), classes (h, w) with 0 = no data, cell validity) of the dense model."""
    valid = valid_mask(dn)
    count = _cells(valid.astype(np.float64), CELL_LCZ)
    band_means = _cells(dn.astype(np.float64) * 1e-4 * valid, CELL_LCZ) / np.maximum(count, 1)
    constants = np.broadcast_to(np.asarray(CONSTANTS)[:, None, None], (len(CONSTANTS), *count.shape))
    probabilities = np.concatenate([band_means, constants])
    ok = cell_validity(valid, CELL_LCZ)
    classes = np.where(ok, probabilities.argmax(axis=0) + 1, 0)
    return probabilities, classes, ok


def blur_lcz_expected(dn: np.ndarray) -> np.ndarray:
    """Probabilities (17, h, w) of the blur model on a raster without no data: 3 x 3 means of the mirrored
    (reflect) image, averaged over each cell."""
    image = np.pad(dn.astype(np.float64) * 1e-4, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    h, w = dn.shape[1:]
    blurred = sum(image[:, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    probabilities, _, _ = dense_lcz_expected(dn)
    count = _cells(np.ones((h, w)), CELL_LCZ)
    probabilities[:10] = _cells(blurred, CELL_LCZ) / count
    return probabilities


def dense_hse_expected(dn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(density (h, w), validity) of the dense model; an odd last row/column sees the mirrored (reflect) image.

    Exact for every 20 m cell without masked pixels (the 2x2 average only sees its own pixels).
    """
    red = np.clip(dn[HSE_BAND].astype(np.float64) * 1e-4, 0.0, 1.0)
    h, w = red.shape
    red = np.pad(red, ((0, h % 2), (0, w % 2)), mode="reflect")
    density = red.reshape(red.shape[0] // 2, 2, red.shape[1] // 2, 2).mean(axis=(1, 3))
    return density, cell_validity(valid_mask(dn), CELL_HSE)


def patch_expected(dn: np.ndarray, patch: int = PATCH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities (17, h, w), classes, validity) of the patch model, windows centred on each 100 m cell.

    Window origin = cell origin + cell//2 - patch//2; outside the scene the image is mirrored (symmetric);
    no-data pixels in a window are replaced by the window's valid mean, so the model sees the valid mean.
    """
    valid = valid_mask(dn)
    height, width = valid.shape
    cells_y, cells_x = -(-height // CELL_LCZ), -(-width // CELL_LCZ)
    before = patch // 2 - CELL_LCZ // 2
    after_y = (cells_y - 1) * CELL_LCZ + patch - before - height
    after_x = (cells_x - 1) * CELL_LCZ + patch - before - width
    pads = ((before, max(after_y, 0)), (before, max(after_x, 0)))
    image = np.pad(dn.astype(np.float64) * 1e-4, ((0, 0), *pads), mode="symmetric")
    mask = np.pad(valid, pads, mode="symmetric")
    ok = cell_validity(valid, CELL_LCZ)
    probabilities = np.zeros((17, cells_y, cells_x))
    for r in range(cells_y):
        for c in range(cells_x):
            window = image[:, r * CELL_LCZ : r * CELL_LCZ + patch, c * CELL_LCZ : c * CELL_LCZ + patch]
            m = mask[r * CELL_LCZ : r * CELL_LCZ + patch, c * CELL_LCZ : c * CELL_LCZ + patch]
            probabilities[:10, r, c] = window[:, m].mean(axis=1) if m.any() else 0.0
            probabilities[10:, r, c] = CONSTANTS
    classes = np.where(ok, probabilities.argmax(axis=0) + 1, 0)
    return probabilities, classes, ok


def top_margin(probabilities: np.ndarray) -> np.ndarray:
    """Gap between the best and second-best channel per cell: where it is tiny, the argmax is not a test."""
    ordered = np.sort(probabilities, axis=0)
    return ordered[-1] - ordered[-2]
