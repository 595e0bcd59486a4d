"""The ``CardReader`` interface: card arrival and removal events, reader state, typed faults.

Every fault a citizen can meet is a ``CardError`` subclass with its own message in Chinese and English;
``detail`` is for staff and logs and never holds data read from a card.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from kiosk.errors import KioskError
from kiosk.identity import Identity


class CardError(KioskError):
    code = "card_error"


class ReaderMissing(CardError):
    code = "reader_missing"


class CardRemovedEarly(CardError):
    code = "card_removed"


class UnsupportedCard(CardError):
    code = "unsupported_card"


class InvalidCardData(CardError):
    code = "invalid_card"


class ExpiredCard(InvalidCardData):
    code = "expired_card"


class CardReadTimeout(CardError):
    code = "card_timeout"


class NoCardPresented(CardError):
    code = "no_card"


def mask_uid(uid: str) -> str:
    """A card UID (hex) for logs and screens: the last four digits only."""
    return "*" * max(len(uid) - 4, 0) + uid[-4:]


class ReaderState(StrEnum):
    READY = "ready"
    CARD_PRESENT = "card_present"
    NO_READER = "no_reader"
    STOPPED = "stopped"


@dataclass(frozen=True)
class CardReading:
    """A card arrived and is being read: the screen can say so before the (slower) result."""

    reader: str


@dataclass(frozen=True)
class CardInserted:
    """A card was read into a validated identity by the card profile ``profile``."""

    identity: Identity
    reader: str
    profile: str = ""


@dataclass(frozen=True)
class CardUidRead:
    """A card was recognised only by its UID (profile type ``uid``): the hall's backend maps it to a person."""

    uid: str = field(repr=False)
    reader: str
    profile: str = ""

    def __repr__(self) -> str:
        return f"CardUidRead({mask_uid(self.uid)}, reader={self.reader!r}, profile={self.profile!r})"


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class CardFailed:
    error: CardError
    reader: str


@dataclass(frozen=True)
class ReaderStatus:
    """The reader appeared or disappeared (unplugged, pcscd gone, back again); ``detail`` says why, for staff."""

    state: ReaderState
    reader: str
    detail: str = ""


CardEvent = CardReading | CardInserted | CardUidRead | CardRemoved | CardFailed | ReaderStatus
CardListener = Callable[[CardEvent], None]


class CardReader(Protocol):
    """Watches a reader; events arrive on the reader's own thread, never the UI thread."""

    def start(self, on_event: CardListener) -> None:
        """Start watching and report every card arrival, removal and failure to ``on_event``."""
        ...

    def stop(self) -> None:
        """Stop watching; no events arrive after this returns."""
        ...

    def status(self) -> ReaderState:
        ...


def reader_matches(pattern: str, name: str) -> bool:
    """Case-insensitive: a wildcard pattern (``*``, ``?``, ``[``) matches the whole name, anything else any
    part of it; an empty pattern matches every reader."""
    if not pattern:
        return True
    p, n = pattern.casefold(), name.casefold()
    return fnmatch.fnmatchcase(n, p) if any(c in p for c in "*?[") else p in n


@dataclass(frozen=True)
class ReaderSighting:
    """One reader as the PC/SC service sees it, for staff tools (``kioskctl card list``, ``kioskctl status``):
    its card, and the configured profiles that would read that card."""

    name: str
    card_present: bool
    mute: bool
    atr: bytes = b""
    in_use: bool = False
    selected: bool = False  # ``[card_reader].reader`` chooses this one
    profiles: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        return "mute" if self.card_present and self.mute else "card" if self.card_present else "empty"
