"""The accuracy as the LCZ Generator reports it: 25 stratified 70/30 splits of the training areas by polygon.

Why a second accuracy beside the cross-validation by polygon (core.adapter.cross_validate): users compare this
plugin with the LCZ Generator (Demuzere et al. 2021, following Bechtel et al. 2019), whose factsheet gives the mean
OA, OAu, OAbu, OAw (and F1 per class) over 25 random splits, each holding out 30 % of every class's polygons, with a
boxplot and the mean confusion matrix. Only the same procedure puts both tools on the same footing; the
cross-validation stays the plugin's main figure (every polygon predicted exactly once).

Here each split draws, per class, round(30 %) of its polygons as test areas (at least one and at most all but one
when the class has two or more; a class with one polygon is trained on only), fits the adapter (core.adapter) on
the cells of the other polygons and scores the cells of the test polygons. Seeded: the same areas give the same
splits. Cost: one adapter fit per split (a fraction of a second each on a few thousand cells).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .adapter import LczAdapter
from .errors import CancelledError
from .i18n import tr
from .lcz import LCZ_CLASS_COUNT, LCZ_CLASSES
from .scores import confusion_matrix, f1_scores, lcz_scores

SPLITS = 25
TEST_SHARE = 0.3
#: (key of core.scores.lcz_scores, the LCZ Generator's name) in the order of its factsheet, and Kappa.
SCORES = (("oa", "OA"), ("oa_urban", "OAu"), ("oa_built_natural", "OAbu"), ("wa", "OAw"), ("kappa", "Kappa"))
INTERVAL = (2.5, 97.5)


def stratified_splits(groups: np.ndarray, codes: np.ndarray, splits: int = SPLITS, test_share: float = TEST_SHARE,
                      seed: int = 0) -> list[np.ndarray]:
    """For each split, the sorted polygon numbers held out for testing: per class round(test_share * n) polygons,
    clipped to 1..n-1 for classes with two or more polygons, none for a class with one."""
    rng = np.random.default_rng(seed)
    polygons = {int(code): np.unique(groups[codes == code]) for code in np.unique(codes)}
    result = []
    for _ in range(splits):
        held_out = []
        for members in polygons.values():
            if members.size < 2:
                continue
            count = min(max(1, round(test_share * members.size)), members.size - 1)
            held_out.append(rng.choice(members, size=count, replace=False))
        result.append(np.sort(np.concatenate(held_out)) if held_out else np.zeros(0, dtype=groups.dtype))
    return result


@dataclass
class BootstrapAccuracy:
    """The scores of every split and their summaries."""

    splits: int
    test_share: float
    scores: dict[str, np.ndarray]  # key -> (splits,) one value per split (NaN: undefined in that split)
    f1: np.ndarray  # (splits, 17): F1 per class and split, NaN where the class had no test cell
    confusions: np.ndarray  # (splits, 17, 17) reference rows

    @property
    def mean_confusion(self) -> np.ndarray:
        return self.confusions.mean(axis=0)

    def summary(self, key: str) -> tuple[float, float, float]:
        """(mean, 2.5th, 97.5th percentile) of a score over the splits where it is defined (NaN if none)."""
        return _summary(self.scores[key])

    def f1_summary(self) -> dict[int, tuple[float, float, float]]:
        """{LCZ code: (mean, low, high)} of the F1 of the classes tested in at least one split."""
        return {code: _summary(self.f1[:, code - 1]) for code in range(1, LCZ_CLASS_COUNT + 1)
                if np.isfinite(self.f1[:, code - 1]).any()}

    def log_line(self) -> str:
        parts = ", ".join(f"{name} {self.summary(key)[0]:.3f} [{self.summary(key)[1]:.3f}-{self.summary(key)[2]:.3f}]"
                          for key, name in SCORES)
        return tr("As the LCZ Generator reports it ({splits} stratified {train}/{test} splits by polygon; mean "
                  "[95 % interval]): {scores}.", splits=self.splits, train=round(100 * (1 - self.test_share)),
                  test=round(100 * self.test_share), scores=parts)


def _summary(values: np.ndarray) -> tuple[float, float, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return math.nan, math.nan, math.nan
    low, high = np.percentile(finite, INTERVAL)
    return float(finite.mean()), float(low), float(high)


def bootstrap_accuracy(features: np.ndarray, codes: np.ndarray, groups: np.ndarray, probabilities: np.ndarray,
                       embedding: np.ndarray | None, *, splits: int = SPLITS, test_share: float = TEST_SHARE,
                       seed: int = 0, kind: str = "", progress: Callable[[float], None] | None = None,
                       is_cancelled: Callable[[], bool] | None = None) -> BootstrapAccuracy:
    """Fit the adapter on the training polygons of each split and score it on the cells of its test polygons."""
    scores = {key: np.full(splits, np.nan) for key, _ in SCORES}
    f1 = np.full((splits, LCZ_CLASS_COUNT), np.nan)
    confusions = np.zeros((splits, LCZ_CLASS_COUNT, LCZ_CLASS_COUNT))
    for index, held_out in enumerate(stratified_splits(groups, codes, splits, test_share, seed)):
        if is_cancelled is not None and is_cancelled():
            raise CancelledError("Cancelled.")
        test = np.isin(groups, held_out)
        train = ~test
        if not test.any() or np.unique(codes[train]).size < 2:
            continue  # too few polygons to hold any out: nothing to score
        adapter = LczAdapter.fit(features[train], codes[train], kind=kind, seed=seed)
        emb = None if embedding is None else embedding[test]
        predicted = adapter.adapt(probabilities[test], emb).argmax(axis=1) + 1
        confusion = confusion_matrix(codes[test], predicted, LCZ_CLASS_COUNT)
        confusions[index] = confusion
        all_scores = lcz_scores(confusion)
        for key, _ in SCORES:
            scores[key][index] = all_scores[key]
        tested = confusion.sum(axis=1) > 0
        f1[index, tested] = f1_scores(confusion)[tested]
        if progress is not None:
            progress((index + 1) / splits)
    return BootstrapAccuracy(splits, test_share, scores, f1, confusions)


# ------------------------------------------------------------------------------------------------ the report
_BOX_WIDTH, _BOX_HEIGHT, _LEFT, _TOP, _BOTTOM = 360, 220, 40, 10, 30


def boxplot_svg(result: BootstrapAccuracy) -> str:
    """The scores over the splits as an inline SVG boxplot (quartiles, median, whiskers to the 2.5/97.5 percentiles,
    the mean as a dot); drawn by hand so the report stays one file without a plotting library."""
    width = _LEFT + _BOX_WIDTH + 10
    plot_height = _BOX_HEIGHT - _TOP - _BOTTOM

    def y(value: float) -> float:
        return _TOP + (1 - value) * plot_height

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_BOX_HEIGHT}" '
             'font-family="sans-serif" font-size="11">']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{_LEFT}" x2="{width - 10}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{_LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    step = _BOX_WIDTH / len(SCORES)
    for position, (key, name) in enumerate(SCORES):
        values = result.scores[key][np.isfinite(result.scores[key])]
        centre = _LEFT + step * (position + 0.5)
        parts.append(f'<text x="{centre:.1f}" y="{_BOX_HEIGHT - 10}" text-anchor="middle">{html.escape(name)}</text>')
        if not values.size:
            continue
        low, q1, median, q3, high = np.percentile(values, (INTERVAL[0], 25, 50, 75, INTERVAL[1]))
        half = step * 0.25
        parts += [
            f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{y(high):.1f}" y2="{y(low):.1f}" stroke="#333"/>',
            f'<rect x="{centre - half:.1f}" y="{y(q3):.1f}" width="{2 * half:.1f}" '
            f'height="{max(y(q1) - y(q3), 0.5):.1f}" fill="#9ecae1" stroke="#333"/>',
            f'<line x1="{centre - half:.1f}" x2="{centre + half:.1f}" y1="{y(median):.1f}" y2="{y(median):.1f}" '
            'stroke="#08306b" stroke-width="2"/>',
            f'<circle cx="{centre:.1f}" cy="{y(float(values.mean())):.1f}" r="3" fill="#d62728">'
            f'<title>{html.escape(name)} mean {values.mean():.3f}</title></circle>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def report_section_html(result: BootstrapAccuracy) -> str:
    """The LCZ Generator-style section of the HTML report: summary table, boxplot, F1 per class, mean confusion."""
    rows = "".join(f"<tr><th class=\"text\">{name}</th>{''.join(f'<td>{_fmt(v)}</td>' for v in result.summary(key))}"
                   "</tr>" for key, name in SCORES)
    f1_rows = "".join(
        f"<tr><th class=\"text\">{html.escape(LCZ_CLASSES[code - 1].label)} "
        f"{html.escape(LCZ_CLASSES[code - 1].name)}</th>{''.join(f'<td>{_fmt(v)}</td>' for v in values)}</tr>"
        for code, values in result.f1_summary().items())
    header = "<tr><th class=\"text\">score</th><th>mean</th><th>2.5 %</th><th>97.5 %</th></tr>"
    train, test = round(100 * (1 - result.test_share)), round(100 * result.test_share)
    return "\n".join([
        "<h2>As the LCZ Generator reports it</h2>",
        f"<p>{result.splits} random splits of the training areas by polygon, stratified by class: {train} % of each "
        f"class's polygons fit the adapter, the cells of the other {test} % are scored (Bechtel et al. 2019; "
        "Demuzere et al. 2021). Mean and 95 % interval (2.5th and 97.5th percentiles) over the splits. Compare "
        "these numbers with an LCZ Generator factsheet; the cross-validation above predicts every polygon once.</p>",
        f"<table>{header}{rows}</table>",
        boxplot_svg(result),
        "<h3>F1 per class</h3>",
        f"<table><tr><th class=\"text\">class</th><th>mean</th><th>2.5 %</th><th>97.5 %</th></tr>{f1_rows}</table>",
        "<h3>Mean confusion matrix over the splits</h3>",
        _mean_confusion_html(result.mean_confusion),
    ])


def _mean_confusion_html(confusion: np.ndarray) -> str:
    """The classes present in rows or columns only; mean cell counts per split, one decimal."""
    present = [i for i in range(LCZ_CLASS_COUNT) if confusion[i].sum() or confusion[:, i].sum()]
    cols = "".join(f"<th>{html.escape(LCZ_CLASSES[j].label)}</th>" for j in present)
    diagonal = ' class="diag"'
    lines = "".join(
        f"<tr><th class=\"text\">{html.escape(LCZ_CLASSES[i].label)}</th>"
        + "".join(f"<td{diagonal if i == j else ''}>{confusion[i, j]:.1f}</td>" for j in present) + "</tr>"
        for i in present)
    return (f"<p>Reference in rows, prediction in columns; mean test cells per split.</p>"
            f"<table><tr><th class=\"text\">reference \\ prediction</th>{cols}</tr>{lines}</table>")


def with_section(report: str, section: str) -> str:
    """The HTML report with a section added at the end of its body."""
    return report.replace("\n</body>", "\n" + section + "\n</body>", 1)
