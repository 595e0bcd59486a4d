"""Fixtures of the printer tests: a printer emulator behind a pty symlink, transports on it, settings.

The shared fixtures (``config``, ``config_dir``, ``state_dir``, ``clock``, ``queue``) come from
``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.printer.escpos import EscPosSettings
from drivers.printer.serial import SerialSettings, SerialTransport
from kiosk.config import KioskConfig

from .emulator import PtyPrinterEmulator, TcpPrinterEmulator


@pytest.fixture
def link(tmp_path: Path) -> Path:
    """Where the printer appears, like the udev symlink /dev/ttyPRINTER."""
    (tmp_path / "dev").mkdir()
    return tmp_path / "dev" / "ttyPRINTER"


@pytest.fixture
def make_emulator(link: Path) -> Iterator[Callable[..., PtyPrinterEmulator]]:
    made: list[PtyPrinterEmulator] = []

    def make(pace_baud: int | None = None) -> PtyPrinterEmulator:
        emu = PtyPrinterEmulator(link, pace_baud=pace_baud).start()
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., PtyPrinterEmulator]) -> PtyPrinterEmulator:
    """A printer in state "ok" behind ``link``, reading as fast as the pty delivers."""
    return make_emulator()


@pytest.fixture
def tcp_emulator() -> Iterator[TcpPrinterEmulator]:
    emu = TcpPrinterEmulator()
    yield emu
    emu.close()


@pytest.fixture
def make_transport(link: Path) -> Iterator[Callable[..., SerialTransport]]:
    """``make_transport(url=link, timeout=2.0, **settings)``; every transport is closed after the test."""
    made: list[SerialTransport] = []

    def make(url: str | Path | None = None, timeout: float = 2.0, **kw: Any) -> SerialTransport:
        transport = SerialTransport(SerialSettings(str(url or link), timeout=timeout, **kw))
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


@pytest.fixture
def transport(make_transport: Callable[..., SerialTransport]) -> SerialTransport:
    return make_transport()


@pytest.fixture
def escpos_settings(config: KioskConfig) -> EscPosSettings:
    """The shipped configuration's encoder settings (80 mm, 48 columns)."""
    return EscPosSettings.from_config(config.kiosk.printer)
