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


class UnknownWindow(KioskError):
    code = "unknown_window"
    zh = "没有这个窗口，请核对窗口号。"
    en = "There is no such window. Please check the window number."


class NoCurrentTicket(KioskError):
    """A window operation needs a called ticket at the window, and there is none."""

    code = "no_current_ticket"
    zh = "本窗口当前没有正在呼叫或办理的号码。"
    en = "No number is being called or served at this window."


class NoShowTooEarly(KioskError):
    """A no-show may be marked only after the configured number of recalls."""

    code = "no_show_too_early"

    def __init__(self, recalls_needed: int) -> None:
        super().__init__(str(recalls_needed))
        self.recalls_needed = recalls_needed

    def message(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"请再重呼 {self.recalls_needed} 次，仍未到再标记过号。"
        return f"Please call the number again {self.recalls_needed} more time(s) before marking a no-show."


class SameGroup(KioskError):
    code = "same_group"
    zh = "该号码已在此业务类别中，请选择其他类别。"
    en = "The number is already in this service group. Please choose another one."


class AppointmentNotFound(KioskError):
    code = "appointment_not_found"
    zh = "没有找到您今天的预约。请核对预约码后重新输入；如未预约或预约已取消，请重新预约，或直接取号办理。"
    en = ("No appointment for today was found. Please check the code and type it again; if you have not booked "
          "or the booking was cancelled, please book again or take a number.")


class _CheckInWindow(KioskError):
    """A refusal that tells the booked time, so the citizen knows when to come (back). The times are the
    hall's local times (the service passes them so, and the hall server's error detail keeps their offset),
    shown as hours and minutes only: a kiosk checks in only today's appointments."""

    zh_text = ""
    en_text = ""

    def __init__(self, starts_at: datetime, opens_at: datetime) -> None:
        super().__init__(starts_at.isoformat())
        self.starts_at = starts_at
        self.opens_at = opens_at

    def message(self, lang: str = "zh") -> str:
        text = self.zh_text if lang == "zh" else self.en_text
        return text.format(start=f"{self.starts_at:%H:%M}", opens=f"{self.opens_at:%H:%M}")


class CheckInTooEarly(_CheckInWindow):
    code = "check_in_too_early"
    # The spaces let a narrow line break there (after punctuation, around a time) rather than inside a time or
    # before a full stop.
    zh_text = "您预约的时间是今天 {start}， 现在还不能签到。 请于 {opens} 以后再来签到。"
    en_text = "Your appointment is today at {start}, too early to check in now. Please check in from {opens}."


class CheckInTooLate(_CheckInWindow):
    code = "check_in_too_late"
    zh_text = "您预约的时间（今天 {start}）已过， 签到时间已结束。 请直接取普通号办理， 或咨询工作人员。"
    en_text = ("Your appointment today at {start} has passed and check-in has closed. Please take an ordinary "
               "number, or ask a member of staff.")


class AlreadyCheckedIn(KioskError):
    code = "already_checked_in"

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number

    def message(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"该预约已签到，您的号码是 {self.number}，请等候叫号。"
        return f"This appointment is already checked in: your number is {self.number}. Please wait to be called."


class InvalidRecord(KioskError):
    """Data sent to the hall (an appointment, a progress record, a rating, a catalogue) is not valid."""

    code = "invalid_record"
    zh = "提交的数据有误，未保存。"
    en = "The data sent is not valid and was not saved."


class ProgressNotFound(KioskError):
    code = "progress_not_found"
    zh = "没有查到该办件的进度，请核对受理编号，或咨询窗口工作人员。"
    en = "No progress was found for this application. Please check the receipt number or ask at a window."


class AlreadyRated(KioskError):
    """One rating per ticket."""

    code = "already_rated"
    zh = "这个号码已经评价过了，每个号码只能评价一次。感谢您的评价！"
    en = "This number has already been rated; each number can be rated once. Thank you!"


class NoTicketToday(KioskError):
    """Rating by ID card: no number was issued to this person today."""

    code = "no_ticket_today"
    zh = "没有查到您今天的取号记录。请输入小票上的号码进行评价。"
    en = "No number issued to you today was found. Please type the number on your ticket to rate."


class InvalidPhone(KioskError):
    """A call-back number that is not a mainland mobile number."""

    code = "invalid_phone"
    zh = "手机号码应为11位数字，以1开头，请核对后重新输入。"
    en = "A mobile number has 11 digits and starts with 1. Please check it and type it again."


class RatingNotFound(KioskError):
    code = "rating_not_found"
    zh = "没有这条评价。"
    en = "There is no such rating."


class CatalogGroupsChanged(KioskError):
    """Service groups decide numbering: they change with services.toml and a restart, not at run time."""

    code = "catalog_groups_changed"
    zh = "业务类别（号段、窗口）不能在线修改，请修改 services.toml 后重启大厅服务器；事项指南可在线更新。"
    en = "Service groups cannot be changed online: edit services.toml and restart the hall server. Guides can."
