"""Model v3's training pieces on small arrays: the declared Pisa split and its buffer, the cell means and scores,
and the loss (each checked against a hand-computed value)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.v3.pisa_split import BLOCK_CELLS, cell_roles, load_split, make_split
from training.v3.train_hse import (
    DERIVED_BUILDING_FRACTION,
    KIND_CELL,
    KIND_DERIVED,
    KIND_PIXEL,
    CellSet,
    HseRecipe,
    cell_means,
    loss_of,
    pisa_scores,
)


def test_the_committed_split_is_the_declared_one() -> None:
    """The file in the repository is what make_split() gives: nobody edited blocks by hand after seeing scores."""
    split = load_split()
    assert split == make_split()
    blocks = [tuple(b) for name in ("test", "validation", "train") for b in split[name]]
    assert len(blocks) == len(set(blocks)) == 70 and len(split["test"]) == 23


def test_training_cells_next_to_a_scored_block_are_dropped() -> None:
    split = {"block_cells": BLOCK_CELLS, "test": [[0, 1]], "validation": [], "train": [[0, 0], [0, 2]]}
    cells = np.array([(5, 0), (5, 8), (5, 9), (5, 10), (5, 20), (5, 21), (5, 25)])
    roles = cell_roles(cells, split)
    assert list(roles) == ["train", "train", "buffer", "test", "buffer", "train", "train"]


def test_cell_means_and_scores() -> None:
    values = np.zeros((3, 5, 5))
    values[1] = 0.5
    values[2, 0, 0] = np.nan
    ok = np.ones((3, 5, 5), dtype=bool)
    ok[1, :, :3] = False
    np.testing.assert_allclose(cell_means(values, ok), [0.0, 0.5, 0.0])
    scores = pisa_scores(np.array([0.0, 0.1, 0.4, 0.6]), np.array([0.0, 0.0, 0.35, 0.5]))
    assert scores["auc"] == 1.0 and scores["spearman"] == pytest.approx(0.9486833, abs=1e-6)
    assert scores["mae"] == pytest.approx(0.0625)


def test_derived_targets_are_building_fractions_of_built_classes_only() -> None:
    assert DERIVED_BUILDING_FRACTION[0] == pytest.approx(0.5)  # LCZ 1: 40-60 % building surface
    assert DERIVED_BUILDING_FRACTION[6] == pytest.approx(0.75)  # LCZ 7: 60-90 %
    assert (DERIVED_BUILDING_FRACTION[10:] == 0).all()  # A..G hold no buildings


def test_the_loss_by_hand() -> None:
    """One Pisa 2018 cell (pixel + cell terms), one 2015 cell (cell term only), one derived cell with a water pixel."""
    target = torch.zeros(3, 5, 5)
    target[0] = 0.4
    target[1] = 0.2
    target[2] = 0.3
    water = torch.zeros(3, 5, 5, dtype=torch.bool)
    water[2, 0, 0] = True
    batch = CellSet(torch.zeros(3, 1), torch.zeros(3, 1), target, torch.ones(3, 5, 5, dtype=torch.bool), water,
                    torch.tensor([KIND_PIXEL, KIND_CELL, KIND_DERIVED]))
    pred = torch.full((3, 1, 5, 5), 0.1)
    recipe = HseRecipe(derived_weight=0.1, pixel_weight=0.5)
    cell = 0.3 + 0.1 + 0.1 * 0.2
    pixel = 0.5 * np.exp(0.4) * 0.3
    water_term = 0.1 * 0.1 / 25
    assert float(loss_of(pred, batch, recipe)) == pytest.approx((cell + pixel + water_term) / 3, rel=1e-5)
