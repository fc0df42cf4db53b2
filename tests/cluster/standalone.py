"""A Spark standalone cluster on loopback for tests: one master and N workers, each a
separate JVM started with the ``spark-class`` launcher that the pyspark package ships.

Ports are taken free from the OS; every JVM runs in its own process group so ``stop()``
(also called when start-up fails) leaves nothing behind. A worker can be started
"blind" to one folder: in its own mount namespace an empty tmpfs hides that folder, so
the worker sees what a machine without the shared file system would see.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_home() -> Path:
    """The Spark distribution inside the installed pyspark package."""
    import pyspark
    return Path(pyspark.__file__).resolve().parent


@dataclass
class StandaloneCluster:
    """A master and ``workers`` workers of ``cores`` cores and ``memory`` each, under ``root``."""

    root: Path
    workers: int = 2
    cores: int = 1
    memory: str = "1g"
    blind_to: Path | None = None  # a folder the workers must not see
    port: int = 0
    ui_port: int = 0
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The master URL to give ``SparkSession.builder.master``."""
        return f"spark://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",
                   SPARK_LOG_DIR=str(self.root / "logs"), SPARK_NO_DAEMONIZE="1")
        return env

    def _spawn(self, args: list[str], log: str, env: dict[str, str], blind: bool = False) -> None:
        cmd = [str(spark_home() / "bin" / "spark-class"), *args]
        if blind and self.blind_to is not None:
            hide = str(self.blind_to)
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs none "$0" && exec "$@"', hide, *cmd]
        out = open(self.root / log, "wb")  # noqa: SIM115 - closed with the process at stop()
        self.procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                           cwd=self.root, start_new_session=True))

    def status(self) -> dict:
        """The master's JSON status (workers, applications)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as r:
            return json.loads(r.read())

    def start(self, timeout: float = 180.0) -> StandaloneCluster:
        """Start the JVMs and wait until every worker has registered with the master."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.port, self.ui_port = free_port(), free_port()
        env = self._env()
        try:
            self._spawn(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                         "--port", str(self.port), "--webui-port", str(self.ui_port)], "master.log", env)
            for i in range(self.workers):
                wenv = dict(env, SPARK_WORKER_DIR=str(self.root / f"worker{i}"))
                self._spawn(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                             "--cores", str(self.cores), "--memory", self.memory, "--webui-port", "0",
                             self.url], f"worker{i}.log", wenv, blind=True)
            deadline = time.monotonic() + timeout
            while True:
                dead = [p for p in self.procs if p.poll() is not None]
                if dead:
                    raise RuntimeError(f"a cluster JVM exited early; see the logs in {self.root}")
                try:
                    if len([w for w in self.status().get("workers", []) if w.get("state") == "ALIVE"]) \
                            >= self.workers:
                        return self
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the cluster did not start in {timeout:.0f} s; see {self.root}")
                time.sleep(1.0)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate every JVM (SIGTERM, then SIGKILL after 20 s)."""
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs.clear()
