"""The queue and the rest of the hall's service layer: numbering rules, windows, the store, wait estimates."""

from kiosk.queue.errors import (
    IdentityRequired,
    NoCurrentTicket,
    NoShowTooEarly,
    QueueClosed,
    QueueRefused,
    QuotaExhausted,
    TicketLimitReached,
    TicketNotFound,
    UnknownGroup,
    UnknownWindow,
)
from kiosk.queue.model import CallEvent, EventKind, GroupStatus, Priority, Ticket, TicketStatus, WindowState
from kiosk.queue.service import LocalQueueService, QueueService, WindowService

__all__ = [
    "CallEvent", "EventKind", "GroupStatus", "IdentityRequired", "LocalQueueService", "NoCurrentTicket",
    "NoShowTooEarly", "Priority", "QueueClosed", "QueueRefused", "QueueService", "QuotaExhausted", "Ticket",
    "TicketLimitReached", "TicketNotFound", "TicketStatus", "UnknownGroup", "UnknownWindow", "WindowService",
    "WindowState",
]
