"""Satisfaction ratings (政务服务"好差评"): five levels, every bad one listed until it is followed up.

A bad rating (不满意, 非常不满意) carries the reasons the citizen picked and, when they want a call back, a
mobile number: the managers see both in the follow-up list. The number is personal data: logs show it masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.identity import Identity
from kiosk.queue.errors import AlreadyRated, InvalidPhone, InvalidRecord, NoTicketToday, RatingNotFound, TicketNotFound
from kiosk.queue.model import Ticket
from kiosk.queue.schema import delivered_keys, ratings, tickets
from kiosk.queue.service import LocalQueueService, _as_utc
from kiosk.texts import tr

log = logging.getLogger(__name__)
# A mainland mobile number: 11 digits, 1 then 3-9 (the call-back number of a bad rating).
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class Level(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    FAIRLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def bad(self) -> bool:
        return self <= Level.DISSATISFIED

    def text(self, lang: str) -> str:
        """The level's name (非常满意, ...) in ``lang``."""
        return tr(f"rating.level.{self.name.lower()}", lang)


class Reason(StrEnum):
    """Why a citizen is not satisfied (picked on the kiosk with a bad rating; several allowed)."""

    LONG_WAIT = "long_wait"
    STAFF_ATTITUDE = "staff_attitude"
    UNCLEAR_MATERIALS = "unclear_materials"
    SLOW_SERVICE = "slow_service"
    SYSTEM_FAULT = "system_fault"
    OTHER = "other"

    def text(self, lang: str) -> str:
        """The reason as the citizen picks it, in ``lang``."""
        return tr(f"rating.reason.{self.value}", lang)


def valid_mobile(phone: str) -> bool:
    """True for an 11-digit mainland mobile number (1 then 3-9, then 9 digits)."""
    return bool(_MOBILE.fullmatch(phone))


def mask_phone(phone: str) -> str:
    """``138****5678``: what logs show of a call-back number."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "*" * len(phone)


def validated_rating(level: int, comment: str = "", reasons: Iterable[str] = (),
                     phone: str = "") -> tuple[Level, tuple[Reason, ...], str]:
    """A rating's level, reasons and call-back number as stored, or the refusal the citizen sees (a hall kiosk
    checks before it queues a rating offline; the service checks again where it stores it)."""
    try:
        the_level = Level(level)
    except ValueError:
        raise InvalidRecord("level must be 1-5") from None
    if len(comment) > 500:
        raise InvalidRecord("comment longer than 500 characters")
    the_reasons = parse_reasons(reasons)
    phone = phone.strip()
    if (the_reasons or phone) and not the_level.bad:
        raise InvalidRecord("reasons and a call-back number go with a bad rating only")
    if phone and not valid_mobile(phone):
        raise InvalidPhone(mask_phone(phone))
    return the_level, the_reasons, phone


def parse_reasons(values: Iterable[str]) -> tuple[Reason, ...]:
    """Reasons in their canonical order, each once; ``InvalidRecord`` for an unknown one."""
    try:
        chosen = {Reason(v) for v in values}
    except ValueError:
        raise InvalidRecord("unknown rating reason") from None
    return tuple(r for r in Reason if r in chosen)


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
    reasons: tuple[Reason, ...] = ()
    phone: str = field(default="", repr=False)  # personal data: never in a repr that may reach a log


class RatingDesk(Protocol):
    """What a kiosk needs: find the ticket a citizen rates, and store the rating."""

    def rateable_ticket(self, number: str = "", identity: Identity | None = None) -> Ticket:
        """Today's ticket ``number``, or the most recent one issued today to ``identity``; raises
        ``TicketNotFound``, ``NoTicketToday`` or ``AlreadyRated`` (before the citizen chooses a level)."""
        ...

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "",
               reasons: Iterable[str] = (), phone: str = "") -> Rating:
        ...


class RatingService:
    def __init__(self, queue: LocalQueueService) -> None:
        self._queue = queue
        self._engine = queue.engine

    @staticmethod
    def _rating(row: Any) -> Rating:
        return Rating(row.id, _as_utc(row.at), Level(row.level), row.number or "", row.group_id,  # type: ignore[arg-type]
                      row.window, row.comment, row.kiosk_id, _as_utc(row.followed_up_at),
                      row.followed_up_by or "", row.follow_up_note or "",
                      parse_reasons(r for r in (row.reasons or "").split(",") if r), row.phone or "")

    def rateable_ticket(self, number: str = "", identity: Identity | None = None) -> Ticket:
        """Today's ticket ``number``, or the most recent one issued today to ``identity`` (by its salted hash);
        ``AlreadyRated`` when it has been rated, so the citizen is told before choosing a level."""
        day = self._queue.business_day().isoformat()
        number = number.strip().upper()
        if not number:
            if identity is None:
                raise TicketNotFound("")
            with self._engine.connect() as conn:
                found = conn.execute(select(tickets.c.number).where(
                    tickets.c.day == day, tickets.c.identity_key == self._queue.identity_key(identity))
                    .order_by(tickets.c.issued_at.desc(), tickets.c.id.desc()).limit(1)).scalar()
            if found is None:
                raise NoTicketToday()
            number = str(found)
        ticket = self._queue.ticket(number)  # TicketNotFound
        with self._engine.connect() as conn:
            if conn.execute(select(ratings.c.id).where(ratings.c.day == day, ratings.c.number == number)).first():
                raise AlreadyRated(number)
        return ticket

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "",
               reasons: Iterable[str] = (), phone: str = "", *, key: str = "", at: datetime | None = None) -> Rating:
        """Store a rating, of that day's ticket ``number`` when given (once per ticket; its group and window are
        taken from the ticket). ``reasons`` (``Reason`` values) and a call-back mobile ``phone`` go with a bad
        rating only.

        A kiosk's outbox passes its idempotency ``key`` (the same key again returns the rating stored
        the first time, also when both arrive at once) and ``at``, when the citizen rated (never after now)."""
        the_level, the_reasons, phone = validated_rating(level, comment, reasons, phone)
        if key and (earlier := self._rating_for_key(key)) is not None:
            return earlier
        received = self._queue.clock().astimezone(UTC)
        now = min(at.astimezone(UTC), received) if at else received
        day = self._queue.business_day(now)
        group_id = ""
        number = number.strip().upper()
        if number:
            ticket = self._queue.ticket(number, day)  # TicketNotFound: only that day's issued numbers are rated
            group_id, window = ticket.group_id, window or ticket.window
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(insert(ratings).values(
                    at=now, day=day.isoformat(), level=int(the_level), number=number or None, group_id=group_id,
                    window=window[:16], comment=comment, kiosk_id=kiosk_id[:16],
                    reasons=",".join(the_reasons) or None, phone=phone or None).returning(ratings.c.id)).scalar_one()
                if key:
                    conn.execute(insert(delivered_keys).values(key=key, kind="rating", kiosk_id=kiosk_id[:16],
                                                               ref=str(new_id), received_at=received))
                rating = self._rating(conn.execute(select(ratings).where(ratings.c.id == new_id)).one())
        except IntegrityError:
            # The same key stored meanwhile by a concurrent delivery: its rating; else the ticket's earlier one.
            if key and (earlier := self._rating_for_key(key)) is not None:
                return earlier
            raise AlreadyRated(number) from None
        log.info("rating %d: level %d, ticket %s, reasons %s, call back %s", rating.id, rating.level,
                 number or "-", ",".join(the_reasons) or "-", mask_phone(phone) if phone else "no")
        return rating

    def _rating_for_key(self, key: str) -> Rating | None:
        with self._engine.connect() as conn:
            ref = conn.execute(select(delivered_keys.c.ref).where(delivered_keys.c.key == key,
                                                                  delivered_keys.c.kind == "rating")).scalar()
            row = conn.execute(select(ratings).where(ratings.c.id == int(ref))).first() if ref else None
        return self._rating(row) if row is not None else None

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
