"""Training areas read from a WUDAPT / LCZ Generator KML or KMZ (core.wudapt): one folder per LCZ class."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import ogr

from core.errors import EngineError
from core.wudapt import FOLDER_FIELD, folder_class, read_training_kml
from support.data import TEST_DATA
from support.wudapt_files import TKO_AREAS, polygon_placemark, ring, training_kml, write_training_kml

KML = TEST_DATA / "wudapt" / "tko_training_areas.kml"
KMZ = TEST_DATA / "wudapt" / "tko_training_areas.kmz"


@pytest.mark.parametrize(("name", "code"), [
    ("LCZ 1", 1), ("1", 1), ("1 Compact high-rise", 1), ("10 Heavy industry", 10), ("LCZ10", 10), ("A", 11),
    ("LCZ A", 11), ("a dense trees", 11), ("G Water", 17), ("101", 11), ("107", 17), ("17", 17), ("LCZ_E", 15),
])
def test_folder_names_of_the_template_and_its_variants_give_their_class(name, code) -> None:
    assert folder_class(name) == code


@pytest.mark.parametrize("name", ["Asphalt", "18", "0", "108", "H", "Untitled Folder", "", "Water"])
def test_folder_names_that_are_no_class_give_none(name) -> None:
    assert folder_class(name) is None


@pytest.mark.parametrize("path", [KML, KMZ])
def test_the_template_file_gives_every_polygon_with_its_folder_class(path) -> None:
    areas, notes = read_training_kml(path)
    assert notes == [] and areas.field_name == FOLDER_FIELD and areas.name == path.name
    assert [value for _, value in areas.features] == [code for _, _, code in TKO_AREAS]
    assert "4326" in areas.crs_wkt
    first = ogr.CreateGeometryFromWkb(areas.features[0][0])
    x, y, _ = TKO_AREAS[0]
    assert first.GetCoordinateDimension() == 2
    env = first.GetEnvelope()  # (minx, maxx, miny, maxy): lon/lat order, not swapped
    np.testing.assert_allclose(env, (x + 0.0001, x + 0.00215, y + 0.0001, y + 0.00215), atol=1e-9)


def test_points_among_the_polygons_are_skipped_and_counted(tmp_path) -> None:
    pin = "<Placemark><name>pin</name><Point><coordinates>114.26,22.30,0</coordinates></Point></Placemark>"
    text = training_kml(extra={"LCZ 8": [pin, pin]})
    areas, notes = read_training_kml(write_training_kml(tmp_path / "pins.kmz", text))
    assert len([wkb for wkb, _ in areas.features if wkb]) == len(TKO_AREAS)
    assert len(notes) == 1 and "2 points besides its polygons" in notes[0]


def test_an_unknown_folder_name_is_refused_naming_it(tmp_path) -> None:
    text = training_kml(extra={"My favourite places": [polygon_placemark("x", ring(114.26, 22.30))]})
    with pytest.raises(EngineError, match="folders whose name is no LCZ class: 'My favourite places'"):
        read_training_kml(write_training_kml(tmp_path / "odd.kml", text))


def test_an_empty_unknown_folder_is_ignored(tmp_path) -> None:
    areas, _ = read_training_kml(write_training_kml(tmp_path / "e.kml", training_kml(extra={"Notes": []})))
    assert len(areas.features) == len(TKO_AREAS)


def test_bad_files_are_refused_with_what_to_do(tmp_path) -> None:
    with pytest.raises(EngineError, match="not a .kml or .kmz"):
        read_training_kml(tmp_path / "areas.shp")
    with pytest.raises(EngineError, match="does not exist"):
        read_training_kml(tmp_path / "missing.kml")
    (tmp_path / "broken.kmz").write_bytes(b"not a zip")
    with pytest.raises(EngineError, match="not a readable KMZ"):
        read_training_kml(tmp_path / "broken.kmz")
    (tmp_path / "text.kml").write_text("hello", encoding="utf-8")
    with pytest.raises(EngineError, match="Cannot read the training-area file"):
        read_training_kml(tmp_path / "text.kml")
    empty = write_training_kml(tmp_path / "empty.kml", training_kml(areas=[]))
    with pytest.raises(EngineError, match="holds no placemark in a class folder"):
        read_training_kml(empty)
    only_points = training_kml(areas=[], extra={"2": ["<Placemark><Point><coordinates>114.26,22.30,0</coordinates>"
                                                      "</Point></Placemark>"]})
    with pytest.raises(EngineError, match="holds 1 points, not polygons"):
        read_training_kml(write_training_kml(tmp_path / "points.kml", only_points))
