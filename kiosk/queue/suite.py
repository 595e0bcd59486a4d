"""The whole service layer on one database: queue and windows, appointments, progress, ratings, catalogue, staff calls.

A standalone kiosk opens it in-process on its SQLite file; the hall server opens the same classes on its
SQLite file or PostgreSQL. Only the transport differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from kiosk.clock import Clock, utc_now
from kiosk.config import KioskConfig
from kiosk.queue.appointments import AppointmentService
from kiosk.queue.catalog import CatalogService
from kiosk.queue.figures import HallFigures, hall_figures
from kiosk.queue.progress import ProgressService
from kiosk.queue.ratings import RatingService
from kiosk.queue.service import LocalQueueService
from kiosk.queue.staff_calls import StaffCallLog
from kiosk.queue.store import open_engine, shared_secret


@dataclass(frozen=True)
class ServiceSuite:
    queue: LocalQueueService
    appointments: AppointmentService
    progress: ProgressService
    ratings: RatingService
    catalog: CatalogService
    staff_calls: StaffCallLog

    @property
    def engine(self) -> Engine:
        return self.queue.engine

    def figures(self, day: date | None = None) -> HallFigures:
        return hall_figures(self.queue, self.ratings, day or self.queue.business_day())

    def close(self) -> None:
        self.queue.engine.dispose()


def suite_on(queue: LocalQueueService) -> ServiceSuite:
    """Every service over the queue's engine, salt and clock."""
    return ServiceSuite(queue, AppointmentService(queue), ProgressService(queue), RatingService(queue),
                        CatalogService(queue), StaffCallLog(queue.engine, queue.clock))


def open_suite(config: KioskConfig, url: str, *, id_salt: bytes | None = None, kiosk_id: str = "",
               clock: Clock = utc_now, pool_size: int = 5) -> ServiceSuite:
    """The service layer on ``url``; without ``id_salt`` the database's own shared secret salts ID hashes
    (the same for every hall-server process)."""
    engine = open_engine(url, pool_size=pool_size)
    salt = id_salt if id_salt is not None else shared_secret(engine, "id_salt")
    return suite_on(LocalQueueService(engine, config, id_salt=salt, kiosk_id=kiosk_id, clock=clock))


if TYPE_CHECKING:  # mypy checks that the in-process services keep the interfaces the HTTP client also has
    from kiosk.queue.appointments import AppointmentDesk
    from kiosk.queue.catalog import CatalogSource
    from kiosk.queue.progress import ProgressLookup
    from kiosk.queue.ratings import RatingDesk
    from kiosk.queue.service import QueueService, WindowService

    def _conforms(suite: ServiceSuite) -> None:
        _q: QueueService = suite.queue
        _w: WindowService = suite.queue
        _a: AppointmentDesk = suite.appointments
        _p: ProgressLookup = suite.progress
        _r: RatingDesk = suite.ratings
        _c: CatalogSource = suite.catalog
