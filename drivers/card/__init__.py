"""ID card readers: the ``CardReader`` interface and its implementations."""

from drivers.card.base import (
    CardError,
    CardEvent,
    CardFailed,
    CardInserted,
    CardReader,
    CardRemoved,
    CardRemovedEarly,
    InvalidCardData,
    ReaderMissing,
    ReaderState,
    UnsupportedCard,
)

__all__ = ["CardError", "CardEvent", "CardFailed", "CardInserted", "CardReader", "CardRemoved",
           "CardRemovedEarly", "InvalidCardData", "ReaderMissing", "ReaderState", "UnsupportedCard"]
