"""Retries of the hall client: only calls that are safe to repeat are tried again, a retried ticket
issue never makes a second ticket (idempotency key, on SQLite and PostgreSQL, also at once), and one call
never outlasts its time budget.

Faults come from real sockets on 127.0.0.1: a proxy in front of the real hall server that loses the server's
answer (the request was handled, the kiosk never hears of it) or answers 503 itself, and a server that
accepts connections and never answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import select

from kiosk.backend.hall_client import HallClient, HallUnreachable
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.identity import Identity
from kiosk.queue.errors import QueueClosed
from kiosk.queue.schema import issue_requests
from kiosk.queue.suite import ServiceSuite
from tests.conftest import make_id_number
from tests.loopback import FaultProxy, SilentServer


@pytest.fixture
def proxy(server: ThreadedServer) -> Iterator[FaultProxy]:
    p = FaultProxy(server.port)
    yield p
    p.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    s = SilentServer()
    yield s
    s.close()


@pytest.fixture
def token(hall: HallContext) -> str:
    return hall.accounts.add_device("K1", Role.KIOSK)


def test_a_retried_issue_after_a_lost_answer_yields_one_ticket(hall: HallContext, proxy: FaultProxy,
                                                               token: str) -> None:
    proxy.faults["POST /api/v1/tickets "] = ["lose"]
    client = HallClient(proxy.url, token, retries=2, backoff=0.01)
    try:
        ticket = client.issue("general")
        assert ticket.number == "A001"
        sent = proxy.requests_to("POST /api/v1/tickets ")
        assert len(sent) == 2, "the lost answer was not retried"
        assert sent[0]["idempotency-key"] and sent[0]["idempotency-key"] == sent[1]["idempotency-key"]
        status = hall.suite.queue.status("general")
        assert (status.issued, status.waiting) == (1, 1), "the retry made a second ticket"
        # The next citizen's ticket is a new request with a new key.
        assert client.issue("general").number == "A002"
        assert len({h["idempotency-key"] for h in proxy.requests_to("POST /api/v1/tickets ")}) == 2
    finally:
        client.close()


def test_the_hand_over_of_an_offline_ticket_is_retried_with_its_key(hall: HallContext, proxy: FaultProxy,
                                                                    token: str, clock: Any) -> None:
    proxy.faults["POST /api/v1/tickets/import "] = ["lose", "lose"]
    client = HallClient(proxy.url, token, retries=2, backoff=0.01)
    payload = {"key": "outbox-entry-0001", "number": "XA001", "group_id": "general", "series": "XA", "seq": 1,
               "priority": "none", "issued_at": clock().isoformat()}
    try:
        assert client.import_ticket(payload).number == "XA001"
    finally:
        client.close()
    sent = proxy.requests_to("POST /api/v1/tickets/import ")
    assert [h["idempotency-key"] for h in sent] == ["outbox-entry-0001"] * 3
    assert hall.suite.queue.status("general").issued == 1


def test_a_call_that_is_not_safe_to_repeat_is_not_retried(proxy: FaultProxy, token: str) -> None:
    proxy.faults["POST /api/v1/appointments/check-in "] = ["lose"]
    client = HallClient(proxy.url, token, retries=2, backoff=0.01)
    try:
        with pytest.raises(HallUnreachable) as lost:
            client.check_in(code="NOSUCH01")
    finally:
        client.close()
    assert len(proxy.requests_to("POST /api/v1/appointments/check-in ")) == 1
    assert "after 1 attempt" in lost.value.detail


def test_reads_are_retried_after_503_with_backoff_until_retries_run_out(proxy: FaultProxy, token: str) -> None:
    proxy.faults["GET /api/v1/groups "] = ["503", "503"]
    client = HallClient(proxy.url, token, retries=2, backoff=0.01)
    try:
        assert [s.group_id for s in client.statuses()][:2] == ["general", "realestate"]
        assert len(proxy.requests_to("GET /api/v1/groups ")) == 3
        proxy.faults["GET /api/v1/groups "] = ["503", "503", "503"]
        with pytest.raises(HallUnreachable) as down:
            client.statuses()
        assert down.value.detail == "HTTP 503 after 3 attempt(s)"
    finally:
        client.close()


def test_retries_stay_within_the_time_budget(silent: SilentServer) -> None:
    unbounded = HallClient(silent.url, "d_x", connect_timeout=1, read_timeout=0.2, retries=2, backoff=0.01)
    with pytest.raises(HallUnreachable) as slow:
        unbounded.issue("general")
    assert len(silent.accepted) == 3 and "ReadTimeout after 3 attempt(s)" in slow.value.detail
    # With a budget of one attempt's timeouts, a retry could not end in time: it does not start.
    bounded = HallClient(silent.url, "d_x", connect_timeout=1, read_timeout=0.2, retries=2, backoff=0.01, budget=1.2)
    with pytest.raises(HallUnreachable):
        bounded.statuses()
    assert len(silent.accepted) == 4
    for client in (unbounded, bounded):
        client.close()


def test_the_server_answers_a_repeated_key_with_the_first_ticket(server: ThreadedServer, token: str) -> None:
    def post(key: str) -> dict[str, Any]:
        r = requests.post(server.base_url + "/api/v1/tickets", json={"group_id": "medins"}, timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        assert r.status_code == 201, r.text
        return dict(r.json())

    with ThreadPoolExecutor(4) as pool:
        numbers = {t["number"] for t in pool.map(lambda _: post("same-key-0001"), range(6))}
    assert numbers == {"C001"}
    assert post("other-key-001")["number"] == "C002"
    bad = requests.post(server.base_url + "/api/v1/tickets", json={"group_id": "medins"}, timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "no spaces allowed"})
    assert bad.status_code == 422


def test_the_same_request_key_issues_one_ticket_on_each_database(suite: ServiceSuite, clock: Any) -> None:
    """SQLite and PostgreSQL: the same key at once from several threads, with an ID card (so the per-person
    limit would refuse a second ticket), gives one ticket; keys belong to their kiosk and their day."""
    q = suite.queue
    person = Identity.from_id_number(make_id_number(date(1990, 5, 6)), source="test")

    def issue(key: str, kiosk: str = "K1") -> str:
        return q.issue("general", person if kiosk == "K1" else None, kiosk_id=kiosk, request_key=key).number

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda _: issue("key-0000001"), range(8))) == {"A001"}
    assert q.status("general").issued == 1
    assert issue("key-0000001", kiosk="K2") == "A002"  # another kiosk's request with the same key
    assert issue("key-0000001") == "A001"
    # A retry after closing time still gets its ticket; a new request is refused.
    clock.set(datetime(2026, 11, 24, 18, 0))
    assert issue("key-0000001") == "A001"
    with pytest.raises(QueueClosed):
        issue("key-0000002")
    # Keys are remembered for the business day: the next day's first keyed issue forgets the earlier ones.
    clock.set(datetime(2026, 11, 25, 10, 0))
    assert issue("key-0000001") == "A001" and q.ticket("A001").day == date(2026, 11, 25)
    with suite.engine.connect() as conn:
        days = set(conn.execute(select(issue_requests.c.day)).scalars())
    assert days == {"2026-11-25"}
