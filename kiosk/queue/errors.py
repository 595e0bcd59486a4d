"""Faults of taking a number, each with a message a citizen understands."""

from __future__ import annotations

from datetime import datetime

from kiosk.errors import KioskError
from kiosk.texts import tr
from kiosk.timefmt import moment


class QueueRefused(KioskError):
    """Base of every refusal to issue a number."""

    code = "queue_refused"


class UnknownGroup(QueueRefused):
    code = "unknown_group"


class IdentityRequired(QueueRefused):
    code = "identity_required"


class _WithNextOpening(QueueRefused):
    """A refusal that tells when numbers are issued again, or (``<key>.unannounced``) that the hall will say."""

    def __init__(self, next_open: datetime | None, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.next_open = next_open

    def values(self, lang: str) -> dict[str, object]:
        return {"next_open": moment(self.next_open, lang)} if self.next_open else {}

    def message(self, lang: str = "zh") -> str:
        if self.next_open is None:
            return tr(f"error.{self.code}.unannounced", lang)
        return super().message(lang)


class QueueClosed(_WithNextOpening):
    """Outside opening hours, in the lunch break, or after the last-ticket time."""

    code = "queue_closed"


class QuotaExhausted(_WithNextOpening):
    """The group's numbers for today are all issued."""

    code = "quota_exhausted"


class TicketLimitReached(QueueRefused):
    """The person already holds as many open tickets for the group today as allowed."""

    code = "ticket_limit"

    def __init__(self, existing: str) -> None:
        super().__init__(existing)
        self.existing = existing

    def values(self, lang: str) -> dict[str, object]:
        return {"existing": self.existing}


class TicketNotFound(KioskError):
    code = "ticket_not_found"


class UnknownWindow(KioskError):
    code = "unknown_window"


class NoCurrentTicket(KioskError):
    """A window operation needs a called ticket at the window, and there is none."""

    code = "no_current_ticket"


class RejoinNotAllowed(KioskError):
    """The hall does not let a missed number rejoin the queue: a new number is needed."""

    code = "rejoin_not_allowed"


class NotMissed(KioskError):
    """Only a missed number (过号) may rejoin the queue; this one is waiting, called or served."""

    code = "not_missed"

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number

    def values(self, lang: str) -> dict[str, object]:
        return {"number": self.number}


class RejoinLimitReached(KioskError):
    """The missed number has rejoined the queue as often as the hall allows today."""

    code = "rejoin_limit"

    def __init__(self, times: int) -> None:
        super().__init__(str(times))
        self.times = times

    def values(self, lang: str) -> dict[str, object]:
        return {"times": self.times}


class NoShowTooEarly(KioskError):
    """A no-show may be marked only after the configured number of recalls."""

    code = "no_show_too_early"

    def __init__(self, recalls_needed: int) -> None:
        super().__init__(str(recalls_needed))
        self.recalls_needed = recalls_needed

    def values(self, lang: str) -> dict[str, object]:
        return {"recalls_needed": self.recalls_needed}


class SameGroup(KioskError):
    code = "same_group"


class AppointmentNotFound(KioskError):
    code = "appointment_not_found"


class _CheckInWindow(KioskError):
    """A refusal that tells the booked time, so the citizen knows when to come (back). The times are the
    hall's local times (the service passes them so, and the hall server's error detail keeps their offset),
    shown as hours and minutes only: a kiosk checks in only today's appointments. ``group_id`` is the
    appointment's service: the kiosk offers an ordinary number of it instead."""

    def __init__(self, starts_at: datetime, opens_at: datetime, group_id: str = "") -> None:
        super().__init__(starts_at.isoformat())
        self.starts_at = starts_at
        self.opens_at = opens_at
        self.group_id = group_id

    def values(self, lang: str) -> dict[str, object]:
        return {"start": f"{self.starts_at:%H:%M}", "opens": f"{self.opens_at:%H:%M}"}


class CheckInTooEarly(_CheckInWindow):
    code = "check_in_too_early"


class CheckInTooLate(_CheckInWindow):
    code = "check_in_too_late"


class AlreadyCheckedIn(KioskError):
    code = "already_checked_in"

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number

    def values(self, lang: str) -> dict[str, object]:
        return {"number": self.number}


class InvalidRecord(KioskError):
    """Data sent to the hall (an appointment, a progress record, a rating, a catalogue) is not valid."""

    code = "invalid_record"


class ProgressNotFound(KioskError):
    code = "progress_not_found"


class AlreadyRated(KioskError):
    """One rating per ticket."""

    code = "already_rated"


class NoTicketToday(KioskError):
    """Rating by ID card: no number was issued to this person today."""

    code = "no_ticket_today"


class InvalidPhone(KioskError):
    """A call-back number that is not a mainland mobile number."""

    code = "invalid_phone"


class RatingNotFound(KioskError):
    code = "rating_not_found"


class StaffCallNotFound(KioskError):
    code = "staff_call_not_found"


class CatalogGroupsChanged(KioskError):
    """Service groups decide numbering: they change with services.toml and a restart, not at run time."""

    code = "catalog_groups_changed"
