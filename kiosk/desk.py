"""Taking a number (or checking in an appointment) end to end: check the printer, issue, build the ticket,
print, report.

A print fault never loses a number: the outcome carries the ticket and the fault, the screen shows the
number with its QR code instead, and the ticket is recorded for a reprint by staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.config import KioskConfig, MatterConfig
from kiosk.devices.document import Document
from kiosk.devices.printer import PrinterError, TicketPrinter, error_for_status
from kiosk.identity import Identity
from kiosk.queue.appointments import AppointmentDesk
from kiosk.queue.model import Priority, Ticket
from kiosk.queue.reprints import ReprintLog
from kiosk.queue.service import QueueService
from kiosk.ticket import checklist_document, ticket_document, ticket_status_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssueOutcome:
    """A number that was issued (or reprinted), and whether its ticket came out of the printer."""

    ticket: Ticket
    document: Document
    status_url: str
    printed: bool
    print_error: PrinterError | None = None


class TicketDesk:
    """The kiosk's "take a number" over a queue and a printer. Blocking: run it off the UI thread."""

    def __init__(self, queue: QueueService, printer: TicketPrinter, config: KioskConfig,
                 reprints: ReprintLog) -> None:
        self.queue = queue
        self.printer = printer
        self.config = config
        self.reprints = reprints

    def printer_fault(self) -> PrinterError | None:
        """Why a ticket cannot be printed now, or None when it can."""
        try:
            return error_for_status(self.printer.status())
        except PrinterError as exc:
            return exc

    def _print(self, ticket: Ticket, fault: PrinterError | None, record: bool = True) -> IssueOutcome:
        document = ticket_document(ticket, self.config)
        url = ticket_status_url(ticket, self.config)
        if fault is None:
            try:
                self.printer.print(document)
                return IssueOutcome(ticket, document, url, printed=True)
            except PrinterError as exc:
                fault = exc
        log.warning("ticket %s not printed: %s (%s)", ticket.number, fault.code, fault.detail)
        if record:
            self.reprints.record(ticket, fault.code)
        return IssueOutcome(ticket, document, url, printed=False, print_error=fault)

    def take_number(self, group_id: str, identity: Identity | None = None,
                    priority: Priority = Priority.NONE) -> IssueOutcome:
        """Issue a number of ``group_id`` and print its ticket; queue refusals propagate as raised."""
        fault = self.printer_fault()
        ticket = self.queue.issue(group_id, identity, priority)
        return self._print(ticket, fault)

    def check_in(self, appointments: AppointmentDesk, code: str = "", identity: Identity | None = None) -> IssueOutcome:
        """Check an appointment in (by code or ID card) and print its green-channel ticket; the refusals
        (not found, too early, too late, already checked in, closed) propagate as raised."""
        fault = self.printer_fault()
        ticket = appointments.check_in(code=code, identity=identity).ticket
        return self._print(ticket, fault)

    def print_checklist(self, matter: MatterConfig, now: datetime) -> Document:
        """Print ``matter``'s one-time checklist (一次性告知单); a printer fault is raised as its ``PrinterError``."""
        fault = self.printer_fault()
        if fault is not None:
            raise fault
        document = checklist_document(matter, self.config, now)
        self.printer.print(document)
        return document

    def reprint(self, number: str, day: date | None = None) -> IssueOutcome:
        """Print an issued ticket again (staff); a success clears it from the reprint record."""
        ticket = self.queue.ticket(number, day)
        outcome = self._print(ticket, None, record=False)
        if outcome.printed:
            self.reprints.resolve(ticket.day, ticket.number)
        return outcome
