"""The Reforge CSV layout and the balance checks: good input and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reforge.errors import ReforgeError
from reforge.sectors import analyze, check_balance, read_table
from reforge.sectors.table import IOTable

MB = """code,name,agr,man,final_demand,total_output
agr,Agriculture,150,500,350,1000
man,Manufacturing,200,100,1700,2000
value_added,,650,1400,,
compensation,,300,900,,
employment,,12,20,,
"""


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reforge_layout_roundtrip(tmp_path):
    t = read_table(write(tmp_path, MB))
    assert t.codes == ["agr", "man"] and t.names == ["Agriculture", "Manufacturing"]
    np.testing.assert_array_equal(t.Z, [[150, 500], [200, 100]])
    np.testing.assert_array_equal(t.x, [1000, 2000])
    np.testing.assert_array_equal(t.value_added, [650, 1400])
    np.testing.assert_array_equal(t.compensation, [300, 900])
    np.testing.assert_array_equal(t.employment, [12, 20])
    check_balance(t, rtol=1e-12)
    out = analyze(t)
    assert out["n"] == 2


def test_total_output_optional_and_several_fd_columns(tmp_path):
    t = read_table(write(tmp_path, "code,a,b,households,exports\na,1,2,3,4\nb,0,5,1,1\n"))
    np.testing.assert_array_equal(t.x, [10, 7])
    assert t.fd_codes == ["households", "exports"]
    assert t.fd("exports").tolist() == [4, 1]


def test_noncompetitive_block(tmp_path):
    text = "code,a,b,fd,total_output\na,1,2,7,10\nb,0,5,5,10\nM:a,1,0,0,\nM:b,0,1,0,\nvalue_added,8,2,,\n"
    t = read_table(write(tmp_path, text))
    assert t.noncompetitive and t.Zm.tolist() == [[1, 0], [0, 1]]
    check_balance(t, rtol=1e-12)


@pytest.mark.parametrize("text, message", [
    ("code,a,b,fd\na,1,-2,3\nb,0,5,1\n", r"negative intermediate flow -2 from sector 'a' to sector 'b'"),
    ("code,a,b,fd,total_output\na,1,2,3,7\nb,0,5,1,9\n",
     r"row balance fails for sector 'b': intermediate use \+ final demand = 6 but total output = 9 \(gap -3"),
    ("code,a,b,fd\na,1,2,3\nb,0,5,1\nvalue_added,1,1\n",
     r"column balance fails for sector 'a': intermediate inputs \+ primary inputs = 2 but total output = 6 \(gap -4"),
    ("code,a,b,fd\na,1,x,3\nb,0,5,1\n", r"non-numeric value 'x' at row 'a', column 'b'"),
    ("code,b,a,fd\na,1,2,3\nb,0,5,1\n", r"first data column 'b' is not the first row code 'a'"),
    ("code,a,b,fd\na,1,2,3\nb,0,5,1\nprofit,1,1,\n", r"unknown row 'profit'"),
    ("code,a,b\na,1,2\nb,0,5\n", r"no final-demand column"),
    ("code,a,b,fd\na,1,2,3\na,0,5,1\n", r"row code 'a' appears twice"),
    ("code,a,b,fd,total_output\na,1,2,3,6\nb,0,5,-6,-1\n", r"negative total output -1 for sector 'b'"),
    ("code,a,b,fd\na,1,2,3\nb,0,5,1\nM:a,1,0,0\n", r"imported-use block incomplete, missing row 'M:b'"),
])
def test_bad_tables_have_clear_errors(tmp_path, text, message):
    with pytest.raises(ReforgeError, match=message):
        check_balance(read_table(write(tmp_path, text)))


def test_nan_and_duplicates_in_memory():
    t = IOTable(["a", "b"], [[1, np.nan], [0, 1]], [[1], [1]], ["fd"], [3, 2])
    with pytest.raises(ReforgeError, match="missing/non-finite value at row 1, column 2"):
        check_balance(t)
    t = IOTable(["a", "a"], [[1, 0], [0, 1]], [[1], [1]], ["fd"], [2, 2])
    with pytest.raises(ReforgeError, match="duplicate sector codes: a"):
        check_balance(t)
    t = IOTable([], np.zeros((0, 0)), np.zeros((0, 1)), ["fd"], [])
    with pytest.raises(ReforgeError, match="no sectors"):
        check_balance(t)


def test_zero_output_with_inputs_rejected():
    t = IOTable(["a", "b"], [[1, 1], [0, 0]], [[-1], [0]], ["fd"], [1, 0])
    with pytest.raises(ReforgeError, match="sector 'b' has zero total output but buys intermediate inputs"):
        check_balance(t)


def test_missing_file_and_bad_forward(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ReforgeError, match="forward must be 'ghosh' or 'leontief'"):
        analyze(read_table(write(tmp_path, MB)), forward="both")


def test_not_productive_table_rejected(tmp_path):
    # a sector that only sells to itself with no final demand and no value added: I − A singular
    t = IOTable(["a", "b"], [[5, 0], [0, 1]], [[0], [1]], ["fd"], [5, 2])
    with pytest.raises(ReforgeError, match="singular or not productive"):
        analyze(t)


def test_type_ii_columns_from_households(tmp_path):
    from reforge.sectors import analyze_table, io
    text = ("code,a,b,households,exports,total_output\na,150,500,200,150,1000\nb,200,100,900,800,2000\n"
            "value_added,650,1400,,,\ncompensation,400,700,,,\n")
    t = read_table(write(tmp_path, text))
    f = analyze_table(t).frame
    A = io.calc_A(t.Z, t.x)
    ref = io.type_ii_multipliers(A, np.array([0.4, 0.35]), np.array([200.0, 900.0]) / 1100.0)
    np.testing.assert_allclose(f["output_multiplier_ii"], ref["output"], rtol=1e-12)
    np.testing.assert_allclose(f["income_multiplier_ii"], ref["income"], rtol=1e-12)
