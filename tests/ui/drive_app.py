"""Drives the real kiosk app in a real window: taps through "take a number" and saves screenshots.

Run under an X display: ``python tests/ui/drive_app.py OUT_DIR CONFIG_DIR "YYYY-MM-DD HH:MM"``.
Touches go through Kivy's input dispatch (``post_dispatch_input``), the path a touchscreen's events take.
Writes OUT_DIR/report.json with what it saw; exits non-zero if a step did not happen.
"""

from __future__ import annotations

import json
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
STATE = StateDir.for_config(CONFIG)
configure_kivy(CONFIG, STATE, fullscreen=False, size=sys.argv[4] if len(sys.argv) > 4 else None)


from tests.ui.touch import run_scenario, shot, tap, until  # noqa: E402

report: dict[str, Any] = {"screenshots": [], "steps": [], "errors": []}


def scenario(app: Any) -> Generator[float, None, None]:
    root = app.root
    manager = app.manager
    groups = manager.get_screen("groups")
    result = manager.get_screen("result")
    yield from until(lambda: manager.current == "home", "home screen")
    yield from shot(OUT, report["screenshots"], "home-zh")
    yield from tap(root.ids.lang_button)
    yield from shot(OUT, report["screenshots"], "home-en")
    yield from tap(root.ids.lang_button)

    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from until(lambda: all("等候" in b.info for b in groups.ids.choices.buttons), "queue figures")
    yield from shot(OUT, report["screenshots"], "groups")

    yield from tap(groups.button("general"))
    yield from until(lambda: manager.current == "identify", "ID card prompt")
    yield from shot(OUT, report["screenshots"], "identify")
    yield from tap(manager.get_screen("identify").ids.skip)
    yield from until(lambda: manager.current == "result", "ticket result")
    report["steps"].append({"number": result.number, "printed": result.printed, "ahead": result.ahead_text,
                            "qr": result.qr_texture is not None})
    yield from shot(OUT, report["screenshots"], "ticket")
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "return home")

    # An elderly citizen in large-font mode: the card goes to the green channel.
    yield from tap(root.ids.large_button)
    yield from shot(OUT, report["screenshots"], "home-large")
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (large)")
    simbar = root.children[0]
    yield from tap(simbar.ids.sim_card_0)
    yield from until(lambda: bool(app.identity_text), "simulated card read")
    yield from shot(OUT, report["screenshots"], "groups-large-card")
    yield from tap(groups.button("general"))
    yield from until(lambda: manager.current == "result", "green-channel ticket")
    report["steps"].append({"number": result.number, "printed": result.printed, "ahead": result.ahead_text,
                            "qr": result.qr_texture is not None, "priority": result.priority})
    yield from shot(OUT, report["screenshots"], "ticket-large-green")
    report["identity_after"] = app.identity_text

    # A group that needs the card, with the printer out of paper: the number is still shown.
    from drivers.printer.base import PrinterStatus

    app.desk.printer.set_status(PrinterStatus.PAPER_OUT)
    yield from tap(result.ids.done)
    yield from tap(root.ids.large_button)
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (paper out)")
    yield from tap(groups.button("realestate"))
    yield from until(lambda: manager.current == "identify", "ID card prompt (required)")
    report["skip_offered"] = manager.get_screen("identify").ids.skip.opacity > 0
    yield from tap(simbar.ids.sim_card_1)
    confirm = root.confirm_overlay
    yield from until(lambda: confirm.parent is not None, "printer warning before issuing")
    report["printer_warning"] = confirm.primary
    yield from shot(OUT, report["screenshots"], "printer-warning")
    yield from tap(confirm.confirm_button)
    yield from until(lambda: manager.current == "result", "ticket after card")
    report["steps"].append({"number": result.number, "printed": result.printed, "print_text": result.print_text,
                            "qr": result.qr_texture is not None})
    yield from shot(OUT, report["screenshots"], "ticket-paper-out")

    # The same citizen again, printer repaired: one open ticket per group and day, a notice says so.
    app.desk.printer.set_status(PrinterStatus.OK)
    yield from tap(result.ids.done)
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (again)")
    yield from tap(simbar.ids.sim_card_1)
    yield from until(lambda: bool(app.identity_text), "simulated card read (again)")
    yield from tap(groups.button("realestate"))
    notice = root.notice_overlay
    yield from until(lambda: notice.parent is not None, "refusal notice")
    report["notice"] = notice.primary
    yield from shot(OUT, report["screenshots"], "notice-limit")
    yield from tap(notice.ok_button)
    yield from until(lambda: notice.parent is None, "notice closed")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = create_app(CONFIG, STATE, shifted_clock(START), find_cjk_font(for_screen=True).path)
    app.bind(on_start=lambda *_: run_scenario(app, scenario(app), report["errors"], 1.0))
    app.run()
    (OUT / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
