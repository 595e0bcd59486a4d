"""The layout checker (tests/ui/layout_check.py) against purpose-built layouts in a real Kivy window: it must
catch clipped, shortened, overflowing, overlapping and off-screen text, small touch targets and low contrast,
and say nothing about a sound layout, covered widgets or a scroll view's hidden part.

The test runs this file as a script under Xvfb: it shows each layout, takes a screenshot, checks it, and writes
what the checker found to OUT/results.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this file also runs as the script that shows the layouts

from tests.ui.conftest import xvfb_display  # noqa: E402,F401  (the session's Xvfb)

pytestmark = pytest.mark.ui
MM_PER_PX = 0.25  # 15 mm = 60 px


def _layouts() -> dict[str, tuple[bool, Callable[[], Any]]]:
    """name -> (large-font mode, a builder of the layout's root widget)."""
    from kivy.graphics import Color, Rectangle
    from kivy.graphics.texture import Texture
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.image import Image as KivyImage
    from kivy.uix.label import Label
    from kivy.uix.modalview import ModalView
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    def painted(widget: Widget, rgb: tuple[float, float, float]) -> Widget:
        with widget.canvas.before:
            Color(*rgb, 1)
            rect = Rectangle(pos=widget.pos, size=widget.size)
        widget.bind(pos=lambda w, p: setattr(rect, "pos", p), size=lambda w, s: setattr(rect, "size", s))
        return widget

    def dark(text: str, **kw: Any) -> Label:
        return Label(text=text, color=(0, 0, 0, 1), font_size=28, **kw)

    def sound() -> Widget:
        box = painted(BoxLayout(orientation="vertical", padding=40, spacing=30), (1, 1, 1))
        box.add_widget(dark("A title that fits", size_hint_y=None, height=80))
        body = dark("Body text that wraps inside its box because text_size follows the width of the label.",
                    size_hint_y=None, height=200)
        body.bind(width=lambda w, width: setattr(w, "text_size", (width, None)))
        box.add_widget(body)
        box.add_widget(Button(text="A big button", font_size=32, size_hint_y=None, height=160,
                              background_normal="", background_color=(0.1, 0.3, 0.55, 1)))
        box.add_widget(Widget())
        return box

    def clipped() -> Widget:
        box = painted(FloatLayout(), (1, 1, 1))
        box.add_widget(dark("clip-me " * 30, text_size=(300, 40), size_hint=(None, None), size=(300, 40),
                            pos=(40, 400), valign="top"))
        box.add_widget(dark("overflow-me: far too long for this box", size_hint=(None, None), size=(120, 40),
                            pos=(40, 250)))
        box.add_widget(dark("a householder", text_size=(120, None), size_hint=(None, None), size=(120, 120),
                            pos=(400, 400)))
        box.add_widget(dark("shorten-me: a very long sentence that is cut with dots", shorten=True,
                            text_size=(220, 40), size_hint=(None, None), size=(220, 40), pos=(40, 100)))
        return box

    def targets() -> Widget:
        box = painted(FloatLayout(), (1, 1, 1))
        box.add_widget(Button(text="tiny", size_hint=(None, None), size=(40, 40), pos=(40, 40)))
        box.add_widget(Button(text="flat", size_hint=(None, None), size=(400, 48), pos=(40, 140)))
        box.add_widget(Button(text="big", size_hint=(None, None), size=(300, 200), pos=(40, 300)))
        box.add_widget(Button(text="off", disabled=True, size_hint=(None, None), size=(40, 40), pos=(500, 40),
                              disabled_color=(1, 1, 1, 1)))
        return box

    def gaps() -> Widget:
        box = painted(FloatLayout(), (1, 1, 1))
        for text, x, y, disabled in (("left", 40, 40, False), ("right", 150, 40, False), ("above", 40, 200, False),
                                     ("diagonal", 270, 150, False), ("off-above", 40, 310, True)):
            box.add_widget(Button(text=text, disabled=disabled, size_hint=(None, None), size=(100, 100),
                                  pos=(x, y)))
        return box

    def contrast() -> Widget:
        box = painted(FloatLayout(), (0.53, 0.53, 0.53))
        box.add_widget(Label(text="grey-on-grey", color=(0.47, 0.47, 0.47, 1), font_size=40,
                             size_hint=(None, None), size=(500, 80), pos=(40, 400)))
        dim = painted(FloatLayout(size_hint=(None, None), size=(600, 100), pos=(40, 240)), (0.4, 0.4, 0.4))
        dim.add_widget(Label(text="white-on-grey", color=(1, 1, 1, 1), font_size=40, size_hint=(None, None),
                             size=(500, 80), pos=(60, 250)))
        box.add_widget(dim)
        card = painted(FloatLayout(size_hint=(None, None), size=(600, 100), pos=(40, 80)), (1, 1, 1))
        card.add_widget(Label(text="black-on-white", color=(0, 0, 0, 1), font_size=40, size_hint=(None, None),
                              size=(500, 80), pos=(60, 90)))
        box.add_widget(card)
        # A disabled button with Kivy's default faint text: a citizen cannot read why it is disabled.
        box.add_widget(Button(text="disabled-faint", disabled=True, background_disabled_normal="",
                              background_color=(0.3, 0.3, 0.3, 1), size_hint=(None, None), size=(300, 100),
                              pos=(40, 500)))
        return box

    def placed() -> Widget:
        box = painted(FloatLayout(), (1, 1, 1))
        box.add_widget(dark("first-label", size_hint=(None, None), size=(300, 60), pos=(40, 400)))
        box.add_widget(dark("second-label", size_hint=(None, None), size=(300, 60), pos=(80, 420)))
        parent = painted(FloatLayout(size_hint=(None, None), size=(200, 60), pos=(40, 200)), (0.9, 0.9, 0.9))
        parent.add_widget(dark("sticks-out", size_hint=(None, None), size=(200, 60), pos=(160, 200)))
        box.add_widget(parent)
        box.add_widget(dark("under-button", size_hint=(None, None), size=(300, 60), pos=(400, 100)))
        box.add_widget(Button(text="on-top", size_hint=(None, None), size=(300, 80), pos=(560, 40)))
        # A picture (a QR code on the ticket) pushed over text by a layout that ran out of room.
        box.add_widget(dark("under-picture", size_hint=(None, None), size=(300, 60), pos=(420, 300)))
        picture = KivyImage(size_hint=(None, None), size=(160, 160), pos=(480, 260), fit_mode="contain")
        picture.texture = Texture.create(size=(32, 32))
        picture.texture.blit_buffer(b"\x00" * 32 * 32 * 3, colorfmt="rgb", bufferfmt="ubyte")
        box.add_widget(picture)
        # Beside a picture (not on it): no problem.
        box.add_widget(dark("beside-picture", size_hint=(None, None), size=(300, 60), pos=(420, 480)))
        # Pushed below the window (a layout that ran out of room): the text is not seen at all.
        box.add_widget(dark("pushed-off", size_hint=(None, None), size=(300, 60), pos=(40, -400)))
        return box

    def covered() -> Widget:
        box = painted(FloatLayout(), (0.53, 0.53, 0.53))
        box.add_widget(Label(text="under-overlay", color=(0.47, 0.47, 0.47, 1), size_hint=(None, None),
                             size=(400, 80), pos=(40, 40)))
        overlay = ModalView(size_hint=(0.8, 0.4), auto_dismiss=False)
        overlay.add_widget(painted(BoxLayout(padding=30), (1, 1, 1)))
        overlay.children[0].add_widget(dark("in-overlay"))
        box.overlay = overlay
        return box

    def scrolled() -> Widget:
        box = painted(FloatLayout(), (1, 1, 1))
        view = ScrollView(size_hint=(None, None), size=(500, 200), pos=(40, 200))
        content = BoxLayout(orientation="vertical", size_hint_y=None, height=1200)
        for i in range(12):
            content.add_widget(dark(f"row-{i}", size_hint_y=None, height=100))
        view.add_widget(content)
        box.add_widget(view)
        return box

    return {"sound": (True, sound), "clipped": (False, clipped), "targets": (True, targets), "gaps": (True, gaps),
            "contrast": (False, contrast), "contrast-large": (True, contrast), "placed": (False, placed),
            "covered": (False, covered), "scrolled": (False, scrolled)}


def _main(out: Path) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", str(out / "kivy"))
    from kivy.config import Config

    Config.set("graphics", "width", "800")
    Config.set("graphics", "height", "700")
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.floatlayout import FloatLayout

    from tests.ui.layout_check import check_window
    from tests.ui.touch import run_scenario

    results: dict[str, Any] = {}
    errors: list[str] = []

    class Bench(App):
        def build(self) -> FloatLayout:
            return FloatLayout()

    app = Bench()

    def steps() -> Generator[float, None, None]:
        for name, (large, build) in _layouts().items():
            app.root.clear_widgets()
            layout = build()
            app.root.add_widget(layout)
            if hasattr(layout, "overlay"):
                layout.overlay.open(animation=False)
            yield 0.4
            png = Path(Window.screenshot(name=str(out / f"{name}.png")))
            results[name] = check_window(png, name, large, MM_PER_PX)
            if hasattr(layout, "overlay"):
                layout.overlay.dismiss(animation=False)
            yield 0.1

    app.bind(on_start=lambda *_: run_scenario(app, steps(), errors, 0.5))
    app.run()
    (out / "results.json").write_text(json.dumps({"results": results, "errors": errors}, indent=1), encoding="utf-8")
    return 1 if errors else 0


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory, xvfb_display: str) -> dict[str, Any]:  # noqa: F811
    out = tmp_path_factory.mktemp("layouts")
    proc = subprocess.run([sys.executable, __file__, str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "DISPLAY": xvfb_display})
    report = out / "results.json"
    assert report.exists(), proc.stderr[-3000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert not data["errors"], data["errors"][0]
    return dict(data["results"])


def _kinds(found: dict[str, Any], layout: str) -> dict[str, set[str]]:
    """For each widget text in ``layout``, the kinds of problem reported."""
    by_text: dict[str, set[str]] = {}
    for problem in found[layout]["problems"]:
        text = problem["widget"].split("'")[1] if "'" in problem["widget"] else problem["widget"]
        by_text.setdefault(text.split()[0], set()).add(problem["kind"])
    return by_text


def test_a_sound_layout_has_no_problems(found: dict[str, Any]) -> None:
    assert found["sound"]["problems"] == []
    assert found["sound"]["checked"] == {"labels": 3, "targets": 1}


def test_clipped_shortened_and_overflowing_text(found: dict[str, Any]) -> None:
    kinds = _kinds(found, "clipped")
    assert "clipped" in kinds["clip-me"]
    assert "overflow" in kinds["overflow-me:"]
    assert kinds["shorten-me:"] == {"shortened"}
    assert kinds["a"] == {"broken"}  # 'househ|older': the word is wider than its box
    shortened = next(p for p in found["clipped"]["problems"] if p["kind"] == "shortened")
    assert "..." in shortened["detail"].split("shown as")[1]


def test_small_touch_targets_in_large_font_mode(found: dict[str, Any]) -> None:
    targets = {p["widget"]: p for p in found["targets"]["problems"] if p["kind"] == "target"}
    assert set(targets) == {"Button 'tiny'", "Button 'flat'"}  # not the big one, nor the disabled one
    assert targets["Button 'tiny'"]["mm"] == [10.0, 10.0]
    assert targets["Button 'flat'"]["mm"] == [100.0, 12.0]


def test_neighbouring_targets_too_close_in_large_font_mode(found: dict[str, Any]) -> None:
    gaps = [(frozenset((p["widget"], p["other"])), p["mm"]) for p in found["gaps"]["problems"] if p["kind"] == "gap"]
    # 10 px side by side, and 10 px under a disabled button (enabled later); not 60 px apart, nor corner to corner.
    assert len(gaps) == 2 and set(gaps) == {(frozenset(("Button 'left'", "Button 'right'")), 2.5),
                                            (frozenset(("Button 'above'", "Button 'off-above'")), 2.5)}
    sizes = {t["widget"]: t["mm"] for t in found["targets"]["targets"]}
    assert sizes == {"Button 'tiny'": [10.0, 10.0], "Button 'flat'": [100.0, 12.0], "Button 'big'": [75.0, 50.0]}


def test_low_contrast_and_faint_disabled_text(found: dict[str, Any]) -> None:
    standard = {p["widget"]: p for p in found["contrast"]["problems"]}
    assert set(standard) == {"Label 'grey-on-grey'", "Button 'disabled-faint'"}
    assert standard["Label 'grey-on-grey'"]["ratio"] < 1.3
    assert standard["Label 'grey-on-grey'"]["background"] == "#878787"
    assert "5.74:1 (#ffffff on #666666)" not in str(found["contrast"]["problems"])
    # White on dark grey (5.7:1) passes 4.5:1 but not the 7:1 of large-font mode.
    large = {p["widget"]: p for p in found["contrast-large"]["problems"]}
    assert set(large) == {"Label 'grey-on-grey'", "Button 'disabled-faint'", "Label 'white-on-grey'"}
    assert large["Label 'white-on-grey'"]["detail"] == "5.74:1 (#ffffff on #666666), needs 7:1"


def test_overlapping_and_misplaced_text(found: dict[str, Any]) -> None:
    kinds = _kinds(found, "placed")
    overlaps = [{p["widget"], p["other"]} for p in found["placed"]["problems"] if p["kind"] == "overlap"]
    assert {"Label 'first-label'", "Label 'second-label'"} in overlaps
    assert {"Label 'under-button'", "Button 'on-top'"} in overlaps
    assert any("Label 'under-picture'" in pair and any(w.startswith("Image") for w in pair) for pair in overlaps)
    assert "beside-picture" not in kinds
    assert "outside" in kinds["sticks-out"]
    assert kinds["pushed-off"] == {"outside"}
    assert "overlap" in kinds["under-button"]  # a button drawn over text; the button's own text is fine
    assert "on-top" not in kinds


def test_what_is_hidden_on_purpose_is_not_a_problem(found: dict[str, Any]) -> None:
    # Under an open overlay only the overlay is checked; a scroll view's rows beyond its viewport are fine.
    assert found["covered"]["problems"] == [] and found["covered"]["checked"]["labels"] == 1
    assert found["scrolled"]["problems"] == [] and found["scrolled"]["checked"]["labels"] == 2


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1])))
