"""The spatial split of the Pisa building-cover reference, declared before any training (issue 18).

Blocks of 1 km (10 x 10 cells of 100 m on the engine's working grid of the Pisa scene, both dates share it).
A fixed permutation (seed 18) puts a third of the blocks in `test` (scored only for the gates, never fitted or
used for a choice), a quarter of the rest in `validation` (choices between recipes), the rest in `train`.
Training cells within one cell of a test or validation block are dropped as well: a 320 m window reaches 110 m
beyond its cell, so a cell next to a scored block would show the model that block's pixels.

    python -m training.v3.pisa_split     # writes training/v3/pisa_split.json (committed)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BLOCK_CELLS = 10
SEED = 18
SPLIT_FILE = Path(__file__).with_name("pisa_split.json")
#: The Pisa working grid: 94 x 64 cells of 100 m (EPSG:32632, origin 609720, 4846040).
GRID_CELLS = (94, 64)
GRID_ORIGIN = (609720.0, 4846040.0)


def make_split() -> dict[str, object]:
    rows, cols = (-(-n // BLOCK_CELLS) for n in GRID_CELLS)
    blocks = [(r, c) for r in range(rows) for c in range(cols)]
    order = np.random.default_rng(SEED).permutation(len(blocks))
    n_test = len(blocks) // 3
    rest = order[n_test:]
    n_val = len(rest) // 4
    pick = lambda idx: sorted([list(blocks[i]) for i in idx])  # noqa: E731
    return {"block_cells": BLOCK_CELLS, "seed": SEED, "grid_cells": list(GRID_CELLS), "grid_origin": list(GRID_ORIGIN),
            "test": pick(order[:n_test]), "validation": pick(rest[:n_val]), "train": pick(rest[n_val:])}


def load_split() -> dict[str, object]:
    return json.loads(SPLIT_FILE.read_text(encoding="utf-8"))


def cell_roles(cells: np.ndarray, split: dict[str, object] | None = None, buffer: int = 1) -> np.ndarray:
    """(n, 2) cell (row, column) -> role per cell: 'test', 'validation', 'train' or 'buffer' (dropped)."""
    split = split or load_split()
    size = int(split["block_cells"])
    role_of = {tuple(b): name for name in ("test", "validation", "train") for b in split[name]}
    roles = np.array([role_of[(r // size, c // size)] for r, c in cells], dtype=object)
    scored = {tuple(b) for name in ("test", "validation") for b in split[name]}
    for i, (r, c) in enumerate(cells):
        if roles[i] != "train":
            continue
        near = {((r + dr) // size, (c + dc) // size)
                for dr in range(-buffer, buffer + 1) for dc in range(-buffer, buffer + 1)
                if r + dr >= 0 and c + dc >= 0}
        if near & scored:
            roles[i] = "buffer"
    return roles


if __name__ == "__main__":
    SPLIT_FILE.write_text(json.dumps(make_split(), indent=1) + "\n", encoding="utf-8")
    print(SPLIT_FILE)
