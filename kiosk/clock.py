"""Clocks for the queue and the screens: the real one, and a shifted one for demonstrations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def shifted_clock(start: datetime) -> Clock:
    """A clock that reads ``start`` now and then runs at normal speed (demos outside opening hours)."""
    offset = start.astimezone(UTC) - utc_now()
    return lambda: utc_now() + offset
