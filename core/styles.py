"""QGIS layer styles (QML) for the LCZ and HSE outputs, generated from the palette data.

The LCZ colours and names live once in resources/lcz_classes.json (core.lcz); this module turns them
into resources/styles/lcz.qml, and defines the settlement density colour ramp for resources/styles/hse.qml.
It writes plain XML text (no qgis import), so `python -m core.styles` runs anywhere, and a test checks
that the committed QML files equal what this module generates.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .lcz import LCZ_CLASSES
from .paths import STYLES_DIR

LCZ_QML = STYLES_DIR / "lcz.qml"
HSE_QML = STYLES_DIR / "hse.qml"
UNCERTAINTY_QML = STYLES_DIR / "uncertainty.qml"
CHANGE_QML = STYLES_DIR / "hse_change.qml"
NEW_BUILT_QML = STYLES_DIR / "new_built.qml"
#: Settlement density change (ColorBrewer "RdBu" reversed): loss blue, stable transparent, growth red.
CHANGE_RAMP: tuple[tuple[float, str, int, str], ...] = (
    (-1.0, "#2166ac", 255, "-1 loss"),
    (-0.3, "#92c5de", 255, "-0.3"),
    (-0.1, "#f7f7f7", 0, "stable"),
    (0.1, "#f7f7f7", 0, ""),
    (0.3, "#f4a582", 255, "0.3"),
    (1.0, "#b2182b", 255, "1 growth"),
)
NEW_BUILT_CLASSES: tuple[tuple[int, str, int, str], ...] = (
    (0, "#ffffff", 0, "No change of state"),
    (1, "#d7191c", 255, "New built-up"),
    (2, "#2c7bb6", 255, "Built-up lost"),
)
#: (value, colour, alpha, label): ColorBrewer "Purples", light where the map is more certain.
UNCERTAINTY_RAMP: tuple[tuple[float, str, int, str], ...] = (
    (0.0, "#fcfbfd", 255, "0 more certain"),
    (0.25, "#dadaeb", 255, "0.25"),
    (0.5, "#9e9ac8", 255, "0.5"),
    (0.75, "#6a51a3", 255, "0.75"),
    (1.0, "#3f007d", 255, "1 less certain"),
)

#: The oldest QGIS the plugin supports; written into the QML as the version that made it.
QGIS_VERSION = "3.22.0"

#: Heading of the HSE ramp in legends (the layer tree shows the layer name above the ramp instead).
HSE_LEGEND_TITLE = "Building cover (HSE, 0-1)"
#: (value, colour, alpha, label): transparent at 0 so the background shows where nothing is built,
#: then light to dark red (ColorBrewer "Reds") up to a pixel fully covered by buildings at 1 (the bundled model's
#: HSE is the building-cover fraction of each 20 m pixel: models/mtl_resnet20_v3.md).
HSE_RAMP: tuple[tuple[float, str, int, str], ...] = (
    (0.0, "#fff5f0", 0, "0 no buildings"),
    (0.1, "#fee0d2", 255, "0.1"),
    (0.3, "#fc9272", 255, "0.3"),
    (0.5, "#fb6a4a", 255, "0.5"),
    (0.7, "#de2d26", 255, "0.7"),
    (1.0, "#67000d", 255, "1 all buildings"),
)


def _number(value: float) -> str:
    return f"{value:g}"


def _document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    pipe = ET.SubElement(root, "pipe")
    pipe.append(renderer)
    ET.SubElement(pipe, "brightnesscontrast", {"brightness": "0", "contrast": "0", "gamma": "1"})
    ET.SubElement(pipe, "huesaturation", {"saturation": "0", "grayscaleMode": "0", "invertColors": "0",
                                           "colorizeOn": "0", "colorizeRed": "255", "colorizeGreen": "128",
                                           "colorizeBlue": "128", "colorizeStrength": "100"})
    ET.SubElement(pipe, "rasterresampler", {"maxOversampling": "2"})
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root, space="  ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _min_max_origin(parent: ET.Element) -> None:
    """Fixed limits: the renderer must never stretch to the statistics of one scene."""
    origin = ET.SubElement(parent, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"), ("statAccuracy", "Estimated"),
                      ("cumulativeCutLower", "0.02"), ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):
        ET.SubElement(origin, tag).text = text


def lcz_qml() -> str:
    """Paletted renderer: one entry per LCZ code, legend label '<label> <name>' (e.g. 'A Dense trees')."""
    renderer = ET.Element("rasterrenderer", {"type": "paletted", "band": "1", "opacity": "1", "alphaBand": "-1",
                                              "nodataColor": ""})
    _min_max_origin(renderer)
    palette = ET.SubElement(renderer, "colorPalette")
    for lcz in LCZ_CLASSES:
        ET.SubElement(palette, "paletteEntry", {"value": str(lcz.code), "color": lcz.color, "alpha": "255",
                                                 "label": lcz.legend_text})
    return _document(renderer)


def hse_qml() -> str:
    """Single-band pseudocolour renderer with a continuous 0..1 ramp and a continuous legend."""
    return _ramp_qml(HSE_RAMP)


def uncertainty_qml() -> str:
    """The LCZ uncertainty: a sequential ramp, legend from 'more certain' to 'less certain'."""
    return _ramp_qml(UNCERTAINTY_RAMP)


def _ramp_qml(ramp: tuple[tuple[float, str, int, str], ...]) -> str:
    low, high = ramp[0][0], ramp[-1][0]
    renderer = ET.Element("rasterrenderer", {"type": "singlebandpseudocolor", "band": "1", "opacity": "1",
                                              "alphaBand": "-1", "nodataColor": "",
                                              "classificationMin": _number(low), "classificationMax": _number(high)})
    _min_max_origin(renderer)
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader", {
        "colorRampType": "INTERPOLATED", "classificationMode": "1", "clip": "0", "labelPrecision": "2",
        "minimumValue": _number(low), "maximumValue": _number(high),
    })
    for value, color, alpha, label in ramp:
        ET.SubElement(shader, "item", {"value": _number(value), "color": color, "alpha": str(alpha), "label": label})
    ET.SubElement(shader, "rampLegendSettings", {
        "useContinuousLegend": "1", "orientation": "2", "direction": "0", "prefix": "", "suffix": "",
        "minimumLabel": ramp[0][3], "maximumLabel": ramp[-1][3],
    })
    return _document(renderer)


def hse_change_qml() -> str:
    """The HSE change: a diverging ramp, blue for loss, transparent where stable, red for growth."""
    return _ramp_qml(CHANGE_RAMP)


def new_built_qml() -> str:
    """New built-up (1) in red, built-up lost (2) in blue, no change of state (0) transparent."""
    renderer = ET.Element("rasterrenderer", {"type": "paletted", "band": "1", "opacity": "1", "alphaBand": "-1",
                                              "nodataColor": ""})
    _min_max_origin(renderer)
    palette = ET.SubElement(renderer, "colorPalette")
    for value, color, alpha, label in NEW_BUILT_CLASSES:
        ET.SubElement(palette, "paletteEntry",
                      {"value": str(value), "color": color, "alpha": str(alpha), "label": label})
    return _document(renderer)


STYLES = {LCZ_QML: lcz_qml, HSE_QML: hse_qml, UNCERTAINTY_QML: uncertainty_qml, CHANGE_QML: hse_change_qml,
          NEW_BUILT_QML: new_built_qml}


def write_styles() -> list[Path]:
    STYLES_DIR.mkdir(parents=True, exist_ok=True)
    for path, make in STYLES.items():
        path.write_text(make(), encoding="utf-8")
    return list(STYLES)


if __name__ == "__main__":
    for written in write_styles():
        sys.stdout.write(f"wrote {written}\n")
