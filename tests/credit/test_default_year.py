"""Default years come from the data's coverage, not its maximum (issue 19, finding 8): one stray
2030 row moves no default - credit, screening (API/dashboard services) and chain metrics."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from reforge.coverage import covered_years, default_year, year_counts
from reforge.errors import ReforgeError


def test_covered_years_rule():
    counts = {2015: 1140, 2020: 1736, 2024: 2000, 2025: 2000, 2030: 1}
    assert covered_years(counts) == [2015, 2020, 2024, 2025]  # >= half of the best year (2000)
    assert covered_years({2023: 10, 2024: 4}) == [2023]  # 40 % of the best year: not yet covered
    assert covered_years({2023: 10, 2024: 5}) == [2023, 2024]
    assert covered_years({}) == []


def test_default_year_on_a_table(duck):
    duck.register("enterprise_years", pd.DataFrame({"uscc": [f"U{i}" for i in range(6)] + ["U0"],
                                                    "year": [2022, 2022, 2023, 2023, 2023, 2024, 2030]}))
    assert year_counts(duck, "enterprise_years") == {2022: 2, 2023: 3, 2024: 1, 2030: 1}
    assert default_year(duck, "enterprise_years") == 2022 + 1  # 2024 holds 1 row of a best 3
    with pytest.raises(ReforgeError, match="no year coverage"):
        year_counts(duck, "users; DROP TABLE x")


@pytest.mark.slow
def test_one_future_row_moves_no_default(demo_db, tmp_path):
    from reforge.api import services
    from reforge.chain.metrics import resolve_year
    from reforge.credit.features import year_range
    from reforge.engine import DuckDBEngine
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    with DuckDBEngine(db) as e:
        before = (year_range(e), resolve_year(e, None), services.latest_data_year(e),
                  services._screen_year(e, None))
        assert before[0][1] < 2030 and before[1] < 2030
        u = e.fetch_scalar("SELECT MIN(uscc) FROM enterprise_years")
        e.execute(f"INSERT INTO enterprise_years (uscc, year, revenue) VALUES ('{u}', 2030, 1e308)")
        e.execute("INSERT INTO supply_links (supplier_id, supplier_type, buyer_uscc, item_id, year, value, basis) "
                  "SELECT supplier_id, supplier_type, buyer_uscc, item_id, 2030, value, basis FROM supply_links "
                  "LIMIT 1")
        assert e.fetch_scalar("SELECT MAX(year) FROM enterprise_years") == 2030
        after = (year_range(e), resolve_year(e, None), services.latest_data_year(e),
                 services._screen_year(e, None))
        assert after == before
        assert year_range(e, covered=False)[1] == 2030  # an explicit year may still ask for it
        assert resolve_year(e, 2030) == 2030
