"""Everything a running kiosk is made of, built from its configuration: the ticket desk (queue, printer,
reprint record), the card reader and the backend services (check-in, progress, ratings)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from kiosk.backend.factory import KioskBackend, backend_for_config
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.desk import TicketDesk
from kiosk.devices.card import CardReader
from kiosk.services import embedded_reprints
from kiosk.state import StateDir


@dataclass(frozen=True)
class Wiring:
    desk: TicketDesk
    reader: CardReader
    backend: KioskBackend


def wire_services(config: KioskConfig, state: StateDir, clock: Clock) -> Wiring:
    """The desk, the card reader and the backend that ``config`` names."""
    from drivers.factory import card_reader_from_config, printer_from_config

    printer = printer_from_config(config, state)
    if out := getattr(printer, "output_dir", None):
        print(f"kiosk: simulated printer writes each ticket as a PNG into {out}", file=sys.stderr)
    backend = backend_for_config(config, clock)
    desk = TicketDesk(backend.queue, printer, config, embedded_reprints(config))
    return Wiring(desk, card_reader_from_config(config), backend)
