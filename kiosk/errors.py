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

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Register a class that sets its own ``code`` (not one inheriting its parent's), refusing a code
        that another class has: the hall client rebuilds errors from their codes (``error_for_code``)."""
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("code")
        if not isinstance(code, str):
            return
        known = _BY_CODE.get(code)
        # The same class defined again (its module imported anew) replaces itself.
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"error code {code!r} of {cls.__module__}.{cls.__qualname__} is already "
                            f"{known.__module__}.{known.__qualname__}'s")
        _BY_CODE[code] = cls

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


_BY_CODE: dict[str, type[KioskError]] = {KioskError.code: KioskError}


class OperationTimedOut(KioskError):
    """A call that did not end in time: the screen stopped waiting for it (and it must not act any more)."""

    code = "timeout"


def error_for_code(code: str) -> type[KioskError]:
    """The class registered for ``code`` (its module must have been imported); ``KeyError`` if none is."""
    return _BY_CODE[code]
