"""The limits of the values the service layer stores, as pydantic metadata on the service types' fields.

The hall server validates request bodies against these types: every string has a length limit and refuses
NUL characters, and every date lies in 2000-2099. The database columns have limits too, and a request beyond
them must be a 422, never a failure inside the database. Code that builds the types in-process is not
validated (it checks what it builds itself).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, StringConstraints

_NO_NUL = r"^[^\x00]*$"
SLUG = r"^[a-z][a-z0-9_-]{0,31}$"
WINDOW = r"^[A-Za-z0-9_-]{1,16}$"
NUMBER = r"^[A-Za-z]{1,2}[0-9]{2,4}$"

Slug = Annotated[str, Field(pattern=SLUG)]
WindowId = Annotated[str, Field(pattern=WINDOW)]
# The idempotency key of an entry of a kiosk's outbox.
OutboxKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def text(max_length: int, min_length: int = 0) -> StringConstraints:
    """A free-text field's limits (``Annotated[str, text(40)]``): bounded, no NUL (PostgreSQL refuses them)."""
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=_NO_NUL)


_When = TypeVar("_When", date, datetime)


def _in_range(value: _When) -> _When:
    if not 2000 <= value.year <= 2099:
        raise ValueError("must lie in the years 2000-2099")
    return value


Moment = Annotated[datetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_in_range)]
