"""``kioskctl admin ...``: the maintenance PIN's hash for ``kiosk.toml``, and ending a PIN lock early."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from kiosk.admin_pin import MAX_DIGITS, MIN_DIGITS, BadPinFormat, PinGuard, hash_pin
from kiosk.cli.output import EXIT_REFUSED, emit
from kiosk.clock import utc_now
from kiosk.config import KioskConfig


def _read_pin() -> str:
    """Asked twice at a terminal (hidden); one line on stdin otherwise (scripts: ``echo 1234 | kioskctl ...``)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    pin = getpass.getpass(f"new maintenance PIN ({MIN_DIGITS}-{MAX_DIGITS} digits): ")
    if getpass.getpass("the same PIN again: ") != pin:
        raise BadPinFormat("the two PINs differ")
    return pin


def cmd_hash_pin(args: argparse.Namespace, _folder: Path) -> int:
    try:
        line = f'pin_hash = "{hash_pin(_read_pin())}"'
    except BadPinFormat as exc:
        print(f"{exc.code}: {exc.detail or exc.message('en')}", file=sys.stderr)
        return EXIT_REFUSED
    if sys.stdin.isatty():
        print("put this line in the [admin] section of kiosk.toml (kioskctl config apply checks it):",
              file=sys.stderr)
    emit(args, {"pin_hash": line.split('"')[1]}, line)
    return 0


def cmd_unlock(args: argparse.Namespace, config: KioskConfig) -> int:
    cleared = PinGuard.for_config(config, utc_now).unlock()
    emit(args, {"cleared": cleared},
         "maintenance sign-in unlocked; wrong PINs forgotten" if cleared else "the maintenance sign-in was not locked")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``kioskctl admin hash-pin`` and ``kioskctl admin unlock``."""
    admin = sub.add_parser("admin", help="maintenance PIN").add_subparsers(dest="action", required=True)
    # raw_config: the hash is made without loading a configuration (it may be the one being repaired).
    admin.add_parser("hash-pin", parents=[common], help="read a new PIN, print the pin_hash line for kiosk.toml") \
        .set_defaults(func=cmd_hash_pin, raw_config=True)
    admin.add_parser("unlock", parents=[common], help="end a lock after five wrong PINs") \
        .set_defaults(func=cmd_unlock)
