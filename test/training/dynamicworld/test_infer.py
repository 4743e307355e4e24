"""training.dynamicworld.infer: the notebook's normalisation, band picking by name, tiling, invalid pixels.

No TensorFlow and no network: the tiling tests use a tiny ONNX model with Dynamic World's interface (NHWC
image of 9 bands -> NHWC logits of 9 classes) and, like it, a 2x downscale inside, so they also catch tiles
that start on odd pixels. The converted model (runs/dynamicworld/, built by training.dynamicworld.convert)
is checked on the bundled Hong Kong sample only where it exists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from support.data import REPO_ROOT, SAMPLE_SCENE
from training.dynamicworld.infer import (
    DW_BANDS,
    DW_CLASSES,
    band_indices,
    dynamic_world_probabilities,
    normalise,
    select_bands,
)

CONVERTED = REPO_ROOT / "runs" / "dynamicworld" / "dynamicworld_forward.onnx"
SCENE_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")  # order in our L1C files


def write_tiny_model(path: Path) -> Path:
    """NHWC (N, H, W, 9) -> 3x3 conv -> 2x2 average pool -> 3x3 conv -> linear resize to H x W -> NHWC logits."""
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(0, 0.5, (9, 9, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(0, 0.5, (9, 9, 3, 3)).astype(np.float32), "w2")
    zero, start, stop = (numpy_helper.from_array(np.array([v], np.int64), n) for v, n in ((0, "zero"), (2, "start"),
                                                                                         (4, "stop")))
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["c1"], ["half"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["half", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Shape", ["nchw"], ["shape"]),
        helper.make_node("Shape", ["c2"], ["half_shape"]),
        helper.make_node("Slice", ["shape", "start", "stop"], ["hw"]),
        helper.make_node("Slice", ["half_shape", "zero", "start"], ["nc"]),
        helper.make_node("Concat", ["nc", "hw"], ["sizes"], axis=0),
        helper.make_node("Resize", ["c2", "", "", "sizes"], ["up"], mode="linear",
                         coordinate_transformation_mode="half_pixel"),
        helper.make_node("Transpose", ["up"], ["logits"], perm=[0, 2, 3, 1]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_dynamic_world",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", "height", "width", 9])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "height", "width", 9])],
        [w1, w2, start, stop, zero],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def tiny_session(tmp_path_factory: pytest.TempPathFactory) -> ort.InferenceSession:
    path = write_tiny_model(tmp_path_factory.mktemp("dw") / "tiny.onnx")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def random_scene(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(10, h, w) uint16 DN in SCENE_BANDS order, in the range of real L1C land and water."""
    return np.random.default_rng(seed).integers(200, 4000, (len(SCENE_BANDS), h, w)).astype(np.uint16)


# ---------------------------------------------------------------- normalisation

def test_normalise_matches_the_notebook_by_hand():
    # B2 at DN 1000: log(1000 * 0.005 + 1) = log 6 = 1.7917595; (1.7917595 - 1.7417268) / 2.0232987 = 0.0247283;
    # exp(0.0247283 * 5 - 1) = exp(-0.8763587) = 0.4162960; 0.4162960 / 1.4162960 = 0.293933.
    got = normalise(np.full(9, 1000.0))
    assert got.dtype == np.float32
    assert got[0] == pytest.approx(0.293933, abs=2e-6)
    # B12 at DN 0: log 1 = 0; (0 - 1.5548129) / 2.4140535 = -0.6440761; exp(-4.2203806) = 0.0146918 -> 0.0144791.
    assert normalise(np.zeros(9))[8] == pytest.approx(0.0144791, abs=2e-6)


def test_normalise_subtracts_the_offset_first():
    dn = random_scene(4, 5)[:9].astype(np.float64)
    np.testing.assert_array_equal(normalise(dn + 1000, offset=1000), normalise(dn))
    assert np.all(normalise(np.full((9, 2, 2), 500.0), offset=1000) == normalise(np.zeros((9, 2, 2))))


# ---------------------------------------------------------------- bands

def test_bands_are_picked_by_name_in_any_order_and_b8a_is_ignored():
    scene = random_scene(3, 4)
    picked = select_bands(scene, SCENE_BANDS)
    np.testing.assert_array_equal(picked, scene[[SCENE_BANDS.index(b) for b in DW_BANDS]])
    order = np.random.default_rng(1).permutation(len(SCENE_BANDS))
    shuffled_names = [SCENE_BANDS[i].replace("B", "B0") if len(SCENE_BANDS[i]) == 2 else SCENE_BANDS[i]
                      for i in order]  # "B02" spelling too
    np.testing.assert_array_equal(select_bands(scene[order], shuffled_names), picked)
    assert "B8A" in SCENE_BANDS and SCENE_BANDS.index("B8A") not in band_indices(SCENE_BANDS)


def test_a_missing_or_repeated_band_is_a_clear_error(tiny_session):
    names = [b for b in SCENE_BANDS if b != "B11"]
    with pytest.raises(ValueError, match="missing B11"):
        dynamic_world_probabilities(random_scene(8, 8)[:9], names, tiny_session)
    with pytest.raises(ValueError, match="more than once: B2"):
        band_indices(["B2", *SCENE_BANDS])
    with pytest.raises(ValueError, match="band names for"):
        select_bands(random_scene(8, 8), SCENE_BANDS[:9])


# ---------------------------------------------------------------- tiling and invalid pixels

@pytest.mark.parametrize("tile", [16, 15, 32])
def test_tiles_give_the_same_result_as_one_pass(tiny_session, tile):
    scene = random_scene(45, 38)  # odd height: the last tile is odd-sized and needs the extra reflected row
    one_pass = dynamic_world_probabilities(scene, SCENE_BANDS, tiny_session, tile=1024, margin=24)
    tiled = dynamic_world_probabilities(scene, SCENE_BANDS, tiny_session, tile=tile, margin=24)
    np.testing.assert_allclose(tiled, one_pass, rtol=0, atol=2e-6)


def test_one_pass_is_the_model_on_the_reflection_padded_image(tiny_session):
    scene = random_scene(30, 27, seed=3)
    m = 24
    padded = np.pad(select_bands(scene, SCENE_BANDS).astype(np.float64), ((0, 0), (m, m), (m, m + 1)), "reflect")
    logits = tiny_session.run(None, {"image": normalise(padded).transpose(1, 2, 0)[None]})[0][0, m:-m, m:-m - 1]
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    got = dynamic_world_probabilities(scene, SCENE_BANDS, tiny_session, margin=m)
    assert got.shape == (len(DW_CLASSES), 30, 27) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected.transpose(2, 0, 1), rtol=0, atol=2e-6)


def test_nodata_and_nan_pixels_come_out_nan(tiny_session):
    scene = random_scene(20, 20).astype(np.float32)
    scene[:, 3, 4] = 0  # nodata: every band 0
    scene[5, 6, 7] = np.nan  # B7 unreadable
    scene[SCENE_BANDS.index("B8A"), 8, 9] = 0  # an ignored band at 0 does not make the pixel invalid
    p = dynamic_world_probabilities(scene, SCENE_BANDS, tiny_session, tile=8, margin=24)
    assert np.isnan(p[:, 3, 4]).all() and np.isnan(p[:, 6, 7]).all()
    assert np.isnan(p).any(axis=0).sum() == 2
    np.testing.assert_allclose(np.nansum(p, axis=0)[np.isfinite(p[0])], 1.0, atol=1e-5)


def test_a_margin_inside_the_receptive_field_is_refused(tiny_session):
    with pytest.raises(ValueError, match="receptive"):
        dynamic_world_probabilities(random_scene(8, 8), SCENE_BANDS, tiny_session, margin=8)


# ---------------------------------------------------------------- the converted model, where it was built

@pytest.mark.skipif(not CONVERTED.exists(), reason="run training.dynamicworld.convert first (needs .venv-dw)")
def test_the_converted_model_maps_sea_and_town_on_the_hong_kong_sample():
    from osgeo import gdal

    ds = gdal.Open(str(SAMPLE_SCENE))
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    scene = ds.ReadAsArray()
    ds = None
    p = dynamic_world_probabilities(scene, names, CONVERTED, tile=128)
    assert p.shape == (9, *scene.shape[1:]) and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-5)
    share = np.bincount(p.argmax(axis=0).ravel(), minlength=9) / p[0].size
    # Tseung Kwan O: about a third sea (Junk Bay, bottom), a third new town, the rest wooded hills.
    assert share[DW_CLASSES.index("water")] > 0.25
    assert share[DW_CLASSES.index("built")] > 0.25
    assert share[DW_CLASSES.index("trees")] > 0.10
    assert share[DW_CLASSES.index("snow_and_ice")] == 0
    # Open sea along the bottom edge. Dynamic World's probabilities are soft (its logits come from
    # L2-normalised features): even open sea gets about 2/3, not ~1.
    sea = p[:, -20:, 60:160]
    assert (sea.argmax(axis=0) == DW_CLASSES.index("water")).all() and sea[DW_CLASSES.index("water")].mean() > 0.5
