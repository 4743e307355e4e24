"""The one exception type of the engine.

The QGIS algorithms turn it into QgsProcessingException in one place, so its message must be something
a planner can act on: what is wrong, with which file, and what to do about it.
"""

#: Log lines that are warnings start with this; the QGIS algorithm shows them as warnings.
WARNING_PREFIX = "Warning: "


class EngineError(Exception):
    """A problem with the user's input, model, outputs or environment, explained in plain words."""


class CancelledError(EngineError):
    """The user cancelled the run; no output was left behind."""


class TerminatedError(CancelledError):
    """The process received SIGTERM during a run: raised like KeyboardInterrupt so that the same clean-up runs."""


class InterruptedRunError(CancelledError):
    """Ctrl+C (SIGINT) in an application that owns SIGINT (qgis_process): raised so that the same clean-up runs."""
