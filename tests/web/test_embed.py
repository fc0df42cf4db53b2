"""JSON embedded in pages (issue 19, finding 1), without a browser: the escaping function, the chart
macro as rendered, and an audit of the templates for unescaped output."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reforge.web.embed import escape_json_text, script_json

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "reforge" / "web" / "templates"
HOSTILE = ["</script><script>alert('xss-item')</script>", "<img src=x onerror=alert(1)>", "<!--<script>",
           "a & b", "it's", "line\u2028sep\u2029para", "</SCRIPT >", "工业机器人 </sCrIpT>"]


class ScriptData(HTMLParser):
    """Collects the text of each <script> element as an HTML parser (a browser's rules) sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._in = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data


@pytest.mark.parametrize("name", HOSTILE)
def test_script_json_cannot_end_the_element(name):
    obj = {"series": [{"name": name, "data": [1.5, None, float("nan")]}], "title": {"text": name}}
    text = str(script_json(obj))
    assert not re.search(r"[<>&'\u2028\u2029]", text)
    assert json.loads(text) == {"series": [{"name": name, "data": [1.5, None, None]}], "title": {"text": name}}
    p = ScriptData()
    p.feed(f'<div><script type="application/json" id="x">{text}</script><p>after</p></div>')
    assert p.scripts == [text] and p.tags == ["div", "script", "p"]


def test_plain_json_dumps_was_unsafe():
    """The reference the escaping is needed against: json.dumps leaves ``</script>`` as it is."""
    text = json.dumps({"name": HOSTILE[0]}, ensure_ascii=False)
    p = ScriptData()
    p.feed(f'<script type="application/json">{text}</script>')
    assert len(p.scripts) == 2  # the payload closed the data block and opened a script of its own


def test_escape_keeps_other_text():
    assert escape_json_text('{"a": "产业链 x"}') == '{"a": "产业链 x"}'
    assert escape_json_text('"<&>\'"') == '"\\u003c\\u0026\\u003e\\u0027"'


def test_chart_macro_renders_escaped_json():
    from reforge.web.pages import templates
    tpl = templates.env.from_string('{% from "_macros.html" import chart with context %}{{ chart("m", option) }}')
    html = tpl.render(option={"title": {"text": HOSTILE[0]}}, tojson=script_json)
    p = ScriptData()
    p.feed(html)
    assert len(p.scripts) == 1 and json.loads(p.scripts[0]) == {"title": {"text": HOSTILE[0]}}


def test_templates_have_no_unescaped_output():
    """No ``| safe``, ``autoescape false`` or ``Markup`` in any template: everything is escaped."""
    found = []
    for f in TEMPLATES.rglob("*.html"):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\|\s*safe\b|autoescape\s+false|Markup", line):
                found.append(f"{f.name}:{i}: {line.strip()}")
    assert found == []
