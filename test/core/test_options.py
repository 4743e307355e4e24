"""core.options: the model choice and the feedback that every mapping function passes on unchanged."""

from __future__ import annotations

import dataclasses

import pytest

from core.errors import CancelledError
from core.options import DEFAULT_CHOICE, NO_FEEDBACK, ModelChoice, RunFeedback


def test_a_part_of_the_run_reports_its_share_of_the_whole_bar() -> None:
    seen: list[float] = []
    whole = RunFeedback(progress=seen.append)
    fit = whole.part(0.0, 0.3)  # e.g. the training areas' first pass
    second_date = whole.part(0.3, 0.7).part(0.45, 0.45)  # the second of two dates (0.9 of the bar) of the mapping
    fit.report(0.5)
    fit.report(1.0)
    second_date.report(0.0)
    second_date.report(1.0)
    assert seen == pytest.approx([0.15, 0.3, 0.3 + 0.7 * 0.45, 0.3 + 0.7 * 0.9])


def test_parts_keep_the_other_hooks_and_a_silent_feedback_stays_silent() -> None:
    lines: list[str] = []
    feedback = RunFeedback(progress=lambda f: None, is_cancelled=lambda: False, log=lines.append)
    part = feedback.part(0.5, 0.5)
    assert (part.is_cancelled, part.log, part.warn) == (feedback.is_cancelled, feedback.log, None)
    assert NO_FEEDBACK.part(0.2, 0.3) is NO_FEEDBACK
    NO_FEEDBACK.report(0.5)
    NO_FEEDBACK.say("nobody hears this")
    NO_FEEDBACK.check()
    part.say("heard")
    assert lines == ["heard"]


def test_check_raises_once_the_run_is_cancelled() -> None:
    cancelled = [False]
    feedback = RunFeedback(is_cancelled=lambda: cancelled[0])
    feedback.check()
    cancelled[0] = True
    assert feedback.cancelled()
    with pytest.raises(CancelledError, match="The run was cancelled; no output was written."):
        feedback.part(0.0, 0.5).check()


def test_the_options_are_frozen_and_changed_only_by_copy() -> None:
    warnings: list[str] = []
    feedback = RunFeedback(log=print)
    changed = feedback.but(warn=warnings.append)
    assert (changed.log, changed.warn, feedback.warn) == (print, warnings.append, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        feedback.log = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CHOICE.device = "CPU"  # type: ignore[misc]
    assert DEFAULT_CHOICE == ModelChoice(model_path=None, bands=None, device="auto")
    assert dataclasses.replace(DEFAULT_CHOICE, bands="B2,B3") == ModelChoice(bands="B2,B3")
