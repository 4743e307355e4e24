"""Engine messages are translatable templates (core.i18n): every one has a German translation in i18n/hselcz_de.ts."""

from __future__ import annotations

import ast
import string
import xml.etree.ElementTree as ET

import pytest

from core import i18n
from core.products import PRODUCTS
from support.data import REPO_ROOT


def engine_templates() -> set[str]:
    """The literal templates passed to tr() anywhere in core/, and the layer names the engine translates."""
    templates = {spec.layer_name for spec in PRODUCTS}
    for source in sorted((REPO_ROOT / "core").glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                templates.add(node.args[0].value)
    return templates


def german_engine_messages() -> dict[str, str]:
    root = ET.parse(REPO_ROOT / "i18n" / "hselcz_de.ts").getroot()
    (context,) = [c for c in root.iter("context") if c.findtext("name") == i18n.ENGINE_CONTEXT]
    return {m.findtext("source"): m.findtext("translation") for m in context.iter("message")}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_engine_template_has_a_german_translation_with_the_same_placeholders() -> None:
    templates, german = engine_templates(), german_engine_messages()
    assert len(templates) >= 15  # the scan finds the run log's lines and warnings
    missing = sorted(templates - set(german))
    assert not missing, f"add these to the {i18n.ENGINE_CONTEXT} context of i18n/hselcz_de.ts: {missing}"
    for template in templates:
        assert german[template] and placeholders(german[template]) == placeholders(template), template


@pytest.fixture()
def german() -> None:
    table = german_engine_messages()
    i18n.install(lambda template: table.get(template, template))
    yield
    i18n.install(None)


def test_tr_uses_the_installed_translation_and_falls_back_to_english(german) -> None:
    assert i18n.tr("Working grid: {width} x {height} pixels at {gsd:g} m.", width=3, height=4, gsd=10.0) == (
        "Arbeitsraster: 3 x 4 Pixel zu 10 m.")
    i18n.install(lambda template: "kaputt {unknown}")  # a broken translation never hides the message
    assert i18n.tr("Radiometry: {why}", why="x") == "Radiometry: x"
    i18n.install(None)
    assert i18n.tr("Radiometry: {why}", why="x") == "Radiometry: x"
