"""Dates and times as a citizen reads them, in Chinese and English (formats and names from the catalogues)."""

from __future__ import annotations

from datetime import datetime

from kiosk.texts import tr


def _names(when: datetime, lang: str) -> dict[str, object]:
    return {"day": when.day, "month": tr(f"month_{when.month}", lang), "weekday": tr(f"weekday_{when.weekday()}", lang)}


def day(when: datetime, lang: str) -> str:
    """``11月24日（周二）`` or ``Tue 24 Nov``."""
    return tr("day", lang, **_names(when, lang))


def short_date(when: datetime, lang: str, this_year: int) -> str:
    """``11月20日`` / ``20 Nov``, with the year when it is not ``this_year``."""
    key = "short_date" if when.year == this_year else "short_date_year"
    return tr(key, lang, year=when.year, **_names(when, lang))


def moment(when: datetime, lang: str) -> str:
    """``11月24日（周二）09:00`` or ``Tue 24 Nov 09:00``."""
    return tr("moment", lang, day=day(when, lang), time=f"{when:%H:%M}")


def wait_phrase(value: int, lang: str) -> str:
    """An estimated wait: ``预计等候约 15 分钟`` / ``Estimated wait: about 15 min``."""
    return tr("wait_minutes", lang, n=value) if value > 0 else tr("wait_none", lang)
