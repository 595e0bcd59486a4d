"""Faults of taking a number, each with a message a citizen understands."""

from __future__ import annotations

from datetime import datetime

from kiosk.errors import KioskError
from kiosk.timefmt import moment


class QueueRefused(KioskError):
    """Base of every refusal to issue a number."""

    code = "queue_refused"


class UnknownGroup(QueueRefused):
    code = "unknown_group"
    zh = "没有这个业务类别，请重新选择。"
    en = "This service is not offered here. Please choose again."


class IdentityRequired(QueueRefused):
    code = "identity_required"
    zh = "办理此项业务需要先刷身份证。"
    en = "This service needs your ID card. Please place it on the reader."


class _WithNextOpening(QueueRefused):
    """A refusal that tells when numbers are issued again."""

    zh_prefix = ""
    en_prefix = ""

    def __init__(self, next_open: datetime | None, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.next_open = next_open

    def message(self, lang: str = "zh") -> str:
        if self.next_open is None:
            tail = "请留意大厅公告。" if lang == "zh" else "Please check the hall's notices."
        elif lang == "zh":
            tail = f"下次取号时间：{moment(self.next_open, 'zh')}。"
        else:
            tail = f"Numbers are issued again from {moment(self.next_open, 'en')}."
        return (self.zh_prefix if lang == "zh" else self.en_prefix) + tail


class QueueClosed(_WithNextOpening):
    """Outside opening hours, in the lunch break, or after the last-ticket time."""

    code = "queue_closed"
    zh_prefix = "现在不是取号时间。"
    en_prefix = "Numbers are not issued at this time. "


class QuotaExhausted(_WithNextOpening):
    """The group's numbers for today are all issued."""

    code = "quota_exhausted"
    zh_prefix = "今日该业务号源已发完。"
    en_prefix = "All of today's numbers for this service have been issued. "


class TicketLimitReached(QueueRefused):
    """The person already holds as many open tickets for the group today as allowed."""

    code = "ticket_limit"

    def __init__(self, existing: str) -> None:
        super().__init__(existing)
        self.existing = existing

    def message(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"您今天已取过此业务的号（{self.existing}），请等候叫号。"
        return f"You already have a number for this service today ({self.existing}). Please wait to be called."


class TicketNotFound(KioskError):
    code = "ticket_not_found"
    zh = "没有找到这个号码，请核对后重试。"
    en = "This number was not found. Please check it and try again."
