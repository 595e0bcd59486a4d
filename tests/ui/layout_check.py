"""Automatic layout checks of what is on screen, run inside the app at every screenshot (``touch.shot``).

It walks the widgets a person can see (the top window layer down to the first open overlay, which covers the
rest; nothing with opacity 0, no size, or outside the window or a scroll view's viewport) and reports:

- ``overflow``: a label's rendered text is larger than its box; ``shortened``: text cut with "..." because it
  does not fit; ``clipped``: lines dropped because the text's height is fixed; ``broken``: a word split across
  two lines because it is wider than the box; ``outside``: text drawn beyond its parent or the window;
  ``overlap``: two labels' text, or text and a button that is not its own or a picture (a QR code), on top of
  each other;
- ``line_break``: a label's lines break the Chinese line-start and line-end rules (禁则: a line starting with 。，
  or ending with （, a number split from its unit, one character alone on a paragraph's last line; see
  ``kiosk.devices.textwrap_cjk.line_break_faults``);
- ``target``: in large-font mode, an enabled touch target (any ``ButtonBehavior``: buttons, keypad keys)
  smaller than 15 mm in either direction on the configured screen (``[display]`` size and diagonal);
- ``gap``: in large-font mode, two touch targets side by side or one above the other less than 5 mm apart (a
  trembling finger that misses one must not press the other; a disabled button counts, it is enabled later);
- ``contrast``: text colour against the background drawn behind it (sampled from the screenshot inside the
  text's box), WCAG relative luminance: at least 7:1 in large-font mode, 4.5:1 otherwise. Disabled buttons
  count: a citizen must be able to read why a button is disabled.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.image import Image as KivyImage
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget
from PIL import Image

from kiosk.devices.textwrap_cjk import line_break_faults

MIN_TARGET_MM = 15.0
MIN_GAP_MM = 5.0
CONTRAST_LARGE = 7.0
CONTRAST_STANDARD = 4.5
# Rounding of layouts (int positions, texture sizes) is not a fault: a pixel or two of slack.
SLACK_PX = 2.0
# Pixels this close (RGB distance, 0-255) to the text colour are taken as text, not background.
TEXT_LIKE = 40.0
_MARKUP = re.compile(r"\[/?[a-z_]+(=[^\]]*)?\]")


@dataclass(frozen=True)
class Rect:
    """A rectangle in window coordinates (y up, as Kivy's)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def top(self) -> float:
        return self.y + self.h

    def intersection(self, other: Rect) -> Rect | None:
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, top = min(self.right, other.right), min(self.top, other.top)
        if right - x <= 0 or top - y <= 0:
            return None
        return Rect(x, y, right - x, top - y)

    def sticks_out_of(self, outer: Rect) -> float:
        """How many pixels this rectangle reaches beyond ``outer`` on its worst side (0 when inside)."""
        return max(0.0, outer.x - self.x, self.right - outer.right, outer.y - self.y, self.top - outer.top)

    def json(self) -> list[int]:
        return [round(self.x), round(self.y), round(self.w), round(self.h)]


@dataclass(frozen=True)
class Seen:
    """A widget as drawn: its box in window coordinates, the part of the window it may draw in, its opacity."""

    widget: Widget
    rect: Rect
    clip: Rect
    opacity: float


def mm_per_pixel(diagonal_inches: float, width_px: int, height_px: int) -> float:
    """Physical size of one pixel on a screen of that diagonal and resolution (square pixels)."""
    return diagonal_inches * 25.4 / math.hypot(width_px, height_px)


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour with channels in 0..1."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def window_rect(widget: Widget) -> Rect:
    x, y = widget.to_window(widget.x, widget.y)
    return Rect(x, y, widget.width, widget.height)


def picture_rect(image: KivyImage) -> Rect:
    """Where an image's picture is drawn, in window coordinates: its fitted size, centred in the widget."""
    w, h = image.norm_image_size
    x, y = image.to_window(image.center_x - w / 2, image.center_y - h / 2)
    return Rect(x, y, w, h)


def drawn_widgets(roots: Iterable[Widget], window: Rect) -> tuple[list[Seen], list[Label]]:
    """Every widget a person can see, from ``roots`` given top layer first: the first open overlay
    (ModalView) hides everything under it, so the walk stops there. Also returns the labels that should be
    seen but lie wholly beyond the window (pushed off by the layout; a scroll view's hidden part is fine)."""
    seen: list[Seen] = []
    lost: list[Label] = []
    for root in roots:
        _walk(root, 1.0, window, False, seen, lost)
        if isinstance(root, ModalView):
            break
    return seen, lost


def _walk(widget: Widget, opacity: float, clip: Rect, scrolled: bool, seen: list[Seen], lost: list[Label]) -> None:
    opacity *= widget.opacity
    if opacity <= 0.01 or widget.width <= 0 or widget.height <= 0:
        return
    rect = window_rect(widget)
    visible = rect.intersection(clip)
    if visible is None:
        if not scrolled:
            lost.extend(w for w in widget.walk(restrict=True) if isinstance(w, Label) and w.text.strip()
                        and w.opacity > 0.01)
        return
    seen.append(Seen(widget, rect, clip, opacity))
    # A scroll view shows its content through a stencil: what lies beyond the viewport is not drawn.
    stencil = isinstance(widget, StencilView)
    for child in widget.children:
        _walk(child, opacity, visible if stencil else clip, scrolled or stencil, seen, lost)


def _ancestors(widget: Widget) -> Iterator[Widget]:
    """``widget`` and the widgets it is in, up to the window."""
    node: Widget | None = widget
    while node is not None and node is not node.parent:
        yield node
        node = node.parent


def widget_id(widget: Widget) -> str:
    """The kv id a rule gave ``widget`` (ids live on the rule's root, an ancestor), or ''."""
    for node in _ancestors(widget.parent) if widget.parent is not None else ():
        for name, value in getattr(node, "ids", {}).items():
            if value is widget or getattr(value, "__ref__", None) is widget:
                return str(name)
    return ""


def describe(widget: Widget) -> str:
    """Class, id and text of a widget, as a problem names it."""
    text = getattr(widget, "text", "") or getattr(widget, "title", "")
    name = type(widget).__name__
    ident = widget_id(widget)
    if ident:
        name += f"#{ident}"
    if text:
        short = text.replace("\n", " ")
        name += f" {short[:40]!r}" + ("…" if len(short) > 40 else "")
    return name


def text_box(label: Label) -> Rect:
    """Where ``label``'s lines are drawn, in window coordinates (the Label rule centres its texture)."""
    tw, th = label.texture_size
    tex_x = int(label.center_x - tw / 2.0)
    tex_y = int(label.center_y - th / 2.0)
    lines = [line for line in label._label._cached_lines if line.words and line.w > 0]
    if not lines:
        x0, y0, x1, y1 = 0.0, 0.0, float(tw), float(th)
    else:
        # Line positions are from the texture's top-left corner, y down.
        x0 = min(line.x for line in lines)
        x1 = max(line.x + line.w for line in lines)
        y0 = min(line.y for line in lines)
        y1 = max(line.y + line.h for line in lines)
    left, bottom = label.to_window(tex_x + x0, tex_y + th - y1)
    return Rect(left, bottom, x1 - x0, y1 - y0)


def _visible_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _laid_out(label: Label) -> str:
    """The text as drawn (after shortening, without the lines that did not fit)."""
    return "".join(word.text for line in label._label._cached_lines for word in line.words)


def broken_word(label: Label) -> str:
    """A Latin word that the wrapping split across two lines (Kivy breaks a word that is wider than the
    box; Chinese text may break between any two characters), e.g. 'housin|g'; '' when there is none."""
    lines = [" ".join(w.text for w in line.words) for line in label._label._cached_lines]
    for first, second in itertools.pairwise(lines):
        before, after = first.split(), second.split()
        if not (before and after):
            continue
        end, start = before[-1], after[0]
        latin = end[-1].isascii() and end[-1].isalnum() and start[0].isascii() and start[0].isalnum()
        if latin and end + start in label.text and not any(f"{end}{gap}{start}" in label.text for gap in " \n"):
            return f"{end}|{start}"
    return ""


def paragraph_lines(label: Label) -> list[list[str]]:
    """The lines as drawn, grouped by the paragraphs of the label's text (its own line breaks)."""
    drawn = ["".join(w.text for w in line.words) for line in label._label._cached_lines]
    text = _MARKUP.sub("", label.text) if label.markup else label.text
    out: list[list[str]] = []
    for paragraph in text.split("\n"):
        want, lines = _visible_chars(paragraph), []
        while drawn and (not lines or _visible_chars("".join(lines)) < want):
            lines.append(drawn.pop(0))
        out.append(lines)
    return out


def _dropped_text(label: Label) -> bool:
    """Some of the text was not laid out (a fixed text height or max_lines cut lines off)."""
    text = _MARKUP.sub("", label.text) if label.markup else label.text
    return _visible_chars(_laid_out(label)) < _visible_chars(text)


class Checker:
    """The checks over one screenshot; ``problems`` collects what they find."""

    def __init__(self, image: Image.Image, screen: str, large: bool, mm_per_px: float) -> None:
        self.image = image.convert("RGB")
        self.screen = screen
        self.large = large
        self.mm_per_px = mm_per_px
        self.window = Rect(0, 0, float(self.image.width), float(self.image.height))
        self.problems: list[dict[str, Any]] = []
        self.counts = {"labels": 0, "targets": 0}
        # Every enabled touch target's visible size, for comparing a screen across modes (``target_sizes``).
        self.targets: list[dict[str, Any]] = []

    def report(self, kind: str, widget: Widget, detail: str, **numbers: Any) -> None:
        who = describe(widget)
        self.problems.append({"screen": self.screen, "kind": kind, "widget": who, "detail": detail,
                              "message": f"{self.screen}: {kind}: {who}: {detail}", **numbers})

    def run(self, seen: list[Seen], lost: Sequence[Label] = ()) -> list[dict[str, Any]]:
        for label in lost:
            self.report("outside", label, "the text is not on screen at all: the layout pushed it beyond the "
                        "window", rect=window_rect(label).json())
        boxes: list[tuple[Seen, Rect]] = []
        for item in seen:
            if isinstance(item.widget, Label) and item.widget.text.strip():
                self.counts["labels"] += 1
                box = self.label(item)
                if box is not None:
                    boxes.append((item, box))
            if isinstance(item.widget, ButtonBehavior) and not item.widget.disabled:
                self.counts["targets"] += 1
                self.target(item)
        if self.large:
            self.gaps([item for item in seen if isinstance(item.widget, ButtonBehavior)])
        self.overlaps(boxes)
        self.covered(boxes, [(item, item.rect) for item in seen if isinstance(item.widget, ButtonBehavior)]
                     + [(item, picture_rect(item.widget)) for item in seen
                        if isinstance(item.widget, KivyImage) and item.widget.texture is not None])
        return self.problems

    def label(self, item: Seen) -> Rect | None:
        """Fit and contrast of one label; returns the visible part of its text for the overlap check."""
        label = item.widget
        tw, th = label.texture_size
        if tw > label.width + SLACK_PX or th > label.height + SLACK_PX:
            self.report("overflow", label, f"text {tw:.0f}x{th:.0f} px in a box of {label.width:.0f}x"
                        f"{label.height:.0f} px", text_px=[tw, th], box_px=[label.width, label.height])
        if label._label.is_shortened:
            self.report("shortened", label, f"shown as {_laid_out(label)!r}: the full text does not fit "
                        f"in {label.width:.0f} px", box_px=[label.width, label.height])
        elif _dropped_text(label):
            self.report("clipped", label, "lines of the text are cut off by its fixed height",
                        box_px=[label.width, label.height])
        for lines in paragraph_lines(label):
            for fault in line_break_faults(lines):
                self.report("line_break", label, fault)
        if split := broken_word(label):
            self.report("broken", label, f"a word is split across lines ({split!r}): the box is narrower than "
                        f"the word", box_px=[label.width, label.height])
        box = text_box(label)
        parent = label.parent
        # Inside a scroll view the stencil clips the text to the viewport: what lies beyond is scrolled away,
        # not drawn off the window.
        scrolled = any(isinstance(w, StencilView) for w in _ancestors(label))
        limits = [] if scrolled else [("the window", self.window)]
        if parent is not None and parent is not parent.parent and not isinstance(parent, StencilView):
            limits.append((f"its parent {type(parent).__name__}", window_rect(parent)))
        for name, outer in limits:
            beyond = box.sticks_out_of(outer)
            if beyond > SLACK_PX:
                self.report("outside", label, f"text drawn {beyond:.0f} px beyond {name}",
                            text_rect=box.json(), limit_rect=outer.json())
                break
        shown = box.intersection(item.clip)
        if shown is not None:
            self.contrast(item, shown)
        return shown

    def target(self, item: Seen) -> None:
        visible = item.rect.intersection(item.clip) or Rect(item.rect.x, item.rect.y, 0, 0)
        w_mm, h_mm = visible.w * self.mm_per_px, visible.h * self.mm_per_px
        self.targets.append({"widget": describe(item.widget), "mm": [round(w_mm, 1), round(h_mm, 1)]})
        if self.large and min(w_mm, h_mm) < MIN_TARGET_MM:
            self.report("target", item.widget, f"{w_mm:.1f} x {h_mm:.1f} mm (at least {MIN_TARGET_MM:.0f} mm "
                        f"each way in large-font mode)", mm=[round(w_mm, 1), round(h_mm, 1)])

    def gaps(self, targets: list[Seen]) -> None:
        """Neighbouring targets (side by side or one above the other, not one inside the other) closer than
        ``MIN_GAP_MM``."""
        shown = [(item, rect) for item in targets if (rect := item.rect.intersection(item.clip)) is not None]
        for (first, a), (second, b) in itertools.combinations(shown, 2):
            if first.widget in _ancestors(second.widget) or second.widget in _ancestors(first.widget):
                continue
            gap = _gap(a, b)
            gap_mm = gap * self.mm_per_px if gap is not None else MIN_GAP_MM
            if gap_mm < MIN_GAP_MM:
                self.report("gap", first.widget, f"{gap_mm:.1f} mm from {describe(second.widget)} (at least "
                            f"{MIN_GAP_MM:.0f} mm in large-font mode)", mm=round(gap_mm, 1),
                            other=describe(second.widget))

    def contrast(self, item: Seen, box: Rect) -> None:
        label = item.widget
        colour = label.disabled_color if label.disabled else label.color
        alpha = colour[3] * item.opacity
        background = self.background(box, colour)
        if background is None:
            return
        text = [alpha * c + (1 - alpha) * b for c, b in zip(colour[:3], background, strict=True)]
        ratio = contrast_ratio(text, background)
        needed = CONTRAST_LARGE if self.large else CONTRAST_STANDARD
        if ratio < needed:
            hexes = ["#" + "".join(f"{round(c * 255):02x}" for c in rgb) for rgb in (text, background)]
            self.report("contrast", label, f"{ratio:.2f}:1 ({hexes[0]} on {hexes[1]}), needs {needed:g}:1",
                        ratio=round(ratio, 2), text_colour=hexes[0], background=hexes[1])

    def background(self, box: Rect, text_colour: Sequence[float]) -> tuple[float, float, float] | None:
        """The colour most drawn inside ``box`` that is not the text's own (anti-aliased edges are spread
        over many shades, the background is one); when every pixel looks like text, the commonest one."""
        height = self.image.height
        crop = self.image.crop((math.floor(box.x), math.floor(height - box.top),
                                math.ceil(box.right), math.ceil(height - box.y)))
        colours = crop.getcolors(maxcolors=crop.width * crop.height + 1)
        if not colours:
            return None
        text = [c * 255 for c in text_colour[:3]]
        ranked = sorted(colours, key=lambda pair: -pair[0])
        away = [rgb for _n, rgb in ranked if math.dist(rgb, text) > TEXT_LIKE]
        rgb = away[0] if away else ranked[0][1]
        return (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255)

    def covered(self, boxes: list[tuple[Seen, Rect]], covers: list[tuple[Seen, Rect]]) -> None:
        """Text that a button (not its own) or a picture lies on: one of them hides the other."""
        for item, box in boxes:
            mine = {id(w) for w in _ancestors(item.widget)}
            for cover, rect in covers:
                area = rect.intersection(cover.clip)
                common = area.intersection(box) if area is not None and id(cover.widget) not in mine else None
                if common is not None and common.w > SLACK_PX and common.h > SLACK_PX:
                    self.report("overlap", item.widget, f"text and {describe(cover.widget)} overlap by "
                                f"{common.w:.0f}x{common.h:.0f} px", other=describe(cover.widget))

    def overlaps(self, boxes: list[tuple[Seen, Rect]]) -> None:
        for i, (first, a) in enumerate(boxes):
            for second, b in boxes[i + 1:]:
                common = a.intersection(b)
                if common is not None and common.w > SLACK_PX and common.h > SLACK_PX:
                    self.report("overlap", first.widget, f"text overlaps {describe(second.widget)} by "
                                f"{common.w:.0f}x{common.h:.0f} px", other=describe(second.widget))


def _gap(a: Rect, b: Rect) -> float | None:
    """The space between two rectangles side by side or one above the other (negative when they overlap); None
    when they are neither (diagonal neighbours, whose corners are farther apart)."""
    across = min(a.top, b.top) - max(a.y, b.y) > SLACK_PX
    along = min(a.right, b.right) - max(a.x, b.x) > SLACK_PX
    if across and along:
        return -1.0
    if across:
        return max(b.x - a.right, a.x - b.right)
    if along:
        return max(b.y - a.top, a.y - b.top)
    return None


def window_layers() -> Iterator[Widget]:
    """The window's children, top layer first (Kivy draws its last child on top)."""
    return iter(Window.children)


def check_window(png: Path, screen: str, large: bool, mm_per_px: float) -> dict[str, Any]:
    """Check what the window shows now against its screenshot ``png`` (taken in the same frame)."""
    with Image.open(png) as image:
        checker = Checker(image, screen, large, mm_per_px)
    problems = checker.run(*drawn_widgets(window_layers(), checker.window))
    return {"screen": screen, "large": large, "mm_per_px": round(mm_per_px, 4), "checked": checker.counts,
            "problems": problems, "targets": checker.targets}


def check_app(app: Any, png: Path) -> dict[str, Any]:
    """``check_window`` for the kiosk app: its current screen (and open overlay), mode and display."""
    display = app.kiosk_config.kiosk.display
    top = next(iter(Window.children), None)
    screen = app.manager.current + (f"+{type(top).__name__}" if isinstance(top, ModalView) else "")
    checked = check_window(png, screen, app.large, mm_per_pixel(display.diagonal_inches, display.width, display.height))
    return {"lang": app.lang, **checked}
