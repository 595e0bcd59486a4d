"""A hall kiosk that keeps working when the hall server cannot be reached, and its outbox.

``ResilientQueue`` is a ``QueueService``: it forwards to ``HallClient`` while the hall server answers; when
the client raises ``HallUnreachable`` (connection refused, timeout) it issues from the kiosk's own offline
series on its local SQLite file and puts the ticket into the ``Outbox`` in the same transaction.
``ResilientAppointments`` and ``OutboxRatings`` do the same for check-ins and ratings, over the same client
and outbox. ``kiosk.backend.sync.OutboxWorker`` delivers the outbox in the background.

Offline numbering: ``[backend] offline_series`` is a two-letter series reserved for one kiosk (e.g. "XA" for
kiosk 1, "XB" for kiosk 2), numbered across all groups (counter row ``seq:XA``, one ``UPDATE ... RETURNING``
per ticket, as the hall's own series). A series rather than a numeric block because the hall's numbers are
``<group prefix><digits>``: a series that is no group's prefix can never equal one of the hall's numbers,
however many the hall issues in a day, while a numeric block would run into the hall's range on a busy day.
It is visibly an offline number (the hall's numbers carry the group's letter), fits the ticket-number
pattern so clerks can call and look it up, and the hall server refuses, at hand-over, a series that is one
of its prefixes or a number another kiosk already handed over. Opening hours, the daily quota (of this
kiosk's offline tickets), "identity required" and the per-person limit apply locally as far as the local
file knows.

Offline check-in: the kiosk keeps a copy of today's appointments (code, group, booked time, status; no
personal data), refreshed from the hall server by the worker. While the hall cannot be reached, a check-in
*by appointment code* is checked against that copy (not found, cancelled, too early, too late, already
checked in here) and issues a green-channel ticket of the appointment's group from the offline series; the
outbox gets the ticket and a "checkin" entry, in one transaction. At delivery the hall server links the
appointment to the handed-over ticket, or refuses (unknown code, checked in elsewhere, outside the check-in
window at the time of the check-in): the ticket then stays valid as an ordinary one (it keeps its place by
issue time) and the entry becomes a dead letter with the reason. A check-in *by ID card* is refused offline
(``CheckInNeedsCode``): matching a card needs the hall's salted hash, and the kiosk keeps no ID number.

Ratings: sent straight to the hall server when it answers and nothing waits in the outbox (so a refusal,
e.g. "already rated", reaches the citizen); otherwise queued behind what waits (a rating of an offline ticket
must arrive after that ticket). The hall stores a rating once per idempotency key.

The outbox is a table in the same SQLite file: entries in insertion order, each with an idempotency key.
Delivery hands them over oldest first and marks each delivered in its own transaction; it stops at a fault of
the link or the server (``HallUnreachable``, HTTP 5xx, a revoked device token: the entry waits, in order) and
moves an entry the server refuses to the dead letters with the reason, where staff see it
(``kioskctl outbox``, the maintenance screen) and can retry or drop it.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)

from kiosk.backend.hall_client import HallClient, HallError, HallUnreachable
from kiosk.config import ConfigError, Problem
from kiosk.errors import KioskError
from kiosk.hall.accounts import Forbidden, NotSignedIn
from kiosk.identity import Identity
from kiosk.queue.appointments import Appointment, AppointmentService, AppointmentStatus, CheckIn
from kiosk.queue.errors import AlreadyRated, TicketNotFound
from kiosk.queue.model import GroupStatus, Priority, Ticket, TicketStatus
from kiosk.queue.ratings import Rating, RatingService, mask_phone, validated_rating
from kiosk.queue.schema import appointments
from kiosk.queue.service import LocalQueueService

log = logging.getLogger(__name__)

T = TypeVar("T")

_meta = MetaData()

outbox = Table(
    "outbox",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Deliveries tried: the successful one, a refusal, and every one the link or the server failed.
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", DateTime(timezone=True)),
    Column("dead_reason", String(200)),
)

# Delivered entries are kept this long for diagnostics, then deleted.
KEEP_DELIVERED = timedelta(days=7)


class OutboxEntryNotFound(KioskError):
    code = "outbox_entry_not_found"


class CheckInNeedsCode(KioskError):
    code = "checkin_needs_code"


class OfflineAppointmentUnknown(KioskError):
    code = "offline_appointment_unknown"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    key: str
    payload: dict[str, Any] = field(repr=False)  # a rating's call-back number is personal data
    delivered: bool
    dead_reason: str
    created_at: datetime
    attempts: int

    @property
    def summary(self) -> str:
        """What the entry is, for staff: numbers and codes only, no personal data."""
        p = self.payload
        if self.kind == "ticket":
            return f"ticket {p.get('number', '?')} ({p.get('group_id', '?')}, {p.get('priority', 'none')})"
        if self.kind == "checkin":
            return f"check-in of appointment {p.get('code', '?')} with ticket {p.get('number', '?')}"
        if self.kind == "rating":
            extra = f", reasons {','.join(p['reasons'])}" if p.get("reasons") else ""
            extra += ", call back requested" if p.get("phone") else ""
            return f"rating {p.get('level', '?')} of ticket {p.get('number') or '(none)'}{extra}"
        return self.kind

    def public(self) -> dict[str, Any]:
        """The entry as JSON for staff tools: the call-back number masked."""
        payload = dict(self.payload)
        if payload.get("phone"):
            payload["phone"] = mask_phone(str(payload["phone"]))
        return {"id": self.id, "kind": self.kind, "key": self.key, "created_at": self.created_at.isoformat(),
                "attempts": self.attempts, "delivered": self.delivered, "dead_reason": self.dead_reason,
                "summary": self.summary, "payload": payload}


@dataclass(frozen=True)
class Delivery:
    """What one delivery round did; ``error`` is the fault it stopped at (the rest waits), None when drained."""

    delivered: int = 0
    refused: int = 0
    error: KioskError | None = None


def transient(exc: KioskError) -> bool:
    """A fault of the link or the server rather than of the entry: keep the entry and try again later."""
    if isinstance(exc, HallUnreachable | NotSignedIn | Forbidden):
        return True
    return isinstance(exc, HallError) and (exc.status >= 500 or exc.status in (408, 429) or exc.code == "bad_response")


def reason(exc: KioskError) -> str:
    """``code: message (detail)``, short enough for the dead-letter column."""
    text = exc.message("en")
    if exc.detail and exc.detail not in text:
        text += f" ({exc.detail})"
    return f"{exc.code}: {text}"[:200]


Sender = Callable[[dict[str, Any]], Any]


class Outbox:
    """Durable, ordered entries waiting for the hall server, in the kiosk's SQLite file."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock
        # One delivery at a time in this process (the worker, a citizen's call, a test's sync).
        self._delivering = threading.Lock()
        _meta.create_all(engine)

    def add_in(self, conn: Connection, kind: str, payload: dict[str, Any], key: str = "") -> str:
        """Add an entry inside the caller's transaction (stored with what it reports, or not at all)."""
        key = key or uuid.uuid4().hex
        conn.execute(insert(outbox).values(kind=kind, key=key, payload=json.dumps(payload, ensure_ascii=False),
                                           created_at=self._clock().astimezone(UTC), attempts=0))
        return key

    def add(self, kind: str, payload: dict[str, Any], key: str = "") -> str:
        with self._engine.begin() as conn:
            return self.add_in(conn, kind, payload, key)

    def _entries(self, *cond: Any) -> list[OutboxEntry]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(outbox).where(*cond).order_by(outbox.c.id)).all()
        return [OutboxEntry(r.id, r.kind, r.key, json.loads(r.payload), r.delivered_at is not None,
                            r.dead_reason or "", _aware(r.created_at), r.attempts) for r in rows]

    def pending(self) -> list[OutboxEntry]:
        """Entries waiting for delivery, oldest first."""
        return self._entries(outbox.c.delivered_at.is_(None), outbox.c.dead_reason.is_(None))

    def dead(self) -> list[OutboxEntry]:
        """Entries the hall server refused, oldest first, each with its reason."""
        return self._entries(outbox.c.dead_reason.is_not(None))

    def pending_of(self, kind: str, since: datetime) -> list[OutboxEntry]:
        """Entries of ``kind`` made since ``since`` that were delivered or still wait (not refused)."""
        return self._entries(outbox.c.kind == kind, outbox.c.created_at >= since.astimezone(UTC),
                             outbox.c.dead_reason.is_(None))

    def pending_count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(
                outbox.c.delivered_at.is_(None), outbox.c.dead_reason.is_(None))).scalar_one())

    def _dead_letter(self, entry_id: int) -> OutboxEntry:
        found = self._entries(outbox.c.id == entry_id, outbox.c.dead_reason.is_not(None))
        if not found:
            raise OutboxEntryNotFound(str(entry_id))
        return found[0]

    def retry(self, entry_id: int) -> OutboxEntry:
        """Put a dead letter back in the queue (after staff fixed the cause); it keeps its place by age."""
        entry = self._dead_letter(entry_id)
        with self._engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == entry_id).values(dead_reason=None))
        log.warning("outbox entry %d (%s) queued again after: %s", entry.id, entry.summary, entry.dead_reason)
        return entry

    def drop(self, entry_id: int) -> OutboxEntry:
        """Delete a dead letter (staff handled it by hand); only refused entries can be dropped."""
        entry = self._dead_letter(entry_id)
        with self._engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id == entry_id))
        log.warning("outbox entry %d (%s) dropped; it had been refused: %s", entry.id, entry.summary,
                    entry.dead_reason)
        return entry

    def prune(self, keep: timedelta = KEEP_DELIVERED) -> int:
        """Delete entries delivered longer than ``keep`` ago; returns how many."""
        with self._engine.begin() as conn:
            return int(conn.execute(delete(outbox).where(
                outbox.c.delivered_at < (self._clock() - keep).astimezone(UTC))).rowcount)

    def _mark(self, entry_id: int, **values: Any) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == entry_id).values(attempts=outbox.c.attempts + 1,
                                                                                **values))

    def deliver(self, senders: dict[str, Sender], after_send: Callable[[OutboxEntry], None] | None = None) -> Delivery:
        """Hand pending entries over oldest first.

        Stops at a fault of the link or the server (the rest wait, in order). A refusal by the server
        dead-letters the entry with its reason and delivery goes on. ``after_send`` runs between a send and its
        local mark (tests kill the process there; the idempotency key makes the resend harmless)."""
        delivered = refused = 0
        with self._delivering:
            for entry in self.pending():
                sender = senders.get(entry.kind)
                try:
                    if sender is None:
                        raise UnknownEntryKind(entry.kind)
                    sender({**entry.payload, "key": entry.key})
                except KioskError as exc:
                    if transient(exc):
                        self._mark(entry.id)
                        return Delivery(delivered, refused, exc)
                    self._mark(entry.id, dead_reason=reason(exc))
                    log.warning("outbox entry %d (%s) refused by the hall server: %s", entry.id, entry.summary,
                                reason(exc))
                    refused += 1
                    continue
                if after_send is not None:
                    after_send(entry)
                self._mark(entry.id, delivered_at=self._clock().astimezone(UTC))
                delivered += 1
        return Delivery(delivered, refused)


class UnknownEntryKind(KioskError):
    code = "unknown_entry_kind"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite returns naive UTC


def ticket_payload(ticket: Ticket, series: str) -> dict[str, Any]:
    """A ticket issued offline as the hall's ``TicketImportIn`` wants it (without the key)."""
    return {"number": ticket.number, "group_id": ticket.group_id, "series": series, "seq": ticket.seq,
            "priority": ticket.priority.value, "issued_at": ticket.issued_at.isoformat(), "id_masked": ticket.id_masked}


class ResilientQueue:
    """``QueueService`` over the hall server, falling back to the kiosk's offline series when it is down."""

    def __init__(self, hall: HallClient, local: LocalQueueService, offline_series: str, *,
                 outbox: Outbox | None = None, probe_seconds: float = 30) -> None:
        config = local.config
        own = config.services.prefixes
        if not offline_series or offline_series in own:
            raise ConfigError([Problem("kiosk.toml", "backend.offline_series",
                                       f"'{offline_series}' must be set and be no group's prefix ({', '.join(sorted(own))})")])
        self._hall = hall
        self._local = local
        self._series = offline_series
        # The kiosk assembly passes the one outbox of its SQLite file, which staff tools see too.
        self.outbox = outbox or Outbox(local.engine, local.clock)
        self.offline = False
        self.probe_seconds = probe_seconds
        self._offline_since: datetime | None = None
        # The worker's wake-up: called after an entry was stored (outside the storing transaction) and when
        # the hall answers again.
        self.on_wake: Callable[[], None] | None = None

    @property
    def hall(self) -> HallClient:
        return self._hall

    @property
    def local(self) -> LocalQueueService:
        return self._local

    @property
    def offline_series(self) -> str:
        return self._series

    def close(self) -> None:
        self._hall.close()
        self._local.engine.dispose()

    def went_offline(self) -> None:
        self.offline = True
        self._offline_since = self._local.clock()

    def went_online(self) -> None:
        was_offline = self.offline
        self.offline, self._offline_since = False, None
        if was_offline:
            self.wake()

    def hall_worth_asking(self) -> bool:
        """False for ``probe_seconds`` after the hall failed to answer: a link that drops packets then costs
        one timeout, not one per citizen (the worker probes meanwhile and clears ``offline``)."""
        since = self._offline_since
        return since is None or (self._local.clock() - since).total_seconds() >= self.probe_seconds

    def wake(self) -> None:
        if self.on_wake is not None:
            self.on_wake()

    def probe(self) -> bool:
        """Ask the hall server whether it answers; sets ``offline`` accordingly."""
        try:
            self._hall.health()
        except HallUnreachable:
            self.went_offline()
            return False
        except KioskError as exc:
            log.warning("the hall server answers its health check with a fault: %s", reason(exc))
            return False
        self.went_online()
        return True

    def sync(self, after_send: Callable[[OutboxEntry], None] | None = None) -> Delivery:
        """Hand the outbox over to the hall server, oldest first."""
        result = self.outbox.deliver({"ticket": self._hall.import_ticket, "rating": self._hall.import_rating,
                                      "checkin": self._hall.import_check_in}, after_send)
        if isinstance(result.error, HallUnreachable):
            self.went_offline()
        elif result.delivered or result.refused:
            self.went_online()
        return result

    def hall_first(self, hall_call: Callable[[], T], local_call: Callable[[], T], *, ask: bool | None = None) -> T:
        """``hall_call()``'s answer (the hall is marked online); ``local_call()``'s when the hall is unreachable
        (marked offline) or not asked. ``ask`` defaults to ``hall_worth_asking()``."""
        if self.hall_worth_asking() if ask is None else ask:
            try:
                answer = hall_call()
            except HallUnreachable:
                self.went_offline()
            else:
                self.went_online()
                return answer
        return local_call()

    def issue(self, group_id: str, identity: Identity | None = None,
              priority: Priority = Priority.NONE) -> Ticket:
        """From the hall server; from the offline series when it does not answer (or did not a moment ago)."""
        return self.hall_first(partial(self._hall.issue, group_id, identity, priority),
                               partial(self.issue_offline, group_id, identity, priority))

    def issue_offline(self, group_id: str, identity: Identity | None = None,
                      priority: Priority = Priority.NONE) -> Ticket:
        """A number of this kiosk's offline series, by the local queue's own rules (hours, identity, green
        channel, quotas), stored with its outbox entry in one transaction."""
        ticket = self._local.issue(group_id, identity, priority, series=self._series, also=self.hand_over_in)
        self.wake()
        return ticket

    def hand_over_in(self, conn: Connection, ticket: Ticket) -> None:
        """Queue an offline ticket for the hall inside the transaction that stores it."""
        self.outbox.add_in(conn, "ticket", ticket_payload(ticket, self._series))

    # The reads ask the hall every time: the local store knows only this kiosk's offline part of the queue.

    def status(self, group_id: str) -> GroupStatus:
        return self.hall_first(partial(self._hall.status, group_id), partial(self._local.status, group_id), ask=True)

    def statuses(self) -> list[GroupStatus]:
        return self.hall_first(self._hall.statuses, self._local.statuses, ask=True)

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        return self.hall_first(partial(self._hall.ticket, number, day), partial(self._local.ticket, number, day),
                               ask=True)

    def rejoin(self, number: str) -> Ticket:
        # Missed numbers are the hall's: its windows called them. Without the hall there is nothing to rejoin.
        return self._hall.rejoin(number)

    def serving(self) -> list[Ticket]:
        return self.hall_first(self._hall.serving, self._local.serving, ask=True)


class ResilientAppointments:
    """Check-in at the hall server; while it cannot be reached, by code against the kiosk's copy of today's
    appointments, with a ticket of the offline series (see the module's notes)."""

    def __init__(self, queue: ResilientQueue) -> None:
        self._queue = queue
        self._copy = AppointmentService(queue.local)

    def check_in(self, code: str = "", identity: Identity | None = None) -> CheckIn:
        def at_hall() -> CheckIn:
            result = self._queue.hall.check_in(code, identity)
            self.mirror([result.appointment])  # a second try here offline is told "already checked in"
            return result

        return self._queue.hall_first(at_hall, partial(self.check_in_offline, code))

    def check_in_offline(self, code: str) -> CheckIn:
        """Check in by code against the local copy; the ticket and the check-in wait in the outbox."""
        queue, local = self._queue, self._queue.local
        code = code.strip()
        if not code:
            raise CheckInNeedsCode()
        local.check_open()
        with local.engine.begin() as conn:
            if conn.execute(select(appointments.c.id).where(appointments.c.code == code)).first() is None:
                raise OfflineAppointmentUnknown(code)
            result = self._copy.check_in_in(conn, code, series=queue.offline_series)
            queue.hand_over_in(conn, result.ticket)
            queue.outbox.add_in(conn, "checkin", {"code": result.appointment.code, "number": result.ticket.number,
                                                  "checked_in_at": result.ticket.issued_at.isoformat()})
        queue.wake()
        return result

    def refresh(self) -> int:
        """Copy today's appointments from the hall server (for offline check-in); returns how many."""
        items = self._queue.hall.appointments_on(self._queue.local.business_day())
        self._queue.went_online()
        return self.mirror(items)

    def mirror(self, items: Iterable[Appointment]) -> int:
        """Store the hall's appointments in the local copy: no personal data, and a check-in made here
        offline is kept until the hall reports it (its hand-over may still wait in the outbox)."""
        items = list(items)
        now = self._queue.local.clock().astimezone(UTC)
        with self._queue.local.engine.begin() as conn:
            known = {code: status for code, status in conn.execute(select(appointments.c.code, appointments.c.status)
                                                                   .where(appointments.c.code.in_([a.code for a in items])))}
            for a in items:
                values = dict(group_id=a.group_id, matter_id=a.matter_id, day=a.day.isoformat(),
                              starts_at=a.starts_at, ends_at=a.ends_at, status=a.status.value,
                              ticket_number=a.ticket_number or None, source="hall")
                if a.code not in known:
                    conn.execute(insert(appointments).values(code=a.code, identity_key=None, id_masked="",
                                                             name_masked="", created_at=now, **values))
                elif not (known[a.code] == AppointmentStatus.CHECKED_IN and a.status is AppointmentStatus.BOOKED):
                    conn.execute(update(appointments).where(appointments.c.code == a.code).values(**values))
        return len(items)


class OutboxRatings:
    """Ratings of a hall kiosk: straight to the hall server when it answers and the outbox is empty, else
    queued in the outbox (see the module's notes). Either way with one idempotency key: a rating whose answer
    was lost is queued under the same key, and the hall stores it once."""

    def __init__(self, queue: ResilientQueue) -> None:
        self._queue = queue
        self._local = RatingService(queue.local)

    def rateable_ticket(self, number: str = "", identity: Identity | None = None) -> Ticket:
        """The hall's answer. Offline: this kiosk's own offline tickets, or a number of one of the hall's
        groups taken on trust (the hall checks it at delivery; an unknown one becomes a dead letter)."""
        return self._queue.hall_first(partial(self._queue.hall.rateable_ticket, number, identity),
                                      partial(self._rateable_here, number.strip().upper(), identity))

    def _rateable_here(self, number: str, identity: Identity | None) -> Ticket:
        try:
            ticket = self._local.rateable_ticket(number, identity)
        except TicketNotFound:
            ticket = self._hall_number(number)
        self._refuse_if_rated_here(ticket.number)
        return ticket

    def _hall_number(self, number: str) -> Ticket:
        """A ticket of the hall known only by its number: the group its letters stand for, nothing more."""
        local = self._queue.local
        letters, digits = number.rstrip("0123456789"), number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        group_id = local.config.services.prefixes.get(letters)
        if group_id is None or not digits:
            raise TicketNotFound(number)
        return Ticket(number, group_id, local.business_day(), int(digits), Priority.NONE, local.clock(),
                      TicketStatus.SERVED, 0, 0)

    def _refuse_if_rated_here(self, number: str) -> None:
        local = self._queue.local
        midnight = datetime.combine(local.business_day(), time(), local.config.timezone)
        if number and any(e.payload.get("number") == number
                          for e in self._queue.outbox.pending_of("rating", midnight)):
            raise AlreadyRated(number)

    def submit(self, level: int, number: str = "", comment: str = "", window: str = "", kiosk_id: str = "",
               reasons: Iterable[str] = (), phone: str = "") -> Rating:
        """Store a rating at the hall server, or queue it. ``kiosk_id`` is the hall's name for this kiosk's
        token (the argument keeps the interface); every other argument travels in the entry."""
        queue = self._queue
        the_level, the_reasons, phone = validated_rating(level, comment, reasons, phone)
        now = queue.local.clock().astimezone(UTC)
        number = number.strip().upper()
        payload = {"level": int(the_level), "number": number, "comment": comment, "window": window,
                   "reasons": [str(r) for r in the_reasons], "phone": phone, "at": now.isoformat()}
        key = uuid.uuid4().hex

        def queued() -> Rating:
            self._refuse_if_rated_here(number)
            queue.outbox.add("rating", payload, key)
            queue.wake()
            return Rating(0, now, the_level, number, "", window, comment, kiosk_id, reasons=the_reasons,
                          phone=phone)

        # Straight to the hall only when nothing waits: a rating must arrive after the tickets queued before it.
        return queue.hall_first(partial(queue.hall.import_rating, {**payload, "key": key}), queued,
                                ask=queue.hall_worth_asking() and not queue.outbox.pending_count())

