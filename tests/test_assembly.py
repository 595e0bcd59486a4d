"""The composition root (kiosk.assembly): a whole kiosk from one configuration, one engine per SQLite file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.card.simulated import SimulatedCardReader
from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import HallTokenMissing, Kiosk, LocalStore
from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import ResilientQueue
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.devices.card import CardEvent
from kiosk.devices.speech import NullSpeaker

HALL_URL = "http://127.0.0.1:9"  # nothing answers there: these tests never reach a hall server


def hall_config(config_dir: Path, load: Callable[[Path], KioskConfig], edit: Callable[..., None],
                offline_series: str = "") -> KioskConfig:
    edit(config_dir / "kiosk.toml", 'queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{HALL_URL}"')
    if offline_series:
        edit(config_dir / "kiosk.toml", 'offline_series = ""', f'offline_series = "{offline_series}"')
    return load(config_dir)


def test_a_standalone_kiosk_opens_its_sqlite_file_once(make_kiosk: Callable[..., Kiosk], config: KioskConfig,
                                                       state_dir: Path) -> None:
    kiosk = make_kiosk(config)
    engine = kiosk.store.engine
    assert str(engine.url).endswith(str(state_dir / "queue.sqlite3"))
    suite_queue = kiosk.backend.queue
    assert suite_queue is kiosk.store.queue and suite_queue.engine is engine
    assert kiosk.reprints._engine is engine  # type: ignore[attr-defined]
    assert kiosk.backend.appointments._queue is suite_queue  # type: ignore[attr-defined]
    assert kiosk.desk.queue is suite_queue and kiosk.desk.reprints is kiosk.reprints
    assert kiosk.outbox is None and not kiosk.backend.offline
    assert kiosk.backend.catalogue() == config.services


def test_devices_are_the_configured_ones_made_when_first_used(make_kiosk: Callable[..., Kiosk],
                                                               config: KioskConfig, state_dir: Path) -> None:
    kiosk = make_kiosk(config)
    assert "printer" not in vars(kiosk) and "reader" not in vars(kiosk)  # kioskctl opens only what it needs
    assert isinstance(kiosk.printer, SimulatedPrinter) and kiosk.printer.output_dir == state_dir / "tickets"
    assert isinstance(kiosk.reader, SimulatedCardReader)
    assert kiosk.desk.printer is kiosk.printer


def test_given_devices_take_the_place_of_the_configured_ones(make_kiosk: Callable[..., Kiosk], config: KioskConfig,
                                                             tmp_path: Path) -> None:
    printer, reader, speaker = SimulatedPrinter(tmp_path / "out"), SimulatedCardReader(), NullSpeaker()
    kiosk = make_kiosk(config, printer=printer, reader=reader, speaker=speaker)
    assert (kiosk.printer, kiosk.reader, kiosk.speaker, kiosk.desk.printer) == (printer, reader, speaker, printer)


def test_start_watches_the_reader_and_close_stops_it(make_kiosk: Callable[..., Kiosk], config: KioskConfig) -> None:
    reader = SimulatedCardReader()
    kiosk = make_kiosk(config, reader=reader)
    events: list[CardEvent] = []
    kiosk.start(events.append)
    reader.remove()
    deadline = time.monotonic() + 5
    while not events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events, "the reader reports to the listener given to start()"
    kiosk.close()
    seen = len(events)
    reader.remove()
    time.sleep(0.6)  # twice the simulated reader's delay: a late event would have come
    assert len(events) == seen


def test_a_rebuilt_kiosk_continues_the_same_queue(config: KioskConfig, state_dir: Path, clock: Clock) -> None:
    """A configuration reload swaps in a new kiosk on the same state folder: numbers continue."""
    first = Kiosk(config, clock=clock)
    assert first.queue.issue("general").number == "A001"
    first.close()
    second = Kiosk(config, clock=clock)
    try:
        assert second.queue.issue("general").number == "A002"
        assert LocalStore(config, clock=clock).queue.ticket("A001").number == "A001"
    finally:
        second.close()


def test_a_hall_kiosk_without_its_device_token_is_refused(config_dir: Path, state_dir: Path, load: Callable[..., KioskConfig],
                                                          edit: Callable[..., None]) -> None:
    with pytest.raises(HallTokenMissing) as missing:
        Kiosk(hall_config(config_dir, load, edit))
    assert missing.value.detail == str(state_dir / "hall-token")


def test_a_hall_kiosk_with_offline_numbers_shares_one_outbox_with_staff_tools(
        config_dir: Path, state_dir: Path, load: Callable[..., KioskConfig], edit: Callable[..., None]) -> None:
    config = hall_config(config_dir, load, edit, offline_series="XA")
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text("d_token\n", encoding="utf-8")
    kiosk = Kiosk(config)
    try:
        queue = kiosk.backend.queue
        assert isinstance(queue, ResilientQueue) and kiosk.backend.worker is not None and not kiosk.backend.offline
        assert kiosk.outbox is not None and queue.outbox is kiosk.outbox
        assert isinstance(kiosk.backend.progress, HallClient) and queue.hall is kiosk.backend.progress
        assert kiosk.desk.queue is queue and kiosk.desk.appointments is kiosk.backend.appointments
    finally:
        kiosk.close()
