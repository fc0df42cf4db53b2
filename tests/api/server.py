"""Run the real app under uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(db_path: str | Path, **app_kwargs) -> Iterator[str]:
    """Yield the base URL of a uvicorn server serving ``create_app(db_path)``; stop it afterwards."""
    from reforge.api import create_app
    app_kwargs.setdefault("warm_pages", False)  # a test asks for the warm-up when it tests it
    port = free_port()
    config = uvicorn.Config(create_app(db_path, **app_kwargs), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on", proxy_headers=False)  # as `reforge serve`
    server = uvicorn.Server(config)
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("server did not start")
    try:
        yield url
    finally:
        server.should_exit = True
        th.join(timeout=10)
