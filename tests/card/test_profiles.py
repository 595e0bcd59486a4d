"""Card profiles on a scripted channel: T=0 conventions, READ BINARY end conditions, which errors move on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from drivers.card.profiles import Response, exchange, read_card
from kiosk.config import CardProfileConfig, KioskConfig
from kiosk.devices.card import CardRemovedEarly, InvalidCardData, UnsupportedCard
from tests.card.cards import CITIZEN, CITIZEN_NUMBER, TODAY, text_block
from tests.card.helpers import documented_example


class Scripted:
    """A channel that answers each command with the next scripted response (data hex, SW)."""

    def __init__(self, *answers: tuple[str, int] | Exception, atr: str = "3B6800000073C84013009000") -> None:
        self.answers = list(answers)
        self.sent: list[str] = []
        self._atr = bytes.fromhex(atr)

    @property
    def atr(self) -> bytes:
        return self._atr

    def transmit(self, apdu: bytes) -> Response:
        self.sent.append(apdu.hex(" ").upper())
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Response(bytes.fromhex(answer[0]), answer[1])


def today() -> date:
    return TODAY


def test_6cxx_resends_with_the_length_the_card_asks_for() -> None:
    channel = Scripted(("", 0x6C04), ("01020304", 0x9000))
    assert exchange(channel, bytes.fromhex("00B0000000")) == Response(bytes.fromhex("01020304"), 0x9000)
    assert channel.sent == ["00 B0 00 00 00", "00 B0 00 00 04"]


def test_61xx_is_followed_with_get_response_and_joined() -> None:
    channel = Scripted(("AA", 0x6102), ("BBCC", 0x9000))
    assert exchange(channel, bytes.fromhex("80CA000000")).data == bytes.fromhex("AABBCC")
    assert channel.sent[1] == "00 C0 00 00 02"


def test_a_card_that_never_stops_answering_61xx_is_refused() -> None:
    channel = Scripted(*[("00", 0x6101)] * 40)
    with pytest.raises(InvalidCardData, match="61xx"):
        exchange(channel, bytes.fromhex("00B0000000"))


@pytest.fixture
def profiles(card_config: Callable[[str], KioskConfig]) -> list[CardProfileConfig]:
    return list(card_config(documented_example()).kiosk.card_reader.profiles)


def test_read_binary_stops_at_the_end_of_the_file(profiles: list[CardProfileConfig]) -> None:
    block = text_block(CITIZEN)
    channel = Scripted(("6F088406F000000A0101", 0x9000), ("", 0x9000),  # SELECT AID (FCI), SELECT file
                       (block[:128].hex(), 0x9000), (block[128:].hex(), 0x6282))
    result = read_card(channel, profiles[1:2], today)
    assert result.identity is not None and result.identity.id_number == CITIZEN_NUMBER
    assert channel.sent[2:] == ["00 B0 00 00 80", "00 B0 00 80 80"]


def test_unsupported_moves_on_but_damaged_or_removed_stops(profiles: list[CardProfileConfig]) -> None:
    # The ID module does not know the card: the next profile (the file) is tried and reads it.
    block = text_block(CITIZEN)
    id_atr = "3B88800100000000008181717B"
    channel = Scripted(("", 0x6D00), ("", 0x9000), ("", 0x9000), (block[:128].hex(), 0x9000),
                       (block[128:].hex(), 0x9000), atr=id_atr)
    assert read_card(channel, profiles, today).profile == "citizen-card"
    # Damaged data from the ID module: refused at once, the UID is never asked for.
    damaged = Scripted(("", 0x9000), ("", 0x9000), ("", 0x9000), ("0100", 0x9000), ("", 0x9000), atr=id_atr)
    with pytest.raises(InvalidCardData):
        read_card(damaged, profiles, today)
    assert not damaged.answers and not any(s.startswith("FF CA") for s in damaged.sent)
    # Taken away: the same.
    removed = Scripted(("", 0x9000), CardRemovedEarly("gone"), atr=id_atr)
    with pytest.raises(CardRemovedEarly):
        read_card(removed, profiles, today)
    assert removed.sent == ["FF 20 01 00 00", "FF 20 02 00 00"]


def test_no_profile_for_the_atr(card_config: Callable[[str], KioskConfig]) -> None:
    only_id = card_config(documented_example().split("[[card_reader.profiles]]\nid = \"citizen-card\"")[0]) \
        .kiosk.card_reader.profiles
    with pytest.raises(UnsupportedCard, match="no profile matches ATR 3B 68 00"):
        read_card(Scripted(), only_id, today)
