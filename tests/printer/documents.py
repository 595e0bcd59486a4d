"""Fixed documents for the printer tests and the benchmark: tickets and a checklist with every field set,
so that the encoder's bytes are deterministic (golden files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from drivers.printer.escpos import EscPosSettings
from kiosk.config import KioskConfig, Material, MatterConfig
from kiosk.devices.document import Document, Text
from kiosk.queue.model import Priority, Ticket, TicketStatus
from kiosk.ticket import checklist_document, ticket_document, ticket_status_url

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2026, 11, 24, 10, 5, tzinfo=SHANGHAI)  # a Tuesday, inside opening hours
PRINTED_AT = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


def make_ticket(number: str = "A023", group_id: str = "general", priority: Priority = Priority.NONE,
                people_ahead: int = 7, wait_minutes: int = 10, kiosk_id: str = "K01") -> Ticket:
    return Ticket(number=number, group_id=group_id, day=date(2026, 11, 24), seq=int(number.lstrip("ABCDEFGHJV")),
                  priority=priority, issued_at=ISSUED, status=TicketStatus.WAITING, people_ahead=people_ahead,
                  wait_minutes=wait_minutes, kiosk_id=kiosk_id)


# A matter with long Chinese and Latin text mixed in every field: the checklist wraps on every width.
CHECKLIST_MATTER = MatterConfig(
    id="realestate-transfer-full",
    group="realestate",
    name_zh="二手房转移登记（含共有产权、继承及赠与情形）",
    name_en="Transfer registration of a resold home, including co-owned, inherited and gifted homes",
    basis_zh="《不动产登记暂行条例》第十四条、《不动产登记暂行条例实施细则》第三十八条",
    unit_zh="示范市不动产登记中心 Demo City Real Estate Registration Center",
    steps_zh=["取号", "窗口受理", "缴纳税费", "审核登簿", "领取不动产权证书"],
    fee_zh="登记费 80 元/件（住宅），工本费 10 元/本 (fees waived for low-income households)",
    time_limit_zh="5 个工作日 (5 working days)",
    place_zh="一楼 7-10 号窗口 Windows 7-10, 1F",
    phone="0000-12345601",
    appointment_required=True,
    materials=[
        Material(name_zh="不动产登记申请书", name_en="Application form", original=1),
        Material(name_zh="买卖双方身份证", name_en="ID cards of buyer and seller", original=1, copies=1,
                 note_zh="委托办理的另需授权委托书及受托人身份证 (power of attorney if done by an agent)"),
        Material(name_zh="不动产权证书", name_en="Real estate title certificate", original=1),
        Material(name_zh="存量房买卖合同", name_en="Sales contract, signed online (网签备案)", original=1, copies=2),
        Material(name_zh="完税凭证", name_en="Receipts for deed tax and VAT", original=1, copies=1),
        Material(name_zh="婚姻状况证明", original=0, copies=0),
    ],
)
# The same matter without its steps line (the steps are joined by "→").
CHECKLIST_MATTER_NO_STEPS = CHECKLIST_MATTER.model_copy(update={"steps_zh": []})


@dataclass(frozen=True)
class Case:
    """A document, the encoder settings it is printed with, and (for tickets) the ticket and its URL."""

    name: str
    document: Document
    settings: EscPosSettings
    ticket: Ticket | None = None
    status_url: str | None = None

    @property
    def golden(self) -> str:
        return f"{self.name}.bin"


def ticket_case(name: str, ticket: Ticket, config: KioskConfig, settings: EscPosSettings) -> Case:
    return Case(name, ticket_document(ticket, config), settings, ticket, ticket_status_url(ticket, config))


def golden_cases(config: KioskConfig) -> dict[str, Case]:
    """The four documents kept as golden files in ``tests/printer/golden/``."""
    plain = make_ticket()
    green = make_ticket("V003", priority=Priority.ELDERLY, people_ahead=2, wait_minutes=3)
    cases = [
        ticket_case("ticket-80mm", plain, config, EscPosSettings(columns=48)),
        ticket_case("ticket-58mm", plain, config, EscPosSettings(columns=32)),
        # Other settings on this one: module size, error correction and cut come from the configuration.
        ticket_case("ticket-green-80mm", green, config,
                    EscPosSettings(columns=48, qr_module_size=5, qr_error_correction="Q", cut="full")),
        Case("checklist-80mm", checklist_document(CHECKLIST_MATTER, config, PRINTED_AT), EscPosSettings(columns=48)),
    ]
    return {case.name: case for case in cases}


def text_blocks(document: Document) -> list[Text]:
    return [b for b in document.blocks if isinstance(b, Text)]


def joins_back(text: str, lines: list[str]) -> bool:
    """Whether ``lines`` are ``text`` broken into lines: the same characters in order, only whitespace
    dropped at the breaks (a break may also fall inside a word, with nothing dropped)."""
    pattern = r"\s*".join(re.escape(line) for line in lines)
    return re.fullmatch(pattern, text) is not None
