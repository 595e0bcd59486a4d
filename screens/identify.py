"""Asks for the ID card before a number of a group that needs (or welcomes) one."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen


class IdentifyScreen(Screen):
    """Waits for a card event (handled by the App); offers "skip" when the group allows it."""
