"""Shares exactly at the loss threshold are decided exactly (issue 14, finding 1), on both engines.

3,000 buyers each buy one item from three suppliers worth a, b and a + b (random cent
values): two Japanese suppliers (a, b) and one domestic firm ``SC`` (a + b). Removing
Japan takes exactly 50 % of every buyer's purchases; removing ``SC`` alone too. "More
than 0.5" disrupts nobody. In floating point, a + b + (a + b) and the lost a + b round
differently for some buyers, which used to disrupt dozens (by Japan) and hundreds (by SC).
A control group of 40 buyers gets one more cent from ``SC`` (just over 50 %), so the
exact comparison must also say yes where the answer is yes.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from reforge.chain import simulate, single_points_of_failure
from reforge.chain.cascade import threshold_fraction
from tests.chain.reference import cascade_reference, network_tables
from tests.conftest import put_tables

N_TIE, N_CONTROL = 3000, 40


def tie_links(seed: int = 14) -> pd.DataFrame:
    """supply_links rows (year 2024) of the tie network; values are whole cents in CNY."""
    rng = random.Random(seed)
    rows = []
    for k in range(N_TIE + N_CONTROL):
        a, b = rng.randint(1, 10**9), rng.randint(1, 10**9)  # cents
        c = a + b + (1 if k >= N_TIE else 0)
        buyer = f"B{k:05d}"
        rows += [("F1", "foreign", buyer, "I", 2024, a / 100), ("F2", "foreign", buyer, "I", 2024, b / 100),
                 ("SC", "enterprise", buyer, "I", 2024, c / 100)]
    return pd.DataFrame(rows, columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])


def _floats_disagree(links: pd.DataFrame) -> tuple[int, int]:
    """How many tie buyers a float share (left-to-right sums) would wrongly call > 0.5."""
    by_japan = by_sc = 0
    for _b, g in links[links.buyer_uscc < f"B{N_TIE:05d}"].groupby("buyer_uscc"):
        a, b, c = g.sort_values("supplier_id")["value"].tolist()
        total = a + b + c
        by_japan += (a + b) / total > 0.5
        by_sc += c / total > 0.5
    return by_japan, by_sc


def test_the_network_is_a_float_trap():
    """The data would break a float comparison (else the tests below could not fail)."""
    by_japan, by_sc = _floats_disagree(tie_links())
    assert by_japan + by_sc > 20


def test_threshold_fraction_reads_decimals():
    assert threshold_fraction(0.5) == pytest.approx(0.5) and threshold_fraction(0.5).denominator == 2
    assert (threshold_fraction(0.3).numerator, threshold_fraction(0.3).denominator) == (3, 10)
    assert threshold_fraction(1 - 1e-9).denominator == 10**9


def test_exact_ties_simulate(any_engine):
    links = tie_links()
    tables = network_tables(links)
    tables["foreign_suppliers"]["country"] = "JP"
    put_tables(any_engine, tables)
    r = simulate(any_engine, remove_country="JP", loss_threshold=0.5)
    assert r.removed == ["F1", "F2"] and r.disrupted_firms_count == 0
    lost = links[links.supplier_id.isin(["F1", "F2"])]["value"]
    assert r.lost_value == pytest.approx(round(sum(round(v * 100) for v in lost)) / 100, abs=1e-6)
    r = simulate(any_engine, remove_firm="SC", loss_threshold=0.5)
    assert sorted(r.disrupted_firms) == [f"B{k:05d}" for k in range(N_TIE, N_TIE + N_CONTROL)]
    # just under the share: everybody over it falls
    r = simulate(any_engine, remove_firm="SC", loss_threshold=0.4999)
    assert r.disrupted_firms_count == N_TIE + N_CONTROL


def test_exact_ties_single_points(any_engine):
    tables = network_tables(tie_links())
    tables["foreign_suppliers"]["country"] = "JP"
    put_tables(any_engine, tables)
    s = single_points_of_failure(any_engine, loss_threshold=0.5)
    got = {r.firm_id: r.disrupted_count for r in s.to_frame().itertuples()}
    assert got == {"SC": N_CONTROL}  # neither F1 nor F2 holds more than half of anything
    assert s.candidates == 1 and s.firms_checked == 3


def test_reference_agrees_on_ties():
    """The independent reference (exact arithmetic too) gives the same answers."""
    links = tie_links()
    rows = list(links[["supplier_id", "buyer_uscc", "item_id", "value"]].itertuples(index=False, name=None))
    assert cascade_reference(rows, {"F1", "F2"}, 0.5)[0] == {}
    assert len(cascade_reference(rows, {"SC"}, 0.5)[0]) == N_CONTROL
