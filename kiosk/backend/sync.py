"""Background delivery of a hall kiosk's outbox.

``OutboxWorker`` is one thread per kiosk app. While entries wait it hands them over, oldest first; after a
failed round it waits, doubling the pause from ``retry_min`` up to ``retry_max`` with jitter (kiosks that lost
the same hall do not all come back in the same second). When nothing waits it asks the hall server's health
route every ``probe_seconds``, so the kiosk's ``offline`` flag (the mark on screen) follows the link without a
citizen's call, and every ``housekeeping_seconds`` it refreshes the copy of today's appointments (offline
check-in) and deletes old delivered entries. A new entry or the hall answering a citizen's call wakes it.
The kiosk app starts and stops it through ``KioskBackend.start()``/``close()``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.backend.hall_client import HallUnreachable
from kiosk.backend.resilient import ResilientQueue, reason
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerState:
    """What the worker is doing, for the maintenance screen."""

    running: bool
    offline: bool
    pending: int
    dead: int
    failures: int  # failed rounds in a row
    last_error: str  # why the last failed round stopped; "" after a good one
    next_round_in: float  # seconds
    delivered: int  # since the worker started
    refused: int


class OutboxWorker:
    """A thread that delivers ``queue``'s outbox, with capped exponential backoff and jitter."""

    def __init__(self, queue: ResilientQueue, *, retry_min: float = 1.0, retry_max: float = 60.0,
                 probe_seconds: float = 30.0, housekeeping_seconds: float = 300.0,
                 refresh: Callable[[], Any] | None = None, jitter: Callable[[], float] = random.random) -> None:
        self._queue = queue
        self._min, self._max = retry_min, max(retry_min, retry_max)
        self._probe_seconds = probe_seconds
        self._housekeeping_seconds = housekeeping_seconds
        self._refresh = refresh
        self._jitter = jitter
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._last_error = ""
        self._next_round = 0.0
        self._next_probe = 0.0
        self._next_housekeeping = 0.0
        self._delivered = self._refused = 0
        queue.on_wake = self.wake

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the round in flight; waits at most ``timeout`` s (the app stops it on its main thread). A
        call still in flight then ends on its own timeout; a delivery it repeats later is harmless (its key)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Deliver soon: an entry was stored, or the hall answered a citizen's call."""
        self._wake.set()

    def state(self) -> WorkerState:
        outbox = self._queue.outbox
        return WorkerState(self._thread is not None and self._thread.is_alive(), self._queue.offline,
                           outbox.pending_count(), len(outbox.dead()), self._failures, self._last_error,
                           max(0.0, self._next_round - time.monotonic()), self._delivered, self._refused)

    def backoff(self, failures: int) -> float:
        """The pause after ``failures`` failed rounds in a row: doubling from ``retry_min``, capped at
        ``retry_max``, then shortened at random by up to half."""
        pause = min(self._max, self._min * 2 ** min(failures - 1, 30))
        return pause * (0.5 + 0.5 * self._jitter())

    def _failed(self, why: str) -> float:
        self._failures += 1
        if why != self._last_error:
            log.warning("outbox delivery paused: %s", why)
        self._last_error = why
        return self.backoff(self._failures)

    def _succeeded(self) -> None:
        if self._failures:
            log.info("the hall server answers again; outbox delivery resumed")
        self._failures, self._last_error = 0, ""

    def run_once(self) -> float:
        """One round: deliver what waits, else probe and keep house when due; returns the pause after it."""
        queue = self._queue
        now = time.monotonic()
        if queue.outbox.pending_count():
            result = queue.sync()
            self._delivered += result.delivered
            self._refused += result.refused
            if result.error is not None:
                return self._failed(reason(result.error))
            self._succeeded()
            self._next_probe = now + self._probe_seconds
            return 0.0  # at once: entries stored meanwhile go next
        if queue.offline or now >= self._next_probe:
            if not queue.probe():
                return self._failed("hall_unreachable: the hall server does not answer its health check")
            self._next_probe = now + self._probe_seconds
        if now >= self._next_housekeeping:
            try:
                if self._refresh is not None:
                    self._refresh()
            except HallUnreachable as exc:
                queue.went_offline()
                return self._failed(reason(exc))
            except KioskError as exc:
                log.warning("today's appointments could not be copied from the hall server: %s", reason(exc))
            queue.outbox.prune()
            self._next_housekeeping = now + self._housekeeping_seconds
        self._succeeded()
        return max(0.0, min(self._next_probe, self._next_housekeeping) - now)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the thread outlives any fault; the round counts as failed
                log.exception("outbox worker round failed")
                pause = self._failed(f"{type(exc).__name__}: {exc}"[:200])
            self._pause(pause)

    def _pause(self, seconds: float) -> None:
        self._next_round = time.monotonic() + seconds
        while not self._stop.is_set():
            remaining = self._next_round - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(remaining):
                self._wake.clear()
                # Woken: go now unless the hall is known not to answer (then the backoff or probe decides).
                if not self._queue.offline:
                    return
