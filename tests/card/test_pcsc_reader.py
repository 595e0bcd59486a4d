"""``PcscCardReader`` against the real stack: pcscd, vsmartcard's vpcd, and a virtual card (``vicc.py``).

Each test has its own pcscd; the card is put on and taken off the reader by the test. Waits are bounded
(``EventLog.next``) but nothing here measures speed: see ``benchmarks/bench_card.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drivers.card.pcsc import PcscCardReader, list_readers
from kiosk.config import CardReaderConfig, KioskConfig
from kiosk.devices.card import (
    CardError,
    CardFailed,
    CardInserted,
    CardReading,
    CardRemoved,
    CardRemovedEarly,
    CardUidRead,
    ExpiredCard,
    InvalidCardData,
    ReaderMissing,
    ReaderState,
    ReaderStatus,
    UnsupportedCard,
    reader_matches,
)
from tests.card.cards import (
    CITIZEN,
    CITIZEN_NAME,
    CITIZEN_NUMBER,
    SENIOR,
    SENIOR_NAME,
    SENIOR_NUMBER,
    TODAY,
    text_block,
)
from tests.card.helpers import EventLog, documented_example
from tests.card.stack import READER, Pcscd
from tests.card.vicc import OTHER_ATR, UID, CardSlot, VirtualCard, id_buffer

# Seconds each (real servers, restarts, fuzzing): left out of the fast loop, always in the full suite.
pytestmark = pytest.mark.slow

StartReader = Callable[..., tuple[PcscCardReader, EventLog]]
CITIZEN_AID = bytes.fromhex("F000000A0101")


@pytest.fixture
def example(card_config: Callable[[str], KioskConfig]) -> CardReaderConfig:
    """The documented example of config/kiosk.toml, pointed at the vpcd reader."""
    return card_config(documented_example().replace('"ID Card Reader"', f'"{READER}"')).kiosk.card_reader


def ready(start_reader: StartReader, cfg: CardReaderConfig, **kwargs: object) -> tuple[PcscCardReader, EventLog]:
    reader, events = start_reader(cfg, today=lambda: TODAY, **kwargs)
    status = events.next(ReaderStatus)
    assert isinstance(status, ReaderStatus) and status.state is ReaderState.READY and status.reader == READER
    return reader, events


def failure(events: EventLog) -> CardError:
    events.next(CardReading)
    event = events.next(CardFailed, CardInserted, CardUidRead)
    assert isinstance(event, CardFailed), f"expected a failure, got {event}"
    return event.error


def test_insert_read_and_remove(slot: CardSlot, start_reader: StartReader, example: CardReaderConfig) -> None:
    reader, events = ready(start_reader, example)
    assert reader.status() is ReaderState.READY
    card = slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    assert events.next(CardReading) == CardReading(READER)
    inserted = events.next(CardInserted, CardFailed)
    assert isinstance(inserted, CardInserted), inserted
    assert (inserted.identity.id_number, inserted.identity.name, inserted.identity.sex) == (SENIOR_NUMBER, SENIOR_NAME, "男")
    assert inserted.identity.age(TODAY) == 76 and inserted.profile == "idcard" and inserted.reader == READER
    assert reader.status() is ReaderState.CARD_PRESENT
    # The documented vendor sequence, in order, and the card was reset afterwards.
    assert [a.hex(" ").upper() for a in card.received] == [
        "FF 20 01 00 00", "FF 20 02 00 00", "FF 30 01 00 00", "FF 32 00 00 00", "FF 32 01 00 04"]
    slot.remove()
    assert events.next(CardRemoved) == CardRemoved(READER)
    assert reader.status() is ReaderState.READY
    # A second citizen, a second card.
    slot.insert(VirtualCard(text_block=text_block(CITIZEN)))
    second = events.next(CardInserted, CardFailed)
    assert isinstance(second, CardInserted) and second.identity.id_number == CITIZEN_NUMBER
    assert second.identity.name == CITIZEN_NAME


def test_a_card_already_on_the_reader_is_read_when_watching_starts(slot: CardSlot, start_reader: StartReader,
                                                                   example: CardReaderConfig, pcscd: Pcscd) -> None:
    slot.insert(VirtualCard(text_block=text_block(CITIZEN)))
    # pcscd notices the card at its next poll of the reader.
    for _ in range(200):
        if any(r.card_present for r in list_readers() if r.name == READER):
            break
        __import__("time").sleep(0.02)
    _reader, events = ready(start_reader, example)
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == CITIZEN_NUMBER


def test_card_removed_mid_read(slot: CardSlot, start_reader: StartReader, example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(text_block=text_block(SENIOR), vanish_on_read=2))  # gone at the second read APDU
    error = failure(events)
    assert isinstance(error, CardRemovedEarly), error
    assert "拿开得太早" in error.message("zh") and "too early" in error.message("en")
    events.next(CardRemoved)
    # Placed again and held still: read.
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == SENIOR_NUMBER


@pytest.mark.parametrize(("card", "error_type", "detail"), [
    (VirtualCard(text_block=text_block(SENIOR), buffer=id_buffer(text_block(SENIOR))[:258]), InvalidCardData,
     "read 258 bytes; the text block needs 260"),
    (VirtualCard(text_block=text_block(SENIOR), buffer=b"\x01\x00\x04\x00" + bytes(range(256)) * 2), InvalidCardData,
     ""),
    (VirtualCard(text_block=text_block(SENIOR, id_number=SENIOR_NUMBER[:17] + "0")), InvalidCardData,
     "check digit does not match"),
    (VirtualCard(text_block=text_block(CITIZEN, valid_from="20060301", valid_until="20260301")), ExpiredCard,
     "expired on 2026-03-01"),
], ids=["short", "corrupt", "bad-check-digit", "expired"])
def test_damaged_and_invalid_cards_are_refused(slot: CardSlot, start_reader: StartReader, example: CardReaderConfig,
                                                card: VirtualCard, error_type: type[CardError], detail: str) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(card)
    error = failure(events)
    assert type(error) is error_type, error
    assert detail in error.detail
    # Refused by the ID profile, never handed to a laxer one (the uid profile would have read this card).
    assert not any(a.startswith(b"\xff\xca") for a in card.received)
    slot.remove()
    events.next(CardRemoved)


def test_wrong_aid_is_an_unsupported_card(slot: CardSlot, start_reader: StartReader,
                                         card_config: Callable[[str], KioskConfig]) -> None:
    cfg = card_config(f'driver = "pcsc"\nreader = "{READER}"\n[[card_reader.profiles]]\nid = "citizen-card"\n'
                      'type = "iso7816-file"\naid = "F0 00 00 0A 01 01"\nfile_id = "00 01"\n').kiosk.card_reader
    _reader, events = ready(start_reader, cfg)
    card = slot.insert(VirtualCard(atr=OTHER_ATR, aid=bytes.fromhex("A000000003101001"), file=text_block(CITIZEN)))
    error = failure(events)
    assert isinstance(error, UnsupportedCard) and "SELECT AID answered 6A82" in error.detail
    assert "无法识别" in error.message("zh")
    assert card.received == [bytes.fromhex("00A4040006F000000A010100")]


def test_iso7816_file_read_in_chunks_over_t0_get_response(slot: CardSlot, start_reader: StartReader,
                                                           example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    card = slot.insert(VirtualCard(atr=OTHER_ATR, aid=CITIZEN_AID, file=text_block(CITIZEN) + b"\xff" * 40, t0=True))
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted), event
    assert event.profile == "citizen-card" and event.identity.id_number == CITIZEN_NUMBER
    reads = [a.hex(" ").upper() for a in card.received if a[1] == 0xB0]
    assert reads == ["00 B0 00 00 80", "00 B0 00 80 80"]  # offset in P1/P2, Le = chunk from the configuration
    assert any(a[1] == 0xC0 for a in card.received)  # T=0: data fetched with GET RESPONSE


def test_an_id_number_file(slot: CardSlot, start_reader: StartReader, card_config: Callable[[str], KioskConfig]) -> None:
    cfg = card_config(f'driver = "pcsc"\nreader = "{READER}"\n[[card_reader.profiles]]\nid = "social"\n'
                      'type = "iso7816-file"\naid = "F0 00 00 0A 01 01"\nlength = 32\nchunk = 16\n'
                      'content = "id-number"\n').kiosk.card_reader
    _reader, events = ready(start_reader, cfg)
    slot.insert(VirtualCard(atr=OTHER_ATR, aid=CITIZEN_AID, file_id=None, file=CITIZEN_NUMBER.encode() + b"\xff" * 14))
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == CITIZEN_NUMBER
    assert event.identity.name == "" and event.identity.sex == "女"


def test_a_card_without_id_data_falls_through_to_its_uid(slot: CardSlot, start_reader: StartReader,
                                                         example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(text_block=None))  # an ISO 14443-B card the ID module does not know
    events.next(CardReading)
    event = events.next(CardUidRead, CardFailed, CardInserted)
    assert isinstance(event, CardUidRead), event
    assert (event.uid, event.profile) == (UID.hex().upper(), "uid")
    assert UID.hex().upper() not in repr(event)


def test_a_card_no_profile_reads_is_unsupported(slot: CardSlot, start_reader: StartReader,
                                               example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(atr=OTHER_ATR, uid=None))
    error = failure(events)
    assert isinstance(error, UnsupportedCard) and "GET UID answered 6A81" in error.detail


def test_no_reader(pcscd: Pcscd, start_reader: StartReader, example: CardReaderConfig) -> None:
    # pcscd runs but has no reader at all: the reader is missing, with a message for the citizen.
    pcscd.restart(with_reader=False)
    reader, events = start_reader(example, today=lambda: TODAY)
    status = events.next(ReaderStatus)
    assert isinstance(status, ReaderStatus) and status.state is ReaderState.NO_READER
    assert "no reader matches 'Virtual PCD 00 00' (pcscd lists 0: none)" in status.detail
    assert reader.status() is ReaderState.NO_READER
    assert ReaderMissing("x").message("zh").startswith("读卡器暂时无法使用")


def test_no_reader_matches_the_pattern(slot: CardSlot, start_reader: StartReader, example: CardReaderConfig) -> None:
    _reader, events = start_reader(example, pattern="OMNIKEY*", today=lambda: TODAY)
    status = events.next(ReaderStatus)
    assert isinstance(status, ReaderStatus) and status.state is ReaderState.NO_READER
    assert "Virtual PCD 00 00, Virtual PCD 00 01" in status.detail
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    assert events.quiet(1.0) == []  # a card on another reader is none of this kiosk's business


def test_the_reader_pattern_picks_the_reader() -> None:
    assert reader_matches("", "Virtual PCD 00 00")
    assert reader_matches("virtual pcd 00 01", "Virtual PCD 00 01")
    assert reader_matches("PCD 00 00", "Virtual PCD 00 00") and not reader_matches("PCD 00 00", "Virtual PCD 00 01")
    assert reader_matches("ACS ACR1281U* PICC*", "ACS ACR1281U 00 PICC Interface 00 00")
    assert not reader_matches("ACS ACR1281U* PICC*", "ACS ACR1281U 00 SAM Interface 00 00")


def test_pcscd_restarted_while_idle(pcscd: Pcscd, slot: CardSlot, start_reader: StartReader,
                                    example: CardReaderConfig) -> None:
    reader, events = ready(start_reader, example)
    pcscd.stop(crash=True)
    lost = events.next(ReaderStatus)
    assert isinstance(lost, ReaderStatus) and lost.state is ReaderState.NO_READER
    assert "pcscd is not reachable" in lost.detail
    assert reader.status() is ReaderState.NO_READER
    pcscd.start()
    back = events.next(ReaderStatus)
    assert isinstance(back, ReaderStatus) and back.state is ReaderState.READY
    slot.insert(VirtualCard(text_block=text_block(CITIZEN)))
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == CITIZEN_NUMBER


def test_pcscd_restarted_with_a_card_on_the_reader(pcscd: Pcscd, slot: CardSlot, start_reader: StartReader,
                                                   example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    assert isinstance(events.next(CardInserted, CardFailed), CardInserted)
    pcscd.restart()  # a clean restart (SIGTERM); the card stays on the reader and reconnects
    assert events.next(ReaderStatus).state is ReaderState.NO_READER  # type: ignore[union-attr]
    assert events.next(ReaderStatus).state is ReaderState.READY  # type: ignore[union-attr]
    # The card that stayed is not read (and its holder identified) a second time.
    assert [e for e in events.quiet(1.5) if not isinstance(e, ReaderStatus)] == []
    slot.remove()
    events.next(CardRemoved)


def test_pcscd_killed_mid_read(pcscd: Pcscd, slot: CardSlot, start_reader: StartReader,
                               example: CardReaderConfig) -> None:
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(text_block=text_block(SENIOR), delay=0.3))
    events.next(CardReading)
    pcscd.stop(crash=True)
    error = events.next(CardFailed)
    assert isinstance(error, CardFailed) and isinstance(error.error, ReaderMissing), error
    pcscd.start()
    # The card is still there: once pcscd is back it is read again, without a restart of the kiosk.
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == SENIOR_NUMBER


def test_reader_unplugged_and_plugged_back(pcscd: Pcscd, slot: CardSlot, start_reader: StartReader,
                                          example: CardReaderConfig) -> None:
    """vpcd is a serial-style reader that never leaves pcscd's list by itself: "unplugged" is pcscd coming
    back without it (the reader gone, pcscd still there), "plugged back" is pcscd with it again."""
    reader, events = ready(start_reader, example)
    pcscd.restart(with_reader=False)
    gone = events.next(ReaderStatus)
    assert isinstance(gone, ReaderStatus) and gone.state is ReaderState.NO_READER
    assert reader.status() is ReaderState.NO_READER
    slot.insert(VirtualCard(text_block=text_block(CITIZEN)))
    assert [e for e in events.quiet(1.0) if not isinstance(e, ReaderStatus)] == []
    pcscd.restart(with_reader=True)
    back = events.next(ReaderStatus)
    assert isinstance(back, ReaderStatus) and back.state is ReaderState.READY
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == CITIZEN_NUMBER


def test_card_endpoint_goes_away_and_comes_back(slot: CardSlot, start_reader: StartReader,
                                                example: CardReaderConfig) -> None:
    """The virtual card's connection to vpcd dropping (the "device" gone) while idle and mid-read, and
    coming back: reported as removal, and reading works again each time."""
    _reader, events = ready(start_reader, example)
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    assert isinstance(events.next(CardInserted, CardFailed), CardInserted)
    slot.remove()
    events.next(CardRemoved)
    slot.insert(VirtualCard(text_block=text_block(SENIOR), vanish_on_read=1))
    assert isinstance(failure(events), CardRemovedEarly)
    events.next(CardRemoved)
    slot.insert(VirtualCard(text_block=text_block(CITIZEN)))
    event = events.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == CITIZEN_NUMBER


def test_stop_ends_events_and_start_again_works(slot: CardSlot, start_reader: StartReader,
                                                example: CardReaderConfig) -> None:
    reader, events = ready(start_reader, example)
    reader.stop()
    assert reader.status() is ReaderState.STOPPED
    slot.insert(VirtualCard(text_block=text_block(SENIOR)))
    assert events.quiet(1.0) == []
    later = EventLog()
    reader.start(later)
    assert later.next(ReaderStatus).state is ReaderState.READY  # type: ignore[union-attr]
    event = later.next(CardInserted, CardFailed)
    assert isinstance(event, CardInserted) and event.identity.id_number == SENIOR_NUMBER
