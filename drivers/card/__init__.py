"""ID card readers: the ``CardReader`` interface and its implementations."""

from drivers.card.base import (
    CardError,
    CardEvent,
    CardFailed,
    CardInserted,
    CardReader,
    CardReading,
    CardReadTimeout,
    CardRemoved,
    CardRemovedEarly,
    CardUidRead,
    ExpiredCard,
    InvalidCardData,
    NoCardPresented,
    ReaderMissing,
    ReaderState,
    ReaderStatus,
    UnsupportedCard,
)

__all__ = ["CardError", "CardEvent", "CardFailed", "CardInserted", "CardReadTimeout", "CardReader", "CardReading",
           "CardRemoved", "CardRemovedEarly", "CardUidRead", "ExpiredCard", "InvalidCardData", "NoCardPresented",
           "ReaderMissing", "ReaderState", "ReaderStatus", "UnsupportedCard"]
