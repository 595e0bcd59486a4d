"""Double taps and a card put on the reader at home (see test_take_number.py).

Two taps 150 ms apart on 取号: the second lands on the service tile under the finger on the group screen and must
do nothing. A senior's card put on the reader at home starts a session and asks whether large text and voice would
help; a double tap on "yes" leaves the tile under the finger untouched although the card is read (a tap there
would issue at once); a tap on that tile once the screen has settled issues its number. A younger citizen's card at
home goes straight to the service choice, which shows the masked name.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from tests.ui.touch import double_tap, press, shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    root, manager = app.root, app.manager
    groups = manager.get_screen("groups")
    simbar = root.children[0]

    def waiting() -> int:
        return sum(s.waiting for s in app.kiosk.backend.queue.statuses())

    def tile_under(widget: Any, at: tuple[float, float] = (0.5, 0.5)) -> Generator[float, None, str]:
        """The group tile at the place tapped on ``widget`` once the group screen shows its figures."""
        x, y = widget.to_window(widget.x + widget.width * at[0], widget.y + widget.height * at[1])
        yield from until(lambda: manager.current == "groups", "group choice")
        yield from until(lambda: all(b.info for b in groups.ids.choices.buttons), "queue figures")
        under = [b for b in groups.ids.choices.buttons if b.collide_point(*b.to_widget(x, y))]
        return under[0].choice_key if under else ""

    yield from until(lambda: manager.current == "home", "home screen")
    take = manager.get_screen("home").ids.take_number
    yield from double_tap(take, gap=0.15)
    report["no_card"] = {"tile": (yield from tile_under(take))}
    yield 1.0  # time for the second tap to have acted, had it been taken
    report["no_card"].update(screen=manager.current, waiting=waiting())
    yield from shot(out, report["screenshots"], "groups-after-double-tap")
    yield from tap(root.ids.home_button)
    yield from until(lambda: manager.current == "home", "home again")

    # A senior's card at home: the offer of large text and voice, then the service choice.
    yield from press(simbar.ids.sim_card_0)
    confirm = root.confirm_overlay
    yield from until(lambda: confirm.parent is not None, "the offer of large-font mode")
    report["offer"] = [confirm.primary, confirm.secondary, confirm.confirm_button.title, confirm.back_button.title]
    yield from shot(out, report["screenshots"], "home-senior-card-offer")
    yes = confirm.confirm_button
    # The left part of the button: over a tile of the next screen (its middle is over the gap between two).
    yield from double_tap(yes, gap=0.15, at=(0.25, 0.5))
    report["senior"] = {"tile": (yield from tile_under(yes, at=(0.25, 0.5)))}
    yield 1.0
    report["senior"].update(screen=manager.current, waiting=waiting(), large=app.large, who=app.identity_text)
    yield from shot(out, report["screenshots"], "groups-senior-after-double-tap")
    if report["senior"]["tile"]:
        yield from tap(groups.button(report["senior"]["tile"]))
        result = manager.get_screen("result")
        yield from until(lambda: manager.current == "result", "the ticket of the tile tapped")
        report["senior"]["issued_for"] = result._issued.ticket.group_id
        yield from tap(result.ids.done)
        yield from until(lambda: manager.current == "home", "home after the ticket")
    yield from tap(simbar.ids.sim_card_remove)
    yield from until(lambda: not app.card_left, "the card taken")

    # A younger citizen's card at home: straight to the service choice, with the masked name.
    yield from tap(simbar.ids.sim_card_1)
    yield from until(lambda: manager.current == "groups", "the service choice after the card")
    report["citizen"] = {"large": app.large, "who": app.identity_text, "offer": confirm.parent is not None}
    yield from shot(out, report["screenshots"], "groups-citizen-card")
