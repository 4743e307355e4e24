"""Reading the plugin's German translation file (i18n/hselcz_de.ts) in tests, without QGIS."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET

from support.data import REPO_ROOT

GERMAN_TS = REPO_ROOT / "i18n" / "hselcz_de.ts"


def placeholders(text: str) -> set[str]:
    """The {names} of a str.format template: a translation must keep every one."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def german(context: str) -> dict[str, str]:
    """source -> German translation of one context of the .ts file."""
    root = ET.parse(GERMAN_TS).getroot()
    return {m.findtext("source"): m.findtext("translation")
            for c in root.iter("context") if c.findtext("name") == context for m in c.iter("message")}
