"""``kioskctl printer ...``: printer status, a test print and the one-time checklist.

The assembly is imported inside the commands: the core imports no hardware library at import time.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, get_args

from kiosk.cli.output import EXIT_REFUSED, emit
from kiosk.config import KioskConfig, PrinterConfig
from kiosk.ticket import checklist_document, sample_ticket, ticket_document

BAUD_RATES = get_args(PrinterConfig.model_fields["baudrate"].annotation)

if TYPE_CHECKING:
    from kiosk.assembly import Kiosk


def printer_config(args: argparse.Namespace, config: KioskConfig) -> PrinterConfig:
    """The configured printer, or an ESC/POS printer on ``--port``/``--baud`` when given."""
    cfg = config.kiosk.printer
    update: dict[str, Any] = {}
    if getattr(args, "port", None):
        update.update(driver="escpos", port=args.port)
    if getattr(args, "baud", None):
        update["baudrate"] = args.baud
    return PrinterConfig.model_validate({**cfg.model_dump(), **update}) if update else cfg


def open_kiosk(args: argparse.Namespace, config: KioskConfig) -> Kiosk:
    """The kiosk (its store, backend and desk) with the printer the arguments name."""
    from kiosk.assembly import Kiosk, printer_for

    kiosk = config.kiosk.model_copy(update={"printer": printer_config(args, config)})
    return Kiosk(config, printer=printer_for(KioskConfig(kiosk, config.services, config.source_dir)))


def cmd_status(args: argparse.Namespace, config: KioskConfig) -> int:
    status = open_kiosk(args, config).printer.status()
    emit(args, {"status": status.value, "can_print": status.can_print}, f"printer: {status.value}")
    return 0 if status.can_print else EXIT_REFUSED


def _print_and_report(args: argparse.Namespace, config: KioskConfig, document: Any) -> int:
    from kiosk.devices.printer import print_checked

    check = print_checked(open_kiosk(args, config).printer, document)
    error = f"{check.error.code}: {check.error.bilingual()}" if check.error else ""
    report = {"before": check.before, "after": check.after, "printed": check.printed, "error": error,
              "document": check.document}
    emit(args, report, f"before: {check.before}  after: {check.after}  "
         + ("printed " + check.document if not error else "NOT printed: " + error))
    return EXIT_REFUSED if error else 0


def cmd_test(args: argparse.Namespace, config: KioskConfig) -> int:
    return _print_and_report(args, config, ticket_document(sample_ticket(config, datetime.now(UTC)), config))


def cmd_checklist(args: argparse.Namespace, config: KioskConfig) -> int:
    matter = next((m for m in config.services.matters if m.id == args.matter), None)
    if matter is None:
        emit(args, {"error": "unknown matter"}, f"no matter has the id '{args.matter}'")
        return EXIT_REFUSED
    return _print_and_report(args, config, checklist_document(matter, config, datetime.now(UTC)))


def add_port_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", help="an ESC/POS printer on this device or pyserial URL (default: configured)")
    parser.add_argument("--baud", type=int, choices=BAUD_RATES, metavar="N",
                        help=f"baud rate for --port, one of {', '.join(map(str, BAUD_RATES))} (default: configured)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``printer`` commands to kioskctl."""
    printer = sub.add_parser("printer", help="ticket printer").add_subparsers(dest="action", required=True)
    status = printer.add_parser("status", parents=[common], help="ok, paper near end, paper out, cover open, offline")
    add_port_options(status)
    status.set_defaults(func=cmd_status)
    test = printer.add_parser("test", parents=[common], help="print a sample ticket, report status before and after")
    add_port_options(test)
    test.set_defaults(func=cmd_test)
    checklist = printer.add_parser("checklist", parents=[common], help="print a matter's one-time checklist")
    checklist.add_argument("matter", help="the matter's id (services.toml)")
    add_port_options(checklist)
    checklist.set_defaults(func=cmd_checklist)
