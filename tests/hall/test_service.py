"""The service layer behind the hall server, each test on SQLite and on PostgreSQL: windows (ratio, recall,
no-show, transfer, groups per window), events, appointments, progress, ratings, catalogue, figures."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kiosk.config import ConfigError, KioskConfig
from kiosk.identity import Identity
from kiosk.queue import (
    EventKind,
    NoCurrentTicket,
    NoShowTooEarly,
    Priority,
    TicketNotFound,
    TicketStatus,
    UnknownGroup,
    UnknownWindow,
)
from kiosk.queue.appointments import AppointmentStatus, NewAppointment
from kiosk.queue.errors import (
    AlreadyCheckedIn,
    AlreadyRated,
    AppointmentNotFound,
    CatalogGroupsChanged,
    CheckInTooEarly,
    CheckInTooLate,
    ProgressNotFound,
    SameGroup,
)
from kiosk.queue.figures import figures_csv, percentile
from kiosk.queue.progress import ProgressUpdate, Stage
from kiosk.queue.ratings import Level
from kiosk.queue.schema import appointments, progress
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.queue.suite import ServiceSuite

TODAY = date(2026, 11, 24)
ELDER_ID = "11010519491231002X"
YOUNG_ID = "110105199003071239"


def person(number: str) -> Identity:
    return Identity.from_id_number(number, source="test", today=TODAY)


# -- windows ---------------------------------------------------------------------------------------

def test_green_channel_first_but_ordinary_tickets_are_not_starved(suite: ServiceSuite) -> None:
    q = suite.queue
    for _ in range(4):
        q.issue("general")
    for _ in range(5):
        q.issue("general", priority=Priority.DECLARED)
    called = []
    while (t := q.call_window("1")) is not None:
        assert t.status is TicketStatus.CALLED and t.window == "1"
        called.append(t.number)
    # priority_calls_per_ordinary = 3 (default): at most three green-channel calls in a row while others wait.
    assert called == ["V001", "V002", "V003", "A001", "V004", "V005", "A002", "A003", "A004"]
    # "Call next" served the ticket at the desk, also the last one when nobody was left to call.
    assert {q.ticket(n).status for n in called} == {TicketStatus.SERVED}
    assert q.window("1").current is None


def test_a_missed_number_rejoins_after_the_next_three(suite: ServiceSuite, clock) -> None:
    """The rule of the shipped configuration, on both databases (the queue order is a computed time)."""
    q = suite.queue
    for _ in range(5):
        q.issue("general")
        clock.advance(seconds=1)
    q.issue("general", priority=Priority.DECLARED)  # the green channel stays first
    assert q.call_next("general", "1").number == "V001"
    assert q.call_window("1").number == "A001"
    q.finish("A001", served=False)
    assert q.rejoin("A001").people_ahead == 3
    assert [q.call_window("1").number for _ in range(5)] == ["A002", "A003", "A004", "A001", "A005"]


def test_ratio_is_configurable(config_dir: Path, edit, load, db_url: str, clock) -> None:
    from kiosk.queue.suite import open_suite

    kiosk = config_dir / "kiosk.toml"
    kiosk.write_text(kiosk.read_text(encoding="utf-8").replace("priority_calls_per_ordinary = 3",
                                                                "priority_calls_per_ordinary = 1"), encoding="utf-8")
    suite = open_suite(load(config_dir), db_url, clock=clock)
    try:
        q = suite.queue
        for _ in range(2):
            q.issue("medins")
        for _ in range(2):
            q.issue("medins", person(ELDER_ID) if _ == 0 else None, Priority.APPOINTMENT)
        assert [q.call_next("medins", "11").number for _ in range(4)] == ["C003", "C001", "C004", "C002"]
    finally:
        suite.close()


def test_window_groups_come_from_config_and_the_manager_changes_them(suite: ServiceSuite) -> None:
    q = suite.queue
    assert q.window("11").groups == ("medins",) and not q.window("11").changed
    assert [w.window for w in q.windows()][:3] == ["1", "2", "3"]  # numeric order, not "1", "10", "11"
    q.issue("medins")
    q.issue("tax")
    assert q.call_window("11").number == "C001"
    changed = q.set_window_groups("11", ["tax", "tax"], by="boss")
    assert changed.groups == ("tax",) and changed.changed
    assert q.call_window("11").number == "H001"  # the next call follows the change at once
    assert q.ticket("C001").status is TicketStatus.SERVED
    # medins now has two windows (12, 13): the estimate follows.
    for _ in range(4):
        q.issue("medins")
    assert q.status("medins").wait_minutes == 4 * 10 // 2
    # A manager may open an extra window that serves several groups.
    assert q.set_window_groups("30", ["general", "medins"]).groups == ("general", "medins")
    assert "30" in [w.window for w in q.windows()]
    assert q.call_window("30").number == "C002"  # earliest issued among the groups it serves
    with pytest.raises(UnknownWindow):
        q.window("99")
    with pytest.raises(UnknownWindow):
        q.call_window("99")
    with pytest.raises(UnknownGroup):
        q.set_window_groups("11", ["nosuch"])
    with pytest.raises(UnknownWindow):
        q.set_window_groups("bad window!", ["tax"])
    # A window with no groups calls nobody.
    q.set_window_groups("12", [])
    assert q.call_window("12") is None


def test_recall_then_no_show_after_the_configured_recalls(suite: ServiceSuite) -> None:
    q = suite.queue
    q.issue("general")
    with pytest.raises(NoCurrentTicket):
        q.recall("1")
    q.call_window("1")
    with pytest.raises(NoShowTooEarly) as info:
        q.no_show("1")
    assert info.value.recalls_needed == 2 and "2" in info.value.message("zh")
    assert q.recall("1").number == "A001"
    assert q.recalls("A001") == 1
    with pytest.raises(NoShowTooEarly):
        q.no_show("1")
    q.recall("1")
    gone = q.no_show("1")
    assert gone.status is TicketStatus.NO_SHOW
    assert q.window("1").current is None
    with pytest.raises(NoCurrentTicket):
        q.serve("1")
    kinds = [e.kind for e in q.events_since(0)]
    assert kinds == [EventKind.CALL, EventKind.RECALL, EventKind.RECALL, EventKind.NO_SHOW]
    assert [e.detail for e in q.events_since(0) if e.kind is EventKind.RECALL] == ["1", "2"]


def test_transfer_keeps_the_number_and_its_place(suite: ServiceSuite, clock) -> None:
    q = suite.queue
    q.issue("general")
    clock.advance(minutes=1)
    q.issue("medins")
    q.issue("medins")
    assert q.call_window("1").number == "A001"
    with pytest.raises(SameGroup):
        q.transfer("1", "general")
    moved = q.transfer("1", "medins")
    assert (moved.number, moved.group_id, moved.status, moved.window) == ("A001", "medins", TicketStatus.WAITING, "")
    assert moved.people_ahead == 0  # issued before C001 and C002
    assert q.window("1").current is None
    assert q.call_window("11").number == "A001"
    q.serve("11")
    figures = {g.group_id: g for g in suite.figures(TODAY).groups}
    assert (figures["general"].issued, figures["general"].served) == (1, 0)
    assert (figures["medins"].issued, figures["medins"].served, figures["medins"].waiting) == (2, 1, 2)
    assert [e.kind for e in q.events_since(0)] == [EventKind.CALL, EventKind.TRANSFER, EventKind.CALL, EventKind.SERVED]


def test_windows_calling_at_once_never_share_a_ticket(suite: ServiceSuite) -> None:
    q = suite.queue
    issued = {q.issue("general").number for _ in range(40)}
    called: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def window(name: str) -> None:
        try:
            start.wait()
            for _ in range(100):  # bounded; ends when nobody waits
                ticket = q.call_next("general", name)
                if ticket is None:
                    return
                with lock:
                    called.append(ticket.number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=window, args=(str(w),)) for w in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(called) == sorted(issued)
    assert len(called) == len(set(called))


def test_recent_calls_and_events_for_the_board(suite: ServiceSuite) -> None:
    q = suite.queue
    for _ in range(3):
        q.issue("general")
    first = q.last_event_id()
    q.call_window("1")
    q.call_window("2")
    q.recall("1")
    recent = q.recent_calls(5)
    assert [(e.kind, e.number, e.window) for e in recent] == [
        (EventKind.RECALL, "A001", "1"), (EventKind.CALL, "A002", "2"), (EventKind.CALL, "A001", "1")]
    after = q.events_since(first)
    assert [e.id for e in after] == sorted(e.id for e in after)
    assert q.events_since(after[-1].id) == []


# -- appointments ----------------------------------------------------------------------------------

def test_appointment_check_in_window_and_ticket(suite: ServiceSuite, clock) -> None:
    a = suite.appointments
    booked = a.create(NewAppointment("general", datetime(2026, 11, 24, 10, 30), datetime(2026, 11, 24, 11, 0),
                                     code="Y1001", id_number=YOUNG_ID, name="张三丰"))
    assert (booked.status, booked.id_masked, booked.name_masked) == (AppointmentStatus.BOOKED, "1101**********1239", "张**")
    with pytest.raises(CheckInTooEarly) as early:  # 10:00: check-in opens 30 minutes before, at 10:00 + ...
        clock.set(datetime(2026, 11, 24, 9, 59))
        a.check_in("Y1001")
    assert "10:30" in early.value.message("zh") and "10:00" in early.value.message("zh")
    clock.set(datetime(2026, 11, 24, 10, 0))
    done = a.check_in("Y1001")
    assert done.ticket.priority is Priority.APPOINTMENT and done.ticket.number == "V001"
    assert done.appointment.status is AppointmentStatus.CHECKED_IN and done.appointment.ticket_number == "V001"
    with pytest.raises(AlreadyCheckedIn) as again:
        a.check_in("Y1001")
    assert again.value.number == "V001" and "V001" in again.value.message("en")
    # By ID card, the same person's other booking (medins, later).
    a.create(NewAppointment("medins", datetime(2026, 11, 24, 10, 10), datetime(2026, 11, 24, 10, 40),
                            code="Y1002", id_number=YOUNG_ID))
    by_card = a.check_in(identity=person(YOUNG_ID))
    assert by_card.appointment.code == "Y1002" and by_card.ticket.number == "C001"
    # Too late: more than 15 minutes after the start.
    a.create(NewAppointment("tax", datetime(2026, 11, 24, 9, 30), datetime(2026, 11, 24, 10, 0), code="Y1003"))
    with pytest.raises(CheckInTooLate):
        a.check_in("Y1003")
    with pytest.raises(AppointmentNotFound):
        a.check_in("NOPE")
    with pytest.raises(AppointmentNotFound):
        a.check_in(identity=person(ELDER_ID))
    # Cancelled appointments cannot be checked in.
    a.create(NewAppointment("tax", datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 24, 10, 30), code="Y1004"))
    assert a.cancel("Y1004").status is AppointmentStatus.CANCELLED
    with pytest.raises(AppointmentNotFound):
        a.check_in("Y1004")
    assert [x.code for x in a.on_day(TODAY)] == ["Y1003", "Y1004", "Y1002", "Y1001"]  # by start time
    # Only the masked number and a hash are stored.
    with suite.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(appointments)) for v in row)
    assert YOUNG_ID not in stored


def test_appointments_are_outside_the_quota(config_dir: Path, edit, load, db_url: str, clock) -> None:
    from kiosk.queue.suite import open_suite

    edit(config_dir / "services.toml", "daily_quota = 60", "daily_quota = 1")  # disabled persons' group
    suite = open_suite(load(config_dir), db_url, clock=clock)
    try:
        suite.queue.issue("disabled")
        suite.appointments.create(NewAppointment("disabled", datetime(2026, 11, 24, 10, 0),
                                                 datetime(2026, 11, 24, 10, 30), code="Q1"))
        assert suite.appointments.check_in("Q1").ticket.number == "J002"
    finally:
        suite.close()


def test_appointment_csv_import_reports_bad_lines(suite: ServiceSuite) -> None:
    csv_text = ("code,group,matter,date,start,end,id_number,name\n"
                f"Y2001,general,,2026-11-24,10:30,11:00,{YOUNG_ID},李四\n"
                "Y2002,general,,2026-11-24,10:30,11:00,110105199003071230,王五\n"  # wrong check digit
                "Y2003,nosuch,,2026-11-24,10:30,11:00,,\n"
                "Y2004,medins,,2026-11-24,11:00,10:00,,\n"
                "Y2005,medins,,2026-11-32,10:00,10:30,,\n"
                "Y2001,medins,,2026-11-24,10:00,10:30,,\n")  # code used already
    result = suite.appointments.import_csv(csv_text)
    assert result.stored == 1
    assert [p.split(":")[0] for p in result.problems] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "invalid ID number" in result.problems[0] and "110105199003071230" not in result.problems[0]
    assert "unknown_group" in result.problems[1]
    assert suite.appointments.get("Y2001").name_masked == "李*"


# -- progress --------------------------------------------------------------------------------------

def test_progress_newer_replaces_older_and_lookup_by_card(suite: ServiceSuite) -> None:
    p = suite.progress
    first = p.upsert([ProgressUpdate("SL2026-0001", Stage.RECEIVED, datetime(2026, 11, 20, 9, 0), matter_id="realestate-transfer",
                                     matter_name_zh="二手房转移登记", id_number=YOUNG_ID, name="张三"),
                      ProgressUpdate("SL2026-0002", Stage.IN_REVIEW, datetime(2026, 11, 21, 9, 0), id_number=YOUNG_ID)])
    assert (first.stored, first.ignored_older) == (2, 0)
    later = p.upsert([ProgressUpdate("SL2026-0001", Stage.READY, datetime(2026, 11, 23, 15, 0), note_zh="请到7号窗口领证")])
    assert later.stored == 1
    late_old = p.upsert([ProgressUpdate("SL2026-0001", Stage.IN_REVIEW, datetime(2026, 11, 22, 9, 0))])
    assert (late_old.stored, late_old.ignored_older) == (0, 1)
    record = p.by_receipt("SL2026-0001")
    assert (record.stage, record.stage.text("zh"), record.note_zh) == (Stage.READY, "待领取", "请到7号窗口领证")
    assert record.id_masked == "1101**********1239"  # kept from the first record; the update had no ID
    assert [r.receipt_no for r in p.by_identity(person(YOUNG_ID))] == ["SL2026-0001", "SL2026-0002"]
    assert p.by_identity(person(ELDER_ID)) == []
    with pytest.raises(ProgressNotFound):
        p.by_receipt("SL-NONE")
    with suite.engine.connect() as conn:
        assert YOUNG_ID not in " ".join(str(v) for row in conn.execute(select(progress)) for v in row)


def test_progress_csv_import(suite: ServiceSuite) -> None:
    result = suite.progress.import_csv(
        "\ufeffreceipt_no,stage,updated_at,matter_id,matter_name,id_number,name,note\n"
        "SL-1,received,2026-11-24T09:00,fund-withdraw,公积金提取,,,\n"
        "SL-2,flying,2026-11-24T09:00,,,,,\n"
        "SL-3,completed,yesterday,,,,,\n"
        f"SL-4,completed,2026-11-24T09:30,,,{ELDER_ID},,已办结\n")
    assert result.stored == 2
    assert [p.split(":")[0] for p in result.problems] == ["line 3", "line 4"]
    assert suite.progress.by_receipt("SL-4").stage.text("en") == "Completed"


# -- ratings ---------------------------------------------------------------------------------------

def test_ratings_five_levels_and_bad_ones_followed_up(suite: ServiceSuite) -> None:
    q, r = suite.queue, suite.ratings
    assert [lvl.text("zh") for lvl in sorted(Level, reverse=True)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    q.issue("general")
    q.issue("general")
    q.call_window("3")
    good = r.submit(5, "a001", kiosk_id="K01")
    assert (good.number, good.group_id, good.window, good.level) == ("A001", "general", "3", Level.VERY_SATISFIED)
    with pytest.raises(AlreadyRated):
        r.submit(1, "A001")
    with pytest.raises(TicketNotFound):
        r.submit(4, "A999")
    bad = r.submit(1, "A002", comment="等了很久")
    r.submit(2, comment="空调太冷")
    r.submit(3)
    assert [b.level for b in r.bad()] == [Level.DISSATISFIED, Level.VERY_DISSATISFIED]
    done = r.follow_up(bad.id, "已电话回访，致歉并说明原因", by="boss")
    assert done.followed_up_by == "boss" and done.followed_up_at is not None
    assert [b.comment for b in r.bad()] == ["空调太冷"]
    assert len(r.bad(open_only=False)) == 2
    assert r.counts(TODAY) == {Level.VERY_SATISFIED: 1, Level.SATISFIED: 0, Level.FAIRLY_SATISFIED: 1,
                               Level.DISSATISFIED: 1, Level.VERY_DISSATISFIED: 1}


# -- catalogue -------------------------------------------------------------------------------------

def test_catalogue_versions(suite: ServiceSuite, config: KioskConfig) -> None:
    c = suite.catalog
    first = c.latest()
    assert first.version == 1 and first.services == config.services
    assert c.publish(config.services).version == 1  # unchanged: no new version
    assert c.catalog(known_version=1) is None
    data = config.services.model_dump(mode="json")
    data["matters"][0]["phone"] = "0000-99999999"
    second = c.update(data, by="boss")
    assert second.version == 2 and second.services.matters[0].phone == "0000-99999999"
    assert c.catalog(known_version=1) == second
    data["groups"][0]["daily_quota"] = 10
    with pytest.raises(CatalogGroupsChanged):
        c.update(data)
    with pytest.raises(ConfigError) as info:
        c.update({"groups": [], "matters": [{"id": "x"}]})
    assert any("groups" in str(p) for p in info.value.problems)
    assert c.latest().version == 2


# -- figures ---------------------------------------------------------------------------------------

def test_figures_waits_per_group_and_hour(suite: ServiceSuite, clock) -> None:
    q = suite.queue
    for _ in range(4):
        q.issue("medins")
    for minutes in (5, 5, 10):  # first calls after 5, 10 and 20 minutes
        clock.advance(minutes=minutes)
        q.call_next("medins", "11")
        q.finish(q.window("11").current.number)  # type: ignore[union-attr]
    clock.set(datetime(2026, 11, 24, 11, 5))
    q.issue("medins")
    q.call_window("12")
    for _ in range(2):
        q.recall("12")
    q.no_show("12")
    suite.ratings.submit(2)
    figures = suite.figures(TODAY)
    medins = {g.group_id: g for g in figures.groups}["medins"]
    assert (medins.issued, medins.served, medins.no_shows, medins.waiting) == (5, 3, 1, 1)
    # waits 5, 10, 20 and 65 minutes (C004, issued at 10:00, called at 11:05)
    assert medins.average_wait == round((5 + 10 + 20 + 65) / 4, 1) and medins.p90_wait == 65
    assert [(h.hour, h.issued, h.served) for h in figures.hours if h.group_id == "medins"] == [(10, 4, 3), (11, 1, 0)]
    assert figures.bad_ratings_open == 1 and figures.ratings[Level.DISSATISFIED] == 1
    table = figures_csv(figures)
    assert table.startswith("\ufeffday,group_id,group_name,hour,issued,served,no_shows,average_wait_min,p90_wait_min")
    assert "2026-11-24,medins,医疗保障,all,5,3,1,25.0,65" in table
    assert "2026-11-24,medins,医疗保障,10,4,3" in table


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([float(v) for v in range(1, 12)], 0.9) == 10.0


# -- store -----------------------------------------------------------------------------------------

def test_an_older_kiosk_database_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE tickets (id INTEGER PRIMARY KEY, day VARCHAR(10) NOT NULL, number VARCHAR(12) NOT NULL, "
                "group_id VARCHAR(32) NOT NULL, series VARCHAR(2) NOT NULL, seq INTEGER NOT NULL, priority VARCHAR(16) "
                "NOT NULL, status VARCHAR(16) NOT NULL, issued_at DATETIME NOT NULL, called_at DATETIME, served_at "
                "DATETIME, window VARCHAR(16), kiosk_id VARCHAR(16) NOT NULL, identity_key VARCHAR(64), "
                "id_masked VARCHAR(18))")
    con.execute("INSERT INTO tickets VALUES (1, '2026-11-23', 'A001', 'general', 'A', 1, 'none', 'waiting', "
                "'2026-11-23 02:00:00.000000', NULL, NULL, NULL, 'K01', NULL, NULL)")
    con.commit()
    con.close()
    engine = open_engine(sqlite_url(path))
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT number, recalls, first_called_at FROM tickets")).one()
        assert tuple(row) == ("A001", 0, None)
    finally:
        engine.dispose()
