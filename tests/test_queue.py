"""The embedded queue (SQLite): numbering, daily reset, quota, hours, identity rules, priority, estimates.

Time comes from the fake ``clock`` fixture; the hall's zone is Asia/Shanghai. The default moment is
Tuesday 2026-11-24 10:00 local, inside the shipped opening hours.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.assembly import LocalStore
from kiosk.config import KioskConfig, load_config
from kiosk.identity import Identity
from kiosk.queue import (
    IdentityRequired,
    LocalQueueService,
    Priority,
    QueueClosed,
    QuotaExhausted,
    TicketLimitReached,
    TicketNotFound,
    TicketStatus,
    UnknownGroup,
)
from kiosk.queue.errors import NotMissed, QueueRefused, RejoinLimitReached, RejoinNotAllowed
from kiosk.queue.model import EventKind
from kiosk.state import StateDir

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)
ELDER_ID = "11010519491231002X"  # born 1949-12-31: 76 on TODAY
YOUNG_ID = "110105199003071239"  # born 1990-03-07: 36 on TODAY
OTHER_YOUNG_ID = "440305198511204563"

MakeQueue = Callable[[KioskConfig], LocalQueueService]


def person(number: str, name: str = "") -> Identity:
    return Identity.from_id_number(number, name=name, source="test", today=TODAY)


def local(*args: int) -> datetime:
    return datetime(*args)  # type: ignore[misc]


def open_all_day(config_dir: Path, edit) -> KioskConfig:
    """Every day open 00:00-24:00 without a last-ticket margin, so numbers can be taken around midnight."""
    kiosk = config_dir / "kiosk.toml"
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        edit(kiosk, f'{day} = ["09:00-12:00", "13:30-17:30"]', f'{day} = ["00:00-24:00"]')
    edit(kiosk, "saturday = []", 'saturday = ["00:00-24:00"]')
    edit(kiosk, "sunday = []", 'sunday = ["00:00-24:00"]')
    edit(kiosk, "last_ticket_minutes_before_close = 30", "last_ticket_minutes_before_close = 0")
    return load_config(config_dir)


def db_rows(state_dir: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(state_dir / "queue.sqlite3")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def counters(state_dir: Path, day: str) -> dict[str, int]:
    return dict(db_rows(state_dir, f"SELECT key, value FROM counters WHERE day = '{day}'"))  # noqa: S608


# -- numbering -------------------------------------------------------------------------------------

def test_numbers_count_up_with_zero_padding(queue: LocalQueueService) -> None:
    numbers = [queue.issue("general").number for _ in range(12)]
    assert numbers == [f"A{i:03d}" for i in range(1, 13)]
    t = queue.ticket("A012")
    assert (t.seq, t.group_id, t.day, t.status) == (12, "general", TODAY, TicketStatus.WAITING)
    assert t.priority is Priority.NONE and not t.is_priority
    assert t.kiosk_id == "K01"


def test_groups_are_numbered_independently(queue: LocalQueueService) -> None:
    issued = [queue.issue(g).number for g in ("general", "medins", "general", "tax", "medins", "general")]
    assert issued == ["A001", "C001", "A002", "H001", "C002", "A003"]
    assert queue.ticket("c002").group_id == "medins"  # lookups ignore case


def test_number_digits_from_config(config_dir: Path, edit, make_queue: MakeQueue) -> None:
    edit(config_dir / "services.toml", "daily_quota = 300\n", "daily_quota = 300\nnumber_digits = 4\n")
    queue = make_queue(load_config(config_dir))
    assert queue.issue("general").number == "A0001"


def test_numbering_restarts_at_local_midnight(config_dir: Path, edit, make_queue: MakeQueue, clock) -> None:
    queue = make_queue(open_all_day(config_dir, edit))
    clock.set(local(2026, 11, 24, 23, 59))
    assert [queue.issue("general").number for _ in range(2)] == ["A001", "A002"]
    assert queue.issue("general").day == date(2026, 11, 24)

    clock.set(local(2026, 11, 25, 0, 1))
    # 00:01 in Shanghai is still 2026-11-24 in UTC: the hall's date decides.
    assert clock().date() == date(2026, 11, 24)
    first = queue.issue("general")
    assert (first.number, first.seq, first.day) == ("A001", 1, date(2026, 11, 25))
    assert first.issued_at == datetime(2026, 11, 24, 16, 1, tzinfo=UTC)

    # Today's A001 is the new one; yesterday's is still there under its own day.
    assert queue.ticket("A001").day == date(2026, 11, 25)
    assert queue.ticket("A003", day=date(2026, 11, 24)).day == date(2026, 11, 24)
    with pytest.raises(TicketNotFound):
        queue.ticket("A003")


def test_no_restart_at_utc_midnight(config_dir: Path, edit, make_queue: MakeQueue, clock) -> None:
    queue = make_queue(open_all_day(config_dir, edit))
    clock.set(local(2026, 11, 25, 7, 59))  # 2026-11-24 23:59 UTC
    assert queue.issue("general").number == "A001"
    clock.set(local(2026, 11, 25, 8, 1))  # 2026-11-25 00:01 UTC
    ticket = queue.issue("general")
    assert (ticket.number, ticket.day) == ("A002", date(2026, 11, 25))


def test_a_clock_in_local_time_gives_the_same_instant(config: KioskConfig, state_dir: Path, clock) -> None:
    utc_now = clock()
    queue = LocalStore(config, clock=lambda: utc_now.astimezone(SHANGHAI)).queue  # same instant, other zone
    assert queue.issue("general").issued_at == utc_now


# -- quota -----------------------------------------------------------------------------------------

def test_quota_refuses_and_does_not_consume_numbers(config_dir: Path, edit, make_queue: MakeQueue,
                                                   clock, state_dir: Path) -> None:
    edit(config_dir / "services.toml", "daily_quota = 300", "daily_quota = 3")
    queue = make_queue(load_config(config_dir))
    assert queue.issue("general").number == "A001"
    assert queue.issue("general", priority=Priority.DECLARED).number == "V001"  # counts against the quota
    assert queue.issue("general").number == "A002"

    for _ in range(3):  # refused again and again, nothing moves
        with pytest.raises(QuotaExhausted) as info:
            queue.issue("general")
    refusal = info.value
    assert refusal.next_open == datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    assert "09:00" in refusal.message("zh") and "11月25日" in refusal.message("zh")
    assert "09:00" in refusal.message("en") and "25 Nov" in refusal.message("en")
    with pytest.raises(QuotaExhausted):
        queue.issue("general", priority=Priority.DECLARED)

    status = queue.status("general")
    assert (status.issued, status.quota, status.available) == (3, 3, False)
    assert status.refusal_code == "quota_exhausted"
    assert status.next_number == "A003"
    assert counters(state_dir, "2026-11-24") == {"quota:general": 3, "seq:A": 2, "seq:V": 1}
    assert len(db_rows(state_dir, "SELECT 1 FROM tickets")) == 3
    assert queue.issue("medins").number == "C001"  # other groups are not affected

    clock.set(local(2026, 11, 25, 10, 0))
    assert queue.issue("general").number == "A001"
    assert queue.issue("general").number == "A002"
    assert queue.status("general").issued == 2
    assert counters(state_dir, "2026-11-25") == {"quota:general": 2, "seq:A": 2}


def test_quota_on_friday_points_to_monday(config_dir: Path, edit, make_queue: MakeQueue, clock) -> None:
    edit(config_dir / "services.toml", "daily_quota = 60", "daily_quota = 1")  # "disabled" group
    queue = make_queue(load_config(config_dir))
    clock.set(local(2026, 11, 27, 14, 0))
    assert queue.issue("disabled").number == "J001"
    with pytest.raises(QuotaExhausted) as info:
        queue.issue("disabled")
    assert info.value.next_open == datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


# -- opening hours ---------------------------------------------------------------------------------

def test_refused_in_the_lunch_break_with_next_opening(queue: LocalQueueService, clock) -> None:
    clock.set(local(2026, 11, 24, 12, 30))
    with pytest.raises(QueueClosed) as info:
        queue.issue("general")
    assert info.value.next_open == datetime(2026, 11, 24, 13, 30, tzinfo=SHANGHAI)
    assert "13:30" in info.value.message("zh") and "取号" in info.value.message("zh")
    assert "13:30" in info.value.message("en") and "Numbers" in info.value.message("en")
    assert isinstance(info.value, QueueRefused)
    clock.set(local(2026, 11, 24, 13, 30))
    assert queue.issue("general").number == "A001"  # the refusal used no number


def test_refused_at_the_weekend_until_monday(queue: LocalQueueService, clock) -> None:
    clock.set(local(2026, 11, 28, 10, 0))
    with pytest.raises(QueueClosed) as info:
        queue.issue("medins")
    assert info.value.next_open == datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    assert "11月30日" in info.value.message("zh") and "09:00" in info.value.message("zh")
    assert "Mon 30 Nov 09:00" in info.value.message("en")
    status = queue.status("medins")
    assert not status.available and status.refusal_code == "queue_closed"


def test_unknown_group(queue: LocalQueueService) -> None:
    with pytest.raises(UnknownGroup):
        queue.issue("nosuchgroup")
    with pytest.raises(UnknownGroup):
        queue.status("nosuchgroup")


# -- identity rules --------------------------------------------------------------------------------

def test_identity_required_group(queue: LocalQueueService) -> None:
    with pytest.raises(IdentityRequired) as info:
        queue.issue("realestate")
    assert "身份证" in info.value.message("zh") and "ID card" in info.value.message("en")
    ticket = queue.issue("realestate", person(YOUNG_ID))
    assert ticket.number == "B001"  # the refusal used no number
    assert ticket.id_masked == "1101**********1239"


def test_elderly_go_to_the_green_channel_series(queue: LocalQueueService) -> None:
    queue.issue("general")
    elder = queue.issue("general", person(ELDER_ID))
    assert elder.number == "V001"
    assert elder.priority is Priority.ELDERLY and elder.is_priority
    assert elder.people_ahead == 0
    young = queue.issue("general", person(YOUNG_ID))
    assert young.number == "A002" and young.priority is Priority.NONE


def test_elderly_in_a_group_without_priority_prefix(queue: LocalQueueService) -> None:
    assert queue.issue("medins").number == "C001"
    elder = queue.issue("medins", person(ELDER_ID))
    assert elder.number == "C002"
    assert elder.priority is Priority.ELDERLY
    assert elder.people_ahead == 0  # served before C001
    assert queue.ticket("C001").people_ahead == 1


def test_elderly_threshold_is_the_configured_age(config_dir: Path, edit, make_queue: MakeQueue, id_number) -> None:
    sixty_today = person(id_number(date(1966, 11, 24)))
    sixty_tomorrow = person(id_number(date(1966, 11, 25), order="456"))
    queue = make_queue(load_config(config_dir))
    assert queue.issue("medins", sixty_today).priority is Priority.ELDERLY
    assert queue.issue("medins", sixty_tomorrow).priority is Priority.NONE

    edit(config_dir / "kiosk.toml", "elderly_age = 60", "elderly_age = 65")
    strict = make_queue(load_config(config_dir))
    assert strict.issue("tax", sixty_today).priority is Priority.NONE
    assert strict.issue("tax", person(ELDER_ID)).priority is Priority.ELDERLY


def test_declared_priority_is_kept(queue: LocalQueueService) -> None:
    t = queue.issue("general", person(YOUNG_ID), priority=Priority.APPOINTMENT)
    assert t.priority is Priority.APPOINTMENT and t.number == "V001"
    t = queue.issue("general", person(ELDER_ID), priority=Priority.DECLARED)
    assert t.priority is Priority.DECLARED and t.number == "V002"


def test_one_open_ticket_per_person_group_and_day(queue: LocalQueueService, clock) -> None:
    me = person(YOUNG_ID, name="王小明")
    first = queue.issue("general", me)
    assert first.number == "A001"
    with pytest.raises(TicketLimitReached) as info:
        queue.issue("general", person(YOUNG_ID))  # the same person read again
    assert info.value.existing == "A001"
    assert "A001" in info.value.message("zh") and "A001" in info.value.message("en")

    # Another group, another person: allowed, and the refusal used no number.
    assert queue.issue("medins", me).number == "C001"
    assert queue.issue("general", person(OTHER_YOUNG_ID)).number == "A002"
    assert queue.status("general").issued == 2

    called = queue.call_next("general", window="3")
    assert called is not None and called.number == "A001"
    with pytest.raises(TicketLimitReached):  # called but not finished: still open
        queue.issue("general", me)
    clock.advance(minutes=5)
    assert queue.finish("A001").status is TicketStatus.SERVED
    assert queue.issue("general", me).number == "A003"

    # The next day the limit starts again.
    clock.set(local(2026, 11, 25, 10, 0))
    assert queue.issue("general", person(OTHER_YOUNG_ID)).number == "A001"


def test_only_masked_id_and_a_salted_hash_are_stored(queue: LocalQueueService, state_dir: Path) -> None:
    elder = person(ELDER_ID, name="张三丰")
    tickets = [queue.issue("general", elder), queue.issue("realestate", person(YOUNG_ID)),
               queue.issue("medins", elder)]
    assert [t.id_masked for t in tickets] == ["1101**********002X", "1101**********1239", "1101**********002X"]

    secrets_ = [ELDER_ID, YOUNG_ID, ELDER_ID.lower(), "19491231002X", "张三丰"]
    con = sqlite3.connect(state_dir / "queue.sqlite3")
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "tickets" in tables
        for table in tables:
            for row in con.execute(f"SELECT * FROM {table}"):  # noqa: S608
                for value in row:
                    for secret in secrets_:
                        assert secret not in str(value), f"{table} stores {secret}"
        keys = dict(con.execute("SELECT number, identity_key FROM tickets"))
    finally:
        con.close()
    for path in state_dir.glob("queue.sqlite3*"):  # the database and its WAL, byte for byte
        raw = path.read_bytes()
        for secret in secrets_:
            assert secret.encode() not in raw, f"{path.name} holds {secret}"

    salt = (state_dir / "id-salt").read_bytes()
    assert len(salt) >= 16
    assert (state_dir / "id-salt").stat().st_mode & 0o077 == 0
    assert keys["V001"] == hmac.new(salt, ELDER_ID.encode(), hashlib.sha256).hexdigest()
    assert keys["V001"] == keys["C001"] != keys["B001"]
    assert keys["V001"] != hashlib.sha256(ELDER_ID.encode()).hexdigest()  # salted, not a bare hash


def test_an_empty_salt_file_left_by_a_crash_is_not_used(state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "id-salt").write_bytes(b"")
    assert len(StateDir(state_dir).id_salt()) >= 16


# -- calling and people ahead ------------------------------------------------------------------------

def test_call_next_serves_green_channel_first_then_issue_order(queue: LocalQueueService, clock) -> None:
    issued = []
    for who in (None, None, ELDER_ID, None, "declared"):
        clock.advance(seconds=30)
        if who == "declared":
            issued.append(queue.issue("general", priority=Priority.DECLARED).number)
        else:
            issued.append(queue.issue("general", person(who) if who else None).number)
    assert issued == ["A001", "A002", "V001", "A003", "V002"]
    calls = []
    while (t := queue.call_next("general", window="1")) is not None:
        assert t.status is TicketStatus.CALLED and t.window == "1" and t.people_ahead == 0
        calls.append(t.number)
    assert calls == ["V001", "V002", "A001", "A002", "A003"]
    assert queue.call_next("general", window="1") is None


def test_call_next_same_series_priority_and_same_instant(queue: LocalQueueService) -> None:
    # All at the same instant (fixed clock): issue order still decides among equals.
    numbers = [queue.issue("medins").number, queue.issue("medins", priority=Priority.DECLARED).number,
               queue.issue("medins").number, queue.issue("medins", person(ELDER_ID)).number]
    assert numbers == ["C001", "C002", "C003", "C004"]
    assert [queue.call_next("medins", "11").number for _ in range(4)] == ["C002", "C004", "C001", "C003"]


def test_people_ahead(queue: LocalQueueService, clock) -> None:
    a1 = queue.issue("general")
    clock.advance(minutes=1)
    a2 = queue.issue("general")
    clock.advance(minutes=1)
    v1 = queue.issue("general", person(ELDER_ID))
    clock.advance(minutes=1)
    a3 = queue.issue("general")
    clock.advance(minutes=1)
    v2 = queue.issue("general", priority=Priority.DECLARED)
    assert [a1.people_ahead, a2.people_ahead, v1.people_ahead, a3.people_ahead, v2.people_ahead] == [0, 1, 0, 3, 1]
    # Now, with both green-channel tickets in front of the ordinary ones:
    now = {n: queue.ticket(n).people_ahead for n in ("A001", "A002", "A003", "V001", "V002")}
    assert now == {"A001": 2, "A002": 3, "A003": 4, "V001": 0, "V002": 1}
    assert queue.call_next("general", "2").number == "V001"
    assert queue.ticket("V001").people_ahead == 0  # being served
    assert queue.ticket("A003").people_ahead == 3
    assert queue.ticket("V002").people_ahead == 0
    assert queue.issue("medins").people_ahead == 0  # other groups do not count


# -- wait estimates ----------------------------------------------------------------------------------

def test_wait_estimate_from_config_without_history(queue: LocalQueueService) -> None:
    # medins: service_minutes 10, 3 windows -> 10/3 minutes per person ahead, rounded up.
    waits = [queue.issue("medins").wait_minutes for _ in range(5)]
    assert waits == [0, math.ceil(10 / 3), math.ceil(20 / 3), 10, math.ceil(40 / 3)]
    assert queue.status("medins").wait_minutes == math.ceil(5 * 10 / 3)
    # general: 8 minutes, 6 windows.
    general = [queue.issue("general").wait_minutes for _ in range(8)]
    assert general[6] == 8 and general[7] == math.ceil(7 * 8 / 6)


def test_wait_estimate_uses_recent_service_times(queue: LocalQueueService, clock) -> None:
    for _ in range(4):
        queue.issue("medins")
    queue.issue("general")
    assert queue.call_next("medins", "11").number == "C001"
    clock.advance(minutes=12)
    queue.finish("C001")
    assert queue.call_next("medins", "11").number == "C002"
    clock.advance(minutes=6)
    queue.finish("C002")
    # Average of 12 and 6 minutes = 9; three windows -> 3 minutes per person ahead.
    status = queue.status("medins")
    assert status.waiting == 2 and status.wait_minutes == 6
    new = queue.issue("medins")
    assert new.people_ahead == 2 and new.wait_minutes == 6
    # A no-show is not a service time; other groups keep their configured estimate.
    queue.call_next("medins", "12")
    clock.advance(minutes=50)
    queue.finish("C003", served=False)
    assert queue.status("medins").wait_minutes == math.ceil(2 * 9 / 3)
    assert queue.status("general").wait_minutes == math.ceil(1 * 8 / 6)


def test_wait_estimate_uses_only_the_configured_number_of_recent_services(
        config_dir: Path, edit, make_queue: MakeQueue, clock) -> None:
    edit(config_dir / "kiosk.toml", "recent_services_for_estimate = 20", "recent_services_for_estimate = 2")
    queue = make_queue(load_config(config_dir))
    for _ in range(6):
        queue.issue("medins")
    for minutes in (60, 3, 9):  # the 60-minute service is not among the 2 most recent
        queue.call_next("medins", "11")
        clock.advance(minutes=minutes)
        queue.finish(queue.status("medins").serving[0])
    assert queue.status("medins").wait_minutes == math.ceil(3 * 6 / 3)


# -- status ------------------------------------------------------------------------------------------

def test_status_counts(queue: LocalQueueService, clock) -> None:
    fresh = queue.status("general")
    assert (fresh.waiting, fresh.priority_waiting, fresh.serving, fresh.next_number, fresh.issued) == \
        (0, 0, (), "A001", 0)
    assert fresh.available and fresh.refusal_code == "" and fresh.wait_minutes == 0
    assert (fresh.name_zh, fresh.name_en, fresh.quota) == ("综合受理", "General Window", 300)

    queue.issue("general")
    queue.issue("general")
    queue.issue("general", person(ELDER_ID))
    queue.issue("general", priority=Priority.DECLARED)
    queue.issue("general")
    s = queue.status("general")
    assert (s.waiting, s.priority_waiting, s.issued, s.next_number) == (5, 2, 5, "A004")
    assert s.wait_minutes == math.ceil(5 * 8 / 6)

    clock.advance(minutes=1)
    queue.call_next("general", "1")
    clock.advance(minutes=1)
    queue.call_next("general", "2")
    s = queue.status("general")
    assert (s.waiting, s.priority_waiting, s.issued) == (3, 0, 5)
    assert s.serving == ("V002", "V001")  # most recently called first
    queue.finish("V001")
    assert queue.status("general").serving == ("V002",)


def test_statuses_cover_every_group_in_order(queue: LocalQueueService, config: KioskConfig) -> None:
    queue.issue("medins")
    queue.issue("medins")
    queue.issue("tax")
    statuses = queue.statuses()
    assert [s.group_id for s in statuses] == [g.id for g in config.services.groups]
    by_id = {s.group_id: s for s in statuses}
    assert (by_id["medins"].waiting, by_id["medins"].next_number) == (2, "C003")
    assert (by_id["tax"].waiting, by_id["tax"].next_number) == (1, "H002")
    assert (by_id["general"].waiting, by_id["general"].next_number) == (0, "A001")
    assert all(s.available for s in statuses)


def test_finish_unknown_number(queue: LocalQueueService) -> None:
    with pytest.raises(TicketNotFound):
        queue.finish("A999")
    queue.issue("general")
    queue.finish("A001", served=False)
    with pytest.raises(TicketNotFound):  # already finished
        queue.finish("A001")
    assert queue.ticket("A001").status is TicketStatus.NO_SHOW


# -- concurrency ---------------------------------------------------------------------------------------

def test_threads_issue_distinct_consecutive_numbers(queue: LocalQueueService, state_dir: Path) -> None:
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(25):
                number = queue.issue("general").number
                with lock:
                    results.append(number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [f"A{i:03d}" for i in range(1, 101)]
    seqs = [r[0] for r in db_rows(state_dir, "SELECT seq FROM tickets WHERE series = 'A' ORDER BY seq")]
    assert seqs == list(range(1, 101))
    assert counters(state_dir, "2026-11-24") == {"quota:general": 100, "seq:A": 100}
    assert queue.status("general").next_number == "A101"


# -- a missed number rejoins the queue ----------------------------------------------------------------

def _missed(queue: LocalQueueService, clock, waiting: int) -> str:
    """A001 called and missed, with ``waiting`` more general tickets waiting after it, a minute apart."""
    for _ in range(waiting + 1):
        queue.issue("general")
        clock.advance(minutes=1)
    assert queue.call_next("general", window="1").number == "A001"
    queue.finish("A001", served=False)
    return "A001"


def test_a_missed_number_rejoins_after_the_next_people_once(queue: LocalQueueService, clock) -> None:
    """The shipped rule: after the next 3 waiting, once a day."""
    number = _missed(queue, clock, waiting=5)
    clock.advance(minutes=2)
    rejoined = queue.rejoin(number.lower())
    assert (rejoined.status, rejoined.people_ahead) == (TicketStatus.WAITING, 3)
    assert [queue.call_next("general", window="1").number for _ in range(4)] == ["A002", "A003", "A004", "A001"]
    queue.finish("A001", served=False)  # missed again
    with pytest.raises(RejoinLimitReached) as limit:
        queue.rejoin("A001")
    assert "1" in limit.value.message("zh") and "new number" in limit.value.message("en")
    with pytest.raises(NotMissed):
        queue.rejoin("A005")  # waiting: nothing to rejoin
    with pytest.raises(TicketNotFound):
        queue.rejoin("A099")
    assert [e.kind for e in queue.events_since(0)].count(EventKind.REJOIN) == 1


def test_a_missed_number_rejoins_at_the_end_when_few_wait_or_the_rule_says_so(config_dir: Path, edit, clock,
                                                                             make_queue: MakeQueue) -> None:
    queue = make_queue(load_config(config_dir))
    _missed(queue, clock, waiting=1)  # fewer than 3 waiting: at the end
    assert queue.rejoin("A001").people_ahead == 1

    edit(config_dir / "kiosk.toml", 'rejoin = "after"', 'rejoin = "end"')
    edit(config_dir / "kiosk.toml", "rejoin_times = 1", "rejoin_times = 2")
    queue = make_queue(load_config(config_dir))
    queue.issue("general")  # A003, after A002 and the rejoined A001
    clock.advance(minutes=1)
    assert queue.call_next("general", window="2").number == "A002"
    queue.finish("A002", served=False)
    assert queue.rejoin("A002").people_ahead == 2  # A001, A003

    edit(config_dir / "kiosk.toml", 'rejoin = "end"', 'rejoin = "off"')
    queue = make_queue(load_config(config_dir))
    with pytest.raises(RejoinNotAllowed):
        queue.rejoin("A002")
