"""Card profiles: how a connected card is read, chosen by ATR, independent of PC/SC.

A profile talks to the card through a ``Channel`` (one ``transmit`` per command APDU), so the same code runs
on pcscd (``drivers.card.pcsc``) and on a fake channel in unit tests. Responses are never logged: only
command headers, status words and lengths are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from drivers.card.cn_id import TEXT_BLOCK_BYTES, identity_from_text_block
from kiosk.config import CardProfileConfig
from kiosk.devices.card import CardError, InvalidCardData, UnsupportedCard, mask_uid
from kiosk.identity import Identity, InvalidIdNumber

log = logging.getLogger(__name__)

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le: the end of the file was reached
SW_WRONG_OFFSET = 0x6B00  # the offset is beyond the end of the file
GET_UID = bytes.fromhex("FFCA000000")  # PC/SC part 3 pseudo-APDU, answered by the reader itself
_MAX_GET_RESPONSE = 32  # bound on 61xx chaining: a card that never stops is broken, not a long file


@dataclass(frozen=True)
class Response:
    """A response APDU: data and the status word (SW1 SW2 as one number, e.g. 0x9000)."""

    data: bytes = field(repr=False)
    sw: int

    def __repr__(self) -> str:
        return f"Response({len(self.data)} bytes, {self.sw:04X})"


class Channel(Protocol):
    """A connection to one card. ``transmit`` raises ``CardError`` subclasses for transport failures."""

    @property
    def atr(self) -> bytes: ...

    def transmit(self, apdu: bytes) -> Response: ...


@dataclass(frozen=True)
class CardResult:
    """What a profile read: an identity, or only a card UID (``uid`` profiles)."""

    profile: str
    identity: Identity | None = None
    uid: str = field(default="", repr=False)

    def __repr__(self) -> str:
        what = repr(self.identity) if self.identity is not None else f"uid {mask_uid(self.uid)}"
        return f"CardResult({self.profile}: {what})"


def exchange(channel: Channel, apdu: bytes) -> Response:
    """Send ``apdu``, following T=0 conventions: ``61xx`` fetches more with GET RESPONSE, ``6Cxx`` resends
    with the Le the card asked for. The data of all parts is joined."""
    response = channel.transmit(apdu)
    if response.sw >> 8 == 0x6C and len(apdu) in (4, 5):
        response = channel.transmit(apdu[:4] + bytes([response.sw & 0xFF]))
    data = bytearray(response.data)
    for _ in range(_MAX_GET_RESPONSE):
        if response.sw >> 8 != 0x61:
            break
        response = channel.transmit(bytes([apdu[0] & 0x03, 0xC0, 0, 0, response.sw & 0xFF]))
        data += response.data
    else:
        raise InvalidCardData("the card kept answering 61xx (more data) without end")
    log.debug("APDU %s -> %04X, %d bytes", apdu[:4].hex(" ").upper(), response.sw, len(data))
    return Response(bytes(data), response.sw)


def atr_matches(pattern: str, atr: bytes) -> bool:
    """Whether ``atr`` fits a normalised pattern (``3B 88 80 01 ?? *``, see ``kiosk.config``)."""
    tokens = pattern.split()
    open_end = tokens[-1:] == ["*"]
    if open_end:
        tokens = tokens[:-1]
    if len(atr) < len(tokens) or (not open_end and len(atr) != len(tokens)):
        return False
    return all(t == "??" or int(t, 16) == b for t, b in zip(tokens, atr, strict=False))


def profiles_for(atr: bytes, profiles: Sequence[CardProfileConfig]) -> list[CardProfileConfig]:
    """The profiles to try on a card with ``atr``, in configuration order."""
    return [p for p in profiles if not p.atr or any(atr_matches(pattern, atr) for pattern in p.atr)]


def _read_uid(channel: Channel, profile: CardProfileConfig) -> CardResult:
    response = exchange(channel, GET_UID)
    if response.sw != SW_OK or not 4 <= len(response.data) <= 10:
        raise UnsupportedCard(f"GET UID answered {response.sw:04X} with {len(response.data)} bytes")
    return CardResult(profile.id, uid=response.data.hex().upper())


def _read_cn_id_text(channel: Channel, profile: CardProfileConfig, today: date) -> CardResult:
    for i, apdu in enumerate(profile.select):
        response = exchange(channel, bytes.fromhex(apdu))
        if response.sw != SW_OK:
            # The card (or the reader's security module) does not know the command: not our kind of card.
            raise UnsupportedCard(f"select[{i}] answered {response.sw:04X}")
    # A bytearray, zeroed when done: the text block is personal data and must not linger in memory.
    data = bytearray()
    try:
        for i, apdu in enumerate(profile.read):
            response = exchange(channel, bytes.fromhex(apdu))
            if response.sw not in (SW_OK, SW_END_OF_FILE):
                raise InvalidCardData(f"read[{i}] answered {response.sw:04X}")
            data += response.data
        start = profile.text_offset
        if len(data) < start + TEXT_BLOCK_BYTES:
            raise InvalidCardData(f"read {len(data)} bytes; the text block needs {start + TEXT_BLOCK_BYTES}")
        identity = identity_from_text_block(bytes(data[start:start + TEXT_BLOCK_BYTES]), today, source=profile.id)
        return CardResult(profile.id, identity=identity)
    finally:
        data[:] = bytes(len(data))


def _select(channel: Channel, p1: int, p2: int, ident: bytes, le: bool) -> Response:
    return exchange(channel, bytes([0x00, 0xA4, p1, p2, len(ident)]) + ident + (b"\x00" if le else b""))


def _read_iso_file(channel: Channel, profile: CardProfileConfig, today: date) -> CardResult:
    response = _select(channel, 0x04, 0x00, bytes.fromhex(profile.aid), le=True)
    if response.sw != SW_OK:
        raise UnsupportedCard(f"SELECT AID answered {response.sw:04X}")
    if profile.file_id:
        response = _select(channel, 0x02, 0x0C, bytes.fromhex(profile.file_id), le=False)
        if response.sw != SW_OK:
            raise UnsupportedCard(f"SELECT file answered {response.sw:04X}")
    data = bytearray()
    try:
        pos, end = profile.offset, profile.offset + profile.length
        while pos < end:
            want = min(profile.chunk, end - pos)
            # Short READ BINARY: offset in P1 (7 bits) and P2; Le 00 means 256.
            response = exchange(channel, bytes([0x00, 0xB0, pos >> 8, pos & 0xFF, want & 0xFF]))
            if response.sw == SW_WRONG_OFFSET:
                break
            if response.sw not in (SW_OK, SW_END_OF_FILE):
                raise InvalidCardData(f"READ BINARY at {pos} answered {response.sw:04X}")
            data += response.data[:want]
            pos += len(response.data[:want])
            if response.sw == SW_END_OF_FILE or len(response.data) < want:
                break
        return CardResult(profile.id, identity=_file_identity(data, profile, today))
    finally:
        data[:] = bytes(len(data))


def _file_identity(data: bytearray, profile: CardProfileConfig, today: date) -> Identity:
    if profile.content == "cn-id-text":
        return identity_from_text_block(bytes(data), today, source=profile.id)
    text = bytes(data).rstrip(b" \x00\xff")
    if len(text) != 18:
        raise InvalidCardData(f"the file holds {len(text)} characters; an ID number has 18")
    try:
        return Identity.from_id_number(text.decode("ascii"), source=profile.id, today=today)
    except UnicodeDecodeError as exc:
        raise InvalidCardData("the ID number is not ASCII") from exc
    except InvalidIdNumber as exc:
        raise InvalidCardData(f"id number: {exc.detail}") from exc


def run_profile(channel: Channel, profile: CardProfileConfig, today: date) -> CardResult:
    """Read the card with one profile; raises ``UnsupportedCard`` when the card is not of its kind."""
    if profile.type == "uid":
        return _read_uid(channel, profile)
    if profile.type == "cn-id-text":
        return _read_cn_id_text(channel, profile, today)
    return _read_iso_file(channel, profile, today)


def read_card(channel: Channel, profiles: Sequence[CardProfileConfig], today: Callable[[], date]) -> CardResult:
    """Try each profile whose ATR pattern fits, in order; the first that reads the card wins.

    Only ``UnsupportedCard`` moves on to the next profile: a card that one profile recognised but found
    damaged, expired or taken away is reported as such, never read again by a laxer profile.
    """
    candidates = profiles_for(channel.atr, profiles)
    if not candidates:
        raise UnsupportedCard(f"no profile matches ATR {channel.atr.hex(' ').upper()}")
    last: CardError | None = None
    for profile in candidates:
        try:
            result = run_profile(channel, profile, today())
        except UnsupportedCard as exc:
            log.info("profile %s: not this kind of card (%s)", profile.id, exc.detail)
            last = exc
            continue
        return result
    assert last is not None
    raise last
