"""The ``TicketPrinter`` interface, printer states and the faults a citizen may be told about."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from kiosk.errors import KioskError
from kiosk.ticket import Document


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
    """The ticket could not be printed; the number stays valid."""

    code = "printer_error"
    zh = "小票打印失败，您的号码仍然有效，请记下屏幕上的号码或扫码。"
    en = "The ticket could not be printed. Your number is still valid: note it or scan the code."


class PaperOut(PrinterError):
    code = "paper_out"
    zh = "打印机缺纸，暂时无法打印小票。您的号码仍然有效，请记下屏幕上的号码或扫码。"
    en = "The printer is out of paper. Your number is still valid: note it or scan the code."


class CoverOpen(PrinterError):
    code = "cover_open"
    zh = "打印机盖未关好，暂时无法打印小票。您的号码仍然有效，请记下屏幕上的号码或扫码。"
    en = "The printer cover is open. Your number is still valid: note it or scan the code."


class PrinterOffline(PrinterError):
    code = "printer_offline"
    zh = "打印机暂时无法使用。您的号码仍然有效，请记下屏幕上的号码或扫码。"
    en = "The printer is not available. Your number is still valid: note it or scan the code."


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

    def print(self, document: Document) -> None:
        """Print the whole document or raise a ``PrinterError``."""
        ...
