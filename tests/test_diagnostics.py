"""Diagnostics for staff (kiosk.diagnostics): the app log's recent problems, the test print, the whole report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.card.simulated import SimulatedCardReader
from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import Kiosk
from kiosk.config import KioskConfig
from kiosk.devices.printer import PaperOut, PrinterStatus
from kiosk.diagnostics import LOG_FILE, print_test_ticket, reader_report, recent_problems, status_report
from kiosk.journal import setup_logging
from tests.conftest import FakeClock

ELDER_ID = "11010519491231002X"


@pytest.fixture
def app_log(state_dir: Path) -> Iterator[logging.Logger]:
    """The app's logging set up as ``kiosk`` does it (rotating file in <state>/logs); restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("kiosk", state_dir / "logs")
    yield logging.getLogger("kiosk.test")
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_recent_problems_newest_first_with_tracebacks_and_masked(app_log: logging.Logger, state_dir: Path) -> None:
    app_log.info("kiosk ready")
    app_log.warning("ticket A001 not printed: paper_out")
    try:
        raise RuntimeError("reader thread died")
    except RuntimeError:
        app_log.exception("card reader watcher failed")
    app_log.info("card read")
    # A record that slipped through unmasked is masked when shown.
    app_log.error("lookup failed for %s", ELDER_ID)

    problems = recent_problems(state_dir)
    assert [p.level for p in problems] == ["ERROR", "ERROR", "WARNING"]
    assert problems[0].message == "lookup failed for 1101**********002X"
    assert ELDER_ID not in "".join(p.message for p in problems)
    crash = problems[1]
    assert crash.logger == "kiosk.test" and crash.message.startswith("card reader watcher failed\nTraceback")
    assert "RuntimeError: reader thread died" in crash.message
    assert problems[2].message == "ticket A001 not printed: paper_out" and len(problems[2].time) == 19
    assert [p.level for p in recent_problems(state_dir, limit=1)] == ["ERROR"]


def test_recent_problems_reach_into_the_rotated_file(state_dir: Path) -> None:
    logs = state_dir / "logs"
    logs.mkdir(parents=True)
    (logs / "kiosk.log.1").write_text("2026-11-24 09:00:00,001 WARNING kiosk.desk: older problem\n", encoding="utf-8")
    (state_dir / LOG_FILE).write_text("2026-11-24 09:30:00,001 INFO kiosk: fine\n"
                                      "2026-11-24 09:31:00,001 ERROR kiosk: newer problem\n", encoding="utf-8")
    assert [p.message for p in recent_problems(state_dir)] == ["newer problem", "older problem"]
    assert [p.message for p in recent_problems(state_dir, limit=1)] == ["newer problem"]


def test_no_log_yet_means_no_problems(state_dir: Path) -> None:
    assert recent_problems(state_dir) == []


def test_test_print_makes_a_sample_ticket_or_reports_the_fault(config: KioskConfig, state_dir: Path,
                                                               clock: FakeClock) -> None:
    printer = SimulatedPrinter(state_dir / "tickets")
    check = print_test_ticket(config, printer, clock())
    assert check.printed and (check.before, check.after) == ("ok", "ok")
    assert printer.last_image is not None and printer.last_image.name == "2026-11-24-A000.png"

    printer.set_status(PrinterStatus.PAPER_OUT)
    check = print_test_ticket(config, printer, clock())
    assert not check.printed and isinstance(check.error, PaperOut)
    assert (check.before, check.after) == ("paper_out", "paper_out")


def test_status_report_of_a_running_kiosk(config: KioskConfig, state_dir: Path,
                                          make_kiosk: Callable[..., Kiosk]) -> None:
    printer = SimulatedPrinter(state_dir / "tickets")
    kiosk = make_kiosk(config, printer=printer)
    printer.set_status(PrinterStatus.PAPER_OUT)
    kiosk.desk.take_number("general", screen_only=True)
    reader = SimulatedCardReader()
    reader.start(lambda _event: None)

    report = status_report(config, printer, kiosk.store, reader)
    assert (report.printer.status, report.printer.can_print) == ("paper_out", False)
    assert (report.card_reader.driver, report.card_reader.state) == ("simulated", "ready")
    assert report.unprinted == 1 and report.kiosk_id == "K01"
    assert not report.hall_server.configured and report.outbox.pending == 0
    assert report.app is None and len(report.config.version) == 12 and report.disk.free_mb > 0
    reader.stop()
    assert reader_report(config, reader).state == "stopped"
    assert reader_report(config).state == "simulated"  # kioskctl: no running reader to ask
