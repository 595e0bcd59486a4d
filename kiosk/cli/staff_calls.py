"""``kioskctl staff-calls [list|answer ID|answer --all]``: this kiosk's calls for staff from a shell.

``list`` (the default) shows the calls no one has answered: a citizen's help call (with the screen they were on)
and the kiosk's alarm when a ticket did not print. ``answer`` marks one (or every) call as seen to; signing in on
the kiosk's maintenance screen answers them too. A hall kiosk's calls are also on the hall's clerk and manager
pages, and are answered there.
"""

from __future__ import annotations

import argparse
import getpass
from dataclasses import asdict
from typing import Any

from kiosk.assembly import LocalStore
from kiosk.cli.output import emit
from kiosk.config import KioskConfig
from kiosk.diagnostics import staff_call_alert
from kiosk.queue.staff_calls import StaffCall


def _public(call: StaffCall) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in asdict(call).items()}


def cmd_list(args: argparse.Namespace, config: KioskConfig) -> int:
    calls = LocalStore(config).staff_calls.open_calls()
    emit(args, [_public(c) for c in calls],
         "\n".join(staff_call_alert(c, config) for c in calls) or "no call for staff is open")
    return 0


def cmd_answer(args: argparse.Namespace, config: KioskConfig) -> int:
    log, by = LocalStore(config).staff_calls, getpass.getuser()
    answered = log.answer_all(by) if args.all else [log.answer(args.id, by)]
    emit(args, [_public(c) for c in answered],
         "\n".join(f"call {c.id} answered" for c in answered) or "no call for staff was open")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``kioskctl staff-calls [list|answer ID|answer --all]``."""
    calls = sub.add_parser("staff-calls", parents=[common],
                           help="calls for staff from this kiosk (a citizen's help call, a ticket not printed)")
    calls.set_defaults(func=cmd_list)
    actions = calls.add_subparsers(dest="action")
    actions.add_parser("list", parents=[common], help="the calls no one has answered, oldest first (default)") \
        .set_defaults(func=cmd_list)
    answer = actions.add_parser("answer", parents=[common], help="a member of staff has seen to a call")
    target = answer.add_mutually_exclusive_group(required=True)
    target.add_argument("id", type=int, nargs="?")
    target.add_argument("--all", action="store_true", help="every open call")
    answer.set_defaults(func=cmd_answer)
