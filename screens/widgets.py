"""Shared widgets: the root layout (top bar, screens, simulation bar) and the busy and notice overlays."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import StringProperty
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


class Overlay(ModalView):
    """A full-width message over the current screen, in both languages."""

    primary = StringProperty("")
    secondary = StringProperty("")


class BusyOverlay(Overlay):
    """Shown while a number is being issued; it cannot be dismissed by a tap."""


class NoticeOverlay(Overlay):
    """A message the citizen acknowledges with one big button."""


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
        self._notice = NoticeOverlay()

    def show_busy(self, primary: str, secondary: str) -> None:
        self._busy.primary, self._busy.secondary = primary, secondary
        self._busy.open(animation=False)

    def hide_busy(self) -> None:
        self._busy.dismiss(animation=False)

    def show_notice(self, primary: str, secondary: str) -> None:
        self._notice.primary, self._notice.secondary = primary, secondary
        self._notice.open(animation=False)

    def hide_notice(self) -> None:
        self._notice.dismiss(animation=False)
