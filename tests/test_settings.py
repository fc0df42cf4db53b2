"""Settings (issue 12 point 7): every ``REFORGE_*`` variable reaches its field of
:class:`reforge.settings.model.Settings` and the code that uses it; a bad value is a coded
error naming the variable; docs/settings.md lists every field; no module reads a
``REFORGE_*`` variable itself; the CLI's start-up does not load pydantic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reforge.errors import InvalidInput
from reforge.settings import get_settings
from reforge.settings.model import Settings, env_name

ROOT = Path(__file__).resolve().parents[1]
REFORGE = str(Path(sys.executable).with_name("reforge"))

# one non-default value per field: (text in the environment, value the field must hold)
SAMPLES: dict[str, tuple[str, object]] = {
    "db": ("/tmp/x/other.duckdb", Path("/tmp/x/other.duckdb")),
    "warehouse": ("/tmp/x/wh", Path("/tmp/x/wh")),
    "wait": ("2.5", 2.5),
    "lang": ("zh-CN", "zh-CN"),
    "secret_key": ("s" * 40, "s" * 40),
    "host": ("0.0.0.0", "0.0.0.0"),
    "port": ("9123", 9123),
    "trusted_proxies": ("10.0.0.1,10.1.0.0/16", "10.0.0.1,10.1.0.0/16"),
    "spark_master": ("spark://h:7077", "spark://h:7077"),
    "spark_memory": ("1g", "1g"),
    "spark_max_result": ("2m", "2m"),
    "spark_tiny": ("1", True),
    "import_max_bytes": ("7340032", 7340032),
    "body_max_bytes": ("2048", 2048),
    "login_max_bytes": ("999", 999),
    "login_per_ip": ("31", 31),
    "login_global": ("77", 77),
    "login_hashing": ("3", 3),
    "analysis_workers": ("5", 5),
    "analysis_queue": ("0", 0),
    "analysis_rate": ("1.5", 1.5),
    "analysis_burst": ("9", 9.0),
    "analysis_max_wait": ("0.25", 0.25),
    "warm_pages": ("0", False),
    "import_max_rows": ("5000", 5000),
    "import_max_columns": ("12", 12),
    "import_max_unzipped_mb": ("64", 64),
    "import_max_zip_ratio": ("50", 50),
}

BAD = [("REFORGE_PORT", "abc"), ("REFORGE_PORT", "70000"), ("REFORGE_WAIT", "-1"),
       ("REFORGE_IMPORT_MAX_ROWS", "0"), ("REFORGE_SPARK_TINY", "maybe"),
       ("REFORGE_SPARK_MEMORY", "lots"), ("REFORGE_SPARK_MAX_RESULT", "all"), ("REFORGE_ANALYSIS_RATE", "fast")]


@pytest.fixture
def clean_env(monkeypatch):
    """No ``REFORGE_*`` variable set (the suite's conftest sets REFORGE_SPARK_TINY)."""
    import os
    for k in [k for k in os.environ if k.startswith("REFORGE_")]:
        monkeypatch.delenv(k)
    return monkeypatch


def test_samples_cover_every_field():
    assert set(SAMPLES) == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(SAMPLES))
def test_each_variable_reaches_its_field(clean_env, field):
    text, want = SAMPLES[field]
    default = getattr(get_settings(), field)
    clean_env.setenv(env_name(field), text)
    got = getattr(get_settings(), field)
    if field == "secret_key":
        got = got.get_secret_value()
    assert got == want and got != default
    clean_env.setenv(env_name(field), "")  # empty counts as unset
    assert getattr(get_settings(), field) == default


@pytest.mark.parametrize(("name", "value"), BAD)
def test_bad_value_is_a_coded_error(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(InvalidInput) as ei:
        get_settings()
    e = ei.value
    assert e.code == "config.invalid" and e.params["variable"] == name and e.params["value"] == value
    assert name in str(e) and repr(value) in str(e)
    from reforge.messages import render
    zh = render(e.code, e.params, "zh")
    assert zh.startswith(f"环境变量 {name}={value} 的值无效")


def test_variables_reach_the_code_that_uses_them(clean_env, tmp_path):
    from reforge.api.auth import User, create_access_token
    from reforge.api.contract import check_secret_key
    from reforge.engine import default_db_path
    from reforge.engine.sharing import default_wait
    from reforge.ingest.limits import ReadLimits
    from reforge.messages import resolve_lang
    assert default_db_path() == Path(".reforge/reforge.duckdb") and default_wait() == 60.0
    assert resolve_lang() == "en" and ReadLimits.from_env() == ReadLimits()
    clean_env.setenv("REFORGE_DB", str(tmp_path / "d.duckdb"))
    clean_env.setenv("REFORGE_WAIT", "0.7")
    clean_env.setenv("REFORGE_LANG", "zh_Hans")
    clean_env.setenv("REFORGE_IMPORT_MAX_ROWS", "5000")
    clean_env.setenv("REFORGE_IMPORT_MAX_ZIP_RATIO", "9")
    assert default_db_path() == tmp_path / "d.duckdb" and default_wait() == 0.7 and resolve_lang() == "zh"
    assert ReadLimits.from_env() == ReadLimits(max_rows=5000, max_zip_ratio=9)
    # the signing key: a token's signature is HMAC-SHA256 of its body under $REFORGE_SECRET_KEY
    key = "k" * 40
    clean_env.setenv("REFORGE_SECRET_KEY", key)
    check_secret_key()
    tok = create_access_token(User("ann", "analyst", user_id="u1"))
    body, sig = tok.split(".")
    want = base64.urlsafe_b64encode(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())
    assert sig == want.decode().rstrip("=")
    clean_env.setenv("REFORGE_SECRET_KEY", "short")
    with pytest.raises(Exception, match="32 bytes"):
        check_secret_key()


def test_api_limits_come_from_the_settings(clean_env, tmp_path):
    from reforge.api import create_app
    for name in ("LOGIN_PER_IP", "LOGIN_GLOBAL", "ANALYSIS_WORKERS", "ANALYSIS_QUEUE", "ANALYSIS_RATE",
                 "ANALYSIS_BURST", "ANALYSIS_MAX_WAIT", "BODY_MAX_BYTES", "TRUSTED_PROXIES"):
        clean_env.setenv(f"REFORGE_{name}", SAMPLES[name.lower()][0])
    app = create_app(tmp_path / "a.duckdb", login_global=55)  # an argument wins over the variable
    try:
        g, gate, bucket = app.state.login_guard, app.state.analysis_gate, app.state.analysis_bucket
        assert (g.per_ip.limit, g.all.limit) == (31, 55)
        assert [str(n) for n in g.trusted] == ["10.0.0.1/32", "10.1.0.0/16"]
        assert (gate.workers, gate.queue, gate.max_wait) == (5, 0, 0.25)
        assert (bucket.rate, bucket.burst) == (1.5, 9.0)
        assert app.state.body_limits.limit_for("/api/v1/chains/x/simulate") == 2048
    finally:
        app.state.db.close()
    clean_env.setenv("REFORGE_ANALYSIS_WORKERS", "many")
    with pytest.raises(InvalidInput, match="REFORGE_ANALYSIS_WORKERS"):
        create_app(tmp_path / "b.duckdb")


def test_no_module_reads_a_reforge_variable_itself():
    """Only reforge.settings reads ``REFORGE_*`` from the environment (writes are allowed)."""
    pat = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*(?:f?["']REFORGE_|[A-Z_]*ENV\b)""")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "src" / "reforge").rglob("*.py")
            if "settings" not in p.parts
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if pat.search(line) and "] =" not in line]
    assert not hits, hits


def test_docs_table_lists_every_variable():
    doc = (ROOT / "docs" / "settings.md").read_text()
    rows = dict(re.findall(r"^\| `(REFORGE_[A-Z_]+)` \| `([a-z_]+)` \|", doc, flags=re.M))
    assert rows == {env_name(f): f for f in Settings.model_fields}


def test_cli_start_up_does_not_load_pydantic_settings():
    code = ("import sys, json\nsys.argv = ['reforge', '--help']\nimport reforge.cli.main\n"
            "a = sorted(m for m in sys.modules if m.startswith('pydantic'))\n"
            "try:\n    reforge.cli.main.main()\nexcept SystemExit:\n    pass\n"
            "print('@@' + json.dumps([a, sorted(m for m in sys.modules if m.startswith('pydantic'))]))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")})
    assert p.returncode == 0, p.stderr
    on_import, after_help = json.loads(p.stdout.rpartition("@@")[2])
    assert on_import == [] and after_help == []


@pytest.mark.slow
def test_serve_takes_host_and_port_from_the_environment(tmp_path):
    """A real `reforge serve` listens on $REFORGE_PORT; a non-numeric port stops it with the coded text."""
    import os

    from tests.api import smalldb
    from tests.api.server import free_port
    db = smalldb.build(tmp_path / "s.duckdb")
    env = {**os.environ, "REFORGE_DB": str(db), "REFORGE_HOST": "127.0.0.1"}
    bad = subprocess.run([REFORGE, "serve"], env={**env, "REFORGE_PORT": "abc"}, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2
    assert "REFORGE_PORT='abc' is not valid" in " ".join(bad.stderr.split()), bad.stderr
    port = free_port()
    proc = subprocess.Popen([REFORGE, "serve", "--log-level", "warning"], env={**env, "REFORGE_PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.spark
def test_spark_session_follows_the_settings(spark_engine):
    """The suite's REFORGE_SPARK_TINY=1 (tests/conftest.py) reached the session through the settings."""
    conf = get_settings()
    assert conf.spark_tiny is True
    spark = spark_engine.spark
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "false"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
    # tiny data and no master set: one core and one shuffle partition (else the configured master)
    want = "local[1]" if "spark_master" not in conf.model_fields_set else conf.spark_master
    assert spark.sparkContext.master == want
    assert spark.conf.get("spark.sql.shuffle.partitions") == "1"
    assert spark.sparkContext.getConf().get("spark.driver.memory") == conf.spark_memory
