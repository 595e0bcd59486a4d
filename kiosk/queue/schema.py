"""Tables of the queue store (SQLAlchemy Core), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
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
    # Added with the hall server; nullable or defaulted so that an older kiosk database gains them in place.
    Column("recalls", Integer, nullable=False, default=0, server_default="0"),
    Column("first_called_at", DateTime(timezone=True)),
    Column("transferred_from", String(32)),
    Column("appointment_code", String(32)),
    # A missed number that rejoined the queue waits by this time instead of its issue time (see ``rejoin``).
    Column("queued_at", DateTime(timezone=True)),
    Column("rejoins", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("day", "number", name="uq_ticket_day_number"),
    UniqueConstraint("day", "series", "seq", name="uq_ticket_day_series_seq"),
)

Index("ix_tickets_queue", tickets.c.day, tickets.c.group_id, tickets.c.status)
Index("ix_tickets_served", tickets.c.group_id, tickets.c.served_at)

# Offline tickets a kiosk handed over, by the kiosk's idempotency key: a retried hand-over
# finds its key here and gets the same ticket back instead of a second one.
ticket_imports = Table(
    "ticket_imports",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kiosk_id", String(16), nullable=False),
    Column("ticket_id", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

# Tickets issued for a request that carried an idempotency key (a kiosk's ``Idempotency-Key``): the
# same key from the same caller gets the ticket stored the first time, so a retry after a lost answer never
# makes a second ticket. Rows of earlier business days are deleted (keys are remembered for the day).
issue_requests = Table(
    "issue_requests",
    metadata,
    Column("kiosk_id", String(16), nullable=False),
    Column("key", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    Column("number", String(12), nullable=False, default=""),
    PrimaryKeyConstraint("kiosk_id", "key"),
)

Index("ix_issue_requests_day", issue_requests.c.day)

# Ratings and check-ins a kiosk delivered from its outbox, by idempotency key: a delivery repeated
# after a lost answer finds its key and gets the first result back. ``ref``: the rating's id, the appointment code.
delivered_keys = Table(
    "delivered_keys",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("kiosk_id", String(16), nullable=False),
    Column("ref", String(32), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

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

# A kiosk asking for staff: a citizen's help call, or the kiosk's own alarm (a ticket that did not print). No
# personal data: the kiosk, what it asks for, the screen or fault, when; open until a member of staff answers it.
staff_calls = Table(
    "staff_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("detail", String(32), nullable=False, default=""),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("answered_by", String(32), nullable=False, default=""),
)

# Everything that happened at a window, in order: the display board and the figures read it. Numbers only.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("number", String(12), nullable=False),
    Column("group_id", String(32), nullable=False),
    Column("window", String(16), nullable=False, default=""),
    Column("detail", String(64), nullable=False, default=""),
)

Index("ix_events_day", events.c.day, events.c.id)

# Which groups a window serves, when the hall manager changed it; otherwise services.toml decides.
window_groups = Table(
    "window_groups",
    metadata,
    Column("window", String(16), primary_key=True),
    Column("groups", String(600), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(32), nullable=False, default=""),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("group_id", String(32), nullable=False),
    Column("matter_id", String(32), nullable=False, default=""),
    Column("day", String(10), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("identity_key", String(64)),
    Column("id_masked", String(18), nullable=False, default=""),
    Column("name_masked", String(32), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("ticket_number", String(12)),
    Column("checked_in_at", DateTime(timezone=True)),
    Column("source", String(16), nullable=False, default="api"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

Index("ix_appointments_identity", appointments.c.day, appointments.c.identity_key)

# Application progress (办件进度), imported from CSV or pushed by the platform; keyed by receipt number.
progress = Table(
    "progress",
    metadata,
    Column("receipt_no", String(40), primary_key=True),
    Column("matter_id", String(32), nullable=False, default=""),
    Column("matter_name_zh", String(200), nullable=False, default=""),
    Column("identity_key", String(64)),
    Column("id_masked", String(18), nullable=False, default=""),
    Column("name_masked", String(32), nullable=False, default=""),
    Column("stage", String(16), nullable=False),
    Column("note_zh", String(400), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

Index("ix_progress_identity", progress.c.identity_key)

# When each stage of an application was reached (the progress row holds only the latest stage): the earliest
# report of a stage wins, so an update that arrives late still fills in its date.
progress_stages = Table(
    "progress_stages",
    metadata,
    Column("receipt_no", String(40), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("receipt_no", "stage"),
)

# 好差评: 5 非常满意 ... 1 非常不满意; 1 and 2 are bad and wait for a follow-up.
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("day", String(10), nullable=False),
    Column("level", Integer, nullable=False),
    # NULL when the rating is not about a ticket; a ticket is rated once (NULLs do not collide).
    Column("number", String(12)),
    Column("group_id", String(32), nullable=False, default=""),
    Column("window", String(16), nullable=False, default=""),
    Column("comment", String(500), nullable=False, default=""),
    Column("kiosk_id", String(16), nullable=False, default=""),
    Column("followed_up_at", DateTime(timezone=True)),
    Column("followed_up_by", String(32)),
    Column("follow_up_note", String(500)),
    # A bad rating's reasons (comma-separated ``Reason`` values) and call-back mobile number; NULL: none
    # (nullable, so an older database gains them in place).
    Column("reasons", String(200)),
    Column("phone", String(11)),
    UniqueConstraint("day", "number", name="uq_rating_day_number"),
)

Index("ix_ratings_day", ratings.c.day)

# Published versions of the service catalogue (services.toml as JSON); kiosks fetch the newest.
catalog_versions = Table(
    "catalog_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(32), nullable=False, default=""),
)

# Hall-server accounts: clerks and managers sign in; kiosks and the platform hold device tokens.
# Only hashes of passwords and tokens are stored.
users = Table(
    "users",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(64), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("username", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("window", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("device_id", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# Small hall-wide settings shared by every server process (e.g. the salt of ID-number hashes).
settings = Table(
    "settings",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
