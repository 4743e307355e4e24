"""The set-up algorithms and the install offer speak German too (issue 21): every literal tr() string of their files
has a German translation in i18n/hselcz_de.ts, in the file's translation context, with the same placeholders."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_engine_i18n import placeholders

REPO = Path(__file__).resolve().parents[1]
CONTEXT_OF_FILE = {
    "algorithms/install_dependencies_algorithm.py": "InstallDependenciesAlgorithm",
    "algorithms/diagnostics_algorithm.py": "DiagnosticsAlgorithm",
    "dependency_prompt.py": "DependencyPrompt",
}


def tr_strings(path: Path) -> set[str]:
    """The literal first arguments of tr(...) and self.tr(...) calls in a file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "tr"
                and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
    return found


def german(context: str) -> dict[str, str]:
    root = ET.parse(REPO / "i18n" / "hselcz_de.ts").getroot()
    return {m.findtext("source"): m.findtext("translation")
            for c in root.iter("context") if c.findtext("name") == context for m in c.iter("message")}


@pytest.mark.parametrize(("path", "context"), sorted(CONTEXT_OF_FILE.items()))
def test_every_string_has_a_german_translation(path, context):
    strings, table = tr_strings(REPO / path), german(context)
    assert len(strings) >= 5
    missing = sorted(strings - set(table))
    assert not missing, f"add to the {context} context of i18n/hselcz_de.ts: {missing}"
    for text in strings:
        assert table[text] and table[text] != "" and placeholders(table[text]) == placeholders(text), text
