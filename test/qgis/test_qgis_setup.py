"""The set-up algorithms through qgis_process, as a headless user runs them (issue 21, items 2 and 3):
hselcz:install_dependencies (a dry run: the real pip install is tested in test_dependencies.py, not into this
machine's QGIS Python) and hselcz:diagnostics, with and without onnxruntime."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy
import pytest

from support.qgis_helpers import qgis_process_env, run_json, run_qgis_process, scene_copy


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return qgis_process_env(tmp_path_factory.mktemp("qgis_process_setup"))


@pytest.fixture(scope="module")
def env_without_onnxruntime(tmp_path_factory) -> dict[str, str]:
    return qgis_process_env(tmp_path_factory.mktemp("qgis_process_setup_no_ort"), with_onnxruntime=False)


def test_the_dry_run_prints_the_command_for_qgis_python(env):
    """qgis_process runs Debian's /usr/bin/python3, which is locked (PEP 668): --user and the override, numpy pinned."""
    result = run_json(["run", "hselcz:install_dependencies", "--", "DRY_RUN=true"], env)
    command = result["results"]["COMMAND"]
    assert command.startswith("/usr/bin/python3") and " -m pip install " in command
    assert "--user --break-system-packages" in command and f"numpy=={numpy.__version__}" in command
    assert result["results"]["PACKAGE"] == "onnxruntime" and result["results"]["INSTALLED"] is False
    assert any(command in line for line in result["log"]["info"])


def test_diagnostics_report_in_the_log_and_an_html_file(env, tmp_path):
    report_file = tmp_path / "reports" / "diagnostics.html"
    result = run_json(["run", "hselcz:diagnostics", "--", f"OUTPUT={report_file}"], env)
    text = result["results"]["REPORT"]
    for expected in ("QGIS                      3.", "GDAL", f"numpy                     {numpy.__version__}",
                     "Execution providers", "CPUExecutionProvider", "so2sat_resnet20_lcz.onnx",
                     "mtl_resnet20_v3.onnx", "Bands                     B2, B3", "hse: hse (stride 2)", "Models"):
        assert expected in text, expected
    assert text in "\n".join(result["log"]["info"])
    page = report_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "HSE &amp; LCZ Mapper: diagnostics" in page
    assert not list(report_file.parent.glob("*.partial"))


def test_without_onnxruntime_diagnostics_still_reports_and_the_map_error_names_both_algorithms(
        env_without_onnxruntime, tmp_path):
    result = run_json(["run", "hselcz:diagnostics"], env_without_onnxruntime)
    text = result["results"]["REPORT"]
    assert "onnxruntime               cannot be imported: onnxruntime is hidden in this test run" in text
    assert "not readable without onnxruntime" in text and "Installer command" in text
    completed = run_qgis_process(["--json", "run", "hselcz:map", "--", f"INPUT={scene_copy()}",
                                  f"OUTPUT_LCZ={tmp_path / 'lcz.tif'}"], env_without_onnxruntime)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "hselcz:install_dependencies" in output and "hselcz:diagnostics" in output
    # The command planned for this computer, printed for a headless user: Debian's locked Python, numpy pinned.
    assert (f"/usr/bin/python3.{sys.version_info.minor} -m pip install --disable-pip-version-check --no-input --user "
            f"--break-system-packages onnxruntime numpy=={numpy.__version__}") in output
    assert not Path(tmp_path / "lcz.tif").exists()
