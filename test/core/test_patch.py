"""Patch models: one window centred on each 100 m cell, results equal to a numpy computation per cell.

The patch test model returns the window mean of each band (and constants), so each cell's probabilities are
the mean over the 16 x 16 window at origin = cell origin + 10//2 - 16//2 (symmetric padding at the edges).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.engine import OutputPaths, map_scene
from core.errors import EngineError
from core.options import ModelChoice
from core.products import PROBABILITY_NODATA
from support.engine_fixtures import ORIGIN, info, patch_expected, read, synthetic_dn, top_margin, write_raster

TOLERANCE = 2e-6


def run_patch(source: Path, model: Path, out: Path):
    out.mkdir(exist_ok=True)
    outputs = OutputPaths(lcz=str(out / "lcz.tif"), probabilities=str(out / "prob.tif"))
    return map_scene(str(source), outputs, ModelChoice(model_path=str(model)))


def test_each_cell_sees_the_window_centred_on_it(tmp_path: Path, patch_model: Path) -> None:
    """137 x 93 px: 14 x 10 cells, partial cells on the right and bottom, mirrored edges on all sides."""
    dn = synthetic_dn(93, 137, seed=11)
    result = run_patch(write_raster(tmp_path / "scene.tif", dn), patch_model, tmp_path / "out")
    probabilities, classes, ok = patch_expected(dn)
    lcz, gt, _ = read(result.lcz)
    prob, _, _ = read(result.probabilities)
    assert gt == (ORIGIN[0], 100.0, 0.0, ORIGIN[1], 0.0, -100.0) and lcz.shape == (10, 14) and ok.all()
    assert top_margin(probabilities).min() > 50 * TOLERANCE
    np.testing.assert_array_equal(lcz, classes)
    np.testing.assert_allclose(prob, probabilities, rtol=0, atol=TOLERANCE)
    assert len(np.unique(lcz)) >= 8  # classes vary from cell to cell: a shifted window would change many

    # A window one pixel off (or the cell mean instead of the window) gives other values: the test can fail.
    shifted, _, _ = patch_expected(dn[:, 1:, 1:])
    assert np.abs(shifted[:10, 1:-2, 1:-2] - probabilities[:10, 1:-2, 1:-2]).max() > 1000 * TOLERANCE
    cell_means = dn.astype(np.float64)[:, :90, :130].reshape(10, 9, 10, 13, 10).mean(axis=(2, 4)) * 1e-4
    assert np.abs(cell_means - probabilities[:10, :9, :13]).max() > 1000 * TOLERANCE


def test_nodata_in_patch_windows(tmp_path: Path, patch_model: Path) -> None:
    """Cells mostly in a hole are no data; windows that reach into it use only their valid pixels."""
    dn = synthetic_dn(60, 80, seed=12)
    dn[:, 16:41, 26:57] = 0  # 100 m cells (1, 3) and (2, 2) are 40 % masked
    result = run_patch(write_raster(tmp_path / "hole.tif", dn), patch_model, tmp_path / "out")
    probabilities, classes, ok = patch_expected(dn)
    lcz, _, _ = read(result.lcz)
    prob, _, _ = read(result.probabilities)
    assert not ok[2, 3] and ok[1, 3] and ok[2, 2] and (~ok).sum() == 6
    np.testing.assert_array_equal(lcz, classes)
    np.testing.assert_allclose(prob[:, ok], probabilities[:, ok], rtol=0, atol=TOLERANCE)
    assert (prob[:, ~ok] == PROBABILITY_NODATA).all()


def test_small_raster_and_hse_request(tmp_path: Path, patch_model: Path) -> None:
    """A 25 x 17 px raster works; asking a patch model for HSE gives a warning and no HSE file."""
    dn = synthetic_dn(17, 25, seed=13)
    source = write_raster(tmp_path / "small.tif", dn)
    out = tmp_path / "out"
    out.mkdir()
    result = map_scene(str(source), OutputPaths(lcz=str(out / "lcz.tif"), hse=str(out / "hse.tif")),
                       model=ModelChoice(model_path=str(patch_model)))
    assert result.hse is None and not (out / "hse.tif").exists()
    assert len(result.warnings) == 1 and "no HSE output" in result.warnings[0]
    _, classes, _ = patch_expected(dn)
    np.testing.assert_array_equal(read(result.lcz)[0], classes)
    assert info(result.lcz)["size"] == [3, 2]


def test_patch_model_alone_cannot_make_only_hse(tmp_path: Path, patch_model: Path) -> None:
    source = write_raster(tmp_path / "s.tif", synthetic_dn(20, 20, seed=14))
    with pytest.raises(EngineError, match="no HSE output"):
        map_scene(str(source), OutputPaths(lcz=None, hse=str(tmp_path / "hse.tif")),
                  model=ModelChoice(model_path=str(patch_model)))
    assert list(tmp_path.iterdir()) == [source]


# ------------------------------------------------------------------ per-cell HSE block (model v3's contract form)

@pytest.mark.parametrize("stride", [2, 1, 5])
def test_patch_model_hse_block_becomes_the_20m_layer(tmp_path: Path, stride: int) -> None:
    """A patch model's (N, 1, 10/s, 10/s) HSE block of each cell lands on that cell's 20 m pixels: stride 2 as is,
    stride 1 averaged over 2 x 2, stride 5 repeated to 1 px (gcd(5, 2)) and then averaged (137 x 93 px: partial
    cells on two sides, 69 x 47 HSE pixels)."""
    from support.engine_fixtures import patch_hse_expected, write_patch_hse_model

    model = write_patch_hse_model(tmp_path / f"patch_hse_{stride}.onnx", stride)
    dn = synthetic_dn(93, 137, seed=21)
    out = tmp_path / "out"
    out.mkdir()
    result = map_scene(str(write_raster(tmp_path / "scene.tif", dn)), OutputPaths(lcz=str(out / "lcz.tif"),
                       hse=str(out / "hse.tif")), model=ModelChoice(model_path=str(model)))
    hse, gt, _ = read(result.hse)
    expected, _ = patch_hse_expected(dn, stride)
    assert gt == (ORIGIN[0], 20.0, 0.0, ORIGIN[1], 0.0, -20.0) and hse.shape == (47, 69)
    np.testing.assert_allclose(hse, expected, rtol=0, atol=TOLERANCE)
    # The test can fail: the same values one 20 m pixel off, or the cell means, differ.
    assert np.abs(hse[:, 1:] - expected[:, :-1]).max() > 0.05
    lcz, _, _ = read(result.lcz)
    np.testing.assert_array_equal(lcz, patch_expected(dn)[1])  # LCZ untouched by the HSE branch


def test_patch_model_hse_block_respects_nodata_and_blocks(tmp_path: Path) -> None:
    """Cells without enough data get no HSE; a 20 m pixel of a valid cell that is all no data gets none either; a
    run of cell rows (core.batch's blocks) gives exactly those rows of the whole-scene HSE."""
    from support.engine_fixtures import patch_hse_expected, write_patch_hse_model

    model = write_patch_hse_model(tmp_path / "patch_hse.onnx", 2)
    dn = synthetic_dn(60, 80, seed=22)
    dn[:, 16:41, 26:57] = 0  # the hole of test_nodata_in_patch_windows: cell (2, 3) is no data
    dn[:, 0:2, 0:2] = 0  # one 20 m pixel of a valid cell
    source = str(write_raster(tmp_path / "hole.tif", dn))
    whole = map_scene(source, OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                      model=ModelChoice(model_path=str(model)))
    hse, _, _ = read(whole.hse)
    assert (hse[10:15, 15:20] == -1.0).all()  # the no-data cell
    assert hse[0, 0] == -1.0 and hse[0, 1] != -1.0
    clean = synthetic_dn(60, 80, seed=22)
    expected, _ = patch_hse_expected(clean, 2)
    ok = hse != -1.0
    holes = np.zeros_like(ok)  # 20 m pixels that touch the hole see filled windows: compare the others
    holes[16 // 2 : 41 // 2 + 1, 26 // 2 : 57 // 2 + 1] = True
    np.testing.assert_allclose(hse[ok & ~holes], expected[ok & ~holes], rtol=0, atol=TOLERANCE)
    block = map_scene(source, OutputPaths(lcz=str(tmp_path / "lcz_b.tif"), hse=str(tmp_path / "hse_b.tif")),
                      model=ModelChoice(model_path=str(model)), cell_rows=(2, 5))
    part, gt, _ = read(block.hse)
    assert part.shape == (15, 40) and gt[3] == ORIGIN[1] - 200.0
    np.testing.assert_array_equal(part, hse[10:25])


def test_patch_model_hse_contract_is_checked(tmp_path: Path) -> None:
    """A stride that does not divide the 100 m cell is refused when the model is read; a block of the wrong size
    (declared stride 2, graph stride 1) is refused when it is run, naming the shape wanted."""
    from core.contract import build_metadata
    from support.engine_fixtures import contract_values, write_patch_hse_model

    values = contract_values("patch", outputs=[{"name": "lcz", "product": "lcz"},
                                                {"name": "hse", "product": "hse", "stride": 3}])
    with pytest.raises(EngineError, match="must divide the 100 m cell"):
        build_metadata(**values)
    model = write_patch_hse_model(tmp_path / "lying.onnx", stride=1, declared_stride=2)
    source = str(write_raster(tmp_path / "scene.tif", synthetic_dn(40, 40, seed=3)))
    with pytest.raises(EngineError, match=r"\(N, 1, 5, 5\) for stride 2"):
        map_scene(source, OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                  model=ModelChoice(model_path=str(model)))
    assert not (tmp_path / "lcz.tif").exists() and not (tmp_path / "hse.tif").exists()


def test_a_wide_scene_is_read_in_strips_of_bounded_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 item 5: the strips of cell rows were sized without their bands, so the strip of a 2,200 px wide scene
    held the whole scene (and peak memory grew with it). Now every strip holds at most STRIP_BYTES of input (or one
    row of cells), and the strips cover every row once."""
    import core.patch
    from core.contract import build_metadata, parse_metadata
    from core.patch import patch_chunks
    from core.reader import open_scene
    from support.engine_fixtures import contract_values

    STRIP_BYTES = 8 * 1024 * 1024  # the bound scaled to the test's scene (the shipped one is for full tiles)
    monkeypatch.setattr(core.patch, "STRIP_BYTES", STRIP_BYTES)

    contract = parse_metadata(build_metadata(**contract_values("patch")), "test")
    dn = synthetic_dn(400, 2200, seed=31)
    path = write_raster(tmp_path / "wide.tif", dn)
    scene = open_scene(str(path), contract.bands)
    try:
        chunks = [(c.first, c.rows, c.data.nbytes) for c in patch_chunks(scene, contract)]
    finally:
        scene.close()
    assert max(nbytes for _, _, nbytes in chunks) <= STRIP_BYTES and len(chunks) > 1
    assert [first for first, _, _ in chunks] == list(np.cumsum([0] + [rows for _, rows, _ in chunks[:-1]]))
    assert sum(rows for _, rows, _ in chunks) == 40
