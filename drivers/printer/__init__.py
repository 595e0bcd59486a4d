"""Ticket printers: the ``TicketPrinter`` interface and its implementations."""

from drivers.printer.base import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatus,
    TicketPrinter,
    error_for_status,
)

__all__ = ["CoverOpen", "PaperOut", "PrinterError", "PrinterOffline", "PrinterStatus", "TicketPrinter",
           "error_for_status"]
