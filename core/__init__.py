"""The engine: Sentinel-2 in, HSE density and LCZ rasters out.

Nothing in this package may import qgis or PyQt (test/core/test_qgis_free.py enforces it), so the
engine runs from plain scripts, notebooks and tests as well as from the QGIS plugin. Imports inside the
package are relative so it works both as the top-level package ``core`` and as ``<plugin>.core``.
"""
