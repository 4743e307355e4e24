"""Fixtures of the tests that run inside a real QGIS (pytest-qgis starts it: `qgis_processing`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def plugin(qgis_processing):
    """The plugin as qgis_process loads it: classFactory(None) -> initProcessing, never initGui (per test module)."""
    from support.qgis_helpers import plugin_package

    instance = plugin_package().classFactory(None)
    instance.initProcessing()
    yield instance
    instance.unload()
