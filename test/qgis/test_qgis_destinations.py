"""Every destination checked before computing, every kind of output alike (issue 19, item 2), inside real QGIS.

Before: hselcz:map_training_areas with OUTPUT_HTML in a read-only folder computed both passes, then failed with a
traceback and left lcz.tif; the report and adapter outputs refused a missing folder while the rasters created
theirs. The training areas are six squares over the bundled sample (a memory layer), so the runs are short.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import processing
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from support.qgis_helpers import scene_copy
from support.qgis_layers import training_areas

SCENE = scene_copy()
ALG_ID = "hselcz:map_training_areas"


class Feedback(QgsProcessingFeedback):
    def __init__(self) -> None:
        super().__init__()
        self.progress: list[float] = []
        self.progressChanged.connect(self.progress.append)



@contextlib.contextmanager
def read_only_folder(path: Path):
    """A folder nobody can write into: a read-only tmpfs as root (root ignores permission bits), else mode 555."""
    path.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs: {mounted.stderr.strip()}")
        try:
            yield path
        finally:
            subprocess.run(["umount", str(path)], check=True)
    else:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)


def run_training_areas(tmp_path: Path, **outputs) -> tuple[dict, Feedback]:
    feedback = Feedback()
    parameters = {"INPUT": str(SCENE), "TRAINING_AREAS": training_areas(), "CLASS_FIELD": "lcz", "FOLDS": 2,
                  "OUTPUT_LCZ": str(tmp_path / "lcz.tif"), **outputs}
    return processing.run(ALG_ID, parameters, feedback=feedback), feedback


@pytest.mark.parametrize("output", ["OUTPUT_HTML", "OUTPUT_ADAPTER"])
def test_an_unwritable_report_or_adapter_is_refused_before_computing(plugin, tmp_path, output):
    name = "cv.html" if output == "OUTPUT_HTML" else "adapter.json"
    with read_only_folder(tmp_path / "locked") as locked:
        with pytest.raises(QgsProcessingException, match=f"Cannot write the (report|adapter) {locked / name}"):
            _, feedback = run_training_areas(tmp_path, **{output: str(locked / name)})
    assert not (tmp_path / "lcz.tif").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked"]


def test_an_unwritable_raster_is_refused_before_the_first_pass(plugin, tmp_path):
    """The training areas' first pass computes before the engine checks the rasters: the algorithm checks first."""
    feedback = Feedback()
    with read_only_folder(tmp_path / "locked") as locked:
        with pytest.raises(QgsProcessingException, match=f"Cannot write the output {locked / 'lcz.tif'}"):
            processing.run(ALG_ID, {"INPUT": str(SCENE), "TRAINING_AREAS": training_areas(), "CLASS_FIELD": "lcz",
                                    "OUTPUT_LCZ": str(locked / "lcz.tif"), "OUTPUT_HTML": str(tmp_path / "cv.html")},
                           feedback=feedback)
    assert not feedback.progress or max(feedback.progress) == 0  # refused before computing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked"]


def test_missing_folders_are_created_for_every_output_kind(plugin, tmp_path):
    """Rasters, report and adapter alike: their missing folders are created."""
    results, _ = run_training_areas(tmp_path, OUTPUT_LCZ=str(tmp_path / "maps" / "lcz.tif"),
                                    OUTPUT_HTML=str(tmp_path / "reports" / "2026" / "cv.html"),
                                    OUTPUT_ADAPTER=str(tmp_path / "adapters" / "city.json"))
    assert Path(results["OUTPUT_LCZ"]) == tmp_path / "maps" / "lcz.tif" and Path(results["OUTPUT_LCZ"]).is_file()
    assert (tmp_path / "reports" / "2026" / "cv.html").is_file()
    assert (tmp_path / "adapters" / "city.json").is_file()


def test_a_refused_run_removes_the_folders_it_created(plugin, tmp_path):
    """The adapter must end in .json: refused, and the report's new folder is removed again."""
    with pytest.raises(QgsProcessingException, match="must end in .json"):
        run_training_areas(tmp_path, OUTPUT_LCZ=str(tmp_path / "maps" / "lcz.tif"),
                           OUTPUT_HTML=str(tmp_path / "reports" / "cv.html"),
                           OUTPUT_ADAPTER=str(tmp_path / "adapters" / "city.txt"))
    assert list(tmp_path.iterdir()) == []


def test_assessment_report_and_table_create_their_folders(plugin, tmp_path):
    """hselcz:assess_lcz: the report and the table in folders that do not exist yet (the LCZ map assessed against
    itself); a report below a regular file is refused before the assessment, leaving no table."""
    mapped = processing.run("hselcz:map", {"INPUT": str(SCENE), "OUTPUT_LCZ": str(tmp_path / "lcz.tif")})
    results = processing.run("hselcz:assess_lcz", {
        "PREDICTION": mapped["OUTPUT_LCZ"], "REFERENCE": mapped["OUTPUT_LCZ"],
        "OUTPUT_TABLE": str(tmp_path / "tables" / "scores.csv"), "OUTPUT_HTML": str(tmp_path / "reports" / "a.html")})
    assert results["OA"] == pytest.approx(1.0)
    assert (tmp_path / "tables" / "scores.csv").is_file() and (tmp_path / "reports" / "a.html").is_file()
    (tmp_path / "not_a_folder").write_text("x")
    with pytest.raises(QgsProcessingException, match="Cannot create the folder for the report"):
        processing.run("hselcz:assess_lcz", {
            "PREDICTION": mapped["OUTPUT_LCZ"], "REFERENCE": mapped["OUTPUT_LCZ"],
            "OUTPUT_TABLE": str(tmp_path / "more" / "scores.csv"),
            "OUTPUT_HTML": str(tmp_path / "not_a_folder" / "a.html")})
    assert not (tmp_path / "more").exists()
