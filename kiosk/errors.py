"""Typed faults a citizen or a member of staff can see, each with a message in Chinese and English."""

from __future__ import annotations


class KioskError(Exception):
    """Base of every user-visible fault.

    Subclasses set ``code`` and the two messages; ``message(lang)`` picks one.
    """

    code = "error"
    zh = "系统暂时无法办理，请联系工作人员。"
    en = "Something went wrong. Please ask a member of staff."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.en)
        self.detail = detail

    def message(self, lang: str = "zh") -> str:
        """The citizen-facing message in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en

    def bilingual(self) -> str:
        """Both messages, Chinese first, for printing and logs."""
        return f"{self.message('zh')} / {self.message('en')}"
