"""A kiosk's queue that keeps issuing when the hall server cannot be reached (issue 7), and its outbox.

``ResilientQueue`` is a ``QueueService``: it forwards to ``HallClient`` while the hall server answers; when
the client raises ``HallUnreachable`` (connection refused, timeout) it issues from the kiosk's own offline
series on its local SQLite file and puts the ticket into the ``Outbox`` in the same transaction.

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

The outbox is a table in the same SQLite file: entries in insertion order, each with an idempotency key;
``sync`` hands them over oldest first, marks each delivered in its own transaction, stops at the first
``HallUnreachable`` and moves an entry the server refuses to the dead letters with the reason. Kinds other
than "ticket" (ratings, check-ins) get a sender registered by name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Engine, Integer, MetaData, String, Table, Text, func, insert, select, update

from kiosk.backend.hall_client import HallClient, HallUnreachable
from kiosk.config import ConfigError, Problem
from kiosk.errors import KioskError
from kiosk.identity import Identity
from kiosk.queue.errors import IdentityRequired, UnknownGroup
from kiosk.queue.model import GroupStatus, Priority, Ticket
from kiosk.queue.service import LocalQueueService

_meta = MetaData()

outbox = Table(
    "outbox",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", DateTime(timezone=True)),
    Column("dead_reason", String(200)),
)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    delivered: bool
    dead_reason: str


class Outbox:
    """Durable, ordered entries waiting for the hall server, in the kiosk's SQLite file."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock
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
                            r.dead_reason or "") for r in rows]

    def pending(self) -> list[OutboxEntry]:
        return self._entries(outbox.c.delivered_at.is_(None), outbox.c.dead_reason.is_(None))

    def dead(self) -> list[OutboxEntry]:
        return self._entries(outbox.c.dead_reason.is_not(None))

    def all(self) -> list[OutboxEntry]:
        return self._entries()

    def pending_count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(
                outbox.c.delivered_at.is_(None), outbox.c.dead_reason.is_(None))).scalar_one())

    def _mark(self, entry_id: int, **values: Any) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == entry_id).values(attempts=outbox.c.attempts + 1,
                                                                                **values))

    def deliver(self, senders: dict[str, Callable[[dict[str, Any]], Any]],
                after_send: Callable[[OutboxEntry], None] | None = None) -> int:
        """Hand pending entries over oldest first; returns how many were delivered.

        Stops at ``HallUnreachable`` (the rest wait, in order). A refusal by the server dead-letters the
        entry with its reason. ``after_send`` runs between a send and its local mark (tests use it to kill the
        delivery there; the idempotency key makes the resend harmless)."""
        done = 0
        for entry in self.pending():
            sender = senders.get(entry.kind)
            if sender is None:
                continue
            try:
                sender({**entry.payload, "key": entry.key})
            except HallUnreachable:
                break
            except KioskError as exc:
                self._mark(entry.id, dead_reason=f"{exc.code}: {exc}"[:200])
                continue
            if after_send is not None:
                after_send(entry)
            self._mark(entry.id, delivered_at=self._clock().astimezone(UTC))
            done += 1
        return done


class ResilientQueue:
    """``QueueService`` over the hall server, falling back to the kiosk's offline series when it is down."""

    def __init__(self, hall: HallClient, local: LocalQueueService, offline_series: str, *,
                 probe_seconds: float = 30) -> None:
        config = local.config
        own = {p for g in config.services.groups for p in (g.prefix, g.priority_prefix) if p}
        if not offline_series or offline_series in own:
            raise ConfigError([Problem("kiosk.toml", "backend.offline_series",
                                       f"'{offline_series}' must be set and be no group's prefix ({', '.join(sorted(own))})")])
        self._hall = hall
        self._local = local
        self._series = offline_series
        self.outbox = Outbox(local.engine, local.clock)
        self.offline = False
        self.probe_seconds = probe_seconds
        self._offline_since: datetime | None = None

    @property
    def offline_series(self) -> str:
        return self._series

    def sync(self, after_send: Callable[[OutboxEntry], None] | None = None) -> int:
        """Hand the outbox over to the hall server; returns how many entries were delivered."""
        return self.outbox.deliver({"ticket": self._hall.import_ticket}, after_send)

    def _went_offline(self) -> None:
        self.offline = True
        self._offline_since = self._local.clock()

    def issue(self, group_id: str, identity: Identity | None = None,
              priority: Priority = Priority.NONE) -> Ticket:
        """From the hall server (after handing over what the outbox holds); offline when it does not answer.

        After a failure the kiosk stays offline for ``probe_seconds`` without asking the hall server, so a
        link that drops packets costs one timeout, not one per citizen."""
        since = self._offline_since
        if since is None or (self._local.clock() - since).total_seconds() >= self.probe_seconds:
            try:
                if self.outbox.pending_count():
                    self.sync()
                ticket = self._hall.issue(group_id, identity, priority)
                self.offline, self._offline_since = False, None
                return ticket
            except HallUnreachable:
                self._went_offline()
        return self.issue_offline(group_id, identity, priority)

    def issue_offline(self, group_id: str, identity: Identity | None = None,
                      priority: Priority = Priority.NONE) -> Ticket:
        """A number of this kiosk's offline series, stored with its outbox entry in one transaction."""
        local = self._local
        try:
            group = local.config.group(group_id)
        except KeyError:
            raise UnknownGroup(group_id) from None
        now = local.clock().astimezone(UTC)
        local.check_open()
        if group.identity == "required" and identity is None:
            raise IdentityRequired(group_id)
        if priority is Priority.NONE and identity is not None \
                and identity.age(local.business_day(now)) >= local.config.kiosk.queue.elderly_age:
            priority = Priority.ELDERLY
        with local.engine.begin() as conn:
            ticket = local.issue_in(conn, group, now, priority,
                                    key=local.identity_key(identity) if identity else None,
                                    id_masked=identity.masked_number if identity else None, series=self._series)
            self.outbox.add_in(conn, "ticket", {
                "number": ticket.number, "group_id": ticket.group_id, "series": self._series, "seq": ticket.seq,
                "priority": ticket.priority.value, "issued_at": ticket.issued_at.isoformat(),
                "id_masked": ticket.id_masked})
        return ticket

    def status(self, group_id: str) -> GroupStatus:
        try:
            return self._hall.status(group_id)
        except HallUnreachable:
            self._went_offline()
            return self._local.status(group_id)

    def statuses(self) -> list[GroupStatus]:
        try:
            return self._hall.statuses()
        except HallUnreachable:
            self._went_offline()
            return self._local.statuses()

    def ticket(self, number: str, day: date | None = None) -> Ticket:
        try:
            return self._hall.ticket(number, day)
        except HallUnreachable:
            self._went_offline()
            return self._local.ticket(number, day)

    def serving(self) -> list[Ticket]:
        try:
            return self._hall.serving()
        except HallUnreachable:
            self._went_offline()
            return self._local.serving()
