"""QGIS entry point: QGIS calls classFactory(iface) when the plugin is loaded."""


def classFactory(iface):  # noqa: N802 (name fixed by QGIS)
    """Import lazily so that reading this package costs nothing until QGIS loads the plugin."""
    from .plugin import HseLczPlugin

    return HseLczPlugin(iface)
