"""Shared widgets: big buttons, paged lists and rows, the keypad, step boxes, the root layout (top bar, screens,
simulation bar) and the overlays."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import ScreenManager

from drivers.card.simulated import DEMO_CARDS
from kiosk.devices.card import InvalidCardData
from kiosk.devices.textwrap_cjk import wrap

# A touch that begins within this time of a change of what is shown (a screen, an overlay, a step) is ignored:
# the second tap of a double tap, or a finger still on its way, must not act on something the citizen has not
# seen. Longer than the gap between the taps of a double tap (Kivy counts taps up to 250 ms apart as one double
# tap, Android up to 300 ms), short enough not to be noticed.
SETTLE_SECONDS = 0.4


def _kiosk_root() -> KioskRoot | None:
    """The running app's root, once it is built (widgets are made before it, and in tests of one widget)."""
    root = getattr(App.get_running_app(), "root", None)
    return root if isinstance(root, KioskRoot) else None


def changed_on_screen() -> None:
    """What the citizen sees changed: touches ignore it for ``SETTLE_SECONDS`` (see ``KioskRoot.settling``)."""
    if (root := _kiosk_root()) is not None:
        root.changed()


class Views(ScreenManager):
    """A screen manager whose view shown counts as a change of what the citizen sees (``changed_on_screen``), so a
    touch still on its way from the view before does not act on it: the app's screens, and the views inside one
    screen (the progress lookup's steps, the queue status's overview and ticket, the maintenance pages)."""

    def on_current(self, instance: Any, value: str) -> None:
        super().on_current(instance, value)
        changed_on_screen()


class KLabel(Label):
    """A label whose lines break by the kiosk's one line breaker (``kiosk.devices.textwrap_cjk.wrap``: the
    Chinese line-start and line-end rules, a number with its unit, no character alone on the last line), the
    same as on paper. ``text`` keeps the text as set; only what is drawn has the line breaks placed, measured
    with the label's own font."""

    def texture_update(self, *largs: Any) -> None:
        width = self.text_size[0]
        if width and not self.markup and self.text:
            self._label.text = "\n".join(
                "\n".join(wrap(paragraph, width, self._text_width)) for paragraph in self.text.split("\n"))
        super().texture_update(*largs)

    def _text_width(self, text: str) -> float:
        return float(self._label.get_extents(text)[0])


class KText(KLabel):
    """A themed label: ``role`` picks the font size, ``tone`` the colour (see ``screens.theme``)."""

    role = StringProperty("body")
    tone = StringProperty("text")


class BigButton(ButtonBehavior, BoxLayout):
    """A large touch target with a title, a second-language subtitle and an optional info line."""

    title = StringProperty("")
    subtitle = StringProperty("")
    info = StringProperty("")
    tone = StringProperty("primary")


def clamp_page(page: int, count: int, per_page: int) -> tuple[int, int]:
    """``page`` brought into range, and the number of pages (at least one) for ``count`` entries."""
    pages = max(1, -(-count // per_page))
    return min(max(0, page), pages - 1), pages


@dataclass(frozen=True)
class Choice:
    """One entry of a ``PagedChoices``: ``key`` is what ``on_choose`` reports."""

    key: str
    title: str
    subtitle: str = ""
    info: str = ""
    disabled: bool = False


class PageBar(BoxLayout):
    """Previous, "page 1 of 3" and next under a paged list: ``pager`` is the list (``page``, ``pages``,
    ``show_page``). It has no height and takes no touches when there is one page only."""

    # rebind: the bar's kv rules read ``pager.page`` and must follow the list set after they were bound.
    pager = ObjectProperty(None, rebind=True, allownone=True)


class PagedChoices(BoxLayout):
    """Big buttons in pages (never a small scrolling list): at most 6 a page in large-font mode, with clearly
    marked previous/next buttons and "page 1 of 3". ``choices`` is a list of ``Choice``; a tap fires
    ``on_choose(key)``. Page sizes follow the mode and the screen's orientation."""

    choices = ListProperty([])
    page = NumericProperty(0)
    pages = NumericProperty(1)
    cols = NumericProperty(2)
    rows = NumericProperty(5)
    # A screen that gives the list less than the whole height (tabs, a keyboard) caps the rows, so its
    # buttons keep room for their text; 0: no cap.
    max_rows = NumericProperty(0)
    __events__ = ("on_choose",)

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        app.bind(large=lambda *_: self.layout(), lang=lambda *_: self.layout())
        self.bind(choices=lambda *_: self.show_page(self.page), size=lambda *_: self.layout(),
                  max_rows=lambda *_: self.layout())
        self.buttons: list[BigButton] = []
        self.layout()

    def on_choose(self, key: str) -> None:
        """A choice was tapped (bind to this event)."""

    def per_page(self) -> int:
        return self.cols * self.rows

    def layout(self) -> None:
        large = App.get_running_app().large
        landscape = self.width > self.height * 1.2
        # A landscape screen has room for two rows of buttons with title, subtitle and info (one in large-font
        # mode); more rows squeeze their text until it spills over.
        self.cols, rows = ((3, 1) if landscape else (2, 3)) if large else ((3, 2) if landscape else (2, 5))
        self.rows = min(rows, self.max_rows) if self.max_rows else rows
        self.show_page(self.page)

    def show_page(self, page: int) -> None:
        self.page, self.pages = clamp_page(page, len(self.choices), self.per_page())
        start = self.page * self.per_page()
        shown = self.choices[start:start + self.per_page()]
        if [b.choice_key for b in self.buttons] != [c.key for c in shown] or len(self.ids.grid.children) != self.per_page():
            self._make_buttons(len(shown))
        # Buttons are updated in place, so a refresh of the figures never takes a button from under a finger.
        for button, choice in zip(self.buttons, shown, strict=True):
            button.choice_key = choice.key
            button.title, button.subtitle, button.info = choice.title, choice.subtitle, choice.info
            button.disabled = choice.disabled

    def _make_buttons(self, count: int) -> None:
        grid = self.ids.grid
        grid.clear_widgets()
        self.buttons = []
        for _ in range(count):
            button = Factory.BigButton(size_hint_y=1)
            button.bind(on_release=lambda b: self.dispatch("on_choose", b.choice_key))
            grid.add_widget(button)
            self.buttons.append(button)
        for _ in range(self.per_page() - count):  # keep rows the same height on the last page
            grid.add_widget(Factory.Widget())

    def button_for(self, key: str) -> BigButton | None:
        """The button of ``key`` on the page on show (tests tap it)."""
        return next((b for b in self.buttons if b.choice_key == key), None)


class PagedRows(BoxLayout):
    """Rows of information (not choices) in pages with previous/next and "page 1 of 3".

    ``viewclass`` names the row widget (``item`` and ``row_height`` properties, height at least its
    ``minimum_height`` and ``row_height``); ``items`` are what
    the rows show; ``per_page`` rows a page in ``cols`` columns, from the top. Rows are updated in place
    when the items change, so a refresh does not rebuild the page under a finger."""

    items = ListProperty([])
    viewclass = StringProperty("")
    per_page = NumericProperty(4)
    cols = NumericProperty(1)
    page = NumericProperty(0)
    pages = NumericProperty(1)

    def on_kv_post(self, _base: Any) -> None:
        self.bind(items=lambda *_: self.show_page(self.page), per_page=lambda *_: self.show_page(self.page),
                  cols=lambda *_: self.show_page(self.page))
        self.show_page(0)

    def show_page(self, page: int) -> None:
        per_page = max(1, int(self.per_page))
        self.page, self.pages = clamp_page(page, len(self.items), per_page)
        shown = self.items[self.page * per_page:(self.page + 1) * per_page]
        grid = self.ids.rows
        rows = self.rows()
        if len(rows) != len(shown):
            grid.clear_widgets()
            rows = [Factory.get(self.viewclass)() for _ in shown]
            for row in rows:
                row.bind(minimum_height=lambda *_: self._equalise())
                grid.add_widget(row)
        for row, item in zip(rows, shown, strict=True):
            row.item = item
        self._equalise()

    def _equalise(self) -> None:
        """Rows side by side get the height of the tallest (``row_height``), so that their tops line up."""
        rows = self.rows()
        cols = max(1, int(self.cols))
        for start in range(0, len(rows), cols):
            line = rows[start:start + cols]
            tallest = max(r.minimum_height for r in line)
            for r in line:
                r.row_height = tallest if cols > 1 else 0

    def rows(self) -> list[Any]:
        """The row widgets of the page on show, top to bottom (tests read them)."""
        return list(reversed(self.ids.rows.children))


class StepBox(BoxLayout):
    """A vertical box whose height follows ``mode``: "grow" takes its share of the space, "fit" is as tall as its
    content (0 when empty: a spacer), "hidden" has no height, is invisible and deaf to touches (its hidden
    buttons keep their old places, and a disabled button swallows a touch that lands on it).

    For screens that show one step at a time (check-in, rating). The height is set here on every
    change of mode: a layout leaves a widget whose size hint becomes None at the height it last gave it, so a
    kv rule like ``height: 0`` (evaluated once) would not do."""

    mode = OptionProperty("grow", options=("grow", "fit", "hidden"))

    def on_kv_post(self, _base: Any) -> None:
        self.bind(minimum_height=lambda *_: self._apply())
        self._apply()

    def on_mode(self, *_: Any) -> None:
        self._apply()
        changed_on_screen()

    def _apply(self) -> None:
        hidden = self.mode == "hidden"
        self.size_hint_y = 1 if self.mode == "grow" else None
        if self.mode != "grow":
            self.height = 0 if hidden else self.minimum_height
        # Not ``disabled``: hidden, it takes no touches anyway, and toggling ``disabled`` on a box whose buttons
        # toggle their own (a keypad's OK) can leave one of their labels disabled, swallowing every touch.
        self.opacity = 0 if hidden else 1

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.mode != "hidden" and super().on_touch_up(touch))


class Keypad(BoxLayout):
    """An on-screen keypad for ticket numbers, receipt numbers and codes: digits, optional letter keys
    (``letters``), clear, delete and a confirm button that fires ``on_submit(value)``."""

    value = StringProperty("")
    max_length = NumericProperty(12)
    min_length = NumericProperty(1)
    letters = ListProperty([])
    masked = BooleanProperty(False)
    group = NumericProperty(0)  # shown in groups of this many characters (an 8-digit code as 3000 0001); 0: none
    __events__ = ("on_submit",)

    def on_submit(self, value: str) -> None:
        """The citizen confirmed ``value`` (bind to this event)."""

    def on_kv_post(self, _base: Any) -> None:
        self.bind(letters=lambda *_: self._letter_keys())
        self._letter_keys()

    def _letter_keys(self) -> None:
        keys = self.ids.letter_keys
        keys.clear_widgets()
        for letter in self.letters:
            button = Factory.KeyButton(title=letter)
            button.bind(on_release=lambda _b, key=letter: self.press(key))
            keys.add_widget(button)

    def press(self, key: str) -> None:
        if len(self.value) < self.max_length:
            self.value += key

    def delete(self) -> None:
        self.value = self.value[:-1]

    def clear(self) -> None:
        self.value = ""

    def submit(self) -> None:
        if len(self.value) >= self.min_length:
            self.dispatch("on_submit", self.value)

    def shown_value(self, value: str, masked: bool, group: int = 0) -> str:
        shown = "•" * len(value) if masked else value
        size = int(group)
        return " ".join(shown[i:i + size] for i in range(0, len(shown), size)) if size else shown


def _tr(key: str) -> str:
    app = App.get_running_app()
    return f"{app.tr(key, app.lang)}  {app.tr2(key, app.lang)}"


def _overlay_button(overlay: Overlay, tone: str, action: Callable[[], None]) -> BigButton:
    button = BigButton(tone=tone)
    button.bind(on_release=lambda *_: action())
    overlay.ids.buttons.add_widget(button)
    return button


class Overlay(ModalView):
    """A full-width message over the current screen, in both languages. Touches that begin as it opens or
    closes act neither on it nor on the screen it uncovers."""

    primary = StringProperty("")
    secondary = StringProperty("")

    def on_pre_open(self) -> None:
        changed_on_screen()

    def on_dismiss(self) -> None:
        changed_on_screen()

    def on_touch_down(self, touch: Any) -> bool:
        if (root := _kiosk_root()) is not None and root.settling(touch):
            return True
        return bool(super().on_touch_down(touch))


class BusyOverlay(Overlay):
    """Shown while a number is being issued; it cannot be dismissed by a tap."""


class NoticeOverlay(Overlay):
    """A message the citizen acknowledges with one big button."""

    def on_kv_post(self, _base: Any) -> None:
        self.ok_button = _overlay_button(self, "primary", lambda: self.dismiss(animation=False))

    def on_open(self) -> None:
        self.ok_button.title = _tr("ok")


class ConfirmOverlay(Overlay):
    """A question with a "yes" button (the text ``confirm_key``) and a "no" button (``back_key``), both in both
    languages."""

    confirm_key = StringProperty("")
    back_key = StringProperty("back")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_confirm: Callable[[], None] = lambda: None
        self.on_back: Callable[[], None] = lambda: None

    def on_kv_post(self, _base: Any) -> None:
        self.confirm_button = _overlay_button(self, "primary", self.confirm)
        self.back_button = _overlay_button(self, "muted", self.back)

    def on_open(self) -> None:
        self.confirm_button.title = _tr(self.confirm_key)
        self.back_button.title = _tr(self.back_key)

    def confirm(self) -> None:
        self.dismiss(animation=False)
        self.on_confirm()

    def back(self) -> None:
        self.dismiss(animation=False)
        self.on_back()


class CountdownOverlay(Overlay):
    """"Returning home in N s, touch to continue": shown for the last seconds of an idle screen."""

    seconds = NumericProperty(0)


class SimCardBar(BoxLayout):
    """Buttons that put a simulated ID card on the reader. Exists only with the simulated reader."""

    def insert(self, index: int) -> None:
        reader = App.get_running_app().simulated_reader
        reader.insert(DEMO_CARDS[index])

    def insert_damaged(self) -> None:
        App.get_running_app().simulated_reader.fail(InvalidCardData("simulated"))

    def remove(self) -> None:
        App.get_running_app().simulated_reader.remove()


class KioskRoot(BoxLayout):
    """Top bar (same place on every screen), the screens, and in simulation the card bar."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.changed_at = 0.0  # time.time() of the last change of what is shown
        self._busy = BusyOverlay()
        self.notice_overlay = NoticeOverlay()
        self.confirm_overlay = ConfirmOverlay()
        self.countdown_overlay = CountdownOverlay()

    def changed(self) -> None:
        """A screen, overlay or step appeared or went: the settle time starts, and starts again once the change
        has been drawn (a slow frame must not eat into the time the citizen has to see it)."""
        self.changed_at = time.time()
        Clock.schedule_once(lambda _dt: setattr(self, "changed_at", time.time()), 0)

    def settling(self, touch: Any) -> bool:
        """``touch`` began too soon after the last change to be a choice made on what is shown now."""
        return bool(touch.time_start < self.changed_at + SETTLE_SECONDS)

    def settled(self) -> bool:
        """A touch beginning now would act (tests wait for this, as a person looks before touching)."""
        return time.time() >= self.changed_at + SETTLE_SECONDS

    def on_touch_down(self, touch: Any) -> bool:
        if self.settling(touch):
            return True
        return bool(super().on_touch_down(touch))

    def overlay_open(self) -> bool:
        return any(o.parent is not None for o in (self._busy, self.notice_overlay, self.confirm_overlay))

    def countdown_open(self) -> bool:
        return self.countdown_overlay.parent is not None

    def show_countdown(self, seconds: int) -> None:
        app = App.get_running_app()
        overlay = self.countdown_overlay
        overlay.seconds = seconds
        overlay.primary = app.tr("idle_countdown", app.lang, s=seconds)
        overlay.secondary = app.tr2("idle_countdown", app.lang, s=seconds)
        if overlay.parent is None:
            overlay.open(animation=False)

    def hide_countdown(self) -> None:
        if self.countdown_open():
            self.countdown_overlay.dismiss(animation=False)

    def show_busy(self, primary: str, secondary: str) -> None:
        self._busy.primary, self._busy.secondary = primary, secondary
        self._busy.open(animation=False)

    def hide_busy(self) -> None:
        self._busy.dismiss(animation=False)

    def show_notice(self, primary: str, secondary: str, aloud: bool = False) -> None:
        """Tell the citizen ``primary`` (``secondary`` in the other language), read aloud when prompts are spoken
        or ``aloud``."""
        self.notice_overlay.primary, self.notice_overlay.secondary = primary, secondary
        self.notice_overlay.open(animation=False)
        App.get_running_app().say(primary, always=aloud)

    def show_confirm(self, primary: str, secondary: str, confirm_key: str, on_confirm: Callable[[], None],
                     back_key: str = "back", on_back: Callable[[], None] = lambda: None, aloud: bool = False) -> None:
        """Ask ``primary`` (``secondary`` in the other language; read aloud as ``show_notice`` does); the yes
        button says the text ``confirm_key``, the no button ``back_key``."""
        overlay = self.confirm_overlay
        overlay.primary, overlay.secondary = primary, secondary
        overlay.confirm_key, overlay.back_key = confirm_key, back_key
        overlay.on_confirm, overlay.on_back = on_confirm, on_back
        overlay.open(animation=False)
        App.get_running_app().say(primary, always=aloud)

