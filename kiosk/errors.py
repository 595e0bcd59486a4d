"""Typed faults a citizen or a member of staff can see, each with a message in Chinese and English."""

from __future__ import annotations

from kiosk.texts import tr


class KioskError(Exception):
    """Base of every user-visible fault.

    Subclasses set ``code``; the message is ``error.<code>`` in the catalogues (``errors.po``), and a subclass
    whose message has placeholders fills them in ``values``.
    """

    code = "error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        # The English message when there is no detail, read when asked: a subclass sets its values after this.
        return self.detail or self.message("en")

    def values(self, lang: str) -> dict[str, object]:
        """The message's placeholders in ``lang`` (none here)."""
        return {}

    def message(self, lang: str = "zh") -> str:
        """The citizen-facing message in ``lang`` ("zh" or "en")."""
        return tr(f"error.{self.code}", lang, **self.values(lang))

    def bilingual(self) -> str:
        """Both messages, Chinese first, for printing and logs."""
        return f"{self.message('zh')} / {self.message('en')}"
