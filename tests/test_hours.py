"""Opening hours with the shipped configuration: periods, lunch break, last-ticket time, holidays, 调休."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import KioskConfig
from kiosk.hours import OpeningHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def hours(config: KioskConfig) -> OpeningHours:
    return OpeningHours(config.kiosk.hours, config.timezone)


def at(*args: int) -> datetime:
    """An aware Shanghai time, e.g. ``at(2026, 11, 24, 10, 0)``."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


# 2026-11-24 is a Tuesday, 2026-11-27 a Friday, 2026-11-28 a Saturday.


def test_open_on_tuesday_morning(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 10, 0))
    assert state.open and state.reason == "open" and state.next_open is None
    assert len(state.today) == 2


def test_utc_input_is_read_in_the_halls_zone(hours: OpeningHours) -> None:
    # 02:00 UTC is 10:00 in Shanghai: open. 10:00 UTC is 18:00 in Shanghai: closed.
    assert hours.state(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)).open
    assert not hours.state(datetime(2026, 11, 24, 10, 0, tzinfo=UTC)).open


def test_lunch_break(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 12, 30))
    assert not state.open
    assert state.reason == "break"
    assert state.next_open == at(2026, 11, 24, 13, 30)


def test_last_ticket_time_before_lunch(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 11, 45))
    assert not state.open
    assert state.reason == "after_last_ticket"
    assert state.next_open == at(2026, 11, 24, 13, 30)


@pytest.mark.parametrize(("hh", "mm", "is_open"), [
    (8, 59, False), (9, 0, True), (11, 29, True), (11, 30, False), (12, 0, False),
    (13, 29, False), (13, 30, True), (16, 59, True), (17, 0, False), (17, 29, False), (17, 30, False),
])
def test_period_edges(hours: OpeningHours, hh: int, mm: int, is_open: bool) -> None:
    assert hours.state(at(2026, 11, 24, hh, mm)).open is is_open


def test_before_opening_in_the_morning(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 7, 15))
    assert not state.open and state.reason == "before_open"
    assert state.next_open == at(2026, 11, 24, 9, 0)


def test_afternoon_last_ticket_time(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 17, 10))
    assert not state.open and state.reason == "after_last_ticket"
    assert state.next_open == at(2026, 11, 25, 9, 0)


def test_after_closing_next_day_nine(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 24, 17, 31))
    assert not state.open
    assert state.reason == "closed_day"
    assert state.next_open == at(2026, 11, 25, 9, 0)


def test_friday_evening_opens_again_on_monday(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 11, 27, 19, 0))
    assert not state.open
    assert state.next_open == at(2026, 11, 30, 9, 0)


@pytest.mark.parametrize("day", [28, 29])
def test_weekend_is_closed_until_monday(hours: OpeningHours, day: int) -> None:
    state = hours.state(at(2026, 11, day, 10, 0))
    assert not state.open
    assert state.reason == "closed_day"
    assert state.today == ()
    assert state.next_open == at(2026, 11, 30, 9, 0)
    assert state.next_open.weekday() == 0


def test_public_holiday_is_closed(hours: OpeningHours) -> None:
    state = hours.state(at(2026, 10, 1, 10, 0))  # a Thursday, National Day
    assert not state.open and state.reason == "closed_day"
    assert hours.sessions_on(at(2026, 10, 1, 0, 0).date()) == []


def test_national_day_week_skips_holidays_and_weekend(hours: OpeningHours) -> None:
    # Holidays 1-2 and 5-8 October, weekend 3-4: the hall opens again on Friday 9 October.
    state = hours.state(at(2026, 9, 30, 18, 0))
    assert state.next_open == at(2026, 10, 9, 9, 0)


def test_make_up_workday_on_a_saturday_is_open(hours: OpeningHours) -> None:
    saturday = at(2026, 10, 10, 10, 0)
    assert saturday.weekday() == 5
    state = hours.state(saturday)
    assert state.open
    # It uses Monday's hours: lunch break and closing like any workday.
    assert hours.state(at(2026, 10, 10, 12, 30)).reason == "break"
    assert hours.state(at(2026, 10, 9, 18, 0)).next_open == at(2026, 10, 10, 9, 0)
    assert hours.state(at(2026, 10, 10, 18, 0)).next_open == at(2026, 10, 12, 9, 0)


def test_next_opening_is_strictly_after_now(hours: OpeningHours) -> None:
    assert hours.next_opening(at(2026, 11, 24, 9, 0)) == at(2026, 11, 24, 13, 30)
    assert hours.next_opening(at(2026, 11, 24, 8, 59)) == at(2026, 11, 24, 9, 0)
