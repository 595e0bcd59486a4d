"""Privacy: a whole read-and-issue flow at DEBUG logging leaves no full ID number or name anywhere.

The card is read through the real pcscd and vpcd by the configured driver, the number issued on the
embedded SQLite store, the ticket encoded to ESC/POS bytes, and ``kioskctl card read`` run as staff would.
Then the logs (captured and written to a file), every file of the state folder, the printed bytes and the
command's output are searched for the number and the name in every encoding they could take.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.card.cn_id import IdCardText
from drivers.printer.escpos import EscPosSettings, encode
from kiosk.assembly import Kiosk, card_reader_for
from kiosk.cli import main as kioskctl
from kiosk.config import KioskConfig
from kiosk.devices.card import CardEvent, CardFailed, CardInserted, CardReader, CardRemoved
from kiosk.devices.document import Document
from kiosk.devices.printer import PrinterStatus
from kiosk.identity import Identity
from tests.card.cards import CITIZEN, SENIOR, SENIOR_NAME, SENIOR_NUMBER, masked, text_block, with_check
from tests.card.helpers import EventLog, documented_example
from tests.card.vicc import CardSlot, VirtualCard

# A card whose number has a wrong check digit: refused, and its number must not leak either.
BAD_NUMBER = CITIZEN["id_number"][:17] + ("0" if CITIZEN["id_number"][17] != "0" else "1")


class RecordingPrinter:
    """A ``TicketPrinter`` that keeps the ESC/POS bytes it would send to the paper."""

    def __init__(self) -> None:
        self.printed = b""

    def status(self) -> PrinterStatus:
        return PrinterStatus.OK

    def print(self, document: Document) -> None:
        self.printed += encode(document, EscPosSettings())


def forms(text: str) -> list[bytes]:
    """``text`` as it could be stored: UTF-8, GB18030 (thermal printers), UTF-16 (SQLite, the card)."""
    return [text.encode("utf-8"), text.encode("gb18030"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def secrets() -> list[bytes]:
    needles: list[bytes] = []
    for text in (SENIOR_NUMBER, SENIOR_NUMBER[:17], SENIOR_NAME, BAD_NUMBER[:17], SENIOR["address"]):
        needles += forms(text)
    return needles


def read_one(reader: CardReader, events: EventLog, slot: CardSlot, card: VirtualCard) -> CardEvent:
    slot.insert(card)
    event = events.next(CardInserted, CardFailed)
    slot.remove()
    events.next(CardRemoved)
    return event


@pytest.mark.usefixtures("pcscd")
def test_read_and_issue_leaves_no_full_id_number_or_name(
        caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], slot: CardSlot,
        card_config: Callable[[str], KioskConfig], config_dir: Path, state_dir: Path, clock: object) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = state_dir / "logs" / "kiosk.log"
    log_file.parent.mkdir(parents=True)
    file_handler = logging.FileHandler(log_file, encoding="utf-8")
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(file_handler)
    printer = RecordingPrinter()
    try:
        config = card_config(documented_example().replace('"ID Card Reader"', '"PCD 00 00"'))
        reader = card_reader_for(config)
        events = EventLog()
        reader.start(events)
        try:
            refused = read_one(reader, events, slot, VirtualCard(text_block=text_block(CITIZEN, id_number=BAD_NUMBER)))
            assert isinstance(refused, CardFailed)
            inserted = read_one(reader, events, slot, VirtualCard(text_block=text_block(SENIOR)))
            assert isinstance(inserted, CardInserted), inserted
            kiosk = Kiosk(config, clock=clock, printer=printer)  # type: ignore[arg-type]
            outcome = kiosk.desk.take_number("realestate", inserted.identity)
            assert outcome.printed and outcome.ticket.id_masked == masked(SENIOR_NUMBER)
            logging.getLogger("test").info("issued %s for %s", repr(outcome.ticket), repr(inserted.identity))
        finally:
            reader.stop()
        slot.insert(VirtualCard(text_block=text_block(SENIOR)))
        code = kioskctl(["card", "read", "--json", "--timeout", "10", "--config", str(config_dir)])
        slot.remove()
        assert code == 0
        cli = capsys.readouterr()
        kiosk.close()  # flushes SQLite's WAL into the file
    finally:
        logging.getLogger().removeHandler(file_handler)
        file_handler.close()

    logs = caplog.text + log_file.read_text(encoding="utf-8")
    stored = b"".join(p.read_bytes() for p in state_dir.rglob("*") if p.is_file())
    haystacks = {"logs": logs.encode("utf-8"), "state folder (SQLite, salt, logs)": stored,
                 "printed bytes": printer.printed, "kioskctl output": (cli.out + cli.err).encode("utf-8")}
    # The search can see: the masked number is stored and logged, the ticket printed, the APDUs logged.
    assert masked(SENIOR_NUMBER).encode() in stored and masked(SENIOR_NUMBER) in logs
    assert b"B001" in printer.printed and "APDU FF 32 00 00 -> 9000, 256 bytes" in logs
    assert masked(SENIOR_NUMBER) in cli.out and SENIOR_NAME[0] + "**" in cli.out
    for where, data in haystacks.items():
        for needle in secrets():
            assert needle not in data, f"{where} holds personal data ({needle!r})"

    # Nothing of the card stays in memory once the session's objects are dropped: no driver, queue or desk
    # keeps a reference to the identity or the parsed text block (log records included).
    del inserted, outcome, kiosk, reader, events, refused
    gc.collect()
    alive = [o for o in gc.get_objects()
             if isinstance(o, Identity | IdCardText) and o.id_number in (SENIOR_NUMBER, BAD_NUMBER)]
    assert alive == []
    assert with_check(SENIOR_NUMBER[:17]) == SENIOR_NUMBER  # the needles above are the real, valid number
