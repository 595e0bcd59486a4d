"""What staff check on a kiosk: printer, card reader, hall server, outbox, disk, configuration, the running
app, recent problems in its log, tickets waiting for a reprint, and a test print.

``kioskctl status`` and the maintenance screen both gather their report here. Every function may block
(devices, network, files): the app calls them off its UI thread.
"""

from __future__ import annotations

import platform
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.backend.catalog_sync import CatalogueReport, catalogue_report
from kiosk.config import KioskConfig
from kiosk.config_store import ConfigStore
from kiosk.devices.printer import PrintCheck, print_checked
from kiosk.identity import mask_id_number
from kiosk.queue.staff_calls import CallKind, StaffCall
from kiosk.runtime import read_status
from kiosk.ticket import sample_ticket, ticket_document

if TYPE_CHECKING:
    from kiosk.assembly import LocalStore
    from kiosk.backend.resilient import Outbox
    from kiosk.devices.card import CardReader
    from kiosk.devices.printer import TicketPrinter

LOG_FILE = Path("logs") / "kiosk.log"  # in the state folder (screens/main.py: setup_logging("kiosk", ...))
_TAIL_BYTES = 256 * 1024
_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (CRITICAL|ERROR|WARNING|INFO|DEBUG) ([\w.]+): ?(.*)$")
# Anything that looks like an ID number: the log is masked already; this keeps it so should a record slip.
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


@dataclass(frozen=True)
class PrinterReport:
    driver: str
    port: str
    status: str  # a PrinterStatus value
    can_print: bool


@dataclass(frozen=True)
class ReaderReport:
    driver: str
    state: str  # a ReaderState value, or "simulated" when kioskctl looks at a simulated reader
    detail: str = ""


@dataclass(frozen=True)
class HallReport:
    configured: bool
    url: str
    reachable: bool
    state: str


@dataclass(frozen=True)
class OutboxReport:
    pending: int
    dead: int
    series: str
    state: str


@dataclass(frozen=True)
class DiskReport:
    path: str
    free_mb: int
    total_mb: int


@dataclass(frozen=True)
class ConfigReport:
    dir: str
    version: str
    saved_versions: int


@dataclass(frozen=True)
class AppReport:
    pid: int
    started_at: str
    uptime_s: int
    config_version: str
    config_error: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusReport:
    """Everything ``kioskctl status`` prints and the maintenance screen shows."""

    version: str
    host: str
    kiosk_id: str
    printer: PrinterReport
    card_reader: ReaderReport
    hall_server: HallReport
    outbox: OutboxReport
    disk: DiskReport
    config: ConfigReport
    app: AppReport | None
    unprinted: int
    catalogue: CatalogueReport  # the service guides in use: synced from the hall server, or services.toml
    alerts: list[str] = field(default_factory=list)  # what staff must act on now (see ``alerts_of``)


def staff_call_alert(call: StaffCall, config: KioskConfig) -> str:
    """One open call for staff, as staff read it."""
    at = call.raised_at.astimezone(config.timezone).strftime("%m-%d %H:%M")
    what = (f"a citizen asks for staff at the screen '{call.detail_text('en')}'" if call.kind is CallKind.HELP
            else f"a ticket did not print: {call.detail_text('en')}")
    return f"call {call.id} at {at}: {what} (answered with kioskctl staff-calls answer {call.id})"


def alerts_of(printer: PrinterReport, unprinted: int, calls: list[str] | None = None) -> list[str]:
    """What staff must act on now, one sentence each: calls for staff (``staff_call_alert``), a printer that
    cannot print (citizens get their numbers on screen only) and numbers that never came out on paper."""
    alerts = list(calls or [])
    if not printer.can_print:
        alerts.append(f"the printer cannot print ({printer.status}): citizens get their numbers on screen only")
    if unprinted:
        alerts.append(f"{unprinted} number(s) issued but not printed: the citizens have them on screen only "
                      "(kioskctl ticket unprinted, kioskctl ticket reprint)")
    return alerts


def printer_report(config: KioskConfig, printer: TicketPrinter) -> PrinterReport:
    cfg = config.kiosk.printer
    status = printer.status()
    return PrinterReport(cfg.driver, cfg.port if cfg.driver == "escpos" else "", status.value, status.can_print)


def reader_report(config: KioskConfig, reader: CardReader | None = None) -> ReaderReport:
    """The running app's ``reader`` as it sees it; without one (kioskctl), whether pcscd has the configured
    reader (pyscard is imported only then)."""
    cfg = config.kiosk.card_reader
    if reader is not None:
        return ReaderReport(cfg.driver, reader.status().value)
    if cfg.driver == "simulated":
        return ReaderReport(cfg.driver, "simulated", "demo cards on the screen")
    from kiosk.assembly import pcsc_readers
    from kiosk.devices.card import CardError, ReaderState

    try:
        readers = pcsc_readers(config)
    except CardError as exc:
        return ReaderReport(cfg.driver, ReaderState.NO_READER.value, exc.detail)
    match = next((r for r in readers if r.selected), None)
    if match is None:
        return ReaderReport(cfg.driver, ReaderState.NO_READER.value,
                            f"no reader matches '{cfg.reader}' (pcscd lists {len(readers)})")
    state = ReaderState.CARD_PRESENT if match.card_present else ReaderState.READY
    return ReaderReport(cfg.driver, state.value, match.name)


def hall_report(config: KioskConfig) -> HallReport:
    """Whether the hall server answers its health check (within the configured timeouts)."""
    backend = config.kiosk.backend
    if backend.queue != "hall":
        return HallReport(False, "", False, "standalone (embedded SQLite store)")
    import requests

    url = backend.hall_url.rstrip("/") + "/api/v1/health"
    try:
        response = requests.get(url, timeout=(backend.connect_timeout_seconds, backend.read_timeout_seconds),
                                verify=backend.ca_file or True)
        reachable, state = response.ok, "reachable" if response.ok else f"answers HTTP {response.status_code}"
    except requests.RequestException as exc:
        reachable, state = False, f"unreachable ({type(exc).__name__})"
    return HallReport(True, backend.hall_url, reachable, f"{backend.hall_url}: {state}")


def outbox_report(config: KioskConfig, outbox: Outbox | None) -> OutboxReport:
    """Numbers and ratings made while the hall server was away, waiting for it (or refused by it)."""
    if outbox is None:
        return OutboxReport(0, 0, "", "no outbox (no offline numbering configured)")
    series = config.kiosk.backend.offline_series
    pending, dead = outbox.pending_count(), len(outbox.dead())
    return OutboxReport(pending, dead, series,
                        f"{pending} waiting for the hall server, {dead} refused by it (series {series})")


def disk_report(state_dir: Path) -> DiskReport:
    disk = shutil.disk_usage(state_dir if state_dir.exists() else state_dir.parent)
    return DiskReport(str(state_dir), disk.free // 2**20, disk.total // 2**20)


def config_report(folder: Path) -> ConfigReport:
    store = ConfigStore(folder)
    return ConfigReport(str(folder), store.version(), len(store.history()))


def app_report(state_dir: Path, now: datetime | None = None) -> AppReport | None:
    """The running app (from its status file), or None when none runs."""
    app = read_status(state_dir)
    if app is None:
        return None
    uptime = (now or datetime.now(UTC)) - datetime.fromisoformat(app.started_at)
    return AppReport(app.pid, app.started_at, int(uptime.total_seconds()), app.config_version, list(app.config_error))


def status_report(config: KioskConfig, printer: TicketPrinter, store: LocalStore,
                  reader: CardReader | None = None) -> StatusReport:
    """The whole report; ``printer``, ``store`` and ``reader`` are the running app's, or kioskctl's own."""
    state_dir = config.state_dir()
    printer_state, unprinted = printer_report(config, printer), len(store.reprints.pending())
    return StatusReport(
        version=__version__, host=platform.node(), kiosk_id=config.kiosk.kiosk.id,
        printer=printer_state, card_reader=reader_report(config, reader),
        hall_server=hall_report(config), outbox=outbox_report(config, store.outbox), disk=disk_report(state_dir),
        config=config_report(config.source_dir), app=app_report(state_dir), unprinted=unprinted,
        catalogue=catalogue_report(state_dir, hall=config.kiosk.backend.queue == "hall"),
        alerts=alerts_of(printer_state, unprinted,
                         [staff_call_alert(c, config) for c in store.staff_calls.open_calls()]))


@dataclass(frozen=True)
class LogEntry:
    """One warning or error from the app's log (local time as logged)."""

    time: str
    level: str
    logger: str
    message: str


def _tail_lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - _TAIL_BYTES))
            data = fh.read()
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if size > _TAIL_BYTES else lines  # the first line may be cut


def _masked(text: str) -> str:
    return _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)


def _problems_in(path: Path) -> list[LogEntry]:
    """Warnings and errors of one log file, oldest first; the lines after a record (a traceback) are its."""
    records: list[tuple[re.Match[str], list[str]]] = []
    for line in _tail_lines(path):
        m = _RECORD.match(line)
        if m:
            records.append((m, [m.group(4)]))
        elif records:
            records[-1][1].append(line)
    return [LogEntry(m.group(1), m.group(2), m.group(3), _masked("\n".join(lines).rstrip()))
            for m, lines in records if m.group(2) in ("CRITICAL", "ERROR", "WARNING")]


def recent_problems(state_dir: Path, limit: int = 30) -> list[LogEntry]:
    """The last ``limit`` warnings and errors of the app's log, newest first: from the current file and, when
    it holds too few, from the one rotated before it."""
    log_file = state_dir / LOG_FILE
    entries: list[LogEntry] = []
    for path in (log_file, log_file.with_name(log_file.name + ".1")):
        entries += reversed(_problems_in(path))
        if len(entries) >= limit:
            break
    return entries[:limit]


def print_test_ticket(config: KioskConfig, printer: TicketPrinter, now: datetime) -> PrintCheck:
    """Print a sample ticket (number 000 of the first group, never issued) and check the printer around it."""
    return print_checked(printer, ticket_document(sample_ticket(config, now), config))

