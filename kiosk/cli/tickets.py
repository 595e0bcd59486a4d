"""``kioskctl ticket issue|reprint|unprinted``: numbers issued from a shell, and tickets waiting for a reprint."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date
from typing import Any

from kiosk.assembly import LocalStore
from kiosk.cli.output import EXIT_REFUSED, emit
from kiosk.cli.printer import add_port_options, open_kiosk
from kiosk.config import KioskConfig
from kiosk.desk import IssueOutcome
from kiosk.identity import Identity
from kiosk.queue.model import Priority, Ticket


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    data = asdict(ticket)
    data.update(day=ticket.day.isoformat(), issued_at=ticket.issued_at.isoformat(),
                priority=ticket.priority.value, status=ticket.status.value)
    return data


def cmd_ticket_issue(args: argparse.Namespace, config: KioskConfig) -> int:
    identity = Identity.from_id_number(args.id_number, source="kioskctl") if args.id_number else None
    if args.print:
        # Staff asked for the number: it is issued even when the printer cannot print, and the fault reported.
        outcome = open_kiosk(args, config).desk.take_number(args.group, identity, Priority(args.priority),
                                                           screen_only=True)
        ticket = outcome.ticket
        printed = _printed_text(outcome)
    else:
        ticket = LocalStore(config).queue.issue(args.group, identity, Priority(args.priority))
        printed = ""
    group = config.group(ticket.group_id)
    data = ticket_json(ticket)
    if args.print:
        data.update(printed=outcome.printed, error=outcome.print_error.code if outcome.print_error else "")
    emit(args, data,
          f"{ticket.number}  {group.name_zh} / {group.name_en}  ahead: {ticket.people_ahead}  "
          f"wait: {ticket.wait_minutes} min  priority: {ticket.priority.value}"
          + (f"  id: {ticket.id_masked}" if ticket.id_masked else "") + (f"  {printed}" if printed else ""))
    return 0


def _printed_text(outcome: IssueOutcome) -> str:
    return "printed" if outcome.print_error is None else f"NOT printed ({outcome.print_error.bilingual()})"


def cmd_ticket_reprint(args: argparse.Namespace, config: KioskConfig) -> int:
    day = date.fromisoformat(args.day) if args.day else None
    outcome = open_kiosk(args, config).desk.reprint(args.number, day)
    emit(args, {**ticket_json(outcome.ticket), "printed": outcome.printed,
                "error": outcome.print_error.code if outcome.print_error else ""},
         f"{outcome.ticket.number}: {_printed_text(outcome)}")
    return 0 if outcome.printed else EXIT_REFUSED


def cmd_ticket_unprinted(args: argparse.Namespace, config: KioskConfig) -> int:
    pending = LocalStore(config).reprints.pending()
    emit(args, [{"day": p.day.isoformat(), "number": p.number, "reason": p.reason,
                 "recorded_at": p.recorded_at.isoformat()} for p in pending],
         "\n".join(f"{p.day}  {p.number:<8} {p.reason}" for p in pending) or "every ticket was printed")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``ticket`` commands to kioskctl."""
    ticket = sub.add_parser("ticket", help="issue tickets").add_subparsers(dest="action", required=True)
    issue = ticket.add_parser("issue", parents=[common], help="issue a number of a service group")
    issue.add_argument("group")
    issue.add_argument("--id-number", help="the citizen's ID number (shown and stored masked only)")
    issue.add_argument("--priority", choices=[p.value for p in Priority], default=Priority.NONE.value)
    issue.add_argument("--print", action="store_true", help="print the ticket on the configured printer")
    add_port_options(issue)
    issue.set_defaults(func=cmd_ticket_issue)
    reprint = ticket.add_parser("reprint", parents=[common], help="print an issued ticket again")
    reprint.add_argument("number")
    reprint.add_argument("--day", help="YYYY-MM-DD (default: today)")
    add_port_options(reprint)
    reprint.set_defaults(func=cmd_ticket_reprint)
    ticket.add_parser("unprinted", parents=[common], help="tickets whose print failed and await a reprint") \
        .set_defaults(func=cmd_ticket_unprinted)
