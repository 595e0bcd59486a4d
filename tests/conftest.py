"""Shared fixtures of the core tests: a private configuration copy, a state folder, a fake clock, a queue.

Nothing here touches Kivy or hardware; UI fixtures belong in ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.assembly import Kiosk
from kiosk.config import KioskConfig, load_config
from kiosk.config_migration import VERSION_COMMENT
from kiosk.queue.service import LocalQueueService

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = REPO / "config"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday inside the shipped opening hours (09:00-12:00, 13:30-17:30, last ticket 30 min before close).
TUESDAY_10 = datetime(2026, 11, 24, 10, 0)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class FakeClock:
    """A settable clock for the queue: calling it gives an aware UTC datetime.

    ``set`` takes a naive wall-clock time in Asia/Shanghai (the hall's zone), ``advance`` moves it on.
    """

    def __init__(self, local: datetime = TUESDAY_10) -> None:
        self._now = datetime(2000, 1, 1, tzinfo=UTC)
        self.set(local)

    def __call__(self) -> datetime:
        return self._now

    def set(self, local: datetime) -> FakeClock:
        if local.tzinfo is not None:
            raise ValueError("FakeClock.set takes a naive local (Asia/Shanghai) time")
        self._now = local.replace(tzinfo=SHANGHAI).astimezone(UTC)
        return self

    def advance(self, minutes: float = 0, seconds: float = 0) -> FakeClock:
        self._now += timedelta(minutes=minutes, seconds=seconds)
        return self

    @property
    def local(self) -> datetime:
        return self._now.astimezone(SHANGHAI)


def make_id_number(birth: date, region: str = "110105", order: str = "123") -> str:
    """A valid GB 11643 number for ``birth``, computed independently of ``kiosk.identity``."""
    first17 = f"{region}{birth:%Y%m%d}{order}"
    assert len(first17) == 17
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def edit_file(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a text file; fails loudly when ``old`` is not there ``count`` times."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {path.name}, expected {count}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped configuration folder that a test may edit."""
    target = tmp_path / "config"
    shutil.copytree(SHIPPED_CONFIG, target)
    return target


def make_version_1(folder: Path) -> Path:
    """Turn the shipped files in ``folder`` into schema version 1, as written before ``schema_version``:
    no version key, and ``[hours] workdays_use_hours_of`` under its old name ``workday_hours_from``."""
    for name in ("kiosk.toml", "services.toml"):
        edit_file(folder / name, f"{VERSION_COMMENT}schema_version = 2\n\n", "")
    edit_file(folder / "kiosk.toml", "workdays_use_hours_of = ", "workday_hours_from = ")
    return folder


@pytest.fixture
def version_1_dir(config_dir: Path) -> Path:
    """A private copy of the shipped configuration, turned into schema version 1."""
    return make_version_1(config_dir)


@pytest.fixture
def config(config_dir: Path) -> KioskConfig:
    return load_config(config_dir)


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kiosk's state folder (queue database, salt, ticket images), via ``KIOSK_STATE_DIR``."""
    path = tmp_path / "state"
    monkeypatch.setenv("KIOSK_STATE_DIR", str(path))
    return path


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock, initially Tuesday 2026-11-24 10:00 in Shanghai (open)."""
    return FakeClock()


@pytest.fixture
def make_kiosk(state_dir: Path, clock: FakeClock) -> Iterator[Callable[..., Kiosk]]:
    """``make_kiosk(config, printer=..., reader=...)``: a whole kiosk from the assembly on the test's state folder
    and fake clock, with the devices given in place of the configured ones; closed after the test."""
    made: list[Kiosk] = []

    def make(cfg: KioskConfig, **devices: Any) -> Kiosk:
        kiosk = Kiosk(cfg, clock=clock, **devices)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.close()


@pytest.fixture
def make_queue(make_kiosk: Callable[..., Kiosk]) -> Callable[[KioskConfig], LocalQueueService]:
    """Build embedded queues on the test's state folder and fake clock (e.g. after editing the config)."""
    return lambda cfg: make_kiosk(cfg).store.queue


@pytest.fixture
def queue(config: KioskConfig, make_queue: Callable[[KioskConfig], LocalQueueService]) -> LocalQueueService:
    """The embedded queue on the shipped configuration, the test's state folder and the fake clock."""
    return make_queue(config)


@pytest.fixture
def id_number() -> Callable[..., str]:
    """``id_number(birth_date, region=..., order=...)`` -> a valid ID number (see ``make_id_number``)."""
    return make_id_number


@pytest.fixture
def load() -> Callable[[Path], KioskConfig]:
    """``load(config_dir)``: re-read a configuration folder after editing it."""
    return load_config


@pytest.fixture
def edit() -> Callable[..., None]:
    """``edit(path, old, new, count=1)``: change a configuration file in place (see ``edit_file``)."""
    return edit_file
