"""Hardware that stops answering (see tests/ui/test_hang.py): the queue's figures, an ID card read and the
printer's status never return. The screen keeps running: "please wait" shows, the main loop keeps ticking and
taking touches, each call ends in a bilingual message after its timeout, and once the printer answers again a
number is taken as usual.

A real hang cannot be caused on demand, so the calls are replaced inside this process with ones that wait on a
gate (the test's only mock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from tests.ui.touch import set_variant, shot, tap, until, variant_name


class Gate:
    """Makes calls hang until ``release``."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.waiting = 0

    def hanging(self, real: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            self.waiting += 1
            self.open.wait()
            return real()

        return call

    def release(self) -> None:
        self.open.set()


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    root, manager = app.root, app.manager
    groups, identify = manager.get_screen("groups"), manager.get_screen("identify")
    notice, busy = root.notice_overlay, root._busy
    gate = Gate()
    alive = {"ticks": 0, "touches": 0}
    Clock.schedule_interval(lambda _dt: alive.__setitem__("ticks", alive["ticks"] + 1), 0.1)
    Window.bind(on_touch_down=lambda *_: alive.__setitem__("touches", alive["touches"] + 1))
    real_status = app.kiosk.desk.printer.status
    app.kiosk.backend.queue.statuses = gate.hanging(app.kiosk.backend.queue.statuses)

    def liveness() -> dict[str, int]:
        return {"frames": Clock.frames, "ticks": alive["ticks"], "touches": alive["touches"]}

    # The queue's figures never come: the group buttons say they are still loading, and still work.
    yield from until(lambda: manager.current == "home", "home screen")
    yield 0.5  # the layout settles before the first tap
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups" and gate.waiting >= 1, "group choice asking for figures")
    yield from shot(out, report["screenshots"], "groups-figures-hanging")
    report["group_info"] = groups.button("general").info
    yield from tap(groups.button("general"))
    yield from until(lambda: manager.current == "identify", "ID card prompt")

    # A card read that never finishes: after the reader's timeout the citizen is told to place it again.
    app.kiosk.reader._read_seconds = 3600
    yield from tap(root.children[0].ids.sim_card_0)
    yield from until(lambda: app.card_state == "reading", "card being read")
    yield from shot(out, report["screenshots"], "card-read-hanging")
    yield from until(lambda: notice.parent is not None, "card read timeout message", timeout=30)
    report["card_timeout"] = [notice.primary, notice.secondary]
    yield from shot(out, report["screenshots"], "card-read-timeout")
    yield from tap(notice.ok_button)
    yield from until(lambda: notice.parent is None, "card message closed")

    # The printer's status never returns, in two variants.
    report["hangs"] = []
    for lang, large in (("zh", False), ("en", True)):
        yield from set_variant(app, lang, large)
        name = variant_name(lang, large)
        app.kiosk.desk.printer.status = gate.hanging(real_status)
        yield from tap(identify.ids.skip)
        yield from until(lambda: busy.parent is not None, "'please wait' while the printer hangs")
        before = liveness()
        yield from shot(out, report["screenshots"], f"printer-hanging-{name}")
        yield from tap(busy)  # a finger on the overlay: handled (and refused), not queued behind the hang
        yield 1.0
        during = liveness()
        yield from until(lambda: notice.parent is not None, "timeout message", timeout=30)
        report["hangs"].append({"variant": name, "busy": [busy.primary, busy.secondary], "before": before,
                                "during": during, "message": [notice.primary, notice.secondary],
                                "busy_after": busy.parent is not None, "screen": manager.current})
        yield from shot(out, report["screenshots"], f"printer-timeout-{name}")
        yield from tap(notice.ok_button)
        yield from until(lambda: notice.parent is None, "timeout message closed")

    # The printer answers again: the next citizen gets a number as usual.
    app.kiosk.desk.printer.status = real_status
    gate.release()
    yield from tap(identify.ids.skip)
    yield from until(lambda: manager.current == "result", "ticket after the printer came back")
    result = manager.get_screen("result")
    report["ticket"] = {"number": result.number, "printed": result.printed}
    yield from shot(out, report["screenshots"], "ticket-after-hang")
