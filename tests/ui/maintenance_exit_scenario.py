"""Maintenance in landscape, the idle timeout that ends the PIN session, and "exit to the maintenance shell"
(``[admin] allow_exit = true`` in the test's configuration). The last step stops the app, with exit status 90:
the report is written before it."""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

from tests.ui.maintenance_scenario import RIGHT_PIN, hold, on_screen, open_maintenance, type_pin
from tests.ui.touch import set_variant, shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    yield from on_screen(app, "home", "home screen")
    yield 2.0  # touches in the app's first second or so are lost (Kivy start-up), so let it settle
    root = app.root
    pin_screen = app.manager.get_screen("admin_pin")
    maintenance = app.manager.get_screen("maintenance")
    for lang, large in (("zh", False), ("en", True)):
        yield from set_variant(app, lang, large)
        yield from hold(root.ids.hidden_corner, 3.4)
        yield from on_screen(app, "admin_pin", "PIN screen")
        yield from shot(out, report["screenshots"], f"pin-{lang}{'-large' if large else ''}")
        yield from type_pin(pin_screen.ids.keypad, RIGHT_PIN)
        yield from on_screen(app, "maintenance", "maintenance screen")
        yield from until(lambda: maintenance._report is not None, "status report")
        yield from shot(out, report["screenshots"], f"maintenance-{lang}{'-large' if large else ''}")
        yield from tap(maintenance.ids.close)
        yield from on_screen(app, "home", "home after closing")

    # Left alone, the maintenance screen counts down and goes home; the PIN is asked for again.
    yield from set_variant(app, "zh", False)
    yield from open_maintenance(app)
    yield from until(lambda: root.countdown_open(), "idle countdown", timeout=40)
    yield from shot(out, report["screenshots"], "idle-countdown-zh")
    yield from until(lambda: app.manager.current == "home", "idle return home", timeout=20)
    yield from shot(out, report["screenshots"], "home-after-idle-zh")
    report["session_after_idle"] = maintenance._session
    app.go("maintenance")
    yield from until(lambda: app.manager.current == "home", "maintenance refused without the PIN")
    report["direct_entry"] = app.manager.current

    # Exit to the maintenance shell, confirmed: the app stops with its own status.
    yield from set_variant(app, "en", True)
    yield from open_maintenance(app)
    report["exit_button"] = {"opacity": maintenance.ids.exit.opacity, "disabled": maintenance.ids.exit.disabled}
    yield from tap(maintenance.ids.exit)
    confirm = root.confirm_overlay
    yield from until(lambda: confirm.parent is not None, "exit confirmation")
    report["exit_question"] = confirm.primary
    yield from shot(out, report["screenshots"], "exit-confirm-en-large")
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    yield from tap(confirm.confirm_button)
    yield 10.0
    report["errors"].append("the app did not stop after the exit was confirmed")
