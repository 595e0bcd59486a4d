"""Appointment check-in at the desk (printed green-channel ticket) and ratings with reasons and a call-back
number: the service layer on SQLite and PostgreSQL, the hall server over real HTTP, the kiosk's
HTTP client, the managers' follow-up list, and an older database gaining the new columns."""
# ruff: noqa: F811  (the hall-server fixtures are imported by name, and the tests take them as arguments)

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text

from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import Kiosk
from kiosk.backend.hall_client import HallClient
from kiosk.config import KioskConfig
from kiosk.desk import PrinterNotReady
from kiosk.devices.printer import PaperOut, PrinterStatus
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.identity import Identity
from kiosk.queue import LocalQueueService, Priority, TicketNotFound
from kiosk.queue.appointments import AppointmentService, NewAppointment
from kiosk.queue.errors import (
    AlreadyRated,
    AppointmentNotFound,
    CheckInTooEarly,
    CheckInTooLate,
    InvalidPhone,
    InvalidRecord,
    NoTicketToday,
)
from kiosk.queue.ratings import Level, Reason, mask_phone, valid_mobile
from kiosk.queue.schema import ratings
from kiosk.queue.store import sqlite_url
from kiosk.queue.suite import ServiceSuite, open_suite
from tests.hall.conftest import (  # noqa: F401  (fixtures of the hall-server tests)
    client_for,
    db_url,
    hall,
    kiosk_token,
    manager_token,
    pg_url,
    postgres,
    server,
    suite,
)

YOUNG_ID = "110105199003071239"
ELDER_ID = "11010519491231002X"
PHONE = "13812345678"
MakeClient = Callable[..., HallClient]


def person(number: str) -> Identity:
    return Identity.from_id_number(number, source="test")


def booked(appointments: AppointmentService, code: str, start: str, end: str, group: str = "general",
           id_number: str = "") -> None:
    day = "2026-11-24"
    appointments.create(NewAppointment(group, datetime.fromisoformat(f"{day} {start}"),
                                       datetime.fromisoformat(f"{day} {end}"), code=code, id_number=id_number))


# -- reasons and the call-back number ----------------------------------------------------------------

def test_reasons_are_the_six_of_the_issue_and_mobile_numbers_are_checked() -> None:
    assert [r.text("zh") for r in Reason] == ["等候时间长", "工作人员态度", "材料要求不清楚", "办理时间长", "系统故障", "其他"]
    assert Reason.UNCLEAR_MATERIALS.text("en") == "Unclear requirements"
    assert valid_mobile(PHONE) and valid_mobile("19900000000")
    for bad in ("1381234567", "138123456789", "12812345678", "23812345678", "1381234567a", ""):
        assert not valid_mobile(bad), bad
    assert mask_phone(PHONE) == "138****5678"


def test_bad_rating_with_reasons_and_phone(suite: ServiceSuite, caplog: pytest.LogCaptureFixture) -> None:
    q, r = suite.queue, suite.ratings
    q.issue("general")
    q.issue("general")
    with caplog.at_level(logging.INFO, logger="kiosk.queue.ratings"):
        # Reasons arrive in any order and twice; they are stored once each, in the list's order.
        bad = r.submit(1, "A001", reasons=["slow_service", "long_wait", "slow_service"], phone=PHONE)
    assert (bad.level, bad.number, bad.group_id) == (Level.VERY_DISSATISFIED, "A001", "general")
    assert bad.reasons == (Reason.LONG_WAIT, Reason.SLOW_SERVICE) and bad.phone == PHONE
    assert PHONE not in caplog.text and "138****5678" in caplog.text
    assert PHONE not in repr(bad)
    plain = r.submit(2, "A002", reasons=["other"])
    assert (plain.reasons, plain.phone) == ((Reason.OTHER,), "")
    assert [(b.number, b.reasons, b.phone) for b in r.bad()] == [
        ("A002", (Reason.OTHER,), ""), ("A001", (Reason.LONG_WAIT, Reason.SLOW_SERVICE), PHONE)]
    with suite.engine.connect() as conn:
        stored = conn.execute(select(ratings.c.number, ratings.c.reasons, ratings.c.phone)
                              .order_by(ratings.c.id)).all()
    assert [tuple(s) for s in stored] == [("A001", "long_wait,slow_service", PHONE), ("A002", "other", None)]


def test_refused_ratings(suite: ServiceSuite) -> None:
    q, r = suite.queue, suite.ratings
    q.issue("general")
    with pytest.raises(InvalidPhone) as phone:
        r.submit(1, "A001", reasons=["long_wait"], phone="1381234")
    assert "11" in phone.value.message("zh") and "11 digits" in phone.value.message("en")
    with pytest.raises(InvalidRecord):
        r.submit(2, "A001", reasons=["no_such_reason"])
    with pytest.raises(InvalidRecord):  # reasons and a call back go with a bad rating only
        r.submit(5, "A001", reasons=["long_wait"])
    with pytest.raises(InvalidRecord):
        r.submit(4, "A001", phone=PHONE)
    assert r.bad(open_only=False) == []  # nothing of the refused ones was stored
    r.submit(4, "A001")
    with pytest.raises(AlreadyRated) as again:
        r.submit(1, "A001", reasons=["long_wait"])
    assert "只能评价一次" in again.value.message("zh")


def test_rateable_ticket_by_number_and_by_card(suite: ServiceSuite, clock) -> None:
    q, r = suite.queue, suite.ratings
    with pytest.raises(NoTicketToday) as none:
        r.rateable_ticket(identity=person(YOUNG_ID))
    assert "输入小票上的号码" in none.value.message("zh")
    q.issue("general", person(YOUNG_ID))
    clock.advance(minutes=5)
    q.issue("medins", person(YOUNG_ID))
    q.issue("medins", person(ELDER_ID))
    q.issue("general")
    # By card: the person's most recent ticket of today; by number: that ticket.
    assert r.rateable_ticket(identity=person(YOUNG_ID)).number == "C001"
    assert r.rateable_ticket("a001").number == "A001"
    with pytest.raises(TicketNotFound):
        r.rateable_ticket("A099")
    with pytest.raises(TicketNotFound):
        r.rateable_ticket()
    r.submit(3, "C001")
    with pytest.raises(AlreadyRated):
        r.rateable_ticket(identity=person(YOUNG_ID))
    with pytest.raises(AlreadyRated):
        r.rateable_ticket("C001")
    # Tomorrow the card finds nothing: yesterday's tickets are not rated at the kiosk.
    clock.set(datetime(2026, 11, 25, 10, 0))
    with pytest.raises(NoTicketToday):
        r.rateable_ticket(identity=person(ELDER_ID))


def test_an_older_database_gains_the_new_columns(config: KioskConfig, tmp_path: Path, clock) -> None:
    url = sqlite_url(tmp_path / "old.sqlite3")
    engine = create_engine(url)
    with engine.begin() as conn:  # the ratings table as it was before reasons and phone
        conn.execute(text(
            "CREATE TABLE ratings (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, day VARCHAR(10) NOT NULL, "
            "level INTEGER NOT NULL, number VARCHAR(12), group_id VARCHAR(32) NOT NULL, window VARCHAR(16) NOT NULL, "
            "comment VARCHAR(500) NOT NULL, kiosk_id VARCHAR(16) NOT NULL, followed_up_at DATETIME, "
            "followed_up_by VARCHAR(32), follow_up_note VARCHAR(500), CONSTRAINT uq_rating_day_number "
            "UNIQUE (day, number))"))
        conn.execute(text("INSERT INTO ratings (at, day, level, group_id, window, comment, kiosk_id) VALUES "
                          "('2026-11-24 01:00:00', '2026-11-24', 2, '', '', 'old', '')"))
    engine.dispose()
    suite = open_suite(config, url, clock=clock)
    try:
        assert [(b.comment, b.reasons, b.phone) for b in suite.ratings.bad()] == [("old", (), "")]
        suite.queue.issue("general")
        new = suite.ratings.submit(1, "A001", reasons=["system_fault"], phone=PHONE)
        assert (new.reasons, new.phone) == ((Reason.SYSTEM_FAULT,), PHONE)
    finally:
        suite.close()


# -- check-in at the desk -----------------------------------------------------------------------------

def test_desk_checks_in_and_prints_the_green_channel_ticket(make_kiosk: Callable[..., Kiosk], config: KioskConfig,
                                                            tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path / "tickets", 80)
    kiosk = make_kiosk(config, printer=printer)
    desk, reprints, appointments = kiosk.desk, kiosk.reprints, kiosk.backend.appointments
    booked(appointments, "Y1", "10:15", "10:45", id_number=YOUNG_ID)
    booked(appointments, "Y2", "10:00", "10:30", group="medins")

    by_card = desk.print_issued(desk.check_in(identity=person(YOUNG_ID)))
    assert (by_card.ticket.number, by_card.ticket.priority, by_card.printed) == ("V001", Priority.APPOINTMENT, True)
    assert (tmp_path / "tickets" / "2026-11-24-V001.png").is_file()
    assert by_card.status_url.endswith("number=V001")

    # Out of paper: nothing is checked in until the citizen agrees to take the number on screen only; then
    # the appointment is checked in all the same, the number kept and recorded for a reprint.
    printer.set_status(PrinterStatus.PAPER_OUT)
    with pytest.raises(PrinterNotReady) as not_ready:
        desk.check_in(code="Y2")
    assert isinstance(not_ready.value.fault, PaperOut) and not appointments.get("Y2").ticket_number
    by_code = desk.print_issued(desk.check_in(code="Y2", accepted_fault=not_ready.value.fault))
    assert (by_code.ticket.number, by_code.printed) == ("C001", False)
    assert isinstance(by_code.print_error, PaperOut)
    assert [p.number for p in reprints.pending()] == ["C001"]
    assert appointments.get("Y2").ticket_number == "C001"
    with pytest.raises(AppointmentNotFound):
        desk.check_in(code="NOPE", accepted_fault=not_ready.value.fault)


def test_check_in_refusals_say_what_to_do_in_local_time(queue: LocalQueueService) -> None:
    appointments = AppointmentService(queue)
    booked(appointments, "PM", "14:00", "14:30", group="tax")
    booked(appointments, "EARLY", "08:00", "08:30")
    with pytest.raises(CheckInTooEarly) as early:
        appointments.check_in("PM")
    assert early.value.group_id == "tax"  # the kiosk offers an ordinary number of it
    zh, en = early.value.message("zh"), early.value.message("en")
    assert "14:00" in zh and "13:30" in zh and "以后" in zh, zh  # the hall's time, not UTC (06:00)
    assert "today at 14:00" in en and "from 13:30" in en, en
    with pytest.raises(CheckInTooLate) as late:
        appointments.check_in("EARLY")
    zh, en = late.value.message("zh"), late.value.message("en")
    assert "08:00" in zh and "取普通号" in zh and "工作人员" in zh, zh
    assert "ordinary number" in en and "staff" in en, en
    with pytest.raises(AppointmentNotFound) as missing:
        appointments.check_in("NOPE")
    assert "核对预约码" in missing.value.message("zh") and "重新预约" in missing.value.message("zh")
    assert "check the code" in missing.value.message("en") and "book again" in missing.value.message("en")


# -- over the hall server -----------------------------------------------------------------------------

def test_ratings_and_check_in_over_http(server: ThreadedServer, hall: HallContext, kiosk_token: str,
                                        manager_token: str, client_for: MakeClient) -> None:
    kiosk = client_for(kiosk_token)
    booked(hall.suite.appointments, "PM", "14:00", "14:30")
    with pytest.raises(CheckInTooEarly) as early:
        kiosk.check_in("PM")
    assert early.value.group_id == "general"  # sent with the error
    assert "14:00" in early.value.message("zh") and "13:30" in early.value.message("zh")
    assert "13:30" in early.value.message("en")

    kiosk.issue("general", person(YOUNG_ID))
    kiosk.issue("medins")
    assert kiosk.rateable_ticket(identity=person(YOUNG_ID)).number == "A001"
    assert kiosk.rateable_ticket("c001").group_id == "medins"
    with pytest.raises(NoTicketToday):
        kiosk.rateable_ticket(identity=person(ELDER_ID))
    with pytest.raises(TicketNotFound):
        kiosk.rateable_ticket("C404")
    with pytest.raises(InvalidPhone):
        kiosk.submit(1, "A001", reasons=["long_wait"], phone="12345678901")

    bad = kiosk.submit(1, "A001", reasons=["staff_attitude", "long_wait"], phone=PHONE)
    assert (bad.reasons, bad.phone, bad.kiosk_id) == ((Reason.LONG_WAIT, Reason.STAFF_ATTITUDE), PHONE, "K01")
    with pytest.raises(AlreadyRated):
        kiosk.rateable_ticket("A001")
    with pytest.raises(AlreadyRated):
        kiosk.submit(2, "A001")
    assert kiosk.submit(5, "C001").reasons == ()

    headers = {"Authorization": f"Bearer {manager_token}"}
    listed = requests.get(server.base_url + "/api/v1/ratings/bad", headers=headers, timeout=10).json()
    assert [(b["number"], b["reasons"], b["phone"]) for b in listed] == [("A001", ["long_wait", "staff_attitude"], PHONE)]
    # The managers' follow-up list shows the reasons and the number to call back.
    page = requests.get(server.base_url + "/manager", cookies={"hall_session": manager_token}, timeout=10)
    assert page.status_code == 200
    assert "等候时间长、工作人员态度" in page.text and PHONE in page.text
    unknown = requests.post(server.base_url + "/api/v1/ratings", headers={"Authorization": f"Bearer {kiosk_token}"},
                            json={"level": 1, "reasons": ["bored"]}, timeout=10)
    assert unknown.status_code == 422
