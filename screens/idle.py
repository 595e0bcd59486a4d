"""Returns an untouched screen to home, with a visible countdown for its last seconds; and the screens that
show an outcome (a ticket, thanks) return home by themselves (``ReturnsHome``).

Every touch anywhere counts as activity; during the countdown one touch cancels it. Going home ends the
citizen's session, so the identity read from a card does not outlive an abandoned kiosk.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import NumericProperty

COUNTDOWN_SECONDS = 10
# Screens that return home by themselves (the ticket result has its own countdown).
SELF_RETURNING = {"home", "result"}


class IdleWatch:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_touch = time.monotonic()
        Window.bind(on_touch_down=self._touched)
        Clock.schedule_interval(lambda _dt: self.check(), 0.5)

    def _touched(self, *_: Any) -> bool:
        self.last_touch = time.monotonic()
        if self.app.kiosk_root.countdown_open():
            self.app.kiosk_root.hide_countdown()
            return True  # this touch only cancels the countdown
        return False

    def limit(self) -> int:
        acc = self.app.kiosk_config.kiosk.accessibility
        return acc.large_font_idle_seconds if self.app.large else acc.idle_seconds

    def check(self) -> None:
        root = self.app.kiosk_root
        if self.app.manager.current in SELF_RETURNING or self.app.busy:
            self.last_touch = time.monotonic()
            root.hide_countdown()
            return
        left = self.limit() - (time.monotonic() - self.last_touch)
        if left <= 0:
            root.hide_countdown()
            self.app.go_home()
        elif left <= COUNTDOWN_SECONDS:
            root.show_countdown(int(left + 0.999))


class ReturnsHome:
    """Mixin of a screen that shows an outcome and goes home by itself after the app's return time (longer in
    large-font mode); ``seconds_left`` counts down on screen."""

    seconds_left = NumericProperty(0)
    _return_tick: Any = None

    def start_return(self) -> None:
        self.stop_return()
        self.seconds_left = App.get_running_app().return_seconds()
        self._return_tick = Clock.schedule_interval(self._count_down, 1.0)

    def stop_return(self) -> None:
        if self._return_tick is not None:
            self._return_tick.cancel()
            self._return_tick = None

    def _count_down(self, _dt: float) -> None:
        self.seconds_left -= 1
        if self.seconds_left <= 0:
            App.get_running_app().go_home()
