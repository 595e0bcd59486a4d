"""The ESC/POS ticket printer: encoder + serial transport, with a status check after each document."""

from __future__ import annotations

import logging
import threading

from drivers.printer.escpos import EscPosSettings, encode
from drivers.printer.serial import SerialTransport
from kiosk.devices.document import Document
from kiosk.devices.printer import PrinterError, PrinterStatus, error_for_status

log = logging.getLogger(__name__)


class EscPosPrinter:
    """A ``TicketPrinter`` on a serial ESC/POS printer."""

    def __init__(self, transport: SerialTransport, settings: EscPosSettings) -> None:
        self.transport = transport
        self.settings = settings
        self._lock = threading.Lock()

    def status(self) -> PrinterStatus:
        try:
            status = self.transport.status()
        except PrinterError as exc:
            log.warning("printer status: %s", exc.detail)
            return PrinterStatus.OFFLINE
        if status is PrinterStatus.PAPER_NEAR_END:
            log.warning("printer paper near end: replace the roll soon")
        return status

    def print(self, document: Document) -> PrinterStatus:
        """Send, then check: a fault during the print raises, so the caller records a reprint."""
        data = encode(document, self.settings)
        with self._lock:
            self.transport.write(data)
            # The status answer queues behind the ticket on a slow line: wait for the ticket to go through.
            status = self.transport.status(self.transport.transfer_seconds(len(data)))
        if status is PrinterStatus.PAPER_NEAR_END:
            log.warning("printer paper near end after printing %s", document.name)
        if (error := error_for_status(status)) is not None:
            raise error
        log.info("printed %s (%d bytes)", document.name, len(data))
        return status
