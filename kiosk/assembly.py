"""The composition root: a whole kiosk built from one configuration.

This is the only module of the core that imports ``drivers/``. The app, ``kioskctl``, the benchmarks and the
tests' fixtures build their kiosk here; a configuration reload builds a new ``Kiosk`` and swaps it in whole
between citizens' sessions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from kiosk.backend.catalog_sync import CatalogSync
from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import Outbox, OutboxRatings, ResilientAppointments, ResilientQueue
from kiosk.backend.sync import OutboxWorker
from kiosk.clock import Clock, utc_now
from kiosk.config import AccessibilityConfig, KioskConfig, ServicesFile
from kiosk.desk import TicketDesk
from kiosk.devices.card import CardListener, CardReader, ReaderSighting, reader_matches
from kiosk.devices.printer import TicketPrinter
from kiosk.devices.speech import NullSpeaker, Speaker
from kiosk.errors import KioskError
from kiosk.hours import OpeningHours
from kiosk.queue.appointments import AppointmentDesk
from kiosk.queue.progress import ProgressLookup
from kiosk.queue.ratings import RatingDesk
from kiosk.queue.reprints import ReprintLog
from kiosk.queue.service import LocalQueueService, QueueService
from kiosk.queue.staff_calls import StaffCallLog
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.queue.suite import ServiceSuite, suite_on
from kiosk.staff_call import StaffCaller
from kiosk.state import StateDir

log = logging.getLogger(__name__)

TOKEN_FILE = "hall-token"


class HallTokenMissing(KioskError):
    code = "hall_token_missing"


# -- devices ----------------------------------------------------------------------------------------------


def printer_for(config: KioskConfig) -> TicketPrinter:
    """The ticket printer named by ``[printer]``."""
    cfg = config.kiosk.printer
    if cfg.driver == "escpos":
        from drivers.printer.escpos import EscPosSettings
        from drivers.printer.escpos_printer import EscPosPrinter
        from drivers.printer.serial import SerialSettings, SerialTransport

        return EscPosPrinter(SerialTransport(SerialSettings.from_config(cfg)), EscPosSettings.from_config(cfg))
    from drivers.printer.simulated import SimulatedPrinter

    out = Path(cfg.output_dir) if cfg.output_dir else StateDir.for_config(config).subdir("tickets")
    return SimulatedPrinter(out, cfg.paper_width_mm)


def card_reader_for(config: KioskConfig, reader_pattern: str | None = None) -> CardReader:
    """The ID card reader named by ``[card_reader]``; ``reader_pattern`` overrides its ``reader``."""
    cfg = config.kiosk.card_reader
    if cfg.driver == "pcsc":
        # Imported here: only a kiosk configured for PC/SC loads pyscard (and needs libpcsclite).
        from drivers.card.pcsc import PcscCardReader, PcscSettings

        settings = PcscSettings(cfg.reader if reader_pattern is None else reader_pattern, cfg.retry_seconds)
        # Card expiry is judged by the hall's calendar day, not the machine's time zone.
        return PcscCardReader(cfg.profiles, settings, today=lambda: datetime.now(config.timezone).date())
    from drivers.card.simulated import SimulatedCardReader

    return SimulatedCardReader()


def speaker_for(acc: AccessibilityConfig) -> Speaker:
    """espeak-ng when ``[accessibility] speech`` is on and it is installed; otherwise silence."""
    if not acc.speech:
        return NullSpeaker()
    from drivers.speech.espeak import EspeakSpeaker, espeak_available

    if not espeak_available():
        log.warning("[accessibility] speech is on but espeak-ng is not installed: no spoken prompts")
        return NullSpeaker()
    return EspeakSpeaker(acc.speech_rate, Path(acc.speech_wav_dir) if acc.speech_wav_dir else None)


def pcsc_readers(config: KioskConfig) -> list[ReaderSighting]:
    """Every reader pcscd sees, its card and the configured profiles that would read it, marked ``selected``
    where ``[card_reader].reader`` chooses it. Raises ``ReaderMissing`` when pcscd cannot be reached."""
    from drivers.card.pcsc import list_readers
    from drivers.card.profiles import profiles_for

    cfg = config.kiosk.card_reader
    readers = list_readers()
    chosen = next((r.name for r in readers if reader_matches(cfg.reader, r.name)), None)
    return [ReaderSighting(r.name, r.card_present, r.mute, r.atr, r.in_use, r.name == chosen,
                           tuple(p.id for p in profiles_for(r.atr, cfg.profiles)) if r.card_present else ())
            for r in readers]


# -- the store and the backend ----------------------------------------------------------------------------


class LocalStore:
    """The kiosk's own SQLite file, opened by one engine: its queue (the whole queue of a standalone kiosk,
    the offline series of a hall kiosk), the record of unprinted tickets, its calls for staff and, on a hall kiosk
    with offline numbering, the outbox."""

    def __init__(self, config: KioskConfig, clock: Clock = utc_now) -> None:
        state = StateDir.for_config(config)
        self.engine: Engine = open_engine(sqlite_url(state.database))
        self.queue = LocalQueueService(self.engine, config, id_salt=state.id_salt(), clock=clock)
        self.reprints = ReprintLog(self.engine)
        self.staff_calls = StaffCallLog(self.engine, clock)
        backend = config.kiosk.backend
        self.outbox = Outbox(self.engine, clock) if backend.queue == "hall" and backend.offline_series else None

    def suite(self) -> ServiceSuite:
        """Every service of the layer on this file (a standalone kiosk's whole backend)."""
        return suite_on(self.queue)

    def close(self) -> None:
        self.engine.dispose()


def hall_token(config: KioskConfig) -> str:
    """The kiosk's device token: ``[backend] token_file``, else ``<state_dir>/hall-token``."""
    path = Path(config.kiosk.backend.token_file) if config.kiosk.backend.token_file \
        else StateDir.for_config(config).root / TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError:
        token = ""
    if not token:
        raise HallTokenMissing(str(path))
    return token


def hall_client(config: KioskConfig) -> HallClient:
    """The client of the hall server that ``[backend]`` names, with this kiosk's device token."""
    backend = config.kiosk.backend
    return HallClient(backend.hall_url, hall_token(config), connect_timeout=backend.connect_timeout_seconds,
                      read_timeout=backend.read_timeout_seconds, ca_file=backend.ca_file, retries=backend.retries,
                      backoff=backend.retry_backoff_seconds, budget=backend.request_budget_seconds)


@dataclass
class KioskBackend:
    """Every service the kiosk asks for, in-process (embedded) or from the hall server."""

    queue: QueueService
    appointments: AppointmentDesk
    progress: ProgressLookup
    ratings: RatingDesk
    # The service guides (groups and matters) the kiosk shows: its own services.toml, or on a hall kiosk the
    # catalogue last synced from the hall server.
    catalogue: Callable[[], ServicesFile]
    # On a hall kiosk: keeps ``catalogue`` up to date with the hall server's (a background thread).
    catalog_sync: CatalogSync | None = None
    # On a hall kiosk with offline numbering (``queue`` is a ``ResilientQueue``): delivers the outbox in the
    # background (``worker.state()``).
    worker: OutboxWorker | None = None
    # On a hall kiosk: the hall server's client (the kiosk's calls for staff go to the hall's pages through it).
    hall: HallClient | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        """True while the hall server cannot be reached and the kiosk works from its own store."""
        return isinstance(self.queue, ResilientQueue) and self.queue.offline

    def start(self) -> None:
        """Start the background work (none for the embedded backend)."""
        if self.catalog_sync is not None:
            self.catalog_sync.start()
        if self.worker is not None:
            self.worker.start()

    def close(self) -> None:
        """Stop the background work and close connections."""
        if self.catalog_sync is not None:
            self.catalog_sync.stop()
        if self.worker is not None:
            self.worker.stop()
        for close in self.closers:
            close()


def backend_for(config: KioskConfig, store: LocalStore, clock: Clock = utc_now) -> KioskBackend:
    """The services ``[backend]`` names: the service layer on ``store``, or the hall server's API (with
    ``offline_series``: falling back to ``store``'s offline series while the hall cannot be reached)."""
    backend = config.kiosk.backend
    if backend.queue != "hall":
        suite = store.suite()
        return KioskBackend(suite.queue, suite.appointments, suite.progress, suite.ratings, lambda: config.services)
    client = hall_client(config)
    sync = CatalogSync(client, config.services, StateDir.for_config(config).root, backend.catalogue_sync_seconds)
    if not backend.offline_series:
        return KioskBackend(client, client, client, client, sync.services, sync, hall=client, closers=[client.close])
    queue = ResilientQueue(client, store.queue, backend.offline_series, outbox=store.outbox,
                           probe_seconds=backend.hall_probe_seconds)
    appointments = ResilientAppointments(queue)
    worker = OutboxWorker(queue, retry_min=backend.outbox_retry_min_seconds, retry_max=backend.outbox_retry_max_seconds,
                          probe_seconds=backend.hall_probe_seconds,
                          housekeeping_seconds=backend.appointments_copy_seconds, refresh=appointments.refresh)
    return KioskBackend(queue, appointments, client, OutboxRatings(queue), sync.services, sync, worker, client,
                        closers=[queue.close])


# -- the whole kiosk --------------------------------------------------------------------------------------


class Kiosk:
    """One kiosk: its store, backend, devices, desk and opening hours, from one configuration.

    The store and the backend are opened at once (a hall kiosk without its device token is refused here);
    each device is made when it is first used, so a ``kioskctl`` command opens only what it needs.
    ``printer``, ``reader`` and ``speaker`` replace the configured devices (tests, ``kioskctl --port``).
    """

    def __init__(self, config: KioskConfig, *, clock: Clock = utc_now, printer: TicketPrinter | None = None,
                 reader: CardReader | None = None, speaker: Speaker | None = None) -> None:
        self.config = config
        self.clock = clock
        self.state = StateDir.for_config(config)
        self.hours = OpeningHours(config.kiosk.hours, config.timezone)
        self.store = LocalStore(config, clock)
        try:
            self.backend = backend_for(config, self.store, clock)
        except BaseException:
            self.store.close()
            raise
        for name, device in (("printer", printer), ("reader", reader), ("speaker", speaker)):
            if device is not None:
                self.__dict__[name] = device  # takes the place of the cached property
        self._started = False

    @cached_property
    def printer(self) -> TicketPrinter:
        return printer_for(self.config)

    @cached_property
    def reader(self) -> CardReader:
        return card_reader_for(self.config)

    @cached_property
    def speaker(self) -> Speaker:
        return speaker_for(self.config.kiosk.accessibility)

    @cached_property
    def staff(self) -> StaffCaller:
        """Calls for staff: the citizen's help button, the alarm of a ticket that did not print."""
        return StaffCaller(self.store.staff_calls, self.config.kiosk.kiosk.id, self.backend.hall)

    @cached_property
    def desk(self) -> TicketDesk:
        return TicketDesk(self.backend.queue, self.backend.appointments, self.printer, self.config,
                          self.store.reprints, self.staff)

    @property
    def queue(self) -> QueueService:
        return self.backend.queue

    @property
    def reprints(self) -> ReprintLog:
        return self.store.reprints

    @property
    def outbox(self) -> Outbox | None:
        return self.store.outbox

    def start(self, on_card_event: CardListener) -> None:
        """Start watching the card reader (events go to ``on_card_event``) and the backend's background work."""
        self.reader.start(on_card_event)
        self.backend.start()
        self._started = True

    def close(self) -> None:
        """Stop everything this kiosk started and release its devices and database."""
        if self._started:
            self.reader.stop()
        if "staff" in self.__dict__:
            self.staff.close()
        self.backend.close()
        if "speaker" in self.__dict__:
            self.speaker.close()
        self.store.close()
