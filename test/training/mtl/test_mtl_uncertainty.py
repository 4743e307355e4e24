"""Weiszfeld geometric median on configurations with a known answer, and the UT / UTS / R subsets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.mtl import uncertainty as u


def _cost(points: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(points - y, axis=1).sum())


def test_square_corners_give_the_centre() -> None:
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]) + [3.0, -1.0]
    np.testing.assert_allclose(u.geometric_median(square), [4.0, 0.0], atol=1e-9)


def test_collinear_points_give_the_middle_point_even_when_the_mean_is_elsewhere() -> None:
    # mean (2, 2), median the middle point (1, 1): the iterate lands on a data point
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    np.testing.assert_allclose(u.geometric_median(pts), [1.0, 1.0], atol=1e-7)
    line = np.array([[-7.0], [0.5], [2.0], [3.0], [100.0]])
    np.testing.assert_allclose(u.geometric_median(line), [2.0], atol=1e-7)


def test_symmetric_configuration_with_a_point_at_the_centre() -> None:
    # regular pentagon around (1, 2) plus its centre: the start (the mean) *is* a data point
    angles = np.linspace(0, 2 * np.pi, 5, endpoint=False)
    pts = np.vstack([np.c_[np.cos(angles), np.sin(angles)] * 3 + [1.0, 2.0], [[1.0, 2.0]]])
    np.testing.assert_allclose(u.geometric_median(pts), [1.0, 2.0], atol=1e-12)


def test_obtuse_triangle_gives_the_obtuse_vertex() -> None:
    # an angle >= 120 degrees at (0, 0): the Fermat point is that vertex
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.1]])
    np.testing.assert_allclose(u.geometric_median(pts), [0.0, 0.0], atol=1e-7)


def test_equilateral_triangle_gives_the_centroid() -> None:
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    np.testing.assert_allclose(u.geometric_median(pts), [0.5, np.sqrt(3) / 6], atol=1e-7)


def test_a_majority_of_coincident_points_is_the_median() -> None:
    pts = np.array([[1.0, 1.0]] * 3 + [[10.0, 0.0], [0.0, 10.0]])
    np.testing.assert_allclose(u.geometric_median(pts), [1.0, 1.0], atol=1e-12)
    # the same by weights; a zero weight removes a point
    pts_w = np.array([[1.0, 1.0], [10.0, 0.0], [0.0, 10.0], [1e6, 1e6]])
    np.testing.assert_allclose(u.geometric_median(pts_w, weights=[3, 1, 1, 0]), [1.0, 1.0], atol=1e-12)


def test_single_point_and_bad_input() -> None:
    np.testing.assert_array_equal(u.geometric_median(np.array([[1.0, 2.0, 3.0]])), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        u.geometric_median(np.zeros((0, 3)))
    with pytest.raises(ValueError):
        u.geometric_median(np.zeros((2, 3)), weights=[-1, 1])


def test_agrees_with_a_general_minimiser() -> None:
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(60, 5)) * [1, 2, 3, 4, 5] + rng.standard_exponential(size=(60, 5)) * 4
    ours = u.geometric_median(pts)
    ref = optimize.minimize(lambda y: _cost(pts, y), pts.mean(axis=0), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000}).x
    assert _cost(pts, ours) <= _cost(pts, ref) + 1e-9
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_class_medians_and_uncertainty() -> None:
    # class 0: square corners around (0, 0) -> median (0, 0); class 2: collinear -> middle point (5, 5)
    emb = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1], [4, 4], [5, 5], [9, 9]], dtype=float)
    labels = np.array([0, 0, 0, 0, 2, 2, 2])
    med = u.class_medians(emb, labels, n_classes=3)
    np.testing.assert_allclose(med[0], [0, 0], atol=1e-9)
    np.testing.assert_allclose(med[2], [5, 5], atol=1e-7)
    assert np.isnan(med[1]).all()
    dist = u.uncertainty(emb, labels, med)
    np.testing.assert_allclose(dist, [np.sqrt(2)] * 4 + [np.sqrt(2), 0.0, np.sqrt(32)], atol=1e-6)
    with pytest.raises(ValueError, match="no median"):
        u.uncertainty(emb[:1], np.array([1]), med)


def test_ut_keeps_the_most_certain_fraction_overall() -> None:
    unc = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    np.testing.assert_array_equal(u.select_ut(unc, 0.4), [1, 3])
    assert len(u.select_ut(unc, 0.0)) == 0 and len(u.select_ut(unc, 1.0)) == 5
    # half rounds up: 0.5 * 5 = 2.5 -> 3
    np.testing.assert_array_equal(u.select_ut(unc, 0.5), [1, 3, 4])


def test_uts_is_stratified_exactly_where_ut_is_not() -> None:
    # class 0: 10 samples with low uncertainty; class 1: 20 samples all more uncertain
    labels = np.array([0] * 10 + [1] * 20)
    unc = np.concatenate([np.arange(10) * 0.1, 10 + np.arange(20)[::-1] * 0.1])
    uts = u.select_uts(unc, labels, 0.3)
    assert (labels[uts] == 0).sum() == 3 and (labels[uts] == 1).sum() == 6
    np.testing.assert_array_equal(uts[labels[uts] == 0], [0, 1, 2])  # the three most certain of class 0
    np.testing.assert_array_equal(uts[labels[uts] == 1], np.arange(24, 30))  # uncertainty decreases in class 1
    ut = u.select_ut(unc, 0.3)
    assert len(ut) == 9 and (labels[ut] == 0).all()  # the global threshold drops class 1 entirely
    assert np.all(np.diff(uts) > 0)


def test_random_is_reproducible_and_of_the_right_size() -> None:
    a = u.select_random(1000, 0.25, seed=7)
    assert len(a) == 250 and len(np.unique(a)) == 250 and a.min() >= 0 and a.max() < 1000
    np.testing.assert_array_equal(a, u.select_random(1000, 0.25, seed=7))
    assert not np.array_equal(a, u.select_random(1000, 0.25, seed=8))


def test_select_dispatches_by_the_paper_names() -> None:
    unc = np.array([3.0, 1.0, 2.0, 0.0])
    labels = np.array([0, 0, 1, 1])
    np.testing.assert_array_equal(u.select("ut", 0.5, unc), [1, 3])
    np.testing.assert_array_equal(u.select("UTS", 0.5, unc, labels), [1, 3])
    assert len(u.select("R", 0.5, n=10, seed=1)) == 5
    with pytest.raises(ValueError, match="unknown selection"):
        u.select("XX", 0.5, unc)
    with pytest.raises(ValueError, match="fraction"):
        u.select("UT", 1.5, unc)


def test_command_line_selects_from_saved_embeddings(tmp_path: Path) -> None:
    emb = np.array([[0, 0], [1, 0], [9, 0], [0, 10], [0, 11], [0, 30]], dtype=float)
    dist = np.eye(17)[[0, 0, 0, 5, 5, 5]] * 0.8 + 0.2 / 17  # soft labels: the argmax is the class
    np.save(tmp_path / "emb.npy", emb)
    np.save(tmp_path / "lab.npy", dist)
    assert u.main(["--embeddings", str(tmp_path / "emb.npy"), "--labels", str(tmp_path / "lab.npy"),
                   "--method", "UTS", "--fraction", "0.34", "--out", str(tmp_path / "keep.npy"),
                   "--uncertainty-out", str(tmp_path / "unc.npy")]) == 0
    # class medians: the middle points (1, 0) and (0, 11); the most certain of each class is that point
    np.testing.assert_array_equal(np.load(tmp_path / "keep.npy"), [1, 4])
    np.testing.assert_allclose(np.load(tmp_path / "unc.npy"), [1, 0, 8, 1, 0, 19], atol=1e-6)
