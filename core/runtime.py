"""onnxruntime: importing it lazily, choosing the execution provider, never falling back silently.

onnxruntime is the one dependency QGIS does not bring. The plugin must load without it and explain how
to install it, so nothing imports onnxruntime at module import time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from .errors import EngineError
from .i18n import tr

DEVICES: tuple[str, ...] = ("auto", "CPU", "CUDA", "DirectML", "CoreML")
PROVIDER_FOR_DEVICE: dict[str, str] = {
    "CPU": "CPUExecutionProvider",
    "CUDA": "CUDAExecutionProvider",
    "DirectML": "DmlExecutionProvider",
    "CoreML": "CoreMLExecutionProvider",
}
#: The accelerators `auto` tries, in order, before the CPU.
AUTO_ORDER: tuple[str, ...] = ("CUDA", "DirectML", "CoreML")
PIP_PACKAGE_FOR_DEVICE = {"CUDA": "onnxruntime-gpu", "DirectML": "onnxruntime-directml"}
#: The only platform where a device can exist at all (sys.platform prefix).
PLATFORM_FOR_DEVICE = {"DirectML": ("win32", "Windows"), "CoreML": ("darwin", "macOS (Apple)")}
_PLATFORM_NAMES = {"linux": "Linux", "win32": "Windows", "darwin": "macOS", "cygwin": "Windows"}


class DeviceError(EngineError):
    """A device that cannot run here. `reason` says why; the message ends with the devices to choose instead,
    in the words of map_scene's `device` argument. Each interface words that choice in its own terms (the QGIS
    algorithm: the dialog's options and the numbers qgis_process takes)."""

    def __init__(self, reason: str, usable: Sequence[str]) -> None:
        self.reason, self.usable = reason, tuple(usable)
        choices = " or ".join(f'device="{device}"' for device in self.usable)
        super().__init__(f"{reason} Choose {choices}.")


def _usable_devices(available: Sequence[str], requested: str) -> list[str]:
    """auto, CPU, then every accelerator this onnxruntime offers (the requested one excepted)."""
    return ["auto", "CPU"] + [d for d in AUTO_ORDER if d != requested and PROVIDER_FOR_DEVICE[d] in available]


def _missing_device_remedy(device: str, platform: str) -> str:
    """What makes `device` available; never "install onnxruntime" for a device this platform cannot have."""
    if device in PLATFORM_FOR_DEVICE:
        prefix, name = PLATFORM_FOR_DEVICE[device]
        if not platform.startswith(prefix):
            return f"{device} exists only on {name}; this computer runs {_PLATFORM_NAMES.get(platform, platform)}."
        if device == "CoreML":
            return "CoreML comes with the onnxruntime package for macOS: update onnxruntime."
    if device == "CUDA" and platform.startswith("darwin"):
        return "CUDA does not exist on macOS."
    package = PIP_PACKAGE_FOR_DEVICE.get(device, "onnxruntime")
    return f"Install {package} in place of onnxruntime, with its drivers."


def _python_for_pip() -> str:
    """The interpreter a user should run pip with.

    Inside QGIS and qgis_process, sys.executable is QGIS itself or whatever python3 is first on PATH (for
    example a pyenv shim), not the interpreter QGIS embeds; sys.exec_prefix is the embedded one's prefix.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if sys.platform == "win32":
        candidates = [os.path.join(sys.exec_prefix, "python.exe"), os.path.join(sys.exec_prefix, "python3.exe")]
    else:
        candidates = [os.path.join(sys.exec_prefix, "bin", f"python{version}"),
                      os.path.join(sys.exec_prefix, "bin", "python3")]
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    executable = sys.executable or ""
    if os.path.basename(executable).lower().startswith("python"):
        return executable
    return candidates[0]


def install_instructions(package: str = "onnxruntime") -> str:
    python = _python_for_pip()
    return (
        f"Install {package} for the Python that runs QGIS ({python}, Python {sys.version_info.major}."
        f"{sys.version_info.minor}), then restart QGIS:\n"
        f'  Linux/macOS: "{python}" -m pip install --user {package}'
        " (on Debian/Ubuntu add --break-system-packages, or use a venv created with --system-site-packages)\n"
        f"  Windows: open the OSGeo4W Shell and run: python -m pip install {package}"
    )


def onnxruntime_import_error() -> str | None:
    """None when onnxruntime imports; otherwise a message telling the user how to install it."""
    try:
        import onnxruntime  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install raising anything
        return f"onnxruntime cannot be imported ({exc}).\n" + install_instructions()
    return None


def import_onnxruntime() -> ModuleType:
    message = onnxruntime_import_error()
    if message:
        raise EngineError(message)
    import onnxruntime

    return onnxruntime


def choose_providers(device: str, available: list[str], platform: str = sys.platform) -> list[str]:
    """The provider list to ask onnxruntime for; an explicit device that is not available is an error."""
    if device not in DEVICES:
        raise EngineError(f"Unknown device {device!r}; choose one of {', '.join(DEVICES)}.")
    if device == "auto":
        for candidate in AUTO_ORDER:
            if PROVIDER_FOR_DEVICE[candidate] in available:
                return [PROVIDER_FOR_DEVICE[candidate], "CPUExecutionProvider"]
        return ["CPUExecutionProvider"]
    provider = PROVIDER_FOR_DEVICE[device]
    if provider not in available:
        raise DeviceError(
            f"The device {device} was requested but this onnxruntime offers only {', '.join(available)}. "
            f"{_missing_device_remedy(device, platform)}",
            _usable_devices(available, device),
        )
    return [provider]


def create_session(
    model_bytes_or_path: str | bytes, device: str, log: Callable[[str], None] | None = None
) -> tuple[object, str]:
    """Open an InferenceSession on the chosen provider and return it with the provider really used."""
    ort = import_onnxruntime()
    available = list(ort.get_available_providers())
    providers = choose_providers(device, available)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # onnxruntime's own warnings would otherwise flood the QGIS log
    session = ort.InferenceSession(model_bytes_or_path, sess_options=options, providers=providers)
    used = session.get_providers()[0]
    if device != "auto" and used != providers[0]:
        # onnxruntime falls back to the CPU when a provider's libraries fail to load; we refuse to.
        raise DeviceError(
            f"The device {device} ({providers[0]}) is listed by onnxruntime but could not be started "
            f"(its libraries or drivers failed to load); onnxruntime would have used {used}. Fix the installation.",
            _usable_devices([p for p in available if p != providers[0]], device),
        )
    if log and device == "auto" and used != providers[0]:
        log(tr("{wanted} is offered by onnxruntime but failed to start; using {used}.", wanted=providers[0], used=used))
    return session, used
