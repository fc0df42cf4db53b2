"""Benchmark: screen all tiers for N firms x 11 years (issue 4 target: N = 1,000,000, < 60 s).

Measures, in one run on the same random panel (``tests/firms/reference.random_panel``):

* reforge (DuckDB): features for all 11 screening years + the four tier queries
  (innovative SME, SRDI, Little Giant, Single Champion), results materialised;
* reforge, Little Giant 2022 alone, all 11 years;
* peer: the independent pandas implementation of the 2022 Little Giant conditions
  (``lg2022_reference``), looped over the same 11 years — ratio = peer / reforge;
* agreement of the Little Giant outcomes between the two.

Peak memory is the process's maximum resident set size (Python + DuckDB).

    python bench/firms_bench.py --firms 100000          # or FIRMS_BENCH_N=100000
    python bench/firms_bench.py --firms 1000000 --no-peer --batch 4 --memory-limit 10GB
                                   # panel generated inside DuckDB, features 4 screening years at a time

Result tables are materialised unordered with ``preserve_insertion_order = false``
(a table has no row order; every fetch in reforge orders explicitly).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.firms.reference import lg2022_reference, random_panel  # noqa: E402

from reforge.engine import DuckDBEngine  # noqa: E402
from reforge.firms.rules_model import TIERS, load_rules  # noqa: E402
from reforge.firms.screen import plan_tier, prepare_features, tier_sql  # noqa: E402


def sql_panel(e: DuckDBEngine, n: int, years: range, seed: float = 0.42) -> None:
    """Generate a random panel inside DuckDB (for large N, without a pandas copy).

    Same shape and roughly the same distributions as ``random_panel``.
    """
    y0, ny = years[0], len(years)
    e.execute(f"SELECT setseed({seed})")
    e.execute(f"""CREATE TABLE enterprises AS SELECT 'R' || lpad(CAST(i AS VARCHAR), 9, '0') AS uscc,
        ['320000', '510000', '110000'][1 + CAST(floor(random() * 3) AS INTEGER)] AS province_code,
        ['3484', '1310', '3911'][1 + CAST(floor(random() * 3) AS INTEGER)] AS industry_code,
        CASE WHEN random() < 0.8 THEN 'I_COMP' ELSE 'I_END' END AS main_item_id,
        random() < 0.6 AS strategic_emerging, random() < 0.9 AS key_chain_link, random() < 0.2 AS fills_gap,
        exp(ln(8e7) + 0.6 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) AS size,
        1.06 + 0.04 * (random() - 0.5) * 3.4 AS gr, 0.66 + 0.34 * random() AS share0,
        0.02 + 0.08 * random() AS rdi0, 12 * random() AS niche0, 0.06 + 0.24 * random() AS nshare0
        FROM range({n}) t(i)""")
    e.execute(f"""CREATE TABLE enterprise_years AS SELECT f.uscc, {y0} + k AS year,
        f.size * power(f.gr, k) * (1 + 0.03 * (random() - 0.5)) AS revenue,
        NULL::DOUBLE AS main_business_revenue, 0.0::DOUBLE AS net_profit, 0.0::DOUBLE AS total_assets,
        0.0::DOUBLE AS total_liabilities,
        0 AS employees, 0.0::DOUBLE AS rd_expense, 0 AS rd_staff,
        CAST(floor(random() * 8) AS INTEGER) AS class1_ip, CAST(floor(random() * 6) AS INTEGER) AS class2_ip,
        f.niche0 + k AS niche_years, least(1, greatest(0, f.nshare0 + 0.02 * (random() - 0.5))) AS niche_market_share,
        1 + CAST(floor(random() * 29) AS INTEGER) AS global_rank,
        CASE WHEN random() < 0.1 THEN 1e6 + 5.9e7 * random() ELSE 0 END AS new_equity,
        1 + CAST(floor(random() * 4) AS INTEGER) AS digital_level,
        ['none', 'lower', 'lower', 'city', 'provincial', 'national'][1 + CAST(floor(random() * 6) AS INTEGER)]
          AS rd_institution_level,
        random() < 0.95 AS info_system, random() < 0.95 AS mgmt_certified, random() < 0.95 AS own_brand,
        random() < 0.3 AS quality_award, random() < 0.3 AS drafted_standards,
        f.share0 AS share0, f.rdi0 AS rdi0
        FROM enterprises f CROSS JOIN range({ny}) r(k)""")
    e.execute("""UPDATE enterprise_years SET
        main_business_revenue = CASE WHEN random() < 0.01 THEN NULL ELSE revenue * least(1, share0 + 0.02 * (random() - 0.5)) END,
        net_profit = revenue * (0.06 + 0.04 * (random() - 0.5) * 3.4),
        total_assets = revenue * (0.8 + 0.7 * random()),
        employees = greatest(10, CAST(revenue / 5e5 AS INTEGER)),
        rd_expense = revenue * greatest(0, rdi0 + 0.005 * (random() - 0.5) * 3.4)""")
    e.execute("""UPDATE enterprise_years SET total_liabilities = total_assets * (0.35 + 0.3 * random()),
        rd_staff = CASE WHEN random() < 0.01 THEN NULL ELSE CAST(employees * 0.5 * random() AS INTEGER) END""")
    e.execute("ALTER TABLE enterprise_years ADD COLUMN class1_ip_self INTEGER")
    e.execute("ALTER TABLE enterprise_years ADD COLUMN class1_ip_high_value INTEGER")
    e.execute("UPDATE enterprise_years SET class1_ip_self = CAST(class1_ip * random() AS INTEGER), "
              "class1_ip_high_value = CAST(class1_ip * random() * 0.3 AS INTEGER)")
    e.execute(f"""CREATE TABLE designations AS SELECT uscc, CASE WHEN random() < 0.95 THEN 'srdi_sme'
        ELSE 'st_award_provincial' END AS kind, CAST(make_date(g, 7, 1) AS DATE) AS granted_on,
        CAST(make_date(g + 3, 6, 30) AS DATE) AS expires_on, 'active' AS status
        FROM (SELECT uscc, {y0} + CAST(floor(random() * {ny}) AS INTEGER) AS g FROM enterprises WHERE random() < 0.7)""")
    e.execute(f"""CREATE TABLE credit_records AS SELECT 'C' || CAST(row_number() OVER () AS VARCHAR) AS record_id, uscc,
        ['abnormal_operation', 'major_incident', 'tax_evasion'][1 + CAST(floor(random() * 3) AS INTEGER)] AS kind,
        CAST(make_date({y0} + CAST(floor(random() * {ny}) AS INTEGER), 3, 1) AS DATE) AS recorded_on,
        CAST(NULL AS DATE) AS expires_on FROM enterprises WHERE random() < 0.03""")
    e.execute("CREATE TABLE items AS SELECT * FROM (VALUES ('I_COMP', 'component'), ('I_END', 'end_product')) "
              "t(item_id, foundation)")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=int(os.environ.get("FIRMS_BENCH_N", "20000")))
    ap.add_argument("--years", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true", help="skip the pandas peer (large N)")
    ap.add_argument("--per-year", action="store_true", help="screen one year at a time (less memory)")
    ap.add_argument("--batch", type=int, default=0,
                    help="screening years per feature batch (1 = --per-year; 0 = all years at once)")
    ap.add_argument("--memory-limit", default=os.environ.get("FIRMS_BENCH_MEM", ""),
                    help="DuckDB memory_limit, e.g. 8GB")
    ap.add_argument("--verbose", action="store_true", help="print the time of every batch")
    ap.add_argument("--sql-panel", action="store_true",
                    help="generate the panel inside DuckDB also with the peer (it is then fetched into pandas)")
    a = ap.parse_args()
    data_years = range(2015 - 2, 2015 + a.years)  # two extra years of history for the lags
    screen_years = [y + 1 for y in range(2015, 2015 + a.years)]
    t0 = time.perf_counter()
    e = DuckDBEngine(":memory:", threads=a.threads)
    if a.no_peer or a.sql_panel:
        sql_panel(e, a.firms, data_years)
        rows = e.count("enterprise_years")
    else:
        t = random_panel(a.firms, data_years, seed=1, missing=0.01)
        rows = len(t["enterprise_years"])
        for name, df in t.items():
            e.register(f"{name}_src", df)
            e.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_src")
            e.drop(f"{name}_src")
    print(f"panel: {a.firms:,} firms x {len(data_years)} data years = {rows:,} rows, "
          f"generated in {time.perf_counter() - t0:.1f} s ({'in DuckDB' if a.no_peer or a.sql_panel else 'pandas'})")
    base_mb = peak_mb()

    e.execute(f"SET temp_directory = '{tempfile.gettempdir()}/firms_bench_spill'")  # spill outside the repo
    # result tables have no row order (every fetch orders): lets DuckDB write them in parallel with less memory
    e.execute("SET preserve_insertion_order = false")
    if a.memory_limit:
        e.execute(f"SET memory_limit = '{a.memory_limit}'")
    t_feat = 0.0
    times: dict[str, float] = {t: 0.0 for t in TIERS}
    counts: dict[str, dict[str, int]] = {}
    # all screening years in one set of queries, or one year at a time (--per-year: less memory)
    per = 1 if a.per_year else a.batch or len(screen_years)
    batches = [screen_years[i:i + per] for i in range(0, len(screen_years), per)]
    a.per_year = per < len(screen_years)
    for ys_all in batches:
        t0 = time.perf_counter()
        feats = prepare_features(e, ys_all)
        t_feat += time.perf_counter() - t0
        if a.verbose:
            print(f"  features {ys_all[0]}-{ys_all[-1]}: {time.perf_counter() - t0:.2f} s")
        for tier in TIERS:
            t1 = time.perf_counter()
            for rid, ys in (("2022", [y for y in ys_all if y < 2026]), ("2026", [y for y in ys_all if y >= 2026])):
                if not ys:
                    continue
                out = e.temp_name(tier)
                e.materialize(out, tier_sql(plan_tier(load_rules(rid), tier), feats, ys, order=False))
                for k, v in e.fetch_df(f"SELECT outcome, COUNT(*) AS n FROM {out} GROUP BY outcome "
                                       "ORDER BY outcome").values:
                    counts.setdefault(tier, {})[k] = counts.get(tier, {}).get(k, 0) + int(v)
                e.drop(out)
            times[tier] += time.perf_counter() - t1
            if a.verbose:
                print(f"  {tier} {ys_all[0]}-{ys_all[-1]}: {time.perf_counter() - t1:.2f} s")
        if a.per_year:
            e.drop(feats)
    total = t_feat + sum(times.values())
    print(f"reforge/duckdb ({a.threads} threads, {len(batches)} batch(es) of <= {per} years): features {t_feat:.2f} s; "
          + "; ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    print(f"reforge/duckdb: ALL TIERS x {len(screen_years)} years: {total:.2f} s, peak RSS {peak_mb():,.0f} MB "
          f"(data loaded: {base_mb:,.0f} MB)")
    for tier, c in counts.items():
        print(f"  {tier}: {c}")

    if a.no_peer:
        return
    lg_years = [y for y in screen_years if y < 2026]
    plan = plan_tier(load_rules("2022"), "little_giant")
    t1 = time.perf_counter()
    if a.per_year:  # features and the Little Giant query batch by batch, only the outcome fetched
        parts = []
        for ys in [lg_years[i:i + per] for i in range(0, len(lg_years), per)]:
            feats = prepare_features(e, ys)
            parts.append(e.fetch_df(f"SELECT uscc, year, outcome FROM ({tier_sql(plan, feats, ys, order=False)}) r "
                                    "ORDER BY uscc, year"))
            e.drop(feats)
        lg = pd.concat(parts, ignore_index=True)
        what = "features + query, outcomes fetched"
    else:
        lg = e.fetch_df(tier_sql(plan, feats, lg_years))
        what = "query on the features above, fetched"
    t_lg = time.perf_counter() - t1
    print(f"reforge/duckdb: little_giant 2022, {len(lg_years)} years ({what}): {t_lg:.2f} s")
    if a.sql_panel:
        t = {k: e.fetch_df(f"SELECT * FROM {k}") for k in
             ("enterprises", "enterprise_years", "designations", "credit_records", "items")}
    t1 = time.perf_counter()
    ref = {y: lg2022_reference(t, y) for y in lg_years}
    t_ref = time.perf_counter() - t1
    agree = 0
    n = 0
    for y, want in ref.items():
        got = lg[lg["year"] == y].set_index("uscc")["outcome"].reindex(want.index)
        agree += int((got == want).sum())
        n += len(want)
    print(f"peer pandas (lg2022_reference), {len(lg_years)} years: {t_ref:.2f} s; "
          f"ratio peer/reforge = {t_ref / t_lg:.2f}x; outcomes agree on {agree:,}/{n:,} firm-years")
    print(f"peak RSS {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
