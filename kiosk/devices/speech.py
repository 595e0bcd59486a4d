"""The ``Speaker`` interface (spoken prompts for large-font mode), a silent one, and how numbers are read out."""

from __future__ import annotations

from typing import Protocol

from kiosk.texts import WORD_SEPARATORS, tr


class Speaker(Protocol):
    """Reads prompts aloud. ``say`` returns at once; a new prompt cuts off the one being spoken."""

    def say(self, text: str, lang: str) -> None:
        """Speak ``text`` in ``lang`` ("zh" or "en") instead of whatever is being spoken."""

    def stop(self) -> None:
        """Stop speaking (the citizen left large-font mode or the screen)."""

    def close(self) -> None:
        """Stop and release the speaker (the app is closing)."""


class NullSpeaker:
    """No speech: disabled in the configuration, or no speech engine on this kiosk."""

    def say(self, text: str, lang: str) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def spell_number(number: str, lang: str) -> str:
    """A queue number as a caller reads it, digit by digit: "A023" → "A 零二三" / "A 0 2 3"
    (a speech engine would otherwise say "A twenty-three")."""
    letters = "".join(ch for ch in number if not ch.isdigit())
    digits = [ch for ch in number if ch.isdigit()]
    spoken = WORD_SEPARATORS[lang].join(tr(f"digit_{d}", lang) for d in digits)
    return f"{letters} {spoken}".strip()
