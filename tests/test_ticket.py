"""What a ticket says (``kiosk/ticket.py``): a number issued while the hall server was away states what is true."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kiosk.config import KioskConfig, load_config
from kiosk.devices.document import Text
from kiosk.queue.model import Ticket
from kiosk.ticket import is_provisional, ticket_document
from tests.conftest import edit_file
from tests.printer.documents import make_ticket as make_hall_ticket


def make_ticket(number: str) -> Ticket:
    return replace(make_hall_ticket(people_ahead=0, wait_minutes=0), number=number)


def _hall_kiosk(config_dir: Path) -> KioskConfig:
    edit_file(config_dir / "kiosk.toml", 'queue = "embedded"\nhall_url = ""',
              'queue = "hall"\nhall_url = "http://127.0.0.1:9"')
    edit_file(config_dir / "kiosk.toml", 'offline_series = ""', 'offline_series = "XA"')
    return load_config(config_dir)


def _lines(config: KioskConfig, number: str) -> list[str]:
    document = ticket_document(make_ticket(number), config)
    return [block.text for block in document.blocks if isinstance(block, Text)]


def test_an_offline_number_says_it_is_temporary_and_its_wait_unknown(config_dir: Path) -> None:
    config = _hall_kiosk(config_dir)
    lines = _lines(config, "XA001")
    assert is_provisional(make_ticket("XA001"), config)
    assert "本机临时号码，按取号先后叫号" in lines
    assert "A temporary number of this kiosk, called in order of issue" in lines
    assert "暂时无法估计等候时间" in lines and "The waiting time cannot be estimated now" in lines
    assert not any("前面还有" in line or "无需等待" in line for line in lines), lines


def test_a_number_of_the_hall_states_people_ahead_and_wait(config_dir: Path, config: KioskConfig) -> None:
    hall = _hall_kiosk(config_dir)
    assert not is_provisional(make_ticket("A001"), hall)
    assert any(line.startswith("前面还有 0 人") for line in _lines(hall, "A001"))
    # A standalone kiosk has no offline series: its own queue is the whole queue.
    assert not is_provisional(make_ticket("XA001"), config)
