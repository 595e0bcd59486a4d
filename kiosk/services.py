"""Wiring of the embedded stores from a configuration: one place that opens the kiosk's database."""

from __future__ import annotations

from kiosk.clock import Clock, utc_now
from kiosk.config import KioskConfig
from kiosk.queue.reprints import ReprintLog
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.state import StateDir


def embedded_queue(config: KioskConfig, clock: Clock = utc_now) -> LocalQueueService:
    """The queue on the kiosk's own SQLite file in its state folder."""
    state = StateDir.for_config(config)
    return LocalQueueService(open_engine(sqlite_url(state.database)), config, id_salt=state.id_salt(), clock=clock)


def embedded_reprints(config: KioskConfig) -> ReprintLog:
    """The record of unprinted tickets, in the same SQLite file."""
    return ReprintLog(open_engine(sqlite_url(StateDir.for_config(config).database)))
