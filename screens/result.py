"""The ticket result: the number very large, people ahead, wait, QR code; "printing", then printed or the fault;
returns home."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.desk import Issued, IssueOutcome
from kiosk.devices.printer import PrinterError
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
        self._issued: Issued | None = None
        # While printing: None; then the fault that kept the ticket from coming out, or "printed".
        self._print_result: PrinterError | str | None = None
        App.get_running_app().bind(lang=lambda *_: self.render())

    def show(self, issued: Issued, qr: Texture) -> None:
        """Show the number of ``issued`` at once; its ticket is printing (or, taken on screen only, not)."""
        self._issued = issued
        self._print_result = issued.fault
        self.qr_texture = qr
        self.render()

    def print_done(self, outcome: IssueOutcome) -> None:
        """The print of the ticket on show has ended."""
        if self._issued is not None and outcome.ticket.number == self._issued.ticket.number:
            self._print_result = "printed" if outcome.printed else outcome.print_error
            self.render()

    def render(self) -> None:
        issued = self._issued
        if issued is None:
            return
        app = App.get_running_app()
        lang, lang2 = app.lang, other(app.lang)
        ticket = issued.ticket
        group = app.group(ticket.group_id)
        self.number = ticket.number
        self.priority = ticket.is_priority
        self.group_title = in_lang(group, "name", lang)
        self.group_subtitle = in_lang(group, "name", lang2)
        self.ahead_text = tr("people_ahead", lang, n=ticket.people_ahead)
        self.wait_text = wait_phrase(ticket.wait_minutes, lang)
        self.area_text = in_lang(group, "wait_area", lang)
        result = self._print_result
        self.printed = not isinstance(result, PrinterError)
        if isinstance(result, PrinterError):  # what the fault means for the number: it stays valid
            self.print_text, self.print_subtext = result.message(lang), result.message(lang2)
        else:
            key = "printed" if result == "printed" else "printing_ticket"
            self.print_text, self.print_subtext = tr(key, lang), tr(key, lang2)

    def prompt_values(self, lang: str) -> dict[str, object]:
        ahead = self._issued.ticket.people_ahead if self._issued is not None else 0
        return {"number": spell_number(self.number, lang), "ahead": ahead}

    def on_enter(self, *_: Any) -> None:
        self.start_return()

    def on_leave(self, *_: Any) -> None:
        self.stop_return()
        self.qr_texture = None
