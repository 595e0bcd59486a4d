"""ID numbers (GB 11643-1999): check digit, normalisation, masking, age, and the salted identity key."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.identity import (
    Identity,
    InvalidIdNumber,
    age_on,
    birth_date_of,
    check_digit,
    identity_key,
    mask_id_number,
    mask_name,
    normalize_id_number,
)

VALID = ["11010519491231002X", "110105199003071239", "440305198511204563", "32010219560815002X"]
TODAY = date(2026, 11, 24)


def with_check(first17: str) -> str:
    """Append the GB 11643 check character, computed here independently of the code under test."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_accepted_unchanged(number: str) -> None:
    assert normalize_id_number(number, today=TODAY) == number
    assert check_digit(number[:17]) == number[17]


@pytest.mark.parametrize("number", VALID)
def test_every_other_check_character_is_refused(number: str) -> None:
    for wrong in "0123456789X":
        if wrong == number[17]:
            continue
        with pytest.raises(InvalidIdNumber):
            normalize_id_number(number[:17] + wrong, today=TODAY)


@pytest.mark.parametrize("raw", [
    "",
    "11010519491231002",  # 17 characters
    "11010519491231002XX",  # 19 characters
    "110105491231002",  # old 15-digit number
    "1101051949123100 2X",
])
def test_bad_length_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(raw, today=TODAY)


@pytest.mark.parametrize("raw", [
    "11010519491231002Y",
    "1101A519491231002X",
    "X10105199003071239",
], ids=["Y", "letter-inside", "X-first"])
def test_letters_and_other_characters_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(raw, today=TODAY)


@pytest.mark.parametrize("raw", ["１１０１０５１９４９１２３１００２X", "1101051949123100２X"],
                         ids=["all-full-width", "one-full-width-digit"])
def test_full_width_digits_are_converted_to_ascii(raw: str) -> None:
    number = normalize_id_number(raw, today=TODAY)
    assert number == "11010519491231002X"
    identity_key(number, b"salt")


@pytest.mark.parametrize("birth", ["19990230", "19991301", "19990000", "20230229", "18991231"])
def test_impossible_birth_date_with_a_correct_check_digit_is_refused(birth: str) -> None:
    number = with_check(f"110105{birth}123")
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(number, today=TODAY)


def test_leap_day_birth_is_accepted() -> None:
    number = with_check("11010520000229123")
    assert normalize_id_number(number, today=TODAY) == number
    assert birth_date_of(number) == date(2000, 2, 29)


def test_future_birth_date_is_refused() -> None:
    tomorrow = with_check("110105" + "20261125" + "123")
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(tomorrow, today=TODAY)
    with pytest.raises(InvalidIdNumber):
        Identity.from_id_number(tomorrow, today=TODAY)
    born_today = with_check("110105" + "20261124" + "123")
    assert normalize_id_number(born_today, today=TODAY) == born_today


def test_future_birth_date_is_refused_without_an_explicit_today() -> None:
    with pytest.raises(InvalidIdNumber):
        Identity.from_id_number(with_check("110105" + "20900101" + "123"))


def test_lower_case_x_is_accepted_and_normalised() -> None:
    assert normalize_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"
    assert normalize_id_number("  32010219560815002x\n", today=TODAY) == "32010219560815002X"
    identity = Identity.from_id_number("11010519491231002x", today=TODAY)
    assert identity.id_number == "11010519491231002X"
    assert identity.masked_number == "1101**********002X"


def test_invalid_id_has_bilingual_message() -> None:
    with pytest.raises(InvalidIdNumber) as info:
        normalize_id_number("110105199003071230", today=TODAY)
    assert "身份证" in info.value.message("zh")
    assert "ID number" in info.value.message("en")
    assert info.value.code == "invalid_id_number"


def test_mask_id_number() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("440305198511204563") == "4403**********4563"
    assert len(mask_id_number("440305198511204563")) == 18
    # Anything too short to be masked meaningfully is masked whole.
    assert mask_id_number("12345") == "*****"


@pytest.mark.parametrize(("name", "masked"), [("张三丰", "张**"), ("李四", "李*"), ("欧阳娜娜", "欧***"), ("", "")])
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(("on", "age"), [
    (date(2050, 3, 6), 59),  # the day before the 60th birthday
    (date(2050, 3, 7), 60),  # the birthday
    (date(2050, 3, 8), 60),
    (date(2049, 12, 31), 59),
    (date(1990, 3, 7), 0),
])
def test_age_on_around_a_birthday(on: date, age: int) -> None:
    assert age_on(date(1990, 3, 7), on) == age


def test_age_of_an_identity_uses_the_birth_date_in_the_number() -> None:
    identity = Identity.from_id_number("110105199003071239", today=TODAY)
    assert identity.birth_date == date(1990, 3, 7)
    assert identity.age(date(2050, 3, 6)) == 59
    assert identity.age(date(2050, 3, 7)) == 60
    assert identity.sex == "男"  # 17th digit 3 is odd
    assert Identity.from_id_number("440305198511204563", today=TODAY).sex == "女"  # 6 is even


def test_repr_and_str_never_show_the_full_number_or_name() -> None:
    identity = Identity.from_id_number("11010519491231002X", name="张三丰", today=TODAY)
    for shown in (repr(identity), str(identity), f"{identity}", "%s" % (identity,), repr([identity]),  # noqa: UP031
                  repr({"who": identity})):
        assert "11010519491231002X" not in shown
        assert "19491231" not in shown  # not even the birth date part
        assert "张三丰" not in shown
        assert "三丰" not in shown
        assert "1101**********002X" in shown


def test_identity_key_is_salted() -> None:
    number = "11010519491231002X"
    a = identity_key(number, b"salt-one" * 4)
    assert a == identity_key(number, b"salt-one" * 4)
    assert a != identity_key(number, b"salt-two" * 4)
    assert a != identity_key("110105199003071239", b"salt-one" * 4)
    assert number not in a
    assert len(a) == 64 and all(c in "0123456789abcdef" for c in a)
