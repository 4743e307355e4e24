"""QGIS layers several QGIS tests use (imports qgis: only for tests under qgis/)."""

from __future__ import annotations

from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer


def training_areas() -> QgsVectorLayer:
    """Six squares of about 300 m inside the sample: three of LCZ 2 in the west, three of LCZ 11 (A) in the east."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=lcz:integer", "six squares", "memory")
    features = []
    for index, (x, y) in enumerate([(114.251, 22.293), (114.251, 22.300), (114.251, 22.307),
                                    (114.265, 22.293), (114.265, 22.300), (114.265, 22.307)]):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([2 if index < 3 else 11])
        feature.setGeometry(QgsGeometry.fromWkt(
            f"POLYGON (({x} {y}, {x + 0.003} {y}, {x + 0.003} {y + 0.003}, {x} {y + 0.003}, {x} {y}))"))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer
