"""What a ticket says, as a device-independent document that printers render.

Builds ``kiosk.devices.document.Document`` values from tickets and matters; printers render them. The texts
are in the ``ticket`` catalogue domain; each document prints Chinese, then English.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.config import KioskConfig, Material, MatterConfig
from kiosk.devices.document import Align, Block, Cut, Document, Feed, QrCode, Rule, Text
from kiosk.queue.model import Priority, Ticket, TicketStatus
from kiosk.texts import tr
from kiosk.timefmt import wait_phrase


def ticket_status_url(ticket: Ticket, config: KioskConfig) -> str:
    """Where the ticket's QR code points: its live status page."""
    return config.kiosk.kiosk.ticket_status_url.format(
        number=ticket.number, day=ticket.day.isoformat(), kiosk=ticket.kiosk_id)


def is_provisional(ticket: Ticket, config: KioskConfig) -> bool:
    """A number of this kiosk's own offline series, issued while the hall server could not be reached: the
    kiosk knew only its own part of the queue, so the people ahead and the wait it could state are not true."""
    backend = config.kiosk.backend
    return bool(backend.queue == "hall" and backend.offline_series
                and ticket.number.startswith(backend.offline_series))


def sample_ticket(config: KioskConfig, now: datetime) -> Ticket:
    """A ticket that was never issued, to check what the printer makes of one."""
    group = config.services.groups[0]
    local = now.astimezone(config.timezone)
    return Ticket(number=f"{group.prefix}{0:0{group.number_digits}d}", group_id=group.id, day=local.date(), seq=0,
                  priority=Priority.NONE, issued_at=now, status=TicketStatus.WAITING, people_ahead=3,
                  wait_minutes=int(group.service_minutes * 3 / len(group.windows)) + 1,
                  kiosk_id=config.kiosk.kiosk.id)


def _both(key: str, **values: object) -> str:
    """The text ``key`` in Chinese, a space, then in English."""
    return f"{tr(key, 'zh', **values)} {tr(key, 'en', **values)}"


def ticket_document(ticket: Ticket, config: KioskConfig, card_read: bool = False) -> Document:
    """The queue ticket: hall, service, the number very large, people ahead, wait, time, QR, footer; with
    ``card_read`` (an ID card was read for it) a reminder to take the card back."""
    hall = config.kiosk.hall
    group = config.group(ticket.group_id)
    local = ticket.issued_at.astimezone(config.timezone)
    c = Align.CENTER
    blocks: list[Block] = [
        Text(hall.name_zh, 1, c, bold=True),
        Text(hall.name_en, 1, c),
        Rule(),
        Text(group.name_zh, 2, c, bold=True),
        Text(group.name_en, 1, c),
        Text(ticket.number, 5, c, bold=True),
    ]
    if ticket.is_priority:
        priority = f"ticket.priority.{ticket.priority.value}"
        zh, en = (tr("ticket.green_channel", lang, priority=tr(priority, lang)) for lang in ("zh", "en"))
        blocks.append(Text(f"{zh} {en}", 1, c, bold=True))
    if is_provisional(ticket, config):
        blocks += [Text(tr(key, lang), 1, c) for key in ("ticket.provisional", "ticket.wait_unknown")
                   for lang in ("zh", "en")]
    else:
        blocks += [
            Text(_both("ticket.ahead", n=ticket.people_ahead), 1, c),
            Text(f"{wait_phrase(ticket.wait_minutes, 'zh')} {wait_phrase(ticket.wait_minutes, 'en')}", 1, c),
        ]
    if group.wait_area_zh:
        blocks.append(Text(f"{group.wait_area_zh} {group.wait_area_en}".strip(), 1, c))
    if card_read:
        blocks += [Text(tr("ticket.take_card", lang), 1, c, bold=True) for lang in ("zh", "en")]
    blocks += [
        Text(f"{local:%Y-%m-%d %H:%M}", 1, c),
        QrCode(ticket_status_url(ticket, config)),
        Text(_both("ticket.scan"), 1, c),
        Text(tr("ticket.keep", "zh"), 1, c),
        Text(tr("ticket.keep", "en"), 1, c),
        Text(f"{ticket.kiosk_id}  {_both('ticket.phone')} {hall.phone}" if hall.phone else ticket.kiosk_id, 1, c),
        Feed(3),
        Cut(),
    ]
    return Document(f"{ticket.day.isoformat()}-{ticket.number}", tuple(blocks))


def _materials_line(index: int, material: Material) -> str:
    """A material's line, in Chinese: its names, how many originals and copies, its note."""
    counts = []
    if material.original:
        counts.append(tr("checklist.original", "zh", n=material.original))
    if material.copies:
        counts.append(tr("checklist.copies", "zh", n=material.copies))
    amount = tr("guide_list_sep", "zh").join(counts) or tr("checklist.as_needed", "zh")
    note = tr("checklist.note", "zh", note=material.note_zh) if material.note_zh else ""
    name = f"{material.name_zh} {material.name_en}".strip()
    return tr("checklist.material", "zh", index=index, name=name, amount=amount, note=note)


def checklist_document(matter: MatterConfig, config: KioskConfig, printed_at: datetime) -> Document:
    """The one-time checklist (一次性告知单) of a matter: what to bring, where to go, how long it takes."""
    hall = config.kiosk.hall
    group = config.group(matter.group)
    c, left = Align.CENTER, Align.LEFT
    blocks: list[Block] = [
        Text(hall.name_zh, 1, c, bold=True),
        Text(tr("checklist.title", "zh"), 2, c, bold=True),
        Text(tr("checklist.title", "en"), 1, c),
        Rule(),
        Text(matter.name_zh, 2, left, bold=True),
        Text(matter.name_en, 1, left),
        Text(f"{_both('checklist.service')}: {group.name_zh} {group.name_en}", 1, left),
    ]
    for label, value in (("checklist.unit", matter.unit_zh), ("checklist.place", matter.place_zh),
                         ("checklist.time_limit", matter.time_limit_zh), ("checklist.fee", matter.fee_zh),
                         ("checklist.phone", matter.phone or hall.phone)):
        if value:
            blocks.append(Text(f"{_both(label)}: {value}", 1, left))
    if matter.appointment_required:
        blocks.append(Text(_both("checklist.appointment"), 1, left, bold=True))
    blocks += [Rule(), Text(_both("checklist.materials"), 1, left, bold=True)]
    blocks += [Text(_materials_line(i, m), 1, left) for i, m in enumerate(matter.materials, 1)]
    if matter.steps_zh:
        blocks += [Text(_both("checklist.steps"), 1, left, bold=True), Text(" → ".join(matter.steps_zh), 1, left)]
    if matter.basis_zh:
        blocks.append(Text(f"{_both('checklist.basis')}: {matter.basis_zh}", 1, left))
    local = printed_at.astimezone(config.timezone)
    blocks += [Rule(), Text(f"{_both('checklist.printed')} {local:%Y-%m-%d %H:%M}", 1, c), Feed(3), Cut()]
    return Document(f"checklist-{matter.id}-{local:%Y%m%d%H%M%S}", tuple(blocks))
