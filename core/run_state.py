"""What a run of the engine is asked for, what it gives back, and what its pipelines share while it runs.

Kept apart from core.engine (which drives a run) so that the pipelines (core.dense, core.patch, core.cells) and the
callers (core.multidate, core.growth, core.training_areas) name these types without importing the driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .contract import ModelContract
from .options import RunFeedback
from .products import PRODUCT_BY_KEY, PRODUCTS
from .reader import Grid


@dataclass
class OutputPaths:
    """Where to write each product (core.products.PRODUCTS; one field per product key); None = not wanted."""

    lcz: str | None
    hse: str | None = None
    probabilities: str | None = None
    dates: str | None = None
    uncertainty: str | None = None
    lcz_filtered: str | None = None

    def requested(self) -> dict[str, str]:
        return {spec.key: str(getattr(self, spec.key)) for spec in PRODUCTS if getattr(self, spec.key)}


@dataclass
class MappingResult:
    """What a run wrote: `outputs` maps product keys to files (also readable as result.lcz, result.hse, ...)."""

    outputs: dict[str, str]
    provider: str
    contract: ModelContract
    warnings: list[str] = field(default_factory=list)  # the warnings the run gave, each once, as a record
    seconds: float = 0.0
    grid: Grid | None = None  # the 10 m working grid (later dates of a multi-date run are warped onto it)

    def __getattr__(self, key: str) -> str | None:
        if key in PRODUCT_BY_KEY:
            return self.outputs.get(key)
        raise AttributeError(key)


@dataclass(frozen=True)
class CellGrid:
    """The 100 m LCZ cell grid of a run: what a CellHook needs to find its cells."""

    geotransform: tuple[float, ...]
    projection: str
    width: int
    height: int


class CellHook(Protocol):
    """Sees (and may change) the LCZ class probabilities of every row of 100 m cells before they are written.

    Used to fit and apply an adapter to training areas (core.training_areas) without storing a scene's features.
    """

    def start(self, grid: CellGrid) -> None:
        """Called once the working grid is known, before any cell is computed."""

    def needed(self, first_row: int, rows: int) -> np.ndarray | None:
        """(rows, width) mask of the cells to compute (patch models), or None for all."""

    def cells(self, first_row: int, probabilities: np.ndarray, embedding: np.ndarray | None,
              valid: np.ndarray) -> np.ndarray:
        """probabilities (17, rows, width), embedding (D, rows, width) or None, valid (rows, width) -> probabilities."""


class RunProgress:
    """Progress and cancellation of one run, checked at every batch of a pipeline (core.dense, core.patch)."""

    def __init__(self, total: int, feedback: RunFeedback):
        self.total, self.done = max(total, 1), 0
        self._feedback = feedback

    def check(self) -> None:
        """Raise CancelledError when the user has cancelled the run."""
        self._feedback.check()

    def advance(self, amount: int) -> None:
        """`amount` more of `total` units done."""
        self.done += amount
        self._feedback.report(min(self.done / self.total, 1.0))
