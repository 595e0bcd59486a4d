"""The ``CardReader`` interface: card arrival and removal events, reader state, typed faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk.errors import KioskError
from kiosk.identity import Identity


class CardError(KioskError):
    code = "card_error"
    zh = "读卡失败，请重新放置身份证。"
    en = "The card could not be read. Please place it on the reader again."


class ReaderMissing(CardError):
    code = "reader_missing"
    zh = "读卡器暂时无法使用，请联系工作人员，或选择不刷卡取号。"
    en = "The card reader is not available. Please ask a member of staff, or continue without a card."


class CardRemovedEarly(CardError):
    code = "card_removed"
    zh = "身份证拿开得太早，请重新放置并保持不动，直到提示完成。"
    en = "The card was taken away too early. Place it again and hold it still until you are told."


class UnsupportedCard(CardError):
    code = "unsupported_card"
    zh = "无法识别这张卡，请使用居民身份证。"
    en = "This card is not recognised. Please use a resident ID card."


class InvalidCardData(CardError):
    code = "invalid_card"
    zh = "身份证信息无法核验，可能已损坏或过期，请联系工作人员。"
    en = "The card's data could not be verified: it may be damaged or expired. Please ask a member of staff."


class ReaderState(StrEnum):
    READY = "ready"
    CARD_PRESENT = "card_present"
    NO_READER = "no_reader"
    STOPPED = "stopped"


@dataclass(frozen=True)
class CardInserted:
    identity: Identity
    reader: str


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class CardFailed:
    error: CardError
    reader: str


CardEvent = CardInserted | CardRemoved | CardFailed
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
