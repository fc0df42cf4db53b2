"""No module quotes or escapes SQL by hand: values are bound, names and rare constants go
through ``reforge.engine.sqlbuild`` (docs/architecture.md, contract point 3).

The test reads every Python file of ``src/reforge`` (``engine/sqlbuild.py``, the one builder,
excepted) and fails on the patterns hand-made quoting leaves behind. An entry of ``ALLOWED``
needs a stated reason.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "reforge"
BUILDER = SRC / "engine" / "sqlbuild.py"
SQL_WORD = re.compile(r"\b(SELECT|FROM|WHERE|WHEN|THEN|VALUES|INSERT|UPDATE|DELETE|LIKE|IN|AND|OR|SET|COPY|TO)\b")

PATTERNS: dict[str, re.Pattern[str]] = {
    "doubles single quotes": re.compile(r"""replace\(\s*(["'])'\1\s*,\s*(["'])''\2\s*\)"""),
    "doubles double quotes": re.compile(r"""replace\(\s*'"'\s*,\s*'""'\s*\)"""),
    "strips quotes": re.compile(r"""chr\(39\)|replace\(\s*"'"\s*,\s*(""|'')\s*\)"""),
    "quoting helper": re.compile(r"\bdef (_?q|_?quote\w*|_?lit|_?sql_lit|_?esc|_?sql_esc\w*|sql_str|str_lit)\("),
    "glues a quote": re.compile(r"""(["'])'\1\s*\+|\+\s*(["'])'\2"""),
    # a value between single quotes inside an f-string, on a line that reads as SQL
    "value in quotes": re.compile(r"'\{[^}]*\}'"),
}

# (path relative to src/reforge, pattern name): reason
ALLOWED: dict[tuple[str, str], str] = {
    ("report/export.py", "glues a quote"):
        "CSV/XLSX formula guard: a leading ' makes a spreadsheet show text as text; no SQL",
    ("api/headers.py", "glues a quote"): "a CSP hash source ('sha256-...') in an HTTP header; no SQL",
    ("policy/did/sql.py", "quoting helper"):
        "lit() writes finite floats as exact numeric literals (repr, parenthesised) into the influence "
        "projection; no strings",
}


def findings() -> list[tuple[str, int, str, str]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if path == BUILDER:
            continue
        rel = path.relative_to(SRC).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            for name, pat in PATTERNS.items():
                if not pat.search(code):
                    continue
                if name == "value in quotes" and not ('f"' in code or "f'" in code) or \
                        name == "value in quotes" and not SQL_WORD.search(code):
                    continue
                out.append((rel, n, name, line.strip()))
    return out


def test_no_hand_written_sql_quoting():
    bad = [f"{rel}:{n}: {name}: {text[:120]}" for rel, n, name, text in findings() if (rel, name) not in ALLOWED]
    assert not bad, "hand-written SQL quoting (bind the value, or use reforge.engine.sqlbuild):\n" + "\n".join(bad)


def test_every_allowance_has_a_reason():
    assert all(len(r) > 20 for r in ALLOWED.values())


def test_the_patterns_catch_what_they_are_for():
    samples = {
        "doubles single quotes": """x = "'" + s.replace("'", "''") + "'\"""",
        "doubles double quotes": """return '"' + name.replace('"', '""') + '"'""",
        "strips quotes": """where = f"p = '{p.replace(chr(39), '')}'\"""",
        "quoting helper": "def _q(s: str) -> str:",
        "glues a quote": """return "'" + s""",
        "value in quotes": """sql = f"SELECT * FROM t WHERE id = '{uid}'\"""",
    }
    for name, text in samples.items():
        assert PATTERNS[name].search(text), name
    assert not PATTERNS["quoting helper"].search("def double_lit(v: float) -> str:")
    assert not PATTERNS["value in quotes"].search('f"WHERE id = {literal(uid)}"')
