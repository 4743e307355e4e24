"""Installing onnxruntime into the Python that runs QGIS, from inside QGIS (issue 21, item 2).

Users of comparable plugins first complain about installing dependencies by hand: finding QGIS's Python, pip's
refusal on a locked system Python, numpy 2 breaking QGIS's GDAL, the wrong package for their GPU. This module
decides all of that from facts (pure functions, tested per platform without mocks), gathers the facts of this
computer, runs pip as a subprocess and says whether QGIS must be restarted. No QGIS or Qt here: the installer
algorithm, the desktop dialog and the printed command all use it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import ntpath
import os
import platform as platform_module
import posixpath
import shlex
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import tr
from .runtime import PIP_PACKAGE_FOR_DEVICE

CPU_PACKAGE = "onnxruntime"
#: Every distribution that provides the module `onnxruntime`; they overwrite each other's files, so only one at a time.
ONNXRUNTIME_DISTRIBUTIONS = (CPU_PACKAGE, *PIP_PACKAGE_FOR_DEVICE.values())
#: What the installer may be asked for; "auto" decides from the GPUs found.
PACKAGE_CHOICES = ("auto", "CPU", "CUDA", "DirectML")
#: onnxruntime-gpu is published for these machines only (PyPI wheels).
_GPU_WHEEL_MACHINES = ("x86_64", "amd64")
#: Windows lists this adapter when no real GPU driver is installed; DirectML would run on the CPU through it.
_BASIC_DISPLAY_ADAPTER = "microsoft basic display adapter"
PIP_TIMEOUT_S = 1800


@dataclass(frozen=True)
class GpuFacts:
    """The GPUs this computer shows: NVIDIA ones through nvidia-smi (or the Linux driver), any adapter on Windows."""

    nvidia: tuple[str, ...] = ()
    display_adapters: tuple[str, ...] = ()
    cuda_libraries: bool = False

    @property
    def windows_gpu(self) -> bool:
        """A real display adapter, which DirectML (DirectX 12) can use."""
        return any(_BASIC_DISPLAY_ADAPTER not in name.lower() for name in self.display_adapters)


@dataclass(frozen=True)
class PackageChoice:
    package: str
    device: str
    why: str


def choose_package(platform: str, machine: str, gpus: GpuFacts, wanted: str = "auto") -> PackageChoice:
    """The onnxruntime distribution for this platform and GPU; `wanted` (CPU, CUDA, DirectML) overrides auto.

    NVIDIA on Linux, or on Windows with the CUDA libraries installed: onnxruntime-gpu. Any other GPU on Windows
    (NVIDIA without CUDA too): onnxruntime-directml, which needs nothing but the graphics driver. macOS: the plain
    package, which carries CoreML. Everything else: the CPU package. Each package also runs on the CPU."""
    if wanted not in PACKAGE_CHOICES:
        raise ValueError(f"unknown package choice {wanted!r}; choose one of {', '.join(PACKAGE_CHOICES)}")
    windows, gpu_wheels = platform.startswith("win"), machine.lower() in _GPU_WHEEL_MACHINES
    if wanted == "CUDA" or (wanted == "auto" and gpus.nvidia and gpu_wheels and platform.startswith("linux")):
        return PackageChoice(PIP_PACKAGE_FOR_DEVICE["CUDA"], "CUDA", tr(
            "An NVIDIA GPU ({gpu}) was found: onnxruntime-gpu runs the models on it through CUDA (it needs the CUDA 12 "
            "and cuDNN 9 libraries; without them it runs on the CPU).", gpu=", ".join(gpus.nvidia) or "?"))
    if wanted == "auto" and windows and gpus.nvidia and gpus.cuda_libraries and gpu_wheels:
        return PackageChoice(PIP_PACKAGE_FOR_DEVICE["CUDA"], "CUDA", tr(
            "An NVIDIA GPU ({gpu}) and the CUDA libraries were found: onnxruntime-gpu runs the models on it.",
            gpu=", ".join(gpus.nvidia)))
    if wanted == "DirectML" or (wanted == "auto" and windows and gpus.windows_gpu):
        adapters = [name for name in gpus.display_adapters if _BASIC_DISPLAY_ADAPTER not in name.lower()]
        return PackageChoice(PIP_PACKAGE_FOR_DEVICE["DirectML"], "DirectML", tr(
            "Windows with a GPU ({gpu}): onnxruntime-directml runs the models on it through DirectX 12, with no other "
            "installation.", gpu=", ".join(adapters) or "?"))
    if platform.startswith("darwin"):
        return PackageChoice(CPU_PACKAGE, "CoreML", tr(
            "macOS: the onnxruntime package brings CoreML, which uses the Apple GPU and Neural Engine."))
    return PackageChoice(CPU_PACKAGE, "CPU", tr("No GPU that onnxruntime can use was found: the CPU package."))


@dataclass(frozen=True)
class PythonFacts:
    """What decides how pip must be called: which interpreter, where it may write, what numpy it has."""

    platform: str
    executable: str
    exec_prefix: str
    version: tuple[int, int]
    in_venv: bool
    site_writable: bool
    externally_managed: bool
    numpy_version: str | None
    installed: tuple[tuple[str, str], ...] = ()  # (distribution, version) of onnxruntime packages already there


def python_for_pip(platform: str, executable: str, exec_prefix: str, version: tuple[int, int],
                   exists: Callable[[str], bool] = os.path.exists) -> str:
    """The interpreter that runs QGIS's Python, as a program pip can be started with.

    Inside QGIS sys.executable is QGIS itself (qgis-bin.exe, QGIS.app/Contents/MacOS/QGIS, /usr/bin/qgis); the
    embedded Python's own interpreter lies under sys.exec_prefix: OSGeo4W's apps/Python3xx/python.exe, the macOS
    bundle's bin/python3, /usr/bin/python3.x on Linux (a venv's bin/python3.x in a venv)."""
    major_minor = f"{version[0]}.{version[1]}"
    paths = ntpath if platform.startswith("win") else posixpath  # the rules of the platform asked about
    here = paths.dirname(executable)
    if platform.startswith("win"):
        candidates = [paths.join(exec_prefix, "python.exe"), paths.join(exec_prefix, "python3.exe"),
                      paths.join(here, "python.exe"), paths.join(here, "python3.exe")]
    else:
        candidates = [paths.join(exec_prefix, "bin", f"python{major_minor}"),
                      paths.join(exec_prefix, "bin", "python3"), paths.join(here, "bin", "python3"),
                      paths.join(here, f"python{major_minor}"), paths.join(here, "python3")]
    for candidate in candidates:
        if exists(candidate):
            return candidate
    if paths.basename(executable).lower().startswith("python"):
        return executable
    return candidates[0]


def qgis_python() -> str:
    """python_for_pip for the Python running this code (inside QGIS: the interpreter QGIS embeds)."""
    return python_for_pip(sys.platform, sys.executable or "", sys.exec_prefix,
                          (sys.version_info.major, sys.version_info.minor))


def location_flags(facts: PythonFacts) -> list[str]:
    """Where pip may install: the environment itself when it is writable and not locked, else the user's site.

    A venv is always the user's own. A system Python that its distribution manages (PEP 668, the EXTERNALLY-MANAGED
    marker of Debian 12, Ubuntu 23.04+, Fedora 38+) refuses pip even with --user unless told to break the rule; the
    user site (~/.local) is what QGIS sees and no system file is touched."""
    if facts.in_venv:
        return []
    flags = [] if facts.site_writable and not facts.externally_managed else ["--user"]
    if facts.externally_managed:
        flags.append("--break-system-packages")
    return flags


def numpy_constraint(numpy_version: str | None) -> str:
    """The constraints file's text: numpy stays at the version QGIS's GDAL was built with (pip must not upgrade it)."""
    return f"numpy=={numpy_version}\n" if numpy_version else ""


@dataclass(frozen=True)
class InstallPlan:
    """One pip run, with everything a user needs to run it by hand."""

    python: str
    package: str
    device: str
    why: str
    flags: tuple[str, ...]
    numpy_version: str | None
    target: str | None = None
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def arguments(self, constraints_file: str | None) -> list[str]:
        """The command line; `constraints_file` holds numpy_constraint() (None: numpy pinned on the line itself)."""
        command = [self.python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *self.flags]
        if self.target:
            command += ["--target", self.target]
        command.append(self.package)
        if self.numpy_version:
            command += ["-c", constraints_file] if constraints_file else [f"numpy=={self.numpy_version}"]
        return command

    def uninstall_arguments(self) -> list[str]:
        """pip uninstall of the other onnxruntime packages (they would overwrite the one installed here)."""
        names = [conflict.split()[0] for conflict in self.conflicts]
        override = [flag for flag in self.flags if flag == "--break-system-packages"]
        return [self.python, "-m", "pip", "uninstall", "--disable-pip-version-check", "--yes", *override, *names]

    def manual_command(self) -> str:
        """The same install as one line a user can paste into a terminal (the OSGeo4W Shell on Windows)."""
        arguments = self.arguments(None)
        if sys.platform.startswith("win"):
            return subprocess.list2cmdline(arguments)
        return shlex.join(arguments)


def make_plan(facts: PythonFacts, gpus: GpuFacts, machine: str, wanted: str = "auto",
              target: str | None = None) -> InstallPlan:
    """Decide the whole install from facts; `target` installs into a folder instead (tests, portable setups)."""
    choice = choose_package(facts.platform, machine, gpus, wanted)
    python = python_for_pip(facts.platform, facts.executable, facts.exec_prefix, facts.version)
    conflicts = tuple(f"{name} {version}" for name, version in facts.installed if name != choice.package)
    notes = []
    if conflicts:
        notes.append(tr("Also installed: {packages}. The onnxruntime packages overwrite each other: uninstall the "
                        "others first (\"{python}\" -m pip uninstall {names}).", packages=", ".join(conflicts),
                        python=python, names=" ".join(name for name, _ in facts.installed if name != choice.package)))
    if not facts.numpy_version:
        notes.append(tr("numpy was not found in this Python: pip will install the one onnxruntime asks for."))
    flags = () if target else tuple(location_flags(facts))
    if any(name == choice.package for name, _ in facts.installed) and not target:
        # Installed but broken (the installer is offered when the import fails): pip would say "already satisfied".
        flags += ("--force-reinstall", "--no-deps")
    return InstallPlan(python=python, package=choice.package, device=choice.device, why=choice.why, flags=flags,
                       numpy_version=facts.numpy_version, target=target, conflicts=conflicts, notes=tuple(notes))


# ------------------------------------------------------------------------------------------- facts of this computer

def _run_quietly(arguments: Sequence[str], timeout: float = 15) -> str:
    """A probe's standard output, or "" when the program is absent, fails or hangs."""
    try:
        done = subprocess.run(list(arguments), capture_output=True, text=True, timeout=timeout,
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def nvidia_gpus() -> tuple[str, ...]:
    """The NVIDIA GPUs the driver reports (name, memory, driver), through nvidia-smi."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return ()
    out = _run_quietly([smi, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"])
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def windows_display_adapters() -> tuple[str, ...]:
    """The display adapters Windows lists (what DirectML could use); () elsewhere."""
    if not sys.platform.startswith("win"):
        return ()
    out = _run_quietly(["powershell", "-NoProfile", "-Command",
                        "Get-CimInstance Win32_VideoController | ForEach-Object { $_.Name }"])
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def cuda_libraries_found() -> bool:
    """The CUDA runtime and cuDNN are on the library path (onnxruntime-gpu's CUDA provider needs both)."""
    import ctypes.util

    names = (("cudart64_12", "cudnn64_9") if sys.platform.startswith("win") else ("cudart", "cudnn"))
    return all(ctypes.util.find_library(name) for name in names)


def gpu_facts() -> GpuFacts:
    nvidia = nvidia_gpus()
    if not nvidia and Path("/proc/driver/nvidia/version").is_file():
        nvidia = ("NVIDIA GPU (driver loaded; nvidia-smi not found)",)
    return GpuFacts(nvidia=nvidia, display_adapters=windows_display_adapters(),
                    cuda_libraries=bool(nvidia) and cuda_libraries_found())


def installed_onnxruntime() -> tuple[tuple[str, str], ...]:
    """The onnxruntime distributions pip knows in this Python, with their versions."""
    found = []
    for name in ONNXRUNTIME_DISTRIBUTIONS:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return tuple(found)


def numpy_version() -> str | None:
    try:
        return importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        return None


def _writable(path: str) -> bool:
    while path and not os.path.exists(path):
        path = os.path.dirname(path)
    return bool(path) and os.access(path, os.W_OK)


def python_facts() -> PythonFacts:
    in_venv = sys.prefix != sys.base_prefix
    stdlib = sysconfig.get_paths()["stdlib"]
    return PythonFacts(
        platform=sys.platform, executable=sys.executable or "", exec_prefix=sys.exec_prefix,
        version=(sys.version_info.major, sys.version_info.minor), in_venv=in_venv,
        site_writable=_writable(sysconfig.get_paths()["purelib"]),
        externally_managed=not in_venv and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        numpy_version=numpy_version(), installed=installed_onnxruntime(),
    )


def plan_for_this_computer(wanted: str = "auto", target: str | None = None) -> InstallPlan:
    return make_plan(python_facts(), gpu_facts(), platform_module.machine(), wanted, target)


# ------------------------------------------------------------------------------------------- running the install

@dataclass(frozen=True)
class InstallResult:
    ok: bool
    message: str
    command: str
    output: str
    restart_needed: bool = False
    version: str | None = None


#: The Microsoft download of the current Visual C++ runtime (x64), which onnxruntime 1.21 and later need on Windows.
VC_REDIST_URL = "https://aka.ms/vs/17/release/vc_redist.x64.exe"
_DLL_FAILURES = ("dll load failed", "dll initialization routine failed", "winerror 1114", "winerror 126",
                 "the specified module could not be found")


def vc_runtime_hint(error_text: str, platform: str) -> str:
    """The fix for onnxruntime failing to load its DLL on Windows ("" elsewhere or for other errors).

    onnxruntime 1.21+ is built with a newer Visual C++ runtime (14.40) than many Windows installations, and
    than the msvcp140.dll that older QGIS installers put beside qgis-bin.exe; the import then fails with "DLL load
    failed while importing onnxruntime_pybind11_state"."""
    if not platform.startswith("win") or not any(marker in error_text.lower() for marker in _DLL_FAILURES):
        return ""
    return tr("Windows could not load onnxruntime's DLL. onnxruntime 1.21 and later need a recent Microsoft Visual "
              "C++ runtime: install the latest one ({url}) and restart QGIS. If that does not help (an older QGIS "
              "brings its own, older runtime), install onnxruntime 1.20: python -m pip install \"onnxruntime<1.21\" "
              "(onnxruntime-directml or onnxruntime-gpu likewise).", url=VC_REDIST_URL)


def failure_hint(output: str) -> str:
    """The likely cause of a failed pip run, from its output, in words a user can act on ("" when unknown)."""
    text = output.lower()
    if "no module named pip" in text:
        return tr("This Python has no pip. On Debian/Ubuntu install it with: sudo apt install python3-pip; "
                  "elsewhere run: python -m ensurepip --user")
    if "externally-managed-environment" in text:
        return tr("The system Python refuses pip (PEP 668): add --user --break-system-packages to the command.")
    if "no matching distribution" in text or "could not find a version" in text:
        return tr("pip found no onnxruntime for this Python and platform: check the supported Python versions on "
                  "https://pypi.org/project/onnxruntime/ or choose the CPU package.")
    if any(word in text for word in ("connection", "timed out", "proxy", "ssl", "name resolution")):
        return tr("pip could not reach the package index: check the internet connection or proxy (pip's --proxy).")
    if "permission denied" in text or "access is denied" in text:
        return tr("No permission to write there: add --user to the command, or run it as administrator.")
    return ""


def _pip_environment() -> dict[str, str]:
    """The environment for pip: QGIS's own, without a PYTHONPATH that points pip at another Python's packages."""
    environment = dict(os.environ)
    environment.pop("PIP_TARGET", None)
    environment.setdefault("PYTHONIOENCODING", "utf-8")
    return environment


def run_pip(arguments: Sequence[str], log: Callable[[str], None] | None = None,
            is_cancelled: Callable[[], bool] | None = None, timeout: float = PIP_TIMEOUT_S) -> tuple[int, str]:
    """Run pip, passing each line of its output to `log` as it comes; (exit status, whole output)."""
    lines: list[str] = []
    try:
        process = subprocess.Popen(list(arguments), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   encoding="utf-8", errors="replace", env=_pip_environment(),
                                   creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except OSError as exc:
        return 127, f"{arguments[0]}: {exc}"
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            lines.append(line.rstrip())
            if log and line.strip():
                log(line.rstrip())
            if is_cancelled and is_cancelled():
                process.terminate()
                lines.append(tr("Cancelled."))
                break
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            status = -9
    return status, "\n".join(lines)


def import_check_command(python: str, target: str | None = None) -> list[str]:
    """A fresh interpreter that imports onnxruntime (from `target` when given) and prints its version and providers."""
    script = ("import sys\n" + (f"sys.path.insert(0, {target!r})\n" if target else "")
              + "import numpy, onnxruntime\n"
              "print(onnxruntime.__version__, numpy.__version__, ','.join(onnxruntime.get_available_providers()))\n")
    return [python, "-c", script]


def load_in_this_process() -> str | None:
    """Make a fresh install importable without restarting: new site folders onto sys.path, import caches cleared.

    None when onnxruntime now imports here; otherwise why not (QGIS must then be restarted)."""
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and os.path.isdir(user_site) and user_site not in sys.path:
        site.addsitedir(user_site)  # a first --user install creates the folder Python skipped at start-up
    importlib.invalidate_caches()
    loaded = sys.modules.get("onnxruntime")
    if loaded is not None and getattr(loaded, "__version__", None):
        return tr("another onnxruntime ({version}) is already loaded in QGIS", version=loaded.__version__)
    for name in [name for name in sys.modules if name == "onnxruntime" or name.startswith("onnxruntime.")]:
        del sys.modules[name]  # the half-imported remains of a failed import would be reused
    try:
        importlib.import_module("onnxruntime")
    except Exception as exc:  # ImportError, or a DLL that fails to initialise
        return str(exc)
    return None


def install(plan: InstallPlan, log: Callable[[str], None] | None = None,
            is_cancelled: Callable[[], bool] | None = None, load: bool = True, replace: bool = False) -> InstallResult:
    """Run the plan's pip with numpy pinned, check the result in a fresh interpreter, and try to use it at once.

    `replace` first uninstalls the other onnxruntime packages of plan.conflicts. `load` makes this Python import the
    new onnxruntime (not with a target: that folder is not QGIS's)."""
    command_line = plan.manual_command()
    if replace and plan.conflicts:
        status, output = run_pip(plan.uninstall_arguments(), log, is_cancelled)
        if status != 0:
            manual = shlex.join(plan.uninstall_arguments())
            return InstallResult(False, tr("pip could not uninstall {packages} (exit status {status}). Run this "
                                           "command by hand, then install again:\n  {command}",
                                           packages=", ".join(plan.conflicts), status=status, command=manual),
                                 command_line, output)
    with tempfile.TemporaryDirectory(prefix="hselcz-pip-") as folder:
        constraints = os.path.join(folder, "numpy-constraint.txt")
        Path(constraints).write_text(numpy_constraint(plan.numpy_version), encoding="utf-8")
        status, output = run_pip(plan.arguments(constraints), log, is_cancelled)
    if status != 0:
        hint = failure_hint(output)
        message = tr("pip could not install {package} (exit status {status}). {hint}\nRun this command by hand (on "
                     "Windows in the OSGeo4W Shell), then restart QGIS:\n  {command}",
                     package=plan.package, status=status, hint=hint, command=command_line)
        return InstallResult(False, message, command_line, output)
    check = _run_quietly(import_check_command(plan.python, plan.target), timeout=120).split()
    if not check:
        message = tr("pip installed {package}, but a new Python cannot import onnxruntime. Run the diagnostics "
                     "(hselcz:diagnostics) and see the user guide's section on installing.", package=plan.package)
        return InstallResult(False, message, command_line, output)
    version = check[0]
    why_not = load_in_this_process() if load and not plan.target else None
    if why_not:
        message = tr("onnxruntime {version} is installed. Restart QGIS to use it ({why}).", version=version,
                     why=why_not)
        return InstallResult(True, message, command_line, output, restart_needed=True, version=version)
    message = tr("onnxruntime {version} is installed and ready (with numpy {numpy}); no restart needed.",
                 version=version, numpy=check[1])
    return InstallResult(True, message, command_line, output, version=version)
