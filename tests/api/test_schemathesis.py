"""Property-based contract test of the whole API with schemathesis (issue 19 acceptance).

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid ones and (where
the schema allows) invalid ones, sent to a real uvicorn server over the small real
database as the analyst. Checked: no 5xx, and every documented response matches its
schema. The budget is bounded (``REFORGE_SCHEMATHESIS_EXAMPLES`` per operation and mode,
default 3); a longer hunt is ``REFORGE_SCHEMATHESIS_EXAMPLES=50``.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("REFORGE_SCHEMATHESIS_EXAMPLES", "3"))
ENDS_SESSION = {"POST /api/v1/auth/logout"}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    db = smalldb.build(tmp_path_factory.mktemp("stdb") / "small.duckdb")
    create_demo_accounts(db)
    # the rate limit would answer 429 to most of a generated burst: lift it to reach the handlers
    with running_server(db, login_limit=1000, analysis_rate=1e6, analysis_burst=1e6) as u:
        yield u


def test_no_server_error_and_no_schema_violation(url):
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    auth = login(url, "analyst")
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    failures: dict[tuple, str] = {}
    statuses: Counter[int] = Counter()
    ops: set[str] = set()
    spent: Counter[str] = Counter()
    t0 = time.monotonic()
    def exercise(op, mode) -> None:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=op.as_strategy(generation_mode=mode))
        def run(case) -> None:
            # logout revokes the token it is sent with: give it a fresh one each time
            headers = login(url, "analyst") if op.label in ENDS_SESSION else auth
            t1 = time.monotonic()
            r = case.call(base_url=url, headers=headers, timeout=60)
            spent[op.label] += time.monotonic() - t1
            statuses[r.status_code] += 1
            ops.add(op.label)
            try:
                case.validate_response(r, checks=[not_a_server_error, response_schema_conformance])
            except Exception as e:  # noqa: BLE001 - schemathesis raises a group of failures
                failures.setdefault((op.label, mode.value, r.status_code),
                                    f"{case.as_curl_command(headers=headers)}\n{str(e)[:1500]}")

        try:
            run()
        except Unsatisfiable:  # no invalid request exists for an operation without inputs
            pass

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(result.ok(), mode)
    took = time.monotonic() - t0
    print(f"\nschemathesis: {sum(statuses.values())} requests over {len(ops)} operations in {took:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}; {sum(spent.values()):.1f} s waiting for the server, "
          f"slowest {[(k, round(v, 1)) for k, v in spent.most_common(3)]}")
    assert len(ops) >= 25  # every operation was exercised
    assert statuses[401] < sum(statuses.values()) / 4  # the token stayed valid: handlers were reached
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
