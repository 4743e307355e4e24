"""Ctrl+C where an application owns SIGINT (issue 19, item 3): the run stops, nothing is left, the handler is put back.

qgis_process installs its own C handler for SIGINT, which Python cannot see (its table still says
default_int_handler) and which ignores Ctrl+C under `--json`. A subprocess stands in for it: SIGINT set to SIG_IGN
through libc, behind Python's back, then a run that sends itself SIGINT at its first progress report. Before: the
run went on to the end and published its outputs. The qgis_process test itself is in test/qgis/test_qgis_process.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.data import REPO_ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SCRIPT = r"""
import ctypes, json, os, signal, sys
sys.path.insert(0, {repo!r})
from core.engine import OutputPaths, map_scene
from core.multidate import map_dates
from core.options import ModelChoice, RunFeedback
libc = ctypes.CDLL(None)
libc.signal.restype = ctypes.c_void_p
def handler():  # the handler really installed for SIGINT (first member of struct sigaction)
    action = ctypes.create_string_buffer(512)
    libc.sigaction(signal.SIGINT, None, action)
    return action.raw[:ctypes.sizeof(ctypes.c_void_p)]
libc.signal(signal.SIGINT, ctypes.c_void_p(1))  # SIG_IGN, as an application's handler would: Python does not know
before = handler()
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
sent = []
def progress(fraction):
    if not sent:
        sent.append(fraction)
        os.kill(os.getpid(), signal.SIGINT)
out = {out!r}
outputs = OutputPaths(lcz=out + "/lcz.tif", probabilities=out + "/probabilities.tif")
try:
    if {dates}:
        map_dates([{scene!r}, {scene!r}], outputs, ModelChoice(device="CPU"), RunFeedback(progress=progress))
    else:
        map_scene({scene!r}, outputs, ModelChoice(device="CPU"), RunFeedback(progress=progress))
    result = "finished"
except BaseException as exc:
    result = str(exc)
restored = handler() == before
os.kill(os.getpid(), signal.SIGINT)  # ignored again, as the application had it: the process goes on
print(json.dumps({{"result": result, "restored": restored,
                   "python": signal.getsignal(signal.SIGINT) is signal.default_int_handler}}))
"""


@pytest.mark.parametrize("dates", [False, True], ids=["one date", "two dates"])
def test_sigint_owned_by_the_application_stops_the_run(sample_scene, tmp_path, dates):
    out = tmp_path / "out"
    code = SCRIPT.format(repo=str(REPO_ROOT), out=str(out), scene=str(sample_scene), dates=dates)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["result"] == "The run was stopped by Ctrl+C (SIGINT); no output was written.", report
    assert report["restored"] and report["python"], report  # the application's handler and Python's table as before
    assert not out.exists() or list(out.iterdir()) == []


def test_sigint_in_a_python_script_stays_keyboard_interrupt(sample_scene, tmp_path):
    """Where Python owns SIGINT nothing changes: KeyboardInterrupt, and no file left."""
    code = (f"import os, signal, sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n"
            "from core.engine import ModelChoice, OutputPaths, RunFeedback, map_scene\n"
            f"try:\n    map_scene({str(sample_scene)!r}, OutputPaths(lcz={str(tmp_path / 'lcz.tif')!r}), "
            "ModelChoice(device='CPU'),\n"
            "              RunFeedback(progress=lambda f: os.kill(os.getpid(), signal.SIGINT)))\n"
            "except KeyboardInterrupt:\n    print('KeyboardInterrupt')\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert completed.stdout.strip() == "KeyboardInterrupt", completed.stdout + completed.stderr
    assert list(tmp_path.iterdir()) == []
