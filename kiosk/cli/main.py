"""``kioskctl``: maintenance from a shell. Every command takes ``--config DIR``.

Exit codes: 0 done, 2 bad configuration or usage, 3 refused (closed, quota, invalid ID, unknown number).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.cli.admin import register as register_admin
from kiosk.cli.card import register as register_card
from kiosk.cli.hall import register as register_hall
from kiosk.cli.maintenance import register_config_actions, register_status
from kiosk.cli.outbox import register as register_outbox
from kiosk.cli.output import EXIT_CONFIG, EXIT_REFUSED
from kiosk.cli.printer import register as register_printer
from kiosk.cli.queue import register as register_queue
from kiosk.cli.staff_calls import register as register_staff_calls
from kiosk.cli.tickets import register as register_tickets
from kiosk.config import ConfigError, default_config_dir, load_config
from kiosk.errors import KioskError


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command is not overwritten by the command's own default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="DIR", default=argparse.SUPPRESS,
                        help=f"configuration folder (default: {default_config_dir()})")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    parser = argparse.ArgumentParser(prog="kioskctl", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="area", required=True)

    config = sub.add_parser("config", help="check configuration").add_subparsers(dest="action", required=True)
    register_config_actions(config, common)
    register_status(sub, common)

    register_tickets(sub, common)
    register_queue(sub, common)
    register_printer(sub, common)
    register_hall(sub, common)
    register_card(sub, common)
    register_outbox(sub, common)
    register_staff_calls(sub, common)
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

