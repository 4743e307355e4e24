"""LCZ and HSE scores against confusion matrices worked out by hand (the arithmetic is in the comments),
then evaluate.py end to end on small GeoTIFFs with a known confusion, on the same and other grids/CRSs."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from support.raster_fixtures import write_grid_raster
from training.mtl import evaluate
from training.mtl import metrics as m

gdal.UseExceptions()

# A hand example with LCZ 1, 2 and A (code 11); reference in rows, prediction in columns:
#            pred 1  pred 2  pred A   | row sum
#   ref 1       4       1       0     |   5
#   ref 2       1       3       0     |   4
#   ref A       1       0       2     |   3
#   col sum     6       4       2     |  N = 12
# OA    = (4 + 3 + 2) / 12 = 9/12 = 0.75
# pe    = (5*6 + 4*4 + 3*2) / 12^2 = 52/144; Kappa = (108/144 - 52/144) / (92/144) = 56/92 = 14/23
# AA    = (4/5 + 3/4 + 2/3) / 3 = (48 + 45 + 40) / 60 / 3 = 133/180
# WA    = (9 * 1 + 1 * W[1,2] + 1 * W[2,1] + 1 * W[A,1]) / 12 = (9 + 0.92 + 0.92 + 0.33) / 12 = 11.17/12
# OAu   = built sub-matrix [[4, 1], [1, 3]] -> 7/9
# OAbu  = [[built->built 9, built->natural 0], [natural->built 1, natural->natural 2]] -> 11/12
# precision 4/6, 3/4, 2/2; recall 4/5, 3/4, 2/3; F1 = 2TP/(row+col) = 8/11, 6/8, 4/5
REF = [1] * 5 + [2] * 4 + [11] * 3
PRED = [1, 1, 1, 1, 2] + [2, 2, 2, 1] + [11, 11, 1]


@pytest.fixture()
def hand_cm() -> np.ndarray:
    return m.confusion_matrix(np.array(REF), np.array(PRED))


def test_confusion_matrix_has_reference_in_rows(hand_cm: np.ndarray) -> None:
    assert hand_cm.shape == (17, 17)
    assert hand_cm.sum() == 12
    assert hand_cm[0, 0] == 4 and hand_cm[0, 1] == 1 and hand_cm[1, 0] == 1 and hand_cm[10, 0] == 1
    assert hand_cm[10, 10] == 2 and hand_cm[1, 1] == 3


def test_confusion_matrix_skips_unlabelled_and_unpredicted_cells() -> None:
    ref = np.array([[0, 1], [3, 3]])
    pred = np.array([[5, 1], [0, 4]])
    cm = m.confusion_matrix(ref, pred)
    assert cm.sum() == 2 and cm[0, 0] == 1 and cm[2, 3] == 1


def test_confusion_matrix_rejects_codes_outside_the_classes() -> None:
    with pytest.raises(ValueError, match="0..17"):
        m.confusion_matrix(np.array([1, 18]), np.array([1, 1]))


def test_summary_scores_match_the_hand_computation(hand_cm: np.ndarray) -> None:
    s = m.lcz_scores(hand_cm)
    assert s["n"] == 12
    assert s["oa"] == pytest.approx(0.75)
    assert s["kappa"] == pytest.approx(14 / 23)
    assert s["aa"] == pytest.approx(133 / 180)
    assert s["wa"] == pytest.approx(11.17 / 12)
    assert s["oa_urban"] == pytest.approx(7 / 9)
    assert s["oa_built_natural"] == pytest.approx(11 / 12)
    assert s["macro_f1"] == pytest.approx((8 / 11 + 6 / 8 + 4 / 5) / 3)


def test_per_class_precision_recall_f1(hand_cm: np.ndarray) -> None:
    rows = {r["code"]: r for r in m.per_class_table(hand_cm)}
    assert [rows[c]["precision"] for c in (1, 2, 11)] == pytest.approx([4 / 6, 3 / 4, 1.0])
    assert [rows[c]["recall"] for c in (1, 2, 11)] == pytest.approx([4 / 5, 3 / 4, 2 / 3])
    assert [rows[c]["f1"] for c in (1, 2, 11)] == pytest.approx([8 / 11, 6 / 8, 4 / 5])
    assert rows[11]["support"] == 3 and rows[1]["predicted"] == 6
    # a class in neither reference nor prediction has no score, not a zero one
    assert math.isnan(rows[5]["recall"]) and math.isnan(rows[5]["precision"]) and math.isnan(rows[5]["f1"])


def test_a_class_predicted_but_absent_from_the_reference_does_not_enter_aa() -> None:
    # ref 1 -> pred 1 twice, ref 1 -> pred 4 twice: recall(1) = 1/2; class 4 has no reference cells.
    # AA = 1/2 (only class 1 counts); F1(4) = 0 (predicted, never right); Kappa: pe = (4*2)/16 = 1/2,
    # po = 1/2 -> 0. WA = (2 * 1 + 2 * W[1,4]) / 4 = (2 + 2 * 0.67) / 4 = 3.34/4
    cm = m.confusion_matrix(np.array([1, 1, 1, 1]), np.array([1, 1, 4, 4]))
    s = m.lcz_scores(cm)
    assert s["aa"] == pytest.approx(0.5)
    assert s["kappa"] == pytest.approx(0.0)
    assert s["wa"] == pytest.approx(3.34 / 4)
    assert m.f1_scores(cm)[3] == 0.0


def test_perfect_map_and_empty_map() -> None:
    codes = np.arange(1, 18)
    s = m.lcz_scores(m.confusion_matrix(codes, codes))
    assert s["oa"] == s["kappa"] == s["aa"] == s["wa"] == s["oa_urban"] == s["oa_built_natural"] == 1.0
    empty = m.lcz_scores(np.zeros((17, 17), dtype=int))
    assert empty["n"] == 0 and math.isnan(empty["oa"]) and math.isnan(empty["kappa"]) and math.isnan(empty["aa"])


def test_similarity_weights_are_the_bechtel_matrix() -> None:
    w = m.LCZ_SIMILARITY_WEIGHTS
    assert w.shape == (17, 17)
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(np.diag(w), np.ones(17))
    assert w.min() == 0.0 and w.max() == 1.0
    # spot checks against LCZ_FACTS.md: 1-2 0.92, 1-D 0.00, 4-E 0.08, F-G 0.92, 9-C 0.75
    assert (w[0, 1], w[0, 13], w[3, 14], w[15, 16], w[8, 12]) == (0.92, 0.0, 0.08, 0.92, 0.75)
    with pytest.raises(ValueError):
        w[0, 0] = 0.5  # shared constant: read-only


# HSE hand example (threshold 0.5, the NaN reference cell is skipped):
#   ref  0.9  0.8  0.6   0.1  0.0  0.2  NaN -> settlement 1 1 1 0 0 0
#   pred 0.7  0.3  0.55  0.6  0.0  0.1  0.5 -> settlement 1 0 1 1 0 0
# |diff| = 0.2 + 0.5 + 0.05 + 0.5 + 0 + 0.1 = 1.35 over 6 -> MAE 22.5 %
# TP 2, FN 1, FP 1, TN 2: recall 2/3, precision 2/3, F 2/3, OA 4/6, AA (2/3 + 2/3)/2 = 2/3
# Kappa: po = 2/3, pe = (3*3 + 3*3)/36 = 1/2 -> (2/3 - 1/2)/(1/2) = 1/3
HSE_REF = np.array([0.9, 0.8, 0.6, 0.1, 0.0, 0.2, np.nan])
HSE_PRED = np.array([0.7, 0.3, 0.55, 0.6, 0.0, 0.1, 0.5])


def test_hse_scores_match_the_hand_computation() -> None:
    s = m.hse_scores(HSE_PRED, HSE_REF, threshold=0.5)
    assert s["n"] == 6 and s["binary_n"] == 6
    assert s["mae_percent"] == pytest.approx(22.5)
    assert s["binary_recall"] == pytest.approx(2 / 3)
    assert s["binary_precision"] == pytest.approx(2 / 3)
    assert s["binary_f1"] == pytest.approx(2 / 3)
    assert s["binary_oa"] == pytest.approx(4 / 6)
    assert s["binary_aa"] == pytest.approx(2 / 3)
    assert s["binary_kappa"] == pytest.approx(1 / 3)
    assert s["threshold"] == 0.5 == m.HSE_BINARY_THRESHOLD


def test_hse_threshold_is_a_parameter() -> None:
    # threshold 0.25: ref 1 1 1 0 0 0, pred 1 1 1 1 0 0 -> TP 3, FP 1, FN 0: recall 1, precision 3/4, F 6/7
    s = m.hse_scores(HSE_PRED, HSE_REF, threshold=0.25)
    assert s["binary_recall"] == 1.0 and s["binary_precision"] == pytest.approx(0.75)
    assert s["binary_f1"] == pytest.approx(6 / 7)


def test_hse_block_aggregation_before_thresholding() -> None:
    # 2x4 density, blocks of 2x2: ref means 0.75 and (0 + 0.1 + 0.2)/3 (a NaN cell is left out) = 0.1
    ref = np.array([[1.0, 0.5, 0.0, 0.1], [1.0, 0.5, np.nan, 0.2]])
    pred = np.array([[0.0, 0.0, 0.9, 0.9], [0.0, 0.0, 0.9, 0.9]])
    np.testing.assert_allclose(m.aggregate_mean(ref, 2), [[0.75, 0.1]])
    s = m.hse_scores(pred, ref, threshold=0.5, aggregate=2)
    assert s["binary_n"] == 2 and s["binary_oa"] == 0.0 and s["binary_recall"] == 0.0
    assert s["aggregate"] == 2


# ---------------------------------------------------------------------------------------- evaluate.py
UTM = 32650  # Hong Kong
ORIGIN = (800000.0, 2470000.0)

# Reference LCZ on a 100 m grid, 6 x 8 cells; 0 = unlabelled.
REF_MAP = np.array([[1] * 8, [1] * 8, [6] * 8, [11] * 8, [14] * 8, [17] * 6 + [0, 0]])
# Prediction per 100 m cell: three 1 -> 2, two A -> B, one G cell not predicted (0), the two unlabelled
# reference cells predicted 5 (ignored). Labelled 46, scored n = 45, 5 wrong:
#   OA = 40/45; WA = (40 + 3 * W[1,2] + 2 * W[A,B]) / 45 = (40 + 3 * 0.92 + 2 * 0.92) / 45
PRED_MAP = REF_MAP.copy()
PRED_MAP[0, :3] = 2
PRED_MAP[3, :2] = 12
PRED_MAP[5, 0] = 0
PRED_MAP[5, 6:] = 5


def _write(path: Path, array: np.ndarray, pixel: float, epsg: int = UTM, nodata: float | None = None,
           origin: tuple[float, float] = ORIGIN) -> Path:
    return write_grid_raster(path, array, pixel, epsg=epsg, nodata=nodata, origin=origin)


def _fine_prediction() -> np.ndarray:
    """PRED_MAP at 10 m: each 100 m cell a 10 x 10 block, a quarter of it (5 x 5) noise of class 9 (mode is
    PRED_MAP)."""
    fine = np.kron(PRED_MAP, np.ones((10, 10), dtype=np.uint8)).astype(np.uint8)
    for i, j in np.ndindex(PRED_MAP.shape):
        if PRED_MAP[i, j]:
            fine[i * 10 + 2 : i * 10 + 7, j * 10 + 3 : j * 10 + 8] = 9
    return fine


def _check_known_confusion(scores: dict, cm: np.ndarray) -> None:
    assert scores["reference_cells"] == 46 and scores["unpredicted_reference_cells"] == 1
    assert scores["n"] == 45 == cm.sum()
    assert (cm[0, 0], cm[0, 1], cm[5, 5], cm[10, 10], cm[10, 11], cm[13, 13], cm[16, 16]) == (13, 3, 8, 6, 2, 8, 5)
    assert scores["oa"] == pytest.approx(40 / 45)
    assert scores["wa"] == pytest.approx((40 + 5 * 0.92) / 45)


@pytest.fixture()
def lcz_ref(tmp_path: Path) -> Path:
    return _write(tmp_path / "ref.tif", REF_MAP.astype(np.uint8), 100.0, nodata=0)


def test_finer_prediction_is_aggregated_by_mode(tmp_path: Path, lcz_ref: Path) -> None:
    pred = _write(tmp_path / "pred10.tif", _fine_prediction(), 10.0)
    scores, cm = evaluate.evaluate_lcz(pred, lcz_ref)
    _check_known_confusion(scores, cm)


def test_prediction_in_another_crs(tmp_path: Path, lcz_ref: Path) -> None:
    utm = _write(tmp_path / "pred10.tif", _fine_prediction(), 10.0)
    geo = tmp_path / "pred_wgs84.tif"
    gdal.Warp(str(geo), str(utm), dstSRS="EPSG:4326", xRes=5e-5, yRes=5e-5, resampleAlg="near",
              srcNodata=0, dstNodata=0)
    scores, cm = evaluate.evaluate_lcz(geo, lcz_ref)
    _check_known_confusion(scores, cm)


def test_same_grid_with_other_nodata_values(tmp_path: Path) -> None:
    ref = _write(tmp_path / "ref255.tif", np.where(REF_MAP == 0, 255, REF_MAP).astype(np.uint8), 100.0, nodata=255)
    pred = _write(tmp_path / "pred255.tif", np.where(PRED_MAP == 0, 255, PRED_MAP).astype(np.uint8), 100.0, nodata=255)
    scores, cm = evaluate.evaluate_lcz(pred, ref)
    _check_known_confusion(scores, cm)


def test_a_cell_mostly_without_prediction_counts_as_unpredicted(tmp_path: Path, lcz_ref: Path) -> None:
    # cell (0, 0): 60 of its 100 fine pixels nodata -> unpredicted; cell (0, 1): 40 nodata -> mode of the rest
    fine = np.kron(REF_MAP, np.ones((10, 10), dtype=np.uint8)).astype(np.uint8)
    fine[0:6, 0:10] = 0
    fine[0:4, 10:20] = 0
    got, _ = evaluate.read_on_grid(_write(tmp_path / "holes.tif", fine, 10.0), lcz_ref, "classes")
    assert got[0, 0] == 0 and got[0, 1] == 1 and got[1, 0] == 1


def test_coarser_prediction_is_taken_by_nearest(tmp_path: Path, lcz_ref: Path) -> None:
    # a 200 m prediction: every reference cell takes the value of the 200 m cell containing it
    coarse = np.array([[3, 3, 3, 3], [11, 11, 11, 11], [17, 17, 17, 17]], dtype=np.uint8)
    pred = _write(tmp_path / "pred200.tif", coarse, 200.0)
    got, _ = evaluate.read_on_grid(pred, lcz_ref, "classes")
    np.testing.assert_array_equal(got, np.kron(coarse, np.ones((2, 2), dtype=int)))


# HSE: reference on a 20 m grid, 5 x 5; prediction at 10 m, each 2 x 2 block averaging to reference + 0.1.
# Reference values: 0.7 (5 cells, TP at threshold 0.5), 0.45 (3 cells -> 0.55: FP), 0.1 elsewhere (TN);
# one reference cell nodata (-1), one prediction block NaN: n = 23, MAE = 10 %.
# TP 5, FP 3, FN 0, TN 15: recall 1, precision 5/8, F = 10/13, OA 20/23;
# Kappa: pe = (5*8 + 18*15)/23^2 = 310/529, po = 460/529 -> 150/219
def _hse_rasters(tmp_path: Path, percent: bool = False) -> tuple[Path, Path]:
    ref = np.full((5, 5), 0.1, dtype=np.float32)
    ref.flat[[0, 6, 12, 18, 24]] = 0.7
    ref.flat[[1, 2, 3]] = 0.45
    ref[4, 0] = -1.0
    offsets = np.array([[-0.05, 0.05], [-0.02, 0.02]], dtype=np.float32)
    pred = (np.kron(np.where(ref < 0, 0.1, ref) + 0.1, np.ones((2, 2))) + np.tile(offsets, (5, 5))).astype(np.float32)
    pred[6:8, 2:4] = np.nan
    if percent:
        pred *= 100
    return (_write(tmp_path / "hse_pred.tif", pred, 10.0),
            _write(tmp_path / "hse_ref.tif", ref, 20.0, nodata=-1.0))


def test_hse_is_averaged_onto_the_reference_grid(tmp_path: Path) -> None:
    pred, ref = _hse_rasters(tmp_path)
    s = evaluate.evaluate_hse(pred, ref)
    assert s["n"] == 23
    assert s["mae_percent"] == pytest.approx(10.0, abs=1e-4)
    assert (s["binary_recall"], s["binary_precision"]) == (1.0, pytest.approx(5 / 8))
    assert s["binary_f1"] == pytest.approx(10 / 13) and s["binary_oa"] == pytest.approx(20 / 23)
    assert s["binary_kappa"] == pytest.approx(150 / 219)


def test_hse_in_percent_needs_a_scale(tmp_path: Path) -> None:
    pred, ref = _hse_rasters(tmp_path, percent=True)
    with pytest.raises(ValueError, match="fractions 0..1"):
        evaluate.evaluate_hse(pred, ref)
    assert evaluate.evaluate_hse(pred, ref, pred_scale=0.01)["mae_percent"] == pytest.approx(10.0, abs=1e-3)


def test_command_writes_all_files(tmp_path: Path, lcz_ref: Path) -> None:
    pred = _write(tmp_path / "pred10.tif", _fine_prediction(), 10.0)
    hse_pred, hse_ref = _hse_rasters(tmp_path)
    out = tmp_path / "out"
    assert evaluate.main(["--lcz-pred", str(pred), "--lcz-ref", str(lcz_ref), "--hse-pred", str(hse_pred),
                          "--hse-ref", str(hse_ref), "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())
    assert result["lcz"]["oa"] == pytest.approx(40 / 45) and result["hse"]["mae_percent"] == pytest.approx(10, abs=1e-4)
    assert result["lcz"]["per_class"][2]["recall"] is None  # class 3 absent: null, not NaN, in strict JSON
    assert result["hse"]["threshold"] == m.HSE_BINARY_THRESHOLD
    with (out / "confusion_matrix.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == [str(i) for i in range(1, 11)] + list("ABCDEFG")
    assert rows[1][:3] == ["1", "13", "3"] and rows[11][0] == "A" and rows[11][11:13] == ["6", "2"]
    with (out / "per_class.csv").open() as f:
        per_class = list(csv.DictReader(f))
    assert len(per_class) == 17 and per_class[10]["name"] == "Dense trees" and float(per_class[10]["recall"]) == 0.75
    png = gdal.Open(str(out / "confusion_matrix.png"))
    assert png.RasterXSize == 1100 and png.RasterYSize == 1000 and png.RasterCount >= 3


def test_plot_has_class_labels_on_both_axes() -> None:
    pytest.importorskip("matplotlib")
    fig = evaluate.confusion_figure(np.eye(17, dtype=int) * 3)
    ax = fig.axes[0]
    x = [t.get_text() for t in ax.get_xticklabels()]
    y = [t.get_text() for t in ax.get_yticklabels()]
    assert x == y and len(x) == 17 and x[0] == "1 Compact high-rise" and x[16] == "G Water"
    assert ax.get_xlabel() == "prediction" and ax.get_ylabel() == "reference"


def test_module_runs_from_the_command_line(tmp_path: Path, lcz_ref: Path, repo_root: Path) -> None:
    pred = _write(tmp_path / "pred.tif", PRED_MAP.astype(np.uint8), 100.0, nodata=0)
    done = subprocess.run([sys.executable, "-m", "training.mtl.evaluate", "--lcz-pred", str(pred),
                           "--lcz-ref", str(lcz_ref), "--out", str(tmp_path / "o")],
                          cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "oa=0.8889" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "training.mtl.evaluate", "--lcz-pred", str(pred),
                          "--out", str(tmp_path / "o")], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "together with its reference" in bad.stderr
