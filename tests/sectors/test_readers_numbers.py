"""The Reforge CSV reader's number parsing: the C-parsed fast path and the cell-by-cell checks
give the same matrices as a plain ``csv``-module parse, and text cells are still refused."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from reforge.errors import ReforgeError
from reforge.sectors.readers import read_csv


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def _reference(path, n):
    """Brute force: the csv module, blank -> 0, float() of the stripped text."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    body = {r[0].strip(): r[2:] for r in rows[1:]}   # code, name, numbers…
    codes = rows[0][2:2 + n]
    num = lambda s: float(s.strip()) if s.strip() else 0.0  # noqa: E731
    Z = np.array([[num(v) for v in body[c][:n]] for c in codes])
    Y = np.array([[num(v) for v in body[c][n:]] for c in codes])
    va = np.array([num(v) for v in body["value_added"][:n]])
    return Z, Y, va


@pytest.mark.parametrize("blanks", [False, True])
def test_matrices_equal_a_plain_csv_parse(tmp_path, blanks):
    rng = np.random.default_rng(3)
    n = 40
    codes = [f"s{i:02d}" for i in range(n)]
    Z = np.round(rng.gamma(0.5, 10.0, (n, n)) * (rng.random((n, n)) < 0.4), 6)
    Y = np.round(rng.gamma(2.0, 100.0, (n, 2)), 3)
    va = Z.sum(axis=0) * 0.5 + 1.0

    def cell(v, i, j):
        if blanks and v == 0 and (i + j) % 3 == 0:
            return ""                     # blank cell = 0
        v = repr(float(v))
        return f" {v} " if (i * j) % 7 == 1 else v  # some padded with spaces

    rows = [["code", "name", *codes, "hh", "ex"]]
    for i, c in enumerate(codes):
        rows.append([c, "" if i == 3 else f"sector {i}", *[cell(Z[i, j], i, j) for j in range(n)],
                     *[repr(float(y)) for y in Y[i]]])
    rows.append(["value_added", "", *[repr(float(v)) for v in va], "", ""])
    p = tmp_path / "t.csv"
    _write(p, rows)
    t = read_csv(p)
    rZ, rY, rva = _reference(p, n)
    assert t.codes == codes
    np.testing.assert_array_equal(t.Z, rZ)
    np.testing.assert_array_equal(t.Y, rY)
    np.testing.assert_array_equal(t.inputs["value_added"][1], rva)
    assert t.names[3] == "" and t.names[4] == "sector 4"


@pytest.mark.parametrize("bad, shown", [("nan", "'nan'"), ("1,5x", "'1,5x'"), ("abc", "'abc'")])
def test_text_cells_are_refused_with_row_and_column(tmp_path, bad, shown):
    rows = [["code", "a", "b", "fd"], ["a", "1", "2", "3"], ["b", bad, "5", "1"], ["value_added", "1", "1", ""]]
    p = tmp_path / "t.csv"
    _write(p, rows)
    with pytest.raises(ReforgeError, match=rf"non-numeric value {shown} at row 'b', column 'a'"):
        read_csv(p)
