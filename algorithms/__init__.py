"""Thin QGIS Processing glue around the engine in core/: parameters in, map_scene, styled layers out."""
