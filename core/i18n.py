"""Translatable engine messages, without Qt: English templates, translated by whatever the caller installs.

The engine formats its run-log lines and warnings with tr(template, **values). The QGIS plugin installs
Qt's translator for the context ENGINE_CONTEXT (plugin.py), so that a German QGIS shows a German log; scripts
get English. The templates are the <source> texts of that context in i18n/*.ts; a test checks that every
template in core/ has a translation there, with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Callable

ENGINE_CONTEXT = "Engine"

_translate: Callable[[str], str] | None = None


def install(translate: Callable[[str], str] | None) -> None:
    """Use `translate(template) -> translated template` from now on (None: English again)."""
    global _translate
    _translate = translate


def tr(template: str, **values: object) -> str:
    """The template in the installed language, filled in; a broken translation falls back to English."""
    if _translate is not None:
        try:
            return _translate(template).format(**values)
        except (KeyError, IndexError, ValueError):
            pass
    return template.format(**values)
