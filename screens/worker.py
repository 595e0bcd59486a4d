"""Run blocking calls (queue, printer, card, network) off the Kivy main thread.

Results and errors come back on the main thread through the Kivy clock. A call that takes longer than
its timeout is reported as ``OperationTimedOut``; its late result is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock

from kiosk.errors import KioskError, OperationTimedOut

log = logging.getLogger(__name__)


class Worker:
    """A small thread pool whose callbacks run on the Kivy main thread."""

    def __init__(self, threads: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kiosk-worker")

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None], timeout: float = 15.0) -> None:
        """Run ``fn`` on a worker; call ``on_done(result)`` or ``on_error(exc)`` on the main thread, once."""
        delivered = threading.Event()

        def deliver(callback: Callable[[Any], None], value: Any) -> None:
            if delivered.is_set():
                return
            delivered.set()
            callback(value)

        def finished(future: Future[Any]) -> None:
            exc = future.exception()
            if exc is not None and not isinstance(exc, KioskError):
                log.error("worker call failed", exc_info=exc)
            if exc is None:
                Clock.schedule_once(lambda _dt: deliver(on_done, future.result()))
            else:
                Clock.schedule_once(lambda _dt: deliver(on_error, exc))

        self._pool.submit(fn).add_done_callback(finished)
        Clock.schedule_once(lambda _dt: deliver(on_error, OperationTimedOut(f"after {timeout}s")), timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
