"""The hall server's request and response bodies, derived from the service layer's types.

A response is a service type itself (a dataclass, read by pydantic), or a subclass of one adding what a client
shows without the service layer's tables or the catalogues (``EventOut``'s announcement, ``ProgressOut``'s stage
names in both languages, ...).
The server returns them; the client turns the JSON back into the service types with ``parse``. So both ends
have one definition of every field. Request bodies that are not service types are the small models here; the
limits of every field (``kiosk.queue.limits``) are the database's.

An error's body carries its ``code`` and, as ``detail``, the arguments it was built with (``error_detail``):
the client builds the same ``KioskError`` class again from the registry of codes (``error_from_detail``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from kiosk.errors import KioskError, error_for_code
from kiosk.queue.catalog import CatalogVersion
from kiosk.queue.limits import NUMBER, WINDOW, Moment, OutboxKey, Slug, WindowId, text
from kiosk.queue.model import CallEvent, EventKind, Priority, Ticket, WindowState
from kiosk.queue.progress import ProgressRecord, ProgressUpdate
from kiosk.queue.ratings import Rating, Reason
from kiosk.queue.staff_calls import CallKind, StaffCall
from kiosk.texts import LANGUAGES, tr

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(kind: Any) -> TypeAdapter[Any]:
    """The ``TypeAdapter`` of ``kind``, built once: building one compiles its schema, too slow for each call."""
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def parse(kind: type[T], data: Any) -> T:
    """JSON from the hall server as the service type ``kind``; fields it does not have (a subclass's) are ignored."""
    value: T = adapter(kind).validate_python(data)
    return value


def extend(cls: type[D], value: DataclassInstance, **extra: Any) -> D:
    """The dataclass ``value`` as its subclass ``cls``: each field from ``extra``, else from ``value``'s attribute
    of that name."""
    return cls(**{f.name: extra[f.name] if f.name in extra else getattr(value, f.name) for f in fields(cls)})


def in_languages(field: str, text: Callable[[str], str]) -> dict[str, str]:
    """``{field}_zh``, ``{field}_en``, ...: ``text(lang)`` in every language, for the fields of a response that
    the hall's pages show as sent."""
    return {f"{field}_{lang}": text(lang) for lang in LANGUAGES}


# -- responses besides the service types themselves --------------------------------------------------------


@dataclass(frozen=True)
class WindowOut(WindowState):
    """A window, and how often its current ticket was recalled (the clerk's page offers no-show after enough)."""

    recalls: int = 0


@dataclass(frozen=True)
class EventOut(CallEvent):
    """An event, with what the board announces for a call or a recall."""

    text_zh: str = ""
    text_en: str = ""

    @classmethod
    def of(cls, e: CallEvent) -> EventOut:
        if e.kind not in (EventKind.CALL, EventKind.RECALL):
            return extend(cls, e, text_zh="", text_en="")
        return extend(cls, e, **in_languages("text", lambda lang: tr("board.call", lang, number=e.number,
                                                                     window=e.window)))


@dataclass(frozen=True)
class ProgressOut(ProgressRecord):
    """A progress record with its stage's names."""

    stage_zh: str = ""
    stage_en: str = ""

    @classmethod
    def of(cls, record: ProgressRecord) -> ProgressOut:
        return extend(cls, record, **in_languages("stage", record.stage.text))


@dataclass(frozen=True)
class RatingOut(Rating):
    """A rating with its level's names."""

    level_zh: str = ""
    level_en: str = ""

    @classmethod
    def of(cls, rating: Rating) -> RatingOut:
        return extend(cls, rating, **in_languages("level", rating.level.text))


@dataclass(frozen=True)
class StaffCallOut(StaffCall):
    """A kiosk's call for staff, with what it asks for and the screen or fault in words."""

    kind_zh: str = ""
    kind_en: str = ""
    detail_zh: str = ""
    detail_en: str = ""

    @classmethod
    def of(cls, call: StaffCall) -> StaffCallOut:
        return extend(cls, call, **in_languages("kind", call.kind.text), **in_languages("detail", call.detail_text))


class CallOut(BaseModel):
    """The result of "call next": the ticket called, or none when nobody is waiting."""

    ticket: Ticket | None = None


class CatalogOut(BaseModel):
    """The newest catalogue when it is newer than the client's (``changed``), its content as published: the
    client checks the checksum over exactly what was sent, before validating it as services.toml."""

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


class LoginOut(BaseModel):
    token: str
    username: str
    role: str
    window: str | None
    expires_at: datetime


class DeviceOut(BaseModel):
    device_id: str
    role: str
    token: str


class ErrorOut(BaseModel):
    """Every error: a stable ``code``, the message in Chinese (``message``) and English, and ``detail``: the
    arguments of the ``KioskError`` (``error_detail``), or the problems of an invalid request."""

    code: str
    message: str
    message_en: str
    detail: Any = None


# -- request bodies ----------------------------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueIn(Body):
    group_id: Slug
    # Validated (check digit, birth date) by the server; only its hash and masked form are stored.
    id_number: Annotated[str, text(40)] | None = None
    priority: Priority = Priority.NONE


class TicketImportIn(Body):
    """An offline ticket a kiosk hands over: its own number, series and issue time, and an idempotency key."""

    key: OutboxKey
    number: Annotated[str, Field(pattern=NUMBER)]
    group_id: Slug
    series: Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")]
    seq: Annotated[int, Field(ge=1, le=9999)]
    priority: Priority = Priority.NONE
    issued_at: Moment
    id_masked: Annotated[str, text(18)] = ""


class WindowGroupsIn(Body):
    groups: Annotated[list[Slug], Field(max_length=40)]


class TransferIn(Body):
    group_id: Slug


class LoginIn(Body):
    username: Annotated[str, text(32, 1)]
    password: Annotated[str, text(200, 1)]
    window: Annotated[str | None, Field(pattern=WINDOW)] = None


class CheckInIn(Body):
    code: Annotated[str, text(32)] = ""
    id_number: Annotated[str, text(40)] = ""


class CheckInImportIn(Body):
    """A check-in a kiosk made offline, for the ticket it handed over before, with an idempotency key."""

    key: OutboxKey
    code: Annotated[str, text(32, 1)]
    number: Annotated[str, Field(pattern=NUMBER)]
    checked_in_at: Moment


class ProgressPushIn(Body):
    records: Annotated[list[ProgressUpdate], Field(min_length=1, max_length=1000)]


class ProgressLookupIn(Body):
    id_number: Annotated[str, text(40, 1)]


class RatingIn(Body):
    level: Annotated[int, Field(ge=1, le=5)]
    number: Annotated[str, Field(pattern=r"^([A-Za-z]{1,2}[0-9]{2,4})?$")] = ""
    comment: Annotated[str, text(500)] = ""
    window: Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{1,16})?$")] = ""
    reasons: Annotated[list[Reason], Field(max_length=len(Reason))] = []
    # Digits only here; the service checks it is a mobile number (a typed ``invalid_phone`` error).
    phone: Annotated[str, Field(pattern=r"^[0-9]{0,20}$")] = ""
    # From a kiosk's outbox: its idempotency key, and when the citizen rated.
    key: Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{8,64})?$")] = ""
    at: Moment | None = None


class RatingTicketIn(Body):
    """The ticket a citizen is about to rate: its number, or the ID card of whom it was issued to."""

    number: Annotated[str, Field(pattern=r"^([A-Za-z]{1,2}[0-9]{2,4})?$")] = ""
    id_number: Annotated[str, text(40)] = ""


class FollowUpIn(Body):
    note: Annotated[str, text(500, 1)]


class StaffCallIn(Body):
    kind: CallKind
    detail: Annotated[str, text(32)] = ""


class DeviceIn(Body):
    device_id: WindowId
    role: Annotated[str, Field(pattern=r"^(kiosk|platform)$")] = "kiosk"


class UserIn(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
    role: Annotated[str, Field(pattern=r"^(clerk|manager)$")]
    password: Annotated[str, text(200, 8)]
    display_name: Annotated[str, text(64)] = ""


def error_arguments(cls: type[KioskError]) -> tuple[tuple[str, Any], ...]:
    """The parameters of ``cls.__init__`` and their types. Every error keeps its arguments as attributes of the
    same names (``TicketLimitReached(existing)`` has ``.existing``), so they can be sent and built again."""
    hints = get_type_hints(cls.__init__)
    return tuple((name, hints[name]) for name in list(inspect.signature(cls.__init__).parameters)[1:])


def error_detail(exc: KioskError) -> dict[str, Any]:
    """The arguments ``exc`` was built with, as JSON: the ``detail`` of the hall server's error body."""
    return {name: adapter(kind).dump_python(getattr(exc, name), mode="json") for name, kind in error_arguments(type(exc))}


def error_from_detail(code: str, detail: Any) -> KioskError:
    """The error class registered for ``code``, built with the arguments in ``detail`` (``error_detail``).
    ``KeyError`` for a code no imported class has; ``TypeError`` or ``ValueError`` for a detail that does not fit."""
    cls = error_for_code(code)
    given = detail if isinstance(detail, dict) else {}
    return cls(**{name: adapter(kind).validate_python(given[name]) for name, kind in error_arguments(cls) if name in given})
