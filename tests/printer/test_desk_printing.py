"""The kiosk flow with a real ESC/POS printer (the emulator on a pty): every fault keeps the number, tells the
citizen why in Chinese and English, records the ticket for a reprint, and loses no number; then kioskctl
against the emulator, in-process, at a Tuesday 10:00 in Shanghai."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from drivers.printer.escpos import EscPosSettings, encode
from drivers.printer.escpos_printer import EscPosPrinter
from drivers.printer.serial import SerialTransport
from kiosk.assembly import Kiosk
from kiosk.cli import main
from kiosk.config import KioskConfig
from kiosk.desk import PrinterNotReady, TicketDesk
from kiosk.devices.printer import CoverOpen, PaperOut, PrinterError, PrinterOffline
from kiosk.queue import LocalQueueService
from kiosk.queue.errors import TicketNotFound
from kiosk.queue.reprints import ReprintLog
from kiosk.ticket import checklist_document, ticket_document

from .decoder import decode
from .emulator import PtyPrinterEmulator
from .helpers import SHORT_TIMEOUT, assert_matches_document, run_with_watchdog

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
URL = "https://zwfw.example.gov.cn/queue/ticket?day=2026-11-24&number={}"

# (emulator state, or "unplugged"; the error; a word of its Chinese and of its English cause; its code)
FAULTS = [
    ("paper_out", PaperOut, "缺纸", "out of paper", "paper_out"),
    ("cover_open", CoverOpen, "打印机盖未关好", "cover is open", "cover_open"),
    ("offline", PrinterOffline, "暂时无法使用", "not available", "printer_offline"),
    ("error", PrinterOffline, "暂时无法使用", "not available", "printer_offline"),
    ("silent", PrinterOffline, "暂时无法使用", "not available", "printer_offline"),
    ("unplugged", PrinterOffline, "暂时无法使用", "not available", "printer_offline"),
]


@pytest.fixture
def kiosk(make_kiosk: Callable[..., Kiosk], config: KioskConfig, make_transport: Callable[..., SerialTransport],
          escpos_settings: EscPosSettings) -> Kiosk:
    """The kiosk: embedded queue on the fake clock (Tuesday 10:00), ESC/POS printer on the emulator."""
    return make_kiosk(config, printer=EscPosPrinter(make_transport(timeout=SHORT_TIMEOUT), escpos_settings))


@pytest.fixture
def desk(kiosk: Kiosk) -> TicketDesk:
    return kiosk.desk


@pytest.fixture
def reprints(kiosk: Kiosk) -> ReprintLog:
    return kiosk.reprints


@pytest.fixture
def queue(kiosk: Kiosk) -> LocalQueueService:
    return kiosk.store.queue


def set_fault(emulator: PtyPrinterEmulator, fault: str) -> None:
    if fault == "unplugged":
        emulator.unplug()
    else:
        emulator.set_state(fault)


def repair(emulator: PtyPrinterEmulator) -> None:
    if not emulator.plugged:
        emulator.replug()
    emulator.set_state("ok")


def printed_numbers(data: bytes) -> list[str]:
    """The queue numbers on the tickets in ``data`` (the largest text of each ticket)."""
    decoded = decode(data)
    return [line.text for line in decoded.text_lines if line.size >= 4]


# -- the desk ---------------------------------------------------------------------------------------------------

def test_ok_prints_the_ticket(emulator: PtyPrinterEmulator, desk: TicketDesk, reprints: ReprintLog,
                              escpos_settings: EscPosSettings) -> None:
    outcome = desk.take_number("general")
    assert (outcome.ticket.number, outcome.printed, outcome.print_error) == ("A001", True, None)
    assert emulator.received == encode(outcome.document, escpos_settings)
    assert printed_numbers(emulator.received) == ["A001"]
    assert decode(emulator.received).qr_codes[0].payload == URL.format("A001") == outcome.status_url
    assert reprints.pending() == []
    assert emulator.model.queries == [1, 2, 3, 4] * 2  # two status reads a ticket: before issuing, after printing


def test_paper_near_end_prints_and_warns_maintenance(emulator: PtyPrinterEmulator, desk: TicketDesk,
                                                     reprints: ReprintLog, caplog: pytest.LogCaptureFixture) -> None:
    emulator.set_state("near_end")
    with caplog.at_level(logging.WARNING):
        outcome = desk.take_number("general")
    assert outcome.printed and outcome.print_error is None
    assert printed_numbers(emulator.received) == ["A001"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "paper near end" in r.getMessage()]
    assert warnings and all(r.name.startswith("drivers.printer") for r in warnings)
    assert reprints.pending() == []


@pytest.mark.parametrize(("fault", "error", "zh", "en", "code"), FAULTS)
def test_fault_before_issuing_keeps_the_number_and_records_it(
        emulator: PtyPrinterEmulator, desk: TicketDesk, queue: LocalQueueService, reprints: ReprintLog,
        escpos_settings: EscPosSettings, fault: str, error: type[PrinterError], zh: str, en: str,
        code: str) -> None:
    set_fault(emulator, fault)
    # Asked before anything is issued: the citizen is told why, and decides.
    with pytest.raises(PrinterNotReady) as not_ready:
        run_with_watchdog(lambda: desk.issue("general"))
    assert type(not_ready.value.fault) is error and queue.status("general").issued == 0
    outcome = run_with_watchdog(lambda: desk.take_number("general", screen_only=True))
    # The number is issued and valid; the citizen is told why there is no ticket, in both languages.
    assert outcome.ticket.number == "A001" and outcome.printed is False
    assert type(outcome.print_error) is error and outcome.print_error.code == code
    assert zh in outcome.print_error.message("zh") and "号码仍然有效" in outcome.print_error.message("zh")
    assert en in outcome.print_error.message("en") and "still valid" in outcome.print_error.message("en")
    assert outcome.status_url == URL.format("A001")  # the QR code shown on screen instead
    assert queue.ticket("A001").status.value == "waiting"
    assert [(p.number, p.reason) for p in reprints.pending()] == [("A001", code)]
    assert emulator.received == b""  # nothing was sent to a printer that cannot print

    # Repaired: the next number continues the sequence and prints; staff reprint the first one.
    repair(emulator)
    second = desk.take_number("general")
    assert (second.ticket.number, second.printed, second.ticket.people_ahead) == ("A002", True, 1)
    again = desk.reprint("A001")
    assert again.printed and again.ticket.number == "A001" and again.print_error is None
    assert reprints.pending() == []
    assert emulator.received == encode(second.document, escpos_settings) + encode(again.document, escpos_settings)
    assert printed_numbers(emulator.received) == ["A002", "A001"]
    assert queue.status("general").issued == 2


def test_paper_runs_out_during_the_print(emulator: PtyPrinterEmulator, desk: TicketDesk, queue: LocalQueueService,
                                         reprints: ReprintLog, escpos_settings: EscPosSettings) -> None:
    emulator.model.paper_runs_out_after(150)
    first = desk.take_number("general")
    assert (first.ticket.number, first.printed) == ("A001", False)
    assert isinstance(first.print_error, PaperOut)
    assert "缺纸" in first.print_error.message("zh") and "out of paper" in first.print_error.message("en")
    assert emulator.received == encode(first.document, escpos_settings)  # it was sent; the paper ended
    # Still out of paper: the next citizen is asked first; on screen only, the number is issued and not sent.
    with pytest.raises(PrinterNotReady):
        desk.issue("general")
    second = desk.take_number("general", screen_only=True)
    assert (second.ticket.number, second.printed, type(second.print_error)) == ("A002", False, PaperOut)
    assert [(p.number, p.reason) for p in reprints.pending()] == [("A001", "paper_out"), ("A002", "paper_out")]
    # A reprint while the paper is still out fails and is not recorded twice.
    failed = desk.reprint("A001")
    assert not failed.printed and isinstance(failed.print_error, PaperOut)
    assert len(reprints.pending()) == 2
    # New roll: both are reprinted and leave the record; no number was lost.
    emulator.model.clear()
    repair(emulator)
    assert desk.reprint("A001").printed and desk.reprint("A002").printed
    assert printed_numbers(emulator.received) == ["A001", "A002"]
    assert reprints.pending() == []
    third = desk.take_number("general")
    assert (third.ticket.number, third.printed, third.ticket.people_ahead) == ("A003", True, 2)


def test_unplugged_mid_ticket(emulator: PtyPrinterEmulator, desk: TicketDesk, reprints: ReprintLog,
                              escpos_settings: EscPosSettings) -> None:
    emulator.model.unplug_after(120)
    outcome = run_with_watchdog(lambda: desk.take_number("general"))
    assert (outcome.ticket.number, outcome.printed, type(outcome.print_error)) == ("A001", False, PrinterOffline)
    assert emulator.received == encode(outcome.document, escpos_settings)[:120]
    assert [(p.number, p.reason) for p in reprints.pending()] == [("A001", "printer_offline")]
    repair(emulator)
    emulator.model.clear()
    assert desk.take_number("general").ticket.number == "A002"
    assert desk.reprint("A001").printed
    assert printed_numbers(emulator.received) == ["A002", "A001"]


def test_reprint_of_an_unknown_number_is_refused(emulator: PtyPrinterEmulator, desk: TicketDesk) -> None:
    with pytest.raises(TicketNotFound):
        desk.reprint("A999")
    assert emulator.received == b""


def test_printer_unplugged_while_idle_still_issues_the_number(emulator: PtyPrinterEmulator, desk: TicketDesk,
                                                              reprints: ReprintLog) -> None:
    assert desk.take_number("general").printed
    emulator.unplug()
    with pytest.raises(PrinterNotReady) as not_ready:
        desk.issue("general")
    assert type(not_ready.value.fault) is PrinterOffline
    outcome = desk.take_number("general", screen_only=True)
    assert (outcome.ticket.number, outcome.printed, type(outcome.print_error)) == ("A002", False, PrinterOffline)
    assert [p.number for p in reprints.pending()] == ["A002"]


def test_printer_unplugged_and_replugged_while_idle_prints_again(emulator: PtyPrinterEmulator,
                                                                 desk: TicketDesk) -> None:
    assert desk.take_number("general").printed
    emulator.unplug()
    emulator.replug()
    outcome = desk.take_number("general")
    assert (outcome.ticket.number, outcome.printed) == ("A002", True)


# -- kioskctl against the emulator ---------------------------------------------------------------------------------

@pytest.fixture
def open_hall() -> Iterator[None]:
    with time_machine.travel(TUESDAY_10, tick=False):
        yield


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str], config_dir: Path, state_dir: Path,
        open_hall: None) -> Callable[..., tuple[int, str, str]]:
    """``ctl(*argv)`` runs kioskctl in-process on the test's configuration: (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main([*argv, "--config", str(config_dir)])
        except SystemExit as usage:  # argparse refuses bad arguments with exit code 2
            code = int(usage.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def port(emulator: PtyPrinterEmulator) -> str:
    return str(emulator.link)


@pytest.mark.parametrize(("state", "shown", "exit_code"), [
    ("ok", "ok", 0), ("near_end", "paper_near_end", 0), ("paper_out", "paper_out", 3),
    ("cover_open", "cover_open", 3), ("offline", "offline", 3), ("error", "offline", 3),
])
def test_kioskctl_printer_status(emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]], port: str,
                                 state: str, shown: str, exit_code: int) -> None:
    emulator.set_state(state)
    code, out, _ = ctl("printer", "status", "--port", port)
    assert (code, out) == (exit_code, f"printer: {shown}\n")
    code, out, _ = ctl("printer", "status", "--port", port, "--json")
    assert code == exit_code
    assert json.loads(out) == {"status": shown, "can_print": exit_code == 0}


def test_kioskctl_printer_status_silent_or_unplugged_is_offline(
        emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]], port: str, config_dir: Path,
        edit: Callable[..., None]) -> None:
    edit(config_dir / "kiosk.toml", "timeout_seconds = 2.0", f"timeout_seconds = {SHORT_TIMEOUT}")
    emulator.set_state("silent")
    assert run_with_watchdog(lambda: ctl("printer", "status", "--port", port)) == (3, "printer: offline\n", "")
    emulator.unplug()
    assert ctl("printer", "status", "--port", port) == (3, "printer: offline\n", "")
    emulator.replug()
    emulator.set_state("ok")
    assert ctl("printer", "status", "--port", port) == (0, "printer: ok\n", "")


def test_kioskctl_printer_status_baud(emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]],
                                      port: str) -> None:
    assert ctl("printer", "status", "--port", port, "--baud", "115200")[0] == 0
    assert emulator.line_settings().baudrate == 115200


def test_kioskctl_unsupported_baud_is_a_usage_error(emulator: PtyPrinterEmulator,
                                                    ctl: Callable[..., tuple[int, str, str]], port: str) -> None:
    code, _, err = ctl("printer", "status", "--port", port, "--baud", "1234")
    assert code == 2 and "1234" in err


def test_kioskctl_printer_test(emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]], port: str,
                               config: KioskConfig) -> None:
    code, out, err = ctl("printer", "test", "--port", port)
    assert (code, err) == (0, "")
    assert out == "before: ok  after: ok  printed 2026-11-24-A000\n"
    decoded = decode(emulator.received)  # a decodable sample ticket
    assert printed_numbers(emulator.received) == ["A000"]
    assert decoded.qr_codes[0].payload == URL.format("A000")
    assert len(decoded.cuts) == 1 and decoded.events[-1] == decoded.cuts[0]
    assert config.kiosk.hall.name_zh in [line.text for line in decoded.text_lines]
    assert emulator.model.queries == [1, 2, 3, 4] * 2  # before, and the print's check after it
    emulator.model.clear()
    code, out, _ = ctl("printer", "test", "--port", port, "--json")
    assert code == 0
    assert json.loads(out) == {"before": "ok", "after": "ok", "printed": True, "error": "",
                               "document": "2026-11-24-A000"}
    assert printed_numbers(emulator.received) == ["A000"]


@pytest.mark.parametrize(("state", "before", "error"), [
    ("paper_out", "paper_out", "paper_out"), ("cover_open", "cover_open", "cover_open"),
    ("offline", "offline", "printer_offline")])
def test_kioskctl_printer_test_in_a_fault(emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]],
                                          port: str, state: str, before: str, error: str) -> None:
    emulator.set_state(state)
    code, out, _ = ctl("printer", "test", "--port", port, "--json")
    report = json.loads(out)
    assert code == 3
    assert (report["before"], report["after"], report["printed"]) == (before, before, False)
    assert report["error"].startswith(f"{error}: ") and " / " in report["error"]
    assert emulator.received == b""


def test_kioskctl_printer_test_paper_runs_out(emulator: PtyPrinterEmulator,
                                              ctl: Callable[..., tuple[int, str, str]], port: str) -> None:
    emulator.model.paper_runs_out_after(100)
    code, out, _ = ctl("printer", "test", "--port", port)
    assert code == 3
    assert out.startswith("before: ok  after: paper_out  NOT printed: paper_out: ")
    assert "缺纸" in out and "out of paper" in out


def test_kioskctl_printer_checklist(emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]],
                                    port: str, config: KioskConfig) -> None:
    code, out, _ = ctl("printer", "checklist", "realestate-transfer", "--port", port)
    assert code == 0 and out.startswith("before: ok  after: ok  printed checklist-realestate-transfer-")
    matter = next(m for m in config.services.matters if m.id == "realestate-transfer")
    document = checklist_document(matter, config, TUESDAY_10)
    settings = EscPosSettings.from_config(config.kiosk.printer)
    assert emulator.received == encode(document, settings)
    decoded = decode(emulator.received)
    assert_matches_document(document, decoded, settings.columns)
    texts = [line.text for line in decoded.text_lines]
    assert "一次性告知单" in texts and "二手房转移登记" in texts and "打印时间 Printed 2026-11-24 10:00" in texts
    code, out, _ = ctl("printer", "checklist", "no-such-matter", "--port", port)
    assert (code, out) == (3, "no matter has the id 'no-such-matter'\n")


def test_kioskctl_ticket_issue_paper_out_then_unprinted_then_reprint(
        emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]], port: str) -> None:
    emulator.set_state("paper_out")
    code, out, _ = ctl("ticket", "issue", "general", "--print", "--port", port)
    assert code == 0  # the number is issued; the ticket is not printed
    assert out.startswith("A001  综合受理 / General Window") and "NOT printed" in out
    assert "缺纸" in out and "out of paper" in out and "号码仍然有效" in out
    assert emulator.received == b""

    code, out, _ = ctl("ticket", "unprinted", "--json")
    assert code == 0
    assert [(p["day"], p["number"], p["reason"]) for p in json.loads(out)] == [("2026-11-24", "A001", "paper_out")]
    code, out, _ = ctl("ticket", "unprinted")
    assert (code, out.split()) == (0, ["2026-11-24", "A001", "paper_out"])

    # Still out of paper: the reprint fails and says so.
    code, out, _ = ctl("ticket", "reprint", "A001", "--port", port, "--json")
    assert code == 3
    data = json.loads(out)
    assert (data["number"], data["printed"], data["error"]) == ("A001", False, "paper_out")

    emulator.set_state("ok")
    code, out, _ = ctl("ticket", "reprint", "A001", "--port", port)
    assert (code, out) == (0, "A001: printed\n")
    assert printed_numbers(emulator.received) == ["A001"]
    assert decode(emulator.received).qr_codes[0].payload == URL.format("A001")
    assert ctl("ticket", "unprinted") == (0, "every ticket was printed\n", "")
    assert json.loads(ctl("ticket", "unprinted", "--json")[1]) == []

    code, out, _ = ctl("ticket", "issue", "general", "--print", "--port", port)
    assert code == 0 and out.startswith("A002  ") and out.rstrip().endswith("printed") and "NOT" not in out
    assert printed_numbers(emulator.received) == ["A001", "A002"]


def test_kioskctl_reprint_unknown_number_exits_3(emulator: PtyPrinterEmulator,
                                                 ctl: Callable[..., tuple[int, str, str]], port: str) -> None:
    code, out, err = ctl("ticket", "reprint", "A123", "--port", port)
    assert (code, out) == (3, "") and err.startswith("ticket_not_found")
    assert emulator.received == b""


def test_kioskctl_ticket_issue_print_json_says_whether_it_printed(
        emulator: PtyPrinterEmulator, ctl: Callable[..., tuple[int, str, str]], port: str) -> None:
    emulator.set_state("paper_out")
    code, out, _ = ctl("ticket", "issue", "general", "--print", "--port", port, "--json")
    data = json.loads(out)
    assert code == 0 and data["number"] == "A001"
    assert (data["printed"], data["error"]) == (False, "paper_out")


def test_kioskctl_sample_ticket_is_the_ticket_document(emulator: PtyPrinterEmulator,
                                                       ctl: Callable[..., tuple[int, str, str]], port: str,
                                                       config: KioskConfig) -> None:
    """What ``printer test`` prints is the kiosk's own ticket layout (same document builder)."""
    from kiosk.ticket import sample_ticket

    assert ctl("printer", "test", "--port", port)[0] == 0
    document = ticket_document(sample_ticket(config, TUESDAY_10), config)
    settings = EscPosSettings.from_config(config.kiosk.printer)
    assert emulator.received == encode(document, settings)
