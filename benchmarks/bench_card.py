"""Card insertion to identity through pcscd and vpcd: the time a citizen waits after placing the ID card.

Run (as root, or where `unshare --user --mount` works; needs pcscd and vsmartcard-vpcd):

    .venv/bin/python benchmarks/bench_card.py [--runs 20]

Starts a private pcscd with vpcd (the same stack as the card tests, ``tests/card/stack.py``), and for each
card profile puts a virtual card on the reader ``--runs`` times. Each run measures, from the moment the
card is placed: the ``CardReading`` event (pcscd noticed the card: its polling of the reader dominates), and
the ``CardInserted`` event (the identity, validated). "read" is the difference: connect, the profile's
APDUs through pcscd and vpcd, parsing and validation. Prints medians (and min/max); asserts nothing.
vpcd is polled by pcscd like a serial reader (every 400 ms); USB CCID readers report insertion by interrupt,
so on real hardware the first figure is smaller and the second larger (the card's own speed).
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.card.pcsc import PcscCardReader, PcscSettings  # noqa: E402
from kiosk.config import CardReaderConfig  # noqa: E402
from kiosk.devices.card import CardEvent, CardFailed, CardInserted, CardReading, CardRemoved, CardUidRead  # noqa: E402
from tests.card.cards import CITIZEN, text_block  # noqa: E402
from tests.card.helpers import documented_example  # noqa: E402
from tests.card.stack import VPCD_LIBRARY, Pcscd, choose_isolation  # noqa: E402
from tests.card.vicc import OTHER_ATR, CardSlot, VirtualCard  # noqa: E402

CASES = {
    # profile id: (card, what the profile does)
    "idcard": (lambda: VirtualCard(text_block=text_block(CITIZEN)),
               "cn-id-text: 3 select + 2 read vendor APDUs, 260 bytes"),
    "citizen-card": (lambda: VirtualCard(atr=OTHER_ATR, aid=bytes.fromhex("F000000A0101"), file=text_block(CITIZEN)),
                     "iso7816-file: SELECT AID, SELECT file, 2 x READ BINARY 128 bytes"),
    "uid": (lambda: VirtualCard(atr=OTHER_ATR, text_block=None), "uid: FF CA 00 00 00 (after the two others fail)"),
}


def next_event(events: queue.Queue[CardEvent], *kinds: type, timeout: float = 10.0) -> CardEvent:
    deadline = time.monotonic() + timeout
    while True:
        event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(event, kinds):
            return event


def measure(slot: CardSlot, events: queue.Queue[CardEvent], make_card: object, runs: int) -> tuple[list[float], list[float]]:
    """(ms to CardReading, ms from CardReading to the identity) for each run."""
    detect, read = [], []
    phases = random.Random(4)
    for _ in range(runs):
        # Citizens place cards at any moment of pcscd's polling cycle (400 ms for vpcd): without this pause
        # each run would start just after the poll that saw the last card go, and always wait a whole cycle.
        time.sleep(phases.uniform(0, 0.5))
        t0 = time.perf_counter()
        slot.insert(make_card())  # type: ignore[operator]
        next_event(events, CardReading)
        t1 = time.perf_counter()
        result = next_event(events, CardInserted, CardUidRead, CardFailed)
        t2 = time.perf_counter()
        if isinstance(result, CardFailed):
            raise SystemExit(f"the card was not read: {result.error.code} ({result.error.detail})")
        detect.append((t1 - t0) * 1000)
        read.append((t2 - t1) * 1000)
        slot.remove()
        next_event(events, CardRemoved)
    return detect, read


def line(label: str, values: list[float]) -> str:
    return (f"  {label:<22} median {statistics.median(values):7.1f} ms   min {min(values):7.1f}   "
            f"max {max(values):7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    private = Path(tempfile.mkdtemp(prefix="bench-pcsc-"))
    isolation = choose_isolation(private)
    os.environ["PCSCLITE_CSOCK_NAME"] = str(isolation.socket)
    library = private / "libifdvpcd.so"
    library.write_bytes(VPCD_LIBRARY.resolve().read_bytes())
    (private / "pcscd").mkdir()
    daemon = Pcscd(isolation, private / "pcscd", library, log_level="--error")  # no logging cost in the timing
    # The example's keys come before its [[card_reader.profiles]] tables: parsed alone, they are split.
    example = tomllib.loads(documented_example())
    cfg = CardReaderConfig.model_validate({**{k: v for k, v in example.items() if k != "card_reader"},
                                           **example["card_reader"], "reader": "PCD 00 00"})
    events: queue.Queue[CardEvent] = queue.Queue()
    reader = PcscCardReader(cfg.profiles, PcscSettings("PCD 00 00"))
    slot = CardSlot(daemon.port)
    try:
        daemon.start()
        reader.start(events.put)
        print(f"pcscd + vpcd ({isolation.name}), {args.runs} runs per profile, card placed at t = 0")
        for profile, (make_card, what) in CASES.items():
            detect, read = measure(slot, events, make_card, args.runs)
            total = [d + r for d, r in zip(detect, read, strict=True)]
            print(f"{profile}  ({what})")
            print(line("placed -> reading", detect))
            print(line("reading -> identity", read))
            print(line("placed -> identity", total))
    finally:
        reader.stop()
        slot.remove()
        daemon.stop()
        shutil.rmtree(private, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
