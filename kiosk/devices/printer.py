"""The ``TicketPrinter`` interface, printer states and the faults a citizen may be told about."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk.devices.document import Document
from kiosk.errors import KioskError
from kiosk.texts import tr


class PrinterStatus(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END)


class PrinterError(KioskError):
    """The ticket could not be printed; the number stays valid.

    ``cause`` (``error.<code>``) says what is wrong with the printer; ``message`` adds what it means for the
    citizen's number.
    """

    code = "printer_error"

    def cause(self, lang: str = "zh") -> str:
        return super().message(lang)

    def message(self, lang: str = "zh") -> str:
        return tr("error.printer_keeps_number", lang, cause=self.cause(lang))


class PaperOut(PrinterError):
    code = "paper_out"


class CoverOpen(PrinterError):
    code = "cover_open"


class PrinterOffline(PrinterError):
    code = "printer_offline"


_ERRORS: dict[PrinterStatus, type[PrinterError]] = {
    PrinterStatus.PAPER_OUT: PaperOut,
    PrinterStatus.COVER_OPEN: CoverOpen,
    PrinterStatus.OFFLINE: PrinterOffline,
}


def error_for_status(status: PrinterStatus) -> PrinterError | None:
    """The fault that stops printing in ``status``, or None when printing is possible."""
    cls = _ERRORS.get(status)
    return cls(status.value) if cls else None


class TicketPrinter(Protocol):
    """A printer of ticket documents. Both calls may block: never call them on the UI thread."""

    def status(self) -> PrinterStatus:
        """The printer's state now; an unreachable printer is ``OFFLINE``."""
        ...

    def print(self, document: Document) -> PrinterStatus:
        """Send the whole document, then read the printer's state: returns it when it can print on (ok, paper
        near end), raises the ``PrinterError`` of a fault during the print. It does not check before printing:
        callers read ``status()`` first, so a ticket costs two status reads."""
        ...


@dataclass(frozen=True)
class PrintCheck:
    """A print with the printer's state read before and after it, and the fault when it did not print."""

    document: str
    before: str
    after: str
    error: PrinterError | None

    @property
    def printed(self) -> bool:
        return self.error is None


def print_checked(printer: TicketPrinter, document: Document) -> PrintCheck:
    """Print ``document`` with the status read before and after (what staff check a printer with)."""
    before = printer.status()
    error = error_for_status(before)
    if error is not None:
        return PrintCheck(document.name, before.value, before.value, error)
    try:
        after = printer.print(document)
    except PrinterError as exc:
        error, after = exc, printer.status()
    return PrintCheck(document.name, before.value, after.value, error)
