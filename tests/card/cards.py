"""Fictitious card holders and their text blocks, built independently of the code under test."""

from __future__ import annotations

from datetime import date

from drivers.card.cn_id import encode_text_block

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TODAY = date(2026, 11, 24)


def with_check(first17: str) -> str:
    """``first17`` and its GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


# A man born 1949-12-31 (odd order code 003): 76 on TODAY, green channel.
SENIOR_NUMBER = with_check("11010519491231003")
SENIOR_NAME = "王建国"
# A woman born 1990-03-07 (even order code 124).
CITIZEN_NUMBER = with_check("44030519900307124")
CITIZEN_NAME = "欧阳晓梅"

SENIOR = dict(name=SENIOR_NAME, sex_code="1", nation_code="01", birth="19491231",
              address="北京市东城区示范路1号院2号楼301", id_number=SENIOR_NUMBER,
              authority="北京市公安局东城分局", valid_from="20150101", valid_until="长期")
CITIZEN = dict(name=CITIZEN_NAME, sex_code="2", nation_code="01", birth="19900307",
               address="广东省深圳市福田区示范街道88号", id_number=CITIZEN_NUMBER,
               authority="深圳市公安局福田分局", valid_from="20200301", valid_until="20400301")


def text_block(person: dict[str, str] = SENIOR, **changes: str) -> bytes:
    """The 256-byte text block of ``person``, with some fields changed."""
    return encode_text_block(**{**person, **changes})


def masked(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]
