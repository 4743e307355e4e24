"""The user guide as HTML, for the Processing dialog's Help button: a small Markdown converter, standard library only.

Why here and not a dependency: the plugin must not need a Markdown package in the Python that runs QGIS, and
Debian's python3 has none. The guide is converted when the plugin is packaged (scripts/package.sh) and when the tests
run (test/scripts/test_markdown_html.py); the zip ships docs/USER_GUIDE.html, which the Help button opens (core.paths).

It covers what docs/USER_GUIDE.md uses: ATX headings (with ids for links), paragraphs, fenced code blocks, pipe
tables (with `\\|` inside cells), nested bulleted and numbered lists, block quotes, rules, and inline code, bold,
italics, links and images. Anything else is kept as escaped text, never dropped.

    python3 scripts/markdown_html.py docs/USER_GUIDE.md docs/USER_GUIDE.html
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; line-height: 1.45; color: #222; }
code, pre { font-family: monospace; background: #f4f4f4; }
pre { padding: 0.6em; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
img { max-width: 100%; }
blockquote { border-left: 4px solid #ccc; margin-left: 0; padding-left: 1em; color: #555; }
"""


def slug(text: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.strip().replace(" ", "-")


def inline(text: str) -> str:
    """Inline Markdown to HTML: code spans first (their content is literal), then images, links, bold, italics."""
    parts = re.split(r"(`+)(.+?)\1", text)
    out = []
    # re.split with two groups: [text, ticks, code, text, ticks, code, ...]
    for index in range(0, len(parts), 3):
        out.append(_inline_text(parts[index]))
        if index + 2 < len(parts):
            out.append(f"<code>{html.escape(parts[index + 2].strip())}</code>")
    return "".join(out)


def _inline_text(text: str) -> str:
    text = html.escape(text.replace("\\|", "|"), quote=False)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)",
                  lambda m: f'<img src="{html.escape(m.group(2))}" alt="{html.escape(m.group(1))}">', text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>',
                  text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    text = re.sub(r"(?<![\w])_(?!\s)(.+?)(?<!\s)_(?![\w])", r"<em>\1</em>", text)
    return text


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    # GitHub's rule: an escaped pipe belongs to the cell, in code spans too.
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


_LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def convert(markdown: str, title: str = "") -> str:
    """A whole HTML page for `markdown`."""
    lines = markdown.splitlines()
    body: list[str] = []
    index = 0
    first_heading = ""
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            level, text = len(heading.group(1)), inline(heading.group(2))
            first_heading = first_heading or html.unescape(re.sub(r"<[^>]+>", "", text))
            body.append(f'<h{level} id="{slug(text)}">{text}</h{level}>')
            index += 1
            continue
        block, index = next(found for reader in _BLOCK_READERS if (found := reader(lines, index)))
        body.append(block)
    page_title = html.escape(title or first_heading or "User guide")
    return ("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{page_title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


# Each block reader takes the lines and the index of a block's first line: (its HTML, the index after it), or None
# when the block there is not of its kind. convert() tries them in order; a paragraph takes any line.
def _fenced_code(lines: list[str], index: int) -> tuple[str, int] | None:
    stripped = lines[index].strip()
    if not stripped.startswith("```"):
        return None
    language = stripped[3:].strip()
    code = []
    index += 1
    while index < len(lines) and not lines[index].strip().startswith("```"):
        code.append(lines[index])
        index += 1
    attribute = f' class="language-{html.escape(language)}"' if language else ""
    return f"<pre><code{attribute}>{html.escape(chr(10).join(code))}</code></pre>", index + 1  # after the fence


def _rule(lines: list[str], index: int) -> tuple[str, int] | None:
    return ("<hr>", index + 1) if _RULE.match(lines[index]) else None


def _table(lines: list[str], index: int) -> tuple[str, int] | None:
    line = lines[index]
    if not (line.strip().startswith("|") and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1])):
        return None
    header = _cells(line)
    index += 2
    rows = []
    while index < len(lines) and lines[index].strip().startswith("|"):
        rows.append(_cells(lines[index]))
        index += 1
    parts = ["<table>\n<tr>" + "".join(f"<th>{inline(cell)}</th>" for cell in header) + "</tr>"]
    parts += ["<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in row) + "</tr>" for row in rows]
    return "\n".join(parts + ["</table>"]), index


def _quote(lines: list[str], index: int) -> tuple[str, int] | None:
    if not lines[index].strip().startswith(">"):
        return None
    quoted = []
    while index < len(lines) and lines[index].strip().startswith(">"):
        quoted.append(lines[index].strip()[1:].lstrip())
        index += 1
    return f"<blockquote>{convert_fragment(chr(10).join(quoted))}</blockquote>", index


def _list_block(lines: list[str], index: int) -> tuple[str, int] | None:
    if not _LIST_ITEM.match(lines[index]):
        return None
    block = []
    while index < len(lines) and (lines[index].strip() and (
            _LIST_ITEM.match(lines[index]) or lines[index].startswith((" ", "\t")))):
        block.append(lines[index])
        index += 1
    return _list(block), index


def _paragraph(lines: list[str], index: int) -> tuple[str, int]:
    paragraph = []
    while index < len(lines) and lines[index].strip() and not _starts_block(lines, index):
        paragraph.append(lines[index].strip())
        index += 1
    if not paragraph:  # a line that starts a block the readers above did not take: keep it as text
        paragraph.append(lines[index].strip())
        index += 1
    return f"<p>{inline(' '.join(paragraph))}</p>", index


_BLOCK_READERS = (_fenced_code, _rule, _table, _quote, _list_block, _paragraph)


def convert_fragment(markdown: str) -> str:
    """The body of convert() only (for block quotes)."""
    page = convert(markdown)
    return page[page.index("<body>\n") + 7 : page.index("\n</body>")]


def _starts_block(lines: list[str], index: int) -> bool:
    line = lines[index]
    stripped = line.strip()
    return bool(stripped.startswith(("```", "#", ">")) or _LIST_ITEM.match(line)
                or (stripped.startswith("|") and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1])))


def _list(block: list[str]) -> str:
    """Nested lists from their indentation; lines indented under an item continue it."""
    items: list[tuple[int, bool, list[str]]] = []  # (indent, ordered, text lines)
    for line in block:
        match = _LIST_ITEM.match(line)
        if match:
            items.append((len(match.group(1).expandtabs(4)), match.group(2)[0].isdigit(), [match.group(3)]))
        elif items:
            items[-1][2].append(line.strip())
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (indent, tag) of the open lists
    for indent, ordered, text in items:
        tag = "ol" if ordered else "ul"
        while stack and indent < stack[-1][0]:
            out.append(f"</li></{stack.pop()[1]}>")
        if stack and indent == stack[-1][0]:
            out.append("</li>")
        if not stack or indent > stack[-1][0]:
            stack.append((indent, tag))
            out.append(f"<{tag}>")
        out.append(f"<li>{inline(' '.join(text))}")
    while stack:
        out.append(f"</li></{stack.pop()[1]}>")
    return "".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    target.write_text(convert(source.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
