"""Interface texts in Chinese and English; ``tr(key, lang)`` picks one."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "take_number": ("取号", "Take a number"),
    "take_number_hint": ("选择业务，领取排队号", "Choose a service and get a queue number"),
    "choose_group": ("请选择办理的业务", "Choose a service"),
    "home": ("首页", "Home"),
    "back": ("返回", "Back"),
    "language": ("English", "中文"),
    "large_font": ("长辈模式", "Large text"),
    "standard_font": ("标准模式", "Standard text"),
    "open_now": ("正在办公", "Open now"),
    "closed_now": ("现在不取号", "No numbers now"),
    "today_hours": ("今日办公时间：{hours}", "Today's hours: {hours}"),
    "closed_today": ("今日不办公", "Closed today"),
    "next_open": ("下次取号：{when}", "Next numbers from: {when}"),
    "waiting": ("等候 {n} 人", "{n} waiting"),
    "unavailable_closed": ("现在不是取号时间", "Not issuing numbers now"),
    "unavailable_quota": ("今日号源已发完", "No numbers left today"),
    "loading": ("正在查询…", "Loading…"),
    "issuing": ("正在取号，请稍候…", "Getting your number…"),
    "place_card": ("请将身份证放在读卡区", "Please place your ID card on the reader"),
    "place_card_hint": ("老年人刷身份证可走绿色通道", "Seniors with an ID card go to the green channel"),
    "card_required": ("办理此业务需要身份证", "This service needs your ID card"),
    "skip_card": ("不刷卡，直接取号", "Continue without ID card"),
    "card_read": ("已读取身份证：{who}", "ID card read: {who}"),
    "reading_card": ("正在读卡…", "Reading your card…"),
    "reading_card_hint": ("请保持身份证不动，直到读卡完成", "Keep the card still until it has been read"),
    "reader_missing": ("读卡器暂时无法使用", "The card reader is not available"),
    "reader_missing_hint": ("请联系工作人员，或选择不刷卡取号", "Please ask a member of staff, or continue without a card"),
    "reader_missing_no_skip": ("请联系工作人员", "Please ask a member of staff"),
    "your_number": ("您的号码", "Your number"),
    "people_ahead": ("前面还有 {n} 人", "{n} people ahead of you"),
    "green_channel": ("绿色通道", "Green channel"),
    "printed": ("请取走小票", "Please take your ticket"),
    "scan_qr": ("扫码在手机上查看排队进度", "Scan to follow the queue on your phone"),
    "done": ("完成", "Done"),
    "idle_countdown": ("{s} 秒后返回首页，触摸屏幕继续操作", "Returning to the home screen in {s} s. Touch to continue."),
    "screen_only": ("您仍可取号，号码会显示在屏幕上，可用手机扫码保存。",
                    "You can still take a number: it is shown on screen, and you can scan it with your phone."),
    "take_on_screen": ("仍然取号（屏幕显示）", "Take a number on screen"),
    "returning": ("{s} 秒后返回首页", "Back to home in {s} s"),
    "ok": ("知道了", "OK"),
    "simulate_card": ("模拟身份证（仅演示）", "Simulated ID card (demo only)"),
    "remove_card": ("拿走卡片", "Remove card"),
    "bad_card": ("损坏的卡", "Damaged card"),
    "timeout": ("系统响应超时，请稍后再试或联系工作人员。", "The system did not answer in time. Please try again or ask staff."),
}


def tr(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), with ``{placeholders}`` filled from ``values``."""
    zh, en = TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def other(lang: str) -> str:
    """The second language shown under the first."""
    return "en" if lang == "zh" else "zh"
