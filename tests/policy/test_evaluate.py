"""Programme evaluation on the demo province: the planted Little Giant effect is recovered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.policy import evaluate
from reforge.policy.programme import within

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    from reforge.demo.load import build_demo
    db = tmp_path_factory.mktemp("policy_demo") / "demo.duckdb"
    build_demo(db, n_firms=2000, seed=7)
    return db


@pytest.fixture(scope="module")
def result(demo_db, tmp_path_factory):
    report = tmp_path_factory.mktemp("policy_report") / "lg.html"
    with DuckDBEngine(demo_db, read_only=True) as e:
        return evaluate(e, programme="little_giant", outcomes=["rd_intensity", "revenue_growth"], by="ownership",
                        report=report, bootstrap=299, seed=3)


def test_recovers_planted_effect(result):
    from reforge.demo.generate import PLANTED
    truth = PLANTED["little_giant_effect"]
    assert truth["first_effect_year_offset"] == 1 == result["lag"]
    for row in result["summary"]:
        assert within(row["att"], row["se"], truth[row["outcome"]]), row
        assert row["pretest_p"] > 0.05, row
    # the event-time effects after onset are each compatible with the constant planted effect
    dyn = result["outcomes"]["rd_intensity"]["aggregate"]["dynamic"]
    crit = dyn["crit"]
    for b in dyn["by"]:
        target = truth["rd_intensity"] if b["e"] >= 0 else 0.0
        assert abs(b["att"] - target) <= crit * b["se"], b


def test_report_and_json(result):
    html = Path(result["report"]).read_text(encoding="utf-8")
    for part in ("dynamic effects with bands", "Pre-trend Wald test", "two-way fixed effects", "Subgroup effects by ownership",
                 "What the evidence does and does not show", "<img"):
        assert part in html
    json.dumps(result)  # JSON-able
    sub = {r["subgroup"]: r for r in result["outcomes"]["rd_intensity"]["subgroups"]}
    assert sub["private"]["att"] is not None


def test_bad_programme_and_outcome(demo_db):
    with DuckDBEngine(demo_db, read_only=True) as e:
        with pytest.raises(ReforgeError, match="unknown programme 'nope'; available: .*little_giant"):
            evaluate(e, programme="nope")
        with pytest.raises(ReforgeError, match="unknown outcome 'zzz'"):
            evaluate(e, outcomes=["zzz"])
        with pytest.raises(ReforgeError, match="unknown subgroup 'colour'"):
            evaluate(e, by="colour")


def test_cli_evaluate(demo_db, tmp_path):
    out = subprocess.run([str(Path(sys.executable).parent / "reforge"), "policy", "evaluate", "--programme",
                          "little_giant", "--outcomes", "rd_intensity", "--bootstrap", "0", "--db", str(demo_db),
                          "--format", "json"], capture_output=True, text=True, check=True)
    d = json.loads(out.stdout)
    assert d["summary"][0]["outcome"] == "rd_intensity"
