"""The two things every mapping run is given and passes on unchanged: which model, and how it reports.

Why objects and not parameters: map_dates, map_scene, map_growth, map_with_training_areas and core.batch each
relayed the same seven values (model file, band names, device, progress, cancellation, log, warnings) to the next
function by name. Now each relay passes `model` and `feedback` along; a caller that changes one part (a share of
the progress bar, a warning channel that says each warning once) makes a changed copy, never a new parameter.
No heavy import here: the QGIS algorithms build these objects while the provider loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .errors import CancelledError


@dataclass(frozen=True)
class ModelChoice:
    """Which model a run uses, how the input's bands are found, and where the model runs.

    `model_path` None is the bundled default model; `bands` None reads the band names from the input (else the
    BANDS syntax of core.bands, one mapping per date separated by | in multi-date runs); `device` one of
    core.runtime.DEVICES ("auto": the first accelerator onnxruntime can start, else the CPU).
    """

    model_path: str | None = None
    bands: str | None = None
    device: str = "auto"


@dataclass(frozen=True)
class RunFeedback:
    """How a run reports and is stopped; each part optional.

    `progress` receives the fraction done (0..1), `is_cancelled` is asked at every batch, `log` receives information
    lines and `warn` warnings (without `warn`, warnings go to `log` marked "Warning: ", core.messages).
    """

    progress: Callable[[float], None] | None = None
    is_cancelled: Callable[[], bool] | None = None
    log: Callable[[str], None] | None = None
    warn: Callable[[str], None] | None = None

    def cancelled(self) -> bool:
        return bool(self.is_cancelled and self.is_cancelled())

    def check(self) -> None:
        """Raise CancelledError when the user has cancelled the run."""
        if self.cancelled():
            raise CancelledError("The run was cancelled; no output was written.")

    def report(self, fraction: float) -> None:
        if self.progress:
            self.progress(fraction)

    def say(self, line: str) -> None:
        if self.log:
            self.log(line)

    def part(self, start: float, share: float) -> RunFeedback:
        """This feedback for a part of the run that covers the progress from `start` to `start + share`."""
        if self.progress is None:
            return self
        whole = self.progress
        return replace(self, progress=lambda fraction: whole(start + share * fraction))

    def but(self, **changes: Callable | None) -> RunFeedback:
        """A copy with some parts replaced (e.g. `feedback.but(progress=None)`)."""
        return replace(self, **changes)


#: The defaults of the mapping functions' `model` and `feedback` (frozen, so one shared instance is safe).
DEFAULT_CHOICE = ModelChoice()
NO_FEEDBACK = RunFeedback()
