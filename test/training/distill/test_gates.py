"""The v2 gate measures (training/distill/gates.py) on synthetic rasters with known answers."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from support.raster_fixtures import write_grid_raster
from training.distill import gates
from training.distill.label_rules import BUILT_UP_FRACTION

gdal.UseExceptions()


def _pairwise_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    wins = [1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg)]
    return float(np.mean(wins))


def test_auc_counts_pairs_and_ties():
    assert gates.auc([3, 4], [1, 2]) == 1.0
    assert gates.auc([1, 2], [3, 4]) == 0.0
    assert gates.auc([1, 1], [1]) == 0.5
    rng = np.random.default_rng(0)
    pos, neg = rng.integers(0, 6, 40).astype(float), rng.integers(0, 5, 30).astype(float)  # many ties
    assert gates.auc(pos, neg) == pytest.approx(_pairwise_auc(pos, neg))
    assert np.isnan(gates.auc([], [1.0]))


def test_spearman_uses_average_ranks():
    assert gates.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert gates.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    x, y = [0.1, 0.1, 0.5, 0.9], [1.0, 2.0, 3.0, 4.0]  # a tie on one side
    ranks_x = np.array([1.5, 1.5, 3, 4])
    assert gates.spearman(x, y) == pytest.approx(np.corrcoef(ranks_x, [1, 2, 3, 4])[0, 1])
    assert np.isnan(gates.spearman([1, 2], [1, 2]))
    assert np.isnan(gates.spearman([1, 1, 1], [1, 2, 3]))


def _raster(path: Path, array: np.ndarray, pixel: float, data_type: int, nodata: float | None) -> Path:
    return write_grid_raster(path, array, pixel, nodata=nodata, data_type=data_type)


def test_hse_on_reference_cells_scores_the_cells_of_the_lcz_grid(tmp_path):
    # 6 x 6 cells of 100 m; the reference (10 m) has one class per cell row: 1, 2, 6, 9, 14 (D), 17 (G)
    codes = np.array([1, 2, 6, 9, 14, 17])
    ref = np.repeat(np.repeat(codes[:, None], 6, axis=1), 10, axis=0).repeat(10, axis=1).astype(np.uint8)
    ref[0, 0] = 9  # one odd 10 m pixel does not move its cell's mode
    # HSE (20 m): the Stewart & Oke fraction of the row's class, minus a little for water
    per_row = np.array([BUILT_UP_FRACTION[c - 1] for c in codes])
    per_row[-1] = 0.02
    hse = np.repeat(np.repeat(per_row[:, None], 6, axis=1), 5, axis=0).repeat(5, axis=1).astype(np.float32)
    hse[:5, :5] = -1.0  # nodata: that cell has no HSE and drops out
    lcz = np.ones((6, 6), np.uint8)
    result = gates.hse_on_reference_cells(
        _raster(tmp_path / "hse.tif", hse, 20.0, gdal.GDT_Float32, -1.0),
        _raster(tmp_path / "lcz.tif", lcz, 100.0, gdal.GDT_Byte, 0),
        _raster(tmp_path / "ref.tif", ref, 10.0, gdal.GDT_Byte, 255))
    assert result["cells"] == 35 and result["built_cells"] == 23 and result["water_cells"] == 6
    assert result["auc_built_vs_natural"] == 1.0
    assert result["class_cells"] == {"1": 5, "2": 6, "6": 6, "9": 6, "14": 6, "17": 6}
    assert result["class_mean_hse"] == {}  # fewer than MIN_CELLS cells per class: no class means
    assert np.isnan(result["rank_corr_with_built_fraction"]) and np.isnan(result["mean_hse_water"])


def test_hse_on_reference_cells_with_enough_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(gates, "MIN_CELLS", 5)
    codes = np.array([1, 2, 6, 9, 14, 17])
    ref = np.repeat(np.repeat(codes[:, None], 6, axis=1), 10, axis=0).repeat(10, axis=1).astype(np.uint8)
    per_row = np.array([0.9, 0.8, 0.6, 0.3, 0.1, 0.02])  # S&O order: 1 > 2 > 6 > 9 > D = G
    hse = np.repeat(np.repeat(per_row[:, None], 6, axis=1), 5, axis=0).repeat(5, axis=1).astype(np.float32)
    result = gates.hse_on_reference_cells(
        _raster(tmp_path / "hse.tif", hse, 20.0, gdal.GDT_Float32, -1.0),
        _raster(tmp_path / "lcz.tif", np.ones((6, 6), np.uint8), 100.0, gdal.GDT_Byte, 0),
        _raster(tmp_path / "ref.tif", ref, 10.0, gdal.GDT_Byte, 255))
    assert result["class_mean_hse"]["9"] == pytest.approx(0.3)
    fractions = [BUILT_UP_FRACTION[c - 1] for c in codes]  # D and G tie at 0.10
    assert result["rank_corr_with_built_fraction"] == pytest.approx(gates.spearman(per_row, fractions))
    assert result["rank_corr_with_built_fraction"] > 0.95
    assert result["mean_hse_water"] == pytest.approx(0.02)


def test_eurosat_band_order_puts_b8a_last():
    names = gates.EUROSAT_BANDS.split(",")
    assert len(names) == 13 and names[-1] == "B8A" and names[8:12] == ["B9", "B10", "B11", "B12"]


def _gate_run(root: Path, name: str, prd_kappa: float, milan: float, auc: float, eurosat: float) -> Path:
    import json

    student = "student"
    hk = {"teacher": {"hk_prd_map": {"kappa": 0.40, "wa": 0.80}},
          student: {"hk_prd_map": {"kappa": prd_kappa, "wa": 0.85},
                    "hse_prd_cells": {"auc_built_vs_natural": auc, "rank_corr_with_built_fraction": 0.5,
                                      "mean_hse_water": 0.01},
                    "agreement_with_teacher": {"kappa": 0.6}}}
    mi = {"teacher": {"milan_5class": {"kappa": 0.20}}, student: {"milan_5class": {"kappa": milan}}}
    results = {"cities": {"hongkong": {"dates": {"20180323": hk},
                                       "hse": {student: {"student_mean_abs_dhse_unchanged": auc / 10}}},
                          "milano": {"dates": {"20180122": mi}}}}
    (root / name / "eval").mkdir(parents=True)
    (root / name / "eval" / "results.json").write_text(json.dumps(results))
    (root / name / "eval" / "eurosat.json").write_text(json.dumps(
        {"teacher": {"patch_accuracy": 0.7}, student: {"patch_accuracy": eurosat}}))
    return root / name


def test_gate_verdicts_on_the_mean_over_runs(tmp_path):
    runs = [_gate_run(tmp_path, "s0", 0.45, 0.195, 0.94, 0.60), _gate_run(tmp_path, "s1", 0.43, 0.18, 0.90, 0.75)]
    rows = {(r["gate"], r["date"]): r for r in gates.gate_rows(runs, "student")}
    prd = rows[("LCZ Kappa vs HK PRD map", "20180323")]
    assert prd["runs"] == [0.45, 0.43] and prd["mean"] == pytest.approx(0.44) and prd["verdict"] == "pass"
    assert rows[("LCZ WA vs HK PRD map", "20180323")]["verdict"] == "pass"
    milan = rows[("Milan 5-class Kappa", "20180122")]
    assert milan["threshold"] == pytest.approx(0.19) and milan["verdict"] == "unresolved"  # 0.18 < 0.19 < 0.195
    assert rows[("HSE AUC built vs natural (HK PRD cells)", "20180323")]["verdict"] == "unresolved"
    assert rows[("HSE rank corr. with S&O fraction (HK PRD cells)", "20180323")]["verdict"] == "fail"
    assert rows[("HSE over water (HK PRD G cells)", "20180323")]["verdict"] == "pass"
    assert rows[("EuroSAT patch accuracy", "-")]["verdict"] == "unresolved"
    assert rows[("agreement with the teacher (Kappa)", "20180323")]["verdict"] == "reported"
    stability = [r for r in gates.gate_rows(runs, "student") if r["gate"] == "mean abs dHSE over unchanged pixels"]
    assert [(r["city"], r["date"], r["runs"]) for r in stability] == [("hongkong", "-", [0.094, 0.09]),
                                                                        ("milano", "-", [math.nan, math.nan])]
    table = gates.gate_table(runs, "student")
    assert "| LCZ Kappa vs HK PRD map | hongkong | 20180323 | 0.400 | 0.450 | 0.430 |" in table
