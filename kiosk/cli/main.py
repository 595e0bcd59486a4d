"""``kioskctl``: maintenance from a shell. Every command takes ``--config DIR``.

Exit codes: 0 done, 2 bad configuration or usage, 3 refused (closed, quota, invalid ID, unknown number).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.cli.admin import register as register_admin
from kiosk.cli.card import register as register_card
from kiosk.cli.hall import register as register_hall
from kiosk.cli.maintenance import register_config_actions, register_status
from kiosk.cli.outbox import register as register_outbox
from kiosk.cli.output import EXIT_CONFIG, EXIT_REFUSED, emit
from kiosk.cli.printer import add_port_options, open_desk
from kiosk.cli.printer import register as register_printer
from kiosk.config import SCHEMA_VERSION, ConfigError, KioskConfig, Migration, default_config_dir, load_config
from kiosk.config_store import ConfigStore
from kiosk.desk import IssueOutcome
from kiosk.errors import KioskError
from kiosk.identity import Identity
from kiosk.queue.model import Priority, Ticket
from kiosk.services import embedded_queue, embedded_reprints


def _ticket_json(ticket: Ticket) -> dict[str, Any]:
    data = asdict(ticket)
    data.update(day=ticket.day.isoformat(), issued_at=ticket.issued_at.isoformat(),
                priority=ticket.priority.value, status=ticket.status.value)
    return data


def _older_file(config: KioskConfig, migration: Migration) -> tuple[dict[str, Any], list[str]]:
    """What ``config check`` says about a file of an older schema version: as data and as lines."""
    folder = config.source_dir
    try:
        diff, refused = ConfigStore(folder).diff(folder / migration.file), ""
    except ConfigError as exc:
        diff, refused = "", "; ".join(p.message for p in exc.problems)
    data = {"file": migration.file, "schema_version": migration.version, "current_version": SCHEMA_VERSION,
            "changes": list(migration.changes), "apply_diff": diff, "apply_refused": refused}
    lines = [f"{migration.file}: schema_version {migration.version} (current: {SCHEMA_VERSION}), read as version "
             f"{SCHEMA_VERSION} " + ("after these changes:" if migration.changes else "with no key changed")]
    lines += [f"  - {change}" for change in migration.changes]
    apply = f"`kioskctl config apply {folder} --config {folder}`"
    if refused:
        lines.append(f"  The file on disk is unchanged; {apply} refuses it: {refused}")
    else:
        lines.append(f"  The file on disk is unchanged; {apply} would write it at version {SCHEMA_VERSION}, "
                     "comments kept:")
        lines += [f"    {line}" for line in diff.splitlines()]
    return data, lines


def cmd_config_check(args: argparse.Namespace, config: KioskConfig) -> int:
    older = [_older_file(config, m) for m in config.migrations]
    groups, matters = len(config.services.groups), len(config.services.matters)
    emit(args, {"ok": True, "dir": str(config.source_dir), "service_groups": groups, "matters": matters,
                "schema_version": SCHEMA_VERSION, "older_files": [data for data, _ in older]},
         "\n".join([f"OK: {config.source_dir} ({groups} service groups, {matters} matters)"]
                   + [line for _, lines in older for line in lines]))
    return 0


def cmd_ticket_issue(args: argparse.Namespace, config: KioskConfig) -> int:
    identity = Identity.from_id_number(args.id_number, source="kioskctl") if args.id_number else None
    if args.print:
        outcome = open_desk(args, config).take_number(args.group, identity, Priority(args.priority))
        ticket = outcome.ticket
        printed = _printed_text(outcome)
    else:
        ticket = embedded_queue(config).issue(args.group, identity, Priority(args.priority))
        printed = ""
    group = config.group(ticket.group_id)
    data = _ticket_json(ticket)
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
    outcome = open_desk(args, config).reprint(args.number, day)
    emit(args, {**_ticket_json(outcome.ticket), "printed": outcome.printed,
                "error": outcome.print_error.code if outcome.print_error else ""},
         f"{outcome.ticket.number}: {_printed_text(outcome)}")
    return 0 if outcome.printed else EXIT_REFUSED


def cmd_ticket_unprinted(args: argparse.Namespace, config: KioskConfig) -> int:
    pending = embedded_reprints(config).pending()
    emit(args, [{"day": p.day.isoformat(), "number": p.number, "reason": p.reason,
                 "recorded_at": p.recorded_at.isoformat()} for p in pending],
         "\n".join(f"{p.day}  {p.number:<8} {p.reason}" for p in pending) or "every ticket was printed")
    return 0


def cmd_queue_status(args: argparse.Namespace, config: KioskConfig) -> int:
    statuses = embedded_queue(config).statuses()
    if args.json:
        emit(args, [{**asdict(s), "id": s.group_id, "serving": list(s.serving)} for s in statuses], "")
        return 0
    print(f"{'id':<12}{'name':<28}{'waiting':>8}{'next':>7}{'wait':>7}  issued/quota  state")
    for s in statuses:
        state = "open" if s.available else s.refusal_code
        print(f"{s.group_id:<12}{s.name_en[:26]:<28}{s.waiting:>8}{s.next_number:>7}{s.wait_minutes:>5}m"
              f"  {s.issued:>5}/{s.quota:<5}  {state}")
    return 0


def cmd_queue_call(args: argparse.Namespace, config: KioskConfig) -> int:
    ticket = embedded_queue(config).call_next(args.group, args.window)
    if ticket is None:
        emit(args, None, f"nobody is waiting for {args.group}")
        return 0
    emit(args, _ticket_json(ticket), f"{ticket.number} -> window {ticket.window}")
    return 0


def cmd_queue_finish(args: argparse.Namespace, config: KioskConfig) -> int:
    ticket = embedded_queue(config).finish(args.number, served=not args.no_show)
    emit(args, _ticket_json(ticket), f"{ticket.number}: {ticket.status.value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command is not overwritten by the command's own default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="DIR", default=argparse.SUPPRESS,
                        help=f"configuration folder (default: {default_config_dir()})")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    parser = argparse.ArgumentParser(prog="kioskctl", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="area", required=True)

    config = sub.add_parser("config", help="check configuration").add_subparsers(dest="action", required=True)
    config.add_parser("check", parents=[common], help="validate kiosk.toml and services.toml") \
        .set_defaults(func=cmd_config_check)
    register_config_actions(config, common)
    register_status(sub, common)

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

    queue = sub.add_parser("queue", help="queue state and windows").add_subparsers(dest="action", required=True)
    queue.add_parser("status", parents=[common], help="every group's waiting count and next number") \
        .set_defaults(func=cmd_queue_status)
    call = queue.add_parser("call", parents=[common], help="call the next number of a group to a window")
    call.add_argument("group")
    call.add_argument("--window", required=True)
    call.set_defaults(func=cmd_queue_call)
    finish = queue.add_parser("finish", parents=[common], help="mark a called number served")
    finish.add_argument("number")
    finish.add_argument("--no-show", action="store_true", help="the citizen did not come")
    finish.set_defaults(func=cmd_queue_finish)
    register_printer(sub, common)
    register_hall(sub, common)
    register_card(sub, common)
    register_outbox(sub, common)
    register_admin(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name, default in (("config", None), ("json", False)):
        vars(args).setdefault(name, default)
    if getattr(args, "raw_config", False):
        return int(args.func(args, Path(args.config) if args.config else default_config_dir()))
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"configuration refused: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return int(args.func(args, config))
    except KioskError as exc:
        print(f"{exc.code}: {exc.bilingual()}", file=sys.stderr)
        return EXIT_REFUSED

