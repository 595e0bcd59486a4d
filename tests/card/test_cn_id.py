"""The ID card text block: layout, validation, and (hypothesis) no input crashes the parser."""

from __future__ import annotations

import contextlib
import struct
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.cn_id import LAYOUT, TEXT_BLOCK_BYTES, identity_from_text_block, parse_text_block
from kiosk.devices.card import ExpiredCard, InvalidCardData
from tests.card.cards import CITIZEN, CITIZEN_NAME, CITIZEN_NUMBER, SENIOR, SENIOR_NUMBER, TODAY, text_block, with_check


def field_bytes(block: bytes, name: str) -> bytes:
    """One field's bytes, located by the layout of the issue (independent of the parser's own tables)."""
    sizes = {"name": 30, "sex": 2, "nation": 4, "birth": 16, "address": 70, "id_number": 36, "authority": 30,
             "valid_from": 16, "valid_until": 16, "reserved": 36}
    start = 0
    for key, size in sizes.items():
        if key == name:
            return block[start:start + size]
        start += size
    raise KeyError(name)


def test_the_layout_is_the_one_of_the_card() -> None:
    assert sum(size for _name, size in LAYOUT) == TEXT_BLOCK_BYTES == 256
    block = text_block(CITIZEN)
    assert len(block) == 256
    assert field_bytes(block, "name") == "欧阳晓梅".encode("utf-16-le") + " ".encode("utf-16-le") * 11
    assert field_bytes(block, "id_number") == CITIZEN_NUMBER.encode("utf-16-le")
    assert field_bytes(block, "valid_until") == "20400301".encode("utf-16-le")


def test_a_valid_block_becomes_an_identity_with_only_what_the_kiosk_needs() -> None:
    identity = identity_from_text_block(text_block(CITIZEN), TODAY, source="idcard")
    assert (identity.id_number, identity.name, identity.sex) == (CITIZEN_NUMBER, CITIZEN_NAME, "女")
    assert identity.birth_date == date(1990, 3, 7) and identity.age(TODAY) == 36
    assert identity.source == "idcard"
    assert CITIZEN_NUMBER not in repr(identity) and CITIZEN_NAME not in repr(identity)


def test_parsed_fields_and_masked_repr() -> None:
    text = parse_text_block(text_block(SENIOR))
    assert (text.sex_code, text.nation_code, text.birth) == ("1", "01", date(1949, 12, 31))
    assert text.valid_until is None and text.valid_from == date(2015, 1, 1)
    assert text.address.startswith("北京市东城区")
    assert SENIOR_NUMBER not in repr(text) and SENIOR["name"] not in repr(text)
    assert SENIOR["address"] not in repr(text)


def test_padding_with_nul_characters_is_accepted() -> None:
    block = bytearray(text_block(CITIZEN))
    name = "欧阳晓梅".encode("utf-16-le")
    block[len(name):30] = bytes(30 - len(name))
    assert identity_from_text_block(bytes(block), TODAY).name == CITIZEN_NAME


@pytest.mark.parametrize(("change", "why"), [
    ({"id_number": SENIOR_NUMBER[:17] + ("0" if SENIOR_NUMBER[17] != "0" else "1")}, "check digit"),
    ({"id_number": SENIOR_NUMBER[:17]}, "17 digits"),
    ({"birth": "19491230"}, "birth: does not match"),
    ({"birth": "19490231"}, "birth: no such date"),
    ({"sex_code": "2"}, "sex: does not match"),
    ({"sex_code": "9"}, "sex: not a sex code"),
    ({"nation_code": "77"}, "nation"),
    ({"name": ""}, "name: empty"),
    ({"address": "  "}, "address: empty"),
    ({"valid_from": "2015-1-1"}, "valid_from: not a date"),
    ({"valid_from": "20270101"}, "valid_from: before birth or in the future"),
    ({"valid_until": "20150101"}, "valid_until: not after valid_from"),
    ({"valid_until": "永久"}, "valid_until: not a date"),
    ({"name": "王\x07国"}, "name: contains control characters"),
])
def test_inconsistent_or_malformed_cards_are_refused(change: dict[str, str], why: str) -> None:
    with pytest.raises(InvalidCardData) as caught:
        identity_from_text_block(text_block(SENIOR, **change), TODAY)
    assert why in caught.value.detail
    assert SENIOR_NUMBER not in caught.value.detail and SENIOR_NUMBER[:17] not in caught.value.detail


def test_an_expired_card_is_refused_the_day_after_its_last_day() -> None:
    block = text_block(CITIZEN, valid_from="20060301", valid_until="20260301")
    assert identity_from_text_block(block, date(2026, 3, 1)).id_number == CITIZEN_NUMBER  # valid through that day
    with pytest.raises(ExpiredCard) as caught:
        identity_from_text_block(block, date(2026, 3, 2))
    assert isinstance(caught.value, InvalidCardData)
    assert "过有效期" in caught.value.message("zh") and "expired" in caught.value.message("en")


def test_a_short_block_and_invalid_ucs2_are_refused() -> None:
    with pytest.raises(InvalidCardData, match="255 bytes"):
        parse_text_block(text_block(SENIOR)[:255])
    broken = bytearray(text_block(SENIOR))
    broken[0:2] = struct.pack("<H", 0xDC00)  # a lone low surrogate: not UCS-2 text
    with pytest.raises(InvalidCardData, match="name: not UCS-2"):
        parse_text_block(bytes(broken))


# -- property tests ---------------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=0, max_size=400))
def test_random_bytes_never_crash_the_parser(data: bytes) -> None:
    with contextlib.suppress(InvalidCardData):
        identity_from_text_block(data, TODAY)


_FIELD_TEXT = st.text(alphabet=st.characters(codec="utf-16", exclude_categories=("Cs",)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({name: _FIELD_TEXT for name, _size in LAYOUT if name != "reserved"}))
def test_random_field_texts_never_crash_the_parser(fields: dict[str, str]) -> None:
    block = b""
    for name, size in LAYOUT:
        raw = fields.get(name, "").encode("utf-16-le")[:size]
        raw = raw[:len(raw) - len(raw) % 2]
        block += raw + b" \x00" * ((size - len(raw)) // 2)
    with contextlib.suppress(InvalidCardData):
        identity_from_text_block(block, TODAY)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, TEXT_BLOCK_BYTES - 1), st.integers(0, 255))
def test_any_single_byte_change_is_refused_or_read_consistently(position: int, value: int) -> None:
    block = bytearray(text_block(CITIZEN))
    block[position] = value
    try:
        identity = identity_from_text_block(bytes(block), TODAY)
    except InvalidCardData:
        return
    # Accepted only when the ID number still validates: then it is the card's (possibly changed) number.
    assert identity.id_number == with_check(identity.id_number[:17])
    assert identity.birth_date is not None and identity.birth_date <= TODAY


@st.composite
def valid_people(draw: st.DrawFn) -> dict[str, str]:
    birth = draw(st.dates(date(1900, 1, 1), TODAY - timedelta(days=1)))
    order = draw(st.integers(0, 999))
    number = with_check(f"{draw(st.sampled_from(['110105', '440305', '320102', '650102']))}{birth:%Y%m%d}{order:03d}")
    issued = draw(st.dates(birth, TODAY))
    until = draw(st.one_of(st.just("长期"), st.dates(max(issued, TODAY) + timedelta(days=1), date(2080, 12, 31))
                           .map(lambda d: f"{d:%Y%m%d}")))
    name = draw(st.text(alphabet="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐·阿布都热合曼", min_size=1, max_size=15))
    return dict(name=name, sex_code="1" if order % 2 else "2", nation_code=f"{draw(st.integers(1, 56)):02d}",
                birth=f"{birth:%Y%m%d}", address="示范市示范路1号", id_number=number, authority="示范市公安局",
                valid_from=f"{issued:%Y%m%d}", valid_until=until)


@settings(max_examples=300, deadline=None)
@given(valid_people())
def test_every_valid_card_reads_back_to_its_holder(person: dict[str, str]) -> None:
    identity = identity_from_text_block(text_block(person), TODAY)
    assert identity.id_number == person["id_number"] and identity.name == person["name"]
    assert identity.sex == ("男" if person["sex_code"] == "1" else "女")
    assert f"{identity.birth_date:%Y%m%d}" == person["birth"]
