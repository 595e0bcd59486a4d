"""The queue service: issuing numbers, queue status, calling and finishing tickets.

``QueueService`` is the interface the screens and ``kioskctl`` use. ``LocalQueueService`` implements it
over SQLAlchemy Core; the same code runs on the kiosk's embedded SQLite file and behind the hall server.
Every number comes from one atomic ``UPDATE ... RETURNING`` on a counter row inside the transaction
that stores the ticket, so a crash either keeps both or neither: no gap, no duplicate.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiosk.clock import Clock, utc_now
from kiosk.config import GroupConfig, KioskConfig
from kiosk.hours import OpeningHours
from kiosk.identity import Identity, identity_key
from kiosk.queue.errors import (
    IdentityRequired,
    QueueClosed,
    QuotaExhausted,
    TicketLimitReached,
    TicketNotFound,
    UnknownGroup,
)
from kiosk.queue.model import OPEN_STATUSES, GroupStatus, Priority, Ticket, TicketStatus
from kiosk.queue.schema import counters, tickets


class QueueService(Protocol):
    """What a kiosk needs from a queue, wherever the queue lives."""

    def issue(self, group_id: str, identity: Identity | None = None,
              priority: Priority = Priority.NONE) -> Ticket:
        """Issue the next number of ``group_id``; raises a ``QueueRefused`` subclass when it may not."""
        ...

    def status(self, group_id: str) -> GroupStatus:
        """The group's waiting counts, numbers being served and wait for a new ticket."""
        ...

    def statuses(self) -> list[GroupStatus]:
        """``status`` of every configured group, in configuration order."""
        ...

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        """A ticket of ``day`` (default today) by its number; raises ``TicketNotFound``."""
        ...


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _insert_counter_if_missing(conn: Connection, day: str, key: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(counters).values(day=day, key=key, value=0).on_conflict_do_nothing())


def _bump(conn: Connection, day: str, key: str, limit: int | None = None) -> int | None:
    """Atomically add one to a counter (unless it reached ``limit``); the new value, or None."""
    _insert_counter_if_missing(conn, day, key)
    cond = and_(counters.c.day == day, counters.c.key == key)
    if limit is not None:
        cond = and_(cond, counters.c.value < limit)
    row = conn.execute(
        update(counters).where(cond).values(value=counters.c.value + 1).returning(counters.c.value)
    ).first()
    return None if row is None else int(row[0])


class LocalQueueService:
    """The queue over a SQLAlchemy engine: in-process on SQLite, or behind the hall server."""

    def __init__(self, engine: Engine, config: KioskConfig, *, id_salt: bytes, kiosk_id: str = "",
                 clock: Clock = utc_now) -> None:
        self._engine = engine
        self._config = config
        self._salt = id_salt
        self._kiosk_id = kiosk_id or config.kiosk.kiosk.id
        self._clock = clock
        self._tz = config.timezone
        self._hours = OpeningHours(config.kiosk.hours, self._tz)

    # -- helpers -------------------------------------------------------------------------------

    def _group(self, group_id: str) -> GroupConfig:
        try:
            return self._config.group(group_id)
        except KeyError:
            raise UnknownGroup(group_id) from None

    def business_day(self, now: datetime | None = None) -> date:
        """The hall's local date: numbering restarts at the hall's midnight."""
        return (now or self._clock()).astimezone(self._tz).date()

    @staticmethod
    def _format(prefix: str, seq: int, digits: int) -> str:
        return f"{prefix}{seq:0{digits}d}"

    def _average_service_minutes(self, conn: Connection, group: GroupConfig) -> float:
        recent = (
            select(tickets.c.called_at, tickets.c.served_at)
            .where(tickets.c.group_id == group.id, tickets.c.served_at.is_not(None),
                   tickets.c.called_at.is_not(None))
            .order_by(tickets.c.served_at.desc())
            .limit(self._config.kiosk.queue.recent_services_for_estimate)
        )
        spans = [(_as_utc(s) - _as_utc(c)).total_seconds() / 60  # type: ignore[operator]
                 for c, s in conn.execute(recent)]
        spans = [s for s in spans if s > 0]
        return sum(spans) / len(spans) if spans else group.service_minutes

    def _wait_minutes(self, conn: Connection, group: GroupConfig, ahead: int) -> int:
        if ahead <= 0:
            return 0
        return math.ceil(ahead * self._average_service_minutes(conn, group) / len(group.windows))

    def _ahead_of(self, conn: Connection, row: Any) -> int:
        """Waiting tickets served before this one: green channel first, then by issue order."""
        cond = [tickets.c.day == row.day, tickets.c.group_id == row.group_id,
                tickets.c.status == TicketStatus.WAITING, tickets.c.id != row.id]
        earlier = (tickets.c.issued_at < row.issued_at) | (
            (tickets.c.issued_at == row.issued_at) & (tickets.c.id < row.id))
        if row.priority != Priority.NONE:
            cond += [tickets.c.priority != Priority.NONE, earlier]
        else:
            cond.append((tickets.c.priority != Priority.NONE) | earlier)
        return int(conn.execute(select(func.count()).where(*cond)).scalar_one())

    def _to_ticket(self, conn: Connection, row: Any) -> Ticket:
        ahead = self._ahead_of(conn, row) if row.status == TicketStatus.WAITING else 0
        return Ticket(
            number=row.number, group_id=row.group_id, day=date.fromisoformat(row.day), seq=row.seq,
            priority=Priority(row.priority), issued_at=_as_utc(row.issued_at),  # type: ignore[arg-type]
            status=TicketStatus(row.status), people_ahead=ahead,
            wait_minutes=self._wait_minutes(conn, self._group(row.group_id), ahead),
            kiosk_id=row.kiosk_id, id_masked=row.id_masked or "", window=row.window or "",
        )

    def _priority_for(self, identity: Identity | None, priority: Priority, today: date) -> Priority:
        if priority is Priority.NONE and identity is not None \
                and identity.age(today) >= self._config.kiosk.queue.elderly_age:
            return Priority.ELDERLY
        return priority

    # -- QueueService --------------------------------------------------------------------------

    def issue(self, group_id: str, identity: Identity | None = None,
              priority: Priority = Priority.NONE) -> Ticket:
        group = self._group(group_id)
        now = self._clock().astimezone(UTC)
        state = self._hours.state(now)
        if not state.open:
            raise QueueClosed(state.next_open, state.reason)
        if group.identity == "required" and identity is None:
            raise IdentityRequired(group_id)
        today = self.business_day(now)
        day = today.isoformat()
        priority = self._priority_for(identity, priority, today)
        series = group.priority_prefix if priority is not Priority.NONE and group.priority_prefix \
            else group.prefix
        key = identity_key(identity.id_number, self._salt) if identity else None
        with self._engine.begin() as conn:
            # The quota counter is bumped first: on PostgreSQL its row lock serialises this group's
            # issuing, so the per-person check below cannot race with another kiosk.
            if _bump(conn, day, f"quota:{group.id}", group.daily_quota) is None:
                raise QuotaExhausted(self._hours.next_opening(now.astimezone(self._tz).replace(
                    hour=23, minute=59)), group.id)
            if key is not None:
                held = conn.execute(
                    select(tickets.c.number).where(
                        tickets.c.day == day, tickets.c.group_id == group.id,
                        tickets.c.identity_key == key, tickets.c.status.in_(OPEN_STATUSES))
                    .order_by(tickets.c.id)
                ).scalars().all()
                if len(held) >= self._config.kiosk.queue.open_tickets_per_person:
                    raise TicketLimitReached(held[0])
            seq = _bump(conn, day, f"seq:{series}")
            assert seq is not None
            number = self._format(series, seq, group.number_digits)
            new_id = conn.execute(
                insert(tickets).values(
                    day=day, number=number, group_id=group.id, series=series, seq=seq,
                    priority=priority.value, status=TicketStatus.WAITING.value, issued_at=now,
                    kiosk_id=self._kiosk_id, identity_key=key,
                    id_masked=identity.masked_number if identity else None,
                ).returning(tickets.c.id)
            ).scalar_one()
            row = conn.execute(select(tickets).where(tickets.c.id == new_id)).one()
            return self._to_ticket(conn, row)

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        the_day = (day or self.business_day()).isoformat()
        with self._engine.connect() as conn:
            row = conn.execute(
                select(tickets).where(tickets.c.day == the_day, tickets.c.number == number.upper())
            ).first()
            if row is None:
                raise TicketNotFound(number)
            return self._to_ticket(conn, row)

    def status(self, group_id: str) -> GroupStatus:
        group = self._group(group_id)
        with self._engine.connect() as conn:
            return self._status(conn, group)

    def statuses(self) -> list[GroupStatus]:
        with self._engine.connect() as conn:
            return [self._status(conn, g) for g in self._config.services.groups]

    def _status(self, conn: Connection, group: GroupConfig) -> GroupStatus:
        now = self._clock().astimezone(UTC)
        day = self.business_day(now).isoformat()
        waiting, priority_waiting = conn.execute(
            select(func.count(),
                   func.coalesce(func.sum(case((tickets.c.priority != Priority.NONE, 1), else_=0)), 0))
            .where(tickets.c.day == day, tickets.c.group_id == group.id,
                   tickets.c.status == TicketStatus.WAITING)
        ).one()
        serving = tuple(conn.execute(
            select(tickets.c.number).where(tickets.c.day == day, tickets.c.group_id == group.id,
                                           tickets.c.status == TicketStatus.CALLED)
            .order_by(tickets.c.called_at.desc())
        ).scalars())
        counts = {key: value for key, value in conn.execute(
            select(counters.c.key, counters.c.value).where(
                counters.c.day == day, counters.c.key.in_([f"quota:{group.id}", f"seq:{group.prefix}"])))}
        issued = int(counts.get(f"quota:{group.id}", 0))
        refusal = ""
        if not self._hours.state(now).open:
            refusal = QueueClosed.code
        elif issued >= group.daily_quota:
            refusal = QuotaExhausted.code
        return GroupStatus(
            group_id=group.id, name_zh=group.name_zh, name_en=group.name_en,
            waiting=int(waiting), priority_waiting=int(priority_waiting), serving=serving,
            next_number=self._format(group.prefix, int(counts.get(f"seq:{group.prefix}", 0)) + 1,
                                     group.number_digits),
            wait_minutes=self._wait_minutes(conn, group, int(waiting)),
            issued=issued, quota=group.daily_quota, available=not refusal, refusal_code=refusal,
        )

    # -- window side (used by kioskctl now, by the hall server's clerks later) -------------------

    def call_next(self, group_id: str, window: str) -> Ticket | None:
        """Call the next waiting ticket of the group to ``window``: green channel first."""
        group = self._group(group_id)
        now = self._clock().astimezone(UTC)
        day = self.business_day(now).isoformat()
        order = (case((tickets.c.priority != Priority.NONE, 0), else_=1), tickets.c.issued_at, tickets.c.id)
        with self._engine.begin() as conn:
            while True:
                row = conn.execute(
                    select(tickets.c.id).where(tickets.c.day == day, tickets.c.group_id == group.id,
                                               tickets.c.status == TicketStatus.WAITING)
                    .order_by(*order).limit(1)
                ).first()
                if row is None:
                    return None
                # Guarded by status so that two windows never call the same ticket.
                claimed = conn.execute(
                    update(tickets).where(tickets.c.id == row.id, tickets.c.status == TicketStatus.WAITING)
                    .values(status=TicketStatus.CALLED.value, called_at=now, window=window)
                ).rowcount
                if claimed:
                    return self._to_ticket(conn, conn.execute(select(tickets).where(tickets.c.id == row.id)).one())

    def finish(self, number: str, served: bool = True) -> Ticket:
        """Mark a called ticket served (or a no-show); its service time feeds the wait estimates."""
        now = self._clock().astimezone(UTC)
        day = self.business_day(now).isoformat()
        status = TicketStatus.SERVED if served else TicketStatus.NO_SHOW
        with self._engine.begin() as conn:
            done = conn.execute(
                update(tickets).where(tickets.c.day == day, tickets.c.number == number.upper(),
                                      tickets.c.status.in_(OPEN_STATUSES))
                .values(status=status.value, served_at=now if served else None)
            ).rowcount
            if not done:
                raise TicketNotFound(number)
            return self._to_ticket(conn, conn.execute(
                select(tickets).where(tickets.c.day == day, tickets.c.number == number.upper())).one())
