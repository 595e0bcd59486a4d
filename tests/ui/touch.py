"""Driving the real app from inside: synthetic touches that go through Kivy's input dispatch (as a
touchscreen's events do), waits, screenshots, and a runner for Clock-driven scenarios."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent

from tests.ui.layout_check import check_app


class Tap(MotionEvent):
    """A finger on the screen at window coordinates (x, y)."""

    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__("tap", 1, {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
                         is_touch=True, type_id="touch")

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        self.profile = ["pos"]
        super().depack(args)


def tap(widget: Any) -> Generator[float, None, None]:
    """Press the middle of ``widget`` and lift the finger; yields the delays a Clock-driven scenario waits.
    Waits first for a screen change to finish: Kivy's ScreenManager ignores touches while it fades."""
    manager = getattr(App.get_running_app(), "manager", None)
    while manager is not None and manager.transition.is_active:
        yield 0
    x, y = widget.to_window(*widget.center)
    touch = Tap(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    yield 0.08
    EventLoop.post_dispatch_input("end", touch)
    yield 0.4


def until(cond: Callable[[], bool], what: str, timeout: float = 15.0) -> Generator[float, None, None]:
    """Wait (polling every 50 ms of the Kivy clock) until ``cond()``; a step that never comes fails."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        yield 0.05


def shot(out: Path, names: list[str], name: str, settle: float = 0.5) -> Generator[float, None, None]:
    """Save a screenshot as ``out/NN-name.png`` once fades and texture uploads have settled, and the layout
    check of what it shows as ``out/NN-name.layout.json`` (see ``layout_check``)."""
    yield settle
    app = App.get_running_app()
    while app.manager.transition.is_active:
        yield 0
    # The screenshot reads the last frame drawn: let two frames show the state the check will look at
    # (on a loaded machine a frame can lag well behind the clock).
    yield 0
    yield 0
    path = out / f"{len(names) + 1:02d}-{name}.png"
    # Window.screenshot appends a counter to the name; keep the name the report gives.
    Path(Window.screenshot(name=str(path))).rename(path)
    names.append(path.name)
    checked = check_app(app, path)
    path.with_suffix(".layout.json").write_text(json.dumps(checked, ensure_ascii=False, indent=1), encoding="utf-8")
    yield 0.05


def run_scenario(app: Any, steps: Generator[float, None, None], errors: list[str], first_delay: float = 1.0) -> None:
    """Run ``steps`` on the Kivy clock (each yields the delay before the next); stop the app at the end.
    A failed step ends the run with its traceback in ``errors``."""

    def step(_dt: float) -> None:
        try:
            delay = next(steps)
        except StopIteration:
            app.stop()
            return
        except Exception:
            errors.append(traceback.format_exc())
            app.stop()
            return
        Clock.schedule_once(step, delay)

    Clock.schedule_once(step, first_delay)


VARIANTS = (("zh", False), ("en", False), ("zh", True), ("en", True))


def variant_name(lang: str, large: bool) -> str:
    return f"{lang}{'-large' if large else ''}"


def set_variant(app: Any, lang: str, large: bool) -> Generator[float, None, None]:
    """Switch language and font mode the way a citizen does: by tapping the top-bar buttons."""
    if app.lang != lang:
        yield from tap(app.root.ids.lang_button)
    if app.large != large:
        yield from tap(app.root.ids.large_button)
    yield from until(lambda: app.lang == lang and app.large == large, f"variant {lang} large={large}")
