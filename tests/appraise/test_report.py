"""The HTML report of an appraisal in both languages, with hostile text escaped."""

from __future__ import annotations

import pytest

from reforge.appraise.report import appraisal_report

HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize("lang, words", [
    ("en", ["Appraisal: bearing", "Proposed panel", "Kendall", "conflict of interest"]),
    ("zh", ["评审报告：bearing", "建议评审组", "肯德尔协调系数", "利益冲突", "下游整机用户"]),
])
def test_report_in_both_languages(adb, tmp_path, lang, words):
    from tests.appraise.conftest import OTHER
    adb.execute("UPDATE experts SET uscc = (SELECT uscc FROM appraisals WHERE appraisal_id = 'AP1') "
                "WHERE expert_id = 'E3'")
    adb.execute("UPDATE appraisals SET title = ? WHERE appraisal_id = 'AP3'", [HOSTILE])
    out = tmp_path / f"r_{lang}.html"
    text = appraisal_report(adb, "AP1", lang, out)
    assert out.read_text(encoding="utf-8") == text
    for w in words:
        assert w in text, w
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("data:image/png;base64,") == 1
    assert "appraise." not in text.replace("reforge.appraise", "")  # no untranslated code
    assert OTHER  # the fixture's other firm exists (E1 works there)


def test_report_of_an_appraisal_without_judgments_says_why(adb):
    text = appraisal_report(adb, "AP3", "en")
    assert "no pairwise judgments" in text
