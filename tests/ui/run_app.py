"""Runs the real kiosk app (as ``kiosk`` would) and takes commands on stdin, for lifecycle tests.

``python tests/ui/run_app.py CONFIG_DIR "YYYY-MM-DD HH:MM"``; commands, one a line:
``go SCREEN`` (home, groups), ``take GROUP`` (a number, as a tap on the group and on "without a card" do),
``block SECONDS`` (block the main loop), ``quit``. It prints ``screen NAME`` when the screen changes, ``countdown N``
while the idle countdown runs and ``returning N`` while the ticket result counts down to going home.
Around a block it sends STATUS=blocking / STATUS=unblocked on the notify socket, from the main loop.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.clock import shifted_clock  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.devices.fonts import find_cjk_font  # noqa: E402
from kiosk.runtime import sd_notify  # noqa: E402
from kiosk.state import StateDir  # noqa: E402
from screens.main import configure_kivy, create_app  # noqa: E402

CONFIG = load_config(sys.argv[1])
STATE = StateDir.for_config(CONFIG)
configure_kivy(CONFIG, STATE, fullscreen=False, size="1080x1920")

from kivy.clock import Clock  # noqa: E402


def block(seconds: float) -> None:
    sd_notify("STATUS=blocking")
    time.sleep(seconds)  # the main loop is stuck here: no heartbeat can go out
    sd_notify("STATUS=unblocked")


def main() -> int:
    start = datetime.fromisoformat(sys.argv[2]).replace(tzinfo=CONFIG.timezone)
    app = create_app(CONFIG, STATE, shifted_clock(start), find_cjk_font(for_screen=True).path)

    def take(group_id: str) -> None:
        """A tap on the group, then on "continue without a card" when the card is asked for."""
        app.choose_group(group_id)
        if app.manager.current == "identify":
            app.take_number()

    def commands() -> None:
        for line in sys.stdin:
            verb, _, arg = line.strip().partition(" ")
            if verb == "go":
                Clock.schedule_once(lambda _dt, screen=arg: app.go_home() if screen == "home" else app.go(screen))
            elif verb == "take":
                Clock.schedule_once(lambda _dt, group=arg: take(group))
            elif verb == "block":
                Clock.schedule_once(lambda _dt, s=float(arg): block(s))
            elif verb == "quit":
                break
        Clock.schedule_once(lambda _dt: app.stop())

    def report_screens(*_: object) -> None:
        # Screen changes and idle countdowns go to stdout, one a line, for the test to follow.
        app.manager.bind(current=lambda _m, name: print(f"screen {name}", flush=True))
        app.kiosk_root.countdown_overlay.bind(seconds=lambda _o, s: print(f"countdown {s}", flush=True))
        app.manager.get_screen("result").bind(seconds_left=lambda _o, s: print(f"returning {int(s)}", flush=True))

    app.bind(on_start=report_screens)
    threading.Thread(target=commands, daemon=True).start()
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
