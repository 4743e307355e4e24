"""core.growth.estimate_new_built_area: the new built-up of a real growth run (Hong Kong 2016 -> 2018, the exact
bundled multi-task model) with a stratified random sample of points, against core.area_estimation computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from core.area_estimation import stratified_estimate
from core.assessment import PolygonReference
from core.errors import EngineError
from core.growth import estimate_new_built_area, map_growth, new_built_area_text
from core.model import bundled_model_path
from core.options import ModelChoice
from core.products import NEW_BUILT_NODATA
from support.engine_fixtures import read
from support.raster_fixtures import HK_2016, HK_2018, HK_BANDS

pytestmark = [pytest.mark.usefixtures("collect_gdal_garbage"),
              pytest.mark.skipif(not HK_2016.is_file(), reason=f"the shared real data ({HK_2016}) is not here")]


@pytest.fixture(scope="module")
def new_built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("growth")
    result = map_growth(str(HK_2016), str(HK_2018), str(folder / "change.tif"), new_built=str(folder / "new.tif"),
                        model=ModelChoice(model_path=str(bundled_model_path(1)), bands=HK_BANDS, device="CPU"))
    return Path(result.outputs["new_built"])


def _points(raster: Path, cells: list[tuple[int, int]], values: list[object], epsg: int | None = None):
    """Points at the centres of (row, col) cells of the raster, optionally in another CRS, as the algorithm hands
    them over (WKB and field values)."""
    dataset = gdal.Open(str(raster))
    gt = dataset.GetGeoTransform()
    source = osr.SpatialReference(wkt=dataset.GetProjection())
    source.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    target = source
    if epsg:
        target = osr.SpatialReference()
        target.ImportFromEPSG(epsg)
        target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, target)
    features = []
    for (row, col), value in zip(cells, values, strict=True):
        point = ogr.Geometry(ogr.wkbPoint)
        point.AddPoint_2D(gt[0] + (col + 0.5) * gt[1], gt[3] + (row + 0.5) * gt[5])
        point.Transform(transform)
        features.append((bytes(point.ExportToWkb()), value))
    return PolygonReference(features, target.ExportToWkt(), "sample points", "new")


def test_new_built_area_from_a_stratified_random_point_sample(new_built: Path) -> None:
    """40 points drawn at random in each stratum (new built-up / not), their reference read off the map with the
    first 10 'new' points and the first 4 'not new' points relabelled (planted errors): n_ij is known, so the
    estimate must be core.area_estimation's on the map's own areas; points given in WGS 84."""
    state = read(new_built)[0]
    rng = np.random.default_rng(7)
    cells, values = [], []
    counts = np.zeros((2, 2), np.int64)
    for stratum, mask in enumerate([(state != NEW_BUILT_NODATA) & (state != 1), state == 1]):
        chosen = rng.choice(np.flatnonzero(mask.ravel()), size=40, replace=False)
        for k, index in enumerate(chosen):
            truth = stratum if k >= (10 if stratum else 4) else 1 - stratum
            cells.append(divmod(int(index), state.shape[1]))
            values.append(["no", "yes"][truth] if k % 2 else truth)
            counts[stratum, truth] += 1
    estimate, notes = estimate_new_built_area(new_built, _points(new_built, cells, values, epsg=4326))
    assert estimate.sample.tolist() == counts.tolist() == [[36, 4], [10, 30]]
    pixel_km2 = 0.0004
    mapped = np.array([((state != NEW_BUILT_NODATA) & (state != 1)).sum(), (state == 1).sum()]) * pixel_km2
    expected = stratified_estimate(mapped, counts)
    assert estimate.mapped_km2 == pytest.approx(mapped)
    assert estimate.area_km2 == pytest.approx(expected.area_km2) and estimate.area_ci_km2[1] > 0
    # the planted errors: 4 of 40 "not new" points are new -> 10 % of the large unchanged stratum is added
    assert estimate.area_km2[1] > 5 * mapped[1]
    assert any("stratified random" in note for note in notes)
    assert "error-adjusted" in new_built_area_text(estimate)


def test_bad_samples_are_refused(new_built: Path) -> None:
    with pytest.raises(EngineError, match="neither new built-up nor not"):
        estimate_new_built_area(new_built, _points(new_built, [(5, 5)], ["maybe"]))
    far = _points(new_built, [(5, 5)], [1])
    far.features = [(bytes(ogr.CreateGeometryFromWkt("POINT (0 0)").ExportToWkb()), 1)]
    with pytest.raises(EngineError, match="No unit of the reference sample"):
        estimate_new_built_area(new_built, far)
