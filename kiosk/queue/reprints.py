"""The record of tickets that were issued but not printed, so that staff can reprint them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, select, update

from kiosk.queue.model import Ticket
from kiosk.queue.schema import print_failures


@dataclass(frozen=True)
class PendingReprint:
    day: date
    number: str
    reason: str
    recorded_at: datetime


class ReprintLog:
    """Print failures in the queue store, until a reprint succeeds."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, ticket: Ticket, reason: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(print_failures).values(
                day=ticket.day.isoformat(), number=ticket.number, reason=reason, recorded_at=datetime.now(UTC)))

    def pending(self) -> list[PendingReprint]:
        """Every failure not reprinted yet, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(print_failures).where(print_failures.c.reprinted_at.is_(None))
                                .order_by(print_failures.c.id)).all()
        return [PendingReprint(date.fromisoformat(r.day), r.number, r.reason, r.recorded_at) for r in rows]

    def resolve(self, day: date, number: str) -> None:
        """A reprint of ``number`` succeeded."""
        with self._engine.begin() as conn:
            conn.execute(update(print_failures).where(
                print_failures.c.day == day.isoformat(), print_failures.c.number == number,
                print_failures.c.reprinted_at.is_(None)).values(reprinted_at=datetime.now(UTC)))
