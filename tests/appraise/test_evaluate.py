"""Entry points on a real DuckDB file: judgments in, group weights and rankings out."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.appraise import criteria_weights, decision_matrix, rank_appraisals, submit_judgments
from reforge.errors import DataMissing, InvalidInput, NotFound


def test_group_weights_by_hand(adb):
    r = criteria_weights(adb, ["AP1"])
    # voices: E1 downstream 2, E2 and E3 academic 1 each -> 0.5, 0.25, 0.25; E4 (CR >> 0.1) left out
    assert [(o.expert_id, o.status) for o in r.group.experts] == [
        ("E1", "used"), ("E2", "used"), ("E3", "used"), ("E4", "excluded")]
    assert [o.voice for o in r.group.experts] == pytest.approx([0.5, 0.25, 0.25, 0])
    g = np.sqrt(np.array([0.2, 0.2, 0.6]) * np.array([0.2, 0.6, 0.2]))  # market, novelty, reliability
    assert r.group.criteria == ["market", "novelty", "reliability"]
    assert np.allclose(r.group.weights, g / g.sum())
    d = r.to_dict()
    assert d["notes"][0]["code"] == "appraise.note.excluded_inconsistent" and d["notes"][0]["params"]["expert"] == "E4"
    assert r.model().weights["market"] == pytest.approx(0.2 / (0.2 + 2 * np.sqrt(0.12)))
    assert "E4" in r.summary() and list(r.to_frame().criterion) == r.group.criteria
    rep = criteria_weights(adb, ["AP1"], on_inconsistent="repair")
    assert rep.group.experts[3].status == "repaired" and rep.group.experts[3].cr_after <= 0.1


def test_downstream_voice_moves_the_ranking(adb):
    gaps = []
    for w in (0.25, 1, 2, 4, 16):
        r = rank_appraisals(adb, ["AP1", "AP2", "AP3"], role_weights={"downstream_user": w})
        s = dict(zip(r.table.appraisal_id, r.table.score, strict=True))
        gaps.append(s["AP2"] - s["AP1"])  # AP2 is the reliable one, which downstream users weigh up
    assert all(b > a for a, b in zip(gaps, gaps[1:], strict=False))
    assert gaps[0] < 0 < gaps[-1]
    top = rank_appraisals(adb, ["AP1", "AP2", "AP3"], role_weights={"downstream_user": 16}).table
    assert top.appraisal_id.iloc[0] == "AP2" and top["rank"].iloc[0] == 1


def test_decision_matrix_is_the_voice_weighted_mean(adb):
    adb.execute("UPDATE appraisal_scores SET score = 30 WHERE expert_id = 'E1' AND appraisal_id = 'AP3' "
                "AND criterion = 'market'")
    m = decision_matrix(adb, ["AP1", "AP2", "AP3"])
    # E1 (downstream, 2) says 30, E2, E3 (academic, 1) and E4 (key part, 2) say 60: (2*30 + 1*60*2 + 2*60) / 6
    assert m.loc["AP3", "market"] == pytest.approx((2 * 30 + 60 + 60 + 2 * 60) / 6)
    m = decision_matrix(adb, ["AP1", "AP2", "AP3"], role_weights={"downstream_user": 0})
    assert m.loc["AP3", "market"] == pytest.approx(60)


def test_objective_and_equal_weightings(adb):
    from reforge.appraise import entropy_weights, topsis, weighted_sum
    ids = ["AP1", "AP2", "AP3"]
    x = decision_matrix(adb, ids).to_numpy()
    r = rank_appraisals(adb, ids, weighting="entropy", method="weighted_sum")
    assert np.allclose(r.weights, entropy_weights(x))
    assert np.allclose(sorted(r.table.score), sorted(weighted_sum(x, entropy_weights(x))))
    r = rank_appraisals(adb, ids, weighting="equal")
    assert np.allclose(sorted(r.table.score), sorted(topsis(x, [1, 1, 1])))
    assert set(r.to_dict()["items"][0]["criteria"]) == {"market", "novelty", "reliability"}


def test_submit_judgments_validates_before_writing(adb):
    def count():
        return adb.fetch_scalar("SELECT count(*) FROM appraisal_judgments WHERE appraisal_id = 'AP2'")
    ok = submit_judgments(adb, "AP2", "E2", {("novelty", "reliability"): 3, ("novelty", "market"): 5,
                                            ("reliability", "market"): 2})
    assert count() == 3 and ok["consistent"] and ok["priorities"]["novelty"] > ok["priorities"]["market"]
    w = criteria_weights(adb, ["AP2"])
    assert w.group.weights[1] == pytest.approx(ok["priorities"]["novelty"])
    bad = [
        ({("novelty", "reliability"): 3, ("novelty", "market"): 5}, "appraise.judgment.incomplete"),
        ({("novelty", "reliability"): 30, ("novelty", "market"): 5, ("reliability", "market"): 2},
         "appraise.judgment.off_scale"),
        ({("novelty", "reliability"): "x", ("novelty", "market"): 5, ("reliability", "market"): 2},
         "appraise.judgment.off_scale"),
        ([("novelty", "reliability", 3), ("reliability", "novelty", 1 / 3), ("novelty", "market", 5)],
         "appraise.judgment.duplicate"),
        ({("novelty", "'; DROP TABLE experts; --"): 3}, "appraise.judgment.bad_pair"),
    ]
    for pairs, code in bad:
        with pytest.raises(InvalidInput) as e:
            submit_judgments(adb, "AP2", "E3", pairs)
        assert e.value.code == code
    with pytest.raises(NotFound):
        submit_judgments(adb, "AP2' OR '1'='1", "E3", {})
    with pytest.raises(NotFound):
        submit_judgments(adb, "AP2", "nobody", {})
    assert count() == 3 and adb.fetch_scalar("SELECT count(*) FROM experts") == 4


def test_bad_batches_and_options(adb):
    with pytest.raises(NotFound):
        rank_appraisals(adb, ["AP1", "nope"])
    with pytest.raises(DataMissing):
        rank_appraisals(adb, kind="first_set")
    with pytest.raises(DataMissing) as e:
        criteria_weights(adb, ["AP3"])
    assert e.value.code == "appraise.data.no_judgments"
    for kw in ({"method": "vikor?"}, {"weighting": "astrology"}):
        with pytest.raises(InvalidInput):
            rank_appraisals(adb, ["AP1", "AP2"], **kw)


def test_old_database_gains_the_new_columns_and_table(tmp_path):
    import duckdb

    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path / "old.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
    con = duckdb.connect(str(path))  # make it look like a file written before the change
    con.execute("DROP TABLE appraisal_judgments")
    con.execute("ALTER TABLE experts DROP COLUMN role")
    con.execute("ALTER TABLE experts DROP COLUMN uscc")
    con.execute("INSERT INTO experts (expert_id, name, weight) VALUES ('OLD', 'old expert', 1.5)")
    con.close()
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        assert {"role", "uscc"} <= set(e.columns("experts")) and e.table_exists("appraisal_judgments")
        assert e.fetch_df("SELECT expert_id, weight, role FROM experts").to_dict("records") == [
            {"expert_id": "OLD", "weight": 1.5, "role": None}]


def test_vikor_ranking_and_agreement(adb):
    from reforge.appraise import kendall_w, vikor
    ids = ["AP1", "AP2", "AP3"]
    r = rank_appraisals(adb, ids, method="vikor", weighting="equal")
    x = decision_matrix(adb, ids).to_numpy()
    q = dict(zip(ids, vikor(x, [1, 1, 1])[2], strict=True))
    assert dict(zip(r.table.appraisal_id, r.table.score, strict=True)) == pytest.approx(q)
    assert r.table.appraisal_id.iloc[0] == min(q, key=q.get) and r.table["rank"].iloc[0] == 1
    assert r.kendall_w == pytest.approx(1.0) and r.n_raters == 4  # the fixture's experts agree fully
    adb.execute("UPDATE appraisal_scores SET score = 100 - score WHERE expert_id = 'E3'")
    r = rank_appraisals(adb, ids, weighting="equal")
    tot = {"AP1": 220, "AP2": 220, "AP3": 210}  # equal weights: per-expert totals / 3 rank the same
    flip = {k: 300 - v for k, v in tot.items()}
    per = np.array([[tot[a] for a in ids]] * 3 + [[flip[a] for a in ids]])
    assert r.kendall_w == pytest.approx(kendall_w(per)) and r.kendall_w < 1
    assert r.to_dict()["kendall_w"] == r.kendall_w


def test_discourse_share_of_downstream_users_rises_with_their_weight(adb):
    shares = [criteria_weights(adb, ["AP1"], role_weights={"downstream_user": w}).discourse["downstream_user"]["share"]
              for w in (0.5, 1, 2, 4, 8)]
    assert all(b > a for a, b in zip(shares, shares[1:], strict=False)), shares
    d = criteria_weights(adb, ["AP1"]).to_dict()["discourse"]
    assert set(d) == {"academic", "downstream_user", "key_part_expert"}
    assert d["key_part_expert"]["change"] == 0  # E4 is excluded (inconsistent): leaving it out changes nothing


def test_ranking_carries_its_sensitivity(adb):
    from reforge.appraise.sensitivity import switch_points
    ids = ["AP1", "AP2", "AP3"]
    r = rank_appraisals(adb, ids, method="weighted_sum", weighting="equal")
    x = decision_matrix(adb, ids).to_numpy()
    ref = switch_points(x, [1 / 3] * 3, method="weighted_sum")
    got = r.to_dict()["sensitivity"]
    assert [p["below"] for p in got["switch_points"]] == [p["below"] for p in ref]
    assert [p["criterion"] for p in got["switch_points"]] == ["market", "novelty", "reliability"]
    assert 0 <= got["top_kept"] <= 1 and r.model().sensitivity["top_kept"] == got["top_kept"]


def test_contrarian_expert_is_noted_as_outlier(adb):
    adb.execute("UPDATE appraisal_scores SET score = 100 - score WHERE expert_id = 'E3'")
    r = rank_appraisals(adb, ["AP1", "AP2", "AP3"], weighting="equal")
    out = [n for n in r.notes if n.code == "appraise.note.outlier"]
    assert [n.params["expert"] for n in out] == ["E3"] and out[0].params["rho"] < 0


def test_role_weight_at_which_the_top_changes(adb):
    from reforge.appraise.whatif import role_switch_points
    ids = ["AP1", "AP2", "AP3"]
    # the downstream user alone rates AP2 far above AP1 and AP3: with enough voice AP2 comes first
    adb.execute("UPDATE appraisal_scores SET score = 100 WHERE expert_id = 'E1' AND appraisal_id = 'AP2'")
    adb.execute("UPDATE appraisal_scores SET score = 10 WHERE expert_id = 'E1' AND appraisal_id IN ('AP1', 'AP3')")
    adb.execute("UPDATE appraisal_scores SET score = score + 10 WHERE expert_id <> 'E1' AND appraisal_id = 'AP1'")
    res = role_switch_points(adb, ids, role="downstream_user", weighting="equal", method="weighted_sum")
    # brute force over the full rankings: the top is stable between the switch points and flips past them
    def top(w):
        t = rank_appraisals(adb, ids, method="weighted_sum", weighting="equal", role_weights={"downstream_user": w}).table
        return t.appraisal_id.iloc[0]
    assert res["weight"] == 2.0 and res["top"] == top(2.0)
    flips = [k for k in ("below", "above") if res[k] is not None]
    assert flips
    for k in flips:
        edge = res[k]
        assert top(edge) == res[f"top_{k}"] != res["top"]
        assert top(edge * (1.001 if k == "below" else 0.999)) == res["top"]
    with pytest.raises(InvalidInput):
        role_switch_points(adb, ids, role="astrologer")
