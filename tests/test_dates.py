"""The one as-of date parser (reforge.dates) and its three callers (research, match, loop)."""

from __future__ import annotations

import datetime as dt

import pytest

from reforge.dates import parse_as_of, today_utc
from reforge.errors import InvalidInput
from reforge.loop.projects import check_date
from reforge.match.rank import _as_of
from reforge.messages import render
from reforge.research.common import as_of_date

CALLERS = [(as_of_date, "research.bad_date"), (_as_of, "match.bad_date"), (check_date, "loop.projects.bad_date")]
BAD = ["2025-02-30", "2025-13-01", "30/06/2025", "2025-6-30", "20250630", "2025-W26-1", " 2025-06-30",
       "2025-06-30 ", "2025-06-30T00:00", "x' OR 1=1 --", "'; DROP TABLE enterprises; --", "2025\\06\\30",
       "2025-06-3\x00", "２０２５-０６-３０", "", "9" * 10_000]


def test_valid_dates_and_default_today_in_utc():
    assert parse_as_of("2024-02-29") == "2024-02-29"
    assert parse_as_of(dt.date(2025, 1, 2)) == "2025-01-02"
    assert parse_as_of(dt.datetime(2025, 1, 2, 23, 59)) == "2025-01-02"  # a datetime counts by its date
    want = dt.datetime.now(dt.UTC).date()
    got = dt.date.fromisoformat(parse_as_of(None))
    assert got in (want, dt.datetime.now(dt.UTC).date())  # (the day may turn between the two calls)
    assert today_utc() in (want, dt.datetime.now(dt.UTC).date())


@pytest.mark.parametrize("bad", BAD, ids=range(len(BAD)))
def test_bad_dates_raise_a_coded_error_with_the_parameter_name(bad):
    with pytest.raises(InvalidInput) as ei:
        parse_as_of(bad, "since")
    assert ei.value.code == "input.bad_date"
    assert ei.value.params == {"param": "since", "value": bad[:40]}
    assert "since" in str(ei.value) and len(str(ei.value)) < 120
    for lang in ("en", "zh"):
        text = render("input.bad_date", ei.value.params, lang)
        assert "since" in text and "YYYY-MM-DD" in text


@pytest.mark.parametrize(("fn", "code"), CALLERS, ids=[c for _f, c in CALLERS])
def test_the_three_callers_agree_and_keep_their_codes(fn, code):
    assert fn("2026-03-31") == "2026-03-31"
    assert fn(dt.date(2026, 3, 31)) == "2026-03-31"
    assert fn(None) == parse_as_of(None)
    for bad in BAD:
        with pytest.raises(InvalidInput) as ei:
            fn(bad)
        assert ei.value.code == code and ei.value.params["value"] == bad[:40]
