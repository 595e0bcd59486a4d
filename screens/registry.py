"""Screens register themselves by name; the app adds every registered screen to its screen manager.

A screen module ``screens/<name>.py`` with its layout in ``screens/<name>.kv`` declares its screen with
``@kiosk_screen("name")``; the app loads every ``.kv`` file of the package and imports its module, so adding
a screen touches no central list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kivy.uix.screenmanager import Screen

SCREENS: dict[str, type[Screen]] = {}
S = TypeVar("S", bound=type[Screen])


def kiosk_screen(name: str) -> Callable[[S], S]:
    """Register the decorated ``Screen`` class under ``name`` (the name ``app.go(name)`` takes)."""

    def register(cls: S) -> S:
        SCREENS[name] = cls
        return cls

    return register
