"""Helpers shared by the tests that need a real QGIS: the plugin as package `hselcz`, qgis_process runs.

QGIS loads a plugin by the name of its folder; the repository root is the plugin folder but is not
called `hselcz`, so a temporary folder with a symlink `hselcz` -> repository root stands in for a
plugins directory (QGIS_PLUGINPATH for qgis_process, sys.path for in-process tests).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType

from support.data import REPO_ROOT, scene_copy  # noqa: F401 (scene_copy: imported from here by QGIS tests)

PLUGIN_NAME = "hselcz"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # not the Debian wrapper (QGIS_HEADLESS.md trap 1)


def make_plugins_dir(parent: Path) -> Path:
    """`parent/hselcz` -> repository root; returns `parent`, the folder to put on a plugin path."""
    parent.mkdir(parents=True, exist_ok=True)
    link = parent / PLUGIN_NAME
    if not link.exists():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return parent


@functools.cache
def plugin_package() -> ModuleType:
    """Import the plugin as the package `hselcz`, as QGIS does (once per test session)."""
    plugins_dir = make_plugins_dir(Path(tempfile.mkdtemp(prefix="hselcz-plugins-")))
    if str(plugins_dir) not in sys.path:
        sys.path.insert(0, str(plugins_dir))
    return importlib.import_module(PLUGIN_NAME)




def venv_site_packages() -> str:
    """Where this interpreter's pip packages (onnxruntime) live: the venv's site-packages."""
    return sysconfig.get_paths()["purelib"]


def _without_venvs(path: str) -> str:
    """PATH without virtual environments: qgis_process's embedded Python looks for `python3` on PATH
    and would adopt a venv it finds there, which would defeat a run meant to lack onnxruntime."""
    kept = [entry for entry in path.split(os.pathsep) if entry and not (Path(entry).parent / "pyvenv.cfg").exists()]
    return os.pathsep.join(kept)


def qgis_process_env(workdir: Path, *, with_onnxruntime: bool = True) -> dict[str, str]:
    """Environment for a headless qgis_process run with the plugin installed and enabled.

    A fresh profile in `workdir` (trap 3), the plugin enabled in it (trap 4), QGIS_PLUGINPATH at the
    parent of the plugin folder (trap 5), offscreen Qt (trap 2). onnxruntime comes from the venv through
    PYTHONPATH; `with_onnxruntime=False` puts a stand-in package first on PYTHONPATH whose import fails, so
    the run lacks onnxruntime even where QGIS's own Python has it (as the user guide tells users to do).
    """
    profile = workdir / "profile"
    ini = profile / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text(f"[PythonPlugins]\n{PLUGIN_NAME}=true\n", encoding="utf-8")
    runtime_dir = workdir / "xdg-runtime"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")}
    env.update(
        QGIS_PLUGINPATH=str(make_plugins_dir(workdir / "plugins")),
        QGIS_CUSTOM_CONFIG_PATH=str(profile),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime_dir),
        PATH=_without_venvs(env.get("PATH", "/usr/bin:/bin")),
    )
    env.pop("QGIS_OPTIONS_PATH", None)  # set by pytest-qgis for its own profile
    env["PYTHONPATH"] = venv_site_packages() if with_onnxruntime else str(_onnxruntime_blocker(workdir))
    return env


def _onnxruntime_blocker(workdir: Path) -> Path:
    """A folder with an `onnxruntime` package that raises ImportError: it shadows any installed one."""
    folder = workdir / "hide-onnxruntime"
    package = folder / "onnxruntime"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        'raise ImportError("onnxruntime is hidden in this test run (test/support/qgis_helpers.py)")\n',
        encoding="utf-8")
    return folder


def run_qgis_process(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True, timeout=timeout)


def run_json(args: list[str], env: dict[str, str], timeout: float = 600) -> dict:
    """`qgis_process --json ...`: stdout is pure JSON on success (trap 6)."""
    completed = run_qgis_process(["--json", *args], env, timeout)
    assert completed.returncode == 0, (f"qgis_process failed ({completed.returncode}):\n{completed.stdout}\n"
                                       f"{completed.stderr}")
    return json.loads(completed.stdout)
