"""Installing onnxruntime from inside QGIS (core.dependencies, issue 21 item 2).

The decisions are pure functions of facts (platform, GPUs, the Python's state), tested per platform; the install
itself is tested for real: pip from PyPI into a fresh folder, then a fresh interpreter that imports onnxruntime from
there and opens a bundled model. That test is skipped only when PyPI cannot be reached.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core import dependencies as deps
from core.dependencies import GpuFacts, InstallPlan, PythonFacts, choose_package, location_flags, make_plan
from core.model import BUNDLED_MODEL_FILES, bundled_model_path
from support.data import REPO_ROOT

NO_GPU = GpuFacts()
NVIDIA = GpuFacts(nvidia=("NVIDIA RTX A4000, 16376 MiB, 550.54",))
NVIDIA_WITH_CUDA = GpuFacts(nvidia=NVIDIA.nvidia, display_adapters=("NVIDIA RTX A4000",), cuda_libraries=True)
WINDOWS_NVIDIA = GpuFacts(nvidia=NVIDIA.nvidia, display_adapters=("NVIDIA RTX A4000",))
WINDOWS_INTEL = GpuFacts(display_adapters=("Intel(R) UHD Graphics 620",))
WINDOWS_BASIC = GpuFacts(display_adapters=("Microsoft Basic Display Adapter",))


@pytest.mark.parametrize(("platform", "machine", "gpus", "package", "device"), [
    ("linux", "x86_64", NO_GPU, "onnxruntime", "CPU"),
    ("linux", "x86_64", NVIDIA, "onnxruntime-gpu", "CUDA"),
    ("linux", "aarch64", NVIDIA, "onnxruntime", "CPU"),  # no onnxruntime-gpu wheels for ARM Linux
    ("win32", "AMD64", NO_GPU, "onnxruntime", "CPU"),
    ("win32", "AMD64", WINDOWS_BASIC, "onnxruntime", "CPU"),  # no driver: DirectML would gain nothing
    ("win32", "AMD64", WINDOWS_INTEL, "onnxruntime-directml", "DirectML"),
    ("win32", "AMD64", WINDOWS_NVIDIA, "onnxruntime-directml", "DirectML"),  # no CUDA installed: DirectML works
    ("win32", "AMD64", NVIDIA_WITH_CUDA, "onnxruntime-gpu", "CUDA"),
    ("darwin", "arm64", NO_GPU, "onnxruntime", "CoreML"),
    ("darwin", "x86_64", NVIDIA, "onnxruntime", "CoreML"),  # CUDA does not exist on macOS
])
def test_the_package_follows_platform_and_gpu(platform, machine, gpus, package, device):
    choice = choose_package(platform, machine, gpus)
    assert (choice.package, choice.device) == (package, device)
    assert choice.why


def test_an_explicit_choice_overrides_auto_and_nonsense_is_refused():
    assert choose_package("linux", "x86_64", NVIDIA, "CPU").package == "onnxruntime"
    assert choose_package("win32", "AMD64", NO_GPU, "DirectML").package == "onnxruntime-directml"
    assert choose_package("linux", "x86_64", NO_GPU, "CUDA").package == "onnxruntime-gpu"
    with pytest.raises(ValueError, match="auto, CPU, CUDA, DirectML"):
        choose_package("linux", "x86_64", NO_GPU, "TPU")


def facts(**changes) -> PythonFacts:
    values = dict(platform="linux", executable="/usr/bin/qgis", exec_prefix="/usr", version=(3, 11), in_venv=False,
                  site_writable=True, externally_managed=False, numpy_version="1.24.2", installed=())
    values.update(changes)
    return PythonFacts(**values)


@pytest.mark.parametrize(("python", "flags"), [
    (facts(in_venv=True, site_writable=True), []),
    (facts(in_venv=True, externally_managed=True), []),  # PEP 668 never applies inside a venv
    (facts(site_writable=True), []),  # e.g. OSGeo4W installed for the user
    (facts(site_writable=False), ["--user"]),  # Program Files, /usr
    (facts(site_writable=False, externally_managed=True), ["--user", "--break-system-packages"]),  # Debian 12
])
def test_user_site_where_the_python_is_locked(python, flags):
    assert location_flags(python) == flags


@pytest.mark.parametrize(("platform", "executable", "exec_prefix", "present", "expected"), [
    # OSGeo4W: QGIS is bin\qgis-bin.exe, its Python apps\Python312.
    ("win32", r"C:\OSGeo4W\bin\qgis-bin.exe", r"C:\OSGeo4W\apps\Python312",
     {r"C:\OSGeo4W\apps\Python312\python.exe", r"C:\OSGeo4W\bin\python3.exe"}, r"C:\OSGeo4W\apps\Python312\python.exe"),
    # A bundle whose prefix holds no interpreter: the python3.exe beside QGIS.
    ("win32", r"C:\QGIS\bin\qgis-bin.exe", r"C:\QGIS\apps\Python312", {r"C:\QGIS\bin\python3.exe"},
     r"C:\QGIS\bin\python3.exe"),
    # macOS (QGIS.org installer): Contents/MacOS/QGIS with bin/python3 beside it.
    ("darwin", "/Applications/QGIS.app/Contents/MacOS/QGIS", "/Applications/QGIS.app/Contents/Frameworks",
     {"/Applications/QGIS.app/Contents/MacOS/bin/python3"}, "/Applications/QGIS.app/Contents/MacOS/bin/python3"),
    # Debian: /usr/bin/qgis embeds /usr/bin/python3.11.
    ("linux", "/usr/bin/qgis", "/usr", {"/usr/bin/python3.11", "/usr/bin/python3"}, "/usr/bin/python3.11"),
    # Nothing found: a python executable is itself the answer.
    ("linux", "/opt/env/bin/python", "/nowhere", set(), "/opt/env/bin/python"),
])
def test_the_python_of_qgis_is_found_not_qgis_itself(platform, executable, exec_prefix, present, expected):
    assert deps.python_for_pip(platform, executable, exec_prefix, (3, 12 if platform == "win32" else 11),
                               exists=present.__contains__) == expected


def test_the_plan_pins_numpy_and_tells_about_conflicting_packages():
    plan = make_plan(facts(site_writable=False, externally_managed=True, installed=(("onnxruntime-gpu", "1.20.1"),)),
                     NO_GPU, "x86_64")
    arguments = plan.arguments("/tmp/c.txt")
    assert arguments[:4] == ["/usr/bin/python3.11", "-m", "pip", "install"] or arguments[1:4] == ["-m", "pip",
                                                                                                     "install"]
    assert "--user" in arguments and "--break-system-packages" in arguments
    assert arguments[-3:] == ["onnxruntime", "-c", "/tmp/c.txt"]
    assert deps.numpy_constraint(plan.numpy_version) == "numpy==1.24.2\n"
    assert plan.manual_command().endswith("onnxruntime numpy==1.24.2")  # by hand: the pin on the line itself
    assert plan.conflicts == ("onnxruntime-gpu 1.20.1",)
    assert any("pip uninstall onnxruntime-gpu" in note for note in plan.notes)


def test_a_broken_install_of_the_same_package_is_reinstalled_without_touching_numpy():
    plan = make_plan(facts(installed=(("onnxruntime", "1.32.0"),)), NO_GPU, "x86_64")
    assert plan.flags[-2:] == ("--force-reinstall", "--no-deps") and not plan.conflicts


@pytest.mark.parametrize(("text", "platform", "expected"), [
    ("DLL load failed while importing onnxruntime_pybind11_state: A dynamic link library (DLL) initialization "
     "routine failed.", "win32", True),
    ("[WinError 1114] Error loading onnxruntime.dll", "win32", True),
    ("DLL load failed while importing onnxruntime_pybind11_state", "linux", False),
    ("No module named 'onnxruntime'", "win32", False),
])
def test_the_visual_cpp_hint_only_for_a_dll_failure_on_windows(text, platform, expected):
    hint = deps.vc_runtime_hint(text, platform)
    assert bool(hint) == expected
    if expected:
        assert deps.VC_REDIST_URL in hint and "onnxruntime<1.21" in hint


@pytest.mark.parametrize(("output", "words"), [
    ("/usr/bin/python3: No module named pip", "apt install python3-pip"),
    ("error: externally-managed-environment", "--break-system-packages"),
    ("ERROR: No matching distribution found for onnxruntime", "pypi.org"),
    ("Could not fetch URL https://pypi.org/simple/onnxruntime/: connection error", "proxy"),
    ("ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied", "--user"),
    ("something else", ""),
])
def test_a_failed_pip_run_is_explained(output, words):
    hint = deps.failure_hint(output)
    assert (words in hint) if words else hint == ""


def test_a_failure_gives_the_manual_command(tmp_path):
    """A pip that cannot even start (no such interpreter): the message says so and gives the command to run."""
    plan = InstallPlan(python=str(tmp_path / "no-python"), package="onnxruntime", device="CPU", why="", flags=(),
                       numpy_version="1.24.2", target=str(tmp_path / "site"))
    result = deps.install(plan)
    assert not result.ok and not result.restart_needed
    assert "exit status 127" in result.message and plan.manual_command() in result.message
    assert "no-python" in result.output


def test_the_facts_of_this_computer_make_a_usable_plan():
    """This Python (a venv of Debian's QGIS Python): no --user, numpy pinned at the version installed."""
    plan = deps.plan_for_this_computer("CPU")
    import numpy

    assert plan.numpy_version == numpy.__version__
    assert Path(plan.python).is_file()
    assert subprocess.run([plan.python, "-c", "import numpy"], check=False).returncode == 0
    assert (sys.prefix != sys.base_prefix) == ("--user" not in plan.flags)


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/onnxruntime/", timeout=15) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not _pypi_reachable(), reason="PyPI (https://pypi.org) cannot be reached from this machine")
def test_install_for_real_into_a_fresh_folder_and_run_a_bundled_model(tmp_path):
    """pip installs onnxruntime (and numpy, pinned to this Python's version) into an empty folder; a fresh Python
    that knows nothing but that folder imports both from there and runs each bundled model."""
    import numpy

    target = tmp_path / "site"
    plan = deps.plan_for_this_computer("CPU", target=str(target))
    lines: list[str] = []
    result = deps.install(plan, log=lines.append)
    assert result.ok, result.message + "\n" + result.output
    assert result.version and not result.restart_needed
    assert any("Successfully installed" in line for line in lines)
    assert sorted(p.name for p in target.glob("numpy-*.dist-info")) == [f"numpy-{numpy.__version__}.dist-info"]
    script = (
        f"import sys; sys.path.insert(0, {str(target)!r})\n"
        "import json, numpy, onnxruntime as ort\n"
        "runs = {}\n"
        f"for path in {[str(bundled_model_path(i)) for i in range(len(BUNDLED_MODEL_FILES))]!r}:\n"
        "    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])\n"
        "    shape = [1 if not isinstance(d, int) else d for d in session.get_inputs()[0].shape]\n"
        "    shape[2:] = [s if s > 1 else 64 for s in shape[2:]]\n"
        "    outputs = session.run(None, {'image': numpy.zeros(shape, numpy.float32)})\n"
        "    runs[path] = [list(o.shape) for o in outputs]\n"
        "print(json.dumps({'ort': ort.__file__, 'numpy': numpy.__file__, 'numpy_version': numpy.__version__,\n"
        "                  'runs': runs}))\n"
    )
    # -S: no site-packages at all, so nothing can come from the environment this test runs in.
    done = subprocess.run([plan.python, "-S", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ort"].startswith(str(target)) and report["numpy"].startswith(str(target))
    assert report["numpy_version"] == numpy.__version__
    assert len(report["runs"]) == len(BUNDLED_MODEL_FILES) and all(report["runs"].values())


def _run_in_fresh_python(script: str, **environment: str) -> str:
    import os

    env = {**os.environ, **environment}
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r})\n" + script],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()



def test_an_onnxruntime_already_loaded_means_a_restart():
    out = _run_in_fresh_python("import onnxruntime\nfrom core.dependencies import load_in_this_process\n"
                               "print(load_in_this_process())\n")
    assert out.startswith("another onnxruntime (") and "is already loaded" in out


def test_a_first_user_install_is_loaded_without_restart(tmp_path):
    """The user site did not exist when Python started (a first --user install creates it): the new package there is
    found after the install, with no restart. A stand-in onnxruntime package plays the installed one."""
    script = (
        "import os, site, sys\n"
        "sys.path[:] = [p for p in sys.path if 'site-packages' not in p or p.startswith(site.getuserbase())]\n"
        "try:\n    import onnxruntime\nexcept ImportError:\n    pass\nelse:\n    raise SystemExit('not hidden')\n"
        "user_site = site.getusersitepackages()\n"
        "assert not os.path.isdir(user_site), user_site\n"
        "os.makedirs(os.path.join(user_site, 'onnxruntime'))\n"
        "open(os.path.join(user_site, 'onnxruntime', '__init__.py'), 'w').write('__version__ = \"9.9.9\"\\n')\n"
        "from core.dependencies import load_in_this_process\n"
        "print(load_in_this_process(), sys.modules['onnxruntime'].__version__)\n"
    )
    out = _run_in_fresh_python(script, PYTHONUSERBASE=str(tmp_path / "userbase"), PYTHONNOUSERSITE="")
    assert out == "None 9.9.9"


def test_replacing_another_package_uninstalls_it_first_and_says_when_that_fails(tmp_path):
    plan = make_plan(facts(site_writable=False, externally_managed=True, installed=(("onnxruntime", "1.32.0"),)),
                     NVIDIA, "x86_64")
    assert plan.package == "onnxruntime-gpu"
    assert plan.uninstall_arguments()[1:] == ["-m", "pip", "uninstall", "--disable-pip-version-check", "--yes",
                                              "--break-system-packages", "onnxruntime"]
    broken = InstallPlan(python=str(tmp_path / "no-python"), package="onnxruntime-gpu", device="CUDA", why="",
                         flags=(), numpy_version="1.24.2", conflicts=("onnxruntime 1.32.0",))
    result = deps.install(broken, replace=True)
    assert not result.ok and "could not uninstall onnxruntime 1.32.0" in result.message
    assert "-m pip uninstall" in result.message
