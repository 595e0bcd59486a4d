"""Fixtures of the offline tests (issue 7): the hall server of tests/hall on 127.0.0.1, and kiosks whose
service stack is a ``ResilientQueue`` over their own SQLite file."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import ResilientQueue
from kiosk.config import KioskConfig
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url
from tests.hall.conftest import db_url, hall, pg_url, postgres, server, suite  # noqa: F401  (fixtures reused)

__all__ = ["db_url", "hall", "pg_url", "postgres", "server", "suite"]


@pytest.fixture
def dead_url() -> str:
    """A loopback URL with nothing listening (the port was free a moment ago): connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def make_kiosk(config: KioskConfig, hall: HallContext, tmp_path: Path,  # noqa: F811
               clock: Any) -> Iterator[Callable[..., ResilientQueue]]:
    """``make_kiosk("K1", "XA", url)``: a kiosk's queue stack on ``tmp_path/K1.sqlite3`` (reopened when made
    again), with a device token of the hall server."""
    tokens: dict[str, str] = {}
    made: list[tuple[HallClient, LocalQueueService]] = []

    def make(kiosk_id: str, series: str, url: str) -> ResilientQueue:
        if kiosk_id not in tokens:
            tokens[kiosk_id] = hall.accounts.add_device(kiosk_id, Role.KIOSK)
        client = HallClient(url, tokens[kiosk_id], connect_timeout=2, read_timeout=10)
        local = LocalQueueService(open_engine(sqlite_url(tmp_path / f"{kiosk_id}.sqlite3")), config,
                                  id_salt=b"salt-" + kiosk_id.encode(), kiosk_id=kiosk_id, clock=clock)
        made.append((client, local))
        return ResilientQueue(client, local, series)

    yield make
    for client, local in made:
        client.close()
        local.engine.dispose()
