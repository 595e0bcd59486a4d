"""Satisfaction ratings (政务服务"好差评"): five levels, every bad one listed until it is followed up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.queue.errors import AlreadyRated, InvalidRecord, RatingNotFound
from kiosk.queue.schema import ratings
from kiosk.queue.service import LocalQueueService, _as_utc


class Level(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    FAIRLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def zh(self) -> str:
        return LEVEL_TEXT[self][0]

    @property
    def en(self) -> str:
        return LEVEL_TEXT[self][1]

    @property
    def bad(self) -> bool:
        return self <= Level.DISSATISFIED


LEVEL_TEXT: dict[Level, tuple[str, str]] = {
    Level.VERY_SATISFIED: ("非常满意", "Very satisfied"),
    Level.SATISFIED: ("满意", "Satisfied"),
    Level.FAIRLY_SATISFIED: ("基本满意", "Fairly satisfied"),
    Level.DISSATISFIED: ("不满意", "Dissatisfied"),
    Level.VERY_DISSATISFIED: ("非常不满意", "Very dissatisfied"),
}


@dataclass(frozen=True)
class Rating:
    id: int
    at: datetime
    level: Level
    number: str
    group_id: str
    window: str
    comment: str
    kiosk_id: str
    followed_up_at: datetime | None = None
    followed_up_by: str = ""
    follow_up_note: str = ""


class RatingDesk(Protocol):
    """What a kiosk needs: store a citizen's rating."""

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "") -> Rating:
        ...


class RatingService:
    def __init__(self, queue: LocalQueueService) -> None:
        self._queue = queue
        self._engine = queue.engine

    @staticmethod
    def _rating(row: Any) -> Rating:
        return Rating(row.id, _as_utc(row.at), Level(row.level), row.number or "", row.group_id,  # type: ignore[arg-type]
                      row.window, row.comment, row.kiosk_id, _as_utc(row.followed_up_at),
                      row.followed_up_by or "", row.follow_up_note or "")

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "") -> Rating:
        """Store a rating, of today's ticket ``number`` when given (once per ticket; its group and window are
        taken from the ticket)."""
        try:
            the_level = Level(level)
        except ValueError:
            raise InvalidRecord("level must be 1-5") from None
        if len(comment) > 500:
            raise InvalidRecord("comment longer than 500 characters")
        now = self._queue.clock().astimezone(UTC)
        day = self._queue.business_day(now).isoformat()
        group_id = ""
        number = number.strip().upper()
        if number:
            ticket = self._queue.ticket(number)  # TicketNotFound: only today's issued numbers are rated
            group_id, window = ticket.group_id, window or ticket.window
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(insert(ratings).values(
                    at=now, day=day, level=int(the_level), number=number or None, group_id=group_id,
                    window=window[:16], comment=comment, kiosk_id=kiosk_id[:16]).returning(ratings.c.id)).scalar_one()
                return self._rating(conn.execute(select(ratings).where(ratings.c.id == new_id)).one())
        except IntegrityError:
            raise AlreadyRated(number) from None

    def bad(self, open_only: bool = True, limit: int = 200) -> list[Rating]:
        """Bad ratings (不满意, 非常不满意), newest first; by default only those not followed up yet."""
        cond = [ratings.c.level <= int(Level.DISSATISFIED)]
        if open_only:
            cond.append(ratings.c.followed_up_at.is_(None))
        with self._engine.connect() as conn:
            rows = conn.execute(select(ratings).where(*cond).order_by(ratings.c.id.desc()).limit(limit)).all()
        return [self._rating(r) for r in rows]

    def follow_up(self, rating_id: int, note: str, by: str) -> Rating:
        """Record how a bad rating was followed up (整改/回访)."""
        if not note.strip():
            raise InvalidRecord("the follow-up note is empty")
        now = self._queue.clock().astimezone(UTC)
        with self._engine.begin() as conn:
            done = conn.execute(update(ratings).where(ratings.c.id == rating_id).values(
                followed_up_at=now, followed_up_by=by[:32], follow_up_note=note[:500])).rowcount
            if not done:
                raise RatingNotFound(str(rating_id))
            return self._rating(conn.execute(select(ratings).where(ratings.c.id == rating_id)).one())

    def counts(self, day: date) -> dict[Level, int]:
        """Ratings of ``day`` per level (every level present, zero when none)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(ratings.c.level, func.count()).where(ratings.c.day == day.isoformat())
                                .group_by(ratings.c.level)).all()
        found = {int(level): int(count) for level, count in rows}
        return {lvl: int(found.get(int(lvl), 0)) for lvl in sorted(Level, reverse=True)}
