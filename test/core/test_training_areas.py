"""Mapping LCZ with training areas (core.training_areas) on real data: the Hong Kong scene and the expert training
samples of Liu & Shi (../shared/data, allowed for this feature by issue 14), polygonised into a training-area layer."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, osr

from core.assessment import PolygonReference
from core.assessment_report import lcz_report_html
from core.engine import OutputPaths
from core.errors import EngineError
from core.options import ModelChoice, RunFeedback
from core.training_areas import cross_validation_assessment, map_with_training_areas
from support.engine_fixtures import info, read, synthetic_dn, write_raster
from support.raster_fixtures import HK_2018, HK_BANDS, HK_DATA, HK_SAMPLE_TO_LCZ, polygonise_classes, square

DATA, SCENE, BANDS = HK_DATA, HK_2018, HK_BANDS

pytestmark = [pytest.mark.usefixtures("collect_gdal_garbage"),
              pytest.mark.skipif(not SCENE.is_file(), reason=f"the shared real data ({DATA}) is not here")]


@pytest.fixture(scope="module")
def hong_kong_areas() -> PolygonReference:
    return polygonise_classes(DATA / "hongkong_LCZ_trainsamples_sjliu_on_oscd_grid.tif", "HK expert samples",
                              HK_SAMPLE_TO_LCZ)


@pytest.fixture(scope="module")
def adapted(hong_kong_areas, tmp_path_factory):
    out = tmp_path_factory.mktemp("adapted")
    lines: list[str] = []
    result = map_with_training_areas(str(SCENE), OutputPaths(lcz=str(out / "lcz.tif")), training_areas=hong_kong_areas,
                                     save_adapter=str(out / "adapter.json"),
                                     model=ModelChoice(bands=BANDS, device="CPU"),
                                     feedback=RunFeedback(log=lines.append))
    return out, result, lines


def test_hong_kong_training_areas_give_an_adapted_styled_map_and_an_honest_report(adapted, hong_kong_areas) -> None:
    out, result, lines = adapted
    assert sorted(p.name for p in out.iterdir()) == ["adapter.json", "lcz.tif", "lcz.tif.aux.xml"]
    band = info(result.mapping.lcz)["bands"][0]
    assert band["colorInterpretation"] == "Palette" and band["categories"][16] == "F Bare soil or sand"
    assert list(result.adapter.classes) == [2, 4, 16] and result.adapter.mean.size == 17 + 256
    assert result.training_cells > 50
    cv = result.cross_validation
    assert cv.folds == 5 and 0.0 <= cv.scores["oa"] <= 1.0 and cv.confusion.sum() == result.training_cells
    assert any("fewer than 3 training areas" in w for w in result.warnings)
    assert any(line.startswith("Cross-validated by polygon (5 folds): OA ") for line in lines)
    report = lcz_report_html(cross_validation_assessment(result, hong_kong_areas.name))
    assert "training areas HK expert samples" in report and "Cross-validated by polygon in 5 folds" in report

    # Fitted on these areas, the adapted map gives their cells their class.
    lcz, gt, wkt = read(result.mapping.lcz)
    from core.engine import CellGrid
    from core.training_areas import _rasterise_polygons, parse_classes

    polygon = _rasterise_polygons(hong_kong_areas, CellGrid(gt, wkt, lcz.shape[1], lcz.shape[0]))
    codes = np.asarray(parse_classes(hong_kong_areas))[polygon[polygon > 0] - 1]
    assert (lcz[polygon > 0] == codes).mean() > 0.8
    assert cv.model_alone["oa"] > 0.5  # the model agrees with the experts on most of these cells


def test_a_saved_adapter_maps_the_scene_again_identically(adapted, tmp_path) -> None:
    out, result, _ = adapted
    again = map_with_training_areas(str(SCENE), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                                    adapter_path=str(out / "adapter.json"),
                                    model=ModelChoice(bands=BANDS, device="CPU"))
    assert again.cross_validation is None and again.training_cells == 0
    np.testing.assert_array_equal(read(again.mapping.lcz)[0], read(result.mapping.lcz)[0])
    assert not (read(again.mapping.lcz)[0] == 0).all()


def test_training_areas_outside_the_scene_are_refused_and_nothing_is_left(tmp_path) -> None:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    far = PolygonReference([(square(200000.0, 1000000.0, 500), 1), (square(201000.0, 1000000.0, 500), 11)],
                           srs.ExportToWkt(), "far away", "lcz")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(EngineError, match="No training area of far away covers the centre of a 100 m cell"):
        map_with_training_areas(str(SCENE), OutputPaths(lcz=str(out / "lcz.tif")), training_areas=far,
                                save_adapter=str(out / "adapter.json"), model=ModelChoice(bands=BANDS, device="CPU"))
    assert list(out.iterdir()) == []


def test_bad_requests_are_refused_before_computing(hong_kong_areas, tmp_path) -> None:
    out = OutputPaths(lcz=str(tmp_path / "lcz.tif"))
    with pytest.raises(EngineError, match="either training areas .* or a saved adapter"):
        map_with_training_areas(str(SCENE), out, model=ModelChoice(bands=BANDS))
    with pytest.raises(EngineError, match="must end in .json"):
        map_with_training_areas(str(SCENE), out, training_areas=hong_kong_areas, save_adapter=str(tmp_path / "a.txt"))
    unknown = PolygonReference([(wkb, "Z") for wkb, _ in hong_kong_areas.features], hong_kong_areas.crs_wkt, "bad",
                               "lcz")
    with pytest.raises(EngineError, match="not LCZ classes: 'Z'"):
        map_with_training_areas(str(SCENE), out, training_areas=unknown, model=ModelChoice(bands=BANDS))
    empty = PolygonReference([], hong_kong_areas.crs_wkt, "empty layer", "lcz")
    with pytest.raises(EngineError, match="empty layer hold no polygon"):
        map_with_training_areas(str(SCENE), out, training_areas=empty, model=ModelChoice(bands=BANDS))
    one_class = PolygonReference([(wkb, 4) for wkb, _ in hong_kong_areas.features], hong_kong_areas.crs_wkt, "one",
                                 "lcz")
    with pytest.raises(EngineError, match="only one class inside the scene"):
        map_with_training_areas(str(SCENE), out, training_areas=one_class, model=ModelChoice(bands=BANDS, device="CPU"))
    assert list(tmp_path.iterdir()) == []


def test_a_dense_model_is_adapted_on_its_log_probabilities(tmp_path, dense_model) -> None:
    """The dense path of the engine's cell hook: no embedding, 17 features; the HSE layer is written as usual."""
    scene = write_raster(tmp_path / "scene.tif", synthetic_dn(200, 200, seed=5))
    dataset = gdal.Open(str(scene))
    x, y = dataset.GetGeoTransform()[0], dataset.GetGeoTransform()[3]
    areas = PolygonReference([(square(x + dx, y - dy, 400), code) for dx, dy, code in
                              ((0, 0, 2), (1000, 0, 2), (0, 1000, 14), (1400, 1400, 14))], dataset.GetProjection(),
                             "squares", "lcz")
    dataset = None
    result = map_with_training_areas(str(scene),
                                     OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                                     training_areas=areas, model=ModelChoice(model_path=str(dense_model)), folds=2)
    assert result.adapter.mean.size == 17 and result.adapter.features == "log-probabilities"
    assert result.mapping.hse and gdal.Open(result.mapping.hse).RasterXSize == 100
    assert set(np.unique(read(result.mapping.lcz)[0])) <= {0, 2, 14} | set(range(1, 18))


def test_two_dates_fit_one_adapter_and_fuse_the_adapted_maps(hong_kong_areas, adapted, tmp_path) -> None:
    _, single, _ = adapted
    other = DATA / "hongkong_S2L1C_20160927_10band_10m.tif"
    result = map_with_training_areas(str(SCENE),
                                     OutputPaths(lcz=str(tmp_path / "lcz.tif"), dates=str(tmp_path / "d.tif")),
                                     more_dates=[str(other)], training_areas=hong_kong_areas,
                                     model=ModelChoice(bands=BANDS, device="CPU"))
    assert result.training_cells == 2 * single.training_cells  # the same cells on both dates
    assert result.cross_validation.confusion.sum() == result.training_cells
    dates = read(result.mapping.dates)[0]
    assert (dates == 2).mean() > 0.9


def test_the_bundled_multitask_model_is_adapted_on_its_embedding_too(hong_kong_areas, tmp_path) -> None:
    """The default multi-task model v3 (patch): 17 log-probabilities + the ResNet20's 256 pooled features per cell,
    and its HSE layer beside the adapted LCZ."""
    from core.model import bundled_model_path

    model = ModelChoice(model_path=str(bundled_model_path(1)), bands=BANDS, device="CPU")
    result = map_with_training_areas(str(SCENE),
                                     OutputPaths(lcz=str(tmp_path / "lcz.tif"), hse=str(tmp_path / "hse.tif")),
                                     model, training_areas=hong_kong_areas)
    import onnxruntime as ort

    session = ort.InferenceSession(str(bundled_model_path(1)), providers=["CPUExecutionProvider"])
    width = next(o.shape[1] for o in session.get_outputs() if o.name == "features")  # the teacher's 256
    assert result.adapter.mean.size == 17 + width and f"{width} embedding features" in result.adapter.features
    assert result.mapping.hse and result.cross_validation.scores["n"] == result.training_cells


def test_areas_outside_the_scene_do_not_count_and_the_log_says_each_thing_once(tmp_path, sample_scene) -> None:
    """Issue 19: LCZ A has three areas, two of them outside the scene: before, no "fewer than 3" warning (the areas
    outside counted), and the model, band and grid lines were logged once per pass."""
    from core.errors import WARNING_PREFIX

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    size = 0.006  # degrees, about 600 m: several 100 m cells
    inside = [(114.251, 22.310), (114.258, 22.310), (114.263, 22.310), (114.251, 22.300)]
    outside = [(115.0, 22.3), (115.1, 22.3)]
    areas = PolygonReference([(square(x, y, size), code) for (x, y), code in
                              zip(inside + outside, [2, 2, 2, 11, 11, 11], strict=True)],
                             srs.ExportToWkt(), "areas", "lcz")
    lines: list[str] = []
    result = map_with_training_areas(str(sample_scene), OutputPaths(lcz=str(tmp_path / "lcz.tif")),
                                     training_areas=areas, model=ModelChoice(device="CPU"),
                                     feedback=RunFeedback(log=lines.append))
    assert any("fewer than 3 training areas: LCZ A (1) (counting the areas used" in w for w in result.warnings), \
        result.warnings
    assert any("2 training area(s) lie outside the scene and were not used: polygon number(s) 5, 6." in w
               for w in result.warnings)
    assert not any("cover no whole 100 m cell" in w for w in result.warnings)
    for start in ("Model: ", "Working grid: ", "B2: ", "B12: "):
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert len(result.warnings) == len(set(result.warnings))
    assert sum(line.startswith(WARNING_PREFIX) for line in lines) == len(result.warnings)
