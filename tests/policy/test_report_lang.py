"""The programme-evaluation report in Chinese has no English sentence, in English no Chinese.

The evaluation runs on mpdta (R ``did`` data) loaded as a firm database: county = firm,
``revenue = exp(lemp)`` so the ``log_revenue`` outcome is ``lemp``, a designation granted one
year before ``first.treat`` (lag 1).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.policy import att_gt
from reforge.policy.programme import evaluate
from reforge.schema import ensure_schema
from tests.conftest import FIXTURES

MPDTA = FIXTURES / "policy" / "mpdta.csv"

# words allowed in a Chinese report: estimator and test names, units, symbols, column data
ALLOWED = {"ATT", "g", "t", "e", "p", "R", "did", "CS", "Wald", "Callaway", "Sant", "Anna", "Reforge", "UTC",
           "log_revenue", "mpdta_treat", "n", "a", "SE", "CI", "TWFE"}
WORD_RUN = re.compile(r"[A-Za-z][A-Za-z_'’\-]*(?:[\s,;:.()/\-–]+[A-Za-z][A-Za-z_'’\-]*){2,}")


def visible_text(page: str) -> str:
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)  # every element's text apart (table cells, list items)
    return html.unescape(page)


def english_runs(text: str) -> list[str]:
    """Runs of >= 3 ASCII words in one text node, after removing allowed words."""
    out = []
    for node in text.split("\n"):
        for m in WORD_RUN.finditer(node):
            words = re.findall(r"[A-Za-z][A-Za-z_]*", m.group(0))
            if sum(1 for w in words if w not in ALLOWED) >= 3:
                out.append(m.group(0))
    return out


@pytest.fixture(scope="module")
def mpdta_db(tmp_path_factory):
    df = pd.read_csv(MPDTA)
    path = tmp_path_factory.mktemp("mpdta") / "m.duckdb"
    firms = df.drop_duplicates("countyreal")
    ent = pd.DataFrame({"uscc": firms["countyreal"].astype(str), "name": "县" + firms["countyreal"].astype(str),
                        "province_code": "110000", "industry_code": "C"})
    ey = pd.DataFrame({"uscc": df["countyreal"].astype(str), "year": df["year"], "revenue": np.exp(df["lemp"])})
    tr = firms[firms["first.treat"] > 0]
    des = pd.DataFrame({"uscc": tr["countyreal"].astype(str), "kind": "mpdta_treat",
                        "granted_on": pd.to_datetime((tr["first.treat"] - 1).astype(str) + "-06-30").dt.date})
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        for name, frame in (("enterprises", ent), ("enterprise_years", ey), ("designations", des)):
            e.register("src", frame)
            cols = ", ".join(frame.columns)
            e.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM src")
            e.drop("src")
    return path


@pytest.fixture(scope="module")
def reports(mpdta_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    got = {}
    with DuckDBEngine(mpdta_db, read_only=True) as e:
        for lang in ("zh", "en"):
            ev = evaluate(e, programme="mpdta_treat", outcomes=["log_revenue"], control="never", lag=1,
                          bootstrap=0, report=out / f"{lang}.html", report_lang=lang)
            got[lang] = (ev, (out / f"{lang}.html").read_text(encoding="utf-8"))
    return got


def test_evaluation_on_mpdta_matches_att_gt_on_the_csv(reports):
    ev, _ = reports["en"]
    with DuckDBEngine(":memory:") as e:
        e.register("mpdta", pd.read_csv(MPDTA))
        ref = att_gt(e, "mpdta", unit="countyreal", time="year", group="first.treat", outcome="lemp")
        simple = ref.aggregate("simple")
    s = ev["outcomes"]["log_revenue"]["aggregate"]["simple"]
    assert s["att"] == pytest.approx(simple.att, abs=1e-10)
    assert s["se"] == pytest.approx(simple.se, rel=1e-8)
    assert round(s["att"], 4) == -0.04  # R did: aggte(type = "simple") on mpdta, never-treated
    out = ev["outcomes"]["log_revenue"]
    assert len(out["note_codes"]) == len(out["notes"])


def test_chinese_report_has_no_english_sentence(reports):
    _, page = reports["zh"]
    text = visible_text(page)
    assert "政策项目评估" in text and "摘要" in text and "事前趋势" in text
    assert english_runs(text) == []
    assert "<html lang='zh-CN'>" in page


def test_english_report_has_no_chinese(reports):
    _, page = reports["en"]
    text = visible_text(page)
    assert "Programme evaluation: mpdta_treat" in text
    assert "the average effect on treated firms after treatment is -0.0400" in text
    assert not re.search(r"[\u4e00-\u9fff]", text)


def test_the_check_itself_catches_english(reports):
    _, page = reports["zh"]
    bad = page.replace("<h2>摘要</h2>", "<h2>Summary of the evidence</h2>")
    assert english_runs(visible_text(bad)) == ["Summary of the evidence"]
    assert english_runs("事前趋势 p = 0.5，ATT(g,t) 与 TWFE") == []  # allowed names and symbols only


def test_cli_writes_the_report_in_the_language_asked(mpdta_db, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    exe = str(Path(sys.executable).parent / "reforge")
    args = [exe, "policy", "evaluate", "--programme", "mpdta_treat", "--outcomes", "log_revenue", "--control",
            "never", "--bootstrap", "0", "--db", str(mpdta_db), "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k != "REFORGE_LANG"}
    subprocess.run([*args, "--report", str(tmp_path / "zh.html"), "--lang", "zh"], env=env, check=True,
                   capture_output=True)
    subprocess.run([*args, "--report", str(tmp_path / "env.html")], env={**env, "REFORGE_LANG": "zh-CN"},
                   check=True, capture_output=True)
    for name in ("zh.html", "env.html"):
        text = visible_text((tmp_path / name).read_text(encoding="utf-8"))
        assert "政策项目评估" in text and english_runs(text) == []
    bad = subprocess.run([*args, "--report", str(tmp_path / "x.html"), "--lang", "fr"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown language 'fr'" in bad.stderr
    assert not (tmp_path / "x.html").exists()


def test_panel_notes_carry_codes_and_render_in_chinese():
    df = pd.read_csv(MPDTA)  # rows 0-4: county 8001 in 2003-2007; rows 5-6: county 8019 in 2003-2004
    df.loc[df.index[:7], "lemp"] = None
    with DuckDBEngine(":memory:") as e:
        e.register("m", df)
        notes = att_gt(e, "m", unit="countyreal", time="year", group="first.treat", outcome="lemp").notes
    assert [n.code for n in notes] == ["policy.note.dropped_missing", "policy.note.dropped_unbalanced"]
    assert notes[0] == "dropped 7 rows with missing values"  # the English text is unchanged
    assert notes[1].render("zh") == "已删除 1 个并非每期都有观测的单位（平衡面板）"  # 8019; 8001 has no row left
