"""The service layer's values as JSON (pydantic): the hall server's request and response bodies, and what
the HTTP client parses. One definition for both ends, so they cannot drift apart.

Every string has a length limit and refuses NUL characters, and every date lies in 2000-2099: the database
columns have limits too, and a request beyond them must be a 422, never a failure inside the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kiosk.queue.appointments import Appointment, CheckIn
from kiosk.queue.catalog import CatalogVersion
from kiosk.queue.figures import HallFigures
from kiosk.queue.model import CallEvent, EventKind, GroupStatus, Priority, Ticket, TicketStatus, WindowState
from kiosk.queue.progress import ProgressRecord, Stage, UpsertResult
from kiosk.queue.ratings import Level, Rating, Reason

_NO_NUL = r"^[^\x00]*$"
SLUG = r"^[a-z][a-z0-9_-]{0,31}$"
WINDOW = r"^[A-Za-z0-9_-]{1,16}$"
NUMBER = r"^[A-Za-z]{1,2}[0-9]{2,4}$"

Slug = Annotated[str, Field(pattern=SLUG)]
WindowId = Annotated[str, Field(pattern=WINDOW)]


def text(max_length: int, min_length: int = 0) -> Any:
    """A free-text field: bounded and without NUL characters (PostgreSQL refuses them)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=_NO_NUL)]


def _in_range(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2099:
        raise ValueError("must lie in the years 2000-2099")
    return value


def _day_in_range(value: date) -> date:
    if not 2000 <= value.year <= 2099:
        raise ValueError("must lie in the years 2000-2099")
    return value


Moment = Annotated[datetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketOut(BaseModel):
    number: str
    group_id: str
    day: date
    seq: int
    priority: Priority
    issued_at: datetime
    status: TicketStatus
    people_ahead: int
    wait_minutes: int
    kiosk_id: str = ""
    id_masked: str = ""
    window: str = ""

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(number=t.number, group_id=t.group_id, day=t.day, seq=t.seq, priority=t.priority,
                   issued_at=t.issued_at, status=t.status, people_ahead=t.people_ahead, wait_minutes=t.wait_minutes,
                   kiosk_id=t.kiosk_id, id_masked=t.id_masked, window=t.window)

    def ticket(self) -> Ticket:
        return Ticket(**self.model_dump())


class GroupStatusOut(BaseModel):
    group_id: str
    name_zh: str
    name_en: str
    waiting: int
    priority_waiting: int
    serving: list[str]
    next_number: str
    wait_minutes: int
    issued: int
    quota: int
    available: bool
    refusal_code: str = ""

    @classmethod
    def of(cls, s: GroupStatus) -> GroupStatusOut:
        return cls(**{**s.__dict__, "serving": list(s.serving)})

    def status(self) -> GroupStatus:
        return GroupStatus(**{**self.model_dump(), "serving": tuple(self.serving)})


class IssueIn(Body):
    group_id: Slug
    # Validated (check digit, birth date) by the server; only its hash and masked form are stored.
    id_number: text(40) | None = None  # type: ignore[valid-type]
    priority: Priority = Priority.NONE


# The idempotency key of an entry of a kiosk's outbox (issue 7).
OutboxKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class TicketImportIn(Body):
    """An offline ticket a kiosk hands over: its own number, series and issue time, and an idempotency key."""

    key: OutboxKey
    number: Annotated[str, Field(pattern=NUMBER)]
    group_id: Slug
    series: Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")]
    seq: Annotated[int, Field(ge=1, le=9999)]
    priority: Priority = Priority.NONE
    issued_at: Annotated[datetime, AfterValidator(_in_range)]
    id_masked: text(18) = ""  # type: ignore[valid-type]


class WindowOut(BaseModel):
    window: str
    groups: list[str]
    changed: bool
    current: TicketOut | None = None
    recalls: int = 0

    @classmethod
    def of(cls, w: WindowState, recalls: int = 0) -> WindowOut:
        return cls(window=w.window, groups=list(w.groups), changed=w.changed,
                   current=TicketOut.of(w.current) if w.current else None, recalls=recalls)


class WindowGroupsIn(Body):
    groups: Annotated[list[Slug], Field(max_length=40)]


class TransferIn(Body):
    group_id: Slug


class CallOut(BaseModel):
    """The result of "call next": the ticket called, or none when nobody is waiting."""

    ticket: TicketOut | None = None


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: EventKind
    number: str
    group_id: str
    window: str
    detail: str = ""
    text_zh: str = ""
    text_en: str = ""

    @classmethod
    def of(cls, e: CallEvent) -> EventOut:
        zh = en = ""
        if e.kind in (EventKind.CALL, EventKind.RECALL):
            zh = f"请{e.number}号到{e.window}号窗口办理"
            en = f"Number {e.number}, please go to window {e.window}"
        return cls(id=e.id, at=e.at, kind=e.kind, number=e.number, group_id=e.group_id, window=e.window,
                   detail=e.detail, text_zh=zh, text_en=en)


class LoginIn(Body):
    username: text(32, 1)  # type: ignore[valid-type]
    password: text(200, 1)  # type: ignore[valid-type]
    window: Annotated[str | None, Field(pattern=WINDOW)] = None


class LoginOut(BaseModel):
    token: str
    username: str
    role: str
    window: str | None
    expires_at: datetime


class AppointmentIn(Body):
    group_id: Slug
    starts_at: Moment
    ends_at: Moment
    code: text(32) = ""  # type: ignore[valid-type]
    matter_id: Annotated[str, Field(max_length=32, pattern=r"^([a-z][a-z0-9_-]{0,31})?$")] = ""
    id_number: text(40) = ""  # type: ignore[valid-type]
    name: text(32) = ""  # type: ignore[valid-type]


class AppointmentOut(BaseModel):
    code: str
    group_id: str
    matter_id: str
    day: date
    starts_at: datetime
    ends_at: datetime
    id_masked: str
    name_masked: str
    status: str
    ticket_number: str = ""
    source: str = ""

    @classmethod
    def of(cls, a: Appointment) -> AppointmentOut:
        return cls(**{**a.__dict__, "status": a.status.value})


class CheckInIn(Body):
    code: text(32) = ""  # type: ignore[valid-type]
    id_number: text(40) = ""  # type: ignore[valid-type]


class CheckInImportIn(Body):
    """A check-in a kiosk made offline, for the ticket it handed over before, with an idempotency key."""

    key: OutboxKey
    code: text(32, 1)  # type: ignore[valid-type]
    number: Annotated[str, Field(pattern=NUMBER)]
    checked_in_at: Moment


class CheckInOut(BaseModel):
    appointment: AppointmentOut
    ticket: TicketOut

    @classmethod
    def of(cls, c: CheckIn) -> CheckInOut:
        return cls(appointment=AppointmentOut.of(c.appointment), ticket=TicketOut.of(c.ticket))


class ImportOut(BaseModel):
    stored: int
    ignored_older: int = 0
    problems: list[str] = []


class ProgressIn(Body):
    receipt_no: text(40, 1)  # type: ignore[valid-type]
    stage: Stage
    updated_at: Moment
    matter_id: text(32) = ""  # type: ignore[valid-type]
    matter_name_zh: text(200) = ""  # type: ignore[valid-type]
    id_number: text(40) = ""  # type: ignore[valid-type]
    name: text(32) = ""  # type: ignore[valid-type]
    note_zh: text(400) = ""  # type: ignore[valid-type]


class ProgressPushIn(Body):
    records: Annotated[list[ProgressIn], Field(min_length=1, max_length=1000)]


class StageDateOut(BaseModel):
    stage: Stage
    at: datetime


class ProgressOut(BaseModel):
    receipt_no: str
    matter_id: str
    matter_name_zh: str
    id_masked: str
    name_masked: str
    stage: Stage
    stage_zh: str
    stage_en: str
    note_zh: str
    updated_at: datetime
    # When each stage was reached, oldest first (absent from an older server: only the current stage's date).
    stage_dates: list[StageDateOut] = []

    @classmethod
    def of(cls, r: ProgressRecord) -> ProgressOut:
        return cls(**{**r.__dict__, "stage_dates": [StageDateOut(stage=s, at=at) for s, at in r.stage_dates]},
                   stage_zh=r.stage_zh, stage_en=r.stage_en)

    def record(self) -> ProgressRecord:
        return ProgressRecord(self.receipt_no, self.matter_id, self.matter_name_zh, self.id_masked, self.name_masked,
                              self.stage, self.note_zh, self.updated_at,
                              tuple((d.stage, d.at) for d in self.stage_dates))


class ProgressLookupIn(Body):
    id_number: text(40, 1)  # type: ignore[valid-type]


def upsert_out(result: UpsertResult) -> ImportOut:
    return ImportOut(stored=result.stored, ignored_older=result.ignored_older, problems=list(result.problems))


class RatingIn(Body):
    level: Annotated[int, Field(ge=1, le=5)]
    number: Annotated[str, Field(pattern=r"^([A-Za-z]{1,2}[0-9]{2,4})?$")] = ""
    comment: text(500) = ""  # type: ignore[valid-type]
    window: Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{1,16})?$")] = ""
    reasons: Annotated[list[Reason], Field(max_length=len(Reason))] = []
    # Digits only here; the service checks it is a mobile number (a typed ``invalid_phone`` error).
    phone: Annotated[str, Field(pattern=r"^[0-9]{0,20}$")] = ""
    # From a kiosk's outbox (issue 7): its idempotency key, and when the citizen rated.
    key: Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{8,64})?$")] = ""
    at: Moment | None = None


class RatingTicketIn(Body):
    """The ticket a citizen is about to rate: its number, or the ID card of whom it was issued to."""

    number: Annotated[str, Field(pattern=r"^([A-Za-z]{1,2}[0-9]{2,4})?$")] = ""
    id_number: text(40) = ""  # type: ignore[valid-type]


class RatingOut(BaseModel):
    id: int
    at: datetime
    level: int
    level_zh: str
    level_en: str
    number: str
    group_id: str
    window: str
    comment: str
    kiosk_id: str
    followed_up_at: datetime | None = None
    followed_up_by: str = ""
    follow_up_note: str = ""
    reasons: list[Reason] = []
    phone: str = ""

    @classmethod
    def of(cls, r: Rating) -> RatingOut:
        return cls(**{**r.__dict__, "level": int(r.level), "reasons": list(r.reasons)}, level_zh=r.level.zh,
                   level_en=r.level.en)

    def rating(self) -> Rating:
        return Rating(self.id, self.at, Level(self.level), self.number, self.group_id, self.window, self.comment,
                      self.kiosk_id, self.followed_up_at, self.followed_up_by, self.follow_up_note,
                      tuple(self.reasons), self.phone)


class FollowUpIn(Body):
    note: text(500, 1)  # type: ignore[valid-type]


class CatalogOut(BaseModel):
    version: int
    changed: bool
    sha256: str = ""
    published_at: datetime | None = None
    services: dict[str, Any] | None = None

    @classmethod
    def of(cls, v: CatalogVersion | None, known: int) -> CatalogOut:
        if v is None:
            return cls(version=known, changed=False)
        return cls(version=v.version, changed=True, sha256=v.sha256, published_at=v.published_at,
                   services=v.services.model_dump(mode="json"))


class GroupFiguresOut(BaseModel):
    group_id: str
    name_zh: str
    issued: int
    served: int
    no_shows: int
    waiting: int
    average_wait: float | None
    p90_wait: float | None


class HourFiguresOut(BaseModel):
    group_id: str
    hour: int
    issued: int
    served: int


class FiguresOut(BaseModel):
    day: date
    groups: list[GroupFiguresOut]
    hours: list[HourFiguresOut]
    ratings: dict[str, int]
    bad_ratings_open: int

    @classmethod
    def of(cls, f: HallFigures) -> FiguresOut:
        return cls(day=f.day, groups=[GroupFiguresOut(**g.__dict__) for g in f.groups],
                   hours=[HourFiguresOut(**h.__dict__) for h in f.hours],
                   ratings={str(int(level)): count for level, count in f.ratings.items()},
                   bad_ratings_open=f.bad_ratings_open)


class DeviceIn(Body):
    device_id: WindowId
    role: Annotated[str, Field(pattern=r"^(kiosk|platform)$")] = "kiosk"


class DeviceOut(BaseModel):
    device_id: str
    role: str
    token: str


class UserIn(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
    role: Annotated[str, Field(pattern=r"^(clerk|manager)$")]
    password: text(200, 8)  # type: ignore[valid-type]
    display_name: text(64) = ""  # type: ignore[valid-type]


class ErrorOut(BaseModel):
    """Every error: a stable ``code`` and the message in Chinese (``message``) and English."""

    code: str
    message: str
    message_en: str
    detail: Any = None
