"""LCZ and HSE scores against confusion matrices worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.mtl import metrics as m

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
