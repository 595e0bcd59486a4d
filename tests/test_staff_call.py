"""Calls for staff on a standalone kiosk (``kiosk/staff_call.py``, ``kiosk/queue/staff_calls.py``): a citizen's
help call and a ticket that did not print reach ``kioskctl status`` and stay until staff answer them.
The hall server's side is in ``tests/hall/test_api.py``; the button in ``tests/ui/test_take_number.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import Kiosk
from kiosk.cli import main as kioskctl
from kiosk.config import KioskConfig
from kiosk.devices.printer import PrinterStatus
from kiosk.queue.errors import StaffCallNotFound
from kiosk.queue.staff_calls import CallKind, StaffCall
from kiosk.texts import LANGUAGES, catalogue
from tests.conftest import FakeClock


def test_a_kiosk_asks_once_until_staff_answer(config: KioskConfig, make_kiosk, clock: FakeClock) -> None:
    staff = make_kiosk(config).staff
    first = staff.call(CallKind.HELP, "groups")
    assert staff.call(CallKind.HELP, "result") == first  # tapped again: still the one call
    printer = staff.call(CallKind.PRINTER, "paper_out")
    assert [c.id for c in staff.calls.open_calls()] == [first.id, printer.id]
    assert (first.kiosk_id, first.detail, first.answered_at) == (config.kiosk.kiosk.id, "groups", None)

    answered = staff.calls.answer(first.id, "clerk1")
    assert answered.answered_by == "clerk1" and answered.answered_at == clock()
    with pytest.raises(StaffCallNotFound):
        staff.calls.answer(first.id, "clerk1")
    assert staff.call(CallKind.HELP, "home").id not in (first.id, printer.id)  # a new call after the answer
    assert {c.kind for c in staff.calls.answer_all("maintenance screen")} == {CallKind.HELP, CallKind.PRINTER}
    assert staff.calls.open_calls() == []


def test_a_ticket_that_did_not_print_calls_staff(config: KioskConfig, make_kiosk, tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path / "tickets", 80)
    kiosk = make_kiosk(config, printer=printer)
    issued = kiosk.desk.issue("general")
    printer.set_status(PrinterStatus.PAPER_OUT)
    assert not kiosk.desk.print_issued(issued).printed
    assert [(c.kind, c.detail) for c in kiosk.staff.calls.open_calls()] == [(CallKind.PRINTER, "paper_out")]


def test_kioskctl_shows_and_answers_calls_for_staff(config: KioskConfig, state_dir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    kiosk = Kiosk(config)  # kioskctl reads the real clock: so does this call
    try:
        call = kiosk.staff.call(CallKind.HELP, "identify")
    finally:
        kiosk.close()
    args = ["--config", str(config.source_dir)]
    assert kioskctl(["status", *args]) == 0
    at = call.raised_at.astimezone(config.timezone).strftime("%m-%d %H:%M")
    alerts = [line for line in capsys.readouterr().out.splitlines()[:3] if line.startswith("ALERT:")]
    assert len(alerts) == 1 and f"call {call.id} at {at}" in alerts[0] and "'ID card'" in alerts[0]
    assert kioskctl(["staff-calls", *args]) == 0
    assert "a citizen asks for staff at the screen 'ID card'" in capsys.readouterr().out
    assert kioskctl(["staff-calls", "answer", str(call.id), *args]) == 0
    assert f"call {call.id} answered" in capsys.readouterr().out
    assert kioskctl(["staff-calls", "answer", "--all", *args]) == 0
    assert "no call for staff was open" in capsys.readouterr().out
    assert kioskctl(["status", *args]) == 0
    assert "ALERT" not in capsys.readouterr().out


def test_every_screen_a_citizen_calls_from_has_a_name_for_staff() -> None:
    names = {kv.stem for kv in (Path(__file__).resolve().parents[1] / "screens").glob("*.kv")} - {"widgets"}
    for lang in LANGUAGES:
        assert {name for name in names if f"screen.{name}" not in catalogue(lang)} == set(), lang
    call = StaffCall(1, "K01", CallKind.PRINTER, "paper_out", datetime(2026, 11, 24, tzinfo=UTC))
    assert call.detail_text("zh") == "打印机缺纸，暂时无法打印小票。"
    assert replace(call, kind=CallKind.HELP, detail="a_newer_screen").detail_text("en") == "a_newer_screen"
