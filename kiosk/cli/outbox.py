"""``kioskctl outbox [list|dead|retry ID|drop ID]``: a hall kiosk's outbox from a shell.

``list`` (the default) shows the entries waiting for the hall server, oldest first; ``dead`` the entries it
refused, each with the reason; ``retry ID`` puts a refused entry back in the queue (after the cause was fixed,
e.g. the appointment restored) and ``drop ID`` deletes it (handled by hand). The running kiosk app delivers
what waits by itself. Call-back phone numbers are shown masked.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.assembly import LocalStore
from kiosk.backend.resilient import Outbox, OutboxEntry
from kiosk.cli.output import emit
from kiosk.config import KioskConfig
from kiosk.errors import KioskError


class NoOutbox(KioskError):
    code = "no_outbox"


def _outbox(config: KioskConfig) -> Outbox:
    outbox = LocalStore(config).outbox
    if outbox is None:
        raise NoOutbox()
    return outbox


def _line(entry: OutboxEntry, config: KioskConfig) -> str:
    made = entry.created_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M:%S")
    return f"{entry.id:>6}  {made}  {entry.kind:<8}{entry.attempts:>4}  {entry.summary}"


def _table(entries: list[OutboxEntry], config: KioskConfig, empty: str, with_reason: bool) -> str:
    if not entries:
        return empty
    lines = [f"{'id':>6}  {'stored':<19}  {'kind':<8}{'tries':>4}  what"]
    for entry in entries:
        lines.append(_line(entry, config))
        if with_reason:
            lines.append(f"{'':>8}refused: {entry.dead_reason}")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace, config: KioskConfig) -> int:
    pending = _outbox(config).pending()
    emit(args, [e.public() for e in pending],
         _table(pending, config, "nothing waits for the hall server", with_reason=False))
    return 0


def cmd_dead(args: argparse.Namespace, config: KioskConfig) -> int:
    dead = _outbox(config).dead()
    emit(args, [e.public() for e in dead],
         _table(dead, config, "the hall server refused no entry", with_reason=True))
    return 0


def cmd_retry(args: argparse.Namespace, config: KioskConfig) -> int:
    entry = _outbox(config).retry(args.id)
    emit(args, entry.public(), f"entry {entry.id} ({entry.summary}) waits again; the kiosk app delivers it "
                               f"in its next round")
    return 0


def cmd_drop(args: argparse.Namespace, config: KioskConfig) -> int:
    entry = _outbox(config).drop(args.id)
    emit(args, entry.public(), f"entry {entry.id} ({entry.summary}) dropped")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``kioskctl outbox [list|dead|retry ID|drop ID]``."""
    outbox = sub.add_parser("outbox", parents=[common],
                            help="a hall kiosk's entries waiting for the hall server, and those it refused")
    outbox.set_defaults(func=cmd_list)
    actions = outbox.add_subparsers(dest="action")
    actions.add_parser("list", parents=[common], help="entries waiting for delivery, oldest first (default)") \
        .set_defaults(func=cmd_list)
    actions.add_parser("dead", parents=[common], help="entries the hall server refused, with the reason") \
        .set_defaults(func=cmd_dead)
    retry = actions.add_parser("retry", parents=[common], help="put a refused entry back in the queue")
    retry.add_argument("id", type=int)
    retry.set_defaults(func=cmd_retry)
    drop = actions.add_parser("drop", parents=[common], help="delete a refused entry (handled by hand)")
    drop.add_argument("id", type=int)
    drop.set_defaults(func=cmd_drop)
