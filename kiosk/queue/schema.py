"""Tables of the queue store (SQLAlchemy Core), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

# One row per business day and key: "quota:<group>" counts a group's tickets, "seq:<prefix>" numbers a
# series. Both only ever move through one atomic UPDATE ... RETURNING.
counters = Table(
    "counters",
    metadata,
    Column("day", String(10), nullable=False),
    Column("key", String(40), nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("day", "key"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("number", String(12), nullable=False),
    Column("group_id", String(32), nullable=False),
    Column("series", String(2), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("called_at", DateTime(timezone=True)),
    Column("served_at", DateTime(timezone=True)),
    Column("window", String(16)),
    Column("kiosk_id", String(16), nullable=False, default=""),
    # Salted hash of the ID number (per-person limits) and its masked form; never the number itself.
    Column("identity_key", String(64)),
    Column("id_masked", String(18)),
    UniqueConstraint("day", "number", name="uq_ticket_day_number"),
    UniqueConstraint("day", "series", "seq", name="uq_ticket_day_series_seq"),
)

Index("ix_tickets_queue", tickets.c.day, tickets.c.group_id, tickets.c.status)
Index("ix_tickets_served", tickets.c.group_id, tickets.c.served_at)

# Tickets whose print failed, for staff to reprint; the number itself stays valid in `tickets`.
print_failures = Table(
    "print_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("number", String(12), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("reprinted_at", DateTime(timezone=True)),
)
