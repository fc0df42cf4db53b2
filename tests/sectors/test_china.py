"""NBS China tables: load, balance, key sectors; the EPS domestic-inverse recipe; known inconsistencies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.errors import ReforgeError
from reforge.sectors import analyze_table, check_balance, io, read_table
from tests.conftest import FIXTURES

CN = FIXTURES / "sectors" / "io_china"


def test_china2012_loads_balances_and_ranks():
    t = read_table(CN / "china2012_io139_nbs.csv")
    assert t.n == 139 and t.codes[0] == "01001" and t.names_zh[-1] == "公共管理和社会组织"
    gaps = check_balance(t, rtol=1e-7)
    assert gaps["row"] < 1e-7 and gaps["column"] < 1e-9
    # Σ value added = 2012 GDP printed in SOURCE.md: 5,368,001,709 万元
    assert t.value_added.sum() == pytest.approx(5_368_001_709, rel=1e-9)
    kt = analyze_table(t).key_table()
    assert len(kt) == 139 and set(kt["class"]) <= {"key", "backward_oriented", "forward_oriented", "weak"}
    assert (kt["class"] == "key").sum() > 0
    assert kt["backward_linkage"].mean() == pytest.approx(1.0)
    # import shares of the competitive table are within 0-1
    m = analyze_table(t).frame["product_import_share"]
    assert m.between(0, 1).all()


def test_china2020_noncompetitive():
    t = read_table(CN / "china2020_io42_noncompetitive.csv")
    assert t.n == 42 and t.noncompetitive
    check_balance(t, rtol=1e-9)
    assert t.value_added.sum() == pytest.approx(10_164_220_012, rel=1e-9)  # SOURCE.md: 2020 GDP
    f = analyze_table(t).frame.set_index("code")
    # column sums of the domestic inverse printed in SOURCE.md
    np.testing.assert_allclose(f.loc[["S01", "S02", "S03", "S04", "S05", "S08", "S07", "S19"], "output_multiplier"],
                               [1.8306, 2.1056, 1.8168, 1.8245, 2.1879, 3.1120, 2.9874, 2.8875], atol=5e-5)
    # imported rows balance: Zm·1 + Ym·1 = imports column M
    raw = pd.read_csv(CN / "china2020_io42_noncompetitive.csv").set_index("row")
    M = raw.loc[[f"M{c[1:]}" for c in t.codes], "M"].to_numpy(float)
    np.testing.assert_allclose(t.Zm.sum(axis=1) + t.Ym.sum(axis=1), M, rtol=1e-9)
    assert f["import_content"].between(0, 1).all()
    assert f["input_import_share"].between(0, 1).all()


def test_eps_domestic_leontief_recipe():
    """The EPS spreadsheet's domestic inverse (an independent computation) from our functions."""
    d = pd.read_csv(CN / "china2020_io42_nbs_eps.csv").set_index("code")
    codes = list(d.index[: list(d.index).index("TII")])
    Z = d.loc[codes, codes].to_numpy(float)
    x = d.loc["TI", codes].to_numpy(float)
    m = io.import_share_competitive(d.loc[codes, "IM"], d.loc[codes, "TIU"], d.loc[codes, "TFU"], d.loc[codes, "EX"])
    L = io.calc_L(io.domestic_coefficients(io.calc_A(Z, x), m))
    ref = pd.read_csv(CN / "china2020_domestic_leontief_eps.csv").set_index("code").loc[codes, codes]
    assert np.max(np.abs(L - ref.to_numpy(float))) < 1e-9


def test_eps_table_fails_balance_with_clear_message():
    t = read_table(CN / "china2020_io42_nbs_eps.csv")
    with pytest.raises(ReforgeError, match=r"row balance fails for sector 'ISIC 17T18' \(造纸印刷和文教体育用品\).*gap"):
        check_balance(t)
