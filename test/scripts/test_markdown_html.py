"""The user guide as HTML for the Help button (issue 19, item 10): scripts/markdown_html.py on the real guide.

Before: the Help button opened docs/USER_GUIDE.md, which a browser shows as raw Markdown. The converter is the
standard library only (the plugin gains no dependency); the zip ships its output (test/qgis/test_package.py).
"""

from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser

from core.paths import USER_GUIDE, user_guide_url
from support.data import REPO_ROOT

_spec = importlib.util.spec_from_file_location("markdown_html", REPO_ROOT / "scripts" / "markdown_html.py")
markdown_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(markdown_html)


class Structure(HTMLParser):
    """Counts tags and checks that every element is closed in order."""

    VOID = {"img", "br", "hr", "meta"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.ids: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "img":
            self.images.append(attributes["src"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_the_real_guide_converts_to_well_formed_html():
    markdown = USER_GUIDE.read_text(encoding="utf-8")
    page = markdown_html.convert(markdown)
    parsed = Structure()
    parsed.feed(page)
    assert not parsed.errors and not parsed.stack, parsed.errors[:5]
    lines, outside, fenced = markdown.splitlines(), [], False
    for line in lines:
        fenced ^= line.strip().startswith("```")
        outside.append("" if fenced or line.strip().startswith("```") else line)
    headings = [line for line in outside if re.match(r"^#{1,6} ", line)]
    fences = sum(line.strip().startswith("```") for line in lines)
    table_rows = sum(line.strip().startswith("|") and not set(line.strip()) <= set("|-: ") for line in outside)
    assert sum(parsed.counts.get(f"h{level}", 0) for level in range(1, 7)) == len(headings)
    assert parsed.counts["pre"] == fences // 2 and parsed.counts["tr"] == table_rows
    assert len(set(parsed.ids)) == len(parsed.ids) == len(headings)  # anchors for links into the guide
    assert parsed.images and all((USER_GUIDE.parent / src).is_file() for src in parsed.images)
    text = "".join(parsed.text)
    assert "**" not in text and "](" not in text  # no Markdown left over in the text
    assert "<title>User guide: HSE &amp; LCZ Mapper for QGIS</title>" in page


def test_inline_and_block_markdown():
    page = markdown_html.convert(
        "# Title\n\nA **bold** and *em* word with `a <b> | c` code, a [link](x.html) and ![alt](i.png).\n\n"
        "| A | B \\| C |\n|---|---|\n| `x\\|y` | 2 |\n\n"
        "- one\n  - nested\n- two\n  continued\n\n1. first\n2. second\n\n"
        "```bash\necho <hi> && ls\n```\n\n> quoted *text*\n")
    assert '<h1 id="title">Title</h1>' in page
    assert "<strong>bold</strong> and <em>em</em>" in page and "<code>a &lt;b&gt; | c</code>" in page
    assert '<a href="x.html">link</a>' in page and '<img src="i.png" alt="alt">' in page
    assert "<tr><th>A</th><th>B | C</th></tr>" in page and "<tr><td><code>x|y</code></td><td>2</td></tr>" in page
    assert "<ul><li>one<ul><li>nested</li></ul></li><li>two continued</li></ul>" in page
    assert "<ol><li>first</li><li>second</li></ol>" in page
    assert '<pre><code class="language-bash">echo &lt;hi&gt; &amp;&amp; ls</code></pre>' in page
    assert "<blockquote><p>quoted <em>text</em></p></blockquote>" in page


def test_the_help_url_is_the_html_guide_where_it_exists(tmp_path):
    (tmp_path / "USER_GUIDE.md").write_text("# Guide\n", encoding="utf-8")
    assert user_guide_url(tmp_path).endswith("/USER_GUIDE.md")
    assert markdown_html.main([str(tmp_path / "USER_GUIDE.md"), str(tmp_path / "USER_GUIDE.html")]) == 0
    assert user_guide_url(tmp_path) == (tmp_path / "USER_GUIDE.html").as_uri()
