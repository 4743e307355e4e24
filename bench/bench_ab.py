"""A/B speed of the engine at two commits, side by side in one run (alternating, same machine, same load).

    .venv/bin/python bench/bench_ab.py OLD_CHECKOUT [--repeats 3]

OLD_CHECKOUT is a worktree of the earlier commit (git worktree add /tmp/old <commit>). Each repeat maps the same UTM
mosaic of the bundled sample with the So2Sat patch model and with the multi-task model v3, first with the old
engine, then with this one (in fresh subprocesses, so neither imports the other); the ratio new/old is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, time, json
sys.path.insert(0, {root!r})
from core.engine import OutputPaths, map_scene
try:
    from core.options import ModelChoice
    options = dict(model=ModelChoice(model_path={model!r}, device='CPU'))
except ImportError:  # an older checkout: the model's options were keywords of map_scene
    options = dict(model_path={model!r}, device='CPU')
out = {out!r}
start = time.perf_counter()
outputs = OutputPaths(lcz=out + '/lcz.tif', hse=({hse!r} and out + '/hse.tif') or None)
map_scene({scene!r}, outputs, **options)
print(json.dumps(time.perf_counter() - start))
"""


def timed(root: Path, scene: Path, model: Path, hse: bool) -> float:
    with tempfile.TemporaryDirectory() as out:
        code = CHILD.format(root=str(root), out=out, scene=str(scene), model=str(model), hse=hse)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=3, help="the mosaic is copies x copies blocks of the sample")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from bench_engine import utm_block

    with tempfile.TemporaryDirectory() as work:
        scene = utm_block(Path(work), copies=args.copies)
        for label, model_file, hse in (("So2Sat ResNet20 (patch)", "so2sat_resnet20_lcz.onnx", False),
                                       ("multi-task v3 (patch, HSE)", "mtl_resnet20_v3.onnx", True)):
            if not (args.old / "models" / model_file).exists():
                print(f"{label}: {model_file} is not in {args.old}; skipped")
                continue
            old, new = [], []
            for _ in range(args.repeats):
                old.append(timed(args.old, scene, args.old / "models" / model_file, hse))
                new.append(timed(REPO_ROOT, scene, REPO_ROOT / "models" / model_file, hse))
            ratio = statistics.median(new) / statistics.median(old)
            print(f"{label}: old {statistics.median(old):.2f} s, new {statistics.median(new):.2f} s, "
                  f"new/old {ratio:.3f} (medians of {args.repeats})", flush=True)


if __name__ == "__main__":
    main()
