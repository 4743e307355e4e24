"""Measure what a second date adds to the LCZ map (issue 11, part 1), on the real references.

For each bundled model and each city with two OSCD dates: the map of each date alone and of both fused
(core.multidate), scored with core.assessment.assess_lcz against the reference (Hong Kong: the PRD map of Liu & Shi;
Milan: the 5-class map, LCZ grouped as in the user guide). The fused map lies on the first date's grid; each date
alone is mapped on that grid too, so the three maps are scored on the same cells.

Usage (from the repository root):
    .venv/bin/python -m training.measurements.multidate_gain [--out training/measurements/multidate_gain.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from core.assessment import assess_lcz
from core.engine import OutputPaths, map_scene
from core.model import BUNDLED_MODEL_FILES, MODELS_DIR
from core.multidate import map_dates
from core.options import ModelChoice
from training.distill.evaluate_heldout import MILAN_5CLASS
from training.measurements.training_areas_gain import BANDS, DATA

#: core.assessment's CLASS_GROUPS text of the Milan grouping (LCZ codes -> the map's 5 classes).
MILAN_GROUPS = "; ".join(f"{','.join(str(c) for c, g in MILAN_5CLASS.items() if g == group)}->{group}"
                         for group in sorted(set(MILAN_5CLASS.values())))
CITIES = (
    ("Hong Kong (PRD map, Liu & Shi 2018-19)", DATA / "hongkong", ("20180323", "20160927"),
     DATA / "hongkong" / "hongkong_LCZ_PRD_sjliu_2018-19_100m_on_oscd_grid.tif", None),
    ("Milan (5-class map, Copernicus Academy)", DATA / "milano", ("20180122", "20161228"),
     DATA / "milano" / "milano_LCZ5class_CopernicusAcademy_10m_on_oscd_grid.tif", MILAN_GROUPS),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines = ["| Reference | Model | Date | Kappa | OA | Cells |", "|---|---|---|---|---|---|"]
    for city, folder, days, reference, groups in CITIES:
        scenes = [str(next(folder.glob(f"*_S2L1C_{day}_10band_10m.tif"))) for day in days]
        for file_name in BUNDLED_MODEL_FILES:
            model = str(MODELS_DIR / file_name)
            with tempfile.TemporaryDirectory() as tmp:
                fused = map_dates(scenes, OutputPaths(lcz=f"{tmp}/fused.tif"),
                                  model=ModelChoice(model_path=model, bands=BANDS, device="CPU"))
                maps = {"fused": fused.lcz}
                for day, scene in zip(days, scenes, strict=True):
                    maps[day] = map_scene(scene, OutputPaths(lcz=f"{tmp}/{day}.tif"),
                                          model=ModelChoice(model_path=model, bands=BANDS, device="CPU"),
                                          grid=fused.grid).lcz
                for label in (*days, "fused"):
                    a = assess_lcz(maps[label], reference, class_groups=groups)
                    name = f"{days[0]} + {days[1]}" if label == "fused" else label
                    line = (f"| {city} | {file_name} | {name} | {a.scores['kappa']:.3f} | {a.scores['oa']:.3f} "
                            f"| {a.scores['n']} |")
                    print(line, flush=True)
                    lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
