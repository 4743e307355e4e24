"""Accuracy measures for LCZ maps and HSE density maps: re-exported from core.scores, their one definition.

The plugin's assessment algorithms (core/assessment.py) score maps with the same functions; every name this
module exported before the move stays importable from here with the same behaviour.
"""

from __future__ import annotations

import math  # noqa: F401 (importable from here before the move)

import numpy as np  # noqa: F401 (importable from here before the move)

from core.scores import (  # noqa: F401 (re-exports)
    _BECHTEL_WEIGHTS_TEXT,
    BUILT,
    HSE_BINARY_THRESHOLD,
    LCZ_SIMILARITY_WEIGHTS,
    N_CLASSES,
    NATURAL,
    _safe_div,
    aggregate_mean,
    average_accuracy,
    binary_confusion,
    built_natural_accuracy,
    class_scores,
    collapse_built_natural,
    confusion_matrix,
    density_errors,
    f1_scores,
    hse_mae_percent,
    hse_scores,
    kappa,
    lcz_scores,
    overall_accuracy,
    per_class_table,
    precisions,
    recalls,
    urban_accuracy,
    weighted_accuracy,
)
