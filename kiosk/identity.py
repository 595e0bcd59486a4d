"""Identities read from ID cards: GB 11643-1999 ID numbers, validation, masking and age.

The ID number is sensitive personal data: ``Identity`` never shows it unmasked in ``repr``/``str``,
so it cannot leak into logs by accident.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from kiosk.errors import KioskError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")


class InvalidIdNumber(KioskError):
    """The ID number is malformed, has a wrong check digit or an impossible birth date."""

    code = "invalid_id_number"


def check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> date:
    """The birth date encoded in positions 7-14 of an 18-character ID number."""
    digits = id_number[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise InvalidIdNumber("impossible birth date") from exc


def normalize_id_number(raw: str, today: date | None = None) -> str:
    """Validate an 18-character ID number and return it upper-cased.

    Full-width digits (typed with a Chinese input method) are converted to ASCII. Raises
    ``InvalidIdNumber`` for a wrong length or character, a wrong check digit, or a birth date that does
    not exist or lies after ``today`` (default: the system date).
    """
    number = unicodedata.normalize("NFKC", raw).strip().upper()
    if not _ID_PATTERN.match(number):
        raise InvalidIdNumber("must be 17 digits and a digit or X")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("check digit does not match")
    born = birth_date_of(number)
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidIdNumber("birth date out of range")
    return number


def mask_id_number(id_number: str) -> str:
    """``11010519491231002X`` -> ``1101**********002X``; anything shorter is masked whole."""
    if len(id_number) < 12:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str) -> str:
    """Keep the family name's first character: ``张三丰`` -> ``张**``."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def age_on(birth: date, on: date) -> int:
    """Full years between ``birth`` and ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def identity_key(id_number: str, salt: bytes) -> str:
    """A salted hash of the ID number: enough to enforce per-person limits, useless to read back."""
    return hmac.new(salt, id_number.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    """A citizen identified for one session. ``repr`` and ``str`` show only masked data."""

    id_number: str = field(repr=False)
    name: str = field(default="", repr=False)
    sex: str = ""
    birth_date: date | None = field(default=None, repr=False)
    source: str = "manual"

    @classmethod
    def from_id_number(cls, raw: str, *, name: str = "", sex: str = "", source: str = "manual",
                       today: date | None = None) -> Identity:
        """Build an identity from a validated number; birth date and sex come from the number."""
        number = normalize_id_number(raw, today)
        sex = sex or ("男" if int(number[16]) % 2 else "女")
        return cls(number, name, sex, birth_date_of(number), source)

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def age(self, on: date) -> int:
        born = self.birth_date or birth_date_of(self.id_number)
        return age_on(born, on)

    def __repr__(self) -> str:
        return f"Identity({self.masked_number}, {self.masked_name}, source={self.source})"

    __str__ = __repr__
