"""Issue 19, findings 10-13 over HTTP against a real uvicorn server and real DuckDB files.

10: unbounded paging, a non-Latin-1 download name and an infinite token expiry gave 500s;
11: spreadsheet formulas passed through CSV output; 12: unsafe defaults (short secret key,
demo accounts on any database, GET logout without revocation, no CSRF token, world-readable
database file); 13: the error contract (422 shape, loss threshold bounds, documented errors,
``Allow`` on 405).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx
import pytest

from reforge.api.contract import MAX_PAGE, content_disposition
from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import csrf_from, login, page_login
from tests.api.server import free_port, running_server

API = "/api/v1"
REFORGE = str(Path(sys.executable).with_name("reforge"))
PROGRAMME = "专精特新奖补"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("hardening") / "small.duckdb")
    con = duckdb.connect(str(p))
    con.execute("UPDATE support_events SET programme = ? WHERE programme = 'little_giant_fund'", [PROGRAMME])
    con.execute("UPDATE enterprises SET name = ? WHERE uscc = ?", [FORMULA, smalldb.E4])
    con.close()
    create_demo_accounts(p)
    return p


@pytest.fixture(scope="module")
def base_url(db_file):
    with running_server(db_file, login_limit=1000) as url:
        yield url


@pytest.fixture(scope="module")
def tokens(base_url) -> dict[str, dict]:
    return {r: login(base_url, r) for r in ("admin", "analyst", "enterprise")}


def cookie_of(hdr: dict) -> dict:
    """The dashboard's session cookie carrying the same access token."""
    return {"reforge_token": hdr["Authorization"].split(" ", 1)[1]}


def is_validation_array(body: dict) -> bool:
    """``body`` matches FastAPI's HTTPValidationError: ``detail`` is a list of {loc, msg, type}."""
    d = body.get("detail")
    return isinstance(d, list) and bool(d) and all(
        isinstance(x, dict) and isinstance(x.get("loc"), list) and isinstance(x.get("msg"), str)
        and isinstance(x.get("type"), str) and all(isinstance(p, str | int) for p in x["loc"]) for x in d)


# ---- finding 10: 500s ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "analyst", "enterprise"])
@pytest.mark.parametrize("page", [2**62, 2**64, MAX_PAGE + 1])
def test_huge_page_is_422_for_every_role(base_url, tokens, role, page):
    r = httpx.get(f"{base_url}{API}/enterprises", headers=tokens[role], params={"page": page})
    assert r.status_code == 422, r.text
    assert ["query", "page"] in [x["loc"] for x in r.json()["detail"]]


def test_largest_page_is_an_empty_page(base_url, tokens):
    r = httpx.get(f"{base_url}{API}/enterprises", headers=tokens["analyst"], params={"page": MAX_PAGE})
    assert r.status_code == 200 and r.json()["items"] == [] and r.json()["total"] == 4


@pytest.mark.parametrize("path", ["/enterprises", "/enterprises/results"])
@pytest.mark.parametrize("page", [str(2**62), "-3", "x"])
def test_dashboard_huge_page_is_422(base_url, tokens, path, page):
    r = httpx.get(f"{base_url}{path}", params={"page": page}, cookies=cookie_of(tokens["analyst"]))
    assert r.status_code == 422, r.text[:500]
    assert "Internal Server Error" not in r.text
    ok = httpx.get(f"{base_url}{path}", params={"page": "1"}, cookies=cookie_of(tokens["analyst"]))
    assert ok.status_code == 200


@pytest.mark.parametrize("params", [{"offset": 2**62}, {"offset": 2**64}, {"offset": -1}, {"limit": 2**63},
                                    {"limit": 0}])
def test_audit_paging_is_bounded(base_url, tokens, params):
    r = httpx.get(f"{base_url}{API}/audit", headers=tokens["admin"], params=params)
    assert r.status_code == 422, r.text
    assert is_validation_array(r.json())


def test_policy_report_with_a_chinese_programme_name(base_url, tokens):
    r = httpx.post(f"{base_url}{API}/policy/evaluate", headers=tokens["analyst"], timeout=120,
                   json={"programme": PROGRAMME, "outcomes": ["revenue"]})
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["has_report"]
    rep = httpx.get(f"{base_url}{API}/policy/results/{run['id']}/report", headers=tokens["analyst"])
    assert rep.status_code == 200 and "<html" in rep.text.lower()
    cd = rep.headers["content-disposition"]
    name = f"policy-{PROGRAMME}-{run['id']}.html"
    assert cd == f"attachment; filename=\"policy_{run['id']}.html\"; filename*=UTF-8''{quote(name)}"
    cd.encode("latin-1")  # a valid header value


def test_content_disposition_fallback():
    assert content_disposition("a b\"c;.csv") == "attachment; filename=\"a_b_c.csv\"; filename*=UTF-8''a%20b%22c%3B.csv"
    assert content_disposition("报告.html").startswith('attachment; filename="download.html"; ')


def _forged(payload_json: str) -> str:
    from reforge.api import auth
    body = base64.urlsafe_b64encode(payload_json.encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(hmac.new(auth._SECRET, body.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{body}.{sig.decode()}"


@pytest.mark.parametrize("exp", ["1e400", "-1e400", "NaN", "\"never\"", "null"])
def test_token_with_absurd_expiry_is_401(base_url, tokens, exp):
    real = tokens["analyst"]["Authorization"].split(" ", 1)[1].split(".")[0]
    payload = base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)).decode()
    assert re.search(r'"exp": \d+', payload)
    good = _forged(payload)  # the same payload re-signed: still valid (the forging is right)
    assert httpx.get(f"{base_url}{API}/chains", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    tok = _forged(re.sub(r'"exp": \d+', f'"exp": {exp}', payload))
    r = httpx.get(f"{base_url}{API}/chains", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401, (exp, r.status_code, r.text)


# ---- finding 11: formulas in CSV ------------------------------------------------------------------

def test_cli_csv_neutralises_formulas(db_file, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(db_file).read_bytes())
    q = ("SELECT name, CAST(-3 AS INTEGER) AS neg, 2.5 AS x, '-7' AS s, '@SUM(A1)' AS at, "
         f"'+1+2' AS plus FROM enterprises WHERE uscc = '{smalldb.E4}'")
    r = subprocess.run([REFORGE, "sql", q, "--db", str(copy), "--format", "csv"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows == [{"name": "'" + FORMULA, "neg": "-3", "x": "2.5", "s": "-7", "at": "'@SUM(A1)",
                     "plus": "'+1+2"}]


@pytest.mark.parametrize("cell,expected", [
    (FORMULA, "'" + FORMULA), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("\uff1dcmd", "'\uff1dcmd"), ("=", "'="),
    ("-7", "-7"), ("+1.5e3", "+1.5e3"), ("-.5", "-.5"), ("a=b", "a=b"), ("工业机器人", "工业机器人"), ("", ""),
    (-3, -3), (2.5, 2.5), (None, None)])
def test_neutralise(cell, expected):
    from reforge.report.export import neutralise
    assert neutralise(cell) == expected


def test_csv_and_xlsx_exports_keep_numbers(tmp_path):
    import openpyxl
    import pandas as pd

    from reforge.report.export import csv_text, write_xlsx
    df = pd.DataFrame({"name": [FORMULA, "ok", None], "n": [-3, 4, 5], "x": [-0.5, 1.0, float("nan")],
                       "=evil": ["@x", "-1", "b"]})
    rows = list(csv.reader(io.StringIO(csv_text(df))))
    assert rows == [["name", "n", "x", "'=evil"], ["'" + FORMULA, "-3", "-0.5", "'@x"], ["ok", "4", "1.0", "-1"],
                    ["", "5", "", "b"]]
    assert df.loc[0, "name"] == FORMULA  # the caller's frame is not changed
    out = tmp_path / "x.xlsx"
    write_xlsx({"firms": df}, out)
    ws = openpyxl.load_workbook(out)["firms"]
    assert [c.value for c in ws[1]] == ["name", "n", "x", "'=evil"]
    assert [c.value for c in ws[2]] == ["'" + FORMULA, -3, -0.5, "'@x"]
    assert ws["A2"].data_type == "s" and ws["B2"].data_type == "n"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_templates_neutralise_formulas(tmp_path, fmt):
    import openpyxl

    from reforge.ingest.templates import template_bytes
    (tmp_path / "enterprises.csv").write_text(f'uscc,name,province_code\n{smalldb.E1},"{FORMULA}",320000\n',
                                              encoding="utf-8")
    content, _, _ = template_bytes("enterprises", fmt, examples_dir=tmp_path)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        (tmp_path / "t.xlsx").write_bytes(content)
        rows = [[c.value for c in r] for r in openpyxl.load_workbook(tmp_path / "t.xlsx").active.iter_rows()]
    header, row = rows
    assert row[header.index("name")] == "'" + FORMULA and row[header.index("uscc")] == smalldb.E1


# ---- finding 12: defaults -----------------------------------------------------------------------

def test_short_secret_key_is_refused_at_start(db_file, tmp_path):
    from reforge.api import create_app
    from reforge.errors import ReforgeError
    old = os.environ.get("REFORGE_SECRET_KEY")
    try:
        os.environ["REFORGE_SECRET_KEY"] = "a"
        with pytest.raises(ReforgeError, match="32 bytes"):
            create_app(db_file)
        os.environ["REFORGE_SECRET_KEY"] = "k" * 32
        create_app(db_file).state.db.close()
    finally:
        if old is None:
            os.environ.pop("REFORGE_SECRET_KEY", None)
        else:
            os.environ["REFORGE_SECRET_KEY"] = old
    env = {**os.environ, "REFORGE_SECRET_KEY": "short-key"}
    r = subprocess.run([REFORGE, "serve", "--db", str(db_file), "--port", str(free_port())], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert "REFORGE_SECRET_KEY" in err and "32 bytes" in err


def test_demo_accounts_refuse_a_non_demo_database(tmp_path):
    db = smalldb.build(tmp_path / "real.duckdb")
    r = subprocess.run([REFORGE, "demo-accounts", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert "not a demo database" in err and "--force" in err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
    con.close()
    forced = subprocess.run([REFORGE, "demo-accounts", "--db", str(db), "--force"], capture_output=True,
                            text=True, timeout=60)
    assert forced.returncode == 0, forced.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert sorted(x[0] for x in con.execute("SELECT username FROM users").fetchall()) == \
        ["admin", "analyst", "enterprise"]
    con.close()


@pytest.mark.slow
def test_demo_accounts_on_a_demo_database(tmp_path):
    db = tmp_path / "demo.duckdb"
    r = subprocess.run([REFORGE, "demo", "--firms", "500", "--seed", "5", "--db", str(db)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run([REFORGE, "demo-accounts", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "admin-demo-pass" in r.stdout


def _signed_in(base_url: str, username: str = "analyst") -> httpx.Client:
    """A client that signed in through the dashboard's login form (cookies kept)."""
    c = page_login(base_url, username)
    assert c.cookies.get("reforge_token")
    return c


def test_login_without_csrf_token_is_refused(base_url):
    from reforge.cli.serve import DEMO_PASSWORDS
    with httpx.Client(base_url=base_url) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"], "next": "/"})
        assert r.status_code == 403 and "reforge_token" not in c.cookies
        c.cookies.set("reforge_csrf", "a" * 43)
        r = c.post("/login", data={"username": "analyst", "password": DEMO_PASSWORDS["analyst"],
                                   "csrf_token": "b" * 43})
        assert r.status_code == 403 and "reforge_token" not in c.cookies


def test_dashboard_posts_need_the_csrf_token(base_url):
    c = _signed_in(base_url)
    try:
        html = c.get("/chains/robot_chain").text
        token = csrf_from(html)
        assert f'"X-CSRF-Token": "{token}"' in html  # HTMX sends it as a header from <body hx-headers>
        form = {"remove_country": "JP", "loss_threshold": "0.5"}
        assert c.post("/chains/robot_chain/simulate", data=form).status_code == 403
        assert c.post("/chains/robot_chain/simulate", data={**form, "csrf_token": "x" * 43}).status_code == 403
        ok = c.post("/chains/robot_chain/simulate", data=form, headers={"X-CSRF-Token": token})
        assert ok.status_code == 200 and 'id="sim-count"' in ok.text
        ok = c.post("/chains/robot_chain/simulate", data={**form, "csrf_token": token})
        assert ok.status_code == 200
    finally:
        c.close()


def test_api_posts_by_cookie_need_the_csrf_header(base_url):
    """The API also accepts the dashboard's cookie: a state-changing call by cookie needs the token."""
    c = _signed_in(base_url)
    try:
        token = csrf_from(c.get("/").text)
        url, body = f"{API}/chains/robot_chain/simulate", {"remove_country": "JP"}
        assert c.get(f"{API}/auth/me").status_code == 200  # reading by cookie is fine
        assert c.post(url, json=body).status_code == 401
        assert c.post(url, json=body, headers={"X-CSRF-Token": "y" * 43}).status_code == 401
        assert c.post(url, json=body, headers={"X-CSRF-Token": token}).status_code == 200
    finally:
        c.close()


def test_logout_is_a_post_that_revokes_the_token(base_url):
    c = _signed_in(base_url)
    try:
        tok = c.cookies.get("reforge_token")
        bearer = {"Authorization": f"Bearer {tok}"}
        assert httpx.get(f"{base_url}{API}/auth/me", headers=bearer).status_code == 200
        html = c.get("/").text
        assert re.search(r'<form[^>]*method="post"[^>]*action="/logout"', html)
        g = c.get("/logout")  # GET only shows a sign-out form: it changes nothing
        assert g.status_code == 200 and 'action="/logout"' in g.text
        assert httpx.get(f"{base_url}{API}/auth/me", headers=bearer).status_code == 200
        assert c.post("/logout").status_code == 403  # no CSRF token: refused
        r = c.post("/logout", data={"csrf_token": csrf_from(html)})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert httpx.get(f"{base_url}{API}/auth/me", headers=bearer).status_code == 401
    finally:
        c.close()


def test_database_file_is_private(tmp_path):
    from reforge.engine import DuckDBEngine
    old = os.umask(0o022)
    try:
        p = tmp_path / "new.duckdb"
        with DuckDBEngine(p, read_only=False) as e:
            e.execute("CREATE TABLE t (x INTEGER)")
            e.execute("INSERT INTO t VALUES (1)")
            wal = Path(str(p) + ".wal")
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
            assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    finally:
        os.umask(old)


# ---- finding 13: contract -----------------------------------------------------------------------

def test_library_errors_are_validation_arrays(base_url, tokens):
    r = httpx.post(f"{base_url}{API}/chains/robot_chain/simulate", headers=tokens["analyst"],
                   json={"remove_firm": "NO-SUCH-FIRM"})
    assert r.status_code == 422
    body = r.json()
    assert is_validation_array(body), body
    assert "unknown firm" in body["detail"][0]["msg"] and body["detail"][0]["code"]


def test_loss_threshold_schema_and_validation_agree(base_url, tokens):
    spec = httpx.get(f"{base_url}{API}/openapi.json").json()
    prop = spec["components"]["schemas"]["Scenario"]["properties"]["loss_threshold"]
    lo, hi = prop.get("minimum", prop.get("exclusiveMinimum")), prop.get("exclusiveMaximum", prop.get("maximum"))
    url = f"{base_url}{API}/chains/robot_chain/simulate"
    for v, ok in ((0.0, True), (0.999, True), (1.0, False), (-0.1, False)):
        r = httpx.post(url, headers=tokens["analyst"], json={"remove_country": "JP", "loss_threshold": v})
        in_schema = (v >= lo if "minimum" in prop else v > lo) and (v < hi if "exclusiveMaximum" in prop else v <= hi)
        assert in_schema == ok, (v, prop)
        assert r.status_code == (200 if ok else 422), (v, r.text)
        if not ok:
            assert ["body", "loss_threshold"] in [x["loc"] for x in r.json()["detail"]]


def test_errors_are_documented(base_url):
    spec = httpx.get(f"{base_url}{API}/openapi.json").json()
    public = {("/api/v1/health", "get"), ("/api/v1/auth/token", "post")}
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op.get("responses", {}))
            if (path, method) in public:
                continue
            need = {"401", "422"} | ({"404"} if "{" in path else set())
            if not need <= codes:
                missing.append((method, path, sorted(need - codes)))
            for c in codes & {"401", "403", "404", "422"}:
                assert "application/json" in op["responses"][c].get("content", {}), (path, method, c)
    assert missing == []
    for path in ("/api/v1/chains", "/api/v1/enterprises/{uscc}/screening", "/api/v1/sectors/{table_id}/key-sectors"):
        if path in spec["paths"]:
            assert "403" in spec["paths"][path]["get"]["responses"] or path.startswith("/api/v1/enterprises")


def test_405_lists_every_allowed_method(base_url, tokens):
    spec = httpx.get(f"{base_url}{API}/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        methods = {m.upper() for m in ops}
        concrete = re.sub(r"\{[^}]+\}", "zz", path)
        other = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in methods)
        r = httpx.request(other, f"{base_url}{concrete}", headers=tokens["admin"])
        assert r.status_code == 405, (other, path, r.status_code)
        assert {m.strip() for m in r.headers["allow"].split(",")} == methods, (path, r.headers["allow"])
        checked += 1
    assert checked >= 20


def test_limits_and_overload_are_documented(base_url):
    """413 on every route with a body, 429/503 with Retry-After on analysis routes, 503 on the
    routes that read the database; a real 413 has the documented body."""
    spec = httpx.get(f"{base_url}{API}/openapi.json").json()
    posts = [(p, m) for p, ops in spec["paths"].items() for m in ops if m in ("post", "put", "patch")]
    assert posts and all("413" in spec["paths"][p][m]["responses"] for p, m in posts)
    bott = spec["paths"]["/api/v1/chains/{chain_id}/bottlenecks"]["get"]["responses"]
    assert {"429", "503"} <= set(bott) and "Retry-After" in bott["429"]["headers"]
    assert "503" in spec["paths"]["/api/v1/enterprises"]["get"]["responses"]
    assert "429" not in spec["paths"]["/api/v1/enterprises"]["get"]["responses"]
    r = httpx.post(f"{base_url}{API}/auth/token", content=b"username=" + b"x" * 200_000,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    schema = spec["paths"]["/api/v1/auth/token"]["post"]["responses"]["413"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) <= set(r.json()) and r.json()["code"] == "body_too_large"
