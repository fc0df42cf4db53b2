"""Flow matrices and the two-way index equal a pandas computation on random moves, on DuckDB and Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.research import personnel_flows
from reforge.research.need import need_by_field
from tests.conftest import put_tables

TYPES = ["university", "institute", "state_enterprise", "private_enterprise", "platform"]
INSIDE = {"university", "institute", "state_enterprise", "platform"}


def random_moves(n: int = 800, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    field = rng.choice(["f1", "f2", "f3", "kw_laser", None], size=n, p=[0.35, 0.3, 0.02, 0.23, 0.1])
    return pd.DataFrame({"move_id": [f"M{i}" for i in range(n)], "person_key": ["0" * 64] * n,
                         "from_type": rng.choice(TYPES, n), "to_type": rng.choice(TYPES, n),
                         "from_id": None, "to_id": None, "field": field,
                         "year": rng.integers(2019, 2024, n).astype("int32"),
                         "kind": rng.choice(["full_move", "secondment", "part_time", "dual_appointment"], n)})


def _reference(m: pd.DataFrame, year: int | None):
    if year is not None:
        m = m[m["year"] == year]
    t = m.assign(full=(m["kind"] == "full_move").astype(int)).groupby(["year", "from_type", "to_type"]) \
        .agg(moves=("move_id", "size"), full_moves=("full", "sum")).reset_index()
    f = m[m["field"].notna()]
    inn = (~f["from_type"].isin(INSIDE) & f["to_type"].isin(INSIDE)).astype(int)
    out = (f["from_type"].isin(INSIDE) & ~f["to_type"].isin(INSIDE)).astype(int)
    fl = f.assign(i=inn, o=out).groupby(["year", "field"]).agg(moves=("move_id", "size"), in_moves=("i", "sum"),
                                                                out_moves=("o", "sum")).reset_index()
    return t, fl


LABELS = pd.DataFrame({"chain_id": ["c", "c", "d"], "item_id": ["f3", "f1", "f3"], "name": ["F3", "F1", "F3"],
                       "name_zh": ["三", "一", "三"], "label": ["chokepoint", "weak", "blank"],
                       "weight": [0.9, 0.6, 1.0]})


def test_flow_matrices_equal_pandas(any_engine):
    """All years, on DuckDB and on Spark."""
    _check(any_engine, None)


def test_one_year_equals_pandas():
    """One year (the ``$year`` binding), on DuckDB."""
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(":memory:") as e:
        _check(e, 2021)


def _check(engine, year):
    m = random_moves()
    put_tables(engine, {"personnel_moves": m})
    res = personnel_flows(engine, year, labels=LABELS)
    t, fl = _reference(m, year)
    got_t = res.types.sort_values(["year", "from_type", "to_type"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_t[t.columns], t.astype({"moves": int, "full_moves": int, "year": int}),
                                  check_dtype=False)
    got_f = res.fields.sort_values(["year", "field"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_f[fl.columns], fl, check_dtype=False)
    # two-way index per year from the reference counts
    g = fl.groupby("year")[["in_moves", "out_moves"]].sum()
    for r in res.two_way.itertuples():
        i, o = g.loc[r.year, "in_moves"], g.loc[r.year, "out_moves"]
        assert r.in_moves == i and r.out_moves == o
        assert r.two_way == pytest.approx(2 * min(i, o) / (i + o))
        assert r.balance == pytest.approx((i - o) / (i + o))
    # the matrix pivot sums to all moves of the period
    assert int(res.matrix().to_numpy().sum()) == len(m if year is None else m[m["year"] == year])
    if year is None:
        # f3 is needed (blank in chain d) and thin: 2 % of moves against a median field
        tot = fl.groupby("field")["moves"].sum()
        thr = float(tot.median()) * 0.5
        row = res.need.set_index("field").loc["f3"]
        assert row["label"] == "blank" and row["moves"] == tot["f3"] and bool(row["thin"]) == (tot["f3"] < thr)
        assert bool(row["thin"]) and not bool(res.need.set_index("field").loc["f1", "thin"])
        assert res.thin_threshold == pytest.approx(thr)
        assert res.need.iloc[0]["field"] == "f3"


def test_need_by_field_takes_the_worst_label():
    n = need_by_field(LABELS).set_index("field")
    assert n.loc["f3", "label"] == "blank" and n.loc["f3", "need"] == 1.0 and n.loc["f3", "chains"] == ["c", "d"]
    assert n.loc["f1", "label"] == "weak"


def test_flow_did_recovers_a_planted_effect_exactly():
    """Moves into field k in year t = base_k + year_t + 3 x 1[t >= g_k] (no noise): ATT = 3."""
    from reforge.engine import DuckDBEngine
    from reforge.research import flow_did
    rows, plats, pf = [], [], []
    cohorts = [0, 2020, 2021, 2022, 2023]
    for k in range(30):
        g = cohorts[k % 5]
        if g:
            plats.append({"platform_id": f"P{k}", "name": f"P{k}", "kind": "testing", "founded_year": g})
            pf.append({"platform_id": f"P{k}", "field": f"f{k}", "service": "rd"})
        for t in range(2018, 2026):
            n = 2 + k % 3 + (t - 2018) % 2 + (3 if g and t >= g else 0)
            rows += [{"move_id": f"M{k}_{t}_{i}", "person_key": "0" * 64, "from_type": "university",
                      "to_type": "private_enterprise", "field": f"f{k}", "year": t, "kind": "full_move"}
                     for i in range(n)]
    with DuckDBEngine(":memory:") as e:
        put_tables(e, {"personnel_moves": pd.DataFrame(rows), "platforms": pd.DataFrame(plats),
                       "platform_fields": pd.DataFrame(pf)})
        d = flow_did(e).to_dict()
    assert d["aggregate"]["simple"]["att"] == pytest.approx(3.0, abs=1e-9)
    pre = [c for c in d["att_gt"] if c["time"] < c["group"]]
    post = [c for c in d["att_gt"] if c["time"] >= c["group"]]
    assert pre and all(abs(c["att"]) < 1e-9 for c in pre)
    assert post and all(c["att"] == pytest.approx(3.0, abs=1e-9) for c in post)
    assert d["n_units"] == 30
