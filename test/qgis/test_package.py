"""The plugin zip is what users install: it must hold the plugin and nothing else, and work on its own."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from osgeo import gdal

from support.qgis_helpers import REPO_ROOT, qgis_process_env, run_json, scene_copy

ZIP = REPO_ROOT / "dist" / "hselcz.zip"


def _build() -> list[str]:
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "package.sh")], check=True, capture_output=True, text=True)
    with zipfile.ZipFile(ZIP) as archive:
        return archive.namelist()


def test_zip_holds_the_plugin_only_and_runs_under_qgis_process(tmp_path):
    names = _build()
    top = {name.split("/")[1] for name in names if name.count("/") >= 1 and name.split("/")[1]}
    expected = {"metadata.txt", "__init__.py", "plugin.py", "algorithms", "core", "models", "resources", "i18n", "docs"}
    assert expected <= top
    assert not top & {"training", "test", "bench", ".venv", "scripts", "demo_output", ".git"}
    # Every document the plugin's code points users to (help button, error messages) is in the zip.
    code = "\n".join(zipfile.ZipFile(ZIP).read(name).decode() for name in names if name.endswith(".py"))
    cited = set(re.findall(r"docs/[A-Z_]+\.md", code)) | {"docs/USER_GUIDE.md", "docs/MODEL_CONTRACT.md"}
    assert {f"hselcz/{doc}" for doc in cited} <= set(names), sorted(cited)
    assert all(name.startswith("hselcz/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".aux.xml") for name in names)

    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(tmp_path / "installed")
    env = qgis_process_env(tmp_path / "work")
    env["QGIS_PLUGINPATH"] = str(tmp_path / "installed")  # the unzipped copy, not the repository
    # The Help button opens the guide as HTML, made from the Markdown by package.sh (issue 19, item 10): before, the
    # raw Markdown file.
    help_url = run_json(["help", "hselcz:map"], env)["algorithm_details"]["help_url"]
    assert help_url == (tmp_path / "installed" / "hselcz" / "docs" / "USER_GUIDE.html").as_uri()
    guide = (tmp_path / "installed" / "hselcz" / "docs" / "USER_GUIDE.html").read_text(encoding="utf-8")
    assert guide.startswith("<!DOCTYPE html>") and "<table>" in guide and "**" not in guide
    lcz = tmp_path / "lcz.tif"
    result = run_json(["run", "hselcz:map", "--", f"INPUT={scene_copy()}", f"OUTPUT_LCZ={lcz}"], env)
    assert Path(result["results"]["OUTPUT_LCZ"]) == lcz
    values = gdal.Open(str(lcz)).ReadAsArray()
    assert values.max() <= 17 and (values == 17).sum() > 50  # the bay of the sample is water
