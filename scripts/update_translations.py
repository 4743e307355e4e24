"""Bring the algorithm contexts of a Qt translation file (i18n/hselcz_de.ts) up to date with the live algorithms.

Why not pylupdate5: it files a string under the class whose source holds the tr() call, but the algorithms translate
in the context of the concrete algorithm (algorithms/base.py), so a string of a shared layer (base.py, mapping.py,
assessing.py) is needed in the context of every algorithm built on it. This script collects what QGIS looks up, as
test/qgis/test_qgis_i18n.py does (test/support/qgis_i18n.py), and rewrites the provider's and algorithms'
contexts: every string needed, its translation taken from any context of the file that has the same source, new
ones left empty and marked unfinished (lrelease counts them, and the tests fail until they are translated). Other
contexts (Engine) are kept as they are.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/update_translations.py i18n/hselcz_de.ts
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]


def needed_strings() -> list[tuple[str, str]]:
    """(context, source) of every string the provider's algorithms translate, from a headless QGIS."""
    sys.path[:0] = [str(REPO / "test"), str(REPO), "/usr/share/qgis/python/plugins"]
    from qgis.core import QgsApplication

    application = QgsApplication([], False)
    application.initQgis()
    from processing.core.Processing import Processing

    from support.qgis_helpers import plugin_package
    from support.qgis_i18n import strings_to_translate

    Processing.initialize()
    plugin = plugin_package().classFactory(None)
    plugin.initProcessing()
    wanted = sorted(strings_to_translate(QgsApplication.processingRegistry().providerById("hselcz")))
    plugin.unload()
    return wanted


def rewrite(ts_path: Path, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Rewrite the contexts in `wanted`; returns the strings that still need a translation."""
    whole = ts_path.read_text(encoding="utf-8")
    contexts = ET.fromstring(whole.encode("utf-8")).iter("context")
    text = whole[:whole.rindex("</TS>")].rstrip("\n") + "\n"
    known = {message.findtext("source"): message.findtext("translation")
             for context in contexts for message in context.iter("message") if message.findtext("translation")}
    names = list(dict.fromkeys(context for context, _ in wanted))
    kept = [block for block in text.split("<context>")[1:] if block.split("<name>")[1].split("</name>")[0] not in names]
    untranslated = [(context, source) for context, source in wanted if source not in known]

    def message(source: str) -> str:
        translation = known.get(source)
        attribute = "" if translation else ' type="unfinished"'
        return (f"    <message>\n        <source>{escape(source, {chr(39): '&apos;', chr(34): '&quot;'})}</source>\n"
                f"        <translation{attribute}>{escape(translation or '', {chr(39): '&apos;', chr(34): '&quot;'})}"
                "</translation>\n    </message>\n")

    blocks = [f"\n    <name>{name}</name>\n" + "".join(message(s) for c, s in wanted if c == name) + "</context>\n"
              for name in names]
    head = text.split("<context>")[0]
    ts_path.write_text(head + "".join(f"<context>{block}" for block in blocks + kept) + "</TS>\n", encoding="utf-8")
    return untranslated


if __name__ == "__main__":
    missing = rewrite(Path(sys.argv[1]), needed_strings())
    for context, source in missing:
        print(f"to translate ({context}): {source}")
    print(f"{len(missing)} string(s) to translate")
