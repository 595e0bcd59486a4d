"""The ticket result: the number very large, people ahead, wait, QR code, printed or not; returns home."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.desk import IssueOutcome
from kiosk.devices.speech import spell_number
from kiosk.texts import in_lang, other, tr
from kiosk.timefmt import wait_phrase
from screens.idle import ReturnsHome
from screens.registry import kiosk_screen


@kiosk_screen("result")
class ResultScreen(ReturnsHome, Screen):
    prompt_key = "speech_ticket"  # spoken in large-font mode: the number, digit by digit
    number = StringProperty("")
    group_title = StringProperty("")
    group_subtitle = StringProperty("")
    ahead_text = StringProperty("")
    wait_text = StringProperty("")
    area_text = StringProperty("")
    print_text = StringProperty("")
    print_subtext = StringProperty("")
    printed = BooleanProperty(True)
    priority = BooleanProperty(False)
    qr_texture = ObjectProperty(None, allownone=True)

    def on_kv_post(self, _base: Any) -> None:
        self._outcome: IssueOutcome | None = None
        App.get_running_app().bind(lang=lambda *_: self.render())

    def show(self, outcome: IssueOutcome, qr: Texture) -> None:
        """Show ``outcome``; called just before the screen becomes current."""
        self._outcome = outcome
        self.qr_texture = qr
        self.render()

    def render(self) -> None:
        outcome = self._outcome
        if outcome is None:
            return
        app = App.get_running_app()
        lang, lang2 = app.lang, other(app.lang)
        ticket = outcome.ticket
        group = app.group(ticket.group_id)
        self.number = ticket.number
        self.priority = ticket.is_priority
        self.group_title = in_lang(group, "name", lang)
        self.group_subtitle = in_lang(group, "name", lang2)
        self.ahead_text = tr("people_ahead", lang, n=ticket.people_ahead)
        self.wait_text = wait_phrase(ticket.wait_minutes, lang)
        self.area_text = in_lang(group, "wait_area", lang)
        self.printed = outcome.printed
        if outcome.printed:
            self.print_text, self.print_subtext = tr("printed", lang), tr("printed", lang2)
        else:
            error = outcome.print_error
            assert error is not None
            self.print_text, self.print_subtext = error.message(lang), error.message(lang2)

    def prompt_values(self, lang: str) -> dict[str, object]:
        ahead = self._outcome.ticket.people_ahead if self._outcome is not None else 0
        return {"number": spell_number(self.number, lang), "ahead": ahead}

    def on_enter(self, *_: Any) -> None:
        self.start_return()

    def on_leave(self, *_: Any) -> None:
        self.stop_return()
        self.qr_texture = None
