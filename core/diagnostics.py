"""What the plugin finds on this computer, as a report a user can copy into a bug report (issue 21, item 3).

"Is my GPU used?" and "why does onnxruntime not load?" come right after installing in the trackers of comparable
plugins. The report answers both: the versions of everything the engine uses, the execution providers onnxruntime
offers and the one each bundled model really starts on, the GPUs in sight, each bundled model's contract, the
plugin's data paths, and what the installer would do. It is English on purpose: it is pasted into bug reports.
No QGIS here: the caller gives QGIS's version.
"""

from __future__ import annotations

import html
import platform as platform_module
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .dependencies import gpu_facts, numpy_version, plan_for_this_computer, qgis_python, vc_runtime_hint
from .model import BUNDLED_MODEL_FILES, DEFAULT_MODEL_INDEX, bundled_model_path, load_model

Section = list[tuple[str, str]]


@dataclass
class Report:
    """Titled sections of (key, value) lines; the same content as text, HTML and a dict."""

    sections: dict[str, Section] = field(default_factory=dict)

    def add(self, title: str, key: str, value: object) -> None:
        self.sections.setdefault(title, []).append((key, str(value)))

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {title: dict(lines) for title, lines in self.sections.items()}

    def as_text(self) -> str:
        width = max((len(key) for lines in self.sections.values() for key, _ in lines), default=0)
        blocks = []
        for title, lines in self.sections.items():
            body = "\n".join(f"  {key.ljust(width)}  {value}" for key, value in lines)
            blocks.append(f"{title}\n{body}")
        return "HSE & LCZ Mapper: diagnostics\n\n" + "\n\n".join(blocks) + "\n"

    def as_html(self) -> str:
        """A page that shows the report and keeps it copyable as text (a <pre> block)."""
        return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>HSE &amp; LCZ Mapper: diagnostics"
                f"</title></head>\n<body><pre>{html.escape(self.as_text())}</pre></body></html>\n")


def plugin_version() -> str:
    """The version in metadata.txt (what the plugin manager shows)."""
    metadata = paths.PLUGIN_DIR / "metadata.txt"
    for line in metadata.read_text(encoding="utf-8").splitlines() if metadata.is_file() else []:
        if line.startswith("version="):
            return line.split("=", 1)[1].strip()
    return "unknown"


def _versions(report: Report, qgis_version: str | None) -> object | None:
    """Versions of QGIS, Python, GDAL, numpy, onnxruntime; returns the onnxruntime module when it imports."""
    title = "Versions"
    report.add(title, "Plugin", plugin_version())
    report.add(title, "QGIS", qgis_version or "not running inside QGIS")
    report.add(title, "Python", f"{sys.version.split()[0]} ({sys.executable})")
    report.add(title, "Python for pip", qgis_python())
    report.add(title, "Platform", f"{sys.platform}, {platform_module.platform()}, {platform_module.machine()}")
    try:
        from osgeo import gdal

        report.add(title, "GDAL", gdal.__version__)
    except Exception as exc:  # a broken GDAL binding is itself worth reporting
        report.add(title, "GDAL", f"cannot be imported: {exc}")
    report.add(title, "numpy", numpy_version() or "not installed")
    try:
        import onnxruntime
    except Exception as exc:
        report.add(title, "onnxruntime", f"cannot be imported: {exc}")
        hint = vc_runtime_hint(str(exc), sys.platform)
        if hint:
            report.add(title, "Hint", hint)
        return None
    report.add(title, "onnxruntime", f"{onnxruntime.__version__} ({Path(onnxruntime.__file__).parent})")
    return onnxruntime


def _devices(report: Report, ort: object | None) -> None:
    """Execution providers, the GPUs in sight, and what the installer would pick for them."""
    title = "Devices"
    if ort is not None:
        report.add(title, "Execution providers", ", ".join(ort.get_available_providers()))
        report.add(title, "onnxruntime build device", ort.get_device())
    gpus = gpu_facts()
    report.add(title, "NVIDIA GPUs (nvidia-smi)", "; ".join(gpus.nvidia) or "none found")
    if sys.platform.startswith("win"):
        report.add(title, "Display adapters", "; ".join(gpus.display_adapters) or "none found")
    if gpus.nvidia:
        report.add(title, "CUDA 12 + cuDNN libraries", "found" if gpus.cuda_libraries else "not found")
    plan = plan_for_this_computer()
    report.add(title, "Installer would install", f"{plan.package} ({plan.why})")
    report.add(title, "Installer command", plan.manual_command())


def _models(report: Report, ort: object | None) -> None:
    """Each bundled model: opened as the mapping algorithm opens it (device auto), with its contract."""
    for index, name in enumerate(BUNDLED_MODEL_FILES):
        title = f"Bundled model {index}{' (default)' if index == DEFAULT_MODEL_INDEX else ''}: {name}"
        path = bundled_model_path(index)
        size = f"{path} ({path.stat().st_size / 1e6:.1f} MB)" if path.is_file() else f"{path} MISSING"
        report.add(title, "File", size)
        if ort is None:
            report.add(title, "Contract", "not readable without onnxruntime")
            continue
        try:
            model = load_model(path, "auto")
        except Exception as exc:  # the report must finish whatever one model does
            report.add(title, "Error", str(exc))
            continue
        contract = model.contract
        report.add(title, "Device (auto)", model.provider)
        report.add(title, "Name, version", f"{contract.name} {contract.version}")
        report.add(title, "Kind", f"{contract.kind} (gsd {contract.gsd:g} m)")
        report.add(title, "Bands", ", ".join(contract.bands))
        report.add(title, "Processing level", contract.processing_level)
        report.add(title, "Outputs", ", ".join(f"{o.name}: {o.product} (stride {o.stride})" for o in contract.outputs))


def _paths(report: Report) -> None:
    title = "Data paths"
    for key, path in (("Plugin", paths.PLUGIN_DIR), ("Models", paths.MODELS_DIR), ("Styles", paths.STYLES_DIR),
                      ("Translations", paths.I18N_DIR), ("User guide", paths.USER_GUIDE),
                      ("Sample scene", paths.SAMPLE_SCENE)):
        report.add(title, key, f"{path}{'' if path.exists() else ' (missing)'}")
    import site

    report.add(title, "User site-packages", site.getusersitepackages() if site.ENABLE_USER_SITE else "disabled")


def collect(qgis_version: str | None = None) -> Report:
    """The whole report. Never raises for a missing or broken dependency: that is what it reports."""
    report = Report()
    ort = _versions(report, qgis_version)
    _devices(report, ort)
    _models(report, ort)
    _paths(report)
    return report
