"""Build the configured drivers: the one place that maps configuration to driver classes."""

from __future__ import annotations

from pathlib import Path

from drivers.card.base import CardReader
from drivers.card.simulated import SimulatedCardReader
from drivers.printer.base import TicketPrinter
from drivers.printer.escpos import EscPosSettings
from drivers.printer.escpos_printer import EscPosPrinter
from drivers.printer.serial import SerialSettings, SerialTransport
from drivers.printer.simulated import SimulatedPrinter
from kiosk.config import KioskConfig
from kiosk.state import StateDir


def printer_from_config(config: KioskConfig, state: StateDir) -> TicketPrinter:
    """The ticket printer named by ``[printer]``."""
    cfg = config.kiosk.printer
    if cfg.driver == "escpos":
        return EscPosPrinter(SerialTransport(SerialSettings.from_config(cfg)), EscPosSettings.from_config(cfg))
    out = Path(cfg.output_dir) if cfg.output_dir else state.subdir("tickets")
    return SimulatedPrinter(out, cfg.paper_width_mm)


def card_reader_from_config(config: KioskConfig) -> CardReader:
    """The ID card reader named by ``[card_reader]``."""
    return SimulatedCardReader()
