"""The set-up algorithms and the install offer speak German too (issue 21): every literal tr() string of their files
has a German translation in i18n/hselcz_de.ts, in the file's translation context, with the same placeholders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.data import REPO_ROOT
from support.translations import german, placeholders

CONTEXT_OF_FILE = {
    "algorithms/install_dependencies.py": "InstallDependenciesAlgorithm",
    "algorithms/diagnostics.py": "DiagnosticsAlgorithm",
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


@pytest.mark.parametrize(("path", "context"), sorted(CONTEXT_OF_FILE.items()))
def test_every_string_has_a_german_translation(path, context):
    strings, table = tr_strings(REPO_ROOT / path), german(context)
    assert len(strings) >= 5
    missing = sorted(strings - set(table))
    assert not missing, f"add to the {context} context of i18n/hselcz_de.ts: {missing}"
    for text in strings:
        assert table[text] and table[text] != "" and placeholders(table[text]) == placeholders(text), text
