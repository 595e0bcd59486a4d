"""Take a number by touch (see test_take_number.py): home in both languages, a plain ticket, the green channel
in large-font mode with the demo card, a group that needs the card with the printer out of paper (the number
is still shown, the citizen told why there is no ticket), and the same citizen, refused a second number, shown
the one they hold, printed again on request.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from kiosk.devices.printer import PrinterStatus
from kiosk.texts import tr
from tests.ui.touch import shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    root = app.root
    manager = app.manager
    groups = manager.get_screen("groups")
    result = manager.get_screen("result")
    yield from until(lambda: manager.current == "home", "home screen")
    yield from shot(out, report["screenshots"], "home-zh")
    yield from tap(root.ids.lang_button)
    yield from shot(out, report["screenshots"], "home-en")
    yield from tap(root.ids.lang_button)

    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from until(lambda: all("等候" in b.info for b in groups.ids.choices.buttons), "queue figures")
    yield from shot(out, report["screenshots"], "groups")

    yield from tap(groups.button("general"))
    yield from until(lambda: manager.current == "identify", "ID card prompt")
    yield from shot(out, report["screenshots"], "identify")
    yield from tap(manager.get_screen("identify").ids.skip)
    yield from until(lambda: manager.current == "result", "ticket result")
    # The number is on screen first; "please take your ticket" once the printer has finished.
    yield from until(lambda: result.print_text == tr("printed", "zh"), "the ticket printed")
    report["steps"].append({"number": result.number, "printed": result.printed, "ahead": result.ahead_text,
                            "qr": result.qr_texture is not None})
    yield from shot(out, report["screenshots"], "ticket")
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "return home")

    # An elderly citizen in large-font mode: the card goes to the green channel.
    yield from tap(root.ids.large_button)
    yield from shot(out, report["screenshots"], "home-large")
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (large)")
    simbar = root.children[0]
    yield from tap(simbar.ids.sim_card_0)
    yield from until(lambda: bool(app.identity_text), "simulated card read")
    yield from shot(out, report["screenshots"], "groups-large-card")
    yield from tap(groups.button("general"))
    yield from until(lambda: manager.current == "result", "green-channel ticket")
    report["steps"].append({"number": result.number, "printed": result.printed, "ahead": result.ahead_text,
                            "qr": result.qr_texture is not None, "priority": result.priority})
    yield from shot(out, report["screenshots"], "ticket-large-green")
    report["identity_after"] = app.identity_text

    # Done: the session ends, the next citizen starts in the configured language and standard mode.
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "home after the green-channel ticket")
    report["after_done"] = {"lang": app.lang, "large": app.large, "identity": app.identity_text}
    # Another senior in large-font mode, a group that needs the card, the printer out of paper: the citizen is
    # asked before anything is issued, and the number is still shown.
    app.kiosk.desk.printer.set_status(PrinterStatus.PAPER_OUT)
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
    report["confirm_button"] = confirm.confirm_button.title
    yield from shot(out, report["screenshots"], "printer-warning")
    yield from tap(confirm.confirm_button)
    yield from until(lambda: manager.current == "result", "ticket after card")
    report["steps"].append({"number": result.number, "printed": result.printed, "print_text": result.print_text,
                            "qr": result.qr_texture is not None})
    yield from shot(out, report["screenshots"], "ticket-paper-out")
    # The number exists only on the screen: no countdown takes it away, the citizen says when they have noted it.
    yield 2.5
    report["paper_out_kept"] = {"screen": manager.current, "counting_down": result._return_tick is not None,
                                "button": result.ids.done.title, "subtitle": result.ids.done.subtitle}

    # The same citizen again, printer repaired: one open ticket per group and day. The number they hold is
    # shown again as it stands, not printed until they ask; then printed once.
    app.kiosk.desk.printer.set_status(PrinterStatus.OK)
    yield from tap(result.ids.done)
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice (again)")
    yield from tap(simbar.ids.sim_card_1)
    yield from until(lambda: bool(app.identity_text), "simulated card read (again)")
    yield from tap(groups.button("realestate"))
    yield from until(lambda: manager.current == "result" and result.held, "the number already held")
    printed_files = len(list(app.kiosk.desk.printer.output_dir.glob("*.png")))
    report["held"] = {"number": result.number, "print_text": result.print_text, "ahead": result.ahead_text,
                      "button": result.ids.print_again.title, "printed_files": printed_files}
    yield from shot(out, report["screenshots"], "ticket-held")
    yield from tap(result.ids.print_again)
    yield from until(lambda: result.print_text == tr("printed", "zh"), "printed again")
    report["held_after"] = {"can_print_again": result.can_print_again, "counting_down": result._return_tick is not None}
    yield from shot(out, report["screenshots"], "ticket-held-printed")
