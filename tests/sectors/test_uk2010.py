"""ONS UK Input-Output Analytical Tables 2010 (127 products) against the ONS-published results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.sectors import analyze_table, check_balance, io, read_table
from tests.conftest import FIXTURES

UK = FIXTURES / "sectors" / "io_uk2010"


@pytest.fixture(scope="module")
def uk():
    return read_table(UK / "uk2010_iot_domestic_pxp.csv")


@pytest.fixture(scope="module")
def published():
    L = pd.read_csv(UK / "uk2010_leontief_inverse_published.csv", index_col=0, dtype={"uk_row": str})
    M = pd.read_csv(UK / "uk2010_multipliers_published.csv")
    return L, M


def test_reads_and_balances(uk):
    assert uk.n == 127 and uk.codes[:3] == ["01", "02", "03"] and uk.codes[-1] == "NPISH_96"
    assert uk.noncompetitive
    gaps = check_balance(uk, rtol=1e-8)  # ONS rounding: column gaps up to 6e-9
    assert gaps["row"] < 1e-12


def test_leontief_inverse_equals_published(uk, published):
    L_pub, _ = published
    L = io.calc_L(io.calc_A(uk.Z, uk.x))
    P = L_pub.loc[uk.codes, uk.codes].to_numpy(float)
    assert np.max(np.abs(L - P)) < 1e-9
    # the published 'Total' row holds the column sums
    np.testing.assert_allclose(L.sum(axis=0), L_pub.loc["Total", uk.codes].to_numpy(float), atol=1e-9)


def test_coefficients_equal_published(uk):
    C = pd.read_csv(UK / "uk2010_coefficients_published.csv", index_col=0, dtype={"uk_row": str})
    A = io.calc_A(uk.Z, uk.x)
    assert np.max(np.abs(A - C.loc[uk.codes, uk.codes].to_numpy(float))) < 1e-12


def test_multipliers_and_effects_equal_published(uk, published):
    _, M = published
    f = analyze_table(uk).frame
    assert np.max(np.abs(f["output_multiplier"] - M["Output multiplier"])) < 1e-9
    assert np.max(np.abs(f["gva_multiplier"] - M["GVA multiplier"])) < 1e-9
    assert np.max(np.abs(f["gva_effect"] - M["GVA effects"])) < 1e-9
    assert np.max(np.abs(f["income_effect"] - M["Employment cost effects"])) < 1e-9
    ok = M["Employment cost multiplier"].notna() & np.isfinite(M["Employment cost multiplier"])
    assert ok.sum() >= 125
    assert np.max(np.abs(f["income_multiplier"][ok] - M["Employment cost multiplier"][ok])) < 1e-9
    # spot values printed in SOURCE.md
    assert f["output_multiplier"].iloc[0] == pytest.approx(1.831171, abs=1e-6)
    assert f.loc[f["code"] == "10-5", "output_multiplier"].item() == pytest.approx(2.362658, abs=1e-6)


def test_import_structure_hand_check(uk):
    im = io.import_structure(uk.Z, uk.Zm, uk.x)
    j = uk.codes.index("29")  # motor vehicles
    Am = uk.Zm / np.where(uk.x == 0, 1, uk.x)[None, :]
    Ld = np.linalg.inv(np.eye(uk.n) - uk.Z / np.where(uk.x == 0, 1, uk.x)[None, :])
    assert im.import_content[j] == pytest.approx((Am @ Ld).sum(axis=0)[j], rel=1e-10)
    assert im.input_import_share[j] == pytest.approx(uk.Zm[:, j].sum() / (uk.Zm[:, j].sum() + uk.Z[:, j].sum()))


def test_factorised_path_equals_inverse_path(uk):
    a = analyze_table(uk).frame
    b = analyze_table(uk, extraction=False).frame
    for c in ("output_multiplier", "backward_linkage", "forward_linkage", "gva_effect", "gva_multiplier",
              "income_effect", "import_content"):
        np.testing.assert_allclose(b[c], a[c], rtol=1e-10, atol=1e-12)
    assert (a["class"] == b["class"]).all() and b["extraction_loss"].isna().all()
    # import content from the analysis equals the standalone function
    np.testing.assert_allclose(a["import_content"], io.import_structure(uk.Z, uk.Zm, uk.x).import_content,
                               rtol=1e-10)
