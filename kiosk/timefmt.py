"""Dates and times as a citizen reads them, in Chinese and English."""

from __future__ import annotations

from datetime import datetime

_ZH_WEEKDAYS = "一二三四五六日"


def day(when: datetime, lang: str) -> str:
    """``11月24日（周二）`` or ``Tue 24 Nov``."""
    if lang == "zh":
        return f"{when.month}月{when.day}日（周{_ZH_WEEKDAYS[when.weekday()]}）"
    return f"{when:%a} {when.day} {when:%b}"


def moment(when: datetime, lang: str) -> str:
    """``11月24日（周二）09:00`` or ``Tue 24 Nov 09:00``."""
    return f"{day(when, lang)}{'' if lang == 'zh' else ' '}{when:%H:%M}"


def wait_phrase(value: int, lang: str) -> str:
    """An estimated wait: ``预计等候约 15 分钟`` / ``Estimated wait: about 15 min``."""
    if value <= 0:
        return "无需等待" if lang == "zh" else "No wait expected"
    return f"预计等候约 {value} 分钟" if lang == "zh" else f"Estimated wait: about {value} min"
