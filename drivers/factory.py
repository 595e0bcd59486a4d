"""Build the configured drivers: the one place that maps configuration to driver classes."""

from __future__ import annotations

from pathlib import Path

from drivers.card.simulated import SimulatedCardReader
from drivers.printer.escpos import EscPosSettings
from drivers.printer.escpos_printer import EscPosPrinter
from drivers.printer.serial import SerialSettings, SerialTransport
from drivers.printer.simulated import SimulatedPrinter
from kiosk.config import KioskConfig
from kiosk.devices.card import CardReader
from kiosk.devices.printer import TicketPrinter
from kiosk.state import StateDir


def printer_from_config(config: KioskConfig, state: StateDir) -> TicketPrinter:
    """The ticket printer named by ``[printer]``."""
    cfg = config.kiosk.printer
    if cfg.driver == "escpos":
        return EscPosPrinter(SerialTransport(SerialSettings.from_config(cfg)), EscPosSettings.from_config(cfg))
    out = Path(cfg.output_dir) if cfg.output_dir else state.subdir("tickets")
    return SimulatedPrinter(out, cfg.paper_width_mm)


def card_reader_from_config(config: KioskConfig, reader_pattern: str | None = None) -> CardReader:
    """The ID card reader named by ``[card_reader]``; ``reader_pattern`` overrides its ``reader``."""
    cfg = config.kiosk.card_reader
    if cfg.driver == "pcsc":
        # Imported here: only a kiosk configured for PC/SC loads pyscard (and needs libpcsclite).
        from datetime import datetime

        from drivers.card.pcsc import PcscCardReader, PcscSettings

        settings = PcscSettings(cfg.reader if reader_pattern is None else reader_pattern, cfg.retry_seconds)
        # Card expiry is judged by the hall's calendar day, not the machine's time zone.
        return PcscCardReader(cfg.profiles, settings, today=lambda: datetime.now(config.timezone).date())
    return SimulatedCardReader()
