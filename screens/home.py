"""Home: the hall, date and time, whether numbers are issued now, and the big "take a number" button."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.hours import describe_sessions
from kiosk.identity import Identity
from kiosk.texts import tr
from kiosk.timefmt import day, moment
from screens.registry import kiosk_screen


@kiosk_screen("home")
class HomeScreen(Screen):
    prompt_key = "speech_home"  # spoken in large-font mode
    clock_text = StringProperty("")
    date_text = StringProperty("")
    state_text = StringProperty("")
    hours_text = StringProperty("")
    take_subtitle = StringProperty("")
    is_open = BooleanProperty(False)

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        app.bind(lang=lambda *_: self.refresh())
        self.refresh()
        Clock.schedule_interval(lambda _dt: self.refresh(), 1.0)

    def on_identity(self, _identity: Identity) -> None:
        """A card put on the reader here starts taking a number (the app decides the next screen)."""
        App.get_running_app().card_on_home()

    def refresh(self) -> None:
        app = App.get_running_app()
        lang = app.lang
        now = app.clock().astimezone(app.kiosk_config.timezone)
        state = app.kiosk.hours.state(now)
        self.is_open = state.open
        self.clock_text = f"{now:%H:%M}"
        self.date_text = day(now, lang)
        self.state_text = tr("open_now" if state.open else "closed_now", lang)
        self.hours_text = (tr("today_hours", lang, hours=describe_sessions(state.today))
                           if state.today else tr("closed_today", lang))
        if state.open:
            self.take_subtitle = tr("take_number_hint", lang)
        elif state.next_open is not None:
            self.take_subtitle = tr("next_open", lang, when=moment(state.next_open, lang))
        else:
            self.take_subtitle = tr("unavailable_closed", lang)
