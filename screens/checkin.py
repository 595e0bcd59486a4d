"""Appointment check-in (预约签到): the ID card, or the appointment code on the keypad, gives the appointment's
green-channel ticket, printed and shown on the result screen; a refusal tells what to do."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.desk import IssueOutcome
from kiosk.identity import Identity
from kiosk.queue.appointments import CODE_DIGITS
from screens.app import qr_png
from screens.registry import kiosk_screen


class StepBox(BoxLayout):
    """A vertical box whose height follows ``mode``: "grow" takes its share of the space, "fit" is as tall as its
    content (0 when empty: a spacer), "hidden" has no height, is invisible and deaf to touches (its hidden
    buttons keep their old places, and a disabled button swallows a touch that lands on it).

    Used by the check-in and rating screens, which show one step at a time. The height is set here on every
    change of mode: a layout leaves a widget whose size hint becomes None at the height it last gave it, so a
    kv rule like ``height: 0`` (evaluated once) would not do."""

    mode = OptionProperty("grow", options=("grow", "fit", "hidden"))

    def on_kv_post(self, _base: Any) -> None:
        self.bind(minimum_height=lambda *_: self._apply())
        self._apply()

    def on_mode(self, *_: Any) -> None:
        self._apply()

    def _apply(self) -> None:
        hidden = self.mode == "hidden"
        self.size_hint_y = 1 if self.mode == "grow" else None
        if self.mode != "grow":
            self.height = 0 if hidden else self.minimum_height
        # Not ``disabled``: hidden, it takes no touches anyway, and toggling ``disabled`` on a box whose buttons
        # toggle their own (a keypad's OK) can leave one of their labels disabled, swallowing every touch.
        self.opacity = 0 if hidden else 1

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_up(touch))


@kiosk_screen("checkin")
class CheckinScreen(Screen):
    """``step`` is "card" (place the card, or choose the code) or "code" (the keypad); a card read checks in
    from either."""

    step = StringProperty("card")
    code_digits = NumericProperty(CODE_DIGITS)

    def on_leave(self, *_: Any) -> None:
        self.step = "card"
        self.ids.keypad.clear()

    def back(self) -> None:
        """From the keypad back to the card; from the card back home."""
        if self.step == "code":
            self.step = "card"
        else:
            App.get_running_app().go_home()

    def on_identity(self, identity: Identity) -> None:
        self.check_in(identity=identity)

    def check_in(self, code: str = "", identity: Identity | None = None) -> None:
        app = App.get_running_app()
        appointments = app.backend.appointments

        def work() -> tuple[IssueOutcome, bytes]:
            outcome = app.desk.check_in(appointments, code=code, identity=identity)
            return outcome, qr_png(outcome.status_url)

        app.call(work, app.show_ticket, busy="checkin_busy", timeout=20)
