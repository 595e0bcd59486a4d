"""A simulated ID card reader, driven by hand (the demo's on-screen control, tests)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kiosk.devices.card import (
    CardError,
    CardEvent,
    CardFailed,
    CardInserted,
    CardListener,
    CardReading,
    CardRemoved,
    ReaderState,
)
from kiosk.identity import Identity

READER_NAME = "Simulated ID card reader"
READ_SECONDS = 0.3  # about as long as a real second-generation ID card read


@dataclass(frozen=True)
class DemoCard:
    label_zh: str
    label_en: str
    name: str
    id_number: str


# Fictitious people with valid check digits, for demonstrations only.
DEMO_CARDS = (
    DemoCard("长者", "Senior", "张建国", "11010519491231002X"),
    DemoCard("市民", "Citizen", "李晓梅", "110105199003071239"),
)


class SimulatedCardReader:
    """A reader whose cards are put on and taken off by calls; events come from a worker thread."""

    def __init__(self, read_seconds: float = READ_SECONDS) -> None:
        self._listener: CardListener | None = None
        self._state = ReaderState.STOPPED
        self._read_seconds = read_seconds
        self._lock = threading.Lock()

    def start(self, on_event: CardListener) -> None:
        with self._lock:
            self._listener = on_event
            self._state = ReaderState.READY

    def stop(self) -> None:
        with self._lock:
            self._listener = None
            self._state = ReaderState.STOPPED

    def status(self) -> ReaderState:
        return self._state

    def _emit_later(self, event: CardEvent, state: ReaderState, delay: float | None = None) -> None:
        def deliver() -> None:
            with self._lock:
                listener = self._listener
                if listener is None:
                    return
                self._state = state
            listener(event)

        timer = threading.Timer(self._read_seconds if delay is None else delay, deliver)
        timer.daemon = True
        timer.start()

    def insert(self, card: DemoCard) -> None:
        """Put a card on the reader; it is read (validated) as a real card would be."""
        self._emit_later(CardReading(READER_NAME), ReaderState.CARD_PRESENT, delay=0)
        self._emit_later(CardInserted(Identity.from_id_number(card.id_number, name=card.name,
                                                              source="simulated"), READER_NAME),
                         ReaderState.CARD_PRESENT)

    def fail(self, error: CardError) -> None:
        """Put a card on the reader that fails to read with ``error``."""
        self._emit_later(CardReading(READER_NAME), ReaderState.CARD_PRESENT, delay=0)
        self._emit_later(CardFailed(error, READER_NAME), ReaderState.CARD_PRESENT)

    def remove(self) -> None:
        self._emit_later(CardRemoved(READER_NAME), ReaderState.READY)
