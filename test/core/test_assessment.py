"""core.assessment on real references (no QGIS): the Hong Kong PRD map and expert test samples, the Milan 5-class
map, the Copernicus imperviousness of Malta; mappings, polygons, CRSs, units, nodata, and the bad inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr

from core import scores
from core.assessment import (
    PolygonReference,
    assess_hse,
    assess_lcz,
    class_code_of,
    parse_class_mapping,
)
from core.assessment_report import hse_report_html, hse_table, lcz_report_html, lcz_table, write_text_atomic
from core.errors import EngineError
from core.options import ModelChoice
from support.data import (
    HK_MAPPING,
    MALTA,
    MILAN_5,
    MILAN_GROUPS,
    PRD,
    REPO_ROOT,
    SHARED_DATA,
    TEST_SAMPLES,
    TRAIN_SAMPLES,
)
from support.raster_fixtures import copy_raster, polygons_of

gdal.UseExceptions()


pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"the shared real data ({SHARED_DATA}) is not here")



# ------------------------------------------------------------------------------------------ one definition
def test_training_metrics_are_the_core_scores() -> None:
    """training.mtl.metrics re-exports core.scores: the same objects, so the training and the plugin agree."""
    from training.mtl import evaluate, metrics

    for name in ("confusion_matrix", "lcz_scores", "per_class_table", "hse_scores", "kappa", "weighted_accuracy",
                 "LCZ_SIMILARITY_WEIGHTS", "HSE_BINARY_THRESHOLD", "aggregate_mean", "binary_confusion"):
        assert getattr(metrics, name) is getattr(scores, name), name
    from core import assessment

    assert evaluate.read_on_grid is assessment.read_on_grid


def test_density_errors_and_class_scores_by_hand() -> None:
    # prediction - reference = +0.1, -0.3, +0.2 (NaN pairs skipped): MAE 0.2, bias 0, RMSE sqrt(0.14/3)
    e = scores.density_errors(np.array([0.5, 0.2, 0.9, np.nan]), np.array([0.4, 0.5, 0.7, 0.3]))
    assert e["n"] == 3 and e["mae"] == pytest.approx(0.2) and e["bias"] == pytest.approx(0.0, abs=1e-12)
    assert e["rmse"] == pytest.approx(math.sqrt(0.14 / 3))
    # 2 classes: [[3, 1], [0, 2]] -> OA 5/6, AA (3/4 + 1)/2, F1 6/7 and 4/5
    s = scores.class_scores(np.array([[3, 1], [0, 2]]))
    assert s["oa"] == pytest.approx(5 / 6) and s["aa"] == pytest.approx(7 / 8)
    assert s["macro_f1"] == pytest.approx((6 / 7 + 4 / 5) / 2) and "wa" not in s


def test_parse_class_mapping() -> None:
    assert parse_class_mapping("1,2,4,5->1; 3 6->2\n17->5") == {1: 1, 2: 1, 4: 1, 5: 1, 3: 2, 6: 2, 17: 5}
    assert parse_class_mapping("  ") == {}
    for bad, message in (("1,2=>1", "form"), ("a->1", "whole-number"), ("1->2; 1->3", "twice"), ("0->2", "0 means")):
        with pytest.raises(EngineError, match=message):
            parse_class_mapping(bad)


def test_class_code_of_field_values() -> None:
    assert [class_code_of(v) for v in (2, 11.0, "17", " A ", "lcz g", "LCZ 10", "g", "LCZ_11")] == [
        2, 11, 17, 11, 17, 10, 17, 11]
    assert [class_code_of(v) for v in (None, "", "NULL", "H", 2.5, "urban", True)] == [None] * 7


# ------------------------------------------------------------------------------------------------- LCZ
def test_prd_map_against_the_expert_test_samples() -> None:
    """The authors' PRD map against their own test samples (codes mapped explicitly): 869 pixels, measured once."""
    a = assess_lcz(PRD, TEST_SAMPLES, reference_mapping=HK_MAPPING)
    assert a.scheme == "lcz" and a.reference_cells == 869 and a.unpredicted_cells == 0
    assert a.scores["n"] == 869
    assert a.scores["oa"] == pytest.approx(608 / 869) and a.scores["kappa"] == pytest.approx(0.533, abs=5e-4)
    assert a.scores["wa"] == pytest.approx(0.901, abs=5e-4) and a.scores["oa_built_natural"] == 1.0
    rows = {r["label"]: r for r in a.per_class}
    assert rows["2"]["support"] == 356 and rows["4"]["support"] == 513  # sample codes 9 -> LCZ 2, 11 -> LCZ 4
    assert int(a.confusion.sum()) == 869 and a.confusion.shape == (17, 17)
    assert "WGS 84" in a.grid and "540 x 695" in a.grid


def test_a_map_against_itself_scores_one() -> None:
    a = assess_lcz(PRD, PRD)
    assert a.scores["n"] == 540 * 695 and a.scores["oa"] == 1.0 and a.scores["kappa"] == 1.0
    assert a.scores["wa"] == 1.0 and all(r["f1"] == 1.0 for r in a.per_class if r["support"])


def test_reference_codes_that_are_not_lcz_are_an_error_naming_them(tmp_path: Path) -> None:
    samples = gdal.Open(str(TRAIN_SAMPLES)).ReadAsArray()
    odd = copy_raster(TRAIN_SAMPLES, tmp_path / "odd.tif", np.where(samples == 17, 42, samples).astype(np.uint8))
    with pytest.raises(EngineError, match=r"not classes of the 17 local climate zones: 42 \(3142 cells\)") as error:
        assess_lcz(PRD, odd)
    assert "reference mapping" in str(error.value)
    # a mapping that forgets a code names it too (the train samples also hold 17)
    with pytest.raises(EngineError, match=r"does not list: 17 \(3142 cells\)"):
        assess_lcz(PRD, TRAIN_SAMPLES, reference_mapping="9->2; 11->4")
    with pytest.raises(EngineError, match="maps to \\[18\\]"):
        assess_lcz(PRD, TRAIN_SAMPLES, reference_mapping="9->2; 11->4; 17->18")


def test_the_guide_and_the_help_say_what_the_code_does_with_a_partial_mapping() -> None:
    """Issue 19: the guide (section 5) and the algorithm's help said a code in 1..17 that the mapping does not list is
    read as that LCZ; the code refuses it (above: "does not list: 17"), as the troubleshooting table says. One rule."""
    repo = REPO_ROOT
    guide = (repo / "docs" / "USER_GUIDE.md").read_text(encoding="utf-8")
    section = guide[guide.index("## 5. Assess a map"):guide.index("### Worked example: Hong Kong")]
    help_text = (repo / "algorithms" / "assess_lcz.py").read_text(encoding="utf-8")
    for text in (section, help_text):
        assert "unless you map" not in text
        assert "every code of the reference" in " ".join(text.split())
    assert "3->3" in section and "3-&gt;3" in help_text
    # ... and the code does what they say: a mapping that lists every code, also an LCZ code as itself, is taken.
    a = assess_lcz(PRD, TRAIN_SAMPLES, reference_mapping="9->2; 11->4; 17->17")
    assert a.reference_mapping == {9: 2, 11: 4, 17: 17} and a.scores["n"] > 0


def test_prediction_that_is_not_an_lcz_map_is_refused(tmp_path: Path) -> None:
    values = gdal.Open(str(PRD)).ReadAsArray().astype(np.int16) + 20
    not_lcz = copy_raster(PRD, tmp_path / "not_lcz.tif", values, nodata=None, dtype=gdal.GDT_Int16)
    with pytest.raises(EngineError, match="not LCZ codes 1..17.*set the raster's nodata value"):
        assess_lcz(not_lcz, TEST_SAMPLES, reference_mapping=HK_MAPPING)


def test_engine_prediction_of_the_sample_scene_matches_the_training_evaluation(sample_scene, tmp_path) -> None:
    """The bundled scene mapped by the engine, scored against the PRD map: only the PRD part under the scene is
    read, and the confusion matrix is training.mtl.evaluate's over the whole reference grid (up to the few cells
    where GDAL's approximate reprojection, interpolated over another output window, picks the neighbour)."""
    from core.engine import OutputPaths, map_scene
    from training.mtl import evaluate

    lcz = map_scene(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif")), model=ModelChoice(device="CPU")).lcz
    a = assess_lcz(lcz, PRD)
    _, cm = evaluate.evaluate_lcz(lcz, PRD)
    assert np.abs(a.confusion - cm).sum() <= 1e-3 * cm.sum() and a.scores["n"] > 1000
    assert a.reference_cells < 540 * 695  # the window under the scene, not the whole reference
    assert 0 < a.scores["oa"] < 1 and a.scores["oa"] == pytest.approx(scores.overall_accuracy(cm), abs=1e-3)


def test_milan_five_classes_with_class_groups(tmp_path: Path) -> None:
    """The 5-class map written as LCZ (one zone per class) and grouped back reproduces itself; a zone in no
    group is left out and counted."""
    reference = gdal.Open(str(MILAN_5)).ReadAsArray()
    as_lcz = np.choose(np.where(reference == 255, 0, reference), [0, 2, 6, 11, 14, 17]).astype(np.uint8)
    as_lcz[:20] = np.where(as_lcz[:20] > 0, 9, 0)  # LCZ 9 (sparsely built) is in no group
    prediction = copy_raster(MILAN_5, tmp_path / "milan_lcz.tif", as_lcz, nodata=0)
    a = assess_lcz(prediction, MILAN_5, class_groups=MILAN_GROUPS)
    assert a.scheme == "groups" and [c.code for c in a.classes] == [1, 2, 3, 4, 5]
    assert a.classes[0].name == "LCZ 1, 2, 4, 5" and a.confusion.shape == (5, 5)
    assert a.scores["oa"] == 1.0 and a.scores["kappa"] == 1.0 and "wa" not in a.scores
    labelled = int(((reference >= 1) & (reference <= 5)).sum())
    assert a.excluded_cells == int((reference[:20] != 255).sum()) > 0
    assert a.scores["n"] + a.excluded_cells == labelled
    assert any("no group (9, E)" in note for note in a.notes)
    with pytest.raises(EngineError, match="not LCZ codes 1..17"):
        assess_lcz(prediction, MILAN_5, class_groups="1->1; 18->2")


def test_polygons_score_as_the_raster_they_were_made_from(tmp_path: Path) -> None:
    raster = assess_lcz(PRD, TEST_SAMPLES, reference_mapping=HK_MAPPING)
    gpkg = polygons_of(TEST_SAMPLES, tmp_path / "samples.gpkg")
    polygons = assess_lcz(PRD, PolygonReference.from_file(gpkg, "lcz"), reference_mapping=HK_MAPPING)
    assert np.array_equal(polygons.confusion, raster.confusion)
    assert "prediction's grid" in polygons.grid and "field lcz" in polygons.reference
    # the same polygons in UTM 50N: reprojected back onto the map's grid by GDAL, nearly the same pixels
    utm = assess_lcz(PRD, PolygonReference.from_file(polygons_of(TEST_SAMPLES, tmp_path / "utm.gpkg", 32650), "lcz"),
                     reference_mapping=HK_MAPPING)
    assert abs(utm.scores["n"] - 869) <= 9 and utm.scores["oa"] == pytest.approx(raster.scores["oa"], abs=0.01)
    # class values as text labels ("LCZ 9" ...) read as codes
    text = PolygonReference.from_file(polygons_of(TEST_SAMPLES, tmp_path / "text.gpkg", as_text=True), "lcz")
    assert text.features[0][1].startswith("LCZ ")
    assert np.array_equal(assess_lcz(PRD, text, reference_mapping=HK_MAPPING).confusion, raster.confusion)


def test_bad_polygon_references_are_errors(tmp_path: Path) -> None:
    reference = PolygonReference.from_file(polygons_of(TEST_SAMPLES, tmp_path / "samples.gpkg"), "lcz")
    with pytest.raises(EngineError, match="has no features"):
        assess_lcz(PRD, PolygonReference([], reference.crs_wkt, "empty.gpkg"))
    nulls = PolygonReference([(reference.features[0][0], None), *reference.features[1:]], reference.crs_wkt, "n")
    with pytest.raises(EngineError, match=r"not class codes: None \(1 features\)"):
        assess_lcz(PRD, nulls, reference_mapping=HK_MAPPING)
    with pytest.raises(EngineError, match=r"does not list: 11 \(\d+ features\)"):
        assess_lcz(PRD, reference, reference_mapping="9->2")
    far = ogr.CreateGeometryFromWkt("POLYGON ((10 50, 10.1 50, 10.1 50.1, 10 50.1, 10 50))")
    with pytest.raises(EngineError, match="do not overlap"):
        assess_lcz(PRD, PolygonReference([(bytes(far.ExportToWkb()), 2)], reference.crs_wkt, "far"))
    with pytest.raises(EngineError, match="one has a CRS and the other not"):
        assess_lcz(PRD, PolygonReference(reference.features, "", "no crs"), reference_mapping=HK_MAPPING)
    with pytest.raises(EngineError, match="no field 'class'"):
        PolygonReference.from_file(tmp_path / "samples.gpkg", "class")


def test_no_overlap_and_missing_crs_are_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="do not overlap"):
        assess_lcz(PRD, MILAN_5)
    no_crs = tmp_path / "no_crs.tif"
    copy_raster(TEST_SAMPLES, no_crs)
    dataset = gdal.Open(str(no_crs), gdal.GA_Update)
    dataset.SetProjection("")
    dataset = None
    with pytest.raises(EngineError, match="one has a CRS and the other not"):
        assess_lcz(PRD, no_crs, reference_mapping=HK_MAPPING)
    with pytest.raises(EngineError, match="Cannot open the reference raster"):
        assess_lcz(PRD, tmp_path / "missing.tif")


def test_lcz_table_and_report() -> None:
    a = assess_lcz(PRD, TEST_SAMPLES, reference_mapping=HK_MAPPING)
    fields, rows = lcz_table(a)
    names = [name for name, _type in fields]
    assert names[:8] == ["code", "label", "name", "support", "predicted", "precision", "recall", "f1"]
    assert names[8:-3] == [f"pred_{c.label}" for c in a.classes] and len(rows) == 17
    assert names[-3:] == ["map_km2", "adj_km2", "adj_ci_km2"]  # the areas: test_area_estimation.py
    row2 = rows[1]
    assert row2[:4] == [2, "2", "Compact mid-rise", 356] and sum(row2[8:-3]) == 356
    assert rows[6][5] is None  # LCZ 7 neither in the reference nor predicted: undefined precision is NULL
    html = lcz_report_html(a)
    for expected in ("LCZ map assessment", "Compact mid-rise", "0.700", "0.533", "Confusion matrix", "#d10000",
                     TEST_SAMPLES.name):
        assert expected in html, expected
    assert "9-&gt;2; 11-&gt;4; 17-&gt;16" in html


# ------------------------------------------------------------------------------------------------- HSE
@pytest.fixture(scope="module")
def malta(tmp_path_factory) -> dict[str, Path]:
    """Copies of the Malta imperviousness (0..100 %, 255 = sea): shifted, as fractions, in other CRSs."""
    folder = tmp_path_factory.mktemp("malta")
    values = gdal.Open(MALTA).ReadAsArray().astype(np.float32)
    sea = values == 255
    return {
        "shifted": copy_raster(MALTA, folder / "shifted.tif", np.where(sea, 255, values + 10), 255, gdal.GDT_Float32),
        "fraction": copy_raster(MALTA, folder / "fraction.tif", np.where(sea, -1, values / 100), -1, gdal.GDT_Float32),
        "no_nodata": copy_raster(MALTA, folder / "no_nodata.tif", nodata=None),
        "utm": Path(gdal.Warp(str(folder / "utm.tif"), MALTA, dstSRS="EPSG:32633", xRes=20, yRes=20,
                              resampleAlg="near").GetDescription()),
    }


def test_hse_identical_raster_scores_perfectly() -> None:
    a = assess_hse(MALTA, MALTA)
    assert a.units == {"reference": "percent", "prediction": "percent"}
    assert a.scores["n"] == 839027 and a.scores["mae"] == 0 and a.scores["rmse"] == 0 and a.scores["bias"] == 0
    assert a.scores["binary_kappa"] == 1 and a.scores["binary_f1"] == 1 and a.unpredicted_cells == 0
    assert "EPSG:3035" in a.grid


def test_hse_shifted_copy_has_mae_of_the_shift(malta) -> None:
    a = assess_hse(malta["shifted"], MALTA)
    assert a.scores["mae"] == pytest.approx(0.10, abs=1e-6) and a.scores["bias"] == pytest.approx(0.10, abs=1e-6)
    assert a.scores["rmse"] == pytest.approx(0.10, abs=1e-6) and a.scores["mae_percent"] == pytest.approx(10.0)
    assert a.scores["binary_recall"] == 1.0 and a.scores["binary_precision"] < 1.0  # +10 % adds settlement only
    assert any("outside 0..1" in note for note in a.notes)


def test_hse_units_and_nodata(malta) -> None:
    a = assess_hse(malta["fraction"], MALTA)
    assert a.units == {"reference": "percent", "prediction": "fraction"}
    assert a.scores["mae"] == pytest.approx(0, abs=1e-7)
    explicit = assess_hse(malta["fraction"], MALTA, prediction_units="fraction", reference_units="percent")
    assert explicit.scores == a.scores
    with pytest.raises(EngineError, match="255.*set the raster's nodata value"):
        assess_hse(malta["no_nodata"], MALTA)  # 255 (sea) undeclared: not a density
    with pytest.raises(EngineError, match="from 0 to 100, which are not densities"):
        assess_hse(MALTA, MALTA, prediction_units="fraction")


def test_hse_reference_in_another_crs(malta) -> None:
    """The reference in UTM 33N: the prediction (EPSG:3035) is averaged onto it; only resampling differs."""
    a = assess_hse(MALTA, malta["utm"])
    assert "UTM zone 33N" in a.grid and a.scores["n"] > 800000
    assert a.scores["mae"] < 0.03 and abs(a.scores["bias"]) < 0.002 and a.scores["binary_kappa"] > 0.9


def test_hse_bad_inputs(sample_scene) -> None:
    with pytest.raises(EngineError, match="do not overlap"):
        assess_hse(PRD, MALTA)
    with pytest.raises(EngineError, match="threshold"):
        assess_hse(MALTA, MALTA, threshold=0)
    with pytest.raises(EngineError, match="Units must be"):
        assess_hse(MALTA, MALTA, reference_units="permille")
    # A block larger than the grid (issue 19): before, null settlement scores without a word.
    with pytest.raises(EngineError, match=r"^No block of 100000 x 100000 cells holds both a reference and a predicted "
                                          r"density: the scored grid is \d+ x \d+ cells.*"
                                          r"Choose a block size of at most \d+ cells"):
        assess_hse(MALTA, MALTA, aggregate=100000)


def test_hse_table_and_report(malta, tmp_path: Path) -> None:
    a = assess_hse(malta["shifted"], MALTA, threshold=0.3, aggregate=2)
    fields, rows = hse_table(a)
    assert [name for name, _ in fields] == ["score", "value", "description"]
    values = {row[0]: row[1] for row in rows}
    assert values["MAE"] == pytest.approx(0.1, abs=1e-6) and values["threshold"] == 0.3 and values["aggregate"] == 2
    html = hse_report_html(a)
    assert "Settlement density (HSE) assessment" in html and "0.100" in html and "density &gt;= 0.3" in html
    path = tmp_path / "report.html"
    write_text_atomic(path, html)
    assert path.read_text(encoding="utf-8") == html and [p.name for p in tmp_path.iterdir()] == ["report.html"]
