"""Application progress with the date of every step (受理 → 审查 → 决定 → 办结 → 可领取), receipt numbers typed
without their dashes, and the numbers being served now: in-process (SQLite and PostgreSQL), over the hall
server's HTTP API, and through a kiosk whose hall server is down."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import ResilientQueue
from kiosk.config import KioskConfig
from kiosk.hall.app import HallContext
from kiosk.identity import Identity
from kiosk.queue.errors import ProgressNotFound
from kiosk.queue.progress import ProgressRecord, ProgressUnavailable, ProgressUpdate, Stage, Step
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.queue.suite import ServiceSuite
from tests.conftest import FakeClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
YOUNG_ID = "110105199003071239"


def local(y: int, mo: int, d: int, h: int = 9) -> datetime:
    return datetime(y, mo, d, h, 0, tzinfo=SHANGHAI)


def record(stage: Stage, dates: tuple[tuple[Stage, datetime], ...] = ()) -> ProgressRecord:
    return ProgressRecord("R-1", "", "", "", "", stage, "", local(2026, 11, 23), dates)


def test_each_stage_keeps_its_date_even_when_reported_late(suite: ServiceSuite) -> None:
    p = suite.progress
    p.upsert([ProgressUpdate("SL2026-0001", Stage.RECEIVED, datetime(2026, 11, 20, 9, 0), id_number=YOUNG_ID,
                             name="李晓", matter_name_zh="二手房转移登记")])
    p.upsert([ProgressUpdate("SL2026-0001", Stage.RECEIVED, datetime(2026, 11, 20, 11, 0), note_zh="材料齐全")])
    p.upsert([ProgressUpdate("SL2026-0001", Stage.READY, datetime(2026, 11, 23, 15, 0), note_zh="请到7号窗口领证")])
    late = p.upsert([ProgressUpdate("SL2026-0001", Stage.APPROVED, datetime(2026, 11, 22, 10, 0))])
    assert (late.stored, late.ignored_older) == (0, 1)

    found = p.by_receipt("SL2026-0001")
    assert found.stage is Stage.READY and found.note_zh == "请到7号窗口领证"
    # The updates named neither the person nor the matter: what the first one said is kept.
    assert (found.name_masked, found.id_masked, found.matter_name_zh) == ("李*", "1101**********1239", "二手房转移登记")
    # The second report of "received" does not move its date; the late approval still fills in its own.
    assert found.stage_dates == (
        (Stage.RECEIVED, local(2026, 11, 20).astimezone(UTC)),
        (Stage.APPROVED, local(2026, 11, 22, 10).astimezone(UTC)),
        (Stage.READY, local(2026, 11, 23, 15).astimezone(UTC)))
    steps = found.steps()
    assert [s.step for s in steps] == [Step.RECEIVED, Step.REVIEW, Step.DECISION, Step.COMPLETED, Step.READY]
    assert all(s.reached for s in steps)
    # Nobody reported the review or the conclusion: reached (the record is past them), date unknown.
    assert [s.at is not None for s in steps] == [True, False, True, False, True]
    assert [s.current for s in steps] == [False, False, False, False, True]
    assert steps[2].stage is Stage.APPROVED
    assert [r.stage_dates for r in p.by_identity(Identity.from_id_number(YOUNG_ID))] == [found.stage_dates]


def test_steps_of_a_record_in_review_refused_and_from_before_stage_dates() -> None:
    in_review = record(Stage.IN_REVIEW, ((Stage.RECEIVED, local(2026, 11, 20)), (Stage.IN_REVIEW, local(2026, 11, 21))))
    steps = in_review.steps()
    assert [s.reached for s in steps] == [True, True, False, False, False]
    assert [s.current for s in steps] == [False, True, False, False, False]
    assert steps[1].at == local(2026, 11, 21)

    refused = record(Stage.REJECTED, ((Stage.RECEIVED, local(2026, 11, 20)), (Stage.REJECTED, local(2026, 11, 22))))
    steps = refused.steps()
    assert [s.reached for s in steps] == [True, True, True, False, False]
    assert (steps[2].stage, steps[2].at, steps[2].current) == (Stage.REJECTED, local(2026, 11, 22), True)

    # A decision that was changed: the current one is shown, with its own date.
    changed = record(Stage.APPROVED, ((Stage.REJECTED, local(2026, 11, 21)), (Stage.APPROVED, local(2026, 11, 22))))
    assert (changed.steps()[2].stage, changed.steps()[2].at) == (Stage.APPROVED, local(2026, 11, 22))

    # Without any stage dates (a record stored before they were kept), the current step gets the update's date.
    legacy = record(Stage.COMPLETED)
    steps = legacy.steps()
    assert [s.reached for s in steps] == [True, True, True, True, False]
    assert [s.at for s in steps] == [None, None, None, local(2026, 11, 23), None]


def test_receipt_found_without_its_dashes_spaces_or_case(suite: ServiceSuite) -> None:
    p = suite.progress
    p.upsert([ProgressUpdate("SL2026-0001", Stage.RECEIVED, datetime(2026, 11, 20, 9, 0)),
              ProgressUpdate("SL20260002", Stage.IN_REVIEW, datetime(2026, 11, 21, 9, 0))])
    assert p.by_receipt("SL20260001").receipt_no == "SL2026-0001"
    assert p.by_receipt(" sl2026 0001 ").receipt_no == "SL2026-0001"
    assert p.by_receipt("SL2026-0002").receipt_no == "SL20260002"
    for wrong in ("SL2026000", "SL2026-00011", "-", ""):
        with pytest.raises(ProgressNotFound):
            p.by_receipt(wrong)


def test_network_message_names_the_halls_phone() -> None:
    error = ProgressUnavailable("12345")
    assert "12345" in error.message("zh") and "联网" in error.message("zh")
    assert "12345" in error.message("en") and "network" in error.message("en")
    assert "12345" not in ProgressUnavailable("").message("zh")


def test_stage_dates_and_serving_over_the_hall_api(hall: HallContext,
                                                   client_for: Callable[..., HallClient],
                                                   kiosk_token: str, clock: FakeClock) -> None:
    progress, queue = hall.suite.progress, hall.suite.queue
    progress.upsert([ProgressUpdate("SL-7", Stage.RECEIVED, datetime(2026, 11, 20, 9, 0), id_number=YOUNG_ID),
                     ProgressUpdate("SL-7", Stage.IN_REVIEW, datetime(2026, 11, 21, 9, 0))])
    kiosk = client_for(kiosk_token)
    over_http = kiosk.by_receipt("SL7")
    assert over_http == progress.by_receipt("SL-7")
    assert [s.reached for s in over_http.steps()] == [True, True, False, False, False]
    assert kiosk.by_identity(Identity.from_id_number(YOUNG_ID)) == [over_http]

    for _ in range(3):
        queue.issue("general")
    medins = queue.issue("medins")
    assert kiosk.serving() == []
    for window in ("1", "2", "11"):
        queue.call_window(window)
        clock.advance(minutes=1)
    served = kiosk.serving()
    assert [(t.number, t.window) for t in served] == [(medins.number, "11"), ("A002", "2"), ("A001", "1")]
    assert served == queue.serving()
    queue.call_window("1")  # A001 served, A003 called
    assert [(t.number, t.window) for t in kiosk.serving()] == [("A003", "1"), (medins.number, "11"), ("A002", "2")]


def test_kiosk_with_the_hall_down_answers_serving_from_its_own_file(config: KioskConfig, tmp_path: Path,
                                                                    clock: FakeClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    own = LocalQueueService(open_engine(sqlite_url(tmp_path / "k.sqlite3")), config, id_salt=b"s", clock=clock)
    kiosk = ResilientQueue(HallClient(dead, "token", connect_timeout=1, read_timeout=1), own, "XA")
    ticket = kiosk.issue_offline("general")
    own.call_window("1")
    assert [(t.number, t.window) for t in kiosk.serving()] == [(ticket.number, "1")] and kiosk.offline
    own.engine.dispose()
