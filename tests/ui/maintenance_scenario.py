"""Maintenance by touch: the hidden corner, the PIN with its lock, and every function of the maintenance screen,
in every variant (zh/en × standard/large).

Runs in a private copy of the configuration (``KIOSK_CONFIG_DIR`` below is the one the app loaded), which the
scenario edits to exercise the reload. ``maintenance_exit_scenario`` covers the idle timeout and the exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop

from kiosk.devices.printer import PrinterStatus
from kiosk.journal import setup_logging
from tests.ui.touch import VARIANTS, Tap, press, set_variant, shot, tap, type_on, until, variant_name

RIGHT_PIN = "200820"
WRONG_PIN = "123456"


def hold(widget: Any, seconds: float) -> Generator[float, None, None]:
    """Press the middle of ``widget``, keep the finger there ``seconds``, lift it."""
    touch = Tap(*widget.to_window(*widget.center))
    EventLoop.post_dispatch_input("begin", touch)
    yield seconds
    EventLoop.post_dispatch_input("end", touch)
    yield 0.4


def on_screen(app: Any, name: str, what: str) -> Generator[float, None, None]:
    """Wait for screen ``name`` to be on show, its fade over (a screen manager ignores touches during one)."""
    yield from until(lambda: app.manager.current == name and not app.manager.transition.is_active, what)


def type_pin(keypad: Any, pin: str) -> Generator[float, None, None]:
    yield from type_on(keypad, pin)
    yield from press(keypad.ids.submit_key)


def open_maintenance(app: Any, pin: str = RIGHT_PIN) -> Generator[float, None, None]:
    """Hidden corner held, PIN typed: the maintenance screen with its status loaded."""
    yield from hold(app.root.ids.hidden_corner, 3.4)
    yield from on_screen(app, "admin_pin", "PIN screen after holding the corner")
    yield from type_pin(app.manager.get_screen("admin_pin").ids.keypad, pin)
    maintenance = app.manager.get_screen("maintenance")
    yield from on_screen(app, "maintenance", "maintenance screen after the right PIN")
    yield from until(lambda: maintenance._report is not None, "status report")


def every_variant(app: Any, out: Path, report: dict[str, Any], name: str) -> Generator[float, None, None]:
    for lang, large in VARIANTS:
        yield from set_variant(app, lang, large)
        yield from shot(out, report["screenshots"], f"{name}-{variant_name(lang, large)}")


def notice_in_every_variant(app: Any, out: Path, report: dict[str, Any], name: str, button: Any,
                            ) -> Generator[float, None, list[str]]:
    """Tap ``button`` in each variant and photograph the notice it brings up; the notices' texts."""
    notice = app.root.notice_overlay
    texts = []
    for lang, large in VARIANTS:
        yield from set_variant(app, lang, large)
        yield from tap(button)
        yield from until(lambda: notice.parent is not None, f"notice of {name}")
        texts.append(f"{notice.primary} | {notice.secondary}")
        yield from shot(out, report["screenshots"], f"{name}-{variant_name(lang, large)}")
        yield from tap(notice.ok_button)
        yield from until(lambda: notice.parent is None and not app.busy, "notice closed")
    return texts


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    state = app.kiosk_config.state_dir()
    setup_logging("kiosk", state / "logs")  # as `kiosk` does (screens/main.py); the runner starts the app itself
    manager, root = app.manager, app.root
    home = manager.get_screen("home")
    pin_screen = manager.get_screen("admin_pin")
    keypad = pin_screen.ids.keypad
    maintenance = manager.get_screen("maintenance")
    yield from on_screen(app, "home", "home screen")
    yield 2.0  # touches in the app's first second or so are lost (Kivy start-up), so let it settle

    # An unprinted ticket, as a citizen gets one when the printer is out of paper.
    app.kiosk.desk.printer.set_status(PrinterStatus.PAPER_OUT)
    yield from tap(home.ids.take_number)
    yield from on_screen(app, "groups", "group choice")
    yield from until(lambda: manager.get_screen("groups").button("general") is not None, "groups listed")
    yield from tap(manager.get_screen("groups").button("general"))
    yield from on_screen(app, "identify", "ID card prompt")
    yield from tap(manager.get_screen("identify").ids.skip)
    yield from until(lambda: root.confirm_overlay.parent is not None, "printer warning")
    yield from tap(root.confirm_overlay.confirm_button)
    yield from on_screen(app, "result", "ticket on screen")
    report["unprinted_number"] = manager.get_screen("result").number
    app.kiosk.desk.printer.set_status(PrinterStatus.OK)
    yield from tap(manager.get_screen("result").ids.done)
    yield from on_screen(app, "home", "home again")

    # A tap, and a press shorter than 3 s, on the hidden corner open nothing.
    corner = root.ids.hidden_corner
    yield from tap(corner)
    yield 0.5
    yield from hold(corner, 1.5)
    yield 2.0
    report["after_short_presses"] = manager.current
    yield from shot(out, report["screenshots"], "home-after-short-presses")
    yield from hold(corner, 3.4)
    yield from on_screen(app, "admin_pin", "PIN screen")
    yield from every_variant(app, out, report, "pin-empty")

    # Five wrong PINs: tries left, then locked; the right PIN is refused while the lock holds.
    yield from set_variant(app, "zh", False)
    wrong: list[str] = []
    for _ in range(5):
        yield from type_pin(keypad, WRONG_PIN)
        yield from until(lambda: bool(pin_screen.message) and not app.busy, "refusal message")
        wrong.append(pin_screen.message)
        if len(wrong) == 1:
            report["pin_display_while_typing_masked"] = keypad.shown_value("1234", keypad.masked)
            yield from every_variant(app, out, report, "pin-wrong")
            yield from set_variant(app, "zh", False)
    report["wrong_messages"] = wrong
    yield from every_variant(app, out, report, "pin-locked")
    yield from set_variant(app, "zh", False)
    yield from type_pin(keypad, RIGHT_PIN)
    yield from until(lambda: not app.busy, "right PIN checked")
    yield 0.3
    report["right_pin_while_locked"] = {"screen": manager.current, "message": pin_screen.message}
    yield from shot(out, report["screenshots"], "pin-right-but-locked-zh")
    # Back home and in again: the lock is said at once, before anyone types.
    yield from tap(root.ids.home_button)
    yield from on_screen(app, "home", "home from the PIN screen")
    yield from hold(corner, 3.4)
    yield from until(lambda: manager.current == "admin_pin" and bool(pin_screen.message), "lock said on entering")
    report["locked_on_entry"] = pin_screen.message

    # Staff end the lock from a shell, then sign in.
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "admin", "unlock", "--config",
                           str(app.kiosk_config.source_dir)], capture_output=True, text=True,
                          env={**os.environ, "KIOSK_STATE_DIR": str(state)}, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    report["unlock"] = done.stdout.strip()
    yield from tap(root.ids.home_button)
    yield from on_screen(app, "home", "home before signing in")
    yield from open_maintenance(app)
    report["status"] = {"printer": maintenance.printer_text, "reader": maintenance.reader_text,
                        "backend": maintenance.backend_text, "unprinted": maintenance.unprinted_text,
                        "config": maintenance.config_text, "version": maintenance.version_text,
                        "uptime": maintenance.uptime_text}
    report["exit_shown"] = {"opacity": maintenance.ids.exit.opacity, "disabled": maintenance.ids.exit.disabled}
    yield from every_variant(app, out, report, "maintenance")

    # Test print: a sample ticket comes out of the (simulated) printer.
    report["test_print"] = yield from notice_in_every_variant(app, out, report, "test-print", maintenance.ids.test_print)

    # Test card read: the masked identity and how it was read, and the card is forgotten at once.
    yield from set_variant(app, "zh", False)
    yield from tap(maintenance.ids.test_card)
    yield from until(lambda: maintenance.ids.pages.current == "card", "card page")
    yield from every_variant(app, out, report, "card-wait")
    yield from set_variant(app, "zh", False)
    yield from tap(root.children[0].ids.sim_card_0)
    yield from until(lambda: bool(maintenance.card_text), "card read")
    report["card"] = {"text": maintenance.card_text, "details": maintenance.card_details,
                      "app_identity": repr(app.session.identity)}
    yield from every_variant(app, out, report, "card-read")
    yield from tap(root.children[0].ids.sim_card_remove)
    yield from tap(maintenance.ids.card_back)
    yield from until(lambda: maintenance.ids.pages.current == "status", "status page")
    report["card_after_back"] = maintenance.card_text

    # Reprint: the ticket that did not print is listed; one tap prints it and takes it off the list.
    yield from set_variant(app, "zh", False)
    yield from tap(maintenance.ids.reprint)
    yield from until(lambda: bool(maintenance.unprinted), "unprinted tickets listed")
    report["unprinted_listed"] = [p.number for p in maintenance.unprinted]
    yield from every_variant(app, out, report, "reprint-list")
    yield from set_variant(app, "zh", False)
    choices = maintenance.ids.reprint_choices
    yield from tap(choices.buttons[0])
    notice = root.notice_overlay
    yield from until(lambda: notice.parent is not None, "reprint notice")
    report["reprint_notice"] = notice.primary
    yield from shot(out, report["screenshots"], "reprinted-zh")
    yield from tap(notice.ok_button)
    yield from until(lambda: not maintenance.unprinted and not app.busy, "list emptied")
    yield from set_variant(app, "en", True)
    yield from shot(out, report["screenshots"], "reprint-none-en-large")
    yield from tap(maintenance.ids.reprint_back)

    # Recent problems of the log: the print failure above is there; a tap shows the record.
    yield from set_variant(app, "zh", False)
    yield from tap(maintenance.ids.errors)
    yield from until(lambda: bool(maintenance.problems), "log problems listed")
    report["problems"] = [f"{p.level} {p.logger}: {p.message}" for p in maintenance.problems]
    yield from every_variant(app, out, report, "errors")
    yield from set_variant(app, "zh", False)
    yield from tap(maintenance.ids.error_choices.buttons[0])
    yield from until(lambda: notice.parent is not None, "problem shown whole")
    report["problem_notice"] = f"{notice.primary} | {notice.secondary}"
    yield from shot(out, report["screenshots"], "error-record-zh")
    yield from tap(notice.ok_button)
    yield from until(lambda: notice.parent is None, "record closed")
    yield from tap(maintenance.ids.errors_back)
    yield from until(lambda: maintenance.ids.pages.current == "status" and not app.busy, "status again")

    # Reload: an invalid file is refused with file and key; a valid one (exit now allowed) takes effect home.
    kiosk_toml = app.kiosk_config.source_dir / "kiosk.toml"
    text = kiosk_toml.read_text(encoding="utf-8")
    kiosk_toml.write_text(text.replace("lockout_minutes = 15", "lockout_minutes = 0"), encoding="utf-8")
    report["reload_refused"] = []
    for lang, large in (("zh", False), ("en", True)):
        yield from set_variant(app, lang, large)
        yield from tap(maintenance.ids.reload)
        yield from until(lambda: notice.parent is not None, "reload refused")
        report["reload_refused"].append(f"{notice.primary} | {notice.secondary}")
        yield from shot(out, report["screenshots"], f"reload-refused-{variant_name(lang, large)}")
        yield from tap(notice.ok_button)
        yield from until(lambda: notice.parent is None and not app.busy, "refusal closed")
    kiosk_toml.write_text(text.replace("allow_exit = false", "allow_exit = true"), encoding="utf-8")
    confirm = root.confirm_overlay
    for lang, large in VARIANTS:
        yield from set_variant(app, lang, large)
        yield from tap(maintenance.ids.reload)
        yield from until(lambda: confirm.parent is not None, "reload confirmation")
        yield from shot(out, report["screenshots"], f"reload-ready-{variant_name(lang, large)}")
        if (lang, large) != VARIANTS[-1]:
            yield from tap(confirm.back_button)
            yield from until(lambda: confirm.parent is None and not app.busy, "confirmation closed")
    old_root = app.root
    yield from tap(confirm.confirm_button)
    yield from until(lambda: app.root is not old_root and app.manager.current == "home", "reloaded at home")
    yield 2.0  # as at start: the first touches on a freshly built root are lost
    report["reloaded"] = {"allow_exit": app.kiosk_config.kiosk.admin.allow_exit,
                          "reloaded_at": app.lifecycle.status.reloaded_at}
    # The new screens: the exit is offered now; leaving ended the PIN session (direct entry bounces home).
    yield from set_variant(app, "zh", False)
    app.go("maintenance")
    yield from on_screen(app, "home", "maintenance without PIN refused")
    yield from open_maintenance(app)
    maintenance = app.manager.get_screen("maintenance")
    report["exit_after_reload"] = {"opacity": maintenance.ids.exit.opacity, "disabled": maintenance.ids.exit.disabled}
    yield from every_variant(app, out, report, "maintenance-exit-allowed")
    yield from set_variant(app, "zh", False)
    yield from tap(maintenance.ids.close)
    yield from on_screen(app, "home", "maintenance closed")
