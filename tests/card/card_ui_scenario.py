"""Drives the real kiosk app with the PC/SC reader: a virtual card on vpcd, read through the test's pcscd.

Run by ``run_ui_scenario`` (module "tests.card.card_ui_scenario") with ``PCSCLITE_CSOCK_NAME`` set to the test
pcscd's socket, ``CARD_VPCD_PORT`` to its vpcd port and ``CARD_PCSCD_PID`` to its process.

A citizen chooses a group that needs the ID card; the card is placed (a slow one, so that "reading" stays
on screen long enough to be photographed) and the number is issued. Then an expired card is refused with
its message, a card slower than the read timeout is refused without freezing the screen, and at last
pcscd is killed: the identify screen says the reader is not available and offers the help call and the
services that need no card.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator
from pathlib import Path
from typing import Any

from tests.card.cards import CITIZEN, SENIOR, text_block
from tests.card.vicc import CardSlot, VirtualCard
from tests.ui.touch import shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager = app.manager
    slot = CardSlot(int(os.environ["CARD_VPCD_PORT"]))
    identify = manager.get_screen("identify")
    result = manager.get_screen("result")
    notice = app.kiosk_root.notice_overlay
    yield from until(lambda: manager.current == "home", "home screen")
    yield from until(lambda: app.kiosk.reader.status().value == "ready", "the PC/SC reader")
    yield 2.0  # touches in the app's first second or so are lost (Kivy start-up), so let it settle

    # A senior citizen with a valid card: placed while the identify screen waits for it.
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from tap(manager.get_screen("groups").button("realestate"))
    yield from until(lambda: manager.current == "identify", "ID card prompt")
    report["prompt_before"] = identify.ids.prompt.text
    slot.insert(VirtualCard(text_block=text_block(SENIOR), delay=0.25))  # about 1.3 s to read
    yield from until(lambda: app.card_state == "reading", "the reading state")
    report["prompt_reading"] = identify.ids.prompt.text
    report["hint_reading"] = identify.ids.hint.text
    yield from shot(out, report["screenshots"], "reading", settle=0.2)
    yield from until(lambda: manager.current == "result", "ticket after the card")
    report["ticket"] = {"number": result.number, "priority": result.priority}
    report["identity_after"] = app.identity_text
    yield from shot(out, report["screenshots"], "ticket")
    slot.remove()
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "return home")

    # An expired card: refused with its message; the citizen stays on the identify screen.
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (2)")
    yield from tap(manager.get_screen("groups").button("realestate"))
    yield from until(lambda: manager.current == "identify", "ID card prompt (2)")
    slot.insert(VirtualCard(text_block=text_block(CITIZEN, valid_from="20000101", valid_until="20200101")))
    yield from until(lambda: notice.parent is not None, "the expired-card notice")
    report["expired_notice"] = [notice.primary, notice.secondary]
    report["screen_after_expired"] = manager.current
    yield from shot(out, report["screenshots"], "expired")
    yield from tap(notice.ok_button)
    slot.remove()
    yield from until(lambda: app.kiosk.reader.status().value == "ready", "the expired card gone")

    # A card that answers too slowly (about 5 s; the configured read timeout is 3 s): the citizen is told to
    # place it again while the read is still going on; its late outcome is not shown.
    slot.insert(VirtualCard(text_block=text_block(SENIOR), delay=1.0))
    yield from until(lambda: app.card_state == "reading", "reading the slow card")
    yield from until(lambda: notice.parent is not None, "the read-timeout notice")
    report["timeout_notice"] = notice.primary
    report["card_state_after_timeout"] = app.card_state
    yield from shot(out, report["screenshots"], "slow-card")
    slot.remove()  # mid-read: the driver reports "removed too early", after the timeout
    yield from until(lambda: app.kiosk.reader.status().value == "ready", "the slow card gone")
    yield from shot(out, report["screenshots"], "slow-card-removed", settle=0.5)
    report["notice_after_late_result"] = notice.primary
    report["identity_after_slow"] = app.identity_text
    yield from tap(notice.ok_button)

    # pcscd goes away: the identify screen says the reader cannot be used, and offers staff help.
    os.kill(int(os.environ["CARD_PCSCD_PID"]), signal.SIGKILL)
    yield from until(lambda: app.card_state == "no_reader", "the reader-missing state")
    report["prompt_no_reader"] = identify.ids.prompt.text
    report["hint_no_reader"] = identify.ids.hint.text
    report["buttons_no_reader"] = [identify.ids.skip.title, identify.ids.back.title]
    yield from shot(out, report["screenshots"], "no-reader")
    # Another service, then: the ones that need the card cannot be chosen, the others can.
    yield from tap(identify.ids.back)
    yield from until(lambda: manager.current == "groups", "the service choice")
    groups = manager.get_screen("groups")
    report["groups_no_reader"] = {b.choice_key: (b.disabled, b.info) for b in groups.ids.choices.buttons}
    yield from shot(out, report["screenshots"], "groups-no-reader")
