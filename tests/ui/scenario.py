"""Runs the real kiosk app in a real window and drives it with one scenario module, saving screenshots.

``python tests/ui/scenario.py MODULE OUT_DIR CONFIG_DIR "YYYY-MM-DD HH:MM" [WxH]``: ``tests/ui/<MODULE>.py``
(or the dotted module MODULE) defines ``scenario(app, out, report)``, a generator that yields the delays
between steps (see ``touch``).
The report (``OUT_DIR/report.json``) holds what the scenario saw, the screenshots and any error; the process
exits non-zero when a step failed. Tests start it through ``tests.ui.conftest.run_ui_scenario``.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.clock import shifted_clock  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.devices.fonts import find_cjk_font  # noqa: E402
from kiosk.state import StateDir  # noqa: E402
from screens.main import configure_kivy, create_app  # noqa: E402

MODULE, OUT = sys.argv[1], Path(sys.argv[2])
CONFIG = load_config(sys.argv[3])
START = datetime.fromisoformat(sys.argv[4]).replace(tzinfo=CONFIG.timezone)
STATE = StateDir.for_config(CONFIG)
configure_kivy(CONFIG, STATE, fullscreen=False, size=sys.argv[5] if len(sys.argv) > 5 else None)

from tests.ui.touch import run_scenario  # noqa: E402


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"screenshots": [], "steps": [], "errors": []}
    scenario = importlib.import_module(MODULE if "." in MODULE else f"tests.ui.{MODULE}").scenario
    app = create_app(CONFIG, STATE, shifted_clock(START), find_cjk_font(for_screen=True).path)
    app.bind(on_start=lambda *_: run_scenario(app, scenario(app, OUT, report), report["errors"], 1.0))
    app.run()
    (OUT / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
