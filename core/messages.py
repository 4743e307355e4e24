"""The one channel of a run's messages: information lines and warnings, passed on as they happen.

Interfaces give two callables: `log` for information and `warn` for warnings (QGIS: pushInfo and
pushWarning). A script that gives only `log` gets the warnings there too, marked with WARNING_PREFIX.
Each warning is said once; the list of them is kept for MappingResult.warnings, a record for callers that
read results, not a second channel to print.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import WARNING_PREFIX


class RunMessages:
    """Forwards a run's lines to the caller and remembers its warnings."""

    def __init__(self, log: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None):
        self._log = log
        self._warn = warn
        self.warnings: list[str] = []

    def info(self, text: str) -> None:
        if self._log:
            self._log(text)

    def warn(self, text: str) -> None:
        if text in self.warnings:
            return
        self.warnings.append(text)
        if self._warn:
            self._warn(text)
        elif self._log:
            self._log(WARNING_PREFIX + text)
