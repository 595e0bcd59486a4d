"""Drives the real kiosk app with the PC/SC reader: a virtual card on vpcd, read through the test's pcscd.

Run under an X display with ``PCSCLITE_CSOCK_NAME`` set to the test pcscd's socket::

    python tests/card/drive_card_ui.py OUT_DIR CONFIG_DIR "YYYY-MM-DD HH:MM" VPCD_PORT PCSCD_PID

A citizen chooses a group that needs the ID card; the card is placed (a slow one, so that "reading" stays
on screen long enough to be photographed) and the number is issued. Then an expired card is refused with
its message, a card slower than the read timeout is refused without freezing the screen, and at last
pcscd is killed: the identify screen says the reader is not available.
Writes OUT_DIR/report.json with what it saw; exits non-zero if a step did not happen.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Generator
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.clock import shifted_clock  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.fonts import find_cjk_font  # noqa: E402
from kiosk.state import StateDir  # noqa: E402
from screens.main import configure_kivy, create_app  # noqa: E402

OUT = Path(sys.argv[1])
CONFIG = load_config(sys.argv[2])
START = datetime.fromisoformat(sys.argv[3]).replace(tzinfo=CONFIG.timezone)
PORT, PCSCD_PID = int(sys.argv[4]), int(sys.argv[5])
STATE = StateDir.for_config(CONFIG)
configure_kivy(CONFIG, STATE, fullscreen=False, size="1080x1920")


from tests.card.cards import CITIZEN, SENIOR, text_block  # noqa: E402
from tests.card.vicc import CardSlot, VirtualCard  # noqa: E402
from tests.ui.touch import run_scenario, shot, tap, until  # noqa: E402

report: dict[str, Any] = {"screenshots": [], "errors": []}


def scenario(app: Any) -> Generator[float, None, None]:
    manager = app.manager
    slot = CardSlot(PORT)
    identify = manager.get_screen("identify")
    result = manager.get_screen("result")
    notice = app.kiosk_root.notice_overlay
    yield from until(lambda: manager.current == "home", "home screen")
    yield from until(lambda: app.reader.status().value == "ready", "the PC/SC reader")
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
    yield from shot(OUT, report["screenshots"], "reading", settle=0.2)
    yield from until(lambda: manager.current == "result", "ticket after the card")
    report["ticket"] = {"number": result.number, "priority": result.priority}
    report["identity_after"] = app.identity_text
    yield from shot(OUT, report["screenshots"], "ticket")
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
    yield from shot(OUT, report["screenshots"], "expired")
    yield from tap(notice.ok_button)
    slot.remove()
    yield from until(lambda: app.reader.status().value == "ready", "the expired card gone")

    # A card that answers too slowly (about 5 s; the configured read timeout is 3 s): the citizen is told to
    # place it again while the read is still going on; its late outcome is not shown.
    slot.insert(VirtualCard(text_block=text_block(SENIOR), delay=1.0))
    yield from until(lambda: app.card_state == "reading", "reading the slow card")
    yield from until(lambda: notice.parent is not None, "the read-timeout notice")
    report["timeout_notice"] = notice.primary
    report["card_state_after_timeout"] = app.card_state
    yield from shot(OUT, report["screenshots"], "slow-card")
    slot.remove()  # mid-read: the driver reports "removed too early", after the timeout
    yield from until(lambda: app.reader.status().value == "ready", "the slow card gone")
    yield from shot(OUT, report["screenshots"], "slow-card-removed", settle=0.5)
    report["notice_after_late_result"] = notice.primary
    report["identity_after_slow"] = app.identity_text
    yield from tap(notice.ok_button)

    # pcscd goes away: the identify screen says the reader cannot be used, and offers staff help.
    os.kill(PCSCD_PID, signal.SIGKILL)
    yield from until(lambda: app.card_state == "no_reader", "the reader-missing state")
    report["prompt_no_reader"] = identify.ids.prompt.text
    report["hint_no_reader"] = identify.ids.hint.text
    yield from shot(OUT, report["screenshots"], "no-reader")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = create_app(CONFIG, STATE, shifted_clock(START), find_cjk_font(for_screen=True).path)
    app.bind(on_start=lambda *_: run_scenario(app, scenario(app), report["errors"], 0.5))
    app.run()
    (OUT / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
