"""The text block of the Chinese second-generation resident ID card (居民身份证), parsed and validated.

The block is 256 bytes of UCS-2 little-endian text, each field space padded to a fixed size::

    name 30 | sex 2 | nation 4 | birth 16 | address 70 | ID number 36 | authority 30 |
    valid from 16 | valid until 16 (a date or 长期) | reserved 36

Everything read from a card is untrusted: any byte string either parses into ``IdCardText`` or raises
``InvalidCardData``. Error details name the field and the rule, never the field's value, so they can be
logged. ``IdCardText`` and ``Identity`` show only masked data in ``repr``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from kiosk.devices.card import ExpiredCard, InvalidCardData
from kiosk.identity import Identity, InvalidIdNumber, birth_date_of, mask_id_number, mask_name, normalize_id_number

TEXT_BLOCK_BYTES = 256
# (field, size in bytes), in the order they appear in the block.
LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70), ("id_number", 36),
    ("authority", 30), ("valid_from", 16), ("valid_until", 16), ("reserved", 36),
)
NO_EXPIRY = "长期"
# GB/T 2261.1 sex codes as written on the card; 0 (unknown) and 9 (unstated) never appear on an ID card.
SEX_CODES = {"1": "男", "2": "女"}
# GB 3304 ethnic group codes 01-56; 97 "other" and 98 "naturalised" also appear.
_NATION_CODES = {f"{n:02d}" for n in range(1, 57)} | {"97", "98"}
_DATE = re.compile(r"^[0-9]{8}$")
_PADDING = " \x00"


@dataclass(frozen=True)
class IdCardText:
    """The fields of one text block. Only the parts the kiosk needs become an ``Identity``."""

    name: str = field(repr=False)
    sex_code: str
    nation_code: str
    birth: date = field(repr=False)
    address: str = field(repr=False)
    id_number: str = field(repr=False)
    authority: str = field(repr=False)
    valid_from: date
    valid_until: date | None  # None: 长期 (no expiry)

    def __repr__(self) -> str:
        return (f"IdCardText({mask_id_number(self.id_number)}, {mask_name(self.name)}, "
                f"valid {self.valid_from:%Y-%m-%d}..{self.valid_until or NO_EXPIRY})")

    __str__ = __repr__


def _split(block: bytes) -> dict[str, bytes]:
    fields: dict[str, bytes] = {}
    pos = 0
    for name, size in LAYOUT:
        fields[name] = block[pos:pos + size]
        pos += size
    return fields


def _text(raw: bytes, name: str) -> str:
    """A UCS-2 LE field without its padding; control characters mean the data is damaged."""
    try:
        text = raw.decode("utf-16-le").rstrip(_PADDING)
    except UnicodeDecodeError as exc:
        raise InvalidCardData(f"{name}: not UCS-2 text") from exc
    if not all(ch.isprintable() for ch in text):
        raise InvalidCardData(f"{name}: contains control characters")
    return text


def _date(text: str, name: str) -> date:
    if not _DATE.match(text):
        raise InvalidCardData(f"{name}: not a date YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise InvalidCardData(f"{name}: no such date") from exc


def parse_text_block(block: bytes) -> IdCardText:
    """Decode and check the form of every field of a 256-byte text block (extra bytes are ignored)."""
    if len(block) < TEXT_BLOCK_BYTES:
        raise InvalidCardData(f"text block is {len(block)} bytes, {TEXT_BLOCK_BYTES} needed")
    raw = _split(bytes(block[:TEXT_BLOCK_BYTES]))
    texts = {name: _text(raw[name], name) for name, _size in LAYOUT if name != "reserved"}
    for name in ("name", "address", "authority"):
        if not texts[name]:
            raise InvalidCardData(f"{name}: empty")
    if texts["sex"] not in SEX_CODES:
        raise InvalidCardData("sex: not a sex code (1 or 2)")
    if texts["nation"] not in _NATION_CODES:
        raise InvalidCardData("nation: not an ethnic group code")
    until = texts["valid_until"]
    return IdCardText(
        name=texts["name"], sex_code=texts["sex"], nation_code=texts["nation"],
        birth=_date(texts["birth"], "birth"), address=texts["address"], id_number=texts["id_number"],
        authority=texts["authority"], valid_from=_date(texts["valid_from"], "valid_from"),
        valid_until=None if until == NO_EXPIRY else _date(until, "valid_until"))


def validate(text: IdCardText, today: date) -> None:
    """Check that the fields agree with each other and that the card is valid ``today``.

    Raises ``InvalidCardData`` (wrong check digit, birth date or sex not matching the number, validity
    period reversed or not started) or ``ExpiredCard``.
    """
    try:
        number = normalize_id_number(text.id_number, today)
    except InvalidIdNumber as exc:
        raise InvalidCardData(f"id_number: {exc.detail}") from exc
    if birth_date_of(number) != text.birth:
        raise InvalidCardData("birth: does not match the ID number")
    # GB 11643: the 17th digit (order code) is odd for men and even for women.
    if SEX_CODES[text.sex_code] != ("男" if int(number[16]) % 2 else "女"):
        raise InvalidCardData("sex: does not match the ID number")
    if text.valid_from < text.birth or text.valid_from > today:
        raise InvalidCardData("valid_from: before birth or in the future")
    if text.valid_until is not None:
        if text.valid_until <= text.valid_from:
            raise InvalidCardData("valid_until: not after valid_from")
        if text.valid_until < today:  # the card is valid through its last day
            raise ExpiredCard(f"expired on {text.valid_until:%Y-%m-%d}")


def identity_from_text_block(block: bytes, today: date, source: str = "id-card") -> Identity:
    """Parse and validate a text block; only name, sex and the ID number go into the ``Identity``."""
    text = parse_text_block(block)
    validate(text, today)
    return Identity.from_id_number(text.id_number, name=text.name, sex=SEX_CODES[text.sex_code],
                                   source=source, today=today)


def encode_text_block(*, name: str, sex_code: str, nation_code: str, birth: str, address: str, id_number: str,
                      authority: str, valid_from: str, valid_until: str, reserved: str = "") -> bytes:
    """Build a text block from field strings (for virtual cards in tests and benchmarks).

    Each field is encoded UCS-2 LE and space padded; a value too long for its field raises ``ValueError``.
    """
    values = {"name": name, "sex": sex_code, "nation": nation_code, "birth": birth, "address": address,
              "id_number": id_number, "authority": authority, "valid_from": valid_from,
              "valid_until": valid_until, "reserved": reserved}
    out = bytearray()
    for key, size in LAYOUT:
        raw = values[key].encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{key} is {len(raw)} bytes, at most {size} fit")
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return bytes(out)
