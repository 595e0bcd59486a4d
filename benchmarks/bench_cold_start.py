"""Cold start: from starting the ``kiosk`` process to its home screen drawn on the display.

Starts the real app (``screens.main.main``, windowed, simulated hardware) RUNS times in fresh processes, one
state folder for all of them as on a kiosk whose app restarts, and prints the median and spread in
milliseconds. Each child prints a line at the first frame drawn with the home screen on show and quits.
Needs a display: ``xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python benchmarks/bench_cold_start.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
DRAWN = "home screen drawn"


def child() -> int:
    """Run the kiosk as ``kiosk --windowed`` does, announcing the first frame that shows the home screen."""
    sys.path.insert(0, str(ROOT))
    import screens.main as kiosk_main

    create_app = kiosk_main.create_app

    def announcing(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        from kivy.core.window import Window

        def flipped(*_: Any) -> None:
            if app.root is not None and app.manager.current == "home":
                Window.unbind(on_flip=flipped)
                print(DRAWN, flush=True)
                app.stop()

        app.bind(on_start=lambda *_: Window.bind(on_flip=flipped))
        return app

    kiosk_main.create_app = announcing
    return kiosk_main.main(["--windowed", "--demo-time", "2026-11-24 10:00"])


def one_start(state: Path) -> float:
    """Milliseconds from spawning the process to its home screen drawn."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "KIOSK_STATE_DIR": str(state)})
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == DRAWN:
            elapsed = (time.perf_counter() - start) * 1000
            break
    else:
        proc.wait()
        raise SystemExit(f"the app exited ({proc.returncode}) before drawing its home screen")
    proc.wait(timeout=60)
    return elapsed


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print('needs a display: xvfb-run -a -s "-screen 0 1080x1920x24" .venv/bin/python '
              "benchmarks/bench_cold_start.py", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as state:
        samples = [one_start(Path(state)) for _ in range(RUNS)]
    print(f"cold start to the home screen drawn ({RUNS} starts): median {statistics.median(samples):.0f} ms, "
          f"min {min(samples):.0f} ms, max {max(samples):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(child() if sys.argv[1:] == ["--child"] else main())
