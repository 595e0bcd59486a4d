"""The hall server's side of the hand-over (``LocalQueueService.import_ticket``) on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.queue.errors import InvalidRecord
from kiosk.queue.model import Priority
from kiosk.queue.schema import tickets
from kiosk.queue.suite import ServiceSuite


def _count(suite: ServiceSuite) -> int:
    with suite.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tickets)).scalar_one())


def test_same_key_gives_same_ticket_even_at_once(suite: ServiceSuite, clock: Any) -> None:
    q = suite.queue
    early = clock() - timedelta(minutes=5)
    args: dict[str, Any] = {"number": "XA001", "group_id": "general", "series": "XA", "seq": 1,
                            "priority": Priority.NONE, "issued_at": early}
    online = q.issue("general")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: q.import_ticket("key-0000001", "K1", **args), range(4)))
    assert {t.number for t in results} == {"XA001"} and _count(suite) == 2
    assert q.import_ticket("key-0000001", "K1", **args).issued_at == early
    # Issued five minutes before the online ticket: it is ahead of it.
    assert q.ticket(online.number).people_ahead == 1
    with pytest.raises(InvalidRecord):
        q.import_ticket("key-0000002", "K2", **args)  # another key, same number
    with pytest.raises(InvalidRecord):
        q.import_ticket("key-0000003", "K2", **{**args, "series": "A", "number": "A050"})
    assert _count(suite) == 2


def test_rating_and_check_in_handed_over_once_by_key_even_at_once(suite: ServiceSuite, clock: Any) -> None:
    from kiosk.queue.appointments import AppointmentStatus, NewAppointment
    from kiosk.queue.errors import AlreadyCheckedIn, AlreadyRated
    from kiosk.queue.schema import ratings

    q = suite.queue
    rated_at = clock() - timedelta(minutes=3)
    ticket = q.import_ticket("key-ticket-1", "K1", number="XA001", group_id="general", series="XA", seq=1,
                             priority=Priority.APPOINTMENT, issued_at=rated_at)
    with ThreadPoolExecutor(4) as pool:
        stored = list(pool.map(lambda _: suite.ratings.submit(1, "XA001", kiosk_id="K1", reasons=["long_wait"],
                                                              key="key-rating-1", at=rated_at), range(4)))
    assert len({r.id for r in stored}) == 1 and stored[0].at == rated_at and stored[0].reasons[0] == "long_wait"
    with pytest.raises(AlreadyRated):
        suite.ratings.submit(5, "XA001", key="key-rating-2")  # another rating of the same ticket
    with suite.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ratings)).scalar_one() == 1

    starts = clock().astimezone(q.config.timezone).replace(tzinfo=None)
    suite.appointments.create(NewAppointment(group_id="general", starts_at=starts, ends_at=starts + timedelta(minutes=30),
                                             code="C1"))
    args: dict[str, Any] = {"code": "C1", "number": ticket.number, "checked_in_at": rated_at}
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda _: suite.appointments.import_check_in("key-checkin-1", "K1", **args), range(4)))
    assert {(c.appointment.status, c.appointment.ticket_number, c.ticket.number) for c in done} == {
        (AppointmentStatus.CHECKED_IN, "XA001", "XA001")}
    # A second kiosk's offline check-in of the same appointment: refused, and its ticket is ordinary now.
    other = q.import_ticket("key-ticket-2", "K2", number="XB001", group_id="general", series="XB", seq=1,
                            priority=Priority.APPOINTMENT, issued_at=rated_at)
    with pytest.raises(AlreadyCheckedIn):
        suite.appointments.import_check_in("key-checkin-2", "K2", **{**args, "number": other.number})
    assert q.ticket("XB001").priority is Priority.NONE and q.ticket("XA001").priority is Priority.APPOINTMENT
