"""core.area_estimation: the stratified estimator of Olofsson et al. (2014) against the paper's worked example,
a small example computed by hand, and cell areas of projected and geographic grids."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from core.area_estimation import block_row_km2, class_areas_km2, row_cell_km2, stratified_estimate
from core.assessment import assess_hse, assess_lcz
from core.assessment_report import hse_report_html, hse_table, lcz_report_html, lcz_table
from core.errors import EngineError
from core.options import ModelChoice
from support.data import MALTA, PRD, SHARED_DATA
from support.raster_fixtures import copy_raster

needs_data = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                reason=f"the shared real data ({SHARED_DATA}) is not here")

# Olofsson et al. (2014), section 5 (Tables 8-10): a Landsat change map of 30 m pixels, strata = map classes
# deforestation, forest gain, stable forest, stable non-forest; mapped pixels and the sample's error matrix
# (map classes in rows, reference in columns).
PAPER_PIXELS = np.array([200_000, 150_000, 3_200_000, 6_450_000])
PAPER_SAMPLE = np.array([
    [66, 0, 5, 4],
    [0, 55, 8, 12],
    [1, 0, 153, 11],
    [2, 1, 9, 313],
])
PIXEL_HA = 0.09  # 30 m x 30 m


def test_the_papers_worked_example() -> None:
    """The error-adjusted areas and intervals in ha, the accuracies and their intervals, as the paper prints them."""
    e = stratified_estimate(PAPER_PIXELS * PIXEL_HA, PAPER_SAMPLE)  # areas in ha in, ha out
    assert e.area_km2.round() == pytest.approx([21158, 11686, 285770, 581386], abs=1)
    assert e.area_ci_km2.round() == pytest.approx([6158, 3756, 15510, 16282], abs=1)
    assert e.proportions.round(4) == pytest.approx([0.0235, 0.0130, 0.3175, 0.6460], abs=1e-4)  # Table 9 sums
    assert e.users.round(2) == pytest.approx([0.88, 0.73, 0.93, 0.96])
    assert e.users_ci.round(2) == pytest.approx([0.07, 0.10, 0.04, 0.02])
    assert e.producers.round(2) == pytest.approx([0.75, 0.85, 0.93, 0.96])
    # The paper prints +-0.21, +-0.23, +-0.03, +-0.01; its equation 7 gives 0.21, 0.25, 0.03, 0.02 (implementations
    # of the paper elsewhere note the same two differences): the two that agree are checked.
    assert e.producers_ci[[0, 2]].round(2) == pytest.approx([0.21, 0.03])
    assert round(e.overall, 2) == 0.95 and round(e.overall_ci, 2) == 0.02
    assert e.unsampled == [] and e.single == [] and e.total_km2 == pytest.approx(900_000)


def test_a_small_example_by_hand() -> None:
    """Two map classes, A (30 km2) and B (70 km2), 10 sample units in A (8 A, 2 B) and 20 in B (4 A, 16 B).

    W = (0.3, 0.7); n_ij/n_i. = A: (0.8, 0.2), B: (0.2, 0.8).
    p.A = 0.3 * 0.8 + 0.7 * 0.2 = 0.24 + 0.14 = 0.38 -> 38 km2; p.B = 0.3 * 0.2 + 0.7 * 0.8 = 0.62 -> 62 km2.
    S(p.A)^2 = 0.09 * 0.8 * 0.2 / 9 + 0.49 * 0.2 * 0.8 / 19 = 0.0016 + 0.0041263 = 0.0057263 -> S = 0.075672;
    S(p.B) is the same (two classes). 95 % CI = 1.96 * 0.075672 * 100 km2 = 14.832 km2.
    User's: A 0.8, B 0.8, CI 1.96 * sqrt(0.16 / 9) = 0.26133 and 1.96 * sqrt(0.16 / 19) = 0.17986.
    Producer's: A = 0.24 / 0.38 = 0.631579; B = 0.56 / 0.62 = 0.903226. Overall = 0.24 + 0.56 = 0.8,
    its CI 1.96 * sqrt(0.0016 + 0.0041263) = 0.14832.
    """
    e = stratified_estimate([30.0, 70.0], np.array([[8, 2], [4, 16]]))
    assert e.area_km2 == pytest.approx([38.0, 62.0])
    assert e.area_ci_km2 == pytest.approx([14.832, 14.832], abs=1e-3)
    assert e.users_ci == pytest.approx([0.26133, 0.17986], abs=1e-5)
    assert e.producers == pytest.approx([0.631579, 0.903226], abs=1e-6)
    assert e.overall == pytest.approx(0.8) and e.overall_ci == pytest.approx(0.14832, abs=1e-5)
    # Producer's accuracy of A by eq. 7 with N in km2: N^.A = 30 * 0.8 + 70 * 0.2 = 38;
    # V = (30^2 * (1 - 0.631579)^2 * 0.16 / 9 + 0.631579^2 * 70^2 * 0.16 / 19) / 38^2
    #   = (900 * 0.135734 * 0.0177778 + 0.398892 * 4900 * 0.00842105) / 1444 = (2.17175 + 16.45953) / 1444
    #   = 0.0129026 -> CI 1.96 * 0.113590 = 0.222637
    assert e.producers_ci[0] == pytest.approx(0.222637, abs=1e-5)


def test_strata_without_samples_and_with_one() -> None:
    """An unsampled map class is named and left out; a class with one unit adds no variance, and is named."""
    e = stratified_estimate([50.0, 40.0, 10.0], np.array([[9, 1, 0], [0, 1, 0], [0, 0, 0]]))
    assert e.unsampled == [2] and e.single == [1]
    assert e.sampled_share == pytest.approx(0.9)
    assert e.proportions.sum() == pytest.approx(0.9)  # the unsampled 10 % are not attributed to any class
    assert math.isnan(e.users[2]) and e.users[1] == 1.0
    with pytest.raises(EngineError, match="at least one sample unit"):
        stratified_estimate([1.0, 2.0], np.zeros((2, 2)))
    with pytest.raises(EngineError, match="map classes"):
        stratified_estimate([1.0, 2.0], np.ones((3, 3)))


def _equal_area_km2(x0: float, y0: float, x1: float, y1: float) -> float:
    """Area of a lon/lat box by densifying it and projecting onto a Lambert equal-area plane (an independent way)."""
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(x, y)
    box = ogr.Geometry(ogr.wkbPolygon)
    box.AddGeometry(ring)
    box.Segmentize(0.001)
    wgs, laea = osr.SpatialReference(), osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    laea.ImportFromProj4(f"+proj=laea +lat_0={(y0 + y1) / 2} +lon_0={(x0 + x1) / 2} +datum=WGS84 +units=m")
    for srs in (wgs, laea):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    box.Transform(osr.CoordinateTransformation(wgs, laea))
    return box.GetArea() / 1e6


def test_cell_areas_of_projected_and_geographic_grids() -> None:
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32650)
    assert row_cell_km2((0, 100, 0, 0, 0, -100), utm.ExportToWkt(), 3) == pytest.approx([0.01] * 3)
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    rows = row_cell_km2((114.0, 0.5, 0, 23.0, 0, -0.5), wgs.ExportToWkt(), 2)  # 23..22.5 and 22.5..22 N
    assert rows[0] == pytest.approx(_equal_area_km2(114.0, 22.5, 114.5, 23.0), rel=1e-6)
    assert rows[1] == pytest.approx(_equal_area_km2(114.0, 22.0, 114.5, 22.5), rel=1e-6)
    with pytest.raises(EngineError, match="no CRS"):
        row_cell_km2((0, 1, 0, 0, 0, -1), "", 1)


def test_class_areas_and_blocks() -> None:
    indices = np.array([[1, 1, 0], [2, 1, 3]])
    assert class_areas_km2(indices, np.array([1.0, 2.0]), 3) == pytest.approx([4.0, 2.0, 2.0])
    assert block_row_km2(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 2) == pytest.approx([6.0, 14.0])


# ------------------------------------------------------------------------------ in the assessment, real data
@pytest.fixture(scope="module")
def sample_lcz_map(tmp_path_factory, sample_scene) -> Path:
    """The bundled Hong Kong scene mapped by the engine with the default model (LCZ, 100 m, UTM 50N)."""
    from core.engine import OutputPaths, map_scene

    target = tmp_path_factory.mktemp("areas") / "lcz.tif"
    return Path(map_scene(str(sample_scene), OutputPaths(lcz=str(target)), model=ModelChoice(device="CPU")).lcz)


@needs_data
def test_a_census_gives_the_reference_areas(sample_lcz_map) -> None:
    """Against the wall-to-wall PRD map (every map cell has a reference), the error-adjusted area of each class is
    the reference's area of that class: the estimator turns the map's shares into the reference's."""
    a = assess_lcz(sample_lcz_map, PRD)
    e = a.areas
    n = a.confusion.sum()
    assert a.unpredicted_cells > 0  # reference cells outside the map do not count
    reference_km2 = a.confusion.sum(axis=1) / n * e.total_km2  # reference in rows
    map_km2 = a.confusion.sum(axis=0) / n * e.total_km2
    assert e.area_km2 == pytest.approx(reference_km2, rel=1e-3, abs=1e-6)
    assert e.mapped_km2 == pytest.approx(map_km2, rel=1e-3, abs=1e-6)
    assert np.abs(map_km2 - reference_km2).max() > 0.2  # the map's own areas are not the reference's
    # the PRD grid is geographic (WGS 84): its ~10 m cells, not degrees squared
    assert e.total_km2 == pytest.approx(n * _equal_area_km2(0, 22.3, 9.346e-05, 22.3 + 9.346e-05), rel=2e-3)
    assert "Areas with 95 % confidence intervals" in lcz_report_html(a)


@needs_data
def test_a_stratified_random_sample_recovers_the_reference_areas(sample_lcz_map, tmp_path) -> None:
    """50 reference cells drawn at random in each map class (a stratified random sample of the PRD map): the 95 %
    intervals cover the reference's areas (as a census measures them) for most classes, and the error-adjusted
    areas are closer to them than the map's pixel counts."""
    from core.assessment import read_on_grid

    census = assess_lcz(sample_lcz_map, PRD)
    truth = census.areas.area_km2
    pred, ref = read_on_grid(sample_lcz_map, PRD, "classes")
    rng = np.random.default_rng(22)
    kept = np.zeros(ref.shape, bool)
    for code in np.unique(pred[(pred > 0) & (ref > 0)]):
        cells = np.flatnonzero(((pred == code) & (ref > 0)).ravel())
        kept.ravel()[rng.choice(cells, size=min(50, cells.size), replace=False)] = True
    sample = copy_raster(PRD, tmp_path / "sample.tif", np.where(kept, ref, 0).astype(np.uint16), 0, gdal.GDT_UInt16)
    a = assess_lcz(sample_lcz_map, sample)
    e = a.areas
    assert a.scores["n"] == kept.sum() and e.mapped_km2 == pytest.approx(census.areas.mapped_km2)
    present = (truth > 0) | (e.area_km2 > 0)
    covered = np.abs(e.area_km2 - truth) <= e.area_ci_km2 + 1e-9
    assert covered[present].mean() >= 0.8, (e.area_km2, e.area_ci_km2, truth)
    assert np.abs(e.area_km2 - truth).sum() < 0.5 * np.abs(e.mapped_km2 - truth).sum()
    fields, rows = lcz_table(a)
    assert [row[-2] for row in rows] == pytest.approx(e.area_km2.tolist())


@needs_data
def test_settlement_area_of_an_hse_assessment() -> None:
    """Malta's imperviousness against itself: the error-adjusted settlement area is the mapped one, with no
    interval (a census without errors); the report and the table carry it."""
    a = assess_hse(MALTA, MALTA, threshold=0.3)
    e = a.areas
    assert e.area_km2 == pytest.approx(e.mapped_km2) and e.area_ci_km2 == pytest.approx([0, 0])
    values = {row[0]: row[1] for row in hse_table(a)[1]}
    assert values["settlement_adj_km2"] == pytest.approx(e.mapped_km2[1]) and values["settlement_map_km2"] > 1
    cells = int((a.binary_confusion.sum(axis=0))[1])  # settlement cells of 20 m in EPSG:3035
    assert e.mapped_km2[1] == pytest.approx(cells * 0.0004)
    assert "error-adjusted" in hse_report_html(a)
