"""Time from a tap on "take a number without ID card" to the ticket on screen (simulated printer).

Runs the real app in a window (needs a display: ``xvfb-run -a .venv/bin/python benchmarks/bench_tap_to_ticket.py``)
and prints the median and spread of repeated runs, in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Generator
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KIOSK_STATE_DIR", tempfile.mkdtemp(prefix="bench-tap-"))

from kiosk.clock import shifted_clock  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.fonts import find_cjk_font  # noqa: E402
from kiosk.state import StateDir  # noqa: E402
from screens.main import configure_kivy  # noqa: E402

RUNS = 15
CONFIG = load_config()
STATE = StateDir.for_config(CONFIG)
configure_kivy(CONFIG, STATE, fullscreen=False)

from kivy.clock import Clock  # noqa: E402

from screens.main import create_app  # noqa: E402
from tests.ui.touch import tap  # noqa: E402

samples: list[float] = []


def scenario(app: Any) -> Generator[float, None, None]:
    manager = app.manager
    groups = manager.get_screen("groups")
    for _ in range(RUNS):
        app.go_home()
        app.go("groups")
        yield 0.3
        yield from tap(groups.button("general"))
        skip = manager.get_screen("identify").ids.skip
        x, y = skip.to_window(*skip.center)
        presses = tap(skip)
        next(presses)  # finger down
        start = time.perf_counter()
        next(presses, None)  # finger up: the number is taken
        while manager.current != "result":
            yield 0
        samples.append((time.perf_counter() - start) * 1000)


def main() -> int:
    start = datetime(2026, 11, 24, 10, 0, tzinfo=CONFIG.timezone)
    app = create_app(CONFIG, STATE, shifted_clock(start), find_cjk_font(for_screen=True).path)
    steps = scenario(app)

    def step(_dt: float) -> None:
        try:
            Clock.schedule_once(step, next(steps))
        except StopIteration:
            app.stop()
        except Exception:
            app.stop()
            raise

    app.bind(on_start=lambda *_: Clock.schedule_once(step, 1.0))
    app.run()
    print(f"tap to ticket on screen (simulated printer, {RUNS} runs): median {statistics.median(samples):.1f} ms, "
          f"min {min(samples):.1f} ms, max {max(samples):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
