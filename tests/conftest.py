"""Shared fixtures: engines for the one-test-body-two-engines pattern.

``any_engine`` runs a test once on an in-memory DuckDB and once on Spark local
mode (marked ``spark``). Tests put their input tables on it with
``put_tables(engine, {"name": df, ...})`` and then call the code under test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

pytest_plugins = ["tests.browser"]  # the module-scoped `browser` fixture (Debian chromium)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("REFORGE_SPARK_TINY", "1")  # tiny test data: local[1], 1 partition, no codegen/AQE


# the longest test files start first, so that under pytest-xdist (``make test``: two workers,
# a file per worker at a time) they run beside the many short ones instead of after them
LONG_FIRST = ("tests/cluster/", "tests/cli/test_tour.py", "tests/web/test_browser.py",
              "tests/web/test_tables_browser.py")


# second Spark runs of a parity check whose first Spark run (another threshold) stays in `make test`:
# the same SQL on other random networks, left to `make test-all` for CI time
# (and the Spark run of the hostile-value check, whose DuckDB runs cover every entry point)
EXTENDED_IDS = ("tests/chain/test_simulate.py::test_24_random_networks_both_engines[spark-DE-0.3]",
                "tests/chain/test_spof.py::test_spof_many_networks_both_engines[spark-0.3]",
                "tests/engine/test_hostile_values.py::test_bound_values_on_spark",
                # the shortlist SQL on Spark stays in `make test` through its bm25s check in mode "both"
                "tests/match/test_shortlist.py::test_shortlist_equals_bm25s_and_brute_force_top[spark-chars]",
                "tests/match/test_shortlist.py::test_match_demands_on_the_shortlist[spark]",
                # region scope on Spark stays in `make test` through its labels-and-map check (region
                # bottlenecks on Spark); brute force and the simulation partition stay on DuckDB
                "tests/chain/test_region_scope.py::test_region_metrics_equal_a_brute_force_computation[spark]",
                "tests/chain/test_region_scope.py::"
                "test_a_simulation_reported_for_regions_partitions_the_national_report[spark]")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the tests of ``EXTENDED_IDS`` ``extended``; move the files of ``LONG_FIRST`` to the
    front, in that order (a stable sort: the order within a file and among the other files is kept)."""
    root = Path(__file__).resolve().parents[1]
    for item in items:
        if item.nodeid in EXTENDED_IDS:
            item.add_marker(pytest.mark.extended)

    def rank(item) -> int:
        rel = Path(str(item.fspath)).resolve().relative_to(root).as_posix()
        return next((i for i, p in enumerate(LONG_FIRST) if rel.startswith(p)), len(LONG_FIRST))

    items.sort(key=rank)


def in_ci() -> bool:
    """True under CI (``CI`` set to 1/true/yes, as ``.ci/run`` does): optional parts must be present."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


_importorskip = pytest.importorskip


def _importorskip_unless_ci(modname: str, *args, **kwargs):
    """``pytest.importorskip``, except that in CI a missing optional dependency (pyspark, csdid,
    pymrio, schemathesis, ...) is a failure: a broken install must not skip its comparisons quietly."""
    try:
        return _importorskip(modname, *args, **kwargs)
    except pytest.skip.Exception as e:
        if in_ci():
            pytest.fail(f"CI: optional dependency {modname!r} is missing ({e}); install it (see .ci/run)",
                        pytrace=False)
        raise


def skip_unless_ci(reason: str) -> None:
    """Skip with ``reason`` locally; fail in CI (missing browser, shared data, ...)."""
    if in_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


# every ``pytest.importorskip`` in the suite (module level or in a test) goes through the guard
pytest.importorskip = _importorskip_unless_ci

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def spark_engine():
    """A SparkEngine (local mode) shared by the whole run; no warehouse."""
    pytest.importorskip("pyspark")
    from reforge.engine.spark_engine import SparkEngine
    e = SparkEngine(None)
    yield e


@pytest.fixture
def duck():
    """A fresh in-memory DuckDB engine with the full schema."""
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    e = DuckDBEngine(":memory:")
    ensure_schema(e)
    yield e
    e.close()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def any_engine(request):
    """Each test body runs on DuckDB and on Spark."""
    if request.param == "duckdb":
        from reforge.engine import DuckDBEngine
        e = DuckDBEngine(":memory:")
        yield e
        e.close()
    else:
        e = request.getfixturevalue("spark_engine")
        yield e
        for n in list(e._temps):
            e.drop(n)


def put_tables(engine, tables: dict[str, pd.DataFrame]) -> None:
    """Make DataFrames queryable by name on either engine."""
    for name, df in tables.items():
        engine.register(name, df)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo province of 2,000 firms (seed 7) in a DuckDB file, built once per test run
    through the same path as `reforge demo` (generator -> files -> importer)."""
    from reforge.demo.load import build_demo
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    res, _ = build_demo(path, n_firms=2000, seed=7)
    assert res.ok, res.errors
    return path
