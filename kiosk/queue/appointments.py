"""Appointments (预约): created over the API or imported from CSV, checked in at a kiosk.

Check-in turns an appointment into a green-channel ticket (``Priority.APPOINTMENT``) of its group, in one
transaction with marking the appointment checked in: two kiosks checking in the same appointment at once
get one ticket between them. ID numbers are kept only as the queue's salted hash and in masked form.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import ConfigDict, Field, with_config
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import KioskError
from kiosk.identity import Identity, InvalidIdNumber, mask_name
from kiosk.queue.errors import (
    AlreadyCheckedIn,
    AppointmentNotFound,
    CheckInTooEarly,
    CheckInTooLate,
    InvalidRecord,
    TicketNotFound,
    UnknownGroup,
)
from kiosk.queue.limits import Moment, Slug, text
from kiosk.queue.model import Priority, Ticket
from kiosk.queue.schema import appointments, delivered_keys, tickets
from kiosk.queue.service import LocalQueueService, _as_utc

# The codes this service makes: digits only, so a citizen types them on the kiosk's keypad.
CODE_DIGITS = 8


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV text (a UTF-8 BOM is ignored); ``InvalidRecord`` when it is not CSV."""
    try:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        return header, [{k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)} for row in reader]
    except csv.Error as exc:
        raise InvalidRecord(f"not a CSV file: {exc}") from None


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Appointment:
    code: str
    group_id: str
    matter_id: str
    day: date
    starts_at: datetime
    ends_at: datetime
    id_masked: str
    name_masked: str
    status: AppointmentStatus
    ticket_number: str = ""
    source: str = "api"


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class NewAppointment:
    """An appointment to store; ``starts_at``/``ends_at`` naive means the hall's local time. Also the hall
    API's request body, with the limits of its fields."""

    group_id: Slug
    starts_at: Moment
    ends_at: Moment
    code: Annotated[str, text(32)] = ""
    matter_id: Annotated[str, Field(max_length=32, pattern=r"^([a-z][a-z0-9_-]{0,31})?$")] = ""
    id_number: Annotated[str, text(40)] = ""
    name: Annotated[str, text(32)] = ""


@dataclass(frozen=True)
class CheckIn:
    appointment: Appointment
    ticket: Ticket


@dataclass(frozen=True)
class ImportResult:
    """What an import stored, and every line it refused (line number and reason)."""

    stored: int
    problems: tuple[str, ...]


class AppointmentDesk(Protocol):
    """What a kiosk needs: check in by appointment code or by ID card."""

    def check_in(self, code: str = "", identity: Identity | None = None) -> CheckIn:
        """Issue the appointment's green-channel ticket; raises ``AppointmentNotFound``, ``CheckInTooEarly``,
        ``CheckInTooLate``, ``AlreadyCheckedIn`` or a queue refusal (closed)."""
        ...


class AppointmentService:
    """Appointments in the queue's database, checked in through the queue."""

    def __init__(self, queue: LocalQueueService) -> None:
        self._queue = queue
        self._engine = queue.engine
        self._config = queue.config
        self._tz = queue.config.timezone

    def _aware(self, value: datetime) -> datetime:
        return (value.replace(tzinfo=self._tz) if value.tzinfo is None else value).astimezone(UTC)

    def _row(self, row: Any) -> Appointment:
        return Appointment(
            code=row.code, group_id=row.group_id, matter_id=row.matter_id, day=date.fromisoformat(row.day),
            starts_at=_as_utc(row.starts_at), ends_at=_as_utc(row.ends_at),  # type: ignore[arg-type]
            id_masked=row.id_masked, name_masked=row.name_masked, status=AppointmentStatus(row.status),
            ticket_number=row.ticket_number or "", source=row.source)

    def _values(self, new: NewAppointment, source: str, now: datetime) -> dict[str, Any]:
        try:
            self._config.group(new.group_id)
        except KeyError:
            raise UnknownGroup(new.group_id) from None
        starts, ends = self._aware(new.starts_at), self._aware(new.ends_at)
        if ends <= starts:
            raise InvalidRecord("ends_at must be after starts_at")
        identity = None
        if new.id_number:
            identity = Identity.from_id_number(new.id_number, today=now.astimezone(self._tz).date())
        code = new.code.strip() or f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not 1 <= len(code) <= 32:
            raise InvalidRecord("code must have 1-32 characters")
        return dict(code=code, group_id=new.group_id, matter_id=new.matter_id,
                    day=starts.astimezone(self._tz).date().isoformat(), starts_at=starts, ends_at=ends,
                    identity_key=self._queue.identity_key(identity) if identity else None,
                    id_masked=identity.masked_number if identity else "", name_masked=mask_name(new.name),
                    status=AppointmentStatus.BOOKED.value, source=source, created_at=now)

    def create(self, new: NewAppointment, source: str = "api") -> Appointment:
        """Store one appointment; a code already used raises ``InvalidRecord``."""
        now = self._queue.clock().astimezone(UTC)
        values = self._values(new, source, now)
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(appointments).values(**values))
        except IntegrityError:
            raise InvalidRecord(f"appointment code {values['code']} already exists") from None
        return self.get(values["code"])

    def get(self, code: str) -> Appointment:
        with self._engine.connect() as conn:
            row = conn.execute(select(appointments).where(appointments.c.code == code.strip())).first()
        if row is None:
            raise AppointmentNotFound(code)
        return self._row(row)

    def on_day(self, day: date) -> list[Appointment]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(appointments).where(appointments.c.day == day.isoformat())
                                .order_by(appointments.c.starts_at, appointments.c.id)).all()
        return [self._row(r) for r in rows]

    def cancel(self, code: str) -> Appointment:
        with self._engine.begin() as conn:
            done = conn.execute(update(appointments).where(
                appointments.c.code == code.strip(), appointments.c.status == AppointmentStatus.BOOKED.value)
                .values(status=AppointmentStatus.CANCELLED.value)).rowcount
        if not done:
            raise AppointmentNotFound(code)
        return self.get(code)

    def import_csv(self, text: str) -> ImportResult:
        """Import ``code,group,matter,date,start,end,id_number,name`` (header required; code, matter, id_number
        and name may be empty). Valid lines are stored; every invalid line is reported with its number."""
        header, records = read_csv(text)
        if not {"group", "date", "start", "end"} <= set(header):
            raise InvalidRecord("the header must name at least: group,date,start,end")
        stored, problems = 0, []
        for line, rec in enumerate(records, start=2):
            try:
                day = date.fromisoformat((rec.get("date") or "").strip())
                start = datetime.combine(day, time.fromisoformat((rec.get("start") or "").strip()))
                end = datetime.combine(day, time.fromisoformat((rec.get("end") or "").strip()))
                self.create(NewAppointment(
                    group_id=(rec.get("group") or "").strip(), starts_at=start, ends_at=end,
                    code=(rec.get("code") or "").strip(), matter_id=(rec.get("matter") or "").strip(),
                    id_number=(rec.get("id_number") or "").strip(), name=(rec.get("name") or "").strip()),
                    source="import")
                stored += 1
            except InvalidIdNumber:
                problems.append(f"line {line}: invalid ID number")  # the number itself is never echoed
            except KioskError as exc:
                problems.append(f"line {line}: {exc.code}: {exc.detail or exc.message('en')}")
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
        return ImportResult(stored, tuple(problems))

    def _find(self, conn: Any, code: str, identity: Identity | None, day: str, now: datetime) -> Any:
        if code:
            row = conn.execute(select(appointments).where(appointments.c.code == code.strip())
                               .with_for_update()).first()
            if row is None or row.day != day or row.status == AppointmentStatus.CANCELLED.value:
                raise AppointmentNotFound(code)
            return row
        if identity is None:
            raise AppointmentNotFound("")
        rows = conn.execute(select(appointments).where(
            appointments.c.day == day, appointments.c.identity_key == self._queue.identity_key(identity),
            appointments.c.status != AppointmentStatus.CANCELLED.value).with_for_update()).all()
        if not rows:
            raise AppointmentNotFound("identity")
        # Several bookings today: the one still to check in whose start is nearest to now.
        return min(rows, key=lambda r: (r.status != AppointmentStatus.BOOKED.value,
                                        abs((_as_utc(r.starts_at) - now).total_seconds())))  # type: ignore[operator]

    def _check_window(self, row: Any, at: datetime) -> None:
        """Raise why ``row`` cannot be checked in at ``at``: already checked in, too early or too late."""
        if row.status == AppointmentStatus.CHECKED_IN.value:
            raise AlreadyCheckedIn(row.ticket_number or "")
        rules = self._config.kiosk.appointments
        starts = _as_utc(row.starts_at)
        assert starts is not None
        opens = starts - timedelta(minutes=rules.checkin_early_minutes)
        if at < opens:
            raise CheckInTooEarly(starts.astimezone(self._tz), opens.astimezone(self._tz), row.group_id)
        if at > starts + timedelta(minutes=rules.checkin_late_minutes):
            raise CheckInTooLate(starts.astimezone(self._tz), opens.astimezone(self._tz), row.group_id)

    def check_in(self, code: str = "", identity: Identity | None = None) -> CheckIn:
        self._queue.check_open()
        with self._engine.begin() as conn:
            return self.check_in_in(conn, code, identity)

    def check_in_in(self, conn: Connection, code: str = "", identity: Identity | None = None, *,
                    series: str = "") -> CheckIn:
        """Check in inside the caller's transaction (a hall kiosk offline stores its outbox entries with it);
        ``series`` numbers the ticket from that kiosk's offline series."""
        now = self._queue.clock().astimezone(UTC)
        day = now.astimezone(self._tz).date().isoformat()
        row = self._find(conn, code, identity, day, now)
        self._check_window(row, now)
        group = self._config.group(row.group_id)
        # Booked in advance: the day's quota does not apply, and nobody loses the booked slot to it.
        ticket = self._queue.issue_in(conn, group, now, Priority.APPOINTMENT, key=row.identity_key,
                                      id_masked=row.id_masked or None, enforce_quota=False,
                                      appointment_code=row.code, series=series)
        conn.execute(update(appointments).where(appointments.c.id == row.id).values(
            status=AppointmentStatus.CHECKED_IN.value, ticket_number=ticket.number, checked_in_at=now))
        appointment = self._row(conn.execute(select(appointments).where(appointments.c.id == row.id)).one())
        return CheckIn(appointment, ticket)

    def import_check_in(self, key: str, kiosk_id: str, *, code: str, number: str, checked_in_at: datetime) -> CheckIn:
        """Link a check-in a kiosk made offline to the ticket it handed over before.

        Judged as at ``checked_in_at`` (never after now): the appointment must be of that day, booked, and in
        its check-in window then. Idempotent by ``key``. A refusal raises why, and the ticket, handed over as
        green channel on the strength of this check-in, stays valid as an ordinary one (its place by issue time).
        """
        received = self._queue.clock().astimezone(UTC)
        at = min(checked_in_at.astimezone(UTC), received)
        day = at.astimezone(self._tz).date()
        number = number.strip().upper()
        refusal: KioskError | None = None
        with self._engine.begin() as conn:
            row = conn.execute(select(appointments).where(appointments.c.code == code.strip())
                               .with_for_update()).first()
            # Looked up under the appointment's lock: a delivery of the same key that ran at once has committed.
            done = conn.execute(select(delivered_keys.c.ref).where(delivered_keys.c.key == key,
                                                                   delivered_keys.c.kind == "checkin")).first()
            ticket_id = conn.execute(select(tickets.c.id).where(tickets.c.day == day.isoformat(),
                                                                tickets.c.number == number)).scalar()
            if ticket_id is None:
                raise TicketNotFound(number)
            linked = row is not None and row.status == AppointmentStatus.CHECKED_IN.value and row.ticket_number == number
            if done is None and not linked:
                try:
                    if row is None or row.day != day.isoformat() or row.status == AppointmentStatus.CANCELLED.value:
                        raise AppointmentNotFound(code)
                    self._check_window(row, at)
                except KioskError as exc:
                    refusal = exc
                    conn.execute(update(tickets).where(tickets.c.id == ticket_id, tickets.c.appointment_code.is_(None),
                                                       tickets.c.priority == Priority.APPOINTMENT.value)
                                 .values(priority=Priority.NONE.value))
                else:
                    conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(
                        group_id=row.group_id, priority=Priority.APPOINTMENT.value, appointment_code=row.code))
                    conn.execute(update(appointments).where(appointments.c.id == row.id).values(
                        status=AppointmentStatus.CHECKED_IN.value, ticket_number=number, checked_in_at=at))
                    conn.execute(insert(delivered_keys).values(key=key, kind="checkin", kiosk_id=kiosk_id[:16],
                                                               ref=row.code, received_at=received))
        if refusal is not None:
            raise refusal
        return CheckIn(self.get(code), self._queue.ticket(number, day))

    def create_many(self, items: Sequence[NewAppointment], source: str = "api") -> list[Appointment]:
        return [self.create(item, source) for item in items]
