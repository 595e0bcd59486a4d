"""The way into maintenance: the top bar's left corner held for 3 seconds on the home screen, then the PIN.

A quick tap on the corner does nothing, so a citizen cannot stumble into it; the PIN is checked (and wrong
tries counted) by ``kiosk.admin_pin.PinGuard`` off the UI thread.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.admin_pin import PinError, PinGuard
from kiosk.texts import other
from screens.registry import kiosk_screen

HOLD_SECONDS = 3.0


def _guard(app: Any) -> PinGuard:
    return PinGuard.for_config(app.kiosk_config, app.clock)


def open_sign_in(app: Any) -> None:
    """Show the PIN entry (from the home screen, where the last citizen's session has ended); a card left on the
    reader is forgotten, the language and mode the member of staff chose stay."""
    if app.busy or app.kiosk_root.overlay_open() or app.manager.current in ("admin_pin", "maintenance"):
        return
    app.session.forget_identity()
    app.go("admin_pin")


class HiddenCorner(Widget):
    """The top bar's left corner, where the home button is (hidden and disabled on the home screen): there, on
    the home screen, a finger held for ``HOLD_SECONDS`` without leaving the corner opens the maintenance
    sign-in; lifting it earlier does nothing. It lives inside the home button (taking no room in the bar) and
    watches the window's touches, which reach it before the widgets do (the disabled button swallows them)."""

    def on_kv_post(self, _base: Any) -> None:
        self._pending: dict[Any, Any] = {}
        Window.bind(on_touch_down=self._down, on_touch_move=self._move, on_touch_up=self._up)

    def _watching(self) -> bool:
        if self.get_root_window() is None:  # an old top bar, replaced when the configuration was reloaded
            Window.unbind(on_touch_down=self._down, on_touch_move=self._move, on_touch_up=self._up)
            return False
        app = App.get_running_app()
        return app.manager.current == "home" and not app.kiosk_root.overlay_open() and not app.busy

    def _in_corner(self, touch: Any) -> bool:
        button = self.parent
        bar = button.parent
        left, bottom = bar.to_window(bar.x, bar.y)
        right, top = button.to_window(button.right, bar.top)
        return left <= touch.x <= right and bottom <= touch.y <= top

    def _down(self, _window: Any, touch: Any) -> bool:
        if not (self._watching() and self._in_corner(touch)):
            return False
        self._pending[touch.uid] = Clock.schedule_once(lambda _dt: self._held(touch.uid), HOLD_SECONDS)
        return True  # nothing else is there to touch on the home screen

    def _move(self, _window: Any, touch: Any) -> bool:
        if touch.uid in self._pending and not self._in_corner(touch):
            self._pending.pop(touch.uid).cancel()
        return False

    def _up(self, _window: Any, touch: Any) -> bool:
        event = self._pending.pop(touch.uid, None)
        if event is None:
            return False
        event.cancel()
        return True

    def _held(self, uid: Any) -> None:
        self._pending.pop(uid, None)
        open_sign_in(App.get_running_app())


@kiosk_screen("admin_pin")
class AdminPinScreen(Screen):
    """Masked keypad; says how many tries are left after a wrong PIN, and until when a lock holds."""

    message = StringProperty("")
    message2 = StringProperty("")

    def on_kv_post(self, _base: Any) -> None:
        self._refusal: PinError | None = None
        App.get_running_app().bind(lang=lambda *_: self._render())

    def on_pre_enter(self, *_: Any) -> None:
        self.ids.keypad.clear()
        self._show(None)
        # A lock in force is said at once, before anyone types.
        app = App.get_running_app()
        app.call(lambda: _guard(app).check_open(), lambda _state: None, self._refused)

    def on_leave(self, *_: Any) -> None:
        self.ids.keypad.clear()
        self._show(None)

    def submit(self, pin: str) -> None:
        app = App.get_running_app()
        self.ids.keypad.clear()
        self._show(None)
        guard = _guard(app)
        calls = app.kiosk.staff.calls

        def sign_in() -> None:
            guard.attempt(pin)
            calls.answer_all("maintenance screen")  # staff are at the kiosk: its calls for them are answered

        app.call(sign_in, self._accepted, self._refused, busy="maint_checking")

    def _accepted(self, _result: None) -> None:
        app = App.get_running_app()
        app.manager.get_screen("maintenance").open_session()
        app.go("maintenance")

    def _refused(self, error: BaseException) -> None:
        if isinstance(error, PinError):
            self._show(error)
        else:
            App.get_running_app().show_error(error)

    def _show(self, refusal: PinError | None) -> None:
        self._refusal = refusal
        self._render()

    def _render(self) -> None:
        lang = App.get_running_app().lang
        refusal = self._refusal
        self.message = refusal.message(lang) if refusal else ""
        self.message2 = refusal.message(other(lang)) if refusal else ""
