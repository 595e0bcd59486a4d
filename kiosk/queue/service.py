"""The queue service: issuing numbers, queue status, and the windows that call them.

``QueueService`` is the interface the screens and ``kioskctl`` use; ``WindowService`` is the window side
(clerks, the display board). ``LocalQueueService`` implements both over SQLAlchemy Core; the same code runs
on the kiosk's embedded SQLite file and behind the hall server on SQLite or PostgreSQL.
Every number comes from one atomic ``UPDATE ... RETURNING`` on a counter row inside the transaction
that stores the ticket, so a crash either keeps both or neither: no gap, no duplicate. A window claims a
ticket with an update guarded by its status (and ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
windows, in any number of server processes, never call the same ticket.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, DateTime, Engine, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from kiosk.clock import Clock, utc_now
from kiosk.config import GroupConfig, KioskConfig
from kiosk.hours import OpeningHours
from kiosk.identity import Identity, identity_key
from kiosk.queue.errors import (
    IdentityRequired,
    InvalidRecord,
    NoCurrentTicket,
    NoShowTooEarly,
    NotMissed,
    QueueClosed,
    QuotaExhausted,
    RejoinLimitReached,
    RejoinNotAllowed,
    SameGroup,
    TicketLimitReached,
    TicketNotFound,
    UnknownGroup,
    UnknownWindow,
)
from kiosk.queue.model import (
    OPEN_STATUSES,
    CallEvent,
    EventKind,
    GroupStatus,
    Priority,
    Ticket,
    TicketStatus,
    WindowState,
    priority_for,
)
from kiosk.queue.schema import counters, events, issue_requests, ticket_imports, tickets, window_groups

WINDOW_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


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

    def serving(self) -> list[Ticket]:
        """Today's tickets called to a window and not finished yet (one per window), latest call first."""
        ...

    def rejoin(self, number: str) -> Ticket:
        """Today's missed ``number`` waits again, by the hall's rule (``[calling] rejoin``); raises
        ``RejoinNotAllowed``, ``TicketNotFound``, ``NotMissed``, ``RejoinLimitReached`` or ``QueueClosed``."""
        ...


class WindowService(Protocol):
    """What a window clerk and the display board need; every call acts on today's tickets."""

    def windows(self) -> list[WindowState]:
        """Every known window (configured or added by a manager), in a stable order."""
        ...

    def window(self, window: str) -> WindowState:
        """One window; raises ``UnknownWindow``."""
        ...

    def set_window_groups(self, window: str, group_ids: Sequence[str], by: str = "") -> WindowState:
        """Change which groups a window serves, effective at its next call (manager)."""
        ...

    def call_window(self, window: str) -> Ticket | None:
        """Mark the window's current ticket served, then call the next one of the groups it serves."""
        ...

    def recall(self, window: str) -> Ticket:
        """Announce the window's current ticket again."""
        ...

    def no_show(self, window: str) -> Ticket:
        """The called citizen did not come (after the configured recalls)."""
        ...

    def transfer(self, window: str, group_id: str) -> Ticket:
        """Send the window's current ticket to another group's queue, keeping its place by issue time."""
        ...

    def serve(self, window: str) -> Ticket:
        """The window's current ticket was served."""
        ...

    def events_since(self, after_id: int, limit: int = 100) -> list[CallEvent]:
        """Today's window events after ``after_id``, oldest first."""
        ...

    def recent_calls(self, limit: int) -> list[CallEvent]:
        """Today's latest calls and recalls, newest first."""
        ...


# Where a waiting ticket stands in its queue: by issue time, or by when a missed number rejoined.
_queue_order = func.coalesce(tickets.c.queued_at, tickets.c.issued_at, type_=DateTime(timezone=True))


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _insert_counter_if_missing(conn: Connection, day: str, key: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(counters).values(day=day, key=key, value=0).on_conflict_do_nothing())


def _bump(conn: Connection, day: str, key: str, limit: int | None = None) -> int | None:
    """Atomically add one to a counter (unless it reached ``limit``); the new value, or None.

    One upsert: a new day's row starts at 1, an existing row is incremented under its row lock, and a
    row at ``limit`` is left alone and returns nothing."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = conn.execute(
        dialect.insert(counters).values(day=day, key=key, value=1)
        .on_conflict_do_update(index_elements=[counters.c.day, counters.c.key],
                               set_={"value": counters.c.value + 1},
                               where=counters.c.value < limit if limit is not None else None)
        .returning(counters.c.value)
    ).first()
    return None if row is None else int(row[0])


def _counter(conn: Connection, day: str, key: str) -> int:
    value = conn.execute(select(counters.c.value).where(counters.c.day == day, counters.c.key == key)).scalar()
    return int(value or 0)


def _set_counter(conn: Connection, day: str, key: str, value: int) -> None:
    _insert_counter_if_missing(conn, day, key)
    conn.execute(update(counters).where(counters.c.day == day, counters.c.key == key).values(value=value))


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
        self._keys_day = ""  # the business day whose idempotency keys are kept (earlier ones were deleted)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def config(self) -> KioskConfig:
        return self._config

    @property
    def clock(self) -> Clock:
        return self._clock

    def identity_key(self, identity: Identity) -> str:
        """The salted hash this queue stores for ``identity`` (per-person limits, appointment lookups)."""
        return identity_key(identity.id_number, self._salt)

    # -- helpers -------------------------------------------------------------------------------

    def _group(self, group_id: str) -> GroupConfig:
        try:
            return self._config.group(group_id)
        except KeyError:
            raise UnknownGroup(group_id) from None

    def business_day(self, now: datetime | None = None) -> date:
        """The hall's local date: numbering restarts at the hall's midnight."""
        return (now or self._clock()).astimezone(self._tz).date()

    def _now_and_day(self) -> tuple[datetime, str]:
        now = self._clock().astimezone(UTC)
        return now, self.business_day(now).isoformat()

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
        serving = sum(1 for groups in self._window_map(conn).values() if group.id in groups)
        # A group no window serves right now still gets an estimate: as if one window came back.
        return math.ceil(ahead * self._average_service_minutes(conn, group) / max(serving, 1))

    def _ahead_of(self, conn: Connection, row: Any) -> int:
        """Waiting tickets served before this one: green channel first, then in queue order (``_queue_order``)."""
        cond = [tickets.c.day == row.day, tickets.c.group_id == row.group_id,
                tickets.c.status == TicketStatus.WAITING, tickets.c.id != row.id]
        mine = row.queued_at or row.issued_at
        earlier = (_queue_order < mine) | ((_queue_order == mine) & (tickets.c.id < row.id))
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

    def _ticket_by_id(self, conn: Connection, ticket_id: int) -> Ticket:
        return self._to_ticket(conn, conn.execute(select(tickets).where(tickets.c.id == ticket_id)).one())

    # -- QueueService --------------------------------------------------------------------------

    def issue(self, group_id: str, identity: Identity | None = None,
              priority: Priority = Priority.NONE, *, kiosk_id: str = "", request_key: str = "", series: str = "",
              also: Callable[[Connection, Ticket], object] | None = None) -> Ticket:
        """Issue a number; ``kiosk_id`` names the kiosk it was taken at (the hall server passes its caller's).

        ``request_key`` (the caller's idempotency key): the same key again returns the ticket issued for it the
        first time on the same business day, also when both arrive at once and also after closing time.
        ``series`` overrides the group's own, and ``also`` runs inside the transaction that stores the ticket
        (the resilient backend's offline series and outbox entry: both stored, or neither)."""
        caller = kiosk_id or self._kiosk_id
        now = self._clock().astimezone(UTC)
        today = self.business_day(now)
        day = today.isoformat()
        if request_key and (earlier := self._issued_for(caller, request_key, day)) is not None:
            return earlier
        group = self._group(group_id)
        self._check_open(now)
        if group.identity == "required" and identity is None:
            raise IdentityRequired(group_id)
        priority = priority_for(identity, self._config, today, priority)
        if request_key and self._keys_day != day:
            with self._engine.begin() as conn:
                conn.execute(delete(issue_requests).where(issue_requests.c.day < day))
            self._keys_day = day
        with self._engine.begin() as conn:
            if not request_key or self._hold_request_key(conn, caller, request_key, day):
                ticket = self.issue_in(conn, group, now, priority,
                                       key=self.identity_key(identity) if identity else None,
                                       id_masked=identity.masked_number if identity else None, kiosk_id=kiosk_id,
                                       series=series)
                if also is not None:
                    also(conn, ticket)
                if request_key:
                    conn.execute(update(issue_requests).values(number=ticket.number).where(
                        issue_requests.c.kiosk_id == caller, issue_requests.c.key == request_key))
                return ticket
        # The same request was stored while this one waited for its key: the ticket issued then.
        earlier = self._issued_for(caller, request_key, day)
        assert earlier is not None, "a claimed idempotency key without its ticket"
        return earlier

    def _hold_request_key(self, conn: Connection, caller: str, request_key: str, day: str) -> bool:
        """Take ``request_key`` for this transaction; False when a request with it was stored already. On
        PostgreSQL the insert waits for a concurrent transaction holding the same key to commit or roll back."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        return conn.execute(dialect.insert(issue_requests).values(kiosk_id=caller, key=request_key, day=day, number="")
                            .on_conflict_do_nothing().returning(issue_requests.c.key)).first() is not None

    def _issued_for(self, caller: str, request_key: str, day: str) -> Ticket | None:
        """The ticket issued today for this caller's key (keys are remembered for the business day)."""
        with self._engine.connect() as conn:
            number = conn.execute(select(issue_requests.c.number).where(
                issue_requests.c.kiosk_id == caller, issue_requests.c.key == request_key,
                issue_requests.c.day == day)).scalar()
        return self.ticket(number, date.fromisoformat(day)) if number else None

    def _check_open(self, now: datetime) -> None:
        state = self._hours.state(now)
        if not state.open:
            raise QueueClosed(state.next_open, state.reason)

    def check_open(self) -> None:
        """Raise ``QueueClosed`` outside the hours in which numbers are issued."""
        self._check_open(self._clock().astimezone(UTC))

    def issue_in(self, conn: Connection, group: GroupConfig, now: datetime, priority: Priority, *,
                 key: str | None, id_masked: str | None, enforce_quota: bool = True,
                 appointment_code: str | None = None, kiosk_id: str = "", series: str = "") -> Ticket:
        """Issue inside the caller's transaction (appointment check-in stores both or neither).

        ``series`` overrides the group's own (a kiosk's offline series, numbered across its groups)."""
        day = self.business_day(now).isoformat()
        series = series or group.series_for(priority is not Priority.NONE)
        # The quota counter is bumped first: on PostgreSQL its row lock serialises this group's
        # issuing, so the per-person check below cannot race with another kiosk.
        if _bump(conn, day, f"quota:{group.id}", group.daily_quota if enforce_quota else None) is None:
            raise QuotaExhausted(self._hours.next_opening(now.astimezone(self._tz).replace(
                hour=23, minute=59)), group.id)
        if key is not None and enforce_quota:
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
                kiosk_id=kiosk_id or self._kiosk_id, identity_key=key, id_masked=id_masked, recalls=0,
                appointment_code=appointment_code,
            ).returning(tickets.c.id)
        ).scalar_one()
        return self._ticket_by_id(conn, new_id)

    def import_ticket(self, key: str, kiosk_id: str, *, number: str, group_id: str, series: str, seq: int,
                      priority: Priority, issued_at: datetime, id_masked: str = "") -> Ticket:
        """Take over a ticket a kiosk issued offline, keeping its number and issue time.

        Idempotent by ``key``: the same key returns the ticket stored the first time, so a hand-over retried
        after a lost answer never makes a second ticket. The ticket waits by its issue time like any other.
        Refuses a series that is one of the hall's own prefixes, and a number another hand-over already holds.
        """
        group = self._group(group_id)
        if series in self._config.services.prefixes or not number.upper().startswith(series):
            raise InvalidRecord(f"offline series {series} overlaps the hall's own numbers")
        issued = issued_at.astimezone(UTC)
        day = self.business_day(issued).isoformat()
        try:
            return self._import_once(key, kiosk_id, group, day, number, series, seq, priority, issued, id_masked)
        except IntegrityError:
            # The same key (or number) arrived twice at once: the other request stored it first.
            with self._engine.connect() as conn:
                found = conn.execute(select(ticket_imports.c.ticket_id).where(ticket_imports.c.key == key)).scalar()
                if found is None:
                    raise InvalidRecord(f"{number} already held by another kiosk") from None
                return self._ticket_by_id(conn, int(found))

    def _import_once(self, key: str, kiosk_id: str, group: GroupConfig, day: str, number: str, series: str,
                     seq: int, priority: Priority, issued: datetime, id_masked: str) -> Ticket:
        now = self._clock().astimezone(UTC)
        with self._engine.begin() as conn:
            by_key = select(ticket_imports.c.ticket_id).where(ticket_imports.c.key == key)
            if (found := conn.execute(by_key).scalar()) is not None:
                return self._ticket_by_id(conn, int(found))
            clash = conn.execute(select(tickets.c.kiosk_id).where(
                tickets.c.day == day, tickets.c.number == number.upper())).first()
            if clash is not None:
                # The same key may have been committed since the first look (PostgreSQL, read committed).
                if (found := conn.execute(by_key).scalar()) is not None:
                    return self._ticket_by_id(conn, int(found))
                raise InvalidRecord(f"{number} already held by kiosk {clash[0]}")
            _bump(conn, day, f"quota:{group.id}")  # counts towards the day's figures, never refused
            new_id = conn.execute(insert(tickets).values(
                day=day, number=number.upper(), group_id=group.id, series=series, seq=seq,
                priority=priority.value, status=TicketStatus.WAITING.value, issued_at=issued,
                kiosk_id=kiosk_id, identity_key=None, id_masked=id_masked or None, recalls=0,
            ).returning(tickets.c.id)).scalar_one()
            conn.execute(insert(ticket_imports).values(key=key, kiosk_id=kiosk_id, ticket_id=new_id,
                                                       imported_at=now))
            return self._ticket_by_id(conn, new_id)

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        the_day = (day or self.business_day()).isoformat()
        with self._engine.connect() as conn:
            row = conn.execute(
                select(tickets).where(tickets.c.day == the_day, tickets.c.number == number.upper())
            ).first()
            if row is None:
                raise TicketNotFound(number)
            return self._to_ticket(conn, row)

    def serving(self) -> list[Ticket]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(tickets).where(
                tickets.c.day == self.business_day().isoformat(), tickets.c.status == TicketStatus.CALLED)
                .order_by(tickets.c.called_at.desc(), tickets.c.id.desc())).all()
            return [self._to_ticket(conn, row) for row in rows]

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

    # -- windows: which groups each one serves ---------------------------------------------------

    def _configured_windows(self) -> dict[str, tuple[str, ...]]:
        mapping: dict[str, list[str]] = {}
        for group in self._config.services.groups:
            for window in group.windows:
                mapping.setdefault(window, []).append(group.id)
        return {w: tuple(g) for w, g in mapping.items()}

    def _window_map(self, conn: Connection) -> dict[str, tuple[str, ...]]:
        """Every window and the groups it serves now: services.toml, overridden by the manager's changes."""
        mapping = self._configured_windows()
        known = {g.id for g in self._config.services.groups}
        for window, groups in conn.execute(select(window_groups.c.window, window_groups.c.groups)):
            # A group that left services.toml since the change is dropped rather than failing every call.
            mapping[window] = tuple(g for g in groups.split(",") if g in known)
        return mapping

    def _changed_windows(self, conn: Connection) -> set[str]:
        return set(conn.execute(select(window_groups.c.window)).scalars())

    @staticmethod
    def _window_sort_key(window: str) -> tuple[int, int, str]:
        return (0, int(window), "") if window.isdigit() else (1, 0, window)

    def windows(self) -> list[WindowState]:
        with self._engine.connect() as conn:
            mapping = self._window_map(conn)
            changed = self._changed_windows(conn)
            day = self.business_day().isoformat()
            return [WindowState(w, mapping[w], w in changed, self._current(conn, day, w))
                    for w in sorted(mapping, key=self._window_sort_key)]

    def window(self, window: str) -> WindowState:
        with self._engine.connect() as conn:
            mapping = self._window_map(conn)
            if window not in mapping:
                raise UnknownWindow(window)
            return WindowState(window, mapping[window], window in self._changed_windows(conn),
                               self._current(conn, self.business_day().isoformat(), window))

    def set_window_groups(self, window: str, group_ids: Sequence[str], by: str = "") -> WindowState:
        if not WINDOW_ID.match(window):
            raise UnknownWindow(window)
        groups = list(dict.fromkeys(group_ids))  # keep the manager's order, drop repeats
        for group_id in groups:
            self._group(group_id)
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        now = self._clock().astimezone(UTC)
        with self._engine.begin() as conn:
            stmt = dialect.insert(window_groups).values(window=window, groups=",".join(groups),
                                                        updated_at=now, updated_by=by)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[window_groups.c.window],
                set_={"groups": stmt.excluded.groups, "updated_at": now, "updated_by": by}))
        return self.window(window)

    def window_groups(self, window: str) -> tuple[str, ...]:
        """The groups ``window`` serves now; raises ``UnknownWindow``."""
        return self.window(window).groups

    # -- windows: calling ------------------------------------------------------------------------

    def _log(self, conn: Connection, day: str, now: datetime, kind: EventKind, number: str, group_id: str,
             window: str, detail: str = "") -> None:
        conn.execute(insert(events).values(day=day, at=now, kind=kind.value, number=number, group_id=group_id,
                                           window=window, detail=detail))

    def _claim(self, conn: Connection, day: str, group_ids: Iterable[str], window: str, now: datetime,
               want_priority: bool) -> Any | None:
        """Claim the first waiting ticket of one kind (green channel or ordinary) for ``window``."""
        kind = tickets.c.priority != Priority.NONE if want_priority else tickets.c.priority == Priority.NONE
        groups = list(group_ids)
        for _ in range(1000):  # each round either claims or sees a ticket another window took
            row = conn.execute(
                select(tickets.c.id).where(tickets.c.day == day, tickets.c.group_id.in_(groups),
                                           tickets.c.status == TicketStatus.WAITING, kind)
                .order_by(_queue_order, tickets.c.id).limit(1)
                # PostgreSQL: windows in other processes skip the row this one is taking (SQLite ignores it).
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            # Guarded by status so that two windows never call the same ticket.
            claimed = conn.execute(
                update(tickets).where(tickets.c.id == row.id, tickets.c.status == TicketStatus.WAITING)
                .values(status=TicketStatus.CALLED.value, called_at=now, window=window, recalls=0,
                        first_called_at=func.coalesce(tickets.c.first_called_at, now))
            ).rowcount
            if claimed:
                return conn.execute(select(tickets).where(tickets.c.id == row.id)).one()
        return None

    def _call(self, conn: Connection, day: str, group_ids: Sequence[str], window: str, now: datetime) -> Ticket | None:
        """Green channel and appointments first, but after ``priority_calls_per_ordinary`` of them in a row
        at this window an ordinary ticket is called when one waits."""
        streak_key = f"streak:{window}"
        streak = _counter(conn, day, streak_key)
        order = (True, False) if streak < self._config.kiosk.calling.priority_calls_per_ordinary else (False, True)
        for want_priority in order:
            row = self._claim(conn, day, group_ids, window, now, want_priority)
            if row is not None:
                _set_counter(conn, day, streak_key, streak + 1 if want_priority else 0)
                self._log(conn, day, now, EventKind.CALL, row.number, row.group_id, window)
                return self._to_ticket(conn, row)
        return None

    def call_next(self, group_id: str, window: str) -> Ticket | None:
        """Call the next waiting ticket of one group to ``window`` (green channel first, by the ratio)."""
        group = self._group(group_id)
        now, day = self._now_and_day()
        with self._engine.begin() as conn:
            return self._call(conn, day, [group.id], window, now)

    def _current_row(self, conn: Connection, day: str, window: str, lock: bool = False) -> Any | None:
        stmt = (select(tickets).where(tickets.c.day == day, tickets.c.window == window,
                                      tickets.c.status == TicketStatus.CALLED)
                .order_by(tickets.c.called_at.desc(), tickets.c.id.desc()).limit(1))
        return conn.execute(stmt.with_for_update() if lock else stmt).first()

    def _current(self, conn: Connection, day: str, window: str) -> Ticket | None:
        row = self._current_row(conn, day, window)
        return None if row is None else self._to_ticket(conn, row)

    def _require_current(self, conn: Connection, day: str, window: str) -> Any:
        if window not in self._window_map(conn):
            raise UnknownWindow(window)
        row = self._current_row(conn, day, window, lock=True)
        if row is None:
            raise NoCurrentTicket(window)
        return row

    def current(self, window: str) -> Ticket | None:
        """The ticket being called or served at ``window`` now, if any."""
        with self._engine.connect() as conn:
            return self._current(conn, self.business_day().isoformat(), window)

    def call_window(self, window: str) -> Ticket | None:
        now, day = self._now_and_day()
        with self._engine.begin() as conn:
            mapping = self._window_map(conn)
            if window not in mapping:
                raise UnknownWindow(window)
            # Calling the next number means the one at the desk is done.
            while (row := self._current_row(conn, day, window, lock=True)) is not None:
                self._finish_row(conn, row, day, now, TicketStatus.SERVED)
            groups = mapping[window]
            return self._call(conn, day, groups, window, now) if groups else None

    def _finish_row(self, conn: Connection, row: Any, day: str, now: datetime, status: TicketStatus) -> Ticket:
        conn.execute(update(tickets).where(tickets.c.id == row.id).values(
            status=status.value, served_at=now if status is TicketStatus.SERVED else None))
        kind = EventKind.SERVED if status is TicketStatus.SERVED else EventKind.NO_SHOW
        self._log(conn, day, now, kind, row.number, row.group_id, row.window or "")
        return self._ticket_by_id(conn, row.id)

    def recall(self, window: str) -> Ticket:
        now, day = self._now_and_day()
        with self._engine.begin() as conn:
            row = self._require_current(conn, day, window)
            conn.execute(update(tickets).where(tickets.c.id == row.id).values(recalls=tickets.c.recalls + 1))
            self._log(conn, day, now, EventKind.RECALL, row.number, row.group_id, window, str(row.recalls + 1))
            return self._ticket_by_id(conn, row.id)

    def recalls(self, number: str) -> int:
        """How many times today's ``number`` was called again since its last call."""
        with self._engine.connect() as conn:
            value = conn.execute(select(tickets.c.recalls).where(
                tickets.c.day == self.business_day().isoformat(), tickets.c.number == number.upper())).first()
        if value is None:
            raise TicketNotFound(number)
        return int(value[0])

    def no_show(self, window: str) -> Ticket:
        now, day = self._now_and_day()
        needed = self._config.kiosk.calling.recalls_before_no_show
        with self._engine.begin() as conn:
            row = self._require_current(conn, day, window)
            if row.recalls < needed:
                raise NoShowTooEarly(needed - row.recalls)
            return self._finish_row(conn, row, day, now, TicketStatus.NO_SHOW)

    def serve(self, window: str) -> Ticket:
        now, day = self._now_and_day()
        with self._engine.begin() as conn:
            return self._finish_row(conn, self._require_current(conn, day, window), day, now, TicketStatus.SERVED)

    def transfer(self, window: str, group_id: str) -> Ticket:
        target = self._group(group_id)
        now, day = self._now_and_day()
        with self._engine.begin() as conn:
            row = self._require_current(conn, day, window)
            if row.group_id == target.id:
                raise SameGroup(group_id)
            # The ticket keeps its number and issue time, so it waits in the new queue by when it was issued.
            conn.execute(update(tickets).where(tickets.c.id == row.id).values(
                group_id=target.id, status=TicketStatus.WAITING.value, window=None, called_at=None, recalls=0,
                transferred_from=row.group_id))
            self._log(conn, day, now, EventKind.TRANSFER, row.number, row.group_id, window, target.id)
            return self._ticket_by_id(conn, row.id)

    def finish(self, number: str, served: bool = True) -> Ticket:
        """Mark a called ticket served (or a no-show); its service time feeds the wait estimates."""
        now, day = self._now_and_day()
        status = TicketStatus.SERVED if served else TicketStatus.NO_SHOW
        with self._engine.begin() as conn:
            row = conn.execute(
                select(tickets).where(tickets.c.day == day, tickets.c.number == number.upper(),
                                      tickets.c.status.in_(OPEN_STATUSES)).with_for_update()
            ).first()
            if row is None:
                raise TicketNotFound(number)
            return self._finish_row(conn, row, day, now, status)

    def rejoin(self, number: str) -> Ticket:
        rule = self._config.kiosk.calling
        if rule.rejoin == "off":
            raise RejoinNotAllowed()
        now, day = self._now_and_day()
        self._check_open(now)
        with self._engine.begin() as conn:
            row = conn.execute(select(tickets).where(tickets.c.day == day, tickets.c.number == number.upper())
                               .with_for_update()).first()
            if row is None:
                raise TicketNotFound(number)
            if row.status != TicketStatus.NO_SHOW:
                raise NotMissed(row.number)
            if row.rejoins >= rule.rejoin_times:
                raise RejoinLimitReached(rule.rejoin_times)
            conn.execute(update(tickets).where(tickets.c.id == row.id).values(
                status=TicketStatus.WAITING.value, window=None, called_at=None, recalls=0,
                queued_at=self._rejoin_place(conn, row, now), rejoins=row.rejoins + 1))
            self._log(conn, day, now, EventKind.REJOIN, row.number, row.group_id, "", str(row.rejoins + 1))
            return self._ticket_by_id(conn, row.id)

    def _rejoin_place(self, conn: Connection, row: Any, now: datetime) -> datetime:
        """When a rejoining ticket counts as queued: now (the end of its queue), or just after the
        ``rejoin_after``-th ticket of its kind waiting in its group when fewer are ahead of the end."""
        rule = self._config.kiosk.calling
        if rule.rejoin == "end":
            return now
        kind = tickets.c.priority != Priority.NONE if row.priority != Priority.NONE else tickets.c.priority == Priority.NONE
        nth = conn.execute(select(_queue_order).where(
            tickets.c.day == row.day, tickets.c.group_id == row.group_id, tickets.c.status == TicketStatus.WAITING,
            kind).order_by(_queue_order, tickets.c.id).offset(rule.rejoin_after - 1).limit(1)).scalar()
        placed = _as_utc(nth)
        return now if placed is None else placed + timedelta(microseconds=1)

    # -- events (display board) ------------------------------------------------------------------

    @staticmethod
    def _event(row: Any) -> CallEvent:
        return CallEvent(id=row.id, at=_as_utc(row.at), kind=EventKind(row.kind),  # type: ignore[arg-type]
                         number=row.number, group_id=row.group_id, window=row.window, detail=row.detail)

    def events_since(self, after_id: int, limit: int = 100) -> list[CallEvent]:
        day = self.business_day().isoformat()
        with self._engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.id > after_id, events.c.day == day)
                                .order_by(events.c.id).limit(limit)).all()
        return [self._event(r) for r in rows]

    def last_event_id(self) -> int:
        """The id of the newest event (any day); a board starts listening after it."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())

    def recent_calls(self, limit: int) -> list[CallEvent]:
        day = self.business_day().isoformat()
        with self._engine.connect() as conn:
            rows = conn.execute(select(events).where(
                events.c.day == day, events.c.kind.in_([EventKind.CALL.value, EventKind.RECALL.value]))
                .order_by(events.c.id.desc()).limit(limit)).all()
        return [self._event(r) for r in rows]
