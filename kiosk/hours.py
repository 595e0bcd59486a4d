"""Opening hours: whether numbers may be issued at a moment, and when the hall next opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import HoursConfig, Session

_LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class TicketingState:
    """Whether numbers are issued at ``now``; if not, why (``reason``) and from when (``next_open``)."""

    open: bool
    reason: str  # "open", "closed_day", "before_open", "break", "after_last_ticket"
    next_open: datetime | None
    today: tuple[Session, ...]


class OpeningHours:
    """Weekly hours with holidays and make-up workdays, in the hall's time zone."""

    def __init__(self, hours: HoursConfig, tz: ZoneInfo) -> None:
        self._hours = hours
        self._tz = tz
        self._last = timedelta(minutes=hours.last_ticket_minutes_before_close)

    def sessions_on(self, day: date) -> list[Session]:
        """The opening periods of ``day`` (empty on a closed day)."""
        if day in self._hours.holidays:
            return []
        if day in self._hours.workdays:
            return list(getattr(self._hours, self._hours.workdays_use_hours_of))
        return self._hours.sessions_for_weekday(day.weekday())

    def _at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self._tz)

    def next_opening(self, now: datetime) -> datetime | None:
        """The first period start after ``now`` within the next two months, if any."""
        local = now.astimezone(self._tz)
        for offset in range(_LOOKAHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            for session in self.sessions_on(day):
                start = self._at(day, session.start)
                if start > local:
                    return start
        return None

    def state(self, now: datetime) -> TicketingState:
        """Whether a number may be issued at ``now``."""
        local = now.astimezone(self._tz)
        sessions = tuple(self.sessions_on(local.date()))
        reason = "closed_day" if not sessions else "before_open"
        for session in sessions:
            start, end = self._at(local.date(), session.start), self._at(local.date(), session.end)
            if start <= local < end - self._last:
                return TicketingState(True, "open", None, sessions)
            if local >= start:
                reason = "after_last_ticket" if local < end else "break"
        if sessions and local >= self._at(local.date(), sessions[-1].end):
            reason = "closed_day"
        return TicketingState(False, reason, self.next_opening(local), sessions)


def describe_sessions(sessions: tuple[Session, ...] | list[Session]) -> str:
    """``09:00-12:00, 13:30-17:30``."""
    return ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in sessions)
