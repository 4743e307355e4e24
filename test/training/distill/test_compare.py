"""training.distill.compare: spread over runs and the averaged ensemble, on synthetic run folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from training.distill import compare
from training.distill.rasters import write_raster

UTM = osr.SpatialReference()
UTM.ImportFromEPSG(32632)


def _raster(path: Path, data: np.ndarray, pixel: float, dtype: int, nodata: float) -> Path:
    return write_raster(path, data, (500000.0, pixel, 0.0, 5000000.0, 0.0, -pixel), UTM.ExportToWkt(), dtype, nodata)


def _probabilities(codes: np.ndarray, confidence: float) -> np.ndarray:
    """17 bands, `confidence` on the code's band and the rest spread evenly; -1 where the code is 0."""
    p = np.full((17, *codes.shape), (1 - confidence) / 16, np.float32)
    for code in np.unique(codes[codes > 0]):
        p[code - 1, codes == code] = confidence
    p[:, codes == 0] = -1
    return p


def test_the_ensemble_is_the_argmax_of_the_averaged_probabilities(tmp_path: Path) -> None:
    sure = _probabilities(np.array([[2, 2, 8], [0, 8, 8]]), 0.9)
    unsure = _probabilities(np.array([[8, 2, 8], [2, 2, 8]]), 0.5)
    a = _raster(tmp_path / "a.tif", sure, 100, gdal.GDT_Float32, -1)
    b = _raster(tmp_path / "b.tif", unsure, 100, gdal.GDT_Float32, -1)
    codes = gdal.Open(str(compare.average_probabilities([a, b], tmp_path / "e" / "lcz.tif"))).ReadAsArray()
    np.testing.assert_array_equal(codes, [[2, 2, 8], [0, 8, 8]])  # the confident member wins disagreements
    unsure_wins = _raster(tmp_path / "c.tif", _probabilities(np.array([[8, 2, 8], [2, 2, 8]]), 0.99), 100,
                          gdal.GDT_Float32, -1)
    codes = gdal.Open(str(compare.average_probabilities([a, unsure_wins], tmp_path / "f.tif"))).ReadAsArray()
    np.testing.assert_array_equal(codes, [[8, 2, 8], [0, 2, 8]])  # no data in any member stays no data
    other_grid = _raster(tmp_path / "d.tif", _probabilities(np.array([[2, 2]]), 0.9), 100, gdal.GDT_Float32, -1)
    with pytest.raises(ValueError, match="not on one grid"):
        compare.average_probabilities([a, other_grid], tmp_path / "g.tif")


def _run(root: Path, name: str, student: dict, teacher: float, codes: np.ndarray, confidence: float) -> Path:
    run = root / name
    row = {"teacher": {"milan_5class": {"n": 9, "oa": 0.5, "kappa": teacher}},
           compare.STUDENT: {"agreement_with_teacher": {"n": 6, "oa": 0.5, "kappa": student["agree"]},
                             "milan_5class": {"n": 9, "oa": 0.5, "kappa": student["milan"]}}}
    (run / "eval").mkdir(parents=True)
    (run / "eval" / "results.json").write_text(json.dumps({"cities": {"milano": {"dates": {"20180122": row}}}}))
    _raster(run / "eval" / "milano" / f"{compare.STUDENT}_20180122_prob.tif", _probabilities(codes, confidence), 100,
            gdal.GDT_Float32, -1)
    _raster(run / "eval" / "milano" / "teacher_20180122_lcz.tif", np.array([[2, 2, 8], [8, 8, 8]], np.uint8), 100,
            gdal.GDT_Byte, 0)
    return run


def test_table_and_ensemble_from_run_folders(tmp_path: Path) -> None:
    first = _run(tmp_path, "seed0", {"agree": 0.5, "milan": 0.1}, 0.2, np.array([[2, 2, 8], [2, 8, 8]]), 0.6)
    second = _run(tmp_path, "seed1", {"agree": 0.3, "milan": 0.3}, 0.2, np.array([[2, 2, 8], [8, 8, 8]]), 0.7)
    # Milan's 5 classes at 10 m: LCZ 2 -> 1 (compact mid-rise), LCZ 8 -> 2 (large low-rise)
    reference = np.kron(np.array([[1, 1, 2], [2, 2, 2]], np.uint8), np.ones((10, 10), np.uint8))
    _raster(tmp_path / "scenes" / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif", reference, 10,
            gdal.GDT_Byte, 255)
    ensemble = compare.ensemble_kappas([first, second], tmp_path / "ens", tmp_path / "scenes")
    assert ensemble[("milano", "20180122", "milan_5class")] == pytest.approx(1.0)  # the surer seed1 decides (1, 0)
    assert ensemble[("milano", "20180122", "agreement_with_teacher")] == pytest.approx(1.0)
    text = compare.table([first, second], ensemble)
    assert "| milano | 20180122 | milan 5class | 0.200 | 0.100 | 0.300 | 0.200 | 0.100 .. 0.300 | 1.000 |" in text
    assert "| milano | 20180122 | agreement with teacher | - | 0.500 | 0.300 | 0.400 | 0.300 .. 0.500 | 1.000 |" in text
