"""The kiosk's queue from its configuration: in-process (embedded SQLite) or the hall server over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.backend.catalog_sync import CatalogSync
from kiosk.backend.hall_client import HallClient
from kiosk.clock import Clock, utc_now
from kiosk.config import KioskConfig, ServicesFile
from kiosk.errors import KioskError
from kiosk.queue.appointments import AppointmentDesk
from kiosk.queue.progress import ProgressLookup
from kiosk.queue.ratings import RatingDesk
from kiosk.queue.service import QueueService
from kiosk.queue.suite import suite_on
from kiosk.services import embedded_queue
from kiosk.state import StateDir

if TYPE_CHECKING:
    from kiosk.backend.resilient import Outbox
    from kiosk.backend.sync import OutboxWorker

TOKEN_FILE = "hall-token"


class HallTokenMissing(KioskError):
    code = "hall_token_missing"


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
    backend = config.kiosk.backend
    return HallClient(backend.hall_url, hall_token(config), connect_timeout=backend.connect_timeout_seconds,
                      read_timeout=backend.read_timeout_seconds, ca_file=backend.ca_file, retries=backend.retries,
                      backoff=backend.retry_backoff_seconds, budget=backend.request_budget_seconds)


def queue_for_config(config: KioskConfig, clock: Clock = utc_now) -> QueueService:
    """``[backend] queue``: "embedded" runs the service layer in-process, "hall" asks the hall server (with
    ``offline_series``: falling back to the kiosk's own offline series, see ``kiosk.backend.resilient``)."""
    if config.kiosk.backend.queue == "hall":
        return hall_services(config, hall_client(config), clock)[0]
    return embedded_queue(config, clock=clock)


def hall_services(config: KioskConfig, client: HallClient, clock: Clock = utc_now
                  ) -> tuple[QueueService, AppointmentDesk, RatingDesk, OutboxWorker | None]:
    """A hall kiosk's queue, check-in and ratings over one client. With ``offline_series`` they keep working
    while the hall server cannot be reached, through one outbox and the worker that delivers it (issue 7)."""
    backend = config.kiosk.backend
    if not backend.offline_series:
        return client, client, client, None
    from kiosk.backend.resilient import OutboxRatings, ResilientAppointments, ResilientQueue
    from kiosk.backend.sync import OutboxWorker

    queue = ResilientQueue(client, embedded_queue(config, clock=clock), backend.offline_series,
                           probe_seconds=backend.hall_probe_seconds)
    appointments = ResilientAppointments(queue)
    worker = OutboxWorker(queue, retry_min=backend.outbox_retry_min_seconds, retry_max=backend.outbox_retry_max_seconds,
                          probe_seconds=backend.hall_probe_seconds,
                          housekeeping_seconds=backend.appointments_copy_seconds, refresh=appointments.refresh)
    return queue, appointments, OutboxRatings(queue), worker


@dataclass(frozen=True)
class KioskBackend:
    """Every service the kiosk app asks for, in-process (embedded) or from the hall server."""

    queue: QueueService
    appointments: AppointmentDesk
    progress: ProgressLookup
    ratings: RatingDesk
    # The service guides (groups and matters) the kiosk shows: its own services.toml, or on a hall kiosk the
    # catalogue last synced from the hall server.
    catalogue: Callable[[], ServicesFile]
    # On a hall kiosk: keeps ``catalogue`` up to date with the hall server's (a background thread).
    catalog_sync: CatalogSync | None = None
    # On a hall kiosk with offline_series: delivers the outbox in the background (``worker.state()``).
    worker: OutboxWorker | None = None

    @property
    def outbox(self) -> Outbox | None:
        """A hall kiosk's outbox (``pending()``, ``dead()``, ``retry(id)``, ``drop(id)``); None without one."""
        return getattr(self.queue, "outbox", None)

    @property
    def offline(self) -> bool:
        """True while the hall server cannot be reached and the kiosk works from its own store."""
        return bool(getattr(self.queue, "offline", False))

    def start(self) -> None:
        """Start the background work of this backend (none yet for the embedded one)."""
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
        for service in {id(s): s for s in (self.queue, self.appointments, self.progress, self.ratings)}.values():
            close = getattr(service, "close", None)
            if callable(close):
                close()


def backend_for_config(config: KioskConfig, clock: Clock = utc_now) -> KioskBackend:
    """The services ``[backend]`` names: the embedded service layer, or the hall server's API."""
    if config.kiosk.backend.queue == "hall":
        client = hall_client(config)
        sync = CatalogSync(client, config.services, StateDir.for_config(config).root,
                           config.kiosk.backend.catalogue_sync_seconds)
        queue, appointments, ratings, worker = hall_services(config, client, clock)
        return KioskBackend(queue, appointments, client, ratings, sync.services, sync, worker)
    suite = suite_on(embedded_queue(config, clock=clock))
    return KioskBackend(suite.queue, suite.appointments, suite.progress, suite.ratings, lambda: config.services)
