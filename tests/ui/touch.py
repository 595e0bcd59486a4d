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
    Waits first, as a person looks before touching, until what was last shown has settled (the app ignores
    touches that begin sooner, see ``screens.widgets.SETTLE_SECONDS``) and a screen change is over."""
    app = App.get_running_app()
    manager = getattr(app, "manager", None)
    while manager is not None and manager.transition.is_active:
        yield 0
    while not app.kiosk_root.settled():
        yield 0.05
    yield from touch_at(*widget.to_window(*widget.center))


def touch_at(x: float, y: float, hold: float = 0.08) -> Generator[float, None, None]:
    """A finger down at window coordinates (x, y) for ``hold`` seconds, at once, whatever the screen shows."""
    touch = Tap(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    yield hold
    EventLoop.post_dispatch_input("end", touch)
    # The release is handled on the next frame; what it starts is awaited by the scenario's ``until``.
    yield 0.1


def double_tap(widget: Any, gap: float = 0.15, at: tuple[float, float] = (0.5, 0.5)) -> Generator[float, None, None]:
    """Two quick taps on ``widget`` (at the fractions ``at`` of its width and height) once it has settled, the
    second beginning ``gap`` seconds after the first (a tremor, an impatient finger): the second lands on whatever
    is there by then."""
    yield from _ready(widget)
    while not App.get_running_app().kiosk_root.settled():
        yield 0.05
    x, y = widget.to_window(widget.x + widget.width * at[0], widget.y + widget.height * at[1])
    first = Tap(x, y)
    EventLoop.post_dispatch_input("begin", first)
    yield gap / 2
    EventLoop.post_dispatch_input("end", first)
    yield gap / 2
    yield from touch_at(x, y, hold=0.05)


def press(widget: Any) -> Generator[float, None, None]:
    """Tap ``widget`` as a person would: once a screen change is over, the widget has stopped moving (a view
    just shown takes its layout over the next frames) and it is enabled (a disabled button ignores a touch)."""
    yield from _ready(widget)
    yield from tap(widget)


def _ready(widget: Any) -> Generator[float, None, None]:
    """Wait until a screen change is over, ``widget`` has stopped moving (a view just shown takes its layout over
    the next frames) and it is enabled."""
    manager = App.get_running_app().manager
    yield from until(lambda: not manager.transition.is_active, "the screen change over")
    last = None
    for _ in range(40):
        now = (tuple(widget.to_window(*widget.pos)), tuple(widget.size))
        if now == last:
            break
        last = now
        yield 0.05
    yield from until(lambda: not widget.disabled, f"{type(widget).__name__} {getattr(widget, 'title', '')} enabled")


def keypad_keys(keypad: Any) -> dict[str, Any]:
    """A ``Keypad``'s character keys by their title (digits, and the letters of its letter row)."""
    return {w.title: w for w in keypad.walk(restrict=True)
            if len(getattr(w, "title", "")) == 1 and w is not keypad.ids.submit_key}


def type_on(keypad: Any, value: str) -> Generator[float, None, None]:
    """Make ``keypad`` show ``value`` as a citizen would: "Delete" back to the part already right, then the
    keys of the rest."""
    while not value.startswith(keypad.value):
        shown = keypad.value
        yield from press(keypad.ids.delete_key)
        yield from until(lambda shown=shown: keypad.value != shown, "a character deleted")
    keys = keypad_keys(keypad)
    for char in value[len(keypad.value):]:
        yield from press(keys[char])
    yield from until(lambda: keypad.value == value, f"keypad shows {value} (it shows {keypad.value!r})")


def until(cond: Callable[[], bool], what: str, timeout: float = 15.0) -> Generator[float, None, None]:
    """Wait (polling every 50 ms of the Kivy clock) until ``cond()``; a step that never comes fails."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        yield 0.05


def shot(out: Path, names: list[str], name: str, settle: float = 0.2) -> Generator[float, None, None]:
    """Save a screenshot as ``out/NN-name.png`` once fades and texture uploads have settled, and the layout
    check of what it shows as ``out/NN-name.layout.json`` (see ``layout_check``)."""
    yield settle
    app = App.get_running_app()
    while app.manager.transition.is_active:
        yield 0
    # The screenshot reads the last frame drawn, the check the widgets as they are: wait until a frame has
    # passed with nothing changed (a label's new text gets its texture a frame later; a background thread's
    # news, e.g. the offline mark, arrives at any time).
    last = None
    for _ in range(40):
        now = _drawn_state()
        if now == last:
            break
        last = now
        yield 0
    path = out / f"{len(names) + 1:02d}-{name}.png"
    # Window.screenshot appends a counter to the name; keep the name the report gives.
    Path(Window.screenshot(name=str(path))).rename(path)
    names.append(path.name)
    checked = check_app(app, path)
    path.with_suffix(".layout.json").write_text(json.dumps(checked, ensure_ascii=False, indent=1), encoding="utf-8")
    yield 0.05


def _drawn_state() -> list[tuple[Any, ...]]:
    """What the next frame draws of every widget in the window: place, size, and a label's text and texture."""
    return [(id(w), tuple(w.pos), tuple(w.size), w.opacity, getattr(w, "text", None), tuple(getattr(w, "texture_size", ())))
            for child in Window.children for w in child.walk()]


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
