"""``kioskctl card ...``: the PC/SC readers pcscd sees, and a test read of a card.

The assembly is imported inside the commands: the core imports no hardware library at import time.
Whatever ``[card_reader].driver`` says, these commands talk to pcscd with the configured profiles, so a
reader can be checked before the kiosk is switched to it. Identities are printed masked only.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.cli.output import EXIT_CONFIG, EXIT_REFUSED, emit
from kiosk.config import KioskConfig
from kiosk.errors import KioskError
from kiosk.queue.model import Priority, priority_for

if TYPE_CHECKING:
    from kiosk.devices.card import CardEvent
    from kiosk.identity import Identity

DEFAULT_TIMEOUT = 20.0


def _fail(args: argparse.Namespace, error: KioskError) -> int:
    """Report a refused command: the citizen-facing messages, and the detail staff need."""
    print(f"{error.code}: {error.bilingual()}", file=sys.stderr)
    if error.detail:
        print(f"  detail: {error.detail}", file=sys.stderr)
    if args.json:
        emit(args, {"error": error.code, "message_zh": error.message("zh"), "message_en": error.message("en"),
                    "detail": error.detail}, "")
    return EXIT_REFUSED


def cmd_card_list(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.assembly import pcsc_readers
    from kiosk.devices.card import CardError

    cfg = config.kiosk.card_reader
    try:
        readers = pcsc_readers(config)
    except CardError as exc:
        return _fail(args, exc)
    rows: list[dict[str, Any]] = [{"name": r.name, "state": r.state, "atr": r.atr.hex(" ").upper(), "in_use": r.in_use,
                                   "selected": r.selected, "profiles": list(r.profiles)} for r in readers]
    chosen = next((r.name for r in readers if r.selected), None)
    lines = [f"{'':2}{'reader':<40}{'state':<7}{'profiles':<20}ATR"]
    lines += [f"{'*' if row['selected'] else ' ':2}{row['name']:<40}{row['state']:<7}"
              f"{','.join(row['profiles']) or '-':<20}{row['atr']}" for row in rows]
    if not rows:
        lines = ["pcscd lists no readers"]
    elif chosen is None:
        lines.append(f"no reader matches [card_reader].reader = '{cfg.reader}'")
    else:
        lines.append(f"* the kiosk uses this reader ([card_reader].reader = '{cfg.reader}', driver {cfg.driver})")
    emit(args, rows, "\n".join(lines))
    return 0


def _identity_json(identity: Identity, config: KioskConfig) -> dict[str, Any]:
    """What staff may see of a card holder: masked name and number, sex, age and the green channel."""
    today = datetime.now(config.timezone).date()
    return {"name": identity.masked_name, "id_number": identity.masked_number, "sex": identity.sex,
            "age": identity.age(today), "green_channel": priority_for(identity, config, today) is Priority.ELDERLY}


def cmd_card_read(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.assembly import card_reader_for
    from kiosk.devices.card import (
        CardFailed,
        CardInserted,
        CardReading,
        CardUidRead,
        NoCardPresented,
        ReaderMissing,
        ReaderState,
        ReaderStatus,
    )

    cfg = config.kiosk.card_reader
    if not cfg.profiles:
        print(f"{config.source_dir / 'kiosk.toml'}: card_reader.profiles: no card profile is configured; "
              "add a [[card_reader.profiles]] entry", file=sys.stderr)
        return EXIT_CONFIG
    pcsc = config.kiosk.model_copy(update={"card_reader": cfg.model_copy(update={"driver": "pcsc"})})
    reader = card_reader_for(KioskConfig(pcsc, config.services, config.source_dir), args.reader)
    events: queue.Queue[CardEvent] = queue.Queue()
    deadline = time.monotonic() + args.timeout
    reader.start(events.put)
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, ReaderStatus):
                if event.state is ReaderState.NO_READER:
                    return _fail(args, ReaderMissing(event.detail))
                if not args.json:
                    print(f"place a card on {event.reader} ...", file=sys.stderr)
            elif isinstance(event, CardReading) and not args.json:
                print("reading ...", file=sys.stderr)
            elif isinstance(event, CardFailed):
                return _fail(args, event.error)
            elif isinstance(event, CardInserted):
                who = _identity_json(event.identity, config)
                emit(args, {"reader": event.reader, "profile": event.profile, "identity": who},
                     f"{who['name']}  {who['id_number']}  {who['sex']}  age {who['age']}"
                     f"{'  green channel' if who['green_channel'] else ''}  (profile {event.profile}, {event.reader})")
                return 0
            elif isinstance(event, CardUidRead):
                emit(args, {"reader": event.reader, "profile": event.profile, "uid": event.uid},
                     f"card UID {event.uid}  (profile {event.profile}, {event.reader})")
                return 0
        return _fail(args, NoCardPresented(f"no card within {args.timeout:g} s"))
    finally:
        reader.stop()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Add ``kioskctl card list`` and ``kioskctl card read``."""
    card = sub.add_parser("card", help="ID card readers (PC/SC)").add_subparsers(dest="action", required=True)
    card.add_parser("list", parents=[common], help="the readers pcscd sees and their cards") \
        .set_defaults(func=cmd_card_list)
    read = card.add_parser("read", parents=[common], help="wait for a card and show the masked identity")
    read.add_argument("--reader", metavar="PATTERN",
                      help="part of a reader's name or a wildcard pattern (default: [card_reader].reader)")
    read.add_argument("--timeout", metavar="S", type=float, default=DEFAULT_TIMEOUT,
                      help=f"give up when no card comes within S seconds (default {DEFAULT_TIMEOUT:g})")
    read.set_defaults(func=cmd_card_read)
