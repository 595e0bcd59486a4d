"""Fixtures of the hall-server tests: the service layer on SQLite and on a real PostgreSQL, hall servers on
127.0.0.1 (in a thread, or ``kioskctl hall serve`` in child processes), accounts and HTTP clients.

PostgreSQL comes from Debian's packages: one throwaway cluster per test session (``TemporaryPostgres``:
initdb into a temp folder, a free port, run by an unprivileged user when the tests run as root), and a new
database per test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.backend.hall_client import HallClient
from kiosk.config import KioskConfig
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext, create_app
from kiosk.hall.devtools import TemporaryPostgres, ThreadedServer
from kiosk.queue.store import sqlite_url
from kiosk.queue.suite import ServiceSuite, open_suite

PASSWORD = "correct horse 42"
# ``clock`` is the FakeClock of tests/conftest.py: Tuesday 2026-11-24 10:00 in Shanghai, settable.
_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemporaryPostgres]:
    """One PostgreSQL cluster for the session (Debian's server binaries; fails when they are missing)."""
    pg = TemporaryPostgres().start()
    yield pg
    pg.stop()


@pytest.fixture
def pg_url(postgres: TemporaryPostgres) -> str:
    """A new, empty PostgreSQL database for one test."""
    return postgres.create_database(f"hall_test_{next(_db_names)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "hall.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def suite(config: KioskConfig, db_url: str, clock: Any) -> Iterator[ServiceSuite]:
    """The whole service layer on ``db_url`` with the fake clock (Tuesday 10:00, open)."""
    s = open_suite(config, db_url, clock=clock)
    yield s
    s.close()


def make_context(config: KioskConfig, url: str, clock: Any) -> HallContext:
    from kiosk.hall.accounts import AccountStore

    suite = open_suite(config, url, clock=clock, kiosk_id="hall")
    suite.catalog.publish(config.services, by="services.toml")
    return HallContext(config, suite, AccountStore(suite.engine, clock), poll_seconds=0.05, stream_seconds=30)


@pytest.fixture
def hall(config: KioskConfig, tmp_path: Path, clock: Any) -> Iterator[HallContext]:
    """The hall server's context on SQLite, with a manager, a clerk at window 1 and at window 11."""
    ctx = make_context(config, sqlite_url(tmp_path / "hall.sqlite3"), clock)
    ctx.accounts.add_user("boss", Role.MANAGER, PASSWORD, "大厅主任")
    ctx.accounts.add_user("clerk1", Role.CLERK, PASSWORD)
    ctx.accounts.add_user("clerk11", Role.CLERK, PASSWORD)
    yield ctx
    ctx.suite.close()


@pytest.fixture
def server(hall: HallContext) -> Iterator[ThreadedServer]:
    """The hall server (uvicorn) in a thread on 127.0.0.1 and a free port."""
    srv = ThreadedServer(create_app(hall)).start()
    yield srv
    srv.stop()


@pytest.fixture
def kiosk_token(hall: HallContext) -> str:
    return hall.accounts.add_device("K01", Role.KIOSK)


@pytest.fixture
def client_for(server: ThreadedServer) -> Iterator[Callable[..., HallClient]]:
    """``client_for(token)`` or ``client_for(user=..., window=...)``: an HTTP client of the server."""
    made: list[HallClient] = []

    def make(token: str = "", *, user: str = "", window: str | None = None, read_timeout: float = 10) -> HallClient:
        client = HallClient(server.base_url, token, read_timeout=read_timeout)
        if user:
            client.sign_in(user, PASSWORD, window)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def manager_token(server: ThreadedServer) -> str:
    r = requests.post(server.base_url + "/api/v1/auth/login", json={"username": "boss", "password": PASSWORD},
                      timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])
