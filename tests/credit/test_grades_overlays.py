"""Grade scale cut-offs and every overlay rule, on hand-made firms (pandas and SQL)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from reforge.credit.grades import GradeScale, grade_rank_of_score, load_grades, score_cutoffs
from reforge.credit.overlays import OverlaySet, apply_overlays, load_overlays, overlay_sql
from tests.conftest import put_tables


def test_packaged_scale_has_nine_grades():
    s = load_grades()
    assert s.names == ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
    assert s.rank("AAA") == 1 and s.rank("C") == 9
    with pytest.raises(ValueError, match="unknown grade 'D'"):
        s.rank("D")


def test_cutoffs_bracket_pd_bands():
    s = load_grades()
    a, b = 17.0, -0.036  # logit(pd) = a + b * score
    cut = score_cutoffs(s, a, b)
    assert cut == sorted(cut, reverse=True)
    pd_ = lambda x: 1 / (1 + math.exp(-(a + b * x)))  # noqa: E731
    for c, g in zip(cut, s.grades, strict=False):
        assert pd_(c) <= g.pd_max < pd_(c - 1)
    # by hand: AAA needs pd <= 0.0025: score >= (ln(0.0025/0.9975) - 17) / -0.036 = 638.5... -> 639
    assert cut[0] == 639
    assert grade_rank_of_score(639, cut) == 1 and grade_rank_of_score(638, cut) == 2
    assert grade_rank_of_score(-10_000, cut) == 9
    with pytest.raises(ValueError, match="slope must be negative"):
        score_cutoffs(s, 1.0, 0.1)


def test_scale_validation():
    with pytest.raises(ValidationError, match="must increase"):
        GradeScale.model_validate({"version": "x", "source": "y",
                                   "grades": [{"grade": "A", "pd_max": 0.5}, {"grade": "B", "pd_max": 0.4},
                                              {"grade": "C", "pd_max": 1.0}]})
    with pytest.raises(ValidationError, match="pd_max 1.0"):
        GradeScale.model_validate({"version": "x", "source": "y",
                                   "grades": [{"grade": "A", "pd_max": 0.1}, {"grade": "B", "pd_max": 0.4}]})


def _firms() -> pd.DataFrame:
    """Hand-made firms, all with the best statistical grade (rank 1) unless noted."""
    base = {"serious_dishonesty": 0.0, "tax_rating": "A", "dishonest_debtor": 0.0, "abnormal_operation": 0.0,
            "fraud_3y": 0.0, "major_incident_3y": 0.0}
    rows = [
        ("clean", {}, 1),
        ("serious", {"serious_dishonesty": 1.0}, 1),
        ("tax_d", {"tax_rating": "D"}, 1),
        ("tax_c", {"tax_rating": "C"}, 1),
        ("tax_missing", {"tax_rating": None}, 1),
        ("debtor", {"dishonest_debtor": 1.0}, 1),
        ("abnormal", {"abnormal_operation": 1.0}, 1),
        ("fraud", {"fraud_3y": 2.0}, 1),
        ("incident", {"major_incident_3y": 1.0}, 1),
        ("tax_d_already_cc", {"tax_rating": "D"}, 8),
        ("serious_and_debtor", {"serious_dishonesty": 1.0, "dishonest_debtor": 1.0}, 2),
    ]
    df = pd.DataFrame([{"uscc": u, **base, **over, "grade_rank": r} for u, over, r in rows])
    return df


EXPECTED = {"clean": "AAA", "serious": "C", "tax_d": "B", "tax_c": "AAA", "tax_missing": "AAA",
            "debtor": "CCC", "abnormal": "BB", "fraud": "CCC", "incident": "BBB",
            "tax_d_already_cc": "CC", "serious_and_debtor": "C"}


def test_every_overlay_rule_changes_the_grades_it_should():
    rules, scale = load_overlays(), load_grades()
    df = _firms()
    final, applied = apply_overlays(df["grade_rank"].to_numpy(), df, rules, scale)
    got = dict(zip(df["uscc"], np.array(scale.names)[final - 1], strict=True))
    assert got == EXPECTED
    by = dict(zip(df["uscc"], applied, strict=True))
    assert by["clean"] == [] and by["tax_c"] == []
    assert by["tax_d"] == ["latest tax credit rating D: grade capped at B (rule tax_rating_d)"]
    assert len(by["serious_and_debtor"]) == 2
    # every rule in the file is exercised by at least one firm whose grade it changed
    changed = {r.id for r in rules.rules}
    assert changed == {"serious_dishonesty", "tax_rating_d", "dishonest_debtor", "abnormal_operation",
                       "tax_evasion_or_fraud", "major_incident"}


def test_overlay_sql_equals_pandas(any_engine):
    rules, scale = load_overlays(), load_grades()
    df = _firms()
    put_tables(any_engine, {"ov_firms": df})
    out = any_engine.fetch_df(f"SELECT uscc, {overlay_sql(rules, scale, 'grade_rank')} AS r "
                              "FROM ov_firms ORDER BY uscc")
    got = dict(zip(out["uscc"], np.array(scale.names)[out["r"].to_numpy(int) - 1], strict=True))
    assert got == EXPECTED


@pytest.mark.parametrize("rule, msg", [
    ({"when": {"feature": "x", "op": "in", "value": 1}}, "needs a list"),
    ({"when": {"feature": "x", "op": "eq", "value": [1]}}, "single value"),
    ({"when": {"feature": "x", "op": "like", "value": 1}}, "op"),
    ({"action": "drop"}, "action"),
])
def test_overlay_validation(rule, msg):
    good = {"id": "r", "description": "d", "when": {"feature": "x", "op": "eq", "value": 1},
            "action": "cap", "grade": "B", "source": "s", "confidence": "C"}
    with pytest.raises(ValidationError, match=msg):
        OverlaySet.model_validate({"version": "1", "rules": [{**good, **rule}]})


def test_overlay_duplicate_ids_and_unknown_grade():
    r = {"id": "r", "description": "d", "when": {"feature": "x", "op": "eq", "value": 1},
         "action": "cap", "grade": "Z", "source": "s", "confidence": "C"}
    with pytest.raises(ValidationError, match="duplicate overlay ids"):
        OverlaySet.model_validate({"version": "1", "rules": [r, r]})
    with pytest.raises(ValueError, match="unknown grade 'Z'"):
        OverlaySet.model_validate({"version": "1", "rules": [r]}).check_grades(load_grades())


def test_overlay_feature_missing_from_table():
    rules, scale = load_overlays(), load_grades()
    with pytest.raises(ValueError, match="not in the feature table"):
        apply_overlays(np.array([1]), pd.DataFrame({"uscc": ["a"]}), rules, scale)
