"""``kioskctl queue status|call|finish``: the embedded queue and its windows from a shell."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from kiosk.assembly import LocalStore
from kiosk.cli.output import emit
from kiosk.cli.tickets import ticket_json
from kiosk.config import KioskConfig


def cmd_queue_status(args: argparse.Namespace, config: KioskConfig) -> int:
    statuses = LocalStore(config).queue.statuses()
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
    ticket = LocalStore(config).queue.call_next(args.group, args.window)
    if ticket is None:
        emit(args, None, f"nobody is waiting for {args.group}")
        return 0
    emit(args, ticket_json(ticket), f"{ticket.number} -> window {ticket.window}")
    return 0


def cmd_queue_finish(args: argparse.Namespace, config: KioskConfig) -> int:
    ticket = LocalStore(config).queue.finish(args.number, served=not args.no_show)
    emit(args, ticket_json(ticket), f"{ticket.number}: {ticket.status.value}")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``queue`` commands to kioskctl."""
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
