"""The flows a citizen (or staff) runs at the kiosk, one call each: take a number, check in an appointment,
print a matter's checklist, reprint a ticket.

Taking a number reads the printer's state once, before anything is issued: a printer that cannot print
raises ``PrinterNotReady``, and the citizen decides whether to take the number on screen only. The number
goes back to the screen as soon as it is issued; the ticket is printed by a second call while the citizen
reads it. A print fault never loses a number: the outcome carries the fault, the screen keeps the number
with its QR code, the ticket is recorded for a reprint by staff, and staff are called to the kiosk.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.config import KioskConfig, MatterConfig
from kiosk.devices.document import Document
from kiosk.devices.printer import PrinterError, TicketPrinter, error_for_status
from kiosk.errors import KioskError, OperationTimedOut
from kiosk.identity import Identity
from kiosk.queue.appointments import AppointmentDesk
from kiosk.queue.model import Priority, Ticket
from kiosk.queue.reprints import ReprintLog
from kiosk.queue.service import QueueService
from kiosk.queue.staff_calls import CallKind
from kiosk.staff_call import StaffCaller
from kiosk.ticket import checklist_document, ticket_document, ticket_status_url

log = logging.getLogger(__name__)


class PrinterNotReady(KioskError):
    """The printer cannot print now, so no number was issued yet; ``fault`` says why.
    The citizen may take the number on screen only (call again with ``accepted_fault=fault``)."""

    code = "printer_not_ready"

    def __init__(self, fault: PrinterError) -> None:
        super().__init__(fault.detail)
        self.fault = fault


@dataclass(frozen=True)
class Issued:
    """A number just issued, with the ticket to print; ``fault`` is the printer's fault the citizen accepted when
    taking it on screen only (the ticket is then not printed)."""

    ticket: Ticket
    document: Document
    status_url: str
    fault: PrinterError | None = None


@dataclass(frozen=True)
class IssueOutcome:
    """A number that was issued (or reprinted), and whether its ticket came out of the printer."""

    ticket: Ticket
    document: Document
    status_url: str
    printed: bool
    print_error: PrinterError | None = None


class TicketDesk:
    """The kiosk's flows over its queue, appointments and printer. Blocking: run them off the UI thread."""

    def __init__(self, queue: QueueService, appointments: AppointmentDesk, printer: TicketPrinter,
                 config: KioskConfig, reprints: ReprintLog, staff: StaffCaller) -> None:
        self.queue = queue
        self.appointments = appointments
        self.printer = printer
        self.config = config
        self.reprints = reprints
        self.staff = staff

    def printer_fault(self) -> PrinterError | None:
        """Why a ticket cannot be printed now, or None when it can (one status read)."""
        try:
            return error_for_status(self.printer.status())
        except PrinterError as exc:
            return exc

    def _ready(self, accepted_fault: PrinterError | None, deadline: float | None) -> PrinterError | None:
        fault = accepted_fault
        if fault is None:  # on screen only, the citizen was told the fault: the printer is not asked again
            fault = self.printer_fault()
            if fault is not None:
                raise PrinterNotReady(fault)
        if deadline is not None and (late := time.monotonic() - deadline) > 0:
            # The screen has stopped waiting (a hung printer, or a call that waited for a free worker): a number
            # issued now would be one nobody waits for.
            raise OperationTimedOut(f"nothing issued: the call was {late:.1f} s past its deadline")
        return fault

    def _issued(self, ticket: Ticket, fault: PrinterError | None, card_read: bool = False) -> Issued:
        return Issued(ticket, ticket_document(ticket, self.config, card_read), ticket_status_url(ticket, self.config),
                      fault)

    def issue(self, group_id: str, identity: Identity | None = None, priority: Priority = Priority.NONE, *,
              accepted_fault: PrinterError | None = None, deadline: float | None = None) -> Issued:
        """Issue a number of ``group_id``. Reads the printer's status once and raises ``PrinterNotReady``
        (nothing issued) when it cannot print; ``accepted_fault`` is the fault the citizen was told of and agreed
        to take the number on screen only with. Past ``deadline`` (``time.monotonic()``), when the screen no longer
        waits, nothing is issued (``OperationTimedOut``). Queue refusals propagate as raised."""
        fault = self._ready(accepted_fault, deadline)
        return self._issued(self.queue.issue(group_id, identity, priority), fault, identity is not None)

    def check_in(self, code: str = "", identity: Identity | None = None, *,
                 accepted_fault: PrinterError | None = None, deadline: float | None = None) -> Issued:
        """Check an appointment in (by code or ID card) and issue its green-channel ticket; ``PrinterNotReady``,
        ``accepted_fault`` and ``deadline`` as for ``issue``, and the refusals (not found, too early, too late,
        already checked in, closed)."""
        fault = self._ready(accepted_fault, deadline)
        return self._issued(self.appointments.check_in(code=code, identity=identity).ticket, fault,
                            identity is not None)

    def print_issued(self, issued: Issued) -> IssueOutcome:
        """Print an issued ticket (the printer's state is read once more, after it); a ticket that did not come
        out is recorded for a reprint by staff, and staff are called to the printer."""
        return self._print(issued, record=True)

    def take_number(self, group_id: str, identity: Identity | None = None, priority: Priority = Priority.NONE, *,
                    screen_only: bool = False) -> IssueOutcome:
        """``issue`` and ``print_issued`` in one blocking call (``kioskctl``, tests); with ``screen_only`` a printer
        that cannot print does not stop the number (as when a citizen agrees to take it on screen only)."""
        try:
            issued = self.issue(group_id, identity, priority)
        except PrinterNotReady as not_ready:
            if not screen_only:
                raise
            issued = self.issue(group_id, identity, priority, accepted_fault=not_ready.fault)
        return self.print_issued(issued)

    def _print(self, issued: Issued, record: bool) -> IssueOutcome:
        ticket, document, url, fault = issued.ticket, issued.document, issued.status_url, issued.fault
        if fault is None:
            try:
                self.printer.print(document)
                return IssueOutcome(ticket, document, url, printed=True)
            except PrinterError as exc:
                fault = exc
        log.warning("ticket %s not printed: %s (%s)", ticket.number, fault.code, fault.detail)
        if record:
            self.reprints.record(ticket, fault.code)
            self.staff.call(CallKind.PRINTER, fault.code)
        return IssueOutcome(ticket, document, url, printed=False, print_error=fault)

    def print_checklist(self, matter: MatterConfig, now: datetime) -> Document:
        """Print ``matter``'s one-time checklist (一次性告知单); a printer fault is raised as its ``PrinterError``."""
        fault = self.printer_fault()
        if fault is not None:
            raise fault
        document = checklist_document(matter, self.config, now)
        self.printer.print(document)
        return document

    def held(self, number: str, card_read: bool = False) -> Issued:
        """Today's ticket ``number``, which the citizen already holds (the per-person limit refused a second), as
        it stands now: to show it again with its place and wait, and print it again if they ask."""
        return self._issued(self.queue.ticket(number), None, card_read)

    def reprint(self, number: str, day: date | None = None) -> IssueOutcome:
        """Print an issued ticket again (staff); a success clears it from the reprint record."""
        ticket = self.queue.ticket(number, day)
        outcome = self._print(self._issued(ticket, self.printer_fault()), record=False)
        if outcome.printed:
            self.reprints.resolve(ticket.day, ticket.number)
        return outcome
