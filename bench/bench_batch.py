"""Dask batch against a plain loop of map_scene, side by side in one run (issue 10), and peak memory per worker.

    .venv/bin/python bench/bench_batch.py [--scenes 4] [--copies 3]

The scenes are copies of a UTM mosaic of the bundled sample (copies x copies tiles). Printed: the loop's time,
core.batch with 1 and 2 local workers (the COG conversion and the summary included, as a user gets them), the
overhead ratio batch(1 worker) / loop, the speed-up of 2 workers, and each worker's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench_engine import utm_block

from core.batch import map_batch
from core.engine import OutputPaths, map_scene
from core.options import ModelChoice


def worker_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as work:
        block = utm_block(Path(work), copies=args.copies)
        scenes = []
        for index in range(args.scenes):
            scenes.append(Path(work) / f"scene_{index}.tif")
            shutil.copy(block, scenes[-1])
        start = time.perf_counter()
        for index, scene in enumerate(scenes):
            map_scene(str(scene), OutputPaths(lcz=f"{work}/loop_{index}.tif"), model=ModelChoice(device="CPU"))
        loop = time.perf_counter() - start
        timings, peaks = {}, {}
        for workers in (1, 2):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
            try:
                start = time.perf_counter()
                map_batch([str(s) for s in scenes], Path(work) / f"batch_{workers}",
                          scheduler=cluster.scheduler_address, report=lambda line: None)
                timings[workers] = time.perf_counter() - start
                with Client(cluster) as client:
                    peaks[workers] = sorted(client.run(worker_peak_mib).values())
            finally:
                cluster.close()
    print(f"{args.scenes} scenes of {args.copies}x{args.copies} sample tiles, So2Sat ResNet20, CPU")
    print(f"plain loop of map_scene:   {loop:.1f} s")
    for workers, seconds in timings.items():
        print(f"core.batch, {workers} worker(s):  {seconds:.1f} s   peak RSS per worker: "
              + ", ".join(f"{p:.0f} MiB" for p in peaks[workers]))
    print(f"overhead batch(1 worker) / loop: {timings[1] / loop:.3f}   "
          f"speed-up 2 workers vs 1: {timings[1] / timings[2]:.2f}")


if __name__ == "__main__":
    main()
