"""A kiosk asking for staff: the citizen's 呼叫工作人员 button, and the kiosk's own alarm when a ticket did not print.

The call is kept in the kiosk's own store and written to its log at once (``kioskctl status``, the maintenance
screen); a hall kiosk also sends it to the hall server (the clerks' and the manager's pages), on a thread of its
own, so that neither the citizen's screen nor a print waits for the network. A call the hall server does not get
(it cannot be reached) stays on the kiosk: a late help call is no use, so it is not queued for later.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from kiosk.backend.hall_client import HallClient
from kiosk.errors import KioskError
from kiosk.queue.staff_calls import CallKind, StaffCall, StaffCallLog

log = logging.getLogger(__name__)


class StaffCaller:
    """This kiosk's calls for staff; ``hall`` is the hall server's client on a hall kiosk."""

    def __init__(self, calls: StaffCallLog, kiosk_id: str, hall: HallClient | None = None) -> None:
        self.calls = calls
        self._kiosk_id = kiosk_id
        self._hall = hall
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="staff-call") if hall is not None else None

    def call(self, kind: CallKind, detail: str = "") -> StaffCall:
        """Ask for staff (once: while this kiosk's call of ``kind`` is open, that call is returned)."""
        call = self.calls.raise_call(self._kiosk_id, kind, detail)
        log.warning("staff called: %s (%s), call %d", call.kind.value, call.detail, call.id)
        if self._sender is not None:
            self._sender.submit(self._send, kind, detail)
        return call

    def _send(self, kind: CallKind, detail: str) -> None:
        assert self._hall is not None
        try:
            self._hall.raise_staff_call(kind, detail)
        except KioskError as exc:
            log.warning("the hall server did not get the staff call (%s): %s", kind.value, exc.detail or exc.code)

    def close(self) -> None:
        """Wait for a call on its way to the hall server (at most its request budget), then stop."""
        if self._sender is not None:
            self._sender.shutdown(wait=True)
