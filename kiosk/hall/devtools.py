"""Real servers for tests and benchmarks: a throwaway PostgreSQL cluster, hall servers in a subprocess or a
thread. Nothing here runs in a deployed hall; it lives in the package so tests and benchmarks share it.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to an unprivileged user
(``postgres`` from Debian's package, else ``nobody``), in a fresh folder under the system temp folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

_PG_ROOT = Path("/usr/lib/postgresql")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL server binaries (``initdb``, ``pg_ctl``), or those on PATH."""
    if _PG_ROOT.is_dir():
        versions = sorted((p for p in _PG_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
                          key=lambda p: int(p.name) if p.name.isdigit() else 0)
        if versions:
            return versions[-1] / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresUnavailable(RuntimeError):
    pass


class TemporaryPostgres:
    """A private PostgreSQL cluster on 127.0.0.1 and a free port, its files and socket in a temp folder."""

    def __init__(self, durable: bool = False, max_connections: int = 300) -> None:
        self.durable = durable
        self.max_connections = max_connections
        self.port = 0
        self.root: Path | None = None
        self._run_as: dict[str, Any] = {}

    def _owner(self) -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return entry.pw_uid, entry.pw_gid
        raise PostgresUnavailable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")

    def _run(self, args: list[str], timeout: float = 120) -> None:
        assert self.root is not None
        result = subprocess.run(args, cwd=self.root, capture_output=True, text=True, timeout=timeout,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root),
                                     "LC_ALL": "C"}, **self._run_as)
        if result.returncode != 0:
            log = (self.root / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                                      f"{result.stdout[-2000:]}{result.stderr[-2000:]}{tail}")

    def start(self) -> TemporaryPostgres:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise PostgresUnavailable("PostgreSQL is not installed (Debian package postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        owner = self._owner()
        if owner is not None:
            os.chown(self.root, *owner)
            self._run_as = {"user": owner[0], "group": owner[1], "extra_groups": []}
        data, sock = self.root / "data", self.root / "sock"
        self._run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        if owner is not None:
            sock.mkdir()
            os.chown(sock, *owner)
        else:
            sock.mkdir()
        options = ["-c listen_addresses=127.0.0.1", f"-k {sock}", f"-c max_connections={self.max_connections}"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for attempt in range(3):  # the free port may be taken between looking and binding
            self.port = free_port()
            try:
                self._run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"), "-w",
                           "-t", "60", "-o", " ".join([f"-p {self.port}", *options]), "start"])
                return self
            except PostgresUnavailable:
                if attempt == 2:
                    raise
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def stop(self) -> None:
        bin_dir = postgres_bin()
        if self.root is None:
            return
        if bin_dir is not None and (self.root / "data" / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run([str(bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"], 60)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60) -> None:
    """Wait (bounded) until the hall server answers ``/api/v1/health``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the hall server exited with {proc.returncode}")
        try:
            if requests.get(base_url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the hall server at {base_url} did not answer within {timeout} s")


class ServerProcess:
    """``kioskctl hall serve`` in a child process on 127.0.0.1 and a free port."""

    def __init__(self, config_dir: Path, state_dir: Path, database_url: str = "", demo_time: str = "",
                 log_path: Path | None = None) -> None:
        self.config_dir = config_dir
        self.state_dir = state_dir
        self.database_url = database_url
        self.demo_time = demo_time
        self.log_path = log_path or state_dir / "hall-server.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        args = [sys.executable, "-m", "kiosk.cli", "hall", "serve", "--config", str(self.config_dir),
                "--host", "127.0.0.1", "--port", str(self.port)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        if self.demo_time:
            args += ["--demo-time", self.demo_time]
        env = {**os.environ, "KIOSK_STATE_DIR": str(self.state_dir), "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_healthy(self.base_url, self.proc, timeout)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.proc = None


class ThreadedServer:
    """A hall-server application under uvicorn in a thread of this process, on 127.0.0.1 and a free port;
    over HTTPS with ``certfile`` and ``keyfile`` (PEM)."""

    def __init__(self, app: Any, *, certfile: str = "", keyfile: str = "") -> None:
        import uvicorn

        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it every
        # keep-alive request waits ~40 ms for a delayed ACK.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.scheme = "https" if certfile else "http"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1,
                                                    lifespan="off", ssl_certfile=certfile or None,
                                                    ssl_keyfile=keyfile or None))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the threaded hall server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()
