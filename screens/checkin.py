"""Appointment check-in (预约签到): the ID card, or the appointment code on the keypad, gives the appointment's
green-channel ticket, printed and shown on the result screen; a refusal tells what to do."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.identity import Identity
from kiosk.queue.appointments import CODE_DIGITS
from screens.registry import kiosk_screen


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
        desk = app.kiosk.desk
        app.issue(lambda accepted, deadline: desk.check_in(code=code, identity=identity, accepted_fault=accepted,
                                                           deadline=deadline), "checkin_busy")
