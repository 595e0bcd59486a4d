"""The queue: numbering rules, the store, wait estimates."""

from kiosk.queue.errors import (
    IdentityRequired,
    QueueClosed,
    QueueRefused,
    QuotaExhausted,
    TicketLimitReached,
    TicketNotFound,
    UnknownGroup,
)
from kiosk.queue.model import GroupStatus, Priority, Ticket, TicketStatus
from kiosk.queue.service import LocalQueueService, QueueService

__all__ = [
    "GroupStatus", "IdentityRequired", "LocalQueueService", "Priority", "QueueClosed", "QueueRefused",
    "QueueService", "QuotaExhausted", "Ticket", "TicketLimitReached", "TicketNotFound", "TicketStatus",
    "UnknownGroup",
]
