"""The ticket result: the number very large, people ahead, wait, QR code; "printing", then printed or the fault.
A printed ticket returns home by itself; a number that did not come out on paper stays on screen until the
citizen says they have noted it (or scanned its QR code). A number the citizen already held today is shown the
same way, as it stands now, with "Print it again"."""

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
from kiosk.ticket import is_provisional
from kiosk.timefmt import wait_phrase
from screens.idle import ReturnsHome
from screens.registry import kiosk_screen


@kiosk_screen("result")
class ResultScreen(ReturnsHome, Screen):
    prompt_key = "speech_ticket"  # spoken in large-font mode: the number digit by digit, the queue, the card
    number = StringProperty("")
    group_title = StringProperty("")
    group_subtitle = StringProperty("")
    ahead_text = StringProperty("")
    wait_text = StringProperty("")
    area_text = StringProperty("")
    print_text = StringProperty("")
    print_subtext = StringProperty("")
    take_card_text = StringProperty("")  # a card was read for this number: the citizen is told to take it back
    printed = BooleanProperty(True)
    # The number the citizen already held (the per-person limit), shown again: not printed unless they ask, once.
    held = BooleanProperty(False)
    can_print_again = BooleanProperty(False)
    priority = BooleanProperty(False)
    qr_texture = ObjectProperty(None, allownone=True)

    def on_kv_post(self, _base: Any) -> None:
        self._issued: Issued | None = None
        self._card_read = False
        # While printing: None; then the fault that kept the ticket from coming out, or "printed".
        self._print_result: PrinterError | str | None = None
        App.get_running_app().bind(lang=lambda *_: self.render())

    def show(self, issued: Issued, qr: Texture, card_read: bool = False, held: bool = False) -> None:
        """Show the number of ``issued`` at once; its ticket is printing (or, taken on screen only, not).
        ``card_read``: an ID card was read for it, and the citizen is reminded to take it. ``held``: a number the
        citizen already had, shown again; it is printed only if they tap "Print it again"."""
        self._issued = issued
        self._card_read = card_read
        self._print_result = "held" if held else issued.fault
        self.held = self.can_print_again = held
        self.qr_texture = qr
        self.render()

    def print_again(self) -> None:
        if self._issued is not None and self.can_print_again:
            self.can_print_again = False
            App.get_running_app().print_again(self._issued)

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
        if is_provisional(ticket, app.kiosk_config):  # the kiosk cannot know the hall's queue: say so
            self.ahead_text, self.wait_text = tr("provisional_number", lang), tr("provisional_wait", lang)
        else:
            self.ahead_text = tr("people_ahead", lang, n=ticket.people_ahead)
            self.wait_text = wait_phrase(ticket.wait_minutes, lang)
        self.area_text = in_lang(group, "wait_area", lang)
        self.take_card_text = f"{tr('take_card', lang)}  {tr('take_card', lang2)}" if self._card_read else ""
        result = self._print_result
        self.printed = not isinstance(result, PrinterError)
        if not self.printed:
            self.stop_return()  # the number exists only on this screen: it stays until the citizen has noted it
        if isinstance(result, PrinterError):  # what the fault means for the number: it stays valid
            self.print_text, self.print_subtext = result.message(lang), result.message(lang2)
        else:
            key = {"printed": "printed", "held": "held_not_printed"}.get(str(result), "printing_ticket")
            self.print_text, self.print_subtext = tr(key, lang), tr(key, lang2)

    def prompt_values(self, lang: str) -> dict[str, object]:
        issued = self._issued
        if issued is None or is_provisional(issued.ticket, App.get_running_app().kiosk_config):
            queue = tr("speech_provisional", lang)
        else:
            ahead = issued.ticket.people_ahead
            queue = tr("speech_ahead", lang, n=ahead) if ahead else tr("speech_none_ahead", lang)
        return {"number": spell_number(self.number, lang), "queue": queue,
                "card": tr("speech_take_card", lang) if self._card_read else ""}

    def on_enter(self, *_: Any) -> None:
        if self.printed:
            self.start_return()

    def on_leave(self, *_: Any) -> None:
        self.stop_return()
        self.qr_texture = None
