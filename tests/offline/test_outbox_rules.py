"""The outbox's rules without a network: which faults keep an entry waiting and which dead-letter it,
the worker's capped, jittered backoff, and the pruning of delivered entries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.backend.hall_client import HallError, HallUnreachable
from kiosk.backend.resilient import Outbox, ResilientQueue
from kiosk.backend.sync import OutboxWorker
from kiosk.errors import KioskError
from kiosk.hall.accounts import Forbidden
from kiosk.queue.errors import TicketNotFound
from kiosk.queue.store import open_engine, sqlite_url


@pytest.fixture
def outbox(tmp_path: Path, clock: Any) -> Outbox:
    return Outbox(open_engine(sqlite_url(tmp_path / "kiosk.sqlite3")), clock)


def failing(exc: KioskError) -> Any:
    def send(_payload: dict[str, Any]) -> None:
        raise exc
    return send


@pytest.mark.parametrize("fault", [HallUnreachable("ReadTimeout"), HallError("internal_error", "", "", 500),
                                   HallError("http_429", "", "", 429), Forbidden("kiosk")])
def test_faults_of_the_link_or_server_keep_entries_waiting_in_order(outbox: Outbox, fault: KioskError) -> None:
    for n in (1, 2):
        outbox.add("ticket", {"number": f"XA00{n}"})
    result = outbox.deliver({"ticket": failing(fault)})
    assert (result.delivered, result.refused, result.error) == (0, 0, fault)
    assert [(e.payload["number"], e.attempts) for e in outbox.pending()] == [("XA001", 1), ("XA002", 0)]


def test_refusals_are_dead_letters_with_reason_and_delivery_goes_on(outbox: Outbox) -> None:
    sent: list[str] = []
    outbox.add("rating", {"number": "A404"})
    outbox.add("mystery", {})
    outbox.add("ticket", {"number": "XA001"})
    senders = {"rating": failing(TicketNotFound("A404")), "ticket": lambda p: sent.append(p["number"])}
    result = outbox.deliver(senders)
    assert (result.delivered, result.refused, result.error) == (1, 2, None) and sent == ["XA001"]
    assert [(e.kind, e.dead_reason.split(":")[0]) for e in outbox.dead()] == [
        ("rating", "ticket_not_found"), ("mystery", "unknown_entry_kind")]
    assert "A404" in outbox.dead()[0].dead_reason


def test_delivered_entries_are_pruned_after_a_week(outbox: Outbox, clock: Any) -> None:
    outbox.add("ticket", {"number": "XA001"})
    outbox.deliver({"ticket": lambda _p: None})
    outbox.add("ticket", {"number": "XA002"})
    clock.advance(minutes=60 * 24 * 7 + 1)
    assert outbox.prune(timedelta(days=7)) == 1
    assert [e.payload["number"] for e in outbox.pending()] == ["XA002"]


def test_backoff_doubles_from_the_minimum_up_to_the_cap_with_jitter(tmp_path: Path, make_kiosk: Any,
                                                                    dead_url: str) -> None:
    queue: ResilientQueue = make_kiosk("K1", "XA", dead_url)
    longest = OutboxWorker(queue, retry_min=1, retry_max=30, jitter=lambda: 1.0)
    assert [longest.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    shortest = OutboxWorker(queue, retry_min=1, retry_max=30, jitter=lambda: 0.0)
    assert [shortest.backoff(n) for n in (1, 3, 100)] == [0.5, 2, 15]
