"""The distillation recipe's command line: its defaults are the documented recipe (docs/DISTILLATION.md)."""

from __future__ import annotations

import pytest

from training.distill.recipe import PRESETS, STUDENT, build_parser


def test_defaults_are_the_documented_recipe() -> None:
    args = build_parser().parse_args([])
    assert (args.width, args.epochs, args.steps, args.lr_step_epochs, args.seed) == (24, 10, 400, 4, 0)
    assert args.checkpoint == "last" and args.radiometric == 0.0  # fixed budget; jitter measured, not adopted
    assert args.presets == [STUDENT] and PRESETS[0] == STUDENT
    assert args.held_out == ["hongkong", "milano", "montpellier", "lasvegas"]
    assert str(args.scenes) == "runs/scenes" and args.dynamic_world.name == "dynamicworld_forward.onnx"
    assert not args.resume and args.labels is None


def test_experiments_pick_configurations_and_jitter() -> None:
    args = build_parser().parse_args(["--presets", STUDENT, "--radiometric", "0.25", "--seed", "2"])
    assert args.presets == [STUDENT] and args.radiometric == 0.25 and args.seed == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--presets", "no_such_configuration"])
