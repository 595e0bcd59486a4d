"""The kiosk's flows (``kiosk/desk.py``) on the embedded store: a citizen who already holds a number gets it
back as it stands now, and may print it again. Printing itself: ``tests/printer/test_desk_printing.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.printer.simulated import SimulatedPrinter
from kiosk.config import KioskConfig
from kiosk.identity import Identity
from kiosk.queue import TicketLimitReached
from tests.conftest import FakeClock

YOUNG_ID = "110105199003071239"


def test_a_number_already_held_is_shown_as_it_stands_and_printed_again(config: KioskConfig, make_kiosk,
                                                                       clock: FakeClock, tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path / "tickets", 80)
    desk = make_kiosk(config, printer=printer).desk
    me = Identity.from_id_number(YOUNG_ID, source="test", today=clock.local.date())
    desk.take_number("general")
    mine = desk.take_number("general", me).ticket
    assert mine.people_ahead == 1
    with pytest.raises(TicketLimitReached) as refused:
        desk.issue("general", me)
    desk.queue.call_next("general", window="1")  # the one ahead is called meanwhile

    held = desk.held(refused.value.existing, card_read=True)
    assert (held.ticket.number, held.ticket.people_ahead, held.fault) == (mine.number, 0, None)
    assert any("请取回您的身份证" in getattr(block, "text", "") for block in held.document.blocks)
    assert desk.reprint(held.ticket.number).printed
    assert sorted(p.name for p in (tmp_path / "tickets").glob("*.png")) == [
        "2026-11-24-A001.png", "2026-11-24-A002-2.png", "2026-11-24-A002.png"]
