"""SerialTransport and EscPosPrinter against the printer emulator: on a pty behind a symlink (like a udev
symlink), over pyserial's ``socket://`` and ``loop://``. Loopback only; no test asserts elapsed time (a
watchdog only notices a hang)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.printer.escpos import EscPosSettings, encode
from drivers.printer.escpos_printer import EscPosPrinter
from drivers.printer.serial import SerialSettings, SerialTransport, status_from_answers
from kiosk.assembly import printer_for
from kiosk.config import KioskConfig, load_config
from kiosk.devices.document import Document
from kiosk.devices.printer import CoverOpen, PaperOut, PrinterError, PrinterOffline, PrinterStatus, print_checked
from kiosk.ticket import ticket_document

from .decoder import decode
from .documents import make_ticket
from .emulator import STATES, PrinterModel, PtyPrinterEmulator, TcpPrinterEmulator
from .helpers import SHORT_TIMEOUT, run_with_watchdog

EXPECTED = {
    "ok": PrinterStatus.OK,
    "near_end": PrinterStatus.PAPER_NEAR_END,
    "paper_out": PrinterStatus.PAPER_OUT,
    "cover_open": PrinterStatus.COVER_OPEN,
    "offline": PrinterStatus.OFFLINE,
    "error": PrinterStatus.OFFLINE,
}
FAULTS = [("paper_out", PaperOut), ("cover_open", CoverOpen), ("offline", PrinterOffline),
          ("error", PrinterOffline), ("silent", PrinterOffline)]

@pytest.fixture
def ticket_doc(config: KioskConfig) -> Document:
    return ticket_document(make_ticket(), config)


@pytest.fixture
def printer(transport: SerialTransport, escpos_settings: EscPosSettings) -> EscPosPrinter:
    return EscPosPrinter(transport, escpos_settings)


# -- the emulator itself -------------------------------------------------------------------------------------

def test_emulator_answers_queries_split_across_reads_and_records_only_data() -> None:
    model = PrinterModel()
    answers = b""
    for piece in (b"ab\x10", b"\x04", b"\x02cd\x10\x04", b"\x04\x10x\x10\x04\x09"):
        answers += model.feed(piece)[0]
    assert answers == bytes([0x12, 0x12])
    assert model.queries == [2, 4]
    # DLE followed by something else, and DLE EOT with n outside 1..4, are print data.
    assert model.received == b"abcd\x10x\x10\x04\x09"


@pytest.mark.parametrize("state", [s for s in STATES if s != "silent"])
def test_emulator_status_bytes_mean_its_state(state: str) -> None:
    model = PrinterModel()
    model.set_state(state)
    answers = [model.status_byte(n) for n in (1, 2, 3, 4)]
    assert all(a & 0x93 == 0x12 for a in answers)
    assert status_from_answers(*answers) is EXPECTED[state]


def test_emulator_silent_answers_nothing() -> None:
    model = PrinterModel()
    model.set_state("silent")
    assert model.feed(b"\x10\x04\x01") == (b"", False)


# -- status in each state -------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(EXPECTED))
def test_status_in_each_state(emulator: PtyPrinterEmulator, transport: SerialTransport, state: str) -> None:
    emulator.set_state(state)
    assert transport.status() is EXPECTED[state]
    assert emulator.model.queries == [1, 2, 3, 4]
    assert emulator.received == b""  # status queries are not print data


def test_each_status_byte_is_read_back(emulator: PtyPrinterEmulator, transport: SerialTransport) -> None:
    emulator.set_state("paper_out")
    assert [transport.query(n) for n in (1, 2, 3, 4)] == [emulator.model.status_byte(n) for n in (1, 2, 3, 4)]


@pytest.mark.parametrize(("flags", "expected"), [
    ({"cover_open": True, "paper": "out"}, PrinterStatus.COVER_OPEN),
    ({"paper": "out", "error": True}, PrinterStatus.PAPER_OUT),
    ({"paper": "near_end", "offline": True}, PrinterStatus.OFFLINE),
    ({"paper": "near_end", "cover_open": True}, PrinterStatus.COVER_OPEN),
])
def test_the_most_serious_fault_wins(emulator: PtyPrinterEmulator, transport: SerialTransport,
                                     flags: dict, expected: PrinterStatus) -> None:
    for name, value in flags.items():
        setattr(emulator.model, name, value)
    assert transport.status() is expected


def test_state_changes_are_seen_by_the_same_transport(emulator: PtyPrinterEmulator,
                                                      transport: SerialTransport) -> None:
    for state in ("ok", "cover_open", "near_end", "paper_out", "ok"):
        emulator.set_state(state)
        assert transport.status() is EXPECTED[state]


# -- a printer that stops answering --------------------------------------------------------------------------------

def test_silent_printer_is_offline_and_never_hangs(emulator: PtyPrinterEmulator,
                                                   make_transport: Callable[..., SerialTransport],
                                                   escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    transport = make_transport(timeout=SHORT_TIMEOUT)
    emulator.set_state("silent")
    with pytest.raises(PrinterOffline, match="no answer to DLE EOT 1"):
        run_with_watchdog(transport.status)
    for n in (1, 2, 3, 4):
        with pytest.raises(PrinterOffline):
            run_with_watchdog(lambda n=n: transport.query(n))
    printer = EscPosPrinter(transport, escpos_settings)
    assert run_with_watchdog(printer.status) is PrinterStatus.OFFLINE
    check = run_with_watchdog(lambda: print_checked(printer, ticket_doc))
    assert isinstance(check.error, PrinterOffline) and (check.before, check.after) == ("offline", "offline")
    assert emulator.received == b""  # nothing is sent to a printer that does not answer
    # It answers again: the same transport works.
    emulator.set_state("ok")
    assert run_with_watchdog(transport.status) is PrinterStatus.OK


def test_printer_that_stops_taking_data_gives_offline_on_write(emulator: PtyPrinterEmulator,
                                                               make_transport: Callable[..., SerialTransport]) -> None:
    """Its buffer is full / it holds off the line: the write times out instead of blocking forever."""
    transport = make_transport(timeout=SHORT_TIMEOUT)
    assert transport.status() is PrinterStatus.OK
    emulator.pause()
    with pytest.raises(PrinterOffline, match="write timed out"):
        run_with_watchdog(lambda: transport.write(b"x" * 1_000_000))
    emulator.resume()
    assert run_with_watchdog(transport.status) is PrinterStatus.OK


def test_a_port_that_does_not_exist_is_offline(tmp_path: Path, make_transport: Callable[..., SerialTransport]) -> None:
    transport = make_transport(tmp_path / "dev" / "ttyNOTHING", timeout=SHORT_TIMEOUT)
    with pytest.raises(PrinterOffline, match="cannot open"):
        transport.status()
    with pytest.raises(PrinterOffline, match="cannot open"):
        transport.write(b"x")


# -- printing ----------------------------------------------------------------------------------------------------

def test_printed_ticket_bytes_are_the_encoders_output(emulator: PtyPrinterEmulator, printer: EscPosPrinter,
                                                      escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    printer.print(ticket_doc)
    data = encode(ticket_doc, escpos_settings)
    assert emulator.received == data
    assert decode(emulator.received).qr_codes[0].payload.endswith("number=A023")
    assert emulator.model.queries == [1, 2, 3, 4]  # the status after it (callers read the one before)


def test_two_tickets_from_two_threads_are_not_interleaved(emulator: PtyPrinterEmulator, printer: EscPosPrinter,
                                                           escpos_settings: EscPosSettings,
                                                           config: KioskConfig) -> None:
    docs = [ticket_document(make_ticket(f"A{n:03d}"), config) for n in (1, 2)]
    threads = [threading.Thread(target=printer.print, args=(doc,)) for doc in docs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    one, two = (encode(doc, escpos_settings) for doc in docs)
    assert emulator.received in (one + two, two + one)


@pytest.mark.parametrize(("state", "error"), FAULTS)
def test_print_in_a_fault_state_raises_and_sends_nothing(emulator: PtyPrinterEmulator,
                                                         make_transport: Callable[..., SerialTransport],
                                                         escpos_settings: EscPosSettings, ticket_doc: Document,
                                                         state: str, error: type[PrinterError]) -> None:
    """Read before printing (as every caller does): a printer that cannot print is sent nothing, which it
    would otherwise print long after, when repaired."""
    printer = EscPosPrinter(make_transport(timeout=SHORT_TIMEOUT), escpos_settings)
    emulator.set_state(state)
    check = run_with_watchdog(lambda: print_checked(printer, ticket_doc))
    assert type(check.error) is error and not check.printed
    assert "号码仍然有效" in check.error.message("zh") and "still valid" in check.error.message("en")
    assert check.error.cause("zh") != PrinterError().cause("zh") and check.error.cause("en") != PrinterError().cause("en")
    assert emulator.received == b""
    # print() itself reads the state after sending: the fault is raised all the same.
    with pytest.raises(error):
        run_with_watchdog(lambda: printer.print(ticket_doc))


def test_paper_near_end_prints_and_warns(emulator: PtyPrinterEmulator, printer: EscPosPrinter,
                                         escpos_settings: EscPosSettings, ticket_doc: Document,
                                         caplog: pytest.LogCaptureFixture) -> None:
    emulator.set_state("near_end")
    with caplog.at_level(logging.WARNING, logger="drivers.printer"):
        assert printer.status() is PrinterStatus.PAPER_NEAR_END
        printer.print(ticket_doc)
    assert emulator.received == encode(ticket_doc, escpos_settings)
    assert any("paper near end" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_paper_runs_out_during_the_print(emulator: PtyPrinterEmulator, printer: EscPosPrinter,
                                         escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    emulator.model.paper_runs_out_after(200)
    with pytest.raises(PaperOut):
        printer.print(ticket_doc)
    assert emulator.received == encode(ticket_doc, escpos_settings)  # it took the data, then ran out
    assert printer.status() is PrinterStatus.PAPER_OUT


# -- unplugged and plugged in again -------------------------------------------------------------------------------

def test_unplugged_before_first_use_then_replugged(emulator: PtyPrinterEmulator, transport: SerialTransport) -> None:
    emulator.unplug()
    assert not emulator.link.exists() and not emulator.link.is_symlink()  # the device node is gone
    with pytest.raises(PrinterOffline, match="cannot open"):
        transport.status()
    emulator.replug()
    assert transport.status() is PrinterStatus.OK


def test_unplugged_while_open_write_fails_then_same_transport_reconnects(
        emulator: PtyPrinterEmulator, transport: SerialTransport, escpos_settings: EscPosSettings,
        ticket_doc: Document) -> None:
    assert transport.status() is PrinterStatus.OK
    emulator.unplug()
    data = encode(ticket_doc, escpos_settings)
    # a write to the vanished port: it fails, and the one reopening attempt finds no device
    with pytest.raises(PrinterOffline, match="write failed|cannot open"):
        run_with_watchdog(lambda: transport.write(data))
    with pytest.raises(PrinterOffline, match="cannot open"):
        transport.status()  # still unplugged
    emulator.replug()
    printer = EscPosPrinter(transport, escpos_settings)  # the same transport object, not recreated
    assert transport.status() is PrinterStatus.OK
    printer.print(ticket_doc)
    assert emulator.received == data


def test_unplugged_mid_ticket_is_offline(emulator: PtyPrinterEmulator, transport: SerialTransport,
                                         escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    printer = EscPosPrinter(transport, escpos_settings)
    data = encode(ticket_doc, escpos_settings)
    emulator.model.unplug_after(200)
    with pytest.raises(PrinterOffline):
        run_with_watchdog(lambda: printer.print(ticket_doc))
    assert emulator.received == data[:200]  # the printer got part of the ticket
    assert emulator.model.lost == data[200:]
    assert not emulator.plugged and not emulator.link.is_symlink()
    with pytest.raises(PrinterOffline):
        transport.status()
    emulator.replug()
    emulator.model.clear()
    printer.print(ticket_doc)  # the reprint goes through on the same transport
    assert emulator.received == data


def test_status_of_a_printer_unplugged_while_idle_is_offline(emulator: PtyPrinterEmulator,
                                                             transport: SerialTransport) -> None:
    assert transport.status() is PrinterStatus.OK
    emulator.unplug()
    with pytest.raises(PrinterOffline):
        transport.status()


def test_printer_status_after_idle_unplug_is_offline(emulator: PtyPrinterEmulator, printer: EscPosPrinter) -> None:
    assert printer.status() is PrinterStatus.OK
    emulator.unplug()
    assert printer.status() is PrinterStatus.OFFLINE


def test_idle_unplug_and_replug_the_next_status_is_ok(emulator: PtyPrinterEmulator,
                                                      transport: SerialTransport) -> None:
    assert transport.status() is PrinterStatus.OK
    emulator.unplug()
    emulator.replug()
    assert transport.status() is PrinterStatus.OK


# -- line settings from the configuration ----------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "expected"), [
    ({"baudrate": 9600}, (9600, 1, False, False)),
    ({"baudrate": 115200, "stopbits": 2}, (115200, 2, False, False)),
    ({"baudrate": 19200, "flow_control": "rtscts"}, (19200, 1, True, False)),
    ({"baudrate": 38400, "flow_control": "xonxoff"}, (38400, 1, False, True)),
])
def test_line_settings_reach_the_port(emulator: PtyPrinterEmulator, make_transport: Callable[..., SerialTransport],
                                      settings: dict, expected: tuple) -> None:
    """Read back from the pty's termios (a pty keeps no parity bit, so parity cannot be checked here)."""
    transport = make_transport(**settings)
    assert transport.status() is PrinterStatus.OK
    line = emulator.line_settings()
    assert (line.baudrate, line.stopbits, line.rtscts, line.xonxoff) == expected


def test_kiosk_toml_escpos_driver_prints_on_the_configured_port(
        emulator: PtyPrinterEmulator, config_dir: Path, state_dir: Path, edit: Callable[..., None],
        ticket_doc: Document) -> None:
    kiosk_toml = config_dir / "kiosk.toml"
    edit(kiosk_toml, 'driver = "simulated"\n# Simulated', 'driver = "escpos"\n# Simulated')
    edit(kiosk_toml, 'port = "/dev/ttyUSB0"', f'port = "{emulator.link}"')
    edit(kiosk_toml, "paper_width_mm = 80", "paper_width_mm = 58")
    edit(kiosk_toml, "baudrate = 9600", "baudrate = 19200")
    config = load_config(config_dir)
    printer = printer_for(config)
    assert isinstance(printer, EscPosPrinter)
    assert printer.settings == EscPosSettings(columns=32, qr_module_size=6, qr_error_correction="M", cut="partial")
    assert printer.transport.settings == SerialSettings(str(emulator.link), 19200, "none", 1, "none", 2.0)
    try:
        assert printer.status() is PrinterStatus.OK
        assert emulator.line_settings().baudrate == 19200
        printer.print(ticket_doc)
    finally:
        printer.transport.close()
    assert emulator.received == encode(ticket_doc, EscPosSettings(columns=32))


# -- pyserial URLs ------------------------------------------------------------------------------------------------

def test_status_over_socket_url(tcp_emulator: TcpPrinterEmulator,
                                make_transport: Callable[..., SerialTransport]) -> None:
    """Every state through one ``socket://`` transport (pyserial waits 0.3 s in each socket close)."""
    transport = make_transport(tcp_emulator.url)
    for state, expected in EXPECTED.items():
        tcp_emulator.model.set_state(state)
        assert transport.status() is expected, state


def test_ticket_over_socket_url(tcp_emulator: TcpPrinterEmulator, make_transport: Callable[..., SerialTransport],
                                escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    transport = make_transport(tcp_emulator.url)
    EscPosPrinter(transport, escpos_settings).print(ticket_doc)
    assert tcp_emulator.model.received == encode(ticket_doc, escpos_settings)
    tcp_emulator.model.set_state("silent")
    with pytest.raises(PrinterOffline, match="no answer"):
        run_with_watchdog(make_transport(tcp_emulator.url, timeout=SHORT_TIMEOUT).status)


def test_socket_url_with_nobody_listening_is_offline(make_transport: Callable[..., SerialTransport]) -> None:
    server = TcpPrinterEmulator()
    url = server.url
    server.close()
    with pytest.raises(PrinterOffline, match="cannot open"):
        run_with_watchdog(make_transport(url, timeout=SHORT_TIMEOUT).status)


def test_loop_url_echo_is_not_taken_for_a_printer(make_transport: Callable[..., SerialTransport]) -> None:
    """``loop://`` echoes every byte (like a loopback plug): the echo of DLE EOT is no status byte."""
    transport = make_transport("loop://", timeout=SHORT_TIMEOUT)
    transport.write(b"hello")  # writing works
    with pytest.raises(PrinterOffline, match="unexpected answer 0x10"):
        transport.status()


# -- a slow line ----------------------------------------------------------------------------------------------------

def test_ticket_on_a_slow_line_with_the_shipped_timeout(make_emulator: Callable[..., PtyPrinterEmulator],
                                                        make_transport: Callable[..., SerialTransport],
                                                        config: KioskConfig, escpos_settings: EscPosSettings,
                                                        ticket_doc: Document) -> None:
    baud, timeout = 2400, config.kiosk.printer.timeout_seconds
    emulator = make_emulator(pace_baud=baud)
    data = encode(ticket_doc, escpos_settings)
    assert len(data) * 10 / baud > timeout  # the premise: the transfer takes longer than one status answer may
    EscPosPrinter(make_transport(baudrate=baud, timeout=timeout), escpos_settings).print(ticket_doc)
    assert emulator.received == data


def test_paced_emulator_receives_a_ticket_whole(make_emulator: Callable[..., PtyPrinterEmulator],
                                                make_transport: Callable[..., SerialTransport],
                                                escpos_settings: EscPosSettings, ticket_doc: Document) -> None:
    emulator = make_emulator(pace_baud=115200)
    EscPosPrinter(make_transport(baudrate=115200), escpos_settings).print(ticket_doc)
    assert emulator.received == encode(ticket_doc, escpos_settings)
