"""Suspicious training areas: polygons the cross-validated adapter confidently puts in another class, or that overlap
a polygon of another class, as the LCZ Generator's factsheet lists them.

Why: one mislabelled polygon (a park filed as LCZ 4, a folder mix-up in Google Earth) teaches the adapter a wrong
class and lowers every score, and it is hard to find among dozens of areas. The cross-validation already predicts
every polygon by an adapter fitted without it (core.adapter.cross_validate, out-of-fold probabilities per cell), so
the polygons that disagree with their own label are known at no extra cost.

A polygon is *misclassified* when more than half of its cells get one other class, and the mean out-of-fold
probability of that class over those cells is at least CONFIDENCE (0.6). Why 0.6: the adapter's softmax is class
balanced, so a cell between two classes sits near 0.5 for each; at 0.6 the other class outweighs the polygon's own
label and every remaining class together, on average over its cells, which cells merely on a class border do not
reach (on the sample's clean areas, without this threshold a dense-trees polygon whose cells lean to bush, LCZ C,
is flagged; with it, none is). Polygons of classes the adapter never saw in a fold are not judged.
A polygon *overlaps* when its intersection with a polygon of another class has an area (the cells in both take the
later polygon's class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from osgeo import ogr

from .lcz import LCZ_CLASSES
from .reference_grid import PolygonReference

#: The mean out-of-fold probability of the other class, over the cells put in it, from which a polygon is flagged.
CONFIDENCE = 0.6
#: Share of a polygon's cells that must be put in the same other class.
MAJORITY = 0.5
MISCLASSIFIED, OVERLAP = "misclassified", "overlap"
_LABELS = {c.code: c.label for c in LCZ_CLASSES}


@dataclass
class SuspiciousArea:
    """One flagged training area: its number in the layer (1-based), geometry (WKB, the areas' CRS) and why."""

    number: int
    wkb: bytes
    code: int
    reasons: list[str] = field(default_factory=list)
    predicted: int | None = None  # the other class of a misclassified polygon
    confidence: float | None = None  # its mean out-of-fold probability over the cells put in it
    overlaps: list[int] = field(default_factory=list)  # numbers of the overlapping polygons of other classes

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)

    @property
    def label(self) -> str:
        return _LABELS[self.code]

    @property
    def predicted_label(self) -> str | None:
        return _LABELS.get(self.predicted) if self.predicted else None


def conflicting_overlaps(areas: PolygonReference, codes: Sequence[int]) -> list[tuple[int, int]]:
    """(i, j) 1-based numbers, i < j, of the polygons of different classes whose intersection has an area."""
    geometries = [ogr.CreateGeometryFromWkb(wkb) if wkb else None for wkb, _ in areas.features]
    pairs = []
    for i in range(len(geometries)):
        for j in range(i + 1, len(geometries)):
            a, b = geometries[i], geometries[j]
            if a is None or b is None or codes[i] == codes[j] or not a.Intersects(b):
                continue
            overlap = a.Intersection(b)
            if overlap is not None and overlap.GetArea() > 0:
                pairs.append((i + 1, j + 1))
    return pairs


def misclassified(codes: Sequence[int], groups: np.ndarray, out_of_fold: np.ndarray,
                  confidence: float = CONFIDENCE) -> dict[int, tuple[int, float]]:
    """{polygon number: (other class, its mean probability)} of the polygons flagged as misclassified.

    `groups` (n,) gives each training cell's polygon number, `out_of_fold` (n, 17) its cross-validated
    probabilities; `codes` the class of each polygon (index = number - 1).
    """
    flagged = {}
    predicted = out_of_fold.argmax(axis=1) + 1
    for number in np.unique(groups):
        own = int(codes[int(number) - 1])
        cells = groups == number
        others = predicted[cells][predicted[cells] != own]
        if others.size <= MAJORITY * cells.sum():
            continue
        values, counts = np.unique(others, return_counts=True)
        other = int(values[counts.argmax()])
        if counts.max() <= MAJORITY * cells.sum():
            continue  # split between several other classes: no one class to name
        mean = float(out_of_fold[cells & (predicted == other), other - 1].mean())
        if mean >= confidence:
            flagged[int(number)] = (other, mean)
    return flagged


def suspicious_areas(areas: PolygonReference, codes: Sequence[int], groups: np.ndarray | None,
                     out_of_fold: np.ndarray | None, confidence: float = CONFIDENCE) -> list[SuspiciousArea]:
    """The suspicious training areas, in the order of the layer (without out-of-fold predictions: overlaps only)."""
    found: dict[int, SuspiciousArea] = {}

    def entry(number: int) -> SuspiciousArea:
        return found.setdefault(number, SuspiciousArea(number, areas.features[number - 1][0], int(codes[number - 1])))

    if groups is not None and out_of_fold is not None:
        for number, (other, mean) in misclassified(codes, groups, out_of_fold, confidence).items():
            area = entry(number)
            area.reasons.append(MISCLASSIFIED)
            area.predicted, area.confidence = other, mean
    for i, j in conflicting_overlaps(areas, codes):
        for number, other in ((i, j), (j, i)):
            area = entry(number)
            if OVERLAP not in area.reasons:
                area.reasons.append(OVERLAP)
            area.overlaps.append(other)
    return [found[number] for number in sorted(found)]
