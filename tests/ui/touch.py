"""Synthetic touches that go through Kivy's input dispatch, as a touchscreen's events do."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent


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
    """Press the middle of ``widget`` and lift the finger; yields the delays a Clock-driven scenario waits."""
    x, y = widget.to_window(*widget.center)
    touch = Tap(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    yield 0.08
    EventLoop.post_dispatch_input("end", touch)
    yield 0.4
