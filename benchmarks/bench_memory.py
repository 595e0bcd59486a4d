"""Resident memory of the app before and after 1,000 tickets taken through the UI path (simulated printer).

Each run starts the real app in a fresh process with an empty state folder, reads its resident set size
(VmRSS) on the home screen, then takes TICKETS numbers the way a tap does (``app.choose_group``, ``app.take_number``:
printer check and issue on the worker, QR code, result screen, ticket image from the simulated printer) and goes home after
each once the screens' fades have finished, and reads it again. Groups are used up in the configured order
within their daily quotas (a group's numbers have three digits). Prints the medians of RUNS runs in MB; a run
takes several minutes.
Needs a display: ``xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python benchmarks/bench_memory.py``.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
TICKETS = 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def plan(groups: list[Any], count: int) -> list[str]:
    """``count`` group ids to take numbers from, each group up to its quota, skipping card-only groups."""
    ids: list[str] = []
    for group in groups:
        if group.identity != "required":
            ids += [group.id] * min(group.daily_quota, count - len(ids))
    if len(ids) < count:
        raise SystemExit(f"the configured quotas allow only {len(ids)} tickets without an ID card")
    return ids


def child() -> int:
    """The app with a Clock-driven run of TICKETS tickets; prints the two readings."""
    sys.path.insert(0, str(ROOT))
    from datetime import datetime

    from kiosk.clock import shifted_clock
    from kiosk.config import load_config
    from kiosk.devices.fonts import find_cjk_font
    from kiosk.state import StateDir
    from screens.main import configure_kivy

    config = load_config()
    state = StateDir.for_config(config)
    configure_kivy(config, state, fullscreen=False)
    from screens.main import create_app
    from tests.ui.touch import run_scenario, until

    start = datetime(2026, 11, 24, 9, 0, tzinfo=config.timezone)
    app = create_app(config, state, shifted_clock(start), find_cjk_font(for_screen=True).path)
    errors: list[str] = []

    def shown(screen: str) -> Generator[float, None, None]:
        """Wait, frame by frame, until ``screen`` is on show and its fade-in has finished."""
        manager, notice = app.manager, app.root.notice_overlay
        while not (manager.current == screen and not manager.transition.is_active):
            if notice.parent is not None:
                raise RuntimeError(f"refused: {notice.primary}")
            yield 0

    def tickets() -> Generator[float, None, None]:
        yield from until(lambda: app.manager.current == "home", "home screen")
        yield 1.0
        gc.collect()
        print(f"before {rss_mb():.1f}", flush=True)
        for group_id in plan(app.kiosk_config.services.groups, TICKETS):
            app.choose_group(group_id)  # as a tap on the group, then on "continue without a card", does
            if app.manager.current == "identify":
                app.take_number()
            yield from shown("result")
            app.go_home()
            yield from shown("home")
        yield 1.0
        gc.collect()
        print(f"after {rss_mb():.1f}", flush=True)

    app.bind(on_start=lambda *_: run_scenario(app, tickets(), errors, 1.0))
    app.run()
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def one_run() -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as state:
        proc = subprocess.run([sys.executable, __file__, "--child"], cwd=ROOT, text=True, capture_output=True,
                              env={**os.environ, "KIOSK_STATE_DIR": state}, timeout=1800)
    readings = dict(line.split() for line in proc.stdout.splitlines() if line.startswith(("before", "after")))
    if proc.returncode != 0 or set(readings) != {"before", "after"}:
        raise SystemExit(f"the run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return float(readings["before"]), float(readings["after"])


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print('needs a display: xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python '
              "benchmarks/bench_memory.py", file=sys.stderr)
        return 2
    runs = []
    for i in range(RUNS):
        runs.append(one_run())
        print(f"run {i + 1}: {runs[-1][0]:.1f} MB before, {runs[-1][1]:.1f} MB after", flush=True)
    before = statistics.median(r[0] for r in runs)
    after = statistics.median(r[1] for r in runs)
    print(f"resident memory ({RUNS} runs, medians): {before:.1f} MB on the home screen, {after:.1f} MB after "
          f"{TICKETS} tickets through the UI (+{after - before:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(child() if sys.argv[1:] == ["--child"] else main())
