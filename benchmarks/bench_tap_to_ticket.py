"""Time from a tap on "take a number without ID card" to the number on screen, and to the printed ticket, with
the simulated printer and with an ESC/POS printer emulator on a pseudo-terminal paced at 9600 baud; and how
often the printer's status is read for each ticket.

Each printer runs the real app in its own process (a window: needs a display), RUNS tickets each, and prints
p50 and p95 in milliseconds: ``xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python
benchmarks/bench_tap_to_ticket.py``. The number goes on screen as soon as it is issued; the print follows
while the citizen reads it, so the first figure does not wait for the ticket on a slow line.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 20
PRINTERS = ("simulated", "escpos-9600")


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def child(printer: str) -> int:
    """One app with one printer: RUNS taps, one line of figures per tap on stdout."""
    sys.path.insert(0, str(ROOT))
    from kiosk.clock import shifted_clock
    from kiosk.config import KioskConfig, load_config
    from kiosk.devices.fonts import find_cjk_font
    from kiosk.state import StateDir
    from screens.main import configure_kivy

    config = load_config()
    reads: Callable[[], int]
    if printer == "escpos-9600":
        from tests.printer.emulator import PtyPrinterEmulator

        link = Path(tempfile.mkdtemp(prefix="bench-tty-")) / "ttyPRINTER"
        emulator = PtyPrinterEmulator(link, pace_baud=9600).start()
        cfg = config.kiosk.printer.model_copy(update={"driver": "escpos", "port": str(link), "baudrate": 9600})
        config = KioskConfig(config.kiosk.model_copy(update={"printer": cfg}), config.services, config.source_dir)
        reads = lambda: len(emulator.model.queries) // 4  # noqa: E731  # one status read asks DLE EOT 1..4
    state = StateDir.for_config(config)
    configure_kivy(config, state, fullscreen=False)
    from kiosk.texts import tr
    from screens.main import create_app
    from tests.ui.touch import run_scenario, tap, until

    start = datetime(2026, 11, 24, 9, 0, tzinfo=config.timezone)
    app = create_app(config, state, shifted_clock(start), find_cjk_font(for_screen=True).path)
    if printer == "simulated":
        device, calls = app.kiosk.printer, [0]
        status = device.status

        def counted() -> Any:
            calls[0] += 1
            return status()

        device.status = counted
        reads = lambda: calls[0]  # noqa: E731
    errors: list[str] = []

    def scenario() -> Generator[float, None, None]:
        manager = app.manager
        result = manager.get_screen("result")
        yield from until(lambda: manager.current == "home", "home screen")
        for _ in range(RUNS):
            app.go_home()
            app.go("groups")
            yield 0.3
            yield from tap(manager.get_screen("groups").button("general"))
            yield from until(lambda: manager.current == "identify", "identify screen")
            presses = tap(manager.get_screen("identify").ids.skip)
            next(presses)  # finger down
            before = reads()
            next(presses, None)  # finger up: the number is taken
            tapped = time.perf_counter()
            while manager.current != "result":
                yield 0
            on_screen = time.perf_counter()
            while result.print_text != tr("printed", app.lang):
                if not result.printed:
                    raise RuntimeError(f"not printed: {result.print_text}")
                yield 0
            printed = time.perf_counter()
            print(f"tap {(on_screen - tapped) * 1000:.1f} {(printed - tapped) * 1000:.1f} {reads() - before}",
                  flush=True)

    app.bind(on_start=lambda *_: run_scenario(app, scenario(), errors, 1.0))
    app.run()
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def run(printer: str) -> list[tuple[float, float, int]]:
    with tempfile.TemporaryDirectory(prefix="bench-tap-") as state:
        proc = subprocess.run([sys.executable, __file__, "--child", printer], cwd=ROOT, text=True,
                              capture_output=True, env={**os.environ, "KIOSK_STATE_DIR": state}, timeout=900)
    rows = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("tap ")]
    if proc.returncode != 0 or len(rows) != RUNS:
        raise SystemExit(f"the {printer} run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [(float(a), float(b), int(c)) for a, b, c in rows]


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print('needs a display: xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python '
              "benchmarks/bench_tap_to_ticket.py", file=sys.stderr)
        return 2
    for printer in PRINTERS:
        rows = run(printer)
        shown, printed, reads = ([r[i] for r in rows] for i in range(3))
        print(f"{printer:<12} {RUNS} taps: number on screen p50 {pct(shown, 50):.0f} ms, p95 {pct(shown, 95):.0f} ms;"
              f" ticket printed p50 {pct(printed, 50):.0f} ms, p95 {pct(printed, 95):.0f} ms;"
              f" printer status reads a ticket: {statistics.median(reads):g} (max {max(reads)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child(sys.argv[2]) if sys.argv[1:2] == ["--child"] else main())
