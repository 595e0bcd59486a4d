"""Wiring of the embedded queue from a configuration: one place that opens the store."""

from __future__ import annotations

from kiosk.clock import Clock, utc_now
from kiosk.config import KioskConfig
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.state import StateDir


def embedded_queue(config: KioskConfig, clock: Clock = utc_now) -> LocalQueueService:
    """The queue on the kiosk's own SQLite file in its state folder."""
    state = StateDir.for_config(config)
    engine = open_engine(sqlite_url(state.database))
    return LocalQueueService(engine, config, id_salt=state.id_salt(), clock=clock)
