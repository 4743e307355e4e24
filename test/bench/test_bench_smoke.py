"""Every benchmark script runs (tiny sizes): none can rot unseen again (issue 19, item 11: `make bench` had been
broken since LoadedModel.run took the products argument). Figures are printed, never asserted."""

from __future__ import annotations

import os
import subprocess
import sys

from support.data import REPO_ROOT


def run(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_bench_engine_smoke() -> None:
    out = run("bench/bench_engine.py", "--size", "220", "--dense-size", "256", "--repeats", "1", "--memory-sizes",
              "256", "--memory-geo-size", "0", "--patch-model", str(REPO_ROOT / "models" / "mtl_resnet20_v3.onnx"))
    assert "Engine overhead" in out and "Peak memory" in out
    assert "x the So2Sat ResNet20's" in out  # the patch model measured beside the teacher


def test_bench_ab_smoke() -> None:
    out = run("bench/bench_ab.py", str(REPO_ROOT), "--repeats", "1", "--copies", "1")  # this checkout against itself
    assert "So2Sat ResNet20 (patch)" in out and "multi-task v3 (patch, HSE)" in out and "new/old" in out


def test_bench_batch_smoke() -> None:
    out = run("bench/bench_batch.py", "--scenes", "1", "--copies", "1")
    assert "overhead batch(1 worker) / loop" in out
