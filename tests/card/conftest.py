"""Fixtures of the card tests: a real pcscd with vpcd (see ``stack.py``), a virtual card, reader configs.

``PCSCLITE_CSOCK_NAME`` is set once for the whole session: libpcsclite reads it at the first PC/SC call of
the process and keeps it, so every pcscd of the session serves the same socket path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.card.pcsc import PcscCardReader, PcscSettings
from kiosk.config import CardReaderConfig, KioskConfig, load_config
from tests.card.helpers import EventLog, write_card_section
from tests.card.stack import VPCD_LIBRARY, Isolation, Pcscd, StackUnavailable, choose_isolation
from tests.card.vicc import CardSlot


@pytest.fixture(scope="session")
def pcsc_isolation() -> Iterator[tuple[Isolation, Path]]:
    """How this machine runs a private pcscd, and a copy of vpcd's driver for its reader.conf."""
    private = Path(tempfile.mkdtemp(prefix="kiosk-pcsc-"))  # short: a UNIX socket path has 108 bytes at most
    try:
        isolation = choose_isolation(private)
    except StackUnavailable as exc:
        shutil.rmtree(private, ignore_errors=True)
        pytest.fail(str(exc))
    # The namespace covers /usr/lib/pcsc/drivers (no real USB readers for the test pcscd): load vpcd from here.
    library = private / "libifdvpcd.so"
    shutil.copy(VPCD_LIBRARY.resolve(), library)
    previous = os.environ.get("PCSCLITE_CSOCK_NAME")
    os.environ["PCSCLITE_CSOCK_NAME"] = str(isolation.socket)
    yield isolation, library
    if previous is None:
        os.environ.pop("PCSCLITE_CSOCK_NAME", None)
    else:
        os.environ["PCSCLITE_CSOCK_NAME"] = previous
    shutil.rmtree(private, ignore_errors=True)


@pytest.fixture
def pcscd(pcsc_isolation: tuple[Isolation, Path], tmp_path: Path) -> Iterator[Pcscd]:
    """A fresh pcscd with the vpcd reader on free ports; stopped after the test. Its log is printed when a
    test fails (pytest shows captured output)."""
    isolation, library = pcsc_isolation
    daemon = Pcscd(isolation, tmp_path / "pcscd", library)
    daemon.work_dir.mkdir()
    daemon.start()
    yield daemon
    daemon.stop()
    print(f"pcscd ({isolation.name}) log:\n{daemon.log_tail()}")


@pytest.fixture
def slot(pcscd: Pcscd) -> Iterator[CardSlot]:
    """The vpcd reader's slot: ``slot.insert(VirtualCard(...))``, ``slot.remove()``."""
    card_slot = CardSlot(pcscd.port)
    yield card_slot
    card_slot.remove()


@pytest.fixture
def card_config(config_dir: Path) -> Callable[[str], KioskConfig]:
    """``card_config(section)``: the shipped configuration with ``[card_reader]`` replaced by ``section``."""

    def make(section: str) -> KioskConfig:
        write_card_section(config_dir, section)
        return load_config(config_dir)

    return make


@pytest.fixture
def start_reader(pcscd: Pcscd) -> Iterator[Callable[..., tuple[PcscCardReader, EventLog]]]:
    """``start_reader(reader_config)``: a started ``PcscCardReader`` on the test's pcscd and its event log."""
    started: list[PcscCardReader] = []

    def start(cfg: CardReaderConfig, pattern: str | None = None, today: Callable[[], object] | None = None
              ) -> tuple[PcscCardReader, EventLog]:
        settings = PcscSettings(cfg.reader if pattern is None else pattern, retry_seconds=0.1, poll_seconds=0.5)
        reader = PcscCardReader(cfg.profiles, settings, **({"today": today} if today else {}))
        events = EventLog()
        reader.start(events)
        started.append(reader)
        return reader, events

    yield start
    for reader in started:
        reader.stop()
