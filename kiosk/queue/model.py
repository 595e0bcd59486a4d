"""Value types of the queue: priorities (and the green-channel rule), tickets and group status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.identity import Identity


class Priority(StrEnum):
    """Why a ticket goes to the green channel (绿色通道), if it does."""

    NONE = "none"
    ELDERLY = "elderly"
    APPOINTMENT = "appointment"
    DECLARED = "declared"


def priority_for(identity: Identity | None, config: KioskConfig, day: date,
                 asked: Priority = Priority.NONE) -> Priority:
    """The priority a ticket issued on ``day`` gets: the one ``asked`` for, else the green channel for a card
    holder of ``[queue] elderly_age`` or more."""
    if asked is Priority.NONE and identity is not None and identity.age(day) >= config.kiosk.queue.elderly_age:
        return Priority.ELDERLY
    return asked


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"


OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED)


@dataclass(frozen=True)
class Ticket:
    """An issued number and what the citizen is told about it."""

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

    @property
    def is_priority(self) -> bool:
        return self.priority is not Priority.NONE


@dataclass(frozen=True)
class GroupStatus:
    """One service group's queue right now, and whether a new number can be had."""

    group_id: str
    name_zh: str
    name_en: str
    waiting: int
    priority_waiting: int
    serving: tuple[str, ...]
    next_number: str
    wait_minutes: int
    issued: int
    quota: int
    available: bool
    refusal_code: str = ""


class EventKind(StrEnum):
    """What happened at a window; the display board announces calls and recalls."""

    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no_show"
    SERVED = "served"
    TRANSFER = "transfer"
    REJOIN = "rejoin"  # a missed number waits again (detail: how many times today)


@dataclass(frozen=True)
class CallEvent:
    """One thing that happened at a window, in the order of ``id`` (hall-wide, across server processes)."""

    id: int
    at: datetime
    kind: EventKind
    number: str
    group_id: str
    window: str
    detail: str = ""


@dataclass(frozen=True)
class WindowState:
    """A window: the groups it serves now, whether a manager changed them, and the ticket at its desk."""

    window: str
    groups: tuple[str, ...]
    changed: bool
    current: Ticket | None
