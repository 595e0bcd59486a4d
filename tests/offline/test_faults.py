"""A hall kiosk under network faults: two kiosks' service stacks and one hall server on 127.0.0.1, the link cut by
stopping the server, by a proxy that drops connections, and by one that delays the answers beyond the kiosks'
read timeout. Tickets, ratings and check-ins made meanwhile reach the hall exactly once when the link is back,
delivered by the background workers without any citizen's action; offline numbers never collide and the queue
is ordered by issue time (green channel first)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.backend.hall_client import HallUnreachable
from kiosk.backend.resilient import CheckInNeedsCode, OfflineAppointmentUnknown
from kiosk.backend.sync import OutboxWorker
from kiosk.hall.app import HallContext, create_app
from kiosk.hall.devtools import ThreadedServer
from kiosk.identity import Identity
from kiosk.queue.appointments import AppointmentStatus, NewAppointment
from kiosk.queue.errors import AlreadyCheckedIn, AlreadyRated, CheckInTooLate
from kiosk.queue.model import Priority
from kiosk.queue.schema import ratings, tickets
from tests.conftest import REPO, make_id_number
from tests.loopback import LinkProxy
from tests.offline.conftest import KioskStack, until

# Seconds each (real servers, restarts, fuzzing): left out of the fast loop, always in the full suite.
pytestmark = pytest.mark.slow

MakeStack = Callable[..., KioskStack]
StartWorker = Callable[[KioskStack], OutboxWorker]
READ_TIMEOUT = 0.5


def book(hall: HallContext, code: str, hour: int, minute: int = 0) -> None:
    """An appointment of today (Tuesday 2026-11-24) for "general", booked for hh:mm (hall time)."""
    starts = datetime(2026, 11, 24, hour, minute)
    hall.suite.appointments.create(NewAppointment(group_id="general", starts_at=starts,
                                                  ends_at=starts.replace(minute=minute + 30), code=code))


def hall_tickets(hall: HallContext) -> list[Any]:
    with hall.suite.engine.connect() as conn:
        return list(conn.execute(select(tickets).order_by(tickets.c.id)).all())


def hall_ratings(hall: HallContext) -> list[Any]:
    with hall.suite.engine.connect() as conn:
        return list(conn.execute(select(ratings).order_by(ratings.c.id)).all())


def call_order(hall: HallContext, window: str = "1") -> list[str]:
    called = []
    while (t := hall.suite.queue.call_window(window)) is not None:
        called.append(t.number)
    return called


@pytest.mark.parametrize("fault", ["stopped", "drop", "delay"])
def test_everything_made_while_the_link_is_down_arrives_once_when_it_is_back(
        fault: str, make_stack: MakeStack, start_worker: StartWorker, server: ThreadedServer, proxy: LinkProxy,
        hall: HallContext, clock: Any) -> None:
    book(hall, "C1", 10, 0)
    book(hall, "C-LATE", 9, 0)
    k1 = make_stack("K1", "XA", proxy.url, read_timeout=READ_TIMEOUT, probe_seconds=3600)
    k2 = make_stack("K2", "XB", proxy.url, read_timeout=READ_TIMEOUT, probe_seconds=3600)
    assert k1.queue.issue("general").number == "A001" and k2.queue.issue("general").number == "A002"
    for kiosk in (k1, k2):
        start_worker(kiosk)  # copies today's appointments, then probes the hall every 0.2 s
    until(lambda: _copied(k1) and _copied(k2), "today's appointments copied to both kiosks")

    # The link is cut; the workers notice by themselves (the offline mark), before any citizen's call.
    restarted: list[ThreadedServer] = []
    if fault == "stopped":
        server.stop()
    else:
        proxy.cut(fault, delay=READ_TIMEOUT * 4)
    until(lambda: k1.queue.offline and k2.queue.offline, "both kiosks offline")

    made: list[str] = []
    for action in (
        lambda: made.append(k1.queue.issue("general").number),
        lambda: made.append(k2.queue.issue("general").number),
        lambda: made.append(k1.appointments.check_in(code="C1").ticket.number),
        lambda: made.append(k2.appointments.check_in(code="C1").ticket.number),  # its copy says "booked" too
        lambda: k2.ratings.submit(5, k2.ratings.rateable_ticket("XB001").number),
        lambda: k1.ratings.submit(1, k1.ratings.rateable_ticket("A001").number, reasons=["long_wait"],
                                  phone="13800138000"),
        lambda: k1.ratings.submit(4, "A002"),
    ):
        clock.advance(seconds=20)
        action()
    assert made == ["XA001", "XB001", "XA002", "XB002"]
    # What the kiosk can tell offline, it tells at once.
    with pytest.raises(AlreadyRated):
        k1.ratings.rateable_ticket("A001")
    with pytest.raises(CheckInNeedsCode):
        k1.appointments.check_in(identity=Identity.from_id_number(make_id_number(datetime(1980, 1, 1).date())))
    with pytest.raises(OfflineAppointmentUnknown):
        k1.appointments.check_in(code="NOPE")
    with pytest.raises(CheckInTooLate):
        k2.appointments.check_in(code="C-LATE")
    assert [e.kind for e in k1.queue.outbox.pending()] == ["ticket", "ticket", "checkin", "rating", "rating"]
    assert [e.kind for e in k2.queue.outbox.pending()] == ["ticket", "ticket", "checkin", "rating"]

    # The link is back: the workers deliver everything, in order, with nobody touching the kiosks.
    if fault == "stopped":
        restarted.append(ThreadedServer(create_app(hall)).start())
        proxy.retarget(restarted[0].port)
    else:
        proxy.restore()
    try:
        until(lambda: not k1.queue.outbox.pending() and not k2.queue.outbox.pending(), "both outboxes drained")
        until(lambda: not k1.queue.offline and not k2.queue.offline, "both kiosks online again")
    finally:
        for srv in restarted:
            srv.stop()

    rows = hall_tickets(hall)
    numbers = Counter(r.number for r in rows)
    assert numbers == Counter({n: 1 for n in ["A001", "A002", "XA001", "XB001", "XA002", "XB002"]})
    by_number = {r.number: r for r in rows}
    assert {n: by_number[n].kiosk_id for n in made} == {"XA001": "K1", "XB001": "K2", "XA002": "K1", "XB002": "K2"}
    # One of the two check-ins of C1 won at the hall; the other was refused and its ticket is ordinary now.
    appointment = hall.suite.appointments.get("C1")
    assert appointment.status is AppointmentStatus.CHECKED_IN and appointment.ticket_number in ("XA002", "XB002")
    winner, loser = appointment.ticket_number, ({"XA002", "XB002"} - {appointment.ticket_number}).pop()
    assert by_number[winner].priority == Priority.APPOINTMENT and by_number[winner].appointment_code == "C1"
    assert by_number[loser].priority == Priority.NONE and by_number[loser].appointment_code is None
    dead = [e for k in (k1, k2) for e in k.queue.outbox.dead()]
    assert [(e.kind, e.payload["number"]) for e in dead] == [("checkin", loser)]
    assert dead[0].dead_reason.startswith("already_checked_in")

    rated = {r.number: r for r in hall_ratings(hall)}
    assert sorted(rated) == ["A001", "A002", "XB001"]
    assert (rated["A001"].level, rated["A001"].reasons, rated["A001"].phone, rated["A001"].kiosk_id) == \
        (1, "long_wait", "13800138000", "K1")
    assert (rated["XB001"].level, rated["XB001"].kiosk_id, rated["A002"].level) == (5, "K2", 4)
    # Rated when the citizen rated, not when the link came back.
    assert rated["A001"].at.replace(tzinfo=None) < rated["A002"].at.replace(tzinfo=None)

    # Green channel first, then by issue time, however late each ticket reached the hall.
    assert call_order(hall) == [winner, "A001", "A002", "XA001", "XB001", loser]


def _copied(stack: KioskStack) -> bool:
    from kiosk.queue.schema import appointments

    with stack.queue.local.engine.connect() as conn:
        return len(conn.execute(select(appointments.c.code)).all()) == 2


def test_a_rating_whose_answer_was_lost_is_stored_once(
        make_stack: MakeStack, proxy: LinkProxy, hall: HallContext) -> None:
    """The hall stores a rating, its answer never arrives: the kiosk queues it under the same key, and the
    hand-over later gets the stored rating back instead of making a second one."""
    k1 = make_stack("K1", "XA", proxy.url, read_timeout=READ_TIMEOUT)
    number = k1.queue.issue("general").number
    proxy.cut("delay", delay=READ_TIMEOUT * 4)
    queued = k1.ratings.submit(2, number, reasons=["slow_service"])
    assert queued.id == 0 and k1.queue.offline
    until(lambda: len(hall_ratings(hall)) == 1, "the hall stored the rating whose answer was lost")
    proxy.restore()
    assert k1.queue.sync().delivered == 1
    [stored] = hall_ratings(hall)
    assert (stored.number, stored.level, stored.reasons) == (number, 2, "slow_service")
    with pytest.raises(AlreadyRated):
        k1.ratings.rateable_ticket(number)


def test_a_worker_brings_the_offline_mark_back_and_drains_without_any_citizen(
        make_stack: MakeStack, start_worker: StartWorker, proxy: LinkProxy, hall: HallContext) -> None:
    k1 = make_stack("K1", "XA", proxy.url, read_timeout=READ_TIMEOUT, probe_seconds=3600)
    proxy.cut("drop")
    with pytest.raises(HallUnreachable):
        k1.queue.hall.health()
    for _ in range(3):
        k1.queue.issue("general")
    assert k1.queue.offline and len(k1.queue.outbox.pending()) == 3
    worker = start_worker(k1)
    until(lambda: worker.state().failures >= 2, "the worker backs off while the link is down")
    state = worker.state()
    assert state.running and state.offline and state.pending == 3 and state.last_error.startswith("hall_unreachable")
    proxy.restore()
    until(lambda: not k1.queue.outbox.pending(), "the outbox drained")
    until(lambda: not k1.queue.offline, "the kiosk online again")
    state = worker.state()
    assert (state.failures, state.last_error, state.delivered, state.pending) == (0, "", 3, 0)
    assert [r.number for r in hall_tickets(hall)] == ["XA001", "XA002", "XA003"]
    worker.stop()
    assert not worker.state().running


def test_a_revoked_device_token_keeps_entries_waiting_not_refused(
        make_stack: MakeStack, server: ThreadedServer, hall: HallContext, dead_url: str) -> None:
    """A fault of the kiosk's registration is not the entries' fault: they wait until staff fix it."""
    offline = make_stack("K1", "XA", dead_url)
    offline.queue.issue("general")
    online = make_stack("K1", "XA", server.base_url)
    hall.accounts.revoke_device("K1")
    result = online.queue.sync()
    assert result.delivered == 0 and result.error is not None and result.error.code == "not_signed_in"
    assert len(online.queue.outbox.pending()) == 1 and not online.queue.outbox.dead()


def test_a_kiosk_process_killed_between_send_and_mark_delivers_the_rest_once_after_restart(
        make_stack: MakeStack, make_kiosk: Any, config_dir: Path, server: ThreadedServer, hall: HallContext,
        dead_url: str, tmp_path: Path, clock: Any) -> None:
    book(hall, "C1", 10, 0)
    k1 = make_stack("K1", "XA", dead_url)
    k1.appointments.mirror(hall.suite.appointments.on_day(hall.suite.queue.business_day()))
    for _ in range(3):
        clock.advance(seconds=30)
        k1.queue.issue("general")
    clock.advance(seconds=30)
    assert k1.appointments.check_in(code="C1").ticket.number == "XA004"
    k1.ratings.submit(5, "XA001")
    assert [e.kind for e in k1.queue.outbox.pending()] == ["ticket"] * 4 + ["checkin", "rating"]

    def kiosk_process(kill_after: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tests.offline.deliver_process", str(config_dir), str(tmp_path / "K1.sqlite3"),
             server.base_url, "XA", str(kill_after)],
            env={**os.environ, "HALL_TOKEN": make_kiosk.tokens["K1"]}, cwd=REPO, capture_output=True, text=True,
            timeout=120)

    killed = kiosk_process(kill_after=4)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The hall took the fourth ticket, the kiosk died before marking it: it still waits, with what follows.
    assert [r.number for r in hall_tickets(hall)] == ["XA001", "XA002", "XA003", "XA004"]
    assert [e.kind for e in k1.queue.outbox.pending()] == ["ticket", "checkin", "rating"]

    restarted = kiosk_process(kill_after=0)
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout) == {"delivered": 3, "refused": 0, "error": ""}
    assert [r.number for r in hall_tickets(hall)] == ["XA001", "XA002", "XA003", "XA004"]
    assert hall.suite.appointments.get("C1").ticket_number == "XA004"
    assert [(r.number, r.level) for r in hall_ratings(hall)] == [("XA001", 5)]
    assert not k1.queue.outbox.pending() and not k1.queue.outbox.dead()


def test_a_check_in_made_online_is_known_to_the_kiosk_when_it_goes_offline(
        make_stack: MakeStack, proxy: LinkProxy, hall: HallContext) -> None:
    book(hall, "C1", 10, 0)
    k1 = make_stack("K1", "XA", proxy.url, read_timeout=READ_TIMEOUT)
    k1.appointments.refresh()
    assert k1.appointments.check_in(code="C1").ticket.number == "V001"
    proxy.cut("drop")
    with pytest.raises(AlreadyCheckedIn) as refused:
        k1.appointments.check_in(code="C1")
    assert refused.value.number == "V001" and k1.queue.offline and not k1.queue.outbox.pending()
