"""A double tap on 取号 with an ID card on the reader (see test_take_number.py): the second tap lands on the
service tile under the finger on the group screen, and must issue nothing; a tap on that tile once the citizen has
seen the screen issues the number of that service.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from drivers.card.simulated import DEMO_CARDS
from tests.ui.touch import double_tap, shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager = app.manager
    groups = manager.get_screen("groups")
    take = manager.get_screen("home").ids.take_number
    yield from until(lambda: manager.current == "home", "home screen")
    app.simulated_reader.insert(DEMO_CARDS[1])
    yield from until(lambda: bool(app.identity_text), "the card read")

    x, y = take.to_window(*take.center)
    yield from double_tap(take, gap=0.15)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from until(lambda: all(b.info for b in groups.ids.choices.buttons), "queue figures")
    # The tile the second tap landed on: the test means something only if there is one.
    under = [b for b in groups.ids.choices.buttons if b.collide_point(*b.to_widget(x, y))]
    report["tile_under_finger"] = under[0].choice_key if under else ""
    yield 1.0  # time for a number to be issued, had the second tap been taken
    report["after_double_tap"] = {"screen": manager.current, "busy": app.busy,
                                  "waiting": sum(s.waiting for s in app.kiosk.backend.queue.statuses())}
    yield from shot(out, report["screenshots"], "groups-after-double-tap")

    if under:
        yield from tap(under[0])
        result = manager.get_screen("result")
        yield from until(lambda: manager.current == "result", "the ticket of the tile tapped")
        report["number"] = result.number
        report["group"] = app.group(under[0].choice_key).prefix
