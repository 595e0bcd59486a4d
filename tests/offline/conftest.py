"""Fixtures of the offline tests: the hall server of tests/hall on 127.0.0.1, kiosks whose service
stack is a ``ResilientQueue`` (with check-in and ratings over the same client and outbox) on their own SQLite
file, their background delivery workers, and a proxy that cuts the link."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import OutboxRatings, ResilientAppointments, ResilientQueue
from kiosk.backend.sync import OutboxWorker
from kiosk.config import KioskConfig
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url
from tests.hall.conftest import db_url, hall, pg_url, postgres, server, suite  # noqa: F401  (fixtures reused)
from tests.loopback import LinkProxy

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
    again), with a device token of the hall server (``tokens[kiosk_id]``)."""
    tokens: dict[str, str] = {}
    made: list[tuple[HallClient, LocalQueueService]] = []

    def make(kiosk_id: str, series: str, url: str, *, read_timeout: float = 10,
             probe_seconds: float = 30) -> ResilientQueue:
        if kiosk_id not in tokens:
            tokens[kiosk_id] = hall.accounts.add_device(kiosk_id, Role.KIOSK)
        client = HallClient(url, tokens[kiosk_id], connect_timeout=min(2, read_timeout), read_timeout=read_timeout)
        local = LocalQueueService(open_engine(sqlite_url(tmp_path / f"{kiosk_id}.sqlite3")), config,
                                  id_salt=b"salt-" + kiosk_id.encode(), kiosk_id=kiosk_id, clock=clock)
        made.append((client, local))
        return ResilientQueue(client, local, series, probe_seconds=probe_seconds)

    make.tokens = tokens  # type: ignore[attr-defined]

    yield make
    for client, local in made:
        client.close()
        local.engine.dispose()


@dataclass
class KioskStack:
    """What a hall kiosk's app gets from ``backend_for_config``: queue, check-in and ratings over one client."""

    queue: ResilientQueue
    appointments: ResilientAppointments
    ratings: OutboxRatings


@pytest.fixture
def make_stack(make_kiosk: Callable[..., ResilientQueue]) -> Callable[..., KioskStack]:
    def make(kiosk_id: str, series: str, url: str, **options: Any) -> KioskStack:
        queue = make_kiosk(kiosk_id, series, url, **options)
        return KioskStack(queue, ResilientAppointments(queue), OutboxRatings(queue))
    return make


@pytest.fixture
def start_worker() -> Iterator[Callable[[KioskStack], OutboxWorker]]:
    """``start_worker(stack)``: its background delivery, quick to retry and probe; stopped at the end."""
    started: list[OutboxWorker] = []

    def start(stack: KioskStack) -> OutboxWorker:
        worker = OutboxWorker(stack.queue, retry_min=0.05, retry_max=0.4, probe_seconds=0.2,
                              housekeeping_seconds=0.5, refresh=stack.appointments.refresh)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def proxy(server: ThreadedServer) -> Iterator[LinkProxy]:  # noqa: F811
    """A ``LinkProxy`` in front of the hall server."""
    link = LinkProxy(server.port)
    yield link
    link.close()


def until(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Wait (polling) until ``condition()`` is true; fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.05)
