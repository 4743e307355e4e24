"""The diagnostics report (core.diagnostics, issue 21 item 3) from this Python, without QGIS: every part present,
the device of each bundled model the one core.runtime chooses, and the three forms (text, HTML, dict) the same."""

from __future__ import annotations

import onnxruntime as ort

from core import diagnostics
from core.model import BUNDLED_MODEL_FILES
from core.paths import MODELS_DIR
from core.runtime import choose_providers


def test_the_report_holds_versions_devices_models_and_paths():
    report = diagnostics.collect("3.22.16-Test")
    sections = report.as_dict()
    versions = sections["Versions"]
    assert versions["QGIS"] == "3.22.16-Test" and versions["onnxruntime"].startswith(ort.__version__)
    assert {"Python", "Python for pip", "GDAL", "numpy", "Plugin", "Platform"} <= set(versions)
    devices = sections["Devices"]
    assert devices["Execution providers"] == ", ".join(ort.get_available_providers())
    assert "-m pip install" in devices["Installer command"]
    expected_device = choose_providers("auto", ort.get_available_providers())[0]
    models = {title: lines for title, lines in sections.items() if title.startswith("Bundled model")}
    assert len(models) == len(BUNDLED_MODEL_FILES)
    for (title, lines), name in zip(models.items(), BUNDLED_MODEL_FILES, strict=True):
        assert name in title and lines["Device (auto)"] == expected_device
        assert lines["Bands"].startswith("B2, B3, B4") and lines["Processing level"] in ("L1C", "L2A", "any")
        assert "lcz: lcz" in lines["Outputs"] and lines["Name, version"]
    assert "(default)" in list(models)[1]
    assert sections["Data paths"]["Models"] == str(MODELS_DIR)


def test_text_html_and_dict_carry_the_same_lines():
    report = diagnostics.Report()
    report.add("Versions", "QGIS", "3.22 <LTR> & more")
    text = report.as_text()
    assert "Versions\n  QGIS  3.22 <LTR> & more" in text
    page = report.as_html()
    assert "<pre>" in page and "3.22 &lt;LTR&gt; &amp; more" in page and "<LTR>" not in page
    assert report.as_dict() == {"Versions": {"QGIS": "3.22 <LTR> & more"}}
