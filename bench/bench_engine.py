"""Engine benchmark: engine overhead against bare onnxruntime, and peak memory against scene size.

Run with `make bench` (or `.venv/bin/python bench/bench_engine.py [--size N] [--quick]`). It prints figures
and asserts nothing about time. Only the repository's own data is used: the bundled real Sentinel-2 crop
resources/sample/hongkong_tko_S2L1C_20180323.tif, tiled into mosaics. All outputs go to a temporary
directory that is deleted at the end.

1. Overhead: core.engine.map_scene (GDAL/VRT reading incl. the UTM warp, padding, batching, blending,
   cell aggregation, GeoTIFF writing) against bare onnxruntime running the very same batches (recorded
   from an untimed engine run, held in memory), with the same session options, for the bundled So2Sat
   patch model and for a dense fully convolutional model built here.
2. Memory: map_scene with a dense model in a subprocess on UTM mosaics up to a full Sentinel-2 tile
   (10980 x 10980 px), peak RSS (VmHWM) read inside the child after its run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from osgeo import gdal  # noqa: E402

from core import contract as mc  # noqa: E402
from core.bands import MODEL_BANDS  # noqa: E402
from core.engine import OutputPaths, map_scene  # noqa: E402
from core.lcz import LCZ_CLASS_COUNT, LCZ_CLASSES  # noqa: E402
from core.model import DEFAULT_MODEL_PATH, LoadedModel  # noqa: E402
from core.options import ModelChoice  # noqa: E402
from core.paths import SAMPLE_SCENE  # noqa: E402
from core.reader import open_scene  # noqa: E402
from core.runtime import create_session  # noqa: E402

gdal.UseExceptions()

SAMPLE = SAMPLE_SCENE
GSD = 10.0
TILE, OVERLAP, SIZE_MULTIPLE = 256, 32, 2
FULL_TILE = 10980
GOAL_RATIO = 1.15
GOAL_PEAK_GIB = 2.0


# --------------------------------------------------------------------------------------------- models


def build_dense_model(path: Path, variant: str = "conv3x3") -> Path:
    """A dense contract model with random but fixed weights.

    conv3x3: 3x3 convs 10->32->32 (ReLU), lcz head 3x3 32->17 + softmax (stride 1), hse head 2x2 average
    pooling of the 32 features + 1x1 conv + sigmoid (stride 2). band_math: the same heads as 1x1 convs on
    the 10 bands (a cheap "band arithmetic" model for long memory runs).
    """
    rng = np.random.default_rng(20180323)
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv(x: str, cin: int, cout: int, k: int, name: str) -> str:
        w = const(f"{name}.w", rng.normal(0, math.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k)))
        b = const(f"{name}.b", rng.normal(0, 0.1, cout))
        nodes.append(helper.make_node("Conv", [x, w, b], [name], kernel_shape=[k, k], pads=[k // 2] * 4))
        return name

    def op(kind: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], **attrs))
        return name

    bands = len(MODEL_BANDS)
    x = op("Mul", [mc.INPUT_NAME, const("dn_scale", np.array(1e-4))], "reflectance")
    if variant == "conv3x3":
        f = op("Relu", [conv(x, bands, 32, 3, "conv1")], "relu1")
        f = op("Relu", [conv(f, 32, 32, 3, "conv2")], "relu2")
        op("Softmax", [conv(f, 32, LCZ_CLASS_COUNT, 3, "lcz_logits")], "lcz", axis=1)
        pooled = op("AveragePool", [f], "pool", kernel_shape=[2, 2], strides=[2, 2])
        op("Sigmoid", [conv(pooled, 32, 1, 1, "hse_logit")], "hse")
    elif variant == "band_math":
        op("Softmax", [conv(x, bands, LCZ_CLASS_COUNT, 1, "lcz_logits")], "lcz", axis=1)
        pooled = op("AveragePool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])
        op("Sigmoid", [conv(pooled, bands, 1, 1, "hse_logit")], "hse")
    else:
        raise ValueError(variant)
    graph = helper.make_graph(
        nodes, f"bench_dense_{variant}",
        [helper.make_tensor_value_info(mc.INPUT_NAME, TensorProto.FLOAT, ["batch", bands, "height", "width"])],
        [helper.make_tensor_value_info("lcz", TensorProto.FLOAT, ["batch", LCZ_CLASS_COUNT, "height", "width"]),
         helper.make_tensor_value_info("hse", TensorProto.FLOAT, ["batch", 1, "h2", "w2"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="hselcz bench")
    model.ir_version = 8
    helper.set_model_props(model, mc.build_metadata(
        name=f"Benchmark dense {variant}", version="0", description="Random fixed weights, for timing only.",
        license="n/a", training="none (random weights)", kind=mc.KIND_DENSE, bands=list(MODEL_BANDS), gsd=GSD,
        processing_level="L1C", input_unit=mc.UNIT_REFLECTANCE_X10000, tile_size=TILE, tile_overlap=OVERLAP,
        size_multiple=SIZE_MULTIPLE, lcz_classes=[c.as_dict() for c in LCZ_CLASSES],
        outputs=[{"name": "lcz", "product": mc.PRODUCT_LCZ, "stride": 1},
                 {"name": "hse", "product": mc.PRODUCT_HSE, "stride": 2}],
    ))
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


# ----------------------------------------------------------------------------------------------- data


def mosaic_vrt(path: Path, source: Path, width: int, height: int) -> Path:
    """A hand-written VRT of `width` x `height` px tiling `source` repeatedly (one SimpleSource per copy)."""
    ds = gdal.Open(str(source))
    sw, sh, gt = ds.RasterXSize, ds.RasterYSize, ds.GetGeoTransform()
    data_type = gdal.GetDataTypeName(ds.GetRasterBand(1).DataType)
    meta = "".join(f'<MDI key="{escape(k)}">{escape(v)}</MDI>' for k, v in (ds.GetMetadata() or {}).items())
    parts = [f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
             f"<SRS>{escape(ds.GetProjection())}</SRS>",
             f"<GeoTransform>{', '.join(repr(v) for v in gt)}</GeoTransform>",
             f"<Metadata>{meta}</Metadata>"]
    for band in range(1, ds.RasterCount + 1):
        parts.append(f'<VRTRasterBand dataType="{data_type}" band="{band}">'
                     f"<Description>{escape(ds.GetRasterBand(band).GetDescription())}</Description>")
        for y in range(0, height, sh):
            for x in range(0, width, sw):
                w, h = min(sw, width - x), min(sh, height - y)
                parts.append(f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(str(source))}</SourceFilename>'
                             f"<SourceBand>{band}</SourceBand>"
                             f'<SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
                             f'<DstRect xOff="{x}" yOff="{y}" xSize="{w}" ySize="{h}"/></SimpleSource>')
        parts.append("</VRTRasterBand>")
    parts.append("</VRTDataset>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def utm_block(workdir: Path, copies: int = 5) -> Path:
    """The sample warped once to UTM at 10 m, cropped to fully valid pixels, tiled copies x copies into a GeoTIFF."""
    warped = gdal.Warp(str(workdir / "sample_utm.tif"), str(SAMPLE), dstSRS="EPSG:32650", xRes=GSD, yRes=GSD,
                       targetAlignedPixels=True, resampleAlg="bilinear", dstNodata=0)
    data = warped.ReadAsArray()
    valid = np.all(data != 0, axis=0)
    margin = next(m for m in range(min(valid.shape) // 2) if valid[m:-m or None, m:-m or None].all())
    x0, y0, x1, y1 = margin, margin, valid.shape[1] - margin, valid.shape[0] - margin
    crop = gdal.Translate(str(workdir / "sample_utm_valid.tif"), warped, srcWin=[x0, y0, x1 - x0, y1 - y0])
    for band in range(1, crop.RasterCount + 1):
        crop.GetRasterBand(band).DeleteNoDataValue()
        crop.GetRasterBand(band).SetDescription(warped.GetRasterBand(band).GetDescription())
    side_x, side_y = crop.RasterXSize, crop.RasterYSize
    crop = warped = None
    vrt = mosaic_vrt(workdir / "block.vrt", workdir / "sample_utm_valid.tif", side_x * copies, side_y * copies)
    gdal.Translate(str(workdir / "block_utm.tif"), str(vrt),
                   creationOptions=["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "INTERLEAVE=BAND"])
    return workdir / "block_utm.tif"


# ------------------------------------------------------------------------------------------- overhead


@dataclass
class Recorder:
    """Wraps LoadedModel.run: records batches (optionally) and the time spent inside onnxruntime."""

    keep: bool = False
    batches: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0
    windows: int = 0
    calls: int = 0

    def __enter__(self) -> Recorder:
        original = self._original = LoadedModel.run
        recorder = self

        def run(model: LoadedModel, batch: np.ndarray, products=None):
            if recorder.keep:
                recorder.batches.append(np.array(batch, dtype=np.float32, copy=True))
            started = time.perf_counter()
            result = original(model, batch, products)
            recorder.seconds += time.perf_counter() - started
            recorder.windows += batch.shape[0]
            recorder.calls += 1
            return result

        LoadedModel.run = run  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        LoadedModel.run = self._original  # type: ignore[method-assign]


def outputs_in(directory: Path, hse: bool) -> OutputPaths:
    return OutputPaths(lcz=str(directory / "lcz.tif"), hse=str(directory / "hse.tif") if hse else None,
                       probabilities=str(directory / "probabilities.tif"))


def engine_once(scene: Path, model: Path, outdir: Path, hse: bool, recorder: Recorder) -> float:
    with recorder:
        started = time.perf_counter()
        map_scene(str(scene), outputs_in(outdir, hse), model=ModelChoice(model_path=str(model), device="CPU"))
        return time.perf_counter() - started


def bare_once(model: Path, batches: list[np.ndarray], hse: bool) -> tuple[float, float]:
    """Session creation (same options as the engine) + the same batches and the outputs the engine asked for
    (LCZ, and HSE when mapped); returns (total s, session s)."""
    started = time.perf_counter()
    session, _ = create_session(model.read_bytes(), "CPU")
    opened = time.perf_counter()
    contract = mc.parse_metadata(dict(session.get_modelmeta().custom_metadata_map), str(model))
    wanted = {mc.PRODUCT_LCZ, mc.PRODUCT_HSE} if hse else {mc.PRODUCT_LCZ}
    names = [o.name for o in contract.outputs if o.product in wanted]
    for batch in batches:
        session.run(names, {mc.INPUT_NAME: batch})
    return time.perf_counter() - started, opened - started


@dataclass
class Overhead:
    label: str
    windows: int
    batches: int
    km2: float
    grid: str
    engine_s: list[float]
    engine_ort_s: list[float]
    bare_s: list[float]
    session_s: list[float]

    @property
    def ratio(self) -> float:
        """Best engine time / best bare time (noise on a shared machine only ever adds time)."""
        return min(self.engine_s) / min(self.bare_s)

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.engine_s) / statistics.median(self.bare_s)

    @property
    def in_run_ratio(self) -> float:
        """Median over engine runs of (wall time / time inside onnxruntime in that run): robust to drift."""
        return statistics.median(e / o for e, o in zip(self.engine_s, self.engine_ort_s, strict=True))

    @property
    def own_s(self) -> float:
        """The engine's own time (wall minus onnxruntime), best run."""
        return min(e - o for e, o in zip(self.engine_s, self.engine_ort_s, strict=True))


def scene_grid(scene: Path) -> tuple[int, int]:
    """Width and height of the engine's working grid for this input."""
    opened = open_scene(str(scene), MODEL_BANDS)
    try:
        return opened.width, opened.height
    finally:
        opened.close()


def measure_overhead(label: str, scene: Path, model: Path, hse: bool, workdir: Path, repeats: int) -> Overhead:
    """Record the engine's batches once (untimed), then alternate timed engine and bare runs."""
    outdir = workdir / "out_overhead"
    width, height = scene_grid(scene)
    recording = Recorder(keep=True)
    engine_once(scene, model, outdir, hse, recording)
    batches = recording.batches
    engine_s, engine_ort_s, bare_s, session_s = [], [], [], []
    for _ in range(repeats):
        timing = Recorder()
        engine_s.append(engine_once(scene, model, outdir, hse, timing))
        engine_ort_s.append(timing.seconds)
        total, session = bare_once(model, batches, hse)
        bare_s.append(total)
        session_s.append(session)
    for leftover in outdir.iterdir():
        leftover.unlink()
    return Overhead(label, recording.windows, recording.calls, width * height * GSD * GSD / 1e6,
                    f"{width} x {height}", engine_s, engine_ort_s, bare_s, session_s)


def profile_engine(scene: Path, model: Path, hse: bool, workdir: Path, top: int = 18) -> str:
    """cProfile of one map_scene run: the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    map_scene(str(scene), outputs_in(workdir / "out_profile", hse),
              model=ModelChoice(model_path=str(model), device="CPU"))
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


# --------------------------------------------------------------------------------------------- memory


def _vm_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def child_main(scene: str, model: str, outdir: str) -> None:
    """Runs in the subprocess: one map_scene, then prints its figures as JSON."""
    before = _vm_kib("VmRSS")
    recorder = Recorder()
    with recorder:
        started = time.perf_counter()
        map_scene(scene, outputs_in(Path(outdir), True), model=ModelChoice(model_path=model, device="CPU"))
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "ort_seconds": recorder.seconds, "rss_before_kib": before,
                      "vmhwm_kib": _vm_kib("VmHWM"), "windows": recorder.windows, "batches": recorder.calls}))


@dataclass
class Memory:
    label: str
    grid: str
    km2: float
    windows: int
    batches: int
    seconds: float
    ort_seconds: float
    rss_before_mib: float
    vmhwm_mib: float


def measure_memory(label: str, scene: Path, model: Path, workdir: Path) -> Memory:
    """One map_scene in a fresh subprocess; its peak RSS (VmHWM) is read inside it after the run."""
    width, height = scene_grid(scene)
    outdir = workdir / "out_memory"
    outdir.mkdir(exist_ok=True)
    log = workdir / "child.json"
    with open(log, "w") as stdout:
        code = subprocess.call([sys.executable, __file__, "--child", str(scene), str(model), str(outdir)],
                               stdout=stdout, cwd=REPO_ROOT)
    if code:
        raise RuntimeError(f"the memory run on {label} failed (exit {code})")
    result = json.loads(log.read_text().strip().splitlines()[-1])
    for leftover in outdir.iterdir():
        leftover.unlink()
    return Memory(label, f"{width} x {height}", width * height * GSD * GSD / 1e6, result["windows"], result["batches"],
                  result["seconds"], result["ort_seconds"], result["rss_before_kib"] / 1024,
                  result["vmhwm_kib"] / 1024)


# ---------------------------------------------------------------------------------------------- report


def describe_machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}, onnxruntime {ort.__version__} "
            f"(CPUExecutionProvider, default session options as in core.runtime), GDAL {gdal.__version__}, "
            f"numpy {np.__version__}; GDAL_CACHEMAX {gdal.GetCacheMax() // 2**20} MiB")


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def report(overheads: list[Overhead], memories: list[Memory], memory_model: str, repeats: int) -> None:
    med = statistics.median
    if overheads:
        _report_overheads(overheads, repeats, med)
    if memories:
        _report_memory(memories, memory_model)


def _report_overheads(overheads: list[Overhead], repeats: int, med) -> None:
    print_table(
        f"Engine overhead: {repeats} timed runs each, engine and bare runs alternated (goal ratio <= {GOAL_RATIO})",
        ["case", "working grid px", "km2", "windows", "batches", "engine s best", "bare s best", "ratio best",
         "ratio median", "in-run ratio", "engine - ORT s", "own ms/km2", "engine km2/s", "bare km2/s"],
        [[o.label, o.grid, f"{o.km2:.1f}", str(o.windows), str(o.batches), f"{min(o.engine_s):.2f}",
          f"{min(o.bare_s):.2f}", f"{o.ratio:.3f}", f"{o.median_ratio:.3f}", f"{o.in_run_ratio:.3f}",
          f"{o.own_s:.2f}", f"{o.own_s / o.km2 * 1000:.1f}",
          f"{o.km2 / min(o.engine_s):.1f}", f"{o.km2 / min(o.bare_s):.1f}"] for o in overheads])
    print("  ratio best = best engine wall time / best bare time (bare = session creation + the same batches);")
    print("  ratio median = the same with medians; in-run ratio = median of engine wall time / time inside")
    print("  onnxruntime in the same engine run; engine - ORT = the engine's own time (best run), own ms/km2 the same "
          "per km2;")
    print("  km2/s from the best runs.")
    for o in overheads:
        print(f"  {o.label}: engine {', '.join(f'{s:.2f}' for s in o.engine_s)} s (in ORT "
              f"{', '.join(f'{s:.2f}' for s in o.engine_ort_s)}); bare {', '.join(f'{s:.2f}' for s in o.bare_s)} s "
              f"(session creation {med(o.session_s) * 1000:.0f} ms)")


def _report_memory(memories: list[Memory], memory_model: str) -> None:
    if memories:
        print_table(
            f"Peak memory: one map_scene in a subprocess, model '{memory_model}' (goal < {GOAL_PEAK_GIB:g} GiB)",
            ["scene", "working grid px", "km2", "windows", "batches", "seconds", "ORT s", "RSS before MiB",
             "peak VmHWM MiB", "km2/s"],
            [[m.label, m.grid, f"{m.km2:.0f}", str(m.windows), str(m.batches), f"{m.seconds:.1f}",
              f"{m.ort_seconds:.1f}", f"{m.rss_before_mib:.0f}", f"{m.vmhwm_mib:.0f}", f"{m.km2 / m.seconds:.1f}"]
             for m in memories])
        print("  RSS before = the child's resident memory after imports, just before map_scene.")


# ------------------------------------------------------------------------------------------------ main


def parse_size(text: str) -> tuple[int, int]:
    """'2745' -> (2745, 2745); '2745x10980' -> (2745, 10980)."""
    width, _, height = text.strip().lower().partition("x")
    return int(width), int(height or width)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=660,
                        help="side in px of the mosaic for the patch-model overhead run")
    parser.add_argument("--dense-size", type=int, default=1760,
                        help="side in px of the mosaics for the dense overhead runs")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (best and median are reported)")
    parser.add_argument("--memory-sizes", default=f"2745,5490,{FULL_TILE},2745x{FULL_TILE}",
                        help="UTM scene sizes in px for the memory runs: N or WxH, comma-separated")
    parser.add_argument("--memory-geo-size", type=int, default=5490,
                        help="side in px of an extra EPSG:4326 memory run (warped by the engine); 0 skips it")
    parser.add_argument("--memory-model", choices=("conv3x3", "band_math", "default"), default="conv3x3",
                        help="model for the memory runs: a dense one built here (band_math: a cheap 1x1 model) or "
                             "the bundled default (model v3, patch, LCZ and HSE)")
    parser.add_argument("--skip-overhead", action="store_true", help="only the memory runs")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke run of a minute)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one map_scene per case")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--dense-model", action="append", default=[], type=Path, metavar="ONNX",
                        help="also measure the overhead with this dense contract model "
                             "(e.g. runs/v3/dense_seed0/dense.onnx); repeatable")
    parser.add_argument("--patch-model", action="append", default=[], type=Path, metavar="ONNX",
                        help="also measure this patch contract model (HSE mapped when it has it) on the So2Sat case's "
                             "scene, with its speed relative to the So2Sat ResNet20 in the same run; repeatable")
    parser.add_argument("--child", nargs=3, metavar=("SCENE", "MODEL", "OUTDIR"), help=argparse.SUPPRESS)
    return parser


def _print_setup() -> None:
    print(describe_machine())
    print(f"Data: {SAMPLE.relative_to(REPO_ROOT)} (220 x 220 px, EPSG:4326, 10 bands UInt16, real Sentinel-2 L1C, "
          "Hong Kong 2018-03-23), tiled repeatedly in hand-written VRTs:")
    print("  EPSG:4326 mosaics: the sample itself tiled (the engine warps them to UTM 50N at 10 m);")
    print("  UTM mosaics: the sample warped once to EPSG:32650 at 10 m, cropped to fully valid pixels, tiled 5 x 5 "
          "into a GeoTIFF block, and that block tiled again (no warp in the engine).")
    print("Dense model (built here, random fixed weights): 3x3 convs 10-32-32 + lcz 3x3 32-17 softmax (stride 1), "
          f"hse 2x2 avg-pool + 1x1 conv + sigmoid (stride 2); tile {TILE}, overlap {OVERLAP}, "
          f"size_multiple {SIZE_MULTIPLE}.")


def _cases(args: argparse.Namespace, workdir: Path, block: Path, dense: Path) -> list[tuple[str, Path, Path, bool]]:
    """(label, scene, model, with HSE) of every overhead case: the So2Sat patch model, the dense model, extras."""
    size, dense_size = args.size, args.dense_size
    cases: list[tuple[str, Path, Path, bool]] = [
        (f"So2Sat patch, 4326 {size} px", mosaic_vrt(workdir / "patch_4326.vrt", SAMPLE, size, size),
         DEFAULT_MODEL_PATH, False),
        (f"dense, 4326 {dense_size} px", mosaic_vrt(workdir / "dense_4326.vrt", SAMPLE, dense_size, dense_size),
         dense, True),
        (f"dense, UTM {dense_size} px", mosaic_vrt(workdir / "dense_utm.vrt", block, dense_size, dense_size),
         dense, True),
    ]
    for extra in args.patch_model:
        cases.append((f"{extra.stem}, 4326 {size} px", workdir / "patch_4326.vrt", extra.resolve(), True))
    for extra in args.dense_model:
        cases.append((f"{extra.stem}, UTM {dense_size} px", workdir / "dense_utm.vrt", extra.resolve(), True))
    return cases


def _memory_runs(args: argparse.Namespace, workdir: Path, block: Path, dense: Path, started: float) -> list[Memory]:
    """The peak memory of map_scene on each memory scene, in a child process each."""
    memory_model = {"conv3x3": lambda: dense, "default": lambda: DEFAULT_MODEL_PATH,
                    "band_math": lambda: build_dense_model(workdir / "dense_band_math.onnx", "band_math")
                    }[args.memory_model]()
    scenes = [(f"UTM {w} x {h}", mosaic_vrt(workdir / f"memory_{w}x{h}.vrt", block, w, h))
              for w, h in map(parse_size, args.memory_sizes.split(","))]
    if args.memory_geo_size:
        side = args.memory_geo_size
        scenes.append((f"4326 {side} x {side}",
                       mosaic_vrt(workdir / f"memory_4326_{side}.vrt", SAMPLE, side, side)))
    memories: list[Memory] = []
    for label, scene in scenes:
        memories.append(measure_memory(label, scene, memory_model, workdir))
        m = memories[-1]
        print(f"  memory {label}: peak {m.vmhwm_mib:.0f} MiB in {m.seconds:.0f} s "
              f"({time.perf_counter() - started:.0f} s so far)", flush=True)
    return memories


def _print_patch_speeds(overheads: list[Overhead], patch_models: list[Overhead], repeats: int) -> None:
    """Each extra patch model's throughput relative to the So2Sat ResNet20 (the first case) of the same run."""
    teacher = overheads[0]
    teacher_speed = teacher.km2 / min(teacher.engine_s)
    for o in patch_models:
        speed = o.km2 / min(o.engine_s)
        print(f"  {o.label}: {speed:.1f} km2/s through the engine = {speed / teacher_speed:.3f} x the So2Sat "
              f"ResNet20's {teacher_speed:.1f} km2/s in this run (best of {repeats})")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.child:
        child_main(*args.child)
        return
    if args.quick:
        args.size, args.dense_size, args.repeats, args.memory_sizes, args.memory_geo_size = 440, 660, 1, "1372,2745", 0
    started = time.perf_counter()
    _print_setup()
    with tempfile.TemporaryDirectory(prefix="hselcz-bench-") as tmp:
        workdir = Path(tmp)
        block = utm_block(workdir)
        dense = build_dense_model(workdir / "dense_conv3x3.onnx", "conv3x3")
        cases = _cases(args, workdir, block, dense)
        overheads: list[Overhead] = []
        for label, scene, model, hse in [] if args.skip_overhead else cases:
            overheads.append(measure_overhead(label, scene, model, hse, workdir, args.repeats))
            o = overheads[-1]
            print(f"  overhead {label}: ratio best {o.ratio:.3f}, in-run {o.in_run_ratio:.3f} ({o.windows} windows; "
                  f"{time.perf_counter() - started:.0f} s so far)", flush=True)
        if args.profile:
            for label, scene, model, hse in cases:
                print(f"\ncProfile of one map_scene, {label} (top functions by own time):")
                print(profile_engine(scene, model, hse, workdir))
        memories = [] if args.skip_memory else _memory_runs(args, workdir, block, dense, started)
        report(overheads, memories, args.memory_model, args.repeats)
        if not overheads:
            print(f"\nTotal {time.perf_counter() - started:.0f} s; temporary files deleted.")
            return
        extra_patch = slice(len(cases) - len(args.dense_model) - len(args.patch_model),
                            len(cases) - len(args.dense_model))
        _print_patch_speeds(overheads, overheads[extra_patch], args.repeats)
    print(f"\nTotal {time.perf_counter() - started:.0f} s; temporary files deleted.")


if __name__ == "__main__":
    main()
