"""The table rows and the HTML report of an assessment (core.assessment), without QGIS.

Why here and not in the algorithm: the same rows and report serve the Processing algorithms, scripts and
tests, and a test can read them without a QGIS session. The report is one self-contained HTML file (inline
CSS, no images), so it opens in QGIS's results viewer, a browser, or as an e-mail attachment.
"""

from __future__ import annotations

import html
import math
import os
import uuid
from pathlib import Path
from typing import Any

from .area_estimation import AreaEstimate, estimate_notes
from .assessment import HseAssessment, LczAssessment

#: Summary scores in report order: key, short name, what it is.
LCZ_SCORES: tuple[tuple[str, str, str], ...] = (
    ("oa", "OA", "overall accuracy: share of scored cells whose predicted class is the reference class"),
    ("kappa", "Kappa", "Cohen's kappa: agreement beyond what the class shares alone would give"),
    ("aa", "AA", "average accuracy: mean recall over the classes present in the reference"),
    ("wa", "WA", "weighted accuracy: confusions of similar zones count partly (weights of Bechtel et al. 2017)"),
    ("oa_urban", "OAu", "OA among the built zones 1-10 (reference and prediction built; Demuzere et al. 2021)"),
    ("oa_built_natural", "OAbu", "accuracy of built (1-10) versus natural (A-G)"),
    ("macro_f1", "mean F1", "mean of the per-class F1 scores"),
)
HSE_SCORES: tuple[tuple[str, str, str], ...] = (
    ("mae", "MAE", "mean absolute error of the density (fraction; x 100 = percentage points)"),
    ("rmse", "RMSE", "root mean square error of the density (fraction)"),
    ("bias", "bias", "mean of prediction minus reference (fraction): > 0 overestimates settlement"),
    ("mae_percent", "MAE %", "MAE in percentage points, as the seed paper reports it"),
    ("binary_kappa", "Kappa", "Cohen's kappa of the settlement mask (density >= threshold)"),
    ("binary_aa", "AA", "average accuracy of the mask: mean of the settlement and non-settlement recalls"),
    ("binary_oa", "OA", "overall accuracy of the mask"),
    ("binary_recall", "recall", "share of reference settlement cells the prediction marks as settlement"),
    ("binary_precision", "precision", "share of predicted settlement cells that are settlement in the reference"),
    ("binary_f1", "F1", "F-score of the settlement class"),
)


def _number(value: Any) -> float | int | None:
    """NaN (an undefined score) becomes None: a table NULL, not a number."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ------------------------------------------------------------------------------------------------- tables
def lcz_table(a: LczAssessment) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """One row per class: counts, precision, recall, F1, its confusion-matrix row (pred_<label> columns), then its
    mapped (pixel-count) area and error-adjusted area with the 95 % interval in km2 (NULL without a CRS).

    Fields are (name, type) with type "int", "double" or "string".
    """
    fields = [("code", "int"), ("label", "string"), ("name", "string"), ("support", "int"), ("predicted", "int"),
              ("precision", "double"), ("recall", "double"), ("f1", "double")]
    fields += [(f"pred_{c.label}", "int") for c in a.classes]
    fields += AREA_FIELDS
    rows = []
    for index, (row, counts) in enumerate(zip(a.per_class, a.confusion, strict=True)):
        rows.append([row["code"], row["label"], row["name"], row["support"], row["predicted"],
                     _number(row["precision"]), _number(row["recall"]), _number(row["f1"]),
                     *(int(v) for v in counts), *_area_values(a.areas, index)])
    return fields, rows


#: The area columns of the LCZ table: pixel-count area, error-adjusted area and its 95 % half-interval, km2.
AREA_FIELDS = [("map_km2", "double"), ("adj_km2", "double"), ("adj_ci_km2", "double")]


def _area_values(areas: AreaEstimate | None, index: int) -> list[float | None]:
    if areas is None:
        return [None, None, None]
    return [_number(float(v[index])) for v in (areas.mapped_km2, areas.area_km2, areas.area_ci_km2)]


def hse_table(a: HseAssessment) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """One row per score: name, value, what it is (and the counts and threshold it was computed with)."""
    fields = [("score", "string"), ("value", "double"), ("description", "string")]
    rows: list[list[Any]] = [[name, _number(float(a.scores[key])), text] for key, name, text in HSE_SCORES]
    rows += [
        ["n", float(a.scores["n"]), "cells with a prediction and a reference value"],
        ["threshold", float(a.scores["threshold"]), "density (fraction) at or above which a cell is settlement"],
        ["aggregate", float(a.scores["aggregate"]), "block size (cells a side) averaged before thresholding"],
        ["binary_n", float(a.scores["binary_n"]), "cells (or blocks) in the settlement mask scores"],
    ]
    if a.areas is not None:  # index 1: the settlement class (core.area_estimation.settlement_indices)
        rows += [
            ["settlement_map_km2", float(a.areas.mapped_km2[1]), "settlement area counted from the map (km2)"],
            ["settlement_adj_km2", _number(float(a.areas.area_km2[1])),
             "error-adjusted settlement area (km2; Olofsson et al. 2014)"],
            ["settlement_adj_ci_km2", _number(float(a.areas.area_ci_km2[1])),
             "half-width of its 95 % confidence interval (km2)"],
        ]
    return fields, rows


# ------------------------------------------------------------------------------------------------- report
_CSS = """
body { font-family: sans-serif; font-size: 10pt; margin: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: right; }
th { background: #eee; }
td.text, th.text { text-align: left; }
td.diag { font-weight: bold; outline: 2px solid #333; }
p.note { color: #8a4b00; }
"""


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _page(title: str, body: list[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.escape(title) + "</title><style>"
        + _CSS + "</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inputs(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th class=\"text\">{html.escape(k)}</th><td class=\"text\">{html.escape(v)}</td></tr>"
                    for k, v in rows)
    return f"<table>{cells}</table>"


def _scores_table(scores: dict[str, float], names: tuple[tuple[str, str, str], ...]) -> str:
    cells = "".join(
        f"<tr><th class=\"text\">{html.escape(name)}</th><td>{_fmt(scores[key])}</td>"
        f"<td class=\"text\">{html.escape(text)}</td></tr>"
        for key, name, text in names if key in scores
    )
    return f"<table><tr><th class=\"text\">score</th><th>value</th><th class=\"text\">meaning</th></tr>{cells}</table>"


def _notes(notes: list[str]) -> list[str]:
    return [f"<p class=\"note\">{html.escape(n)}</p>" for n in notes]


def _mapping_text(mapping: dict[int, int]) -> str:
    targets: dict[int, list[int]] = {}
    for source, target in sorted(mapping.items()):
        targets.setdefault(target, []).append(source)
    return "; ".join(f"{','.join(map(str, sources))}->{t}" for t, sources in sorted(targets.items())) or "none"


def lcz_report_html(a: LczAssessment) -> str:
    """Inputs, summary scores, notes, per-class scores and the confusion matrix (cells shaded by row share)."""
    title = "LCZ map assessment"
    body = [f"<h1>{title}</h1>", _inputs([
        ("prediction", a.prediction),
        ("reference", a.reference),
        ("reference mapping", _mapping_text(a.reference_mapping)),
        ("class groups", _mapping_text(a.class_groups)),
        ("scoring grid", a.grid),
        ("scored cells", f"{a.scores['n']} (labelled reference cells under the prediction: {a.reference_cells}; "
                         f"without prediction: {a.unpredicted_cells}; "
                         f"predicted class in no group: {a.excluded_cells})"),
    ])]
    body += _notes(a.notes)
    body += ["<h2>Scores</h2>", _scores_table(a.scores, LCZ_SCORES)]
    if a.scheme == "groups":
        body.append("<p>WA, OAu and OAbu need the 17 local climate zones; with class groups they are not defined.</p>")

    def swatch(color: str) -> str:
        # a coloured character, not a styled box: Qt's HTML viewer (QTextBrowser) ignores inline-block boxes
        return f"<span style=\"color:{html.escape(color)}; font-size: 130%\">&#9632;</span> "

    header = "".join(f"<th>{h}</th>" for h in ("reference", "predicted", "precision", "recall", "F1"))
    rows = "".join(
        f"<tr><td class=\"text\">{swatch(c.color)}{html.escape(c.label)} {html.escape(c.name)}</td>"
        f"<td>{r['support']}</td><td>{r['predicted']}</td><td>{_fmt(r['precision'])}</td><td>{_fmt(r['recall'])}</td>"
        f"<td>{_fmt(r['f1'])}</td></tr>"
        for c, r in zip(a.classes, a.per_class, strict=True)
    )
    body += ["<h2>Per class</h2>",
             "<p>reference: scored cells of the class in the reference; predicted: scored cells predicted as the "
             "class; n/a: undefined (the class is absent from the reference or from the prediction).</p>",
             f"<table><tr><th class=\"text\">class</th>{header}</tr>{rows}</table>"]

    cols = "".join(f"<th title=\"{html.escape(c.name)}\">{swatch(c.color)}{html.escape(c.label)}</th>"
                   for c in a.classes)
    lines = []
    for i, (c, counts) in enumerate(zip(a.classes, a.confusion, strict=True)):
        total = int(counts.sum())
        cells = []
        for j, count in enumerate(counts):
            share = count / total if total else 0.0
            style = f" style=\"background: rgba(31, 119, 180, {share:.2f})\"" if count else ""
            css = " class=\"diag\"" if i == j else ""
            cells.append(f"<td{css}{style}>{int(count) if count else ''}</td>")
        lines.append(f"<tr><th class=\"text\">{swatch(c.color)}{html.escape(c.label)}</th>{''.join(cells)}"
                     f"<td>{total}</td></tr>")
    col_totals = "".join(f"<td>{int(v)}</td>" for v in a.confusion.sum(axis=0))
    body += ["<h2>Confusion matrix</h2>",
             "<p>Reference in rows, prediction in columns; cells shaded by their share of the reference row.</p>",
             f"<table><tr><th class=\"text\">reference \\ prediction</th>{cols}<th>total</th></tr>{''.join(lines)}"
             f"<tr><th class=\"text\">total</th>{col_totals}<td>{int(a.confusion.sum())}</td></tr></table>"]
    body += area_section(a.areas, [f"{c.label} {c.name}" for c in a.classes], "reference")
    return _page(title, body)


def _pm(value: float, interval: float, digits: int) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}" + ("" if math.isnan(interval) else f" &plusmn; {interval:.{digits}f}")


def area_section(areas: AreaEstimate | None, names: list[str], sample_kind: str) -> list[str]:
    """The HTML of the error-adjusted areas: per class the pixel-count area beside the estimate and its 95 %
    interval, user's and producer's accuracy with theirs, then overall accuracy and the notes."""
    if areas is None:  # a grid without CRS (no ground areas), or a cross-validation without a map's strata
        return []
    lines = "".join(
        f"<tr><td class=\"text\">{html.escape(name)}</td><td>{areas.mapped_km2[i]:.3f}</td>"
        f"<td>{int(areas.sample[i].sum())}</td><td>{_pm(areas.area_km2[i], areas.area_ci_km2[i], 3)}</td>"
        f"<td>{_pm(areas.users[i], areas.users_ci[i], 3)}</td><td>{_pm(areas.producers[i], areas.producers_ci[i], 3)}"
        "</td></tr>"
        for i, name in enumerate(names) if areas.mapped_km2[i] > 0 or areas.sample[:, i].sum() > 0
    )
    header = "".join(f"<th>{h}</th>" for h in ("mapped km2 (pixel count)", "sample units in the map class",
                                               "error-adjusted km2 &plusmn; 95 % CI", "user's accuracy",
                                               "producer's accuracy"))
    body = ["<h2>Areas with 95 % confidence intervals</h2>",
            "<p>The stratified estimator of Olofsson et al. (2014, Remote Sensing of Environment 148: 42-57): the "
            "strata are the map's classes over the scoring grid (where the map has data), the scored cells are the "
            "sample. The pixel-count area is biased by the map's errors; the error-adjusted area corrects it with "
            "the sample's error matrix. User's and producer's accuracy here are area-weighted (not the sample "
            "counts of the per-class table).</p>",
            f"<table><tr><th class=\"text\">class</th>{header}</tr>{lines}</table>",
            f"<p>Total mapped area {areas.total_km2:.3f} km2; overall accuracy (area-weighted) "
            f"{_pm(areas.overall, areas.overall_ci, 3)}.</p>"]
    return body + _notes(estimate_notes(areas, names, sample_kind=sample_kind))


def hse_report_html(a: HseAssessment) -> str:
    """Inputs and units, density errors, binary settlement scores and their 2 x 2 confusion matrix."""
    title = "Settlement density (HSE) assessment"
    s = a.scores
    body = [f"<h1>{title}</h1>", _inputs([
        ("prediction", f"{a.prediction} (read as {a.units['prediction']})"),
        ("reference", f"{a.reference} (read as {a.units['reference']})"),
        ("scoring grid", a.grid),
        ("scored cells", f"{s['n']} (reference cells under the prediction: {a.reference_cells}; without prediction: "
                         f"{a.unpredicted_cells})"),
        ("settlement threshold", f"density >= {s['threshold']:g} (fraction), after a block mean of "
                                 f"{s['aggregate']} x {s['aggregate']} cells"),
    ])]
    body += _notes(a.notes)
    body += ["<h2>Density</h2>", _scores_table(s, HSE_SCORES[:4]),
             "<h2>Settlement mask</h2>", _scores_table(s, HSE_SCORES[4:])]
    cm = a.binary_confusion
    body.append(
        "<table><tr><th class=\"text\">reference \\ prediction</th><th>not settlement</th><th>settlement</th></tr>"
        f"<tr><th class=\"text\">not settlement</th><td class=\"diag\">{int(cm[0, 0])}</td>"
        f"<td>{int(cm[0, 1])}</td></tr>"
        f"<tr><th class=\"text\">settlement</th><td>{int(cm[1, 0])}</td><td class=\"diag\">{int(cm[1, 1])}</td></tr>"
        "</table>"
    )
    body += area_section(a.areas, ["not settlement", "settlement"], "reference")
    return _page(title, body)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write under a temporary name in the same folder and rename: a failed write leaves no partial file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
