"""A hall server that accepts connections but answers too late (see tests/ui/test_slow_hall.py).

The kiosk is configured for a hall server on 127.0.0.1 that takes each request and answers only long after
the kiosk's read timeout. A citizen taps "take a number", a group and "skip the card": "please wait" shows,
the main loop keeps drawing, ticking (the idle clock too) and taking touches while the worker waits on the
network, and the call ends in time with a bilingual message; with an offline series configured
(``SLOW_HALL_OFFLINE=1``) the kiosk issues a number of its own series instead and shows the offline mark.
No mock: the slowness is a real server's.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.backend.catalog_sync import catalogue_report
from tests.ui.touch import VARIANTS, set_variant, shot, tap, until, variant_name

OFFLINE = os.environ.get("SLOW_HALL_OFFLINE") == "1"


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    root, manager = app.root, app.manager
    home, groups, identify = (manager.get_screen(n) for n in ("home", "groups", "identify"))
    notice, busy = root.notice_overlay, root._busy
    alive = {"ticks": 0, "touches": 0}
    Clock.schedule_interval(lambda _dt: alive.__setitem__("ticks", alive["ticks"] + 1), 0.1)
    Window.bind(on_touch_down=lambda *_: alive.__setitem__("touches", alive["touches"] + 1))

    def liveness() -> dict[str, Any]:
        # IdleWatch refreshes last_touch on every check while a call runs: the idle clock is ticking.
        return {"frames": Clock.frames, "ticks": alive["ticks"], "touches": alive["touches"],
                "idle_clock": app.idle.last_touch}

    yield from until(lambda: manager.current == "home", "home screen")
    # The catalogue check at start met the same slow server: the kiosk keeps its own catalogue.
    yield from until(lambda: catalogue_report(app.kiosk_config.state_dir()).outcome != "", "catalogue check",
                     timeout=30)
    report["catalogue"] = catalogue_report(app.kiosk_config.state_dir()).state
    report["attempts"] = []
    for lang, large in VARIANTS if not OFFLINE else VARIANTS[::3]:
        name = variant_name(lang, large)
        yield from set_variant(app, lang, large)
        yield from tap(home.ids.take_number)
        yield from until(lambda: manager.current == "groups", "group choice")
        yield from shot(out, report["screenshots"], f"groups-{name}")
        yield from tap(groups.button("general"))
        yield from until(lambda: manager.current == "identify", "ID card prompt")
        yield from shot(out, report["screenshots"], f"identify-{name}")
        yield from tap(identify.ids.skip)
        attempt: dict[str, Any] = {"variant": name}
        # Offline, a citizen gets the kiosk's own number at once (no call to wait for) once the kiosk knows the
        # hall is down: after a first slow attempt, or when the outbox worker's health check found it first.
        if not OFFLINE or not (report["attempts"] or app.kiosk.backend.offline):
            yield from until(lambda: busy.parent is not None, "'please wait' while the hall server is slow")
            before = liveness()
            yield from shot(out, report["screenshots"], f"waiting-{name}")
            yield from tap(busy)  # a finger on the overlay: handled (and refused), not queued behind the call
            yield 0.5
            attempt.update(busy=[busy.primary, busy.secondary], before=before, during=liveness(),
                           busy_during=busy.parent is not None)
        if OFFLINE:
            result = manager.get_screen("result")
            yield from until(lambda: manager.current == "result", "offline ticket", timeout=30)
            yield from until(lambda: app.offline and bool(root.ids.topbar.state), "offline mark")
            attempt.update(number=result.number, printed=result.printed, offline_mark=root.ids.topbar.notice,
                           ahead=result.ahead_text, wait=result.wait_text)
            yield from shot(out, report["screenshots"], f"offline-ticket-{name}")
            yield from tap(result.ids.done)
        else:
            yield from until(lambda: notice.parent is not None, "message after the timeout", timeout=30)
            attempt.update(message=[notice.primary, notice.secondary], screen=manager.current,
                           busy_after=busy.parent is not None)
            yield from shot(out, report["screenshots"], f"unreachable-{name}")
            yield from tap(notice.ok_button)
            yield from until(lambda: notice.parent is None, "message closed")
            yield from tap(root.ids.home_button)
        yield from until(lambda: manager.current == "home", "back home")
        report["attempts"].append(attempt)
