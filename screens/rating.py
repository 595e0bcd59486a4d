"""Satisfaction rating (好差评): the ticket by its number or the ID card, one of five levels; for a bad one the
reasons and, if wished, a mobile number for a call back; then thanks and home.

Steps (``step``): "identify" (keypad, or a card) → "level" → for 不满意/非常不满意 "reasons" → "phone" →
"thanks". The levels and reasons come from ``kiosk.queue.ratings``; the checks are the core's.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.identity import Identity
from kiosk.queue.errors import AlreadyRated, InvalidPhone
from kiosk.queue.model import Ticket
from kiosk.queue.ratings import Level, Rating, Reason, mask_phone, valid_mobile
from kiosk.texts import in_lang, other, tr
from screens.idle import ReturnsHome
from screens.registry import kiosk_screen
from screens.widgets import Choice

# What each step shows as its title and hint (the level step's title names the ticket, the thanks its outcome).
_TEXTS = {"identify": ("rating_identify", "rating_identify_hint"), "reasons": ("rating_reasons_title", "rating_reasons_hint"),
          "phone": ("rating_phone_title", "rating_phone_hint")}
_PREVIOUS = {"level": "identify", "reasons": "level", "phone": "reasons"}


@kiosk_screen("rating")
class RatingScreen(ReturnsHome, Screen):
    step = StringProperty("identify")
    title = StringProperty("")
    subtitle = StringProperty("")
    hint = StringProperty("")
    letters = ListProperty([])
    chosen = ListProperty([])  # the reasons picked, as ``Reason`` values
    # Landscape (every step but the thanks): the texts and "back" beside the step rather than above it.
    side_by_side = BooleanProperty(False)

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        self._ticket: Ticket | None = None
        self._level: Level | None = None
        self._rating: Rating | None = None
        # Letter keys for ticket numbers: every group's prefix and green-channel prefix, each once.
        self.letters = sorted(app.kiosk_config.services.prefixes)
        app.bind(lang=lambda *_: self.render())
        self.bind(step=lambda *_: self.render(), chosen=lambda *_: self.render())
        self.bind(step=self._arrange, size=self._arrange)
        # The reason buttons are made anew when the page size changes (font mode, orientation): colour them then.
        self.ids.reasons.bind(rows=self._recolour, cols=self._recolour)
        self.render()

    # -- what is shown -------------------------------------------------------------------------

    def _arrange(self, *_: Any) -> None:
        self.side_by_side = self.width > self.height and self.step in ("identify", "level", "reasons", "phone")

    def render(self) -> None:
        app = App.get_running_app()
        lang, lang2 = app.lang, other(app.lang)
        if self.step == "level" and self._ticket is not None:
            self.title, self.subtitle = self._ticket_text(lang), self._ticket_text(lang2)
            self.hint = ""
        elif self.step == "thanks":
            self.title, self.subtitle = tr("rating_thanks", lang), tr("rating_thanks", lang2)
            self.hint = self._thanks_detail(lang)
        else:
            title, hint = _TEXTS.get(self.step, _TEXTS["identify"])
            self.title, self.subtitle = tr(title, lang), tr(title, lang2)
            self.hint = tr(hint, lang) if hint else ""
        # A chosen reason is marked (and coloured, below); no third line, so that long names still fit.
        self.ids.reasons.choices = [
            Choice(r.value, ("✔ " if r.value in self.chosen else "") + r.text(lang),
                   r.text(lang2)) for r in Reason]
        self._colour_reasons()

    def _recolour(self, *_: Any) -> None:
        Clock.schedule_once(lambda _dt: self._colour_reasons())

    def _colour_reasons(self) -> None:
        # A chosen reason stands out in colour as well as by its "selected" line.
        for button in self.ids.reasons.buttons:
            button.tone = "selected" if button.choice_key in self.chosen else "primary"

    def _ticket_text(self, lang: str) -> str:
        assert self._ticket is not None
        app = App.get_running_app()
        group = app.group(self._ticket.group_id)
        return tr("rating_for_ticket", lang, number=self._ticket.number,
                  service=in_lang(group, "name", lang))

    def _thanks_detail(self, lang: str) -> str:
        rating = self._rating
        if rating is None or not rating.level.bad:
            return tr("rating_thanks_good", lang)
        detail = tr("rating_thanks_bad", lang)
        if rating.phone:
            detail += " " + tr("rating_thanks_callback", lang, phone=mask_phone(rating.phone))
        return detail

    # -- the steps -----------------------------------------------------------------------------

    def on_identity(self, identity: Identity) -> None:
        if self.step == "identify":
            self._find(identity=identity)

    def find_number(self, number: str) -> None:
        self._find(number=number)

    def _find(self, number: str = "", identity: Identity | None = None) -> None:
        app = App.get_running_app()
        ratings = app.kiosk.backend.ratings
        app.call(lambda: ratings.rateable_ticket(number=number, identity=identity), self._found, busy="loading")

    def _found(self, ticket: Ticket) -> None:
        self._ticket = ticket
        self.ids.number_keypad.clear()
        self.step = "level"

    def choose_level(self, value: int) -> None:
        self._level = Level(value)
        if self._level.bad:
            self.chosen = []
            self.ids.reasons.show_page(0)
            self.step = "reasons"
        else:
            self._submit()

    def toggle_reason(self, value: str) -> None:
        self.chosen = [r for r in self.chosen if r != value] if value in self.chosen else [*self.chosen, value]

    def submit_phone(self, phone: str) -> None:
        if not valid_mobile(phone):
            App.get_running_app().show_error(InvalidPhone(mask_phone(phone)))
            return
        self._submit(phone)

    def submit_without_phone(self) -> None:
        self._submit()

    def _submit(self, phone: str = "") -> None:
        app = App.get_running_app()
        assert self._ticket is not None and self._level is not None
        ratings, number, level, reasons = app.kiosk.backend.ratings, self._ticket.number, int(self._level), list(self.chosen)
        kiosk_id = app.kiosk_config.kiosk.kiosk.id
        app.call(lambda: ratings.submit(level, number, kiosk_id=kiosk_id, reasons=reasons, phone=phone),
                 self._submitted, self._refused, busy="rating_submitting")

    def _submitted(self, rating: Rating) -> None:
        self._rating = rating
        self.step = "thanks"
        self.start_return()

    def _refused(self, error: BaseException) -> None:
        App.get_running_app().show_error(error)
        if isinstance(error, AlreadyRated):  # rated meanwhile (another kiosk): nothing left to rate here
            self.reset()

    def back(self) -> None:
        """One step back; from the first step (or the thanks) home."""
        if self.step in _PREVIOUS:
            self.step = _PREVIOUS[self.step]
        else:
            App.get_running_app().go_home()

    def reset(self) -> None:
        """Forget the ticket, the level, the reasons and the phone number: the next citizen starts afresh."""
        self.stop_return()
        self._ticket = self._level = self._rating = None
        self.chosen = []
        self.ids.number_keypad.clear()
        self.ids.phone_keypad.clear()
        self.step = "identify"

    def on_leave(self, *_: Any) -> None:
        self.reset()

