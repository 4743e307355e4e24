"""SIGTERM and Ctrl+C (SIGINT) end a run as an exception, so that every temporary file is removed on the way out.

- SIGTERM: turned into TerminatedError while the run lasts; then the process ends by SIGTERM as it would have (or the
  caller's own handler runs).
- SIGINT in a plain Python process: Python's own handler already raises KeyboardInterrupt; nothing changes.
- SIGINT in an application that embeds Python and owns SIGINT with a C handler, as qgis_process does: Python's table
  still says `default_int_handler` (it was set when Python started), but the handler really installed is the
  application's, and `qgis_process --json` ignores SIGINT with it: Ctrl+C ran the map to the end and exited 0 with
  its outputs. While the run lasts, SIGINT is Python's and raises InterruptedRunError (a CancelledError, so the
  algorithms report "stopped by Ctrl+C" and exit non-zero); afterwards the application's handler is put back as it
  was (read and restored with sigaction through ctypes, since Python cannot restore a handler it did not install)
  and the SIGINT is re-delivered to it, so that it knows (qgis_process then also stops a model's later steps).

Only the main thread can set signal handlers: elsewhere (QGIS desktop runs algorithms in a background thread)
signals keep their effect, and QGIS's Cancel button is the way to stop.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from .errors import InterruptedRunError, TerminatedError

_F = TypeVar("_F", bound=Callable)
_SIGACTION_BYTES = 512  # larger than struct sigaction on every POSIX system; its bytes are copied, not read


def _libc():
    if sys.platform == "win32":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "sigaction") else None
    except OSError:
        return None


def _sigaction(signum: int) -> bytes | None:
    """The raw `struct sigaction` installed for `signum`, or None where it cannot be read."""
    libc = _libc()
    if libc is None:
        return None
    buffer = ctypes.create_string_buffer(_SIGACTION_BYTES)
    if libc.sigaction(signum, None, buffer) != 0:
        return None
    return buffer.raw


def _restore_sigaction(signum: int, raw: bytes) -> None:
    libc = _libc()
    if libc is not None:
        libc.sigaction(signum, ctypes.create_string_buffer(raw, _SIGACTION_BYTES), None)


def _handler_of(raw: bytes | None) -> bytes | None:
    """The handler pointer: the first member of struct sigaction on Linux and macOS."""
    return None if raw is None else raw[: ctypes.sizeof(ctypes.c_void_p)]


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def signals_stop_the_run() -> Iterator[None]:
    """While inside: SIGTERM raises TerminatedError, and SIGINT raises KeyboardInterrupt (Python owns it) or
    InterruptedRunError (an application owns it); afterwards the previous handlers, and the signal is re-delivered."""
    if not _in_main_thread():
        yield
        return
    with _sigterm_raises(), _sigint_raises():
        yield


def stops_on_signals(function: _F) -> _F:
    """A run (several dates, growth) inside signals_stop_the_run from its first line to its last, also between the
    map_scene calls it makes (fusing the dates, comparing them)."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        with signals_stop_the_run():
            return function(*args, **kwargs)

    return guarded  # type: ignore[return-value]


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (AttributeError, ValueError):
        previous = None
    if previous is None or previous == signal.SIG_IGN:  # a handler Python cannot put back, or ignored
        yield
        return
    raised = False

    def on_sigterm(signum: int, frame: object) -> None:
        nonlocal raised
        if not raised:  # once: a second SIGTERM must not interrupt the clean-up of the first
            raised = True
            raise TerminatedError("The run was stopped by SIGTERM; no output was written.")

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    except TerminatedError:
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _sigint_raises() -> Iterator[None]:
    before = _sigaction(signal.SIGINT)
    try:
        previous = signal.getsignal(signal.SIGINT)
    except (AttributeError, ValueError):
        previous = None
    if before is None or previous is None:
        yield
        return
    raised = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal raised
        if not raised:  # once: a second Ctrl+C must not interrupt the clean-up of the first
            raised = True
            raise InterruptedRunError("The run was stopped by Ctrl+C (SIGINT); no output was written.")

    signal.signal(signal.SIGINT, on_sigint)
    ours = _sigaction(signal.SIGINT)
    if _handler_of(ours) == _handler_of(before):
        # The handler installed was Python's own (a Python script, or an outer run already did this): Python's
        # KeyboardInterrupt stays as it was.
        signal.signal(signal.SIGINT, previous)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)  # Python's table as it was ...
        _restore_sigaction(signal.SIGINT, before)  # ... and the application's handler, which Python cannot restore
        if raised:
            signal.raise_signal(signal.SIGINT)  # the application's handler learns of the Ctrl+C
