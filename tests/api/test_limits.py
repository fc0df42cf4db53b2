"""Body limits before parsing (issue 19, finding 3) against a real uvicorn server.

Bodies are streamed from a generator over a raw socket: the client stops sending as soon as
the server answers, so "rejected before reading" shows as few bytes sent and a fast answer,
and "nothing spooled" as no growth of the server's temp directory (``tempfile.tempdir`` is
pointed at a private folder for these tests, so other processes cannot disturb the count).
"""

from __future__ import annotations

import json
import select
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from reforge.api.app import create_app
from reforge.api.limits import KB, MB, size_text
from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

CHUNK = 256 * KB


def chunks(total: int, size: int = CHUNK) -> Iterator[bytes]:
    """``total`` bytes of filler in ``size`` pieces (a multipart-looking start)."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"x" * n
        sent += n


def stream_request(url: str, method: str, path: str, headers: dict[str, str], body: Iterator[bytes],
                   chunked: bool = True, timeout: float = 60.0) -> dict:
    """Send a request over a raw socket, streaming ``body``; stop sending once the server answers.

    Returns ``{"status", "headers", "json", "sent", "seconds"}`` (``sent`` = body bytes written).
    """
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
    t0 = time.monotonic()
    head = f"{method} {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    sock.sendall((head + "\r\n").encode())
    sent = 0
    try:
        for piece in body:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered: stop sending
            data = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
            sock.sendall(data)
            sent += len(piece)
            if time.monotonic() - t0 > timeout:
                break
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    raw = b""
    try:
        while b"\r\n\r\n" not in raw or len(raw) < _expected_len(raw):
            part = sock.recv(65536)
            if not part:
                break
            raw += part
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    seconds = time.monotonic() - t0
    head_b, _, rest = raw.partition(b"\r\n\r\n")
    lines = head_b.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    try:
        js = json.loads(rest) if rest else None
    except ValueError:
        js = None
    return {"status": status, "headers": hdrs, "json": js, "sent": sent, "seconds": seconds}


def _expected_len(raw: bytes) -> int:
    head, sep, _ = raw.partition(b"\r\n\r\n")
    for ln in head.decode("latin-1").split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            return len(head) + len(sep) + int(v)
    return len(raw) + 1 if not sep else len(raw)


def dir_bytes(d: Path) -> int:
    """Bytes in all files under ``d`` (files vanishing meanwhile count 0)."""
    total = 0
    for p in d.rglob("*"):
        try:
            total += p.stat().st_size if p.is_file() else 0
        except OSError:
            pass
    return total


class PeakWatcher:
    """Sample ``dir_bytes(d)`` every 20 ms in a thread; ``peak`` is the largest seen."""

    def __init__(self, d: Path) -> None:
        self.d, self.peak, self._stop = d, 0, threading.Event()
        self._th = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, dir_bytes(self.d))
            time.sleep(0.02)

    def __enter__(self) -> PeakWatcher:
        self._th.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._th.join()
        self.peak = max(self.peak, dir_bytes(self.d))


@pytest.fixture(scope="module")
def server_tmp(tmp_path_factory):
    """The server's temp directory for this module (uploads spool there)."""
    d = tmp_path_factory.mktemp("server-tmp")
    old = tempfile.tempdir
    tempfile.tempdir = str(d)
    yield d
    tempfile.tempdir = old


@pytest.fixture(scope="module")
def url(tmp_path_factory, server_tmp):
    db = smalldb.build(tmp_path_factory.mktemp("limitsdb") / "small.duckdb")
    create_demo_accounts(db)
    # a small import limit so an authenticated oversize upload is quick to send
    with running_server(db, import_max_bytes=4 * MB, login_limit=1000) as u:
        yield u


@pytest.fixture(scope="module")
def analyst_h(url):
    return login(url, "analyst")


@pytest.fixture(scope="module")
def admin_h(url):
    return login(url, "admin")


MULTIPART = {"Content-Type": "multipart/form-data; boundary=XyZ"}


def upload(total: int) -> Iterator[bytes]:
    """A well-formed multipart start (table field, then a file part) followed by ``total`` bytes of file."""
    yield (b'--XyZ\r\nContent-Disposition: form-data; name="table"\r\n\r\nenterprises\r\n'
           b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
           b"Content-Type: text/csv\r\n\r\n")
    yield from chunks(total)


def test_unauthenticated_streamed_upload_is_401_before_reading(url, server_tmp):
    """Finding 3: 1.5 GB unauthenticated multipart left 1.48 GB of temp files before the 401."""
    with PeakWatcher(server_tmp) as w:
        r = stream_request(url, "POST", "/api/v1/imports", MULTIPART, upload(300 * MB))
    assert r["sent"] < 64 * MB  # socket buffers at most; before the fix all 300 MB went in
    assert w.peak == 0  # before the fix: 300 MB spooled to temp files
    assert r["status"] == 401, r
    assert r["json"]["code"] == "not_authenticated"
    assert r["headers"]["www-authenticate"] == "Bearer"


def test_unauthenticated_upload_with_huge_content_length_is_413_unread(url, server_tmp):
    r = stream_request(url, "POST", "/api/v1/imports", {**MULTIPART, "Content-Length": str(1536 * MB)},
                       upload(300 * MB), chunked=False, timeout=20)
    assert r["status"] == 413
    assert r["json"]["code"] == "body_too_large" and r["json"]["params"]["limit"] == 4 * MB
    assert r["sent"] < 64 * MB
    assert dir_bytes(server_tmp) == 0


def test_analyst_streamed_upload_is_403_before_reading(url, analyst_h, server_tmp):
    with PeakWatcher(server_tmp) as w:
        r = stream_request(url, "POST", "/api/v1/imports", {**MULTIPART, **analyst_h}, upload(300 * MB))
    assert r["sent"] < 64 * MB and w.peak == 0
    assert r["status"] == 403 and r["json"]["code"] == "admin_required"


def test_admin_streamed_upload_over_the_limit_is_413_and_spools_no_more(url, admin_h, server_tmp):
    with PeakWatcher(server_tmp) as w:
        r = stream_request(url, "POST", "/api/v1/imports", {**MULTIPART, **admin_h}, upload(300 * MB))
    assert r["status"] == 413 and r["json"]["params"]["limit"] == 4 * MB
    assert r["sent"] < 64 * MB
    assert w.peak <= 4 * MB  # at most the limit was spooled ...
    time.sleep(0.2)
    assert dir_bytes(server_tmp) == 0  # ... and it is gone


def test_streamed_json_body_over_1_mib_is_413(url, analyst_h):
    """Finding 3: a 105 MB JSON body to simulate raised the server's memory by 600 MB."""
    r = stream_request(url, "POST", "/api/v1/chains/robot_chain/simulate",
                       {"Content-Type": "application/json", **analyst_h}, chunks(105 * MB))
    assert r["status"] == 413
    assert r["json"]["params"] == {"limit": MB, "limit_text": "1 MiB"}
    assert r["sent"] < 64 * MB


def test_unauthenticated_json_with_big_content_length_is_413(url):
    r = httpx.post(f"{url}/api/v1/chains/x/simulate", content=b"{" + b" " * (2 * MB) + b"}",
                   headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"


def test_login_body_over_16_kib_is_413_and_small_ones_pass(url):
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "analyst", "password": "p" * (17 * KB)}, timeout=30)
    assert r.status_code == 413 and r.json()["params"]["limit"] == 16 * KB
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "analyst", "password": "wrong-password"},
                   timeout=30)
    assert r.status_code == 401


def test_bodies_under_the_limit_still_work(url, analyst_h, admin_h):
    r = httpx.post(f"{url}/api/v1/chains/robot_chain/simulate", json={"remove_country": "JP"},
                   headers=analyst_h, timeout=60)
    assert r.status_code == 200
    r = httpx.post(f"{url}/api/v1/imports", headers=admin_h, timeout=60, data={"table": "indicators"},
                   files={"file": ("ind.csv", b"region_code,indicator,year,value,unit,source\n"
                                              b"320000,limits_test,2024,1.5,fraction,test\n", "text/csv")})
    assert r.status_code == 200, r.text


def test_chinese_message_for_chinese_clients(url):
    r = httpx.post(f"{url}/api/v1/chains/x/simulate", content=b"x" * (2 * MB),
                   headers={"Content-Type": "application/json", "Accept-Language": "zh-CN,zh;q=0.9"}, timeout=30)
    assert r.status_code == 413 and r.json()["detail"] == "请求体超过此接口的上限 1 MiB。"


def test_limits_come_from_arguments_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORGE_IMPORT_MAX_BYTES", str(7 * MB))
    monkeypatch.setenv("REFORGE_BODY_MAX_BYTES", "2048")
    app = create_app(tmp_path / "a.duckdb", login_max_bytes=999)
    lim = app.state.body_limits
    assert lim.limit_for("/api/v1/imports") == 7 * MB and lim.limit_for("/data/upload") == 7 * MB
    assert lim.limit_for("/api/v1/auth/token") == 999 and lim.limit_for("/login") == 999
    assert lim.limit_for("/api/v1/chains/x/simulate") == 2048
    app.state.db.close()


def test_size_text():
    assert [size_text(n) for n in (512, 16 * KB, MB, 200 * MB, 3 * MB // 2)] == \
        ["512 B", "16 KiB", "1 MiB", "200 MiB", "1.5 MiB"]
