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
