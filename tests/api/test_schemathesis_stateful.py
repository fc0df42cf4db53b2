"""Stateful contract test of the API with schemathesis (issue 19 acceptance: "stateful where it helps").

Schemathesis reads ``/api/v1/openapi.json`` from a real uvicorn server and infers the links
between operations from their response and path-parameter schemas: an account created by
``POST /users`` is changed, given a password and tokens, listed and deleted through
``/users/{username}…``; a chain from ``GET /chains`` is analysed through its bottlenecks and
items; a policy run started by ``POST /policy/evaluate`` is read back with its report; IO tables
and appraisals likewise. Hypothesis then runs random sequences of these calls as the admin, each
step feeding the next real values, and every response is checked: no 5xx, documented status
code, content type and schema, and schemathesis's stateful checks (a deleted resource is gone,
a created one is available). Not checked: that every schema-valid request is accepted; a valid
string can name data the database does not hold (``programme`` of ``POST /policy/evaluate``
is any string, and an unknown one is a documented 422 naming the known ones).

The admin's own account is never changed by a step: a role, password or deletion change of it
would end the test's session (its lifecycle has its own tests in ``test_auth_lifecycle.py``).
Budget: ``REFORGE_STATEFUL_EXAMPLES`` sequences (default 20) of at most
``REFORGE_STATEFUL_STEPS`` steps (default 10).
"""

from __future__ import annotations

import os
from collections import Counter

import httpx
import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("REFORGE_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("REFORGE_STATEFUL_STEPS", "10"))
SELF = "admin"          # the account the machine runs as
STAND_IN = "stateful-stand-in"   # what a step aimed at SELF's account is sent to instead


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    db = smalldb.build(tmp_path_factory.mktemp("stateful") / "small.duckdb")
    create_demo_accounts(db)
    with running_server(db, login_limit=1000, analysis_rate=1e6, analysis_burst=1e6) as u:
        yield u


def restore_accounts(url: str, headers: dict[str, str], start: dict[str, dict]) -> None:
    """Put the accounts back as they were before a sequence: accounts it created are deleted, the
    demo accounts it changed get their role, region and active flag back, and their tokens end.

    Every sequence then starts from the same server state, which hypothesis needs: a sequence
    whose first call answered 201 once and 422 the next time (the account now exists) would be
    reported as a flaky strategy."""
    now = {u["username"]: u for u in httpx.get(f"{url}/api/v1/users", headers=headers).json()}
    for name in now.keys() - start.keys():
        assert httpx.delete(f"{url}/api/v1/users/{name}", headers=headers).status_code == 204
    for name, u in start.items():
        if name == SELF:
            continue
        if name not in now:   # deleted by the sequence: made again (same role; a new password)
            body = {k: u.get(k) for k in ("username", "role", "uscc", "region")}
            r = httpx.post(f"{url}/api/v1/users", headers=headers, json={**body, "password": "restored-pass-1"})
            assert r.status_code == 201, r.text
        else:
            change = {k: u.get(k) for k in ("role", "uscc", "active") if now[name].get(k) != u.get(k)}
            if now[name].get("region") != u.get("region"):
                change["region"] = u.get("region") or ""
            if change:
                r = httpx.patch(f"{url}/api/v1/users/{name}", headers=headers, json=change)
                assert r.status_code == 200, r.text
        httpx.delete(f"{url}/api/v1/users/{name}/tokens", headers=headers)


def emptied_not_removed(group: BaseException) -> bool:
    """Whether every failure of ``group`` is schemathesis's "deleted resource still available" for a
    collection read at the very path that was deleted: ``DELETE /users/{u}/tokens`` ends every token
    of the account, and the token list is then an empty (or all-invalid) list, not a 404, because
    the account still exists. (A list of a *deleted account* is a 404: that was a real finding.)"""
    from schemathesis.openapi.checks import UseAfterFree
    subs = getattr(group, "exceptions", ())
    return bool(subs) and all(isinstance(f, UseAfterFree) and f.free.split(" ")[-1] == f.usage.split(" ")[-1]
                              for f in subs)


def test_stateful_sequences_keep_the_contract(url):
    from hypothesis import HealthCheck, settings
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    headers = login(url, SELF)
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    base = schema.as_state_machine()
    links = [n for n in dir(base) if "__" in n and not n.startswith(("_", "RANDOM"))]
    # the inferred links this test relies on: account lifecycle, chain analysis, policy runs
    for want in ("POST_api_v1_users___201_DeleteUserModel__DELETE_api_v1_users_username_",
                 "POST_api_v1_users___201_PatchUserModel__PATCH_api_v1_users_username_",
                 "GET_api_v1_chains___200_GetChainModel_0__GET_api_v1_chains_chain_id_bottlenecks",
                 "POST_api_v1_policy_evaluate___200_GetRunResultModel__GET_api_v1_policy_results_run_id_"):
        assert want in links, f"schemathesis no longer infers {want}; links: {links}"
    start = {u["username"]: u for u in httpx.get(f"{url}/api/v1/users", headers=headers).json()}
    statuses: Counter[tuple[str, int]] = Counter()
    failures: dict[tuple[str, int], str] = {}

    class Machine(base):  # type: ignore[misc, valid-type]
        def before_call(self, case) -> None:
            if (case.path_parameters or {}).get("username") == SELF:
                case.path_parameters["username"] = STAND_IN

        def get_call_kwargs(self, case) -> dict:
            return {"base_url": url, "headers": headers, "timeout": 60}

        def teardown(self) -> None:
            restore_accounts(url, headers, start)

        def after_call(self, response, case) -> None:
            super().after_call(response, case)   # the recorder the stateful checks read
            statuses[(case.operation.label, response.status_code)] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            # failures are collected, not raised: the server's state moves on, so hypothesis could
            # not replay a sequence to shrink it (it would report a flaky strategy instead)
            try:
                case.validate_response(response, excluded_checks=[positive_data_acceptance],
                                       transport_kwargs=kwargs or None, recorder=self.recorder)
            except (Exception, FailureGroup) as e:  # noqa: BLE001 - a group of check failures
                if emptied_not_removed(e):
                    return
                failures.setdefault((case.operation.label, response.status_code),
                                    f"{case.as_curl_command()}\n{str(e)[:1500]}")

    Machine.run(settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                                  database=None, derandomize=True, suppress_health_check=list(HealthCheck)))
    labels = {op for op, _ in statuses}
    print(f"\nstateful: {sum(statuses.values())} calls over {len(labels)} operations; "
          f"{dict(sorted(Counter(s for _, s in statuses.elements()).items()))}")
    # the sequences went past the first call: values from one response reached a later request
    assert any(op.startswith("DELETE /api/v1/users/{username}") for op in labels), labels
    assert statuses[("GET /api/v1/auth/me", 200)] + sum(
        n for (op, s), n in statuses.items() if s == 200 and "{" in op) > 0
    assert not any(s == 401 for _, s in statuses), "the session ended during the run"
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
