"""Asks for the ID card before a number of a group that needs (or welcomes) one."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.identity import Identity
from screens.registry import kiosk_screen


@kiosk_screen("identify")
class IdentifyScreen(Screen):
    """Waits for a card; offers "skip" when the group allows it."""

    prompt_key = "place_card"  # spoken in large-font mode

    def on_identity(self, _identity: Identity) -> None:
        app = App.get_running_app()
        if app.pending_group:
            app.take_number()
