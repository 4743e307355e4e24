"""Measure what the Gaussian filter (core.lcz_filter, issue 22 item 1) does to the LCZ scores on the real references.

For each OSCD date of Hong Kong and Milan, one run of the bundled default model writes the raw and the filtered LCZ
map on the same grid; both are scored with core.assessment.assess_lcz against: the Hong Kong PRD map (Liu & Shi
2018-19, itself a model output), the Hong Kong expert test samples (their codes recoded 9->2, 11->4, 17->16), and
the Milan 5-class map (LCZ grouped as in the user guide). Same cells, same model: the difference is the filter.

Usage (from the repository root):  .venv/bin/python -m training.measurements.lcz_filter_effect \
    [--out training/measurements/lcz_filter_effect.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from core.assessment import assess_lcz
from core.engine import OutputPaths, map_scene
from core.lcz_filter import kernel_description
from core.model import DEFAULT_MODEL_PATH
from core.options import ModelChoice
from training.measurements.multidate_gain import MILAN_GROUPS
from training.measurements.training_areas_gain import BANDS, DATA

if not DATA.is_dir():  # a worktree without shared/: the founders' folder beside it
    DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "oscd"
HK = DATA / "hongkong"
#: (reference label, reference file, reference mapping, class groups)
REFERENCES = {
    "hongkong": (
        ("HK PRD map (Liu & Shi)", HK / "hongkong_LCZ_PRD_sjliu_2018-19_100m_on_oscd_grid.tif", None, None),
        ("HK test samples (recoded)", HK / "hongkong_LCZ_testsamples_sjliu_on_oscd_grid.tif", "9->2; 11->4; 17->16",
         None),
    ),
    "milano": (
        ("Milan 5-class map", DATA / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif", None,
         MILAN_GROUPS),
    ),
}
SCORES = ("oa", "kappa", "macro_f1", "oa_urban", "oa_built_natural")


def _cell(scores: dict[str, float], key: str) -> str:
    value = scores.get(key)
    return "-" if value is None or value != value else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    header = "| Reference | Date | Map | Cells | OA | Kappa | macro F1 | OAu | OAbu |"
    lines = [f"Model: {DEFAULT_MODEL_PATH.name} (the bundled default). Filter: {kernel_description()}.", "",
             header, "|---|---|---|---|---|---|---|---|---|"]
    for city, references in REFERENCES.items():
        for scene in sorted((DATA / city).glob("*_S2L1C_*_10band_10m.tif")):
            day = scene.name.split("_")[2]
            with tempfile.TemporaryDirectory() as tmp:
                result = map_scene(str(scene), OutputPaths(lcz=f"{tmp}/raw.tif", lcz_filtered=f"{tmp}/filtered.tif"),
                                   model=ModelChoice(model_path=str(DEFAULT_MODEL_PATH), bands=BANDS, device="CPU"))
                for label, reference, mapping, groups in references:
                    for name, path in (("raw", result.lcz), ("filtered", result.lcz_filtered)):
                        scores = assess_lcz(path, reference, reference_mapping=mapping, class_groups=groups).scores
                        line = (f"| {label} | {day} | {name} | {scores['n']} | "
                                + " | ".join(_cell(scores, key) for key in SCORES) + " |")
                        print(line, flush=True)
                        lines.append(line)
    lines += ["", "OAu and OAbu need the 17 classes: not defined against the 5-class Milan map (-)."]
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
