"""Bytes per printed document, and the time to send a ticket through a pty to the printer emulator.

Run:  .venv/bin/python benchmarks/bench_printer.py [--runs 7] [--bauds 9600 115200]

Sizes: the ESC/POS bytes of the fixed test tickets (80 mm / 48 columns and 58 mm / 32 columns, plain and green
channel), the largest ticket any shipped service group can produce (99 people ahead), and the one-time checklists
(the long test checklist and every shipped matter).

Time: the emulator (tests/printer/emulator.py) on the far end of a pty takes bytes no faster than a serial line
at the given baud (10 bits per byte: start, 8 data, stop); a pty alone would transfer instantly. For each baud it
reports, as the median of ``--runs`` runs:
- transfer: from ``SerialTransport.write`` to the emulator holding the ticket's last byte;
- print: ``EscPosPrinter.print`` as the kiosk calls it (status before, write, status after: 8 status round trips);
each with its ratio to the floor bytes*10/baud. No assertions: the figures are for people to compare.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drivers.printer.escpos import EscPosSettings, encode  # noqa: E402
from drivers.printer.escpos_printer import EscPosPrinter  # noqa: E402
from drivers.printer.serial import SerialSettings, SerialTransport  # noqa: E402
from kiosk.config import BUNDLED_CONFIG_DIR, KioskConfig, load_config  # noqa: E402
from kiosk.devices.document import Document  # noqa: E402
from kiosk.queue.model import Priority  # noqa: E402
from kiosk.ticket import checklist_document, ticket_document  # noqa: E402
from tests.printer.documents import PRINTED_AT, golden_cases, make_ticket  # noqa: E402
from tests.printer.emulator import PtyPrinterEmulator  # noqa: E402


def largest_ticket(config: KioskConfig, columns: int) -> tuple[int, str]:
    """The most bytes a ticket of the shipped groups takes with 99 people ahead, and which ticket it is."""
    best = (0, "")
    for group in config.services.groups:
        for priority in Priority:
            prefix = group.series_for(priority is not Priority.NONE)
            ticket = make_ticket(prefix + "9" * group.number_digits, group.id, priority, 99,
                                 math.ceil(99 * group.service_minutes / len(group.windows)))
            size = len(encode(ticket_document(ticket, config), EscPosSettings(columns=columns)))
            best = max(best, (size, f"{group.id}/{priority.value}"))
    return best


def sizes(config: KioskConfig) -> None:
    cases = golden_cases(config)
    print("Bytes of ESC/POS per document (limit for a ticket: 600)")
    for name in ("ticket-80mm", "ticket-58mm", "ticket-green-80mm", "checklist-80mm"):
        case = cases[name]
        print(f"  {name:<34}{len(encode(case.document, case.settings)):>6}")
    for columns, paper in ((48, 80), (32, 58)):
        size, which = largest_ticket(config, columns)
        print(f"  {'largest shipped ticket, ' + str(paper) + ' mm':<34}{size:>6}  ({which}, 99 ahead)")
    for columns, paper in ((48, 80), (32, 58)):
        per_matter = [len(encode(checklist_document(m, config, PRINTED_AT), EscPosSettings(columns=columns)))
                      for m in config.services.matters]
        print(f"  {'shipped checklists, ' + str(paper) + ' mm':<34}{min(per_matter):>6} - {max(per_matter)}"
              f"  (median {statistics.median(per_matter):.0f}, {len(per_matter)} matters)")


def time_one(link: Path, baud: int, document: Document, settings: EscPosSettings) -> tuple[float, float]:
    """(transfer seconds, print seconds) of one ticket at ``baud`` through a fresh paced emulator."""
    data = encode(document, settings)
    emulator = PtyPrinterEmulator(link, pace_baud=baud).start()
    transport = SerialTransport(SerialSettings(str(link), baudrate=baud, timeout=max(2.0, 3 * len(data) * 10 / baud)))
    try:
        transport.status()  # open the port outside the timing
        emulator.model.clear()
        start = time.monotonic()
        transport.write(data)
        if not emulator.model.wait_received(len(data), timeout=60):
            raise RuntimeError("the emulator did not receive the whole ticket")
        assert emulator.model.last_byte_at is not None
        transfer = emulator.model.last_byte_at - start
        time.sleep(0.05)  # the line is idle again
        emulator.model.clear()
        start = time.monotonic()
        EscPosPrinter(transport, settings).print(document)
        printed = time.monotonic() - start
        if emulator.received != data:
            raise RuntimeError("the emulator received other bytes than the encoder's")
        return transfer, printed
    finally:
        transport.close()
        emulator.close()


def timing(config: KioskConfig, bauds: list[int], runs: int) -> None:
    case = golden_cases(config)["ticket-80mm"]
    size = len(encode(case.document, case.settings))
    print(f"\nSending the 80 mm ticket ({size} bytes) through a pty to the emulator pacing at the baud "
          f"(median of {runs} runs)")
    print(f"  {'baud':>7}  {'floor':>9}  {'transfer':>9}  {'ratio':>6}  {'print()':>9}  {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="bench-printer-") as tmp:
        link = Path(tmp) / "ttyPRINTER"
        for baud in bauds:
            results = [time_one(link, baud, case.document, case.settings) for _ in range(runs)]
            floor = size * 10 / baud
            transfer = statistics.median(r[0] for r in results)
            printed = statistics.median(r[1] for r in results)
            print(f"  {baud:>7}  {floor * 1000:>7.1f}ms  {transfer * 1000:>7.1f}ms  {transfer / floor:>5.2f}x"
                  f"  {printed * 1000:>7.1f}ms  {printed / floor:>5.2f}x")
    print("  (print() adds the status checks before and after the ticket: 8 DLE EOT queries of 3 bytes, "
          "each answered by 1 byte)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bauds", type=int, nargs="+", default=[9600, 115200])
    args = parser.parse_args()
    config = load_config(BUNDLED_CONFIG_DIR)
    sizes(config)
    timing(config, args.bauds, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
