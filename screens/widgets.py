"""Shared widgets: the root layout (top bar, screens, simulation bar) and the busy and notice overlays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from drivers.card.base import InvalidCardData
from drivers.card.simulated import DEMO_CARDS


class KText(Label):
    """A themed label: ``role`` picks the font size, ``tone`` the colour (see ``screens.theme``)."""

    role = StringProperty("body")
    tone = StringProperty("text")


class BigButton(ButtonBehavior, BoxLayout):
    """A large touch target with a title, a second-language subtitle and an optional info line."""

    title = StringProperty("")
    subtitle = StringProperty("")
    info = StringProperty("")
    tone = StringProperty("primary")


def _tr(key: str) -> str:
    app = App.get_running_app()
    return f"{app.tr(key, app.lang)}  {app.tr2(key, app.lang)}"


def _overlay_button(overlay: Overlay, tone: str, action: Callable[[], None]) -> BigButton:
    button = BigButton(tone=tone)
    button.bind(on_release=lambda *_: action())
    overlay.ids.buttons.add_widget(button)
    return button


class Overlay(ModalView):
    """A full-width message over the current screen, in both languages."""

    primary = StringProperty("")
    secondary = StringProperty("")


class BusyOverlay(Overlay):
    """Shown while a number is being issued; it cannot be dismissed by a tap."""


class NoticeOverlay(Overlay):
    """A message the citizen acknowledges with one big button."""

    def on_kv_post(self, _base: Any) -> None:
        self.ok_button = _overlay_button(self, "primary", lambda: self.dismiss(animation=False))

    def on_open(self) -> None:
        self.ok_button.title = _tr("ok")


class ConfirmOverlay(Overlay):
    """A question with a "yes" button (``confirm_text``) and a "back" button."""

    confirm_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_confirm: Callable[[], None] = lambda: None

    def on_kv_post(self, _base: Any) -> None:
        self.confirm_button = _overlay_button(self, "primary", self.confirm)
        self.back_button = _overlay_button(self, "muted", lambda: self.dismiss(animation=False))

    def on_open(self) -> None:
        self.confirm_button.title = self.confirm_text
        self.back_button.title = _tr("back")

    def confirm(self) -> None:
        self.dismiss(animation=False)
        self.on_confirm()


class CountdownOverlay(Overlay):
    """"Returning home in N s, touch to continue": shown for the last seconds of an idle screen."""

    seconds = NumericProperty(0)


class SimCardBar(BoxLayout):
    """Buttons that put a simulated ID card on the reader. Exists only with the simulated reader."""

    def insert(self, index: int) -> None:
        reader = App.get_running_app().simulated_reader
        reader.insert(DEMO_CARDS[index])

    def insert_damaged(self) -> None:
        App.get_running_app().simulated_reader.fail(InvalidCardData("simulated"))

    def remove(self) -> None:
        App.get_running_app().simulated_reader.remove()


class KioskRoot(BoxLayout):
    """Top bar (same place on every screen), the screens, and in simulation the card bar."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._busy = BusyOverlay()
        self.notice_overlay = NoticeOverlay()
        self.confirm_overlay = ConfirmOverlay()
        self.countdown_overlay = CountdownOverlay()

    def overlay_open(self) -> bool:
        return any(o.parent is not None for o in (self._busy, self.notice_overlay, self.confirm_overlay))

    def countdown_open(self) -> bool:
        return self.countdown_overlay.parent is not None

    def show_countdown(self, seconds: int) -> None:
        app = App.get_running_app()
        overlay = self.countdown_overlay
        overlay.seconds = seconds
        overlay.primary = app.tr("idle_countdown", app.lang, s=seconds)
        overlay.secondary = app.tr2("idle_countdown", app.lang, s=seconds)
        if overlay.parent is None:
            overlay.open(animation=False)

    def hide_countdown(self) -> None:
        if self.countdown_open():
            self.countdown_overlay.dismiss(animation=False)

    def show_busy(self, primary: str, secondary: str) -> None:
        self._busy.primary, self._busy.secondary = primary, secondary
        self._busy.open(animation=False)

    def hide_busy(self) -> None:
        self._busy.dismiss(animation=False)

    def show_notice(self, primary: str, secondary: str) -> None:
        self.notice_overlay.primary, self.notice_overlay.secondary = primary, secondary
        self.notice_overlay.open(animation=False)

    def show_confirm(self, primary: str, secondary: str, confirm_text: str, on_confirm: Callable[[], None]) -> None:
        overlay = self.confirm_overlay
        overlay.primary, overlay.secondary, overlay.confirm_text = primary, secondary, confirm_text
        overlay.on_confirm = on_confirm
        overlay.open(animation=False)

