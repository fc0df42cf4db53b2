"""Token expiry and stored times do not depend on the time zone (issue 14 finding 5).

Each case runs a real subprocess with ``TZ`` set (DuckDB takes its session ``TimeZone`` from it;
the script also sets it explicitly) over a real DuckDB file, and reports what it saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, sys, time
    from datetime import datetime, timedelta, timezone
    from reforge.api import auth as A
    from reforge.api import audit
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema

    zone = sys.argv[2]
    e = DuckDBEngine(sys.argv[1])
    ensure_schema(e)
    e.execute(f"SET TimeZone = '{zone}'")
    t0 = time.time()
    u = A.add_user(e, "tz-user", "tz-password-1", "analyst")
    audit.record(e, "tz-user", "tz.test")
    two_h = A.create_api_token(e, "tz-user", "2h", seconds=7200)
    one_d = A.create_api_token(e, "tz-user", "1d", days=1)
    access = A.create_access_token(u, seconds=7200)
    utc = lambda s: datetime.fromtimestamp(t0 + s, timezone.utc).replace(tzinfo=None)
    def valid(tok, s):
        return A.user_from_bearer(e, tok, now=utc(s)) is not None
    def age(sql):  # stored naive time minus the true UTC time of the test, in seconds
        return (e.fetch_scalar(sql) - utc(0)).total_seconds()
    print(json.dumps({
        "session_zone": e.fetch_scalar("SELECT current_setting('TimeZone')"),
        "two_h_now": A.user_from_bearer(e, two_h) is not None,
        "two_h": [valid(two_h, s) for s in (0, 7140, 7260)],
        "one_d": [valid(one_d, s) for s in (0, 16 * 3600 + 60, 86400 - 60, 86400 + 60)],
        "access": [valid(access, s) for s in (0, 7140, 7260)],
        "one_d_expiry_s": age("SELECT expires_at FROM api_tokens WHERE label = '1d'"),
        "user_created_s": age("SELECT created_at FROM users"),
        "token_created_s": age("SELECT created_at FROM api_tokens WHERE label = '1d'"),
        "audit_logged_s": age("SELECT logged_at FROM audit_log"),
        "listed_tz": str(A.list_users(e)[0]["created_at"].tzinfo),
    }))
""")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "UTC"])
def test_token_expiry_and_stored_times_are_utc_in_any_zone(tmp_path, zone):
    env = {**os.environ, "TZ": zone}
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "tz.duckdb"), zone],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["session_zone"] == zone
    assert out["two_h_now"] is True                       # not already expired (was, east of UTC)
    assert out["two_h"] == [True, True, False]            # lasts 2 h, not 2 h -/+ the UTC offset
    assert out["one_d"] == [True, True, True, False]      # lasts 1 day, not 16 h (or 32 h)
    assert out["access"] == [True, True, False]
    assert abs(out["one_d_expiry_s"] - 86400) < 120
    for k in ("user_created_s", "token_created_s", "audit_logged_s"):  # UTC, not local wall time
        assert abs(out[k]) < 120, (k, out[k])
    assert out["listed_tz"] == "UTC"
